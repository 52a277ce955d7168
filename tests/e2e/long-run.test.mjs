// End-to-end: a 200,000-step run keeps the Training panel fast and bounded. The page used to keep
// every record and redraw them all each frame (17 → 150 ms per frame as a run grew) and threw
// a RangeError from `Math.min(...points)` near step 62,000, stopping training. Synthetic records
// (synthetic.mjs) go through the real runner, history, divergence watch and charts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, openPage, trainSummary } from './browser.mjs';
import { installSynthetic, drive, stats } from './synthetic.mjs';

let env;
before(async () => {
  env = await openBrowser();
});
after(async () => {
  await env?.close();
});

/** Items the two histories and the evaluation lists may hold together (history.js's bounds). */
const ITEMS_BOUND = 2 * (2048 + 2 * 256 + 300) + 2 * 1024;

test('a 200,000-step run throws nothing, holds a bounded number of items and draws a bounded number of points (chunk times printed, not asserted)', async () => {
  const { page } = await openPage(env, '#backend=cpu&dataset=circle&hidden=8');
  await installSynthetic(page, { skipEvery: 77, injectEvery: 5000, growthInterval: 50 });
  const first = await drive(page, 100_000);
  assert.deepEqual(first.errors, []);
  const mid = await trainSummary(page);
  const second = await drive(page, 100_000);
  assert.deepEqual(second.errors, []);
  const end = await trainSummary(page);
  assert.equal(end.steps, '200000');
  const late = stats(second.times);
  const early = stats(first.times.slice(0, 40));
  console.log(`chunks of 250 steps: first 40 median ${early.median.toFixed(1)} ms; steps 100k–200k median ${late.median.toFixed(1)} ms, p95 ${late.p95.toFixed(1)} ms, max ${late.max.toFixed(1)} ms; items held ${mid.items} at 100k, ${end.items} at 200k`);
  // Times are printed, not asserted (a shared machine's load moves them): what keeps the chunks
  // fast is asserted instead — the items held and the points drawn do not grow with the steps.
  assert.ok(Number(end.items) <= ITEMS_BOUND, `${end.items} items held`);
  const made = await page.evaluate(() => window.syntheticCounts);
  assert.equal(Number(end.skipped), made.skipped, 'skips counted over the whole run, folded buckets included');
  assert.equal(Number(end.injected), made.injected);
  assert.equal(made.injected, 200000 / 5000);
  // what was drawn is bounded by the canvas width, not the steps
  const drawn = await page.evaluate(() => ['loss-chart', 'scale-chart'].map((id) => {
    const c = document.getElementById(id);
    return { drawn: Number(c.dataset.drawn), width: c.clientWidth };
  }));
  for (const d of drawn) assert.ok(d.drawn > 100 && d.drawn <= 2 * 4 * d.width, JSON.stringify(d));
  // resize and Step still work afterwards
  await page.setViewportSize({ width: 900, height: 700 });
  await page.waitForTimeout(300);
  await page.click('#train-step');
  await page.waitForFunction(() => Number(document.getElementById('train-summary').dataset.steps) > 200000, null, { timeout: 30_000 });
  assert.deepEqual(page.errors, []);
  await page.close();
});
