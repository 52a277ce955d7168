// Lesson 3 (lessons/per-channel.html): loads with no console error on WebGPU and with WebGPU off;
// each exercise checks a wrong and a right answer against the library's numbers; the controls
// (seed, out_channels, layer, channel) move the numbers as the formulas say (symmetric qint8
// scale = max|w| / 127.5, the fold of torch/nn/utils/fusion.py, in f32 via Math.fround); the
// page's command prints the same numbers at two settings; the print views are made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser } from './browser.mjs';
import { checkCliAgrees, checkExercise, openLesson, printViews, runCli, widgetOutput } from './lessons-kit.mjs';

const f = Math.fround;
/** The output with every number read back as the f32 the library computed (JSON holds the
 * shortest decimal, which JS reads as the nearest f64): formulas below then round like f32. */
const f32s = (v) => (typeof v === 'number' ? f(v) : Array.isArray(v) ? v.map(f32s) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, f32s(x)])) : v);

for (const webgpu of [true, false]) {
  test(`lesson per-channel loads without console errors (${webgpu ? 'WebGPU' : 'WebGPU off'})`, async () => {
    const env = await openBrowser({ webgpu });
    try {
      const page = await openLesson(env, 'per-channel.html');
      assert.deepEqual(page.errors, []);
    } finally {
      await env.close();
    }
  });
}

let env;
before(async () => (env = await openBrowser()));
after(async () => env?.close());

/** The scales and the fold as the formulas give them from the output's own inputs. */
function checkFormulas(out, channels, channel) {
  const o = f32s(out);
  assert.equal(o.rows.length, channels);
  const widest = Math.max(...o.rows.map((r) => r.max_abs));
  assert.equal(o.scale_per_tensor, f(widest / 127.5), 'per-tensor scale = max|w| / 127.5');
  for (const r of o.rows) {
    assert.equal(r.scale, f(r.max_abs / 127.5), 'per-channel scale = max|w[c]| / 127.5');
    // |ŵ − w| ≤ scale / 2, up to the f32 rounding of ŵ = q · scale and of the subtraction.
    assert.ok(r.error_per_channel <= (r.scale / 2) * 1.0001 && r.error_per_tensor <= (o.scale_per_tensor / 2) * 1.0001, JSON.stringify(r));
  }
  const d = o.fold;
  assert.equal(d.rsqrt, f(1 / f(Math.sqrt(f(d.running_var + d.eps)))), 'rsqrt = 1 / sqrt(var + eps)');
  assert.equal(d.factor, f(d.gamma * d.rsqrt));
  d.weight.forEach((w, i) => assert.equal(d.fused_weight[i], f(w * d.factor), `fused weight ${i}`));
  assert.equal(d.fused_bias, f(f(f(f(d.bias - d.running_mean) * d.rsqrt) * d.gamma) + d.beta), 'fused bias');
  assert.ok(o.fused_max_abs_diff <= o.output_max_abs * 1e-5, `fused conv = conv → BN (${o.fused_max_abs_diff})`);
  assert.ok(Math.abs(d.y_fused - d.y_conv_bn) <= o.fused_max_abs_diff, `channel ${channel}'s output`);
}

