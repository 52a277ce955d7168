// End-to-end: resource limits (issue 17, part 4) on the page's real adapter (SwiftShader here).
// Settings whose runs would exceed a limit (a tensor over the adapter's
// max_storage_buffer_binding_size on WebGPU: 1 GiB on SwiftShader here, reached by the
// evaluation over 40000 training samples; the wasm32 host budget on the CPU) are refused by
// the engine's plan check before the old runs are freed: the named error is shown, the previous
// runs keep their steps and last report, the URL and the control go back to the previous value,
// a running loop goes on, and training works after. A backend switch is checked the same way,
// on the new device, before the old runs are let go.
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

/** What must not change when settings are refused: both runs' steps and last records. */
const runState = (page) => page.evaluate(async () => {
  const r = window.quantplay.app.runner;
  await r.exclusive(() => null); // after every queued call
  return {
    fp32: r.runs.fp32.history.length,
    main: r.runs.main.history.length,
    fp32Last: JSON.stringify(r.runs.fp32.history.last),
    mainLast: JSON.stringify(r.runs.main.history.last),
    summary: document.getElementById('train-summary').dataset.steps,
    backend: r.backend,
    running: r.running,
  };
});

const shown = (page) => page.evaluate(() => ({
  message: document.getElementById('message').hidden ? '' : document.getElementById('message').textContent,
  banner: document.getElementById('banner').hidden ? '' : document.getElementById('banner').textContent,
  hidden: new URLSearchParams(location.hash.slice(1)).get('hidden'),
  control: document.querySelector('[data-key="hidden"]').value,
  invalid: document.querySelector('[data-key="hidden"]').getAttribute('aria-invalid'),
  note: document.querySelector('[data-key="hidden"]').closest('label').querySelector('.bad-value').textContent,
  state: window.quantplay.app.state.hidden,
}));

const waitRefused = (page) => page.waitForFunction(() => /not applied/.test(document.getElementById('message').textContent), null, { timeout: 60_000 });

// 50000 samples at ratio 0.8: the evaluation pass runs fc1 over the 40000 training samples at
// once, so its output (40000, w) f32 is the tensor that meets the adapter's limit first.
const BASE = '#backend=webgpu&dataset=spiral&samples=50000&ratio=0.8&batch=32';
const TRAIN_ROWS = 40000;

/** The adapter's binding limit and the smallest width whose evaluation output is over it. */
async function overLimit(page) {
  const gpu = await page.evaluate(() => window.quantplay.info.gpu);
  const limit = gpu.max_storage_buffer_binding_size;
  const w = Math.floor(limit / (4 * TRAIN_ROWS)) + 1;
  assert.ok(w <= 8192, `the page's widths (at most 8192) cannot reach this adapter's ${limit}-byte limit`);
  return { gpu, limit, w, bytes: TRAIN_ROWS * w * 4 };
}

