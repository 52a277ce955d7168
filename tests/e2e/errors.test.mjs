// End-to-end: the backend rule of crate/src/backend/kind.rs on the page. An argument error (a
// calibration size larger than the training set) is shown as that error and changes nothing:
// no banner, no move to the CPU, no rollback, and every indicator still says WebGPU. A device
// error (a real device loss: GPUDevice.destroy() on the worker's device) moves both runs to the CPU, and then every
// indicator says CPU: the banner, the Backend panel, the status line, the WebGPU switch, the URL
// and the matmul check.
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

/** Everything on the page that says where the work runs. */
const indicators = (page) => page.evaluate(async () => ({
  banner: document.getElementById('banner').hidden ? '' : document.getElementById('banner').textContent,
  panel: document.getElementById('backend-info').dataset.backend,
  status: document.getElementById('status').textContent,
  checkbox: document.getElementById('use-gpu').checked,
  hash: new URLSearchParams(location.hash.slice(1)).get('backend'),
  runner: window.quantplay.app.runner.backend,
  trainer: await window.quantplay.app.runner.call('main', (t) => t.backend()),
}));

test('a calibration size larger than the training set is an error, not a GPU failure, and changes nothing', async () => {
  const { page } = await openPage(env, '#backend=webgpu&dataset=spiral&samples=400&ratio=0.8&hidden=8&calib=2000');
  const before = await train(page, 30);
  const was = await indicators(page);
  assert.equal(was.trainer, 'webgpu', JSON.stringify(was));
  await page.click('#run-quant');
  await page.waitForFunction(() => /Quantize failed/.test(document.getElementById('quant-result').textContent), null, { timeout: 60_000 });
  const text = await page.textContent('#quant-result');
  assert.match(text, /calib_size/, text);
  assert.match(text, /2000/, `the error names the bad value: ${text}`);
  assert.doesNotMatch(text, /WebGPU failed|GPU/i, `an argument error is not reported as a GPU failure: ${text}`);
  const now = await indicators(page);
  assert.deepEqual(now, was, 'nothing moved to the CPU');
  assert.equal(now.banner, '');
  const after = await page.evaluate(() => document.getElementById('train-summary').dataset.steps);
  assert.equal(after, before.steps, 'no rollback to a snapshot');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('after a device error (the GPU device destroyed) every indicator says CPU', async () => {
  const { page, ready } = await openPage(env, '#backend=webgpu&dataset=gauss&hidden=8');
  assert.equal(ready.backend, 'webgpu', ready.facts);
  await train(page, 45);
  assert.equal(await page.evaluate(() => window.quantplay.destroyGpu()), 1);
  await page.click('#train-step');
  await page.waitForSelector('#banner:not([hidden])');
  await page.waitForFunction(() => document.getElementById('backend-info').dataset.backend === 'cpu');
  const now = await indicators(page);
  assert.match(now.banner, /WebGPU failed .*continuing on the CPU/, now.banner);
  assert.equal(now.panel, 'cpu');
  assert.match(now.status, /Backend: CPU/, `the status line: ${now.status}`);
  assert.equal(now.checkbox, false, 'the WebGPU switch is off');
  assert.equal(now.hash, 'cpu', 'the URL says cpu, so a reload opens what runs');
  assert.equal(now.runner, 'cpu');
  assert.equal(now.trainer, 'cpu');
  // the matmul check no longer claims a WebGPU side
  await page.evaluate(() => delete document.getElementById('matmul-result').dataset.ok);
  await page.click('#run-matmul');
  await page.waitForSelector('#matmul-result[data-ok]');
  assert.equal(await page.getAttribute('#matmul-result', 'data-ok'), 'cpu-only');
  assert.deepEqual(page.errors, []);
  await page.close();
});
