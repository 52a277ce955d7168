// Lesson 6 (lessons/autocast.html): loads with no console error on WebGPU and with WebGPU off;
// the trace of the real step follows autocast's lists (linear and relu in the low dtype, the loss
// in float32; everything float32 in 32-true), the exercises check right and wrong answers, the
// precision and the widths move the numbers as the lists say, `quantplay lesson autocast`
// prints the page's numbers, and the print views are made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser } from './browser.mjs';
import { checkCliAgrees, checkExercise, openLesson, printViews, widgetOutput } from './lessons-kit.mjs';

for (const webgpu of [true, false]) {
  test(`lesson autocast loads without console errors (${webgpu ? 'WebGPU' : 'WebGPU off'})`, async () => {
    const env = await openBrowser({ webgpu });
    try {
      const page = await openLesson(env, 'autocast.html');
      assert.deepEqual(page.errors, []);
    } finally {
      await env.close();
    }
  });
}

let env;
before(async () => (env = await openBrowser()));
after(async () => env?.close());

/** autocast_mode.cpp's lists for an MLP of `hidden` widths: `L` linear+relu, a last linear, the loss. */
function expected(hidden, low) {
  const names = [...hidden.flatMap((_, i) => [`fc${i + 1}`, `relu${i + 1}`]), `fc${hidden.length + 1}`, 'loss'];
  return names.map((n) => [n, n === 'loss' ? 'float32' : low]);
}

test('lesson autocast: the trace, the exercises, the controls and the command agree with the library', async () => {
  const page = await openLesson(env, 'autocast.html', '#precision=16-mixed&hidden=16,16');
  let { output } = await widgetOutput(page);
  assert.deepEqual(output.trace.map((e) => [e.name, e.output]), expected([16, 16], 'float16'));
  assert.deepEqual([output.autocast, output.grad_scaler, output.low_ops, output.fp32_ops], ['float16', true, 5, 1]);
  assert.deepEqual(output.layers, [2, 16, 16, 2]);
  const policy = Object.fromEntries(output.policy.map((r) => [r.op, r.policy]));
  assert.deepEqual([policy.linear, policy.softmax, policy.cross_entropy, policy.add], ['lower_precision', 'fp32', 'fp32', 'promote']);
  // The exercise's model has one more hidden layer (16,16,8): 4 linears and 3 relus.
  await checkExercise(page, 'low-ops', 7, 5);
  // It asks about the next precision (bf16-mixed): the loss is still float32.
  await checkExercise(page, 'loss-dtype', 2, 0);
  // ONE list, printed from the library's policy: torch's CUDA fp32 list has neither mean nor batch_norm.
  assert.deepEqual([policy.mean, policy.norm], ['promote', 'fp32']);
  const lists = await page.textContent('#policy-lists');
  assert.match(lists, /fp32:\n\s+softmax, log_softmax, cross_entropy[^\n]*, mse_loss, sum, norm\n/);
  assert.match(lists, /not listed \(runs in its inputs' dtype\):\n\s+mean, add, mul, relu\n/);
  await checkExercise(page, 'softmax', 1, 0);
  assert.equal(await page.$$eval('#trace-picture .op[data-dtype="float16"]', (els) => els.length), 5);
  await checkCliAgrees(page);

  // bf16-mixed with one hidden layer: bfloat16 ops, no GradScaler.
  await page.selectOption('#precision', 'bf16-mixed');
  await page.fill('#hidden', '8');
  await page.dispatchEvent('#hidden', 'change');
  output = (await widgetOutput(page)).output;
  assert.deepEqual(output.trace.map((e) => [e.name, e.output]), expected([8], 'bfloat16'));
  assert.deepEqual([output.autocast, output.grad_scaler, output.low_ops], ['bfloat16', false, 3]);
  assert.equal(output.policy.find((r) => r.op === 'linear').from_float32, 'bfloat16');
  assert.match(await page.evaluate(() => location.hash), /precision=bf16-mixed&hidden=8/);
  await checkExercise(page, 'low-ops', 5, 3); // its model: 8,8
  await checkCliAgrees(page);

  // 32-true: no autocast, every op float32.
  await page.selectOption('#precision', '32-true');
  output = (await widgetOutput(page)).output;
  assert.deepEqual([output.autocast, output.low_ops, output.fp32_ops], [null, 0, 4]);
  assert.ok(output.trace.every((e) => e.output === 'float32'));
  await checkCliAgrees(page);

  // A bad width names itself and keeps the last good numbers.
  await page.fill('#hidden', '16,0');
  await page.dispatchEvent('#hidden', 'change');
  assert.match(await page.textContent('#widget-error'), /hidden.*1 to 256/);
  assert.deepEqual((await widgetOutput(page)).output, output);
  assert.deepEqual(page.errors, []);
  await page.fill('#hidden', '16,16');
  await page.dispatchEvent('#hidden', 'change');
  await page.selectOption('#precision', '16-mixed');
  assert.equal((await widgetOutput(page)).output.low_ops, 5);
  await printViews(page, 'autocast');
});
