// Lesson 4 (lessons/integer.html): loads with no console error on WebGPU and with WebGPU off;
// each exercise checks a wrong and a right answer against the library's numbers; the controls
// (sizes, per-channel, the element, a click on the grid) move the numbers as the formulas say
// (acc = Σ (x_q − x_zp)(w_q − w_zp); M = s_x·s_w / s_y and y_q = clamp(rint((acc + bias_q)·M) +
// y_zp, 0, 255) in f32 via Math.fround); the page's command prints the same numbers at two
// settings; the print views are made. The codes themselves are pinned against torch's
// nnq.Linear in the lesson's Rust test (tests/fixtures/lessons_integer.json).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser } from './browser.mjs';
import { checkCliAgrees, checkExercise, openLesson, printViews, runCli, widgetOutput } from './lessons-kit.mjs';

const f = Math.fround;
/** The output with every number read back as the f32 the library computed (JSON holds the
 * shortest decimal, which JS reads as the nearest f64): formulas below then round like f32. */
const f32s = (v) => (typeof v === 'number' ? f(v) : Array.isArray(v) ? v.map(f32s) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, f32s(x)])) : v);
/** Round half to even (nearbyint in the default mode). */
const rint = (v) => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));

for (const webgpu of [true, false]) {
  test(`lesson integer loads without console errors (${webgpu ? 'WebGPU' : 'WebGPU off'})`, async () => {
    const env = await openBrowser({ webgpu });
    try {
      const page = await openLesson(env, 'integer.html');
      assert.deepEqual(page.errors, []);
    } finally {
      await env.close();
    }
  });
}

let env;
before(async () => (env = await openBrowser()));
after(async () => env?.close());

function checkFormulas(out, k, n) {
  const o = f32s(out);
  const e = o.element;
  assert.equal(e.x_codes.length, k);
  assert.equal(o.w_scales.length, o.weight_qscheme === 'per_channel_symmetric' ? n : 1);
  const acc = e.x_codes.reduce((s, x, p) => s + (x - o.x_zero_point) * (e.w_codes[p] - e.w_zero_point), 0);
  assert.equal(e.acc, acc, 'acc = Σ (x_q − x_zp)(w_q − w_zp)');
  assert.equal(e.acc, e.sum_xw - e.w_zero_point * e.sum_x - o.x_zero_point * e.sum_w + k * o.x_zero_point * e.w_zero_point);
  assert.equal(e.act_scale, f(o.x_scale * e.w_scale));
  assert.equal(e.multiplier, f(e.act_scale / o.y_scale), 'M = s_x·s_w / s_y');
  const scaled = f(f(e.acc + e.bias_q) * e.multiplier);
  assert.equal(e.scaled, scaled);
  assert.equal(e.code, Math.min(255, Math.max(0, rint(scaled) + o.y_zero_point)), 'y_q');
  assert.equal(e.code, e.backend_code, 'one element = the whole quantized Linear');
  assert.ok(Math.abs(e.code - e.float_code) <= 1, `integer ${e.code} vs float ${e.float_code}`);
}

test('lesson integer: the exercises, the controls and the command agree with the library', async () => {
  const page = await openLesson(env, 'integer.html', '#seed=0&batch=2&in_features=8&out_features=4&per_channel=0&row=0&col=0');
  const first = (await widgetOutput(page)).output;
  checkFormulas(first, 8, 4);
  assert.equal(await page.getAttribute('#terms-chart', 'data-sum'), String(first.element.acc));
  const e = first.element;
  // The exercises ask about the next element, (1, 1), not the worked one (the native CLI's
  // numbers for it); the multiplier one with per-channel scales.
  const cli = (args) => JSON.parse(runCli(['lesson', 'integer', '--seed=0', '--batch=2', ...args, '--json'])).element;
  const a = cli(['--in-features=8', '--out-features=4', '--row=1', '--col=1']);
  const apc = cli(['--in-features=8', '--out-features=4', '--per-channel', '--row=1', '--col=1']);
  assert.notEqual(a.acc, e.acc);
  await checkExercise(page, 'acc', a.acc, a.acc + 1);
  assert.notEqual(apc.multiplier, e.multiplier, 'column 1 has its own scale');
  await checkExercise(page, 'multiplier', apc.multiplier, apc.multiplier * 1.5 + 1e-6);
  await checkExercise(page, 'code', a.scaled, a.scaled + 0.5);
  const [lo, hi] = (await page.getAttribute('#terms-chart', 'data-range')).split(',').map(Number);
  const terms = e.x_codes.map((x, p) => (x - first.x_zero_point) * (e.w_codes[p] - e.w_zero_point));
  assert.deepEqual([lo, hi], [Math.min(0, ...terms), Math.max(0, ...terms)], 'the y range is the terms’ own');
  await checkCliAgrees(page);

  // Click another output code: the element follows, the URL keeps it.
  await page.click('#grid td[data-row="1"][data-col="3"]');
  const clicked = (await widgetOutput(page)).output;
  assert.equal(clicked.element.code, clicked.codes[1 * 4 + 3]);
  assert.notDeepEqual(clicked.element.w_codes, e.w_codes);
  assert.match(await page.evaluate(() => location.hash), /row=1&col=3/);
  checkFormulas(clicked, 8, 4);

  // Per-channel scales, more features.
  await page.check('#per_channel');
  await page.fill('#in_features', '20');
  await page.dispatchEvent('#in_features', 'change');
  await page.fill('#out_features', '6');
  await page.dispatchEvent('#out_features', 'change');
  const pc = (await widgetOutput(page)).output;
  assert.equal(pc.weight_qscheme, 'per_channel_symmetric');
  checkFormulas(pc, 20, 6);
  assert.equal(pc.codes.length, 2 * 6);
  assert.equal(pc.element.w_scale, pc.w_scales[3]);
  const pcAlt = cli(['--in-features=20', '--out-features=6', '--per-channel', '--row=0', '--col=4']);
  await checkExercise(page, 'code', pcAlt.scaled, pcAlt.scaled - 0.5);
  await checkExercise(page, 'multiplier', pcAlt.multiplier, pcAlt.multiplier + 1e-5);
  await checkCliAgrees(page);

  // A bad element names itself and keeps the last good numbers.
  await page.fill('#row', '2');
  await page.dispatchEvent('#row', 'change');
  assert.match(await page.textContent('#widget-error'), /row.*0 to 1/);
  assert.equal((await widgetOutput(page)).output.codes.length, 12);
  assert.deepEqual(page.errors, []);
  await page.fill('#row', '1');
  await page.dispatchEvent('#row', 'change');
  await printViews(page, 'integer');
});
