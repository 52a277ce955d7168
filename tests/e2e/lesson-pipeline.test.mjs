// Lesson 8 (lessons/pipeline.html): loads with no console error on WebGPU and with WebGPU off;
// trains, quantizes and sweeps in the page; its exercises check right and wrong answers; a
// change of the calibration set and of the kept layer moves the numbers as the library says;
// the page's command prints the same numbers, and `--out` writes the same bytes as the page's
// download; the print views are made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBrowser } from './browser.mjs';
import { checkCliAgrees, checkExercise, openLesson, printViews, runCli, widgetOutput } from './lessons-kit.mjs';

/** FNV-1a 64 of `bytes`, hex (as app::lessons::pipeline::fnv1a). */
function fnv1a(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

for (const webgpu of [true, false]) {
  test(`lesson pipeline loads without console errors (${webgpu ? 'WebGPU' : 'WebGPU off'})`, async () => {
    const env = await openBrowser({ webgpu });
    try {
      const page = await openLesson(env, 'pipeline.html', '#steps=60');
      assert.deepEqual(page.errors, []);
    } finally {
      await env.close();
    }
  });
}

let env;
before(async () => (env = await openBrowser()));
after(async () => env?.close());

/** Sets the form's fields and presses Run; resolves to the new output. */
async function rerun(page, fields) {
  const before = (await widgetOutput(page)).text;
  for (const [id, v] of Object.entries(fields)) {
    if (await page.$eval(`#${id}`, (el) => el.tagName === 'SELECT')) await page.selectOption(`#${id}`, String(v));
    else await page.fill(`#${id}`, String(v));
  }
  await page.click('#run');
  await page.waitForFunction((t) => document.getElementById('lesson-command').textContent !== t || document.getElementById('widget-error').hidden === false, before, { timeout: 60_000 });
  return (await widgetOutput(page)).output;
}

test('lesson pipeline: training, the sweep, the exercises, the download and the command agree', async () => {
  const page = await openLesson(env, 'pipeline.html', '#hidden=32,32&precision=16-mixed&steps=300&lr=0.01&seed=1&calib=8&qconfig=x86&keep_float=auto');
  const { output: out } = await widgetOutput(page);
  assert.equal(out.steps.length, 300);
  assert.equal(out.precision, '16-mixed');
  assert.ok(out.steps.every((s) => s.loss_scale !== null), '16-mixed has a loss scale at every step');
  assert.ok(out.float_accuracy > 0.9, `the float MLP learns the digits: ${out.float_accuracy}`);
  // The sweep is sorted by gain and `auto` keeps its first layer only when it helps.
  const gains = out.sweep.map((r) => r.gain);
  assert.deepEqual([...gains].sort((a, b) => b - a), gains);
  assert.equal(out.kept_float, gains[0] > 0 ? out.sweep[0].layer : null);
  for (const r of out.sweep) assert.ok(Math.abs(r.gain - (r.accuracy - out.int8_accuracy)) < 1e-12, r.layer);
  const correct = Math.round(out.int8_accuracy * out.test_samples);
  await checkExercise(page, 'correct', correct, correct + 1);
  // The gain exercise names the sweep's last layer (the worked example does the first) and asks
  // for its images right; the choice asks whether the best gain is more than one image.
  const images = (a) => Math.round(a * out.test_samples);
  const last = out.sweep[out.sweep.length - 1];
  assert.equal(await page.textContent('#ex-gain-layer'), last.layer);
  await checkExercise(page, 'gain', images(last.accuracy), images(last.accuracy) + 1);
  const best = images(out.sweep[0].accuracy) - correct > 1 ? 1 : 0;
  await checkExercise(page, 'calib', best, 1 - best);
  // The keep-float menu lists the layers in model order, the summary shows accuracies as %.
  const options = await page.$$eval('#keep_float option', (els) => els.map((e) => e.textContent));
  assert.deepEqual(options, ['auto', 'none', ...out.sweep.map((r) => r.layer).sort()]);
  assert.equal(await page.textContent('[data-cli^="int8_accuracy "]'), `${(out.int8_accuracy * 100).toFixed(2)} %`);
  await checkCliAgrees(page);

  // The download is the file `--out` writes.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const bytes = readFileSync(await download.path());
  assert.equal(bytes.length, out.int8_file_bytes);
  assert.equal(fnv1a(bytes), out.int8_file_fnv1a);
  const dir = mkdtempSync(join(tmpdir(), 'quantplay-lesson-'));
  const { argv } = await widgetOutput(page);
  runCli([...argv, `--out=${join(dir, 'model.int8.safetensors')}`]);
  assert.deepEqual(readFileSync(join(dir, 'model.int8.safetensors')), bytes);

  // Keeping nothing float: the final accuracy is the all-int8 one, and the file has int8 weights
  // in every Linear.
  const none = await rerun(page, { keep_float: 'none' });
  assert.equal(none.kept_float, null);
  assert.equal(none.final_accuracy, none.int8_accuracy);
  assert.ok(none.int8_file_bytes < out.int8_file_bytes || out.kept_float === null, 'a float layer costs bytes');
  // 32-true trains without a GradScaler.
  const fp32 = await rerun(page, { precision: '32-true', keep_float: 'auto', steps: 100 });
  assert.ok(fp32.steps.every((s) => s.loss_scale === null && !s.skipped));
  assert.match(await page.evaluate(() => location.hash), /precision=32-true/);
  await checkCliAgrees(page);

  // A bad width names itself and keeps the last run.
  await rerun(page, { hidden: '32,0' });
  assert.match(await page.textContent('#widget-error'), /hidden/);
  assert.deepEqual(page.errors, []);
  await printViews(page, 'pipeline');
});
