// The Quantize panel's views: float vs int8 accuracy, per-layer SQNR bars, the weight-code and
// activation histograms with the quantization grid and clip range, and the observer comparison
// table, all from Trainer.quantize's JSON (crate/src/web/trainer_quant.rs; dynamic and QAT results
// have no activations or observers, and say what they did through quant-modes.js). Draws only; the
// quantization and every number shown are computed in Rust.

import { barChart, histChart } from './histogram.js';
import { modeText } from './quant-modes.js';
import { calibCompareView } from './calib-compare.js';

/** The element of index.html with this `id` (index.html has every id the page asks for; the
 * sites that need a kind of element, an input or a canvas, cast to it).
 * @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
// Non-finite f32 values (an SQNR of a constant activation, e.g. one calibration sample) arrive
// from serde_json as null: shown as "not finite" instead of failing the whole panel.
/** @param {unknown} x @param {number} d */
const fixed = (x, d) => (typeof x === 'number' ? x.toFixed(d) : 'not finite');
/** @param {number} x */
const pct = (x) => `${(100 * x).toFixed(1)} %`;
/** @param {unknown} x */
const num = (x) => (typeof x === 'number' ? String(+x.toPrecision(4)) : String(x));

/** @typedef {import('./types.js').QuantResult} QuantResult */

/** @param {string} tag @param {string} text */
function cell(tag, text) {
  const el = document.createElement(tag);
  el.textContent = text;
  return el;
}

/** Where calibration and the evaluation ran, as the JSON's `placement` says, and the input qparams.
 * @param {QuantResult} r */
function placementText(r) {
  const p = r.placement || {};
  const samples = `${r.calib_size} training sample${r.calib_size === 1 ? '' : 's'}`;
  /** @param {string} name */
  const on = (name) => (name === 'webgpu' ? 'WebGPU' : name === 'cpu-reference' ? 'the CPU reference' : 'the CPU');
  const why = r.fallback ? ` (moved to the CPU: ${r.fallback})` : '';
  const input = `input qparams: scale ${num(r.report.input?.scale)}, zero point ${r.report.input?.zero_point}`;
  return `Calibrated on ${samples}: the float forward ran on ${on(p.calibration_forward)}${why}, the observers reduced each activation on ${on(p.observer_statistics)} (only their min/max and histogram counts came back to the CPU); the float and int8 evaluation ran on ${on(p.int8_forward)}. ${input[0].toUpperCase()}${input.slice(1)}.`;
}

/** Replaces the options of `select`, keeping its choice if it is still there.
 * @param {HTMLSelectElement} select @param {string[]} names */
function options(select, names) {
  const keep = select.value;
  select.replaceChildren(...names.map((n) => cell('option', n)));
  if (names.includes(keep)) select.value = keep;
}

