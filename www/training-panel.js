// The Training panel's views: loss and accuracy curves of both runs, the loss-scale timeline
// (log2 axis at integer exponents, the scale's min–max per bucket, skipped steps as a rug and
// injected overflows as triangles), the skipped-steps count, the alarm when the scale falls
// below 1, and the memory table. Reads each run's bounded history (history.js; record field
// names of crate/src/app/metrics.rs), so a frame costs the same at step 100 and step 200,000.
// Draws only. Not here: stepping (runner.js) or the controls.

import { lineChart } from './chart.js';
import { f32Text, pow2Text } from './axes.js';

/** @typedef {import('./types.js').Run} Run */

const COLORS = { fp32: '#2f5fd0', main: '#d0632f' };
/** The element of index.html with this `id` (index.html has every id the page asks for; the
 * sites that need a kind of element, an input or a canvas, cast to it).
 * @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

// Non-finite f32 values (an overflowed step's grad norm) arrive from serde_json as null.
/** @param {unknown[]} xs @returns {number[]} */
const finite = (xs) => /** @type {number[]} */ (xs.filter((x) => typeof x === 'number' && Number.isFinite(x)));
/** @param {unknown[]} xs */
const mean = (xs) => finite(xs).reduce((a, b) => a + b, 0) / Math.max(1, finite(xs).length);
/** @param {unknown} x */
const prec = (x) => (typeof x === 'number' && Number.isFinite(x) ? x.toPrecision(3) : 'inf/NaN');

