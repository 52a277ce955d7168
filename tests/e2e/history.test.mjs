// The Training panel's bounded history (www/history.js) and axis text (www/axes.js), in node:
// no browser needed. Long runs must keep a bounded number of items with exact totals, a
// fallback's truncation must give the same state as never having seen the dropped steps, log2
// gridlines must sit at integer exponents, and f32 scales must print as the f32's exact value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHistory, pushBounded, KEEP, TAIL } from '../../www/history.js';
import { niceTicks, log2Ticks, f32Text, pow2Text } from '../../www/axes.js';

/** Deterministic records: a skip every 77 steps, an injected one every 1000, growth every 50. */
function records(n, from = 1) {
  const out = [];
  let scale = 65536;
  for (let step = from; step < from + n; step++) {
    const injected = step % 1000 === 0;
    const skipped = injected || step % 77 === 0;
    out.push({ step, loss: 1 / Math.sqrt(step), 'amp/loss_scale': scale, skipped, ...(injected ? { injected } : {}) });
    if (skipped) scale /= 2; else if (step % 50 === 0) scale *= 2;
  }
  return out;
}

test('a history of 300,000 steps holds a bounded number of items and exact totals', () => {
  const h = createHistory();
  const recs = records(300_000);
  for (let i = 0; i < recs.length; i += 25) h.push(recs.slice(i, i + 25));
  assert.equal(h.length, 300_000);
  assert.ok(h.size <= KEEP + 2 * TAIL + 300, `${h.size} items`);
  const c = h.counts();
  assert.equal(c.skipped, recs.filter((r) => r.skipped).length);
  assert.equal(c.injected, 300);
  assert.equal(c.scaled, 300_000);
  assert.equal(c.maxScale, recs.reduce((m, r) => Math.max(m, r['amp/loss_scale']), 0));
  const b = h.buckets();
  assert.equal(b.reduce((s, x) => s + x.n, 0), 300_000, 'the buckets cover every step once');
  assert.equal(b.at(-1).step, 300_000);
  assert.deepEqual(h.tail(3).map((r) => r.step), [299_998, 299_999, 300_000]);
  assert.equal(h.first.step, 1);
  const [prev, last] = h.skips().slice(-2);
  assert.equal(last.rec.step, 300_000); // injected, the last step: nothing after it yet
  assert.equal(last.after, null);
  assert.equal(prev.rec.step, 299_992);
  assert.equal(prev.after.step, 299_993);
});

test('truncating to a snapshot gives the state of a history that never saw the later steps', () => {
  const recs = records(20_000);
  const a = createHistory();
  for (let i = 0; i < recs.length; i += 17) a.push(recs.slice(i, i + 17));
  const n = 20_000 - 60; // a WebGPU fallback goes back at most ~64 steps
  a.truncate(n);
  const b = createHistory();
  for (let i = 0; i < n; i += 17) b.push(recs.slice(i, Math.min(n, i + 17)));
  assert.equal(a.length, n);
  assert.deepEqual(a.counts(), b.counts());
  assert.deepEqual(a.buckets().map((x) => x.n).reduce((s, v) => s + v), n);
  assert.deepEqual(a.last, b.last);
  assert.deepEqual(a.skips().at(-1).rec, b.skips().at(-1).rec);
  // the smoothed loss continues from the same value
  a.push(records(5, n + 1));
  b.push(records(5, n + 1));
  assert.equal(a.buckets().at(-1).ema, b.buckets().at(-1).ema);
  assert.throws(() => a.truncate(10), /cannot go back to record 10/);
  a.truncate(0);
  assert.equal(a.length, 0);
  assert.equal(a.buckets().length, 0);
  assert.equal(a.counts().skipped, 0);
});

test('evaluations stay bounded, span the whole run and stay in order', () => {
  const list = [];
  for (let step = 1; step <= 50_000; step++) pushBounded(list, { step });
  assert.ok(list.length <= 1024, `${list.length}`);
  assert.equal(list[0].step, 1);
  assert.equal(list.at(-1).step, 50_000);
  for (let i = 1; i < list.length; i++) assert.ok(list[i].step > list[i - 1].step);
});

test('log2 gridlines sit at integer exponents only, a power-of-two step apart', () => {
  for (const [lo, hi] of [[14.3, 21.7], [17.5, 17.5], [-3, 40], [0, 1], [10.2, 10.9]]) {
    const t = log2Ticks(lo, hi);
    assert.ok(t.ticks.every(Number.isInteger), `${lo}..${hi}: ${t.ticks}`);
    assert.ok(Number.isInteger(Math.log2(t.step)));
    assert.ok(t.ticks.length >= 2 && t.ticks.length <= 7, `${t.ticks}`);
    assert.ok(t.lo <= Math.floor(lo) && t.hi >= Math.ceil(hi));
  }
});

test('linear ticks are 1, 2 or 5 times a power of ten and cover the range', () => {
  for (const [lo, hi] of [[0, 1234], [0.0123, 0.98], [1, 200_000], [0, 1], [2.5, 2.5]]) {
    const t = niceTicks(lo, hi, 5);
    const m = t.step / 10 ** Math.floor(Math.log10(t.step) + 1e-9);
    assert.ok([1, 2, 5].some((x) => Math.abs(m - x) < 1e-9), `${lo}..${hi}: step ${t.step}`);
    assert.ok(t.lo <= lo && t.hi >= hi);
    for (const v of t.ticks) assert.ok(Math.abs(v / t.step - Math.round(v / t.step)) < 1e-6, `${v}`);
  }
});

test('f32 scales print as the f32 value: 2^28 is 268435456, not the shortest decimal 268435460', () => {
  // serde_json writes an f32 as its shortest decimal; JS reads that as a double
  assert.equal(f32Text(268435460), '268435456');
  assert.equal(f32Text(1099511600000), '1099511627776'); // 2^40
  assert.equal(f32Text(65536), '65536');
  assert.equal(f32Text(0.1), '0.1');
  assert.equal(f32Text(6.1035156e-5), '0.000061035156');
  assert.equal(pow2Text(268435460), '2^28');
  assert.equal(pow2Text(3), '2^1.58');
});
