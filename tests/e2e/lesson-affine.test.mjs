// Lesson 1 (lessons/affine.html): loads with no console error on WebGPU and with WebGPU off, its
// exercises check right and wrong answers against the library's numbers, the widget's controls
// move the numbers as torch says (tests/fixtures/lessons_affine.json, written by torch), the
// worked example and the solutions follow the current qscheme, the page's command prints the same
// numbers, a non-number in the values box gets a message naming it, and the print views are made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openBrowser } from './browser.mjs';
import { checkCliAgrees, checkExercise, openLesson, printViews, runCli, widgetOutput } from './lessons-kit.mjs';

const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/lessons_affine.json', import.meta.url), 'utf8'));
const f32 = (/** @type {number} */ bits) => new Float32Array(new Uint32Array([bits]).buffer)[0];
/** torch's case for the lesson's default tensor [-1.2, 0.3, 0.8, 0.05] and these settings. */
const torchCase = (dtype, qscheme, rr) =>
  FIXTURE.cases.find((c) => c.values.length === 4 && f32(c.values[0]) === Math.fround(-1.2) && c.dtype === dtype && c.qscheme === qscheme && c.reduce_range === rr);

for (const webgpu of [true, false]) {
  test(`lesson affine loads without console errors (${webgpu ? 'WebGPU' : 'WebGPU off'})`, async () => {
    const env = await openBrowser({ webgpu });
    try {
      const page = await openLesson(env, 'affine.html');
      assert.deepEqual(page.errors, []);
    } finally {
      await env.close();
    }
  });
}

let env;
before(async () => (env = await openBrowser()));
after(async () => env?.close());

/** The command's output for the page's settings with the exercise's probe value (`#id`) appended. */
async function withProbe(page, id) {
  const probe = Number(await page.textContent(`#${id}`));
  assert.ok(Number.isFinite(probe), `${id} shows a number`);
  const argv = JSON.parse(await page.getAttribute('#lesson-command', 'data-argv'));
  const at = argv.findIndex((a) => a.startsWith('--values='));
  argv[at] = `${argv[at]},${probe}`;
  return JSON.parse(runCli([...argv, '--json']));
}

/** The widget's numbers equal torch's for this setting (scale bits, zero point, every code). */
function assertTorch(output, dtype, qscheme, rr) {
  const c = torchCase(dtype, qscheme, rr);
  assert.ok(c, `fixture case ${dtype} ${qscheme} ${rr}`);
  assert.equal(Math.fround(output.scale), f32(c.scale), `${dtype} ${qscheme} scale`);
  assert.equal(output.zero_point, c.zero_point);
  assert.deepEqual(output.rows.map((r) => r.code), c.codes);
  assert.deepEqual([output.quant_min, output.quant_max], [c.quant_min, c.quant_max]);
}

