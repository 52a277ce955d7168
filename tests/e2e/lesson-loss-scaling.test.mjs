// Lesson 7 (lessons/loss-scaling.html): loads with no console error on WebGPU and with WebGPU
// off; the timeline matches torch's GradScaler (tests/fixtures/grad_scaler.json) bit for bit on
// two of its runs; the exercises check right and wrong answers; the presets, the typed settings
// and the clickable strip move the numbers as a power-of-two replay of torch's update rule says;
// `quantplay lesson loss-scaling` prints the page's numbers and `quantplay scaler` the same
// timeline; the print views are made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openBrowser } from './browser.mjs';
import { checkCliAgrees, checkExercise, openLesson, printViews, runCli, widgetOutput } from './lessons-kit.mjs';

const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/grad_scaler.json', import.meta.url), 'utf8'));
const f32 = (/** @type {number} */ bits) => new Float32Array(new Uint32Array([bits]).buffer)[0];

/** Checks the widget's steps against one of torch's timelines (scale bits, skips, tracker). */
function assertTorch(steps, run) {
  assert.equal(steps.length, run.steps.length);
  run.steps.forEach((want, i) => {
    const got = steps[i];
    assert.deepEqual(
      [got.event, got.scale_used, got.skipped, got.scale_after, got.growth_tracker],
      [want.event, f32(want.scale_used), want.skipped, f32(want.scale_after), want.growth_tracker],
      `step ${i + 1} of torch run ${run.schedule}`,
    );
  });
}

/** torch's update rule for power-of-two factors (exact in any float): the test's expectation. */
function replay(schedule, init, growth, backoff, interval) {
  let [scale, tracker, skipped] = [init, 0, 0];
  for (const e of schedule.split(',')) {
    if (e === 'ok') {
      tracker += 1;
      if (tracker === interval) [scale, tracker] = [scale * growth, 0];
    } else [scale, tracker, skipped] = [scale * backoff, 0, skipped + 1];
  }
  return { scale, skipped };
}

for (const webgpu of [true, false]) {
  test(`lesson loss-scaling loads without console errors (${webgpu ? 'WebGPU' : 'WebGPU off'})`, async () => {
    const env = await openBrowser({ webgpu });
    try {
      const page = await openLesson(env, 'loss-scaling.html');
      assert.deepEqual(page.errors, []);
    } finally {
      await env.close();
    }
  });
}

let env;
before(async () => (env = await openBrowser()));
after(async () => env?.close());

test('lesson loss-scaling: torch timelines, the exercises, the controls and the commands agree with the library', async () => {
  // torch run: init_scale 2, four overflows: the scale falls to 0.125, below 1 after step 2.
  const low = FIXTURE.runs.find((r) => r.schedule === 'inf,inf,inf,nan,ok');
  const page = await openLesson(env, 'loss-scaling.html', '#schedule=inf,inf,inf,nan,ok&init_scale=2&growth_factor=2&backoff_factor=0.5&growth_interval=2000');
  let { output } = await widgetOutput(page);
  assertTorch(output.steps, low);
  assert.deepEqual([output.final_scale, output.min_scale, output.first_below_one, output.skipped], [0.125, 0.125, 2, 4]);
  await checkExercise(page, 'final-scale', 0.125, 0.25);
  await checkExercise(page, 'skipped', 4, 3);
  await checkExercise(page, 'below-one', 0, 1);
  assert.match(await page.textContent('#scaler-warning'), /GradScaler warns: the loss scale is 5e-1, below 1/);
  await checkCliAgrees(page);
  // `quantplay scaler` replays the same GradScaler: the same timeline.
  const scaler = JSON.parse(runCli(['scaler', '--schedule=inf,inf,inf,nan,ok', '--init-scale=2', '--json']));
  assert.deepEqual(scaler.steps.map(({ warning, ...r }) => r), output.steps.map(({ warning, ...r }) => r));

  // Typed settings: torch's growth_interval 2 run.
  const g2 = FIXTURE.runs.find((r) => r.settings.growth_interval === 2 && Object.keys(r.settings).length === 1);
  await page.fill('#init_scale', '65536');
  await page.dispatchEvent('#init_scale', 'change');
  await page.fill('#growth_interval', '2');
  await page.dispatchEvent('#growth_interval', 'change');
  await page.fill('#schedule', g2.schedule);
  await page.dispatchEvent('#schedule', 'change');
  output = (await widgetOutput(page)).output;
  assertTorch(output.steps, g2);
  await checkExercise(page, 'below-one', 1, 0);
  await checkCliAgrees(page);

  // The presets: growth_interval 1 probes (and skips) more often than 4 on the same schedule.
  const counts = {};
  for (const [preset, interval] of [['interval-1', 1], ['interval-4', 4]]) {
    await page.click(`button[data-preset="${preset}"]`);
    output = (await widgetOutput(page)).output;
    const schedule = output.steps.map((r) => r.event).join(',');
    const want = replay(schedule, 65536, 2, 0.5, interval);
    assert.deepEqual([output.final_scale, output.skipped], [want.scale, want.skipped], preset);
    counts[preset] = output.growths;
    assert.match(await page.evaluate(() => location.hash), new RegExp(`growth_interval=${interval}`));
  }
  assert.ok(counts['interval-1'] > counts['interval-4'], JSON.stringify(counts));
  // growth_interval 4 ratchets down (the page says so): it ends far below where it started.
  assert.ok(output.final_scale < 65536 / 8, JSON.stringify(output.final_scale));
  // The demo button loads the settings the page opens with (growth_interval 3, not torch's 2000).
  await page.click('button[data-preset="demo"]');
  assert.match(await page.evaluate(() => location.hash), /growth_interval=3/);
  await page.click('button[data-preset="default"]');
  assert.match(await page.evaluate(() => location.hash), /growth_interval=2000/);

  // The strip: clicking step 1 (ok) makes it inf, a skipped step with a backoff.
  const before = (await widgetOutput(page)).output;
  await page.click('#strip button[data-i="0"]');
  output = (await widgetOutput(page)).output;
  assert.deepEqual([output.steps[0].event, output.steps[0].skipped, output.steps[0].scale_after], ['inf', true, 32768]);
  assert.equal(output.skipped, before.skipped + 1);
  assert.match(await page.evaluate(() => location.hash), /schedule=inf,/);
  await checkCliAgrees(page);

  // A bad event names itself and keeps the last good timeline.
  await page.fill('#schedule', 'ok,boom');
  await page.dispatchEvent('#schedule', 'change');
  assert.match(await page.textContent('#widget-error'), /boom.*ok, inf, -inf, nan/);
  assert.deepEqual((await widgetOutput(page)).output, output);
  assert.deepEqual(page.errors, []);
  await page.click('button[data-preset="below-one"]');
  await printViews(page, 'loss-scaling');
});
