// End-to-end: the charts' numbers and axes are readable and true. Log2 gridlines at whole
// powers of two; f32 scales printed as the f32 value (2^28 arrives from serde_json as
// 268435460); a step axis with round ticks on every chart; skipped steps as a rug below the plot
// (not full-height lines) and injected overflows as triangles apart from them; legends outside
// the plot; the f16 line's threshold labels on top of the bars and clear of each other; the
// weight histogram's note wrapped instead of clipped; and empty charts saying what to do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, openPage, train, trainSummary } from './browser.mjs';
import { installSynthetic, drive } from './synthetic.mjs';

let env;
before(async () => {
  env = await openBrowser();
});
after(async () => {
  await env?.close();
});

const HASH = '#backend=cpu&dataset=circle&hidden=8';

/** Counts pixels of canvas `id` within `box` ({x0, y0, x1, y1} in CSS px, or the plot area)
 * whose colour is within `tol` of [r, g, b]. */
function countPixels(page, id, rgb, tol = 30, box = null) {
  return page.evaluate(({ id, rgb, tol, box }) => {
    const c = document.getElementById(id);
    const dpr = c.width / c.clientWidth;
    const d = c.dataset;
    // (the fallbacks are the plot box of the page before chart.js kept it in data attributes)
    const b = box || { x0: Number(d.plotLeft ?? 48) + 2, y0: Number(d.plotTop ?? 10), x1: Number(d.plotRight ?? c.clientWidth - 10) - 2, y1: Number(d.plotBottom ?? c.clientHeight - 22) };
    const img = c.getContext('2d').getImageData(Math.round(b.x0 * dpr), Math.round(b.y0 * dpr), Math.round((b.x1 - b.x0) * dpr), Math.round((b.y1 - b.y0) * dpr));
    let n = 0;
    for (let i = 0; i < img.data.length; i += 4) {
      if (img.data[i + 3] < 128) continue;
      if (Math.abs(img.data[i] - rgb[0]) <= tol && Math.abs(img.data[i + 1] - rgb[1]) <= tol && Math.abs(img.data[i + 2] - rgb[2]) <= tol) n++;
    }
    return n;
  }, { id, rgb, tol, box });
}

const dataset = (page, id) => page.evaluate((id) => ({ ...document.getElementById(id).dataset }), id);
const isRoundStep = (s) => [1, 2, 5].some((m) => Math.abs(s / 10 ** Math.floor(Math.log10(s) + 1e-9) - m) < 1e-6);

test('the loss-scale axis has gridlines only at whole powers of two, on a real run that backs off from 2^28', async () => {
  const { page } = await openPage(env, `${HASH}&init_scale=268435456&growth_interval=100000`);
  const s = await train(page, 40);
  assert.ok(Number(s.skipped) > 0, 'f16 overflowed at 2^28 and the scaler backed off');
  const ticks = (await dataset(page, 'scale-chart')).yTicks.split('|');
  assert.ok(ticks.length >= 2, ticks.join(' '));
  for (const t of ticks) assert.match(t, /^2\^-?\d+$/, `tick ${t} is not a whole power of two`);
  const exps = ticks.map((t) => Number(t.slice(2)));
  const gaps = new Set(exps.slice(1).map((e, i) => e - exps[i]));
  assert.equal(gaps.size, 1, `evenly spaced: ${exps}`);
  const first = await page.evaluate(() => window.quantplay.app.runner.runs.main.history.first['amp/loss_scale']);
  assert.equal(first, 268435460, 'the f32 2^28 arrives as its shortest decimal');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a loss scale of 2^28 prints as 268435456, not the widened 268435460', async () => {
  const { page } = await openPage(env, HASH);
  await installSynthetic(page, { scale0: 2 ** 27, growthInterval: 10, skipEvery: 0, maxScale: 2 ** 30 });
  await drive(page, 15, 15);
  const s = await trainSummary(page);
  assert.match(s.text, /Loss scale 268435456 \(2\^28\)/, s.text);
  assert.doesNotMatch(s.text, /268435460/, s.text);
  await page.close();
});

