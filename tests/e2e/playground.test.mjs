// End-to-end: the real page in headless Chromium on its real WebGPU adapter (SwiftShader here).
// Backend panel, URL state (round-trip, bad hash), the CPU path with WebGPU off, the WebGPU-lost
// fallback, and the matmul check. Screenshots go to tests/artifacts/e2e/ (git-ignored).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ARTIFACTS, openBrowser, openPage, train, waitReady } from './browser.mjs';

let env;
before(async () => {
  env = await openBrowser();
});
after(async () => {
  await env?.close();
});

test('page loads, the backend panel shows SwiftShader and the effective precision, no console errors', async () => {
  const { page, ready } = await openPage(env);
  assert.equal(ready.state, 'ready', ready.status);
  assert.equal(ready.backend, 'webgpu', `expected WebGPU in Chromium with --enable-unsafe-webgpu:\n${ready.facts}`);
  assert.match(ready.facts, /swiftshader/i);
  assert.match(ready.facts, /shader-f16\s+(yes|no)/);
  assert.match(ready.facts, /packed int8 dot product\s+(yes|no)/);
  const eff = await page.textContent('#effective-precision');
  assert.match(eff, /Precision asked\s*16-mixed/);
  assert.match(eff, /Effective precision/);
  console.log(`page backend: ${ready.facts.split('\n').slice(0, 2).join(' ')}; ${eff}`);
  // every panel is there, with its teaching text
  for (const id of ['backend', 'data', 'model', 'training', 'f16', 'quant', 'trace']) {
    assert.ok((await page.textContent(`#${id}-panel .teach`)).length > 100, `${id} panel teaching text`);
  }
  assert.match(await page.textContent('#model-summary'), /Layers 2 → 16 → 16 → 2: 354 parameters/);
  await page.waitForSelector('#matmul-result[data-ok="true"]');
  await page.locator('#backend-panel').screenshot({ path: `${ARTIFACTS}/panel-backend.png` });
  await page.locator('#data-panel').screenshot({ path: `${ARTIFACTS}/panel-data.png` });
  await page.locator('#model-panel').screenshot({ path: `${ARTIFACTS}/panel-model.png` });
  await page.locator('#matmul-panel').screenshot({ path: `${ARTIFACTS}/panel-matmul.png` });
  // the layout also works narrow: nothing wider than the viewport
  await page.setViewportSize({ width: 420, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page is ${overflow}px wider than a 420px viewport`);
  await page.screenshot({ path: `${ARTIFACTS}/narrow.png` });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('URL round-trip restores the settings; a bad hash gives defaults and a message', async () => {
  const hash = '#backend=webgpu&dataset=xor&noise=0.2&ratio=0.6&seed=7&samples=200&hidden=8,4&precision=bf16-mixed&optimizer=sgd&lr=0.05&batch=16&init_scale=1024&growth_factor=4&growth_interval=10&backoff_factor=0.25&qconfig=qnnpack&observer=minmax&granularity=per-tensor&reduce_range=off&calib=50&fuse=0';
  const { page } = await openPage(env, hash);
  const values = () => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-key]')].map((el) => [el.dataset.key, el.type === 'checkbox' ? el.checked : el.value])));
  const want = { dataset: 'xor', noise: '0.2', ratio: '0.6', seed: '7', samples: '200', hidden: '8,4', precision: 'bf16-mixed', optimizer: 'sgd', lr: '0.05', batch: '16', init_scale: '1024', growth_factor: '4', growth_interval: '10', backoff_factor: '0.25', qconfig: 'qnnpack', observer: 'minmax', granularity: 'per-tensor', reduce_range: 'off', calib: '50', fuse: false };
  const got = await values();
  for (const [k, v] of Object.entries(want)) assert.equal(got[k], v, k);
  assert.match(await page.textContent('#data-summary'), /120 training and 80 test samples/);
  assert.match(await page.textContent('#model-summary'), /2 → 8 → 4 → 2/);
  // a change through the controls lands in the URL, and a reload restores it
  await page.selectOption('select[data-key=dataset]', 'circle');
  await page.fill('input[data-key=seed]', '11');
  await page.press('input[data-key=seed]', 'Tab');
  assert.match(page.url(), /dataset=circle/);
  assert.match(page.url(), /seed=11/);
  await page.reload();
  await waitReady(page);
  assert.equal(await page.inputValue('select[data-key=dataset]'), 'circle');
  assert.equal(await page.inputValue('input[data-key=seed]'), '11');
  assert.equal(await page.inputValue('input[data-key=hidden]'), '8,4');

  // a fresh load of a bad link (a same-page hash change is applied live: tests/e2e/url.test.mjs)
  await page.goto('about:blank');
  await page.goto(`${env.url}#dataset=moons&lr=abc&hidden=0&frob=1`);
  const bad = await waitReady(page);
  assert.match(bad.message, /dataset=moons is not one of circle, xor, gauss, spiral, digits/);
  assert.match(bad.message, /lr=abc is not a number/);
  assert.match(bad.message, /hidden=0 is not 1 to 4 comma-separated widths/);
  assert.match(bad.message, /unknown setting "frob"/);
  assert.equal(await page.inputValue('select[data-key=dataset]'), 'spiral');
  assert.equal(await page.inputValue('input[data-key=lr]'), '0.005');
  assert.match(page.url(), /dataset=spiral&noise=0.1/, 'the URL is rewritten to the defaults');
  await page.screenshot({ path: `${ARTIFACTS}/bad-hash.png` });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('backend names are the crate\'s: gpu is an alias of webgpu, cpu-reference trains on the oracle', async () => {
  const alias = await openPage(env, '#backend=gpu&dataset=circle');
  assert.equal(alias.ready.backend, 'webgpu', alias.ready.facts);
  await alias.page.close();
  const { page } = await openPage(env, '#backend=cpu-reference&dataset=circle&precision=16-mixed');
  const s = await train(page, 20);
  assert.ok(Number(s.steps) >= 20, s.text);
  const ran = await page.evaluate(() => window.quantplay.app.runner.call('main', (t) => t.backend()));
  assert.equal(ran, 'cpu-reference', 'the run says where it runs');
  await page.close();
});

test('with backend=cpu the page runs on the CPU, says why, and trains', async () => {
  const { page, ready } = await openPage(env, '#backend=cpu&dataset=circle&precision=16-mixed');
  assert.equal(ready.backend, 'cpu');
  assert.match(ready.facts, /Why not WebGPU\s+WebGPU unavailable: WebGPU turned off by the user/);
  assert.equal(await page.isChecked('#use-gpu'), false);
  const s = await train(page, 30);
  assert.ok(Number(s.steps) >= 30, s.text);
  assert.ok(Number(s.lastLoss) < Number(s.firstLoss), s.text);
  assert.equal(Number(s.scalePoints), Number(s.steps), 'a 16-mixed run logs a loss scale every step');
  await page.waitForSelector('#matmul-result[data-ok="cpu-only"]');
  await page.screenshot({ path: `${ARTIFACTS}/backend-cpu.png`, fullPage: true });
  // the switch in the Backend panel opens WebGPU, records it in the URL and starts a new run
  await page.check('#use-gpu');
  await page.waitForFunction(() => document.getElementById('backend-info').dataset.backend === 'webgpu' && document.getElementById('status').dataset.state === 'ready');
  assert.match(page.url(), /backend=webgpu/);
  await page.waitForFunction(() => document.getElementById('train-summary').dataset.steps === '0');
  assert.equal(await page.evaluate(() => window.quantplay.app.runner.call('main', (t) => t.backend())), 'webgpu');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('in a browser without WebGPU the page says so in a banner and trains on the CPU', async () => {
  const noGpu = await openBrowser({ webgpu: false });
  try {
    const { page, ready } = await openPage(noGpu, '#dataset=xor&hidden=8');
    assert.equal(ready.backend, 'cpu', ready.facts);
    assert.match(ready.facts, /Why not WebGPU\s+\S/);
    assert.match(await page.textContent('#banner'), /WebGPU is not available \(.+\); running on the CPU/);
    const s = await train(page, 20);
    assert.ok(Number(s.steps) >= 20, s.text);
    assert.match(await page.textContent('#effective-precision'), /Effective precision/);
    await page.screenshot({ path: `${ARTIFACTS}/no-webgpu.png` });
    assert.deepEqual(page.errors, []);
    await page.close();
  } finally {
    await noGpu.close();
  }
});

test('a lost WebGPU device moves both runs to the CPU from the last shown step, with a banner', async () => {
  const { page } = await openPage(env, '#dataset=gauss&hidden=8');
  const before = await train(page, 45);
  assert.equal(await page.evaluate(() => window.quantplay.destroyGpu()), 1, 'GPUDevice.destroy() on the worker\'s device');
  await page.click('#train-step');
  await page.waitForSelector('#banner:not([hidden])');
  const banner = await page.textContent('#banner');
  const m = banner.match(/continuing on the CPU from step (\d+)/);
  assert.ok(m, banner);
  assert.equal(Number(m[1]), Number(before.steps), `no step lost or redone: ${banner}`);
  assert.equal(await page.evaluate(() => document.getElementById('backend-info').dataset.backend), 'cpu');
  const after = await train(page, Number(m[1]) + 10);
  assert.ok(Number(after.steps) >= Number(m[1]) + 10, after.text);
  assert.equal(await page.evaluate(() => window.quantplay.app.runner.call('main', (t) => t.backend())), 'cpu');
  await page.screenshot({ path: `${ARTIFACTS}/gpu-lost-fallback.png` });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a matmul typed into the page agrees between CPU and WebGPU', async () => {
  const { page } = await openPage(env);
  await page.waitForSelector('#matmul-result[data-ok]');
  for (const [name, value] of Object.entries({ m: 37, k: 300, n: 21 })) {
    await page.fill(`#matmul-form input[name=${name}]`, String(value));
    await page.press(`#matmul-form input[name=${name}]`, 'Tab');
  }
  await page.evaluate(() => delete document.getElementById('matmul-result').dataset.ok);
  await page.click('#run-matmul');
  await page.waitForSelector('#matmul-result[data-ok]');
  const r = await page.evaluate(() => ({
    ok: document.getElementById('matmul-result').dataset.ok,
    verdict: document.getElementById('matmul-verdict').textContent,
    hash: location.hash,
  }));
  assert.equal(r.ok, 'true', r.verdict);
  assert.match(r.hash, /m=37&k=300&n=21/, 'the run is recorded in the URL');
  assert.deepEqual(page.errors, []);
  await page.close();
});

