// The divergence watch of the Training panel (www/divergence.js), on synthetic step records:
// a jump through weight updates is the optimizer's, a jump inside a wall of skipped steps the
// precision's, the start of training and a noisy but flat loss are no jump. Pure module, no page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createJumpWatch, jumpNote } from '../../www/divergence.js';

const recs = (from, to, loss, skipped = () => false) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ step: from + i, loss: loss(from + i), skipped: skipped(from + i) }));

test('a loss that falls and stays low is no jump, whatever its noise', () => {
  const w = createJumpWatch();
  w.push(recs(1, 3000, (s) => 2 / s + 0.05 * (s % 3)));
  assert.equal(w.jump, null);
  assert.equal(jumpNote('16-mixed', w, createJumpWatch()), '');
});

test('a jump with few skipped steps is the optimizer\'s; inside a wall of skips the precision\'s', () => {
  const low = (s) => (s < 1000 ? 0.01 : 1.5);
  const opt = createJumpWatch();
  opt.push(recs(1, 1100, low, (s) => s % 10 === 0)); // 5 of every 50 skipped
  assert.equal(opt.jump.cause, 'optimizer');
  assert.ok(opt.jump.step > 1000 && opt.jump.step < 1010, JSON.stringify(opt.jump));
  assert.match(jumpNote('16-mixed', opt, createJumpWatch()), /5 of the 50 steps before it skipped.*the optimizer/);
  const prec = createJumpWatch();
  prec.push(recs(1, 1100, low, (s) => s > 960 && s % 3 !== 0));
  assert.equal(prec.jump.cause, 'precision');
  assert.match(jumpNote('16-mixed', prec, opt), /precision is the suspect.*32-true jumped too/);
});

test('the first 200 steps never count as a jump', () => {
  const w = createJumpWatch();
  w.push(recs(1, 150, (s) => (s < 100 ? 0.01 : 2)));
  assert.equal(w.jump, null);
});
