// End-to-end: the Training, f16 range and Autocast trace panels on WebGPU (SwiftShader). A
// 16-mixed run beside 32-true makes the loss fall and logs a loss scale every step; an injected
// overflow is skipped and halves the scale; repeated overflows raise the alarm below 1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ARTIFACTS, openBrowser, openPage, train, trainSummary } from './browser.mjs';

let env;
before(async () => {
  env = await openBrowser();
});
after(async () => {
  await env?.close();
});

test('16-mixed training: the loss falls, the scale timeline has points and grows, f16 line and trace fill', async () => {
  const { page } = await openPage(env, '#dataset=circle&hidden=8,8&precision=16-mixed&growth_interval=20&seed=3');
  const s = await train(page, 60);
  assert.ok(Number(s.steps) >= 60, s.text);
  assert.ok(Number(s.lastLoss) < 0.8 * Number(s.firstLoss), `loss did not fall: ${s.text}`);
  assert.equal(Number(s.scalePoints), Number(s.steps), 'one loss-scale point per step');
  // growth_interval 20: the scale doubles after 20 clean steps (the ramp); it may then overflow
  // for real and back off, which is the scaler doing its job.
  assert.ok(Number(s.maxScale) >= 65536 * 2, `after ${s.steps} steps with growth_interval 20 the scale grew: ${s.text}`);
  await page.waitForFunction(() => Number(document.getElementById('f16-summary').dataset.values) > 0);
  assert.match(await page.textContent('#f16-summary'), /Times s = \d+/);
  await page.waitForFunction(() => Number(document.getElementById('trace-table').dataset.ops) > 0);
  const trace = await page.textContent('#trace-table');
  assert.match(trace, /float16/, 'autocast runs some ops in f16');
  assert.match(trace, /cross_entropy\s*loss\s*float16\s*float32/, 'cross-entropy takes f16 logits and computes in f32');
  assert.match(await page.textContent('#memory-table'), /16-mixed.*B weights/);
  await page.locator('#training-panel').screenshot({ path: `${ARTIFACTS}/panel-training.png` });
  await page.locator('#f16-panel').screenshot({ path: `${ARTIFACTS}/panel-f16.png` });
  await page.locator('#trace-panel').screenshot({ path: `${ARTIFACTS}/panel-trace.png` });
  await page.locator('#data-panel').screenshot({ path: `${ARTIFACTS}/panel-data-trained.png` });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('an injected overflow is skipped, marked, and halves the scale; scale below 1 raises the alarm', async () => {
  const { page } = await openPage(env, '#dataset=xor&hidden=8&precision=16-mixed&init_scale=4&growth_interval=1000');
  await train(page, 5);
  assert.equal(await page.isHidden('#scale-alarm'), true);
  await page.click('#inject-overflow');
  await page.waitForFunction(() => Number(document.getElementById('train-summary').dataset.skipped) >= 1);
  await page.click('#train-step');
  await page.waitForFunction(() => document.getElementById('train-summary').dataset.skipScaleAfter !== '');
  let s = await trainSummary(page);
  assert.equal(Number(s.skipped), 1, s.text);
  assert.equal(Number(s.skipScaleBefore), 4, s.text);
  assert.equal(Number(s.skipScaleAfter), 2, `the scale halves after the skip: ${s.text}`);
  assert.match(s.text, /skipped steps: 1/);
  for (let i = 0; i < 3; i++) {
    await page.click('#inject-overflow');
    await page.waitForFunction((n) => Number(document.getElementById('train-summary').dataset.skipped) >= n, i + 2);
  }
  const steps = Number((await trainSummary(page)).steps);
  await page.focus('#train-step'); // the controls are keyboard-usable: Enter on a focused button
  await page.keyboard.press('Enter');
  await page.waitForFunction((n) => Number(document.getElementById('train-summary').dataset.steps) > n, steps);
  s = await trainSummary(page);
  assert.equal(Number(s.scale), 0.25, s.text);
  await page.waitForSelector('#scale-alarm:not([hidden])');
  await page.locator('#training-panel').screenshot({ path: `${ARTIFACTS}/panel-training-overflow.png` });
  assert.deepEqual(page.errors, []);
  await page.close();
});
