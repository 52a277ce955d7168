// The Training panel's views: loss and accuracy curves of both runs, the loss-scale timeline
// (log2 axis, skipped-step markers, the growth ramp), the skipped-steps count, the alarm when
// the scale falls below 1, and the memory table. Reads the runner's step records (field names
// of crate/src/nn/metrics.rs); draws only. Not here: stepping (runner.js) or the controls.

import { lineChart } from './chart.js';

const COLORS = { fp32: '#2f5fd0', main: '#d0632f' };
const $ = (id) => document.getElementById(id);

/** Exponential moving average of the loss, so the batch noise does not hide the trend. */
function smooth(records) {
  let ema = null;
  return records.filter((r) => Number.isFinite(r.loss ?? NaN)).map((r) => {
    ema = ema === null ? r.loss : 0.9 * ema + 0.1 * r.loss;
    return [r.step, ema];
  });
}

// Non-finite f32 values (an overflowed step's grad norm) arrive from serde_json as null.
const finite = (xs) => xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
const mean = (xs) => finite(xs).reduce((a, b) => a + b, 0) / Math.max(1, finite(xs).length);
const prec = (x) => (typeof x === 'number' && Number.isFinite(x) ? x.toPrecision(3) : 'inf/NaN');
const pow2 = (s) => (s > 0 ? `2^${Math.log2(s).toFixed(Number.isInteger(Math.log2(s)) ? 0 : 2)}` : String(s));

/** Creates the panel's charts; returns `{ render(runner, evals), renderMemory(json), clear() }`. */
export function trainingViews() {
  const loss = lineChart($('loss-chart'));
  const acc = lineChart($('acc-chart'), { yMin: 0, yMax: 1 });
  const scale = lineChart($('scale-chart'), { log2: true });

  function render(runner, evals) {
    const { fp32, main } = runner.runs;
    const label = (run) => (run === fp32 ? '32-true' : main.label ?? main.precision);
    loss.update({
      series: [fp32, main].map((run, i) => ({ name: label(run), color: i ? COLORS.main : COLORS.fp32, points: smooth(run.records), dashed: i === 1 })),
    });
    acc.update({
      series: [fp32, main].flatMap((run, i) => [
        { name: label(run), color: i ? COLORS.main : COLORS.fp32, points: evals[i ? 'main' : 'fp32'].map((e) => [e.step, e.train_accuracy]) },
        { name: '', color: i ? COLORS.main : COLORS.fp32, dashed: true, points: evals[i ? 'main' : 'fp32'].map((e) => [e.step, e.test_accuracy]) },
      ]),
      empty: 'accuracy appears after the first steps',
    });
    const scaled = main.records.filter((r) => r['amp/loss_scale'] !== undefined);
    const skips = main.records.filter((r) => r.skipped);
    scale.update({
      series: [{ name: `loss scale (${main.precision})`, color: COLORS.main, stepped: true, points: scaled.map((r) => [r.step, r['amp/loss_scale']]) }],
      markers: skips.map((r) => ({ x: r.step, color: 'rgba(179,38,30,0.7)' })),
      // the scale = 1 line joins the axis once the scale comes within 2^4 of it
      hlines: scaled.some((r) => r['amp/loss_scale'] <= 16) ? [{ y: 1, color: '#b3261e', label: 'scale = 1' }] : [],
      empty: main.records.length ? `${main.precision} has no GradScaler: no loss scale` : 'no steps yet',
    });

    // Summary, also read by the e2e tests through its data attributes.
    const s = $('train-summary');
    const last = main.records.at(-1);
    const firstLoss = main.records[0]?.loss;
    const lastLoss = mean(main.records.slice(-10).map((r) => r.loss));
    const lastScale = last?.['amp/loss_scale'];
    const lastSkip = skips.at(-1);
    const after = lastSkip && main.records.find((r) => r.step > lastSkip.step);
    Object.assign(s.dataset, {
      steps: String(main.records.length),
      firstLoss: String(firstLoss ?? ''),
      lastLoss: String(main.records.length ? lastLoss : ''),
      scalePoints: String(scaled.length),
      skipped: String(skips.length),
      scale: String(lastScale ?? ''),
      maxScale: String(scaled.length ? Math.max(...scaled.map((r) => r['amp/loss_scale'])) : ''),
      skipScaleBefore: String(lastSkip?.['amp/loss_scale'] ?? ''),
      skipScaleAfter: String(after?.['amp/loss_scale'] ?? ''),
    });
    const parts = [`Step ${main.records.length}.`];
    if (main.records.length) {
      parts.push(`32-true loss ${mean(fp32.records.slice(-10).map((r) => r.loss)).toFixed(4)}, ${label(main)} loss ${lastLoss.toFixed(4)} (mean of the last 10 batches).`);
    }
    if (lastScale !== undefined) {
      parts.push(`Loss scale ${lastScale} (${pow2(lastScale)}); skipped steps: ${skips.length}.`);
      if (lastSkip) parts.push(`Last skip at step ${lastSkip.step}: scale ${lastSkip['amp/loss_scale']} → ${after ? after['amp/loss_scale'] : '(next step)'}.`);
    } else if (main.records.length) {
      parts.push(`${main.precision} runs without a GradScaler.`);
    }
    if (fp32.records.length) parts.push(`Gradient norm: 32-true ${prec(fp32.records.at(-1).grad_norm)}, ${main.precision} ${prec(last.grad_norm)}.`);
    s.textContent = parts.join(' ');
    $('scale-alarm').hidden = !(lastScale < 1);
  }

  /** The memory table: one row per precision string, measured on the run's backend; a row
   * whose precision runs as another one there says so. `precision` is the run's request. */
  function renderMemory(json, precision) {
    const rows = json.by_precision.map((m) => {
      const tr = document.createElement('tr');
      const asked = m.requested ?? m.precision;
      if (asked === precision || asked === '32-true') tr.className = 'hl';
      tr.innerHTML = '<th scope="row"></th><td></td><td></td><td></td>';
      tr.children[0].textContent = asked === m.precision ? asked : `${asked} (runs as ${m.precision})`;
      tr.children[1].textContent = `${m.weights_bytes.toLocaleString('en')} B weights`;
      tr.children[2].textContent = `${m.activations_bytes.toLocaleString('en')} B activations`;
      tr.children[3].textContent = `${(m.weights_bytes + m.activations_bytes).toLocaleString('en')} B total`;
      return tr;
    });
    $('memory-table').tBodies[0].replaceChildren(...rows);
  }

  function redraw() {
    loss.redraw(); acc.redraw(); scale.redraw();
  }

  return { render, renderMemory, redraw };
}
