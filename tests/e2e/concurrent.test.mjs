// End-to-end: the page under concurrent use (issue 17, part 6). Double Start, Quantize while
// training, Reset during Quantize, switching the backend during a run and a hash change mid-run
// must lose or mix no state: both runs have the same number of steps, numbered 1..n without a
// gap, the summary says n, and the Quantize panel shows either nothing or a finished result.
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

const HASH = '#backend=cpu&dataset=circle&hidden=8';

/** The runs' invariants, read after every call queued on the runner has finished. */
async function consistent(page, what) {
  const s = await page.evaluate(async () => {
    const r = window.quantplay.app.runner;
    await r.exclusive(() => null); // after every queued call
    const { fp32, main } = r.runs;
    const steps = (h) => h.tail(256).map((x) => x.step);
    return {
      fp32: fp32.history.length, main: main.history.length,
      fp32Last: fp32.history.last?.step ?? 0, mainLast: main.history.last?.step ?? 0,
      mainSteps: steps(main.history), summary: Number(document.getElementById('train-summary').dataset.steps),
      running: r.running,
    };
  });
  assert.equal(s.fp32, s.main, `${what}: the runs have ${s.fp32} and ${s.main} steps`);
  assert.equal(s.mainLast, s.main, `${what}: the last step is numbered ${s.mainLast} of ${s.main}`);
  assert.equal(s.fp32Last, s.fp32, what);
  s.mainSteps.forEach((v, i) => i && assert.equal(v, s.mainSteps[i - 1] + 1, `${what}: steps not contiguous at ${v}`));
  return s;
}

/** Waits until the summary counts at least `n` steps. */
function waitSteps(page, n, timeout = 60_000) {
  return page.waitForFunction((n) => Number(document.getElementById('train-summary').dataset.steps) >= n, n, { timeout });
}

async function pause(page) {
  await page.evaluate(() => window.quantplay.app.runner.pause());
  await page.waitForFunction(() => document.getElementById('train-toggle').textContent === 'Start', null, { timeout: 30_000 });
}

test('a double Start runs one loop: both runs stay in step', async () => {
  const { page } = await openPage(env, HASH);
  await page.evaluate(() => { const r = window.quantplay.app.runner; r.start(); r.start(); });
  await waitSteps(page, 200);
  await pause(page);
  const s = await consistent(page, 'double start');
  assert.ok(s.main >= 200);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('Quantize while training finishes and training goes on unharmed', async () => {
  const { page } = await openPage(env, HASH);
  await page.click('#train-toggle');
  await waitSteps(page, 100);
  await page.click('#run-quant');
  await page.waitForSelector('#quant-result[data-done]', { timeout: 120_000 });
  const before = Number(await page.getAttribute('#train-summary', 'data-steps'));
  await page.waitForFunction((n) => Number(document.getElementById('train-summary').dataset.steps) > n + 50, before, { timeout: 60_000 });
  await pause(page);
  await consistent(page, 'quantize while training');
  assert.ok(Number(await page.getAttribute('#quant-result', 'data-int8')) > 0.3);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('Reset during Quantize leaves new runs at step 0 and no stale result', async () => {
  const { page } = await openPage(env, HASH);
  await train(page, 100);
  await page.click('#run-quant');
  await page.click('#train-reset');
  const s = await consistent(page, 'reset during quantize');
  assert.equal(s.main, 0);
  await page.waitForFunction(() => !document.getElementById('run-quant').disabled, null, { timeout: 120_000 });
  const done = await page.getAttribute('#quant-result', 'data-done');
  assert.equal(done, null, 'the result of the old run is not shown beside the new runs');
  await page.click('#train-step');
  await waitSteps(page, 1, 30_000);
  await consistent(page, 'a step after the reset');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('switching the backend during a run restarts both runs on the new backend', async () => {
  const { page } = await openPage(env, HASH);
  await page.click('#train-toggle');
  await waitSteps(page, 50);
  await page.click('#use-gpu');
  await page.waitForFunction(() => document.getElementById('status').dataset.state === 'ready' && /WebGPU/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
  const s = await consistent(page, 'after the switch');
  assert.equal(s.running, false);
  assert.equal(await page.evaluate(() => window.quantplay.app.runner.call('main', (t) => t.backend())), 'webgpu');
  assert.match(page.url(), /backend=webgpu/);
  await train(page, 10);
  await consistent(page, 'training after the switch');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a hash change mid-run applies the setting and restarts both runs consistently', async () => {
  const { page } = await openPage(env, HASH);
  await page.click('#train-toggle');
  await waitSteps(page, 50);
  await page.evaluate(() => { location.hash = location.hash.replace(/lr=[^&]*/, 'lr=0.01'); });
  await page.waitForFunction(() => window.quantplay.app.state.lr === 0.01, null, { timeout: 30_000 });
  await pause(page);
  await consistent(page, 'after the hash change');
  assert.equal(await page.inputValue('[data-key="lr"]'), '0.01');
  await train(page, 10);
  await consistent(page, 'training after the hash change');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('Start pressed while a settings change is still being checked trains the new runs', async () => {
  const { page } = await openPage(env, HASH);
  // The change queues the reset (its plan check first); the Start lands before the reset runs.
  await page.evaluate(() => {
    const el = document.querySelector('[data-key="hidden"]');
    el.value = '16';
    el.dispatchEvent(new Event('change', { bubbles: true }));
    document.getElementById('train-toggle').click();
  });
  await waitSteps(page, 30);
  const running = await page.evaluate(() => window.quantplay.app.runner.running);
  assert.equal(running, true, 'the Start was not cancelled by the reset');
  await pause(page);
  const s = await consistent(page, 'start during a reset');
  assert.ok(s.main >= 30);
  assert.equal(await page.evaluate(() => window.quantplay.app.state.hidden), '16');
  assert.equal(await page.evaluate(() => document.getElementById('train-toggle').textContent), 'Start');
  assert.deepEqual(page.errors, []);
  await page.close();
});