/** Returns `{ render(result), clear(text) }`. */
export function quantViews() {
  const sqnr = barChart(/** @type {HTMLCanvasElement} */ ($('sqnr-chart')));
  const weights = histChart(/** @type {HTMLCanvasElement} */ ($('weight-hist')));
  const acts = histChart(/** @type {HTMLCanvasElement} */ ($('act-hist')));
  const weightLayer = /** @type {HTMLSelectElement} */ ($('weight-layer'));
  const actSelect = /** @type {HTMLSelectElement} */ ($('act-select'));
  /** @type {QuantResult | null} */
  let result = null;

  /** Draws the chosen layer's weight codes (render sets `result` first). */
  function drawWeights() {
    if (!result) return;
    const weighted = result.report.layers.filter((l) => l.weight_qscheme);
    const layer = weighted.find((l) => l.name === weightLayer.value) || weighted[0];
    if (!layer) return;
    const codes = Array.from({ length: 256 }, (_, i) => i - 128);
    const perChannel = layer.weight_scale.length > 1;
    weights.update({
      lo: -128, hi: 127, counts: layer.weight_histogram, ticks: codes,
      clip: [-128, 127], color: '#6a4fb0', xLabel: 'int8 weight code',
      note: `${layer.weight_qscheme}${perChannel ? `, ${layer.weight_scale.length} scales (axis ${layer.weight_axis})` : `, scale ${num(layer.weight_scale[0])}`}`,
    });
  }

  /** Draws the chosen activation's histogram (render sets `result` first). */
  function drawActivation() {
    if (!result) return;
    const a = result.activations.find((x) => x.name === actSelect.value) || result.activations[0];
    if (!a) return acts.update({ counts: [], empty: 'No calibrated activations in this mode (dynamic picks them per batch; QAT learned them while training).' });
    /** @type {number[]} */
    const ticks = [];
    for (let q = a.quant_min; q <= a.quant_max; q++) ticks.push((q - a.zero_point) * a.scale);
    acts.update({
      lo: a.lo, hi: a.hi, counts: a.counts, ticks, clip: [a.clip_lo, a.clip_hi], color: '#1d7a3a', xLabel: 'activation value',
      note: `scale ${num(a.scale)}, zero point ${a.zero_point}, q ∈ [${a.quant_min}, ${a.quant_max}]`,
    });
  }

  weightLayer.addEventListener('change', () => result && drawWeights());
  actSelect.addEventListener('change', () => result && drawActivation());

  /**
   * Draws a quantize result; `note` (if any) is said first, e.g. that it was recomputed on the CPU.
   * @param {QuantResult} r
   * @param {string} [note]
   */
  function render(r, note = '') {
    result = r;
    const { report } = r;
    const acc = report.accuracy;
    const out = $('quant-result');
    const lines = [];
    if (note) {
      const p = cell('p', note);
      p.id = 'quant-note';
      lines.push(p);
    }
    if (acc) {
      const head = cell('p', `Test accuracy: float ${pct(acc.float)}, int8 ${pct(acc.int8)} (${((acc.int8 - acc.float) * 100).toFixed(1)} points); the two agree on ${pct(acc.agreement)} of the predictions.`);
      head.id = 'quant-accuracy';
      head.className = Math.abs(acc.int8 - acc.float) <= 0.02 ? 'ok' : 'bad';
      lines.push(head);
      Object.assign(out.dataset, { float: String(acc.float), int8: String(acc.int8), agreement: String(acc.agreement) });
    }
    const where = cell('p', modeText(r) ?? placementText(r));
    where.id = 'quant-placement';
    Object.assign(where.dataset, { ranOn: r.ran_on, ...(r.placement || {}) });
    lines.push(where);
    if (report.float_modules?.length) lines.push(cell('p', `Left in float: ${report.float_modules.map((m) => m.join(' ')).join(', ')}.`));
    for (const w of report.warnings || []) lines.push(cell('p', `Warning: ${w}`));
    lines.push(...calibCompareView(report.calibration_vs_cpu));
    out.replaceChildren(...lines);
    out.dataset.done = 'true';

    sqnr.update({ bars: report.layers.map((l) => ({ label: l.name, value: l.sqnr_db })), unit: 'dB' });
    options(weightLayer, report.layers.filter((l) => l.weight_qscheme).map((l) => l.name));
    options(actSelect, r.activations.map((a) => a.name));
    drawWeights();
    drawActivation();

    const head = document.createElement('tr');
    for (const t of ['module', 'observer', 'kind', 'scale', 'zero point', 'clip %', 'SQNR (dB)']) head.append(cell('th', t));
    const rows = r.observers.map((o) => {
      const tr = document.createElement('tr');
      for (const v of [o.name, o.observer, o.kind, num(o.scale), String(o.zero_point), fixed(o.clip_percent, 3), fixed(o.sqnr_db, 1)]) tr.append(cell('td', v));
      return tr;
    });
    /** @type {HTMLTableElement} */ ($('observer-table')).tBodies[0].replaceChildren(head, ...rows);
  }

  /** Empties the panel; every chart says what to do first. @param {string} text */
  function clear(text) {
    result = null;
    const out = $('quant-result');
    delete out.dataset.done;
    out.replaceChildren(cell('p', text));
    const todo = 'Press Quantize (after some training) to see this.';
    sqnr.update({ bars: [], empty: `${todo} One bar per quantized layer: how close its int8 output is to float.` });
    weights.update({ counts: [], empty: `${todo} The int8 codes of the chosen layer's weights.` });
    acts.update({ counts: [], empty: `${todo} The calibrated activations with the int8 grid and clip range.` });
  }

  return { render, clear, redraw: () => (sqnr.redraw(), weights.redraw(), acts.redraw()) };
}
