// End-to-end: the real page in headless Chromium on its real WebGPU adapter (SwiftShader here).
// Loads the wasm, reads the backend the page reports, runs matmuls through the page and checks
// the results, and saves screenshots under tests/artifacts/e2e/ (git-ignored).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ARTIFACTS, newPage, openBrowser, waitReady } from './browser.mjs';

let env;
before(async () => {
  env = await openBrowser();
});
after(async () => {
  await env?.close();
});

test('page loads the wasm and reports the WebGPU adapter it uses', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.url);
  const ready = await waitReady(page);
  assert.equal(ready.state, 'ready', ready.status);
  assert.equal(ready.backend, 'webgpu', `expected WebGPU in Chromium with --enable-unsafe-webgpu:\n${ready.facts}`);
  assert.match(ready.facts, /swiftshader/i);
  assert.match(ready.facts, /shader-f16\s+(yes|no)/);
  assert.match(ready.facts, /packed int8 dot product\s+(yes|no)/);
  console.log(`page backend: ${ready.facts.split("\n").slice(0, 2).join(" ")}`);
  await page.screenshot({ path: `${ARTIFACTS}/backend-webgpu.png`, fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a matmul typed into the page agrees between CPU and WebGPU', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.url);
  await waitReady(page);
  // The page runs the URL's matmul on load; wait for it, then run a ragged one from the form.
  await page.waitForSelector('#matmul-result[data-ok]');
  for (const [name, value] of Object.entries({ m: 37, k: 300, n: 21, seed: 5 })) {
    await page.fill(`#matmul-form input[name=${name}]`, String(value));
  }
  await page.evaluate(() => delete document.getElementById('matmul-result').dataset.ok);
  await page.click('#run-matmul');
  await page.waitForSelector('#matmul-result[data-ok]');
  const r = await page.evaluate(() => ({
    ok: document.getElementById('matmul-result').dataset.ok,
    maxAbsDiff: Number(document.getElementById('matmul-result').dataset.maxAbsDiff),
    verdict: document.getElementById('matmul-verdict').textContent,
    hash: location.hash,
  }));
  assert.equal(r.ok, 'true', r.verdict);
  assert.match(r.verdict, /^Agree/);
  assert.ok(r.maxAbsDiff >= 0 && r.maxAbsDiff <= 1e-4 + 1e-5 * 300, `max |diff| ${r.maxAbsDiff}`);
  assert.match(r.hash, /m=37&k=300&n=21&seed=5/, 'the run is recorded in the URL');
  await page.screenshot({ path: `${ARTIFACTS}/matmul-agree.png`, fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the page computes a known product on the GPU through its wasm handle', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.url);
  await waitReady(page);
  const out = await page.evaluate(async () => {
    const { playground } = window.quantplay;
    return Array.from(await playground.matmul('webgpu', [1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12], 2, 3, 2));
  });
  assert.deepEqual(out, [58, 64, 139, 154]);
  const err = await page.evaluate(async () => {
    try {
      await window.quantplay.playground.matmul('webgpu', [1, 2, 3], [1, 2], 1, 3, 1);
      return null;
    } catch (e) {
      return e.message;
    }
  });
  assert.match(err, /upload: shape \(3, 1\) needs 3 values, got 2/);
  await page.close();
});

test('a URL with backend=cpu restores the CPU with its reason, and a bad hash gives defaults and a message', async () => {
  const page = await newPage(env.browser);
  await page.goto(`${env.url}#backend=cpu&m=8&k=9&n=10&seed=3`);
  const ready = await waitReady(page);
  assert.equal(ready.backend, 'cpu');
  assert.match(ready.facts, /Why not WebGPU\s+WebGPU unavailable: WebGPU turned off by the user/);
  assert.equal(await page.inputValue('#matmul-form input[name=k]'), '9');
  await page.waitForSelector('#matmul-result[data-ok="cpu-only"]');
  await page.screenshot({ path: `${ARTIFACTS}/backend-cpu.png`, fullPage: true });

  await page.goto(`${env.url}#m=banana&frob=1`);
  await page.reload();
  const bad = await waitReady(page);
  assert.match(bad.message, /m=banana is not an integer in 1\.\.2048/);
  assert.match(bad.message, /unknown setting "frob"/);
  assert.equal(await page.inputValue('#matmul-form input[name=m]'), '256');
  assert.equal(bad.backend, 'webgpu');
  assert.deepEqual(page.errors, []);
  await page.close();
});
