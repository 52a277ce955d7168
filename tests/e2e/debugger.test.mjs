// End-to-end: the Quantize panel's numeric debugger. Trains the 32-true model, runs the
// sensitivity sweep on the page (one PTQ per layer with only that layer kept float) on digits
// (CPU) and spiral (WebGPU), and checks that the bars are sorted (largest gain first), that the
// chosen layer's activation histogram is drawn with its compare_model_outputs figures, and that
// "Keep these layers float" on the top layer re-converts to exactly the accuracy its bar said.
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

async function sweepThenKeepTop(page, name) {
  await page.click('#run-sweep');
  await page.waitForFunction(() => document.getElementById('sweep-chart').dataset.rows && !document.getElementById('run-sweep').disabled, null, { timeout: 180_000, polling: 200 });
  const rows = JSON.parse(await page.getAttribute('#sweep-chart', 'data-rows'));
  const base = await page.evaluate(() => ({ ...document.getElementById('quant-result').dataset }));
  console.log(`${name} sweep (fully int8 ${base.int8}, float ${base.float}): ${rows.map((r) => `${r.name} ${r.accuracy} (${r.gain >= 0 ? '+' : ''}${r.gain.toFixed(4)})`).join(', ')}`);
  assert.ok(rows.length >= 2, `one bar per quantized layer: ${JSON.stringify(rows)}`);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1].gain >= rows[i].gain, `sorted by gain: ${JSON.stringify(rows)}`);
  for (const r of rows) assert.ok(Math.abs(r.accuracy - Number(base.int8) - r.gain) < 1e-12, `gain is measured from the fully int8 model: ${JSON.stringify(r)}`);
  // the top layer is ticked, the others not
  assert.deepEqual(await page.$$eval('#keep-float-layers input:checked', (els) => els.map((e) => e.value)), [rows[0].name]);
  // the chosen layer's activations, with compare_model_outputs' figures in the note
  assert.equal(await page.getAttribute('#debug-act-hist', 'data-layer'), rows[0].name);
  assert.match(await page.getAttribute('#debug-act-hist', 'data-note'), /SQNR .* dB.*cosine/);
  await page.selectOption('#debug-layer', rows.at(-1).name);
  assert.equal(await page.getAttribute('#debug-act-hist', 'data-layer'), rows.at(-1).name);

  await page.click('#run-keep-float');
  await page.waitForSelector('#keep-float-result[data-done]', { timeout: 120_000 });
  const k = await page.evaluate(() => ({ ...document.getElementById('keep-float-result').dataset, text: document.getElementById('keep-float-result').textContent }));
  console.log(`${name} keep float: ${k.text}`);
  assert.equal(k.layers, rows[0].name);
  assert.equal(Number(k.accuracy), rows[0].accuracy, `keep-float accuracy equals the sweep's bar: ${k.text}`);
  assert.equal(Number(k.change), rows[0].gain, k.text);
  assert.equal(Number(k.int8), Number(base.int8), k.text);
  const after = await page.evaluate(() => ({ ...document.getElementById('quant-result').dataset }));
  assert.equal(Number(after.int8), rows[0].accuracy, 'the panel\'s report is the re-converted model');
  // the sweep's bars stay after keep-float
  assert.deepEqual(JSON.parse(await page.getAttribute('#sweep-chart', 'data-rows')), rows);
  // a kept-float layer has no quantized output to show, and the panel says so
  await page.selectOption('#debug-layer', rows[0].name);
  assert.match(await page.getAttribute('#debug-act-hist', 'data-empty'), /kept float/);
  await page.locator('#quant-panel').screenshot({ path: `${ARTIFACTS}/panel-debugger-${name}.png` });
  assert.deepEqual(page.errors, []);
}

test('the sensitivity sweep on digits (CPU) is sorted and keeping its top layer float gives its accuracy', async () => {
  const { page } = await openPage(env, '#backend=cpu&dataset=digits&hidden=32,16&precision=16-mixed&lr=0.01&seed=1&calib=64&qconfig=qnnpack&granularity=per-tensor');
  await train(page, Number(process.env.QP_DIGITS_STEPS || 150), 180_000);
  await sweepThenKeepTop(page, 'digits');
  await page.close();
});

test('the sensitivity sweep on spiral (WebGPU) is sorted and keeping its top layer float gives its accuracy', async () => {
  const { page } = await openPage(env, '#dataset=spiral&hidden=16,16&precision=16-mixed&lr=0.03&seed=1&calib=4&qconfig=qnnpack&granularity=per-tensor');
  await train(page, Number(process.env.QP_SPIRAL_STEPS || 300), 180_000);
  await sweepThenKeepTop(page, 'spiral');
  await page.close();
});