test('lesson per-channel: the exercises, the controls and the command agree with the library', async () => {
  const page = await openLesson(env, 'per-channel.html', '#seed=0&out_channels=8&channel=0&layer=fused');
  const fused = (await widgetOutput(page)).output;
  checkFormulas(fused, 8, 0);
  assert.equal(await page.getAttribute('#row-chart', 'data-rows'), '8');
  assert.ok(fused.mean_row_error_per_tensor > 1.5 * fused.mean_row_error_per_channel, 'per channel helps the folded weight');

  // The exercises ask about what the page does not show: the row's scale for the other layer and
  // the next channel's fold (the native CLI's numbers for those inputs).
  const cli = (args) => JSON.parse(runCli(['lesson', 'per-channel', '--seed=0', '--out-channels=8', ...args, '--json']));
  const scale = cli(['--channel=0', '--layer=conv']).rows[0].scale;
  assert.ok(Math.abs(scale - fused.rows[0].max_abs / Math.abs(fused.fold.factor) / 127.5) < 1e-6, 'unfold the row: max|w| / |factor| / 127.5');
  await checkExercise(page, 'scale', scale, scale * 2);
  const ticks = (await page.getAttribute('#row-chart', 'data-ticks')).split(',').map(Number);
  const step = ticks[1];
  assert.ok(ticks.every((t, i) => Math.abs(t - i * step) < 1e-12) && /^[125]0*$/.test(String(step).replace(/^0\.0*/, '')), `round ticks: ${ticks}`);
  assert.ok(ticks[ticks.length - 1] >= Math.max(...fused.rows.map((r) => r.error_per_tensor)), 'the top tick covers the bars');
  for (const r of fused.rows) assert.ok(r.span_per_channel[0] <= -127 || r.span_per_channel[1] === 127, `own scale reaches the ends: ${r.span_per_channel}`);
  const ratios = fused.rows.map((r) => r.error_per_tensor / r.error_per_channel);
  const worst = ratios.indexOf(Math.max(...ratios));
  await checkExercise(page, 'worst-row', worst, (worst + 1) % 8);
  const nextBias = cli(['--channel=1', '--layer=fused']).fold.fused_bias;
  assert.notEqual(nextBias, fused.fold.fused_bias);
  await checkExercise(page, 'fused-bias', nextBias, nextBias + 0.01);
  await checkCliAgrees(page);

  // Before folding, the rows share nn.Conv2d's init range: per channel helps far less.
  await page.selectOption('#layer', 'conv');
  const conv = (await widgetOutput(page)).output;
  checkFormulas(conv, 8, 0);
  const gain = (o) => o.mean_row_error_per_tensor / o.mean_row_error_per_channel;
  assert.ok(gain(fused) > gain(conv), `fold spreads the rows: ${gain(fused)} vs ${gain(conv)}`);
  assert.deepEqual(conv.fold, fused.fold, 'the fold does not depend on which weight is quantized');

  // More channels, another seed, another channel shown.
  await page.fill('#out_channels', '12');
  await page.dispatchEvent('#out_channels', 'change');
  await page.fill('#seed', '5');
  await page.dispatchEvent('#seed', 'change');
  await page.fill('#channel', '11');
  await page.dispatchEvent('#channel', 'change');
  const more = (await widgetOutput(page)).output;
  checkFormulas(more, 12, 11);
  assert.equal(await page.getAttribute('#row-chart', 'data-rows'), '12');
  assert.notEqual(more.fold.gamma, conv.fold.gamma);
  assert.match(await page.evaluate(() => location.hash), /seed=5&out_channels=12&channel=11&layer=conv/);
  const fusedScale = JSON.parse(runCli(['lesson', 'per-channel', '--seed=5', '--out-channels=12', '--channel=11', '--layer=fused', '--json'])).rows[11].scale;
  await checkExercise(page, 'scale', fusedScale, fusedScale + 0.001);
  await checkCliAgrees(page);

  // A bad value names itself and keeps the last good picture.
  await page.fill('#channel', '12');
  await page.dispatchEvent('#channel', 'change');
  assert.match(await page.textContent('#widget-error'), /channel.*0 to 11/);
  assert.equal(await page.getAttribute('#row-chart', 'data-rows'), '12');
  assert.deepEqual(page.errors, []);
  await page.fill('#channel', '11');
  await page.dispatchEvent('#channel', 'change');
  await printViews(page, 'per-channel');
});

test('lesson per-channel: the default seed has one row that clearly loses most to the shared scale', async () => {
  const page = await openLesson(env, 'per-channel.html');
  const out = (await widgetOutput(page)).output;
  const ratios = out.rows.map((r) => r.error_per_tensor / r.error_per_channel).sort((a, b) => b - a);
  assert.ok(ratios[0] > 2 * ratios[1], `a clear winner: ${ratios}`);
  await checkCliAgrees(page);
  assert.deepEqual(page.errors, []);
});