test('a width over the adapter binding limit from the URL is refused by name; runs, URL and control keep the previous state', async () => {
  const { page } = await openPage(env, `${BASE}&hidden=16`);
  const before = await train(page, 20);
  const { gpu, limit, w, bytes } = await overLimit(page);
  const was = await runState(page);
  assert.equal(was.backend, 'webgpu');
  await page.evaluate((w) => { location.hash = location.hash.replace(/hidden=[^&]*/, `hidden=${w}`); }, w);
  await waitRefused(page);
  const s = await shown(page);
  const want = `output of fc1 on the training split (${TRAIN_ROWS}, ${w}) f32 needs ${bytes} bytes; this adapter's max_storage_buffer_binding_size is ${limit} (${gpu.name})`;
  assert.ok(s.message.includes(want), `${s.message}\nwants: ${want}`);
  assert.match(s.message, /lower the hidden widths, the batch size or the samples/);
  assert.match(s.message, /not applied \(hidden\)/);
  assert.equal(s.banner, '', 'a limit is not a GPU failure: no move to the CPU');
  assert.deepEqual([s.hidden, s.control, s.state], ['16', '16', '16'], 'the URL, the control and the state are back');
  assert.equal(s.invalid, 'true');
  assert.match(s.note, /not applied/);
  assert.deepEqual(await runState(page), was, 'the runs keep their steps and last records');
  assert.equal(was.summary, before.steps);
  const after = await train(page, Number(before.steps) + 20);
  assert.ok(Number(after.steps) >= Number(before.steps) + 20, 'training goes on from where it was');
  assert.equal((await runState(page)).backend, 'webgpu');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a width over the limit typed into the control while training is refused and the loop keeps running', async () => {
  const { page } = await openPage(env, `${BASE}&hidden=8`);
  const { w } = await overLimit(page);
  await page.click('#train-toggle');
  await page.waitForFunction(() => Number(document.getElementById('train-summary').dataset.steps) >= 10, null, { timeout: 60_000 });
  await page.fill('[data-key="hidden"]', String(w));
  await page.dispatchEvent('[data-key="hidden"]', 'change');
  await waitRefused(page);
  const at = await runState(page);
  assert.equal(at.running, true, 'the loop was not stopped');
  assert.ok(at.main >= 10);
  const s = await shown(page);
  assert.deepEqual([s.hidden, s.control], ['8', '8']);
  assert.ok(s.message.includes(`output of fc1 on the training split (${TRAIN_ROWS}, ${w}) f32 needs`), s.message);
  await page.waitForFunction((n) => Number(document.getElementById('train-summary').dataset.steps) >= n + 10, at.main, { timeout: 60_000 });
  await page.click('#train-toggle');
  const end = await runState(page);
  assert.equal(end.fp32, end.main, 'both runs stay in step');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('on the CPU, widths over the wasm32 host budget are refused by name and the runs are kept', async () => {
  const { page } = await openPage(env, '#backend=cpu&dataset=circle&hidden=8');
  const before = await train(page, 10);
  const was = await runState(page);
  await page.evaluate(() => { location.hash = location.hash.replace(/hidden=[^&]*/, 'hidden=8192%2C8192%2C8192'); });
  await waitRefused(page);
  const s = await shown(page);
  assert.match(s.message, /the host memory of this training session \(parameters, gradients, optimizer state, activations, datasets\) needs \d+ bytes; the host memory budget HOST_BUDGET_WASM32 is 1610612736 \(wasm32 addresses 4 GiB/, s.message);
  assert.deepEqual([s.hidden, s.control], ['8', '8']);
  assert.deepEqual(await runState(page), was);
  const after = await train(page, Number(before.steps) + 10);
  assert.ok(Number(after.steps) >= Number(before.steps) + 10);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a switch to a WebGPU device whose limits cannot hold the runs is refused by name; the CPU runs, URL and checkbox stay', async () => {
  // A device with WebGPU's default 128 MiB binding limit instead of the adapter's 1 GiB (the
  // browser enforces it, as on a smaller GPU; it raises any lower request to the default): the
  // evaluation output (40000, 1024) f32 = 163840000 bytes is over it, while the CPU's host
  // budget holds the whole session.
  const limit = 128 * 1024 * 1024;
  const { page } = await openPage(env, '#backend=cpu&dataset=spiral&samples=50000&ratio=0.8&batch=32&hidden=1024');
  await page.evaluate((l) => window.quantplay.engine.request('lowerGpuLimits', { limits: { maxStorageBufferBindingSize: l } }), limit);
  const before = await train(page, 10);
  const was = await runState(page);
  assert.equal(was.backend, 'cpu');
  await page.click('#use-gpu');
  await waitRefused(page);
  const s = await page.evaluate(() => ({
    message: document.getElementById('message').textContent,
    checked: document.getElementById('use-gpu').checked,
    url: new URLSearchParams(location.hash.slice(1)).get('backend'),
    state: window.quantplay.app.state.backend,
    active: window.quantplay.app.active,
  }));
  const want = `output of fc1 on the training split (${TRAIN_ROWS}, 1024) f32 needs ${TRAIN_ROWS * 1024 * 4} bytes; this adapter's max_storage_buffer_binding_size is ${limit}`;
  assert.ok(s.message.includes(want), `${s.message}\nwants: ${want}`);
  assert.match(s.message, /not applied \(backend\)/);
  assert.deepEqual([s.checked, s.url, s.state, s.active], [false, 'cpu', 'cpu', 'cpu'], 'the checkbox, URL and state are back on the CPU');
  assert.deepEqual(await runState(page), was, 'the CPU runs keep their steps and last records');
  const after = await train(page, Number(before.steps) + 10);
  assert.ok(Number(after.steps) >= Number(before.steps) + 10, 'training goes on on the CPU');
  assert.equal((await runState(page)).backend, 'cpu');

  // With the adapter's own limits the same switch goes through: the check refuses only what
  // does not fit.
  await page.evaluate(() => window.quantplay.engine.request('lowerGpuLimits', { limits: null }));
  await page.click('#use-gpu');
  await page.waitForFunction(() => window.quantplay.app.runner.backend === 'webgpu' && window.quantplay.app.runner.runs, null, { timeout: 60_000 });
  assert.equal(new URLSearchParams(await page.evaluate(() => location.hash.slice(1))).get('backend'), 'webgpu');
  assert.deepEqual(page.errors, []);
  await page.close();
});
