// End-to-end: the page stays responsive under the heaviest settings it allows, because every
// wasm call runs in the engine worker (www/engine-worker.js). A PerformanceObserver records the
// main thread's long tasks (> 50 ms) from the first script on; the tests train a 4×256 MLP at
// batch 1024 on the CPU, train both runs on WebGPU (SwiftShader) and quantize while they train,
// run the 2048³ matmul check (which shows its progress), and then look at the longest
// main-thread task. Before the worker, these froze the page for seconds
// (3 s per training chunk, 54 s for the matmul check on the plain-loop reference).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, newPage, waitReady, trainSummary } from './browser.mjs';

// The budget for one main-thread task while the worker computes. A long task is > 50 ms by
// definition; drawing a frame of the panels takes well under that, so a task over this budget
// means wasm (or something as slow) ran on the main thread.
const MAIN_THREAD_BUDGET_MS = 50;

let env;
before(async () => {
  env = await openBrowser();
});
after(async () => {
  await env?.close();
});

async function openWatched(hash) {
  const page = await newPage(env.browser);
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(`${env.url}${hash}`);
  await waitReady(page);
  await page.waitForSelector('#train-summary[data-steps]', { timeout: 120_000 });
  await page.waitForSelector('#matmul-result[data-ok]', { timeout: 120_000 });
  const loaded = await page.evaluate(() => performance.now());
  return { page, loaded };
}

const longest = (page, since) => page.evaluate((t) => {
  const after = window.__longTasks.filter((e) => e.start >= t);
  return { n: after.length, max: Math.max(0, ...after.map((e) => e.ms)), all: after.map((e) => Math.round(e.ms)) };
}, since);

test('loading, training and quantizing a 4×256 MLP at batch 1024 on the CPU never block the main thread', async () => {
  const { page, loaded } = await openWatched('#backend=cpu&dataset=spiral&hidden=8&precision=16-mixed');
  // the heavy settings arrive through the controls: each change rebuilds both runs and measures
  // the memory table (one step per precision) in the worker
  const params = () => page.evaluate(() => document.getElementById('model-summary').dataset.params);
  await page.fill('input[data-key=hidden]', '256,256,256,256');
  await page.press('input[data-key=hidden]', 'Tab');
  await page.waitForFunction(() => Number(document.getElementById('model-summary').dataset.params) > 190000, null, { timeout: 120_000 });
  await page.fill('input[data-key=batch]', '1024');
  await page.press('input[data-key=batch]', 'Tab');
  await page.waitForFunction(() => /batch=1024/.test(location.hash));
  await page.click('#train-toggle');
  await page.waitForFunction(() => Number(document.getElementById('train-summary').dataset.steps) >= 6, null, { timeout: 240_000, polling: 100 });
  // while it trains, a frame comes at once
  const t0 = Date.now();
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => done())));
  const frameWait = Date.now() - t0;
  await page.click('#train-toggle');
  await page.waitForFunction(() => document.getElementById('train-toggle').textContent === 'Start', null, { timeout: 120_000 });
  await page.click('#run-quant');
  await page.waitForSelector('#quant-result[data-done]', { timeout: 240_000 });
  const s = await trainSummary(page);
  const lt = await longest(page, loaded);
  console.log(`CPU 4×256 batch 1024 (${await params()} parameters): ${s.steps} steps, quantized; main-thread long tasks after load: ${lt.n} (${lt.all.join(', ')} ms); a frame came ${frameWait} ms after asking`);
  assert.ok(lt.max <= MAIN_THREAD_BUDGET_MS, `a main-thread task took ${lt.max} ms: ${lt.all.join(', ')}`);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the 2048³ matmul check runs off the main thread and shows its progress', async () => {
  const { page, loaded } = await openWatched('#backend=webgpu&dataset=circle&hidden=8');
  for (const name of ['m', 'k', 'n']) {
    await page.fill(`#matmul-form input[name=${name}]`, '2048');
    await page.press(`#matmul-form input[name=${name}]`, 'Tab');
  }
  await page.evaluate(() => {
    window.__progress = [];
    const el = document.getElementById('matmul-result');
    delete el.dataset.ok;
    new MutationObserver(() => window.__progress.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
  });
  await page.click('#run-matmul');
  await page.waitForSelector('#matmul-result[data-ok]', { timeout: 300_000 });
  const r = await page.evaluate(() => ({ ok: document.getElementById('matmul-result').dataset.ok, text: document.getElementById('matmul-result').textContent, progress: window.__progress }));
  const steps = r.progress.filter((t) => /Running A·B on (the CPU|WebGPU)… \d+ %/.test(t));
  const lt = await longest(page, loaded);
  console.log(`2048³ check: ${r.text.slice(0, 160)}; ${steps.length} progress updates; main-thread long tasks: ${lt.n} (${lt.all.join(', ')} ms)`);
  assert.equal(r.ok, 'true', r.text);
  assert.ok(steps.length >= 4, `progress was shown while it ran: ${JSON.stringify(r.progress.slice(0, 6))}`);
  assert.ok(lt.max <= MAIN_THREAD_BUDGET_MS, `a main-thread task took ${lt.max} ms: ${lt.all.join(', ')}`);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('training both runs on WebGPU (SwiftShader) and quantizing there never block the main thread', async () => {
  const { page, loaded } = await openWatched('#backend=webgpu&dataset=spiral&hidden=16,16&precision=16-mixed');
  const backend = await page.evaluate(() => window.quantplay.app.runner.call('main', (t) => t.backend()));
  assert.equal(backend, 'webgpu', 'SwiftShader gives the page a WebGPU adapter here');
  await page.click('#train-toggle');
  // both runs step together (runner.js): the summary's count is the shared step
  await page.waitForFunction(() => Number(document.getElementById('train-summary').dataset.steps) >= 300, null, { timeout: 240_000, polling: 100 });
  const t0 = Date.now();
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => done())));
  const frameWait = Date.now() - t0;
  await page.click('#run-quant'); // while training goes on
  await page.waitForSelector('#quant-result[data-done]', { timeout: 240_000 });
  const placement = await page.textContent('#quant-result');
  await page.click('#train-toggle');
  await page.waitForFunction(() => document.getElementById('train-toggle').textContent === 'Start', null, { timeout: 120_000 });
  const s = await trainSummary(page);
  const lt = await longest(page, loaded);
  console.log(`WebGPU 2×16 16-mixed: ${s.steps} steps of both runs, quantized while training; main-thread long tasks after load: ${lt.n} (${lt.all.join(', ')} ms); a frame came ${frameWait} ms after asking`);
  assert.match(placement, /WebGPU/, `the quantize ran on WebGPU: ${placement}`);
  assert.ok(lt.max <= MAIN_THREAD_BUDGET_MS, `a main-thread task took ${lt.max} ms: ${lt.all.join(', ')}`);
  assert.deepEqual(page.errors, []);
  await page.close();
});
