// Lesson 1 (lessons/affine.html): loads with no console error on WebGPU and with WebGPU off, its
// exercises check right and wrong answers against the library's numbers, the widget's controls
// move the numbers as the library says, the page's command prints the same numbers, and the
// print views are made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser } from './browser.mjs';
import { checkCliAgrees, checkExercise, openLesson, printViews, widgetOutput } from './lessons-kit.mjs';

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

test('lesson affine: the exercises, the controls and the command agree with the library', async () => {
  const page = await openLesson(env, 'affine.html', '#values=-1.2,0.3,0.8,0.05&dtype=quint8&qscheme=per_tensor_affine&reduce_range=0');
  const { output } = await widgetOutput(page);
  // torch: MinMaxObserver()(tensor([-1.2, 0.3, 0.8, 0.05])) → scale 2/255, zero_point 153.
  assert.equal(output.zero_point, 153);
  assert.equal(Math.fround(output.scale), Math.fround(2 / 255));
  await checkExercise(page, 'zero-point', 153, 152);
  await checkExercise(page, 'code', output.rows[3].code, output.rows[3].code + 1);
  await checkCliAgrees(page);

  // Symmetric qint8: zero_point 0, scale max|x| / 127.5; reduce_range halves the codes.
  await page.selectOption('#dtype', 'qint8');
  await page.selectOption('#qscheme', 'per_tensor_symmetric');
  await page.check('#reduce_range');
  const sym = (await widgetOutput(page)).output;
  assert.deepEqual([sym.zero_point, sym.quant_min, sym.quant_max], [0, -64, 63]);
  assert.equal(Math.fround(sym.scale), Math.fround(1.2 / Math.fround(63.5)));
  assert.match(await page.evaluate(() => location.hash), /dtype=qint8/);
  await checkExercise(page, 'zero-point', 0, 128);
  await checkCliAgrees(page);

  // A bad value names itself and keeps the last good numbers.
  await page.fill('#values', '1, x');
  await page.dispatchEvent('#values', 'change');
  assert.match(await page.textContent('#widget-error'), /values/);
  assert.deepEqual(page.errors, []);
  await printViews(page, 'affine');
});
