// Lesson 2 (lessons/observers.html): loads with no console error on WebGPU and with WebGPU off;
// on the torch fixture's setting (tests/fixtures/lessons_observers.json, torch's three observers
// on the same seeded batches) every observer's scale and zero point after every batch equal
// torch's; each control moves the numbers as the formulas say; each exercise checks a wrong and a
// right answer; the page's command prints the same numbers at two settings; the print views.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openBrowser } from './browser.mjs';
import { checkCliAgrees, checkExercise, openLesson, printViews, widgetOutput } from './lessons-kit.mjs';

const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/lessons_observers.json', import.meta.url), 'utf8'));
const f32 = (/** @type {number} */ bits) => new Float32Array(new Uint32Array([bits]).buffer)[0];
const hashOf = (/** @type {Record<string, unknown>} */ s) => `#${Object.entries(s).map(([k, v]) => `${k}=${v}`).join('&')}`;

for (const webgpu of [true, false]) {
  test(`lesson observers loads without console errors (${webgpu ? 'WebGPU' : 'WebGPU off'})`, async () => {
    const env = await openBrowser({ webgpu });
    try {
      const page = await openLesson(env, 'observers.html');
      assert.deepEqual(page.errors, []);
    } finally {
      await env.close();
    }
  });
}

let env;
before(async () => (env = await openBrowser()));
after(async () => env?.close());

/** Sets a number control and waits for the widget to redraw from the library. */
async function set(page, id, value) {
  const before = await page.getAttribute('#lesson-command', 'data-output');
  await page.fill(`#${id}`, String(value));
  await page.dispatchEvent(`#${id}`, 'change');
  await page.waitForFunction((b) => document.getElementById('lesson-command').dataset.output !== b || !document.getElementById('widget-error').hidden, before);
  return (await widgetOutput(page)).output;
}

test('lesson observers: torch\'s qparams after every batch, the controls, the exercises and the command', async () => {
  const page = await openLesson(env, 'observers.html', hashOf(FIXTURE.setting));
  const { output } = await widgetOutput(page);
  assert.deepEqual(output.observers.map((o) => o.observer), FIXTURE.observers);
  assert.equal(output.outliers, FIXTURE.outliers);
  assert.equal(output.curve.length, FIXTURE.curve.length);
  FIXTURE.curve.forEach((t, k) => {
    assert.deepEqual(output.curve[k].scale.map(Math.fround), t.scale.map(f32), `torch's scales after ${t.seen} batches`);
    assert.deepEqual(output.curve[k].zero_point, t.zero_point, `torch's zero points after ${t.seen} batches`);
  });
  // Clipping + rounding is the whole error; MinMax never clips.
  for (const o of output.observers) assert.equal(o.total_error, o.clipping_error + o.rounding_error);
  assert.equal(output.observers[0].clipping_error, 0);
  assert.equal(await page.locator('#hists canvas').count(), 3);

  const mm = output.observers[0];
  // The scale exercise asks about the middle batch, not the final scale the table shows.
  const mid = output.curve[Math.ceil(output.curve.length / 2) - 1];
  assert.match(await page.textContent('#scale-ask'), new RegExp(`After batch ${mid.seen}, MinMaxObserver had min_val = ${mid.min_val[0]}`));
  await checkExercise(page, 'minmax-scale', mid.scale[0], mid.scale[0] + 0.001);
  // HistogramObserver's searched range is its own row, inside the data's range, and the worked
  // example names it (not range_lo/range_hi) as the search's choice.
  const h = output.observers[2];
  assert.ok(h.search_range[0] >= h.min_val && h.search_range[1] <= h.max_val && h.search_range[1] < h.max_val, `${h.search_range}`);
  assert.equal(output.observers[0].search_range, undefined);
  const worked = await page.textContent('#worked-steps');
  assert.ok(worked.includes(`it chose [${h.search_range[0]}, ${h.search_range[1]}]`), worked);
  // Exercise 3's answer is not given away, and no 17-digit errors in the prose.
  assert.doesNotMatch(worked, /last changed after batch/);
  assert.doesNotMatch(worked, /\d\.\d{12,}/);
  // MovingAverage: batch 1's weight after n batches, (1 − c)^(n − 1), in %, to 4 digits.
  const n = output.curve.length, c = FIXTURE.setting.averaging_constant;
  assert.ok(worked.includes(`carry (1 − c)^${n - 1} = ${+(100 * (1 - c) ** (n - 1)).toPrecision(4)} %`), worked);
  const totals = output.observers.map((o) => o.total_error);
  const best = totals.indexOf(Math.min(...totals));
  await checkExercise(page, 'best', best, (best + 1) % 3);
  let last = 1;
  output.curve.forEach((p, i) => { if (i && p.scale[0] !== output.curve[i - 1].scale[0]) last = p.seen; });
  await checkExercise(page, 'settled', last, last + 1);
  await checkCliAgrees(page);

  // Fewer batches: the same seeded stream, so 4 batches give torch's qparams after batch 4.
  const four = await set(page, 'batches', 4);
  assert.equal(four.curve.length, 4);
  assert.deepEqual(four.observers.map((o) => Math.fround(o.scale)), FIXTURE.curve[3].scale.map(f32));
  assert.match(await page.evaluate(() => location.hash), /batches=4/);

  // averaging_constant 1: min_val = min_val + 1 · (min(batch) − min_val), each op rounded to f32
  // as torch's tensor ops do: the last batch's own range, up to that rounding.
  const c1 = await set(page, 'averaging_constant', 1);
  const ma = c1.observers[1];
  const [prev, cur] = [c1.curve.at(-2), c1.curve.at(-1)];
  const avg = (/** @type {number} */ m, /** @type {number} */ b) => {
    [m, b] = [Math.fround(m), Math.fround(b)]; // the JSON digits are the f32's; read them back as f32
    return Math.fround(m + Math.fround(Math.fround(b - m) * 1));
  };
  assert.deepEqual([ma.min_val, ma.max_val].map(Math.fround), [avg(prev.min_val[1], cur.batch_min), avg(prev.max_val[1], cur.batch_max)]);
  assert.ok(Math.abs(ma.min_val - cur.batch_min) < 1e-6 && Math.abs(ma.max_val - cur.batch_max) < 1e-5);

  // Outlier strength 1 (no outliers): the bell stays in [−1.5, 2.5) and MinMax's scale is
  // fround(fround(max − min) / 255) (lesson 1's affine formula, both signs present).
  const plain = await set(page, 'outlier', 1);
  assert.ok(plain.data_min >= -1.5 && plain.data_max < 2.5, `${plain.data_min} … ${plain.data_max}`);
  const m = plain.observers[0];
  assert.equal(Math.fround(m.scale), Math.fround(Math.fround(Math.fround(m.max_val) - Math.fround(m.min_val)) / 255));
  assert.ok(m.scale < mm.scale, 'no outliers: a finer MinMax step');
  await checkCliAgrees(page);

  // The seed changes the data (and so the numbers).
  const seeded = await set(page, 'seed', 2);
  assert.notEqual(seeded.data_min, plain.data_min);

  // A bad value: the library's named error next to the widget, the last good numbers kept.
  await page.fill('#batches', '100');
  await page.dispatchEvent('#batches', 'change');
  assert.match(await page.textContent('#widget-error'), /batches[\s\S]*100[\s\S]*1 to 64/);
  assert.deepEqual((await widgetOutput(page)).output, seeded);
  assert.deepEqual(page.errors, []);
  await printViews(page, 'observers');
});
