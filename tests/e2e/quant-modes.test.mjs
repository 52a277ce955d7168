// End-to-end: the Quantize panel's mode switch (static PTQ / dynamic / QAT fine-tune of the
// 32-true run). On WebGPU and on the CPU: trains a little, picks each mode in the select, checks
// that the URL keeps the mode (and survives a reload), that only the mode's controls show, that
// dynamic reports float vs int8 accuracy with no calibration and one row per Linear, and that QAT
// reports its steps' losses and a converted model's accuracy. Saves a panel screenshot per mode.
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

/** Picks `mode` in the select and waits until the panel shows its controls. */
async function pick(page, mode) {
  await page.selectOption('select[data-key=qmode]', mode);
  await page.waitForFunction((m) => document.getElementById('quant-panel').dataset.mode === m, mode);
}

/** Picks `mode`, presses Quantize and returns the result's data and text. */
async function runMode(page, mode) {
  await pick(page, mode);
  await page.click('#run-quant');
  await page.waitForFunction(() => {
    const el = document.getElementById('quant-result');
    return el.dataset.done || /failed/.test(el.textContent);
  }, null, { timeout: 120_000 });
  return page.evaluate(() => ({
    ...document.getElementById('quant-result').dataset,
    text: document.getElementById('quant-result').textContent,
    hash: location.hash,
    visible: [...document.querySelectorAll('#quant-panel label[data-qmode]')].filter((l) => !l.hidden).map((l) => l.querySelector('[data-key]').dataset.key),
    layers: [...document.querySelectorAll('#weight-layer option')].map((o) => o.value),
    debugger: !document.getElementById('debugger-block').hidden,
  }));
}

async function modes(hash, backend) {
  const { page } = await openPage(env, hash);
  await train(page, 60, 120_000);
  const dyn = await runMode(page, 'dynamic');
  assert.equal(dyn.done, 'true', dyn.text);
  assert.match(dyn.hash, /qmode=dynamic/);
  assert.match(dyn.text, /Dynamic quantization/);
  assert.match(dyn.text, /Test accuracy: float [\d.]+ %, int8 [\d.]+ %/, 'dynamic reports float vs int8 accuracy');
  assert.ok(Number(dyn.float) >= 0 && Number(dyn.int8) >= 0 && Number(dyn.agreement) >= 0.5, dyn.text);
  assert.deepEqual(dyn.layers, ['fc1', 'fc2', 'fc3'], 'one row per dynamic Linear');
  assert.ok(!dyn.visible.includes('calib') && !dyn.visible.includes('observer'), `dynamic needs no calibration: ${dyn.visible}`);
  assert.equal(dyn.debugger, false, 'the numeric debugger (static PTQ only) is hidden in dynamic mode');
  await page.locator('#quant-panel').screenshot({ path: `${ARTIFACTS}/panel-quantize-dynamic-${backend}.png` });

  await pick(page, 'qat');
  await page.fill('input[data-key=qat_steps]', '12');
  await page.press('input[data-key=qat_steps]', 'Tab');
  const qat = await runMode(page, 'qat');
  assert.equal(qat.done, 'true', qat.text);
  assert.match(qat.hash, /qmode=qat/);
  assert.match(qat.hash, /qat_steps=12/);
  assert.match(qat.text, /QAT: 12 SGD steps/);
  assert.match(qat.text, /Test accuracy: float/);
  assert.ok(qat.visible.includes('qat_steps') && !qat.visible.includes('calib'), `${qat.visible}`);
  assert.equal(qat.debugger, false, 'the numeric debugger is hidden in QAT mode');
  assert.deepEqual(qat.layers, ['fc1', 'fc2', 'fc3']);
  await page.locator('#quant-panel').screenshot({ path: `${ARTIFACTS}/panel-quantize-qat-${backend}.png` });

  // The mode is in the URL: a reload comes back in QAT mode with the QAT controls showing.
  await page.reload();
  await page.waitForSelector('#train-summary[data-steps]', { timeout: 60_000 });
  assert.equal(await page.inputValue('select[data-key=qmode]'), 'qat');
  assert.equal(await page.isVisible('input[data-key=qat_steps]'), true);
  assert.equal(await page.isVisible('input[data-key=calib]'), false);
  await train(page, 60, 120_000);
  const st = await runMode(page, 'static');
  assert.equal(st.done, 'true', st.text);
  assert.match(st.hash, /qmode=static/);
  assert.match(st.text, /Calibrated on/);
  assert.ok(st.visible.includes('calib'));
  assert.equal(st.debugger, true, 'the numeric debugger shows for static PTQ');
  console.log(`${backend}: dynamic float ${dyn.float} int8 ${dyn.int8}; qat float ${qat.float} int8 ${qat.int8}; static int8 ${st.int8}`);
  assert.deepEqual(page.errors, []);
  await page.close();
}

test('the quantize modes on WebGPU: dynamic, QAT and static each report, and the URL keeps the mode', async () => {
  await modes('#dataset=spiral&hidden=16,16&precision=16-mixed&lr=0.03&seed=1', 'webgpu');
});

test('the quantize modes on the CPU: dynamic, QAT and static each report, and the URL keeps the mode', async () => {
  await modes('#backend=cpu&dataset=circle&hidden=16,16&precision=16-mixed&lr=0.03&seed=2', 'cpu');
});