test('every chart has a step axis label and round ticks', async () => {
  const { page } = await openPage(env, HASH);
  await installSynthetic(page, { skipEvery: 97, growthInterval: 50 });
  await drive(page, 3000, 100, 3);
  for (const id of ['loss-chart', 'acc-chart', 'scale-chart']) {
    const d = await dataset(page, id);
    const xs = d.xTicks.split('|').map(Number);
    assert.ok(xs.length >= 2, `${id}: ${d.xTicks}`);
    const step = xs[1] - xs[0];
    assert.ok(isRoundStep(step) && xs.every((x, i) => i === 0 || x - xs[i - 1] === step) && xs.every((x) => x % step === 0), `${id} x ticks ${d.xTicks}`);
    if (id !== 'scale-chart') {
      const ys = d.yTicks.split('|').map(Number);
      const ystep = +(ys[1] - ys[0]).toPrecision(6);
      assert.ok(isRoundStep(ystep), `${id} y ticks ${d.yTicks}`);
    }
  }
  const xLabel = await page.evaluate(() => {
    // the word "step" is drawn at the bottom right of each chart: its dark pixels are there
    const c = document.getElementById('loss-chart');
    const dpr = c.width / c.clientWidth;
    const img = c.getContext('2d').getImageData(c.width - 40 * dpr, c.height - 12 * dpr, 28 * dpr, 12 * dpr);
    let n = 0;
    for (let i = 0; i < img.data.length; i += 4) if (img.data[i + 3] > 128 && img.data[i] < 140) n++;
    return n;
  });
  assert.ok(xLabel > 10, `no axis label drawn (${xLabel} px)`);
  await page.close();
});

test('skipped steps are a rug below the plot and injected overflows are triangles apart from them', async () => {
  const { page } = await openPage(env, HASH);
  await installSynthetic(page, { skipEvery: 7, injectEvery: 997, growthInterval: 3 });
  await drive(page, 20_000, 500, 0);
  const made = await page.evaluate(() => window.syntheticCounts);
  // the old page drew ~2,900 full-height red lines: a red wall over the plot
  const wall = await countPixels(page, 'scale-chart', [202, 103, 98], 25) + await countPixels(page, 'scale-chart', [179, 38, 30], 25);
  assert.ok(wall < 50, `${wall} skip-marker pixels inside the plot`);
  const d = await dataset(page, 'scale-chart');
  assert.ok(d.legend.includes(`skipped by the scaler (${made.skipped - made.injected})`), d.legend);
  assert.ok(d.legend.includes(`▲ injected overflow (${made.injected})`), d.legend);
  const rug = await page.evaluate(() => {
    const c = document.getElementById('scale-chart');
    return { y0: Number(c.dataset.plotBottom) + 1, y1: Number(c.dataset.plotBottom) + 15, x0: 50, x1: c.clientWidth - 12 };
  });
  assert.ok(await countPixels(page, 'scale-chart', [179, 38, 30], 25, rug) > 100, 'the rug is drawn below the plot');
  assert.ok(await countPixels(page, 'scale-chart', [106, 27, 154], 30) > 20, 'the injected triangles are drawn');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('legends sit above the plot, never over the data', async () => {
  const { page } = await openPage(env, HASH);
  await installSynthetic(page, { skipEvery: 97, growthInterval: 50 });
  await drive(page, 2000, 100, 2);
  for (const id of ['loss-chart', 'acc-chart', 'scale-chart']) {
    // legend text is dark (#1d2330); inside the plot only the data, gridlines and labels of
    // reference lines may be drawn
    const dark = await countPixels(page, id, [29, 35, 48], 30);
    assert.ok(dark < 10, `${id}: ${dark} dark text pixels inside the plot`);
    const d = await dataset(page, id);
    assert.ok(d.legend.split('|').length >= 1 && d.legend.length > 0, `${id}: no legend`);
    const width = await page.evaluate((id) => document.getElementById(id).clientWidth, id);
    assert.ok(Number(d.legendRight) <= width, `${id}: legend runs off the canvas (${d.legendRight} > ${width})`);
  }
  await page.close();
});

test("the f16 line's threshold labels (6e-8, 6.1e-5, 65504) are drawn on top and clear of each other", async () => {
  const { page } = await openPage(env, HASH);
  await train(page, 30);
  await page.waitForFunction(() => document.getElementById('f16-summary').dataset.values, null, { timeout: 30_000 });
  const { labels, w, h } = await page.evaluate(() => {
    const c = document.getElementById('f16-line');
    return { labels: JSON.parse(c.dataset.labels || '[]'), w: c.clientWidth, h: c.clientHeight };
  });
  const texts = labels.map((l) => l.text);
  for (const t of ['6e-8', '6.1e-5', '65504', 'subnormal', '|grad| unscaled ↓']) assert.ok(texts.includes(t), `${t} missing: ${texts}`);
  for (const l of labels) assert.ok(l.x >= 0 && l.y >= 0 && l.x + l.w <= w + 1 && l.y + l.h <= h + 1, `${l.text} off the canvas`);
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      const [a, b] = [labels[i], labels[j]];
      const hit = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
      assert.ok(!hit, `"${a.text}" overlaps "${b.text}"`);
    }
  }
  const label = labels.find((l) => l.text === '6.1e-5');
  const red = await countPixels(page, 'f16-line', [179, 38, 30], 60, { x0: label.x, y0: label.y, x1: label.x + label.w, y1: label.y + label.h });
  assert.ok(red > 10, `6.1e-5 is not visible (${red} red pixels in its box)`);
  await page.close();
});