test('lesson affine: the exercises, the controls and the command agree with the library and torch', async () => {
  const page = await openLesson(env, 'affine.html', '#values=-1.2,0.3,0.8,0.05&dtype=quint8&qscheme=per_tensor_affine&reduce_range=0');
  const { output } = await widgetOutput(page);
  assertTorch(output, 'quint8', 'per_tensor_affine', false);
  // torch: MinMaxObserver()(tensor([-1.2, 0.3, 0.8, 0.05])) → scale 2/255, zero_point 153.
  assert.equal(output.zero_point, 153);
  assert.equal(await page.getAttribute('#picture', 'data-drawn'), '4');
  const steps = await page.textContent('#worked-steps');
  assert.match(steps, /quant_min − round_half_even\(min_neg \/ scale\)/);
  // Beyond x = -1.2 (exact), the example works the value with the largest rounding error.
  assert.match(steps, /largest rounding error, x = 0\.05/);
  assert.match(steps, /up to float rounding/);
  // The exercises ask about values the page does not work out: a new minimum, a new value.
  const zp = (await withProbe(page, 'zp-probe')).zero_point;
  assert.notEqual(zp, 153, 'a new minimum moves the zero point');
  await checkExercise(page, 'zero-point', zp, zp + 1);
  assert.match(await page.textContent('#ex-zero-point .solution'), /round_half_even\(/);
  const probed = await withProbe(page, 'code-probe');
  assert.equal(probed.scale, output.scale, 'the probe lies inside the range');
  const code = probed.rows.at(-1).code;
  await checkExercise(page, 'code', code, code + 1);
  // Affine 2/255 is finer than symmetric 1.2/127.5 for this tensor: choice 0.
  await checkExercise(page, 'finer', 0, 1);
  await checkCliAgrees(page);

  // Symmetric quint8: the divisor (quant_max − quant_min) / 2 = 127.5 and zero point 128, in the
  // widget, the worked example and the solution (no affine zero-point formula).
  await page.selectOption('#qscheme', 'per_tensor_symmetric');
  const symU = (await widgetOutput(page)).output;
  assertTorch(symU, 'quint8', 'per_tensor_symmetric', false);
  assert.equal(symU.zero_point, 128);
  assert.equal(Math.fround(symU.scale), Math.fround(Math.fround(1.2) / 127.5));
  const worked = await page.textContent('#worked-steps');
  assert.match(worked, /\(quant_max − quant_min\) \/ 2\) = 1\.2 \/ 127\.5/);
  assert.doesNotMatch(worked, /round\(min_neg/);
  // x = -1.2: x·(1/scale) = -127.49999 rounds to -127 (code 1), while x / scale hits the tie
  // -127.5 and would round to -128: the page says so.
  assert.equal(symU.rows[0].code, 1);
  assert.match(worked, /hand calculation disagrees here: x \/ scale = -127\.5 would round to -128, not -127/);
  await checkExercise(page, 'zero-point', 128, 129);
  assert.doesNotMatch(await page.textContent('#ex-zero-point .solution'), /round\(/);
  assert.match(await page.textContent('#ex-zero-point .solution'), /quint8 → 128/);

  // torch forbids symmetric + quint8 + reduce_range: the page says why, names the library's
  // error and keeps the last accepted settings (reduce_range off).
  await page.click('#reduce_range');
  assert.match(await page.textContent('#widget-error'), /torch forbids[\s\S]*zero point is fixed at 128[\s\S]*cannot reduce range for symmetric quantization for quint8/i);
  assert.equal(await page.isChecked('#reduce_range'), false);
  assert.deepEqual((await widgetOutput(page)).output, symU);

  // Symmetric qint8 with reduce_range: zero_point 0, codes −64…63, scale max|x| / 63.5.
  await page.selectOption('#dtype', 'qint8');
  await page.check('#reduce_range');
  const sym = (await widgetOutput(page)).output;
  assertTorch(sym, 'qint8', 'per_tensor_symmetric', true);
  assert.deepEqual([sym.zero_point, sym.quant_min, sym.quant_max], [0, -64, 63]);
  assert.equal(Math.fround(sym.scale), Math.fround(1.2 / Math.fround(63.5)));
  assert.match(await page.evaluate(() => location.hash), /dtype=qint8/);
  await checkExercise(page, 'zero-point', 0, 1);
  await checkCliAgrees(page);

  // Editing the tensor moves the picture and the numbers: a fifth value 2.4 becomes the largest
  // |x|, so the scale is 2.4 / 63.5, and the picture draws 5 points.
  await page.fill('#values', '-1.2, 0.3, 0.8, 0.05, 2.4');
  await page.dispatchEvent('#values', 'change');
  const five = (await widgetOutput(page)).output;
  assert.equal(await page.getAttribute('#picture', 'data-drawn'), '5');
  assert.equal(Math.fround(five.scale), Math.fround(Math.fround(2.4) / Math.fround(63.5)));

  // A non-number names itself and keeps the last good numbers.
  await page.fill('#values', '1, x');
  await page.dispatchEvent('#values', 'change');
  assert.match(await page.textContent('#widget-error'), /"x" is not a number/);
  assert.deepEqual((await widgetOutput(page)).output, five);
  // The library's own check (too many values) shows its named error.
  await page.fill('#values', Array.from({ length: 65 }, (_, i) => i).join(','));
  await page.dispatchEvent('#values', 'change');
  assert.match(await page.textContent('#widget-error'), /values[\s\S]*65 values[\s\S]*1 to 64/);
  assert.deepEqual(page.errors, []);
  await printViews(page, 'affine');
});

test('lesson affine opened on the forbidden symmetric quint8 reduce_range URL explains it and still works', async () => {
  const page = await openLesson(env, 'affine.html', '#values=-1.2,0.3,0.8,0.05&dtype=quint8&qscheme=per_tensor_symmetric&reduce_range=1');
  assert.match(await page.textContent('#widget-error'), /torch forbids[\s\S]*cannot reduce range for symmetric quantization for quint8/i);
  const { output } = await widgetOutput(page);
  assertTorch(output, 'quint8', 'per_tensor_symmetric', false);
  assert.equal(await page.isChecked('#reduce_range'), false);
  assert.ok((await page.$$('#worked-steps li')).length >= 5, 'the worked example is filled in');
  assert.match(await page.textContent('#lesson-command'), /--qscheme=per_tensor_symmetric/);
  await checkCliAgrees(page);
  assert.deepEqual(page.errors, []);
});