/** Creates the panel's charts; returns `{ render(runner, evals), renderMemory(json), clear() }`. */
export function trainingViews() {
  const loss = lineChart(/** @type {HTMLCanvasElement} */ ($('loss-chart')));
  const acc = lineChart(/** @type {HTMLCanvasElement} */ ($('acc-chart')), { yMin: 0, yMax: 1 });
  const scale = lineChart(/** @type {HTMLCanvasElement} */ ($('scale-chart')), { log2: true });

  /**
   * Draws both runs' charts and the summary; the runner must have runs (after a reset).
   * @param {{ runs: { fp32: Run, main: Run } | null }} runner
   * @param {{ [which: string]: import('./types.js').Eval[] }} evals
   */
  function render(runner, evals) {
    const { fp32, main } = /** @type {{ fp32: Run, main: Run }} */ (runner.runs);
    /** @param {Run} run */
    const label = (run) => (run === fp32 ? '32-true' : main.label ?? main.precision);
    const bucketsOf = { fp32: fp32.history.buckets(), main: main.history.buckets() };
    /** @param {number} i */
    const color = (i) => (i ? COLORS.main : COLORS.fp32);
    loss.update({
      series: [fp32, main].map((run, i) => ({ name: label(run), color: color(i), dashed: i === 1, points: bucketsOf[run.which].filter((b) => b.ema !== null).map((b) => /** @type {import('./chart.js').Point} */ ([b.step, b.ema])) })),
      empty: 'Press Start (or Step) to train both runs; their loss appears here.',
    });
    acc.update({
      series: [fp32, main].flatMap((run, i) => [
        { name: `${label(run)} train`, color: color(i), points: evals[run.which].map((e) => /** @type {import('./chart.js').Point} */ ([e.step, e.train_accuracy])) },
        { name: `test`, color: color(i), dashed: true, points: evals[run.which].map((e) => /** @type {import('./chart.js').Point} */ ([e.step, e.test_accuracy])) },
      ]),
      empty: 'Accuracy on the training and test sets appears after the first steps.',
    });
    const scaled = bucketsOf.main.filter((b) => b.scaled > 0);
    const counts = main.history.counts();
    scale.update({
      series: [{
        name: `loss scale (${label(main)})`, color: COLORS.main, stepped: true,
        points: scaled.map((b) => /** @type {import('./chart.js').Point} */ ([b.step, b.scaleLast])),
        // a bucket with scaled steps has its scale's min and max
        band: scaled.filter((b) => b.n > 1).map((b) => /** @type {[number, number, number]} */ ([b.step, b.scaleMin, b.scaleMax])),
      }],
      rug: { items: bucketsOf.main.filter((b) => b.skipped > b.injected).map((b) => /** @type {[number, number]} */ ([b.step, b.skipped - b.injected])), color: '#b3261e', label: 'skipped by the scaler' },
      marks: { items: bucketsOf.main.filter((b) => b.injected > 0).map((b) => b.step), color: '#6a1b9a', label: 'injected overflow' },
      // the scale = 1 line joins the axis once the scale comes within 2^4 of it
      hlines: scaled.some((b) => /** @type {number} */ (b.scaleMin) <= 16) ? [{ y: 1, color: '#b3261e', label: 'scale = 1' }] : [],
      empty: main.history.length ? `${label(main)} has no GradScaler: no loss scale.` : 'Press Start to train; the loss scale of a 16-mixed run appears here.',
    });

    // Summary, also read by the e2e tests through its data attributes.
    const h = main.history;
    const s = $('train-summary');
    const last = h.last;
    const lastLoss = mean(h.tail(10).map((r) => r.loss));
    const lastScale = last?.['amp/loss_scale'];
    const lastSkip = h.skips().at(-1);
    const after = lastSkip?.after;
    Object.assign(s.dataset, {
      steps: String(h.length),
      firstLoss: String(h.first?.loss ?? ''),
      lastLoss: String(h.length ? lastLoss : ''),
      scalePoints: String(counts.scaled),
      skipped: String(counts.skipped),
      injected: String(counts.injected),
      scale: String(lastScale ?? ''),
      maxScale: String(counts.maxScale ?? ''),
      skipScaleBefore: String(lastSkip?.rec['amp/loss_scale'] ?? ''),
      skipScaleAfter: String(after?.['amp/loss_scale'] ?? ''),
      items: String(fp32.history.size + h.size + evals.fp32.length + evals.main.length),
    });
    const parts = [`Step ${h.length}.`];
    if (h.length) {
      parts.push(`32-true loss ${mean(fp32.history.tail(10).map((r) => r.loss)).toFixed(4)}, ${label(main)} loss ${lastLoss.toFixed(4)} (mean of the last 10 batches).`);
    }
    if (lastScale !== undefined) {
      const inj = counts.injected ? ` (${counts.injected} injected)` : '';
      parts.push(`Loss scale ${f32Text(lastScale)} (${pow2Text(lastScale)}); skipped steps: ${counts.skipped}${inj}.`);
      if (lastSkip) parts.push(`Last skip at step ${lastSkip.rec.step}${lastSkip.rec.injected ? ' (injected)' : ''}: scale ${f32Text(lastSkip.rec['amp/loss_scale'])} → ${after ? f32Text(after['amp/loss_scale']) : '(next step)'}.`);
    } else if (h.length) {
      parts.push(`${label(main)} runs without a GradScaler.`);
    }
    if (fp32.history.length && last) parts.push(`Gradient norm: 32-true ${prec(fp32.history.last?.grad_norm)}, ${label(main)} ${prec(last.grad_norm)}.`);
    s.textContent = h.length ? parts.join(' ') : 'No steps yet: press Start, or Step for one chunk.';
    $('scale-alarm').hidden = !(lastScale !== undefined && lastScale < 1);
  }

  /** The memory table: one row per precision string, measured on the run's backend; a row
   * whose precision runs as another one there says so. `precision` is the run's request.
   * @param {{ by_precision: { precision: string, requested?: string, weights_bytes: number,
   *   activations_bytes: number }[] }} json Trainer.memory_json
   * @param {string} precision */
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
    /** @type {HTMLTableElement} */ ($('memory-table')).tBodies[0].replaceChildren(...rows);
  }

  function redraw() {
    loss.redraw(); acc.redraw(); scale.redraw();
  }

  return { render, renderMemory, redraw };
}
