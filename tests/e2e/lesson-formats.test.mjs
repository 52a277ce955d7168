// Lesson 5 (lessons/formats.html): loads with no console error on WebGPU and with WebGPU off;
// the stored values are torch's (`torch.tensor(x).half()` / `.bfloat16()`), the exercises check
// right and wrong answers, the value and the loss scale move the numbers as the format's
// formula says, `quantplay lesson formats` prints the page's numbers, and the print views are
// made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser } from './browser.mjs';
import { checkCliAgrees, checkExercise, openLesson, printViews, widgetOutput } from './lessons-kit.mjs';

for (const webgpu of [true, false]) {
  test(`lesson formats loads without console errors (${webgpu ? 'WebGPU' : 'WebGPU off'})`, async () => {
    const env = await openBrowser({ webgpu });
    try {
      const page = await openLesson(env, 'formats.html');
      assert.deepEqual(page.errors, []);
    } finally {
      await env.close();
    }
  });
}

let env;
before(async () => (env = await openBrowser()));
after(async () => env?.close());

async function set(page, id, value) {
  await page.fill(`#${id}`, String(value));
  await page.dispatchEvent(`#${id}`, 'change');
  return (await widgetOutput(page)).output;
}

test('lesson formats: torch values, the exercises, the controls and the command agree with the library', async () => {
  const page = await openLesson(env, 'formats.html', '#value=0.1&grad_steps=30&loss_scale_log2=16');
  let { output } = await widgetOutput(page);
  const [f32, f16, bf16] = output.formats;
  // torch: tensor(0.1).item() = 0.10000000149011612, .half() = 0.0999755859375 (0x2e66),
  // .bfloat16() = 0.10009765625 (0x3dcd); finfo(float16): max 65504, tiny 2**-14, smallest_subnormal 2**-24.
  assert.deepEqual([f32.stored, f16.stored, f16.hex, bf16.stored, bf16.hex], [0.10000000149011612, 0.0999755859375, '0x2e66', 0.10009765625, '0x3dcd']);
  assert.deepEqual([f16.max_normal, f16.min_normal, f16.min_subnormal, f16.overflow_threshold], [65504, 2 ** -14, 2 ** -24, 65520]);
  assert.equal(f16.ulp, 2 ** (-4 - 10)); // 0.1 lies in [2^-4, 2^-3)
  assert.equal(await page.textContent('tr[data-dtype="float16"] .bits'), '0 01011 1001100110');
  // The exercises ask about 3 × x, not the x worked out above: torch.tensor(0.3).half() =
  // 0.300048828125 (0x34cd), in [2^-2, 2^-1) so ulp 2^-12.
  await checkExercise(page, 'f16-value', 0.300048828125, 0.3005); // 0.3 itself is within ulp/4
  await checkExercise(page, 'f16-ulp', 2 ** -12, 2 ** -14);
  // The worked example encodes as well as decodes: 0.1 = 2^-4 · 1.6; 0.6 · 1024 = 614.4 → 614.
  const worked = await page.textContent('#worked-steps');
  assert.match(worked, /2\^-4 · 1\.6\b/);
  assert.match(worked, /614\.4, which rounds .*614 = 1001100110/);
  // The smallest gradient is an f16 subnormal: f16 keeps a whole multiple of 2^-24 of it.
  // (The JSON carries f32 digits, so compare as f32.)
  const kept = output.gradients.min_abs_f16;
  assert.ok(kept > 0 && kept < 2 ** -14, String(kept));
  assert.equal(Math.fround(kept), Math.fround(Math.round(kept / 2 ** -24) * 2 ** -24));
  // The counts table leaves the shares out (an exercise asks for one).
  assert.doesNotMatch(await page.textContent('#grad-counts'), /share/);
  const share = output.gradients.unscaled.subnormal_share;
  await checkExercise(page, 'subnormal-share', share, share + 0.05);
  const g = output.gradients;
  for (const c of [g.unscaled, g.scaled]) assert.equal(c.zero + c.flush_to_zero + c.subnormal + c.normal + c.overflow, g.count);
  await checkCliAgrees(page);

  // 70000: past f16's 65520, so inf; bf16's grid at 2^16 has steps 2^(16-7) = 512: round(70000/512)·512.
  output = await set(page, 'value', 70000);
  assert.deepEqual([output.formats[1].class, output.formats[1].stored, output.formats[1].ulp], ['inf', 'Infinity', null]);
  assert.equal(output.formats[2].stored, Math.round(70000 / 512) * 512);
  assert.equal(await page.textContent('tr[data-dtype="float16"] .stored'), 'Infinity');
  // 1e-6: an f16 subnormal, a multiple of 2^-24 (round to nearest).
  output = await set(page, 'value', 1e-6);
  assert.equal(output.formats[1].class, 'subnormal');
  assert.equal(output.formats[1].stored, Math.round(Math.fround(1e-6) / 2 ** -24) * 2 ** -24);
  await checkExercise(page, 'f16-ulp', 2 ** -24, 2 ** -23); // 3e-6 is an f16 subnormal too

  // The loss scale: k = 0 changes nothing; k = -12 shifts gradients down, so more flush to zero.
  output = await set(page, 'loss_scale_log2', 0);
  assert.deepEqual(output.gradients.scaled, output.gradients.unscaled);
  output = await set(page, 'loss_scale_log2', -12);
  const [u, s] = [output.gradients.unscaled, output.gradients.scaled];
  assert.ok(s.flush_to_zero > u.flush_to_zero, JSON.stringify({ u, s }));
  assert.equal(s.zero, u.zero);
  assert.match(await page.evaluate(() => location.hash), /loss_scale_log2=-12/);
  await checkCliAgrees(page);

  // Training longer changes the gradients (a real run, not a fixed picture).
  const before = output.gradients;
  output = await set(page, 'grad_steps', 60);
  assert.equal(output.gradients.count, before.count);
  assert.notDeepEqual(output.gradients.counts, before.counts);

  // A bad value names itself and keeps the last good numbers.
  await page.fill('#grad_steps', '0');
  await page.dispatchEvent('#grad_steps', 'change');
  assert.match(await page.textContent('#widget-error'), /grad_steps.*1\.\.=500/);
  assert.deepEqual((await widgetOutput(page)).output, output);
  assert.deepEqual(page.errors, []);
  await set(page, 'grad_steps', 30);
  await set(page, 'loss_scale_log2', 16);
  await set(page, 'value', 0.1);
  await printViews(page, 'formats');
});