test('the weight histogram note (per_channel_affine, scales, axis) wraps instead of being clipped', async () => {
  const { page } = await openPage(env, `${HASH}&granularity=per-channel`);
  await page.setViewportSize({ width: 700, height: 900 });
  await train(page, 30);
  await page.click('#run-quant');
  await page.waitForSelector('#quant-result[data-done]', { timeout: 120_000 });
  const lines = JSON.parse((await dataset(page, 'weight-hist')).note || '[]');
  const text = lines.map((l) => l.text).join(', ');
  assert.match(text, /per_channel_affine/, text);
  assert.match(text, /scales \(axis 0\)/, text);
  for (const l of lines) assert.ok(l.width <= l.room, `"${l.text}" is ${l.width} px wide, the canvas has ${l.room}`);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('charts and panels that are empty before the first run say what to do', async () => {
  const { page } = await openPage(env, HASH);
  const empty = await page.evaluate(() => Object.fromEntries(['loss-chart', 'scale-chart', 'sqnr-chart', 'weight-hist', 'act-hist', 'diff-heatmap']
    .map((id) => [id, document.getElementById(id).dataset.empty || ''])));
  for (const id of ['loss-chart', 'scale-chart']) assert.match(empty[id], /Start/, `${id}: "${empty[id]}"`);
  // (the accuracy chart already has the untrained nets' accuracy at step 0)
  for (const id of ['sqnr-chart', 'weight-hist', 'act-hist']) assert.match(empty[id], /Press Quantize/, `${id}: "${empty[id]}"`);
  assert.match(empty['diff-heatmap'], /WebGPU/, empty['diff-heatmap']); // on the CPU there is nothing to compare
  const f16 = await page.evaluate(() => JSON.parse(document.getElementById('f16-line').dataset.labels || '[]').map((l) => l.text));
  assert.ok(f16.some((t) => /Take a training step/.test(t)), f16.join(' | '));
  assert.match(await page.textContent('#train-summary'), /No steps yet: press Start/);
  await page.close();
});
