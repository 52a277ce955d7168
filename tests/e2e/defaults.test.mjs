// End-to-end: the page's defaults teach the right lesson. With the default settings (spiral,
// seed 1, Adam, the default learning rate, 16-mixed beside 32-true) both runs converge and
// neither loss jumps over 3000 steps; before, at lr 0.03, the 16-mixed loss jumped at step ~2375
// and stayed high while 32-true converged, which a student reads as an f16 failure. When a loss
// does jump with no skipped step near it, the page says it is the optimizer's, not the
// precision's (www/divergence.js). Runs on the CPU backend: it is the fastest here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, openPage, train } from './browser.mjs';

let env;
before(async () => {
  env = await openBrowser();
});
after(async () => {
  await env?.close();
});

const losses = (text) => {
  const m = text.match(/32-true loss ([\d.]+), .* loss ([\d.]+) \(mean of the last 10 batches\)/);
  assert.ok(m, text);
  return { fp32: Number(m[1]), main: Number(m[2]) };
};
const note = (page) => page.evaluate(() => ({ hidden: document.getElementById('divergence-note').hidden, text: document.getElementById('divergence-note').textContent, cause: document.getElementById('divergence-note').dataset.cause }));

test('with the default settings both runs converge and neither loss jumps in 3000 steps', async () => {
  const { page } = await openPage(env, '#backend=cpu');
  const s = await train(page, 3000, 300_000);
  const l = losses(s.text);
  console.log(`defaults after ${s.steps} steps: 32-true ${l.fp32}, 16-mixed ${l.main}`);
  assert.ok(l.fp32 < 0.1 && l.main < 0.1, `both converge: ${s.text}`);
  const n = await note(page);
  assert.equal(n.hidden, true, `no divergence: ${n.text}`);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a loss that climbs through weight updates (most steps not skipped) is called the optimizer\'s, not the precision\'s', async () => {
  const { page } = await openPage(env, '#backend=cpu&lr=0.03');
  await train(page, 2600, 300_000);
  const n = await note(page);
  console.log(`lr 0.03: ${n.text}`);
  assert.equal(n.hidden, false, 'the jump is noted');
  assert.equal(n.cause, 'optimizer');
  assert.match(n.text, /16-mixed loss jumped at step \d+ .*(no skipped step|\d+ of the 50 steps before it skipped).*the optimizer \(Adam at this learning rate\), not the precision/);
  assert.deepEqual(page.errors, []);
  await page.close();
});
