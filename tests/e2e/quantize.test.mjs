// End-to-end: the Quantize panel. Trains the 32-true model long enough to be sensible, runs
// post-training static quantization through the page, and checks that int8 accuracy is within 2
// points of float on spiral (WebGPU) and digits (CPU), with SQNR bars, histograms and the
// observer table drawn. Saves the panel and a full-page screenshot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ARTIFACTS, openBrowser, openPage, train } from './browser.mjs';

let env;
before(async () => {
  env = await openBrowser();
});
after(async () => {
  await env?.close();
});

async function quantize(page) {
  await page.click('#run-quant');
  await page.waitForSelector('#quant-result[data-done]', { timeout: 120_000 });
  const r = await page.evaluate(() => ({ ...document.getElementById('quant-result').dataset, text: document.getElementById('quant-result').textContent }));
  assert.ok(r.float !== undefined, r.text);
  return r;
}

test('quantize on spiral (WebGPU): int8 within 2 points of float', async () => {
  const { page } = await openPage(env, '#dataset=spiral&hidden=16,16&precision=16-mixed&lr=0.03&seed=1&calib=128');
  const s = await train(page, Number(process.env.QP_SPIRAL_STEPS || 400), 180_000);
  const r = await quantize(page);
  console.log(`spiral after ${s.steps} steps: float ${r.float}, int8 ${r.int8}, agreement ${r.agreement}`);
  assert.ok(Number(r.float) >= 0.8, `float model is sensible: ${r.text}`);
  assert.ok(Math.abs(Number(r.int8) - Number(r.float)) <= 0.02, r.text);
  const observers = await page.locator('#observer-table tr').count();
  assert.ok(observers >= 4, 'one row per observer kind and module');
  assert.match(await page.textContent('#observer-table'), /MinMax/);
  assert.match(await page.textContent('#observer-table'), /Histogram/);
  assert.ok((await page.locator('#weight-layer option').count()) >= 3);
  await page.locator('#quant-panel').screenshot({ path: `${ARTIFACTS}/panel-quantize.png` });
  await page.screenshot({ path: `${ARTIFACTS}/playground-full.png`, fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('quantize on digits (CPU): int8 within 2 points of float', async () => {
  const { page } = await openPage(env, '#backend=cpu&dataset=digits&hidden=32&precision=16-mixed&lr=0.01&seed=1&calib=256&qconfig=fbgemm');
  const s = await train(page, Number(process.env.QP_DIGITS_STEPS || 200), 180_000);
  // an error from the core is shown as a readable message in the panel
  await page.fill('input[data-key=calib]', '2000');
  await page.press('input[data-key=calib]', 'Tab');
  await page.click('#run-quant');
  await page.waitForFunction(() => /Quantize failed/.test(document.getElementById('quant-result').textContent));
  assert.match(await page.textContent('#quant-result'), /calib_size.*1\.\.=1438/);
  await page.fill('input[data-key=calib]', '256');
  await page.press('input[data-key=calib]', 'Tab');
  const r = await quantize(page);
  console.log(`digits after ${s.steps} steps: float ${r.float}, int8 ${r.int8}, agreement ${r.agreement}`);
  assert.ok(Number(r.float) >= 0.85, `float model is sensible: ${r.text}`);
  assert.ok(Math.abs(Number(r.int8) - Number(r.float)) <= 0.02, r.text);
  assert.match(await page.textContent('#data-summary'), /64-D inputs/);
  await page.locator('#quant-panel').screenshot({ path: `${ARTIFACTS}/panel-quantize-digits.png` });
  assert.deepEqual(page.errors, []);
  await page.close();
});
