// The Quantize panel's numeric debugger (torch's Numeric Suite, docs/numeric-debugger.md): the
// sensitivity sweep as bars (test accuracy with only that layer kept float, the layer that hurts
// most first), the chosen layer's calibrated activations with the clip range and its
// compare_model_outputs figures, and "keep these layers float", which re-converts and says the
// accuracy change. Draws only; every number comes from Trainer.quantize's JSON
// (crate/src/app/ptq_debug.rs). Not here: running the call (quantize-action.js).

import { barChart, histChart } from './histogram.js';

/** The element of index.html with this `id` (index.html has every id the page asks for; the
 * sites that need a kind of element, an input or a canvas, cast to it).
 * @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @typedef {import('./types.js').QuantResult} QuantResult */

/** @param {number} x */
const pct = (x) => `${(100 * x).toFixed(1)} %`;
/** @param {number} x */
const pts = (x) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} points`;
/** @param {unknown} x @param {number} [d] */
const num = (x, d = 2) => (typeof x === 'number' ? x.toFixed(d) : 'not finite');

/**
 * A new element with `text` and the properties `attrs`.
 * @param {string} tag @param {string} [text] @param {object} [attrs]
 */
function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  return Object.assign(e, attrs);
}

/**
 * Returns `{ render(result), busy(text), clear(), redraw() }`; `run(extra)` quantizes with `extra` options.
 * @param {(extra: { sweep?: boolean, debug?: boolean, keep_float?: string[] }) => void} run
 */
export function debugViews(run) {
  const bars = barChart(/** @type {HTMLCanvasElement} */ ($('sweep-chart')));
  const hist = histChart(/** @type {HTMLCanvasElement} */ ($('debug-act-hist')));
  const layer = /** @type {HTMLSelectElement} */ ($('debug-layer'));
  const sweepButton = /** @type {HTMLButtonElement} */ ($('run-sweep'));
  const keepButton = /** @type {HTMLButtonElement} */ ($('run-keep-float'));
  /** @type {QuantResult | null} */
  let result = null;
  /** @type {NonNullable<QuantResult['sweep']> | null} */
  let sweep = null;

  function drawActivation() {
    const name = layer.value;
    const a = result?.activations?.find((x) => x.name === name);
    if (!a) {
      const kept = result?.keep_float?.layers?.includes(name);
      $('debug-act-hist').dataset.layer = name;
      return hist.update({ counts: [], empty: kept ? `${name} is kept float in this run: its output is not quantized.` : 'Run the sweep to see each layer\'s activations.' });
    }
    // `a` came from `result`
    const d = /** @type {QuantResult} */ (result).debug?.activations?.find((x) => x.name === name);
    /** @type {number[]} */
    const ticks = [];
    for (let q = a.quant_min; q <= a.quant_max; q++) ticks.push((q - a.zero_point) * a.scale);
    const figures = d
      ? `SQNR ${num(d.sqnr_db, 1)} dB, cosine ${num(d.cosine_similarity, 4)}, max |err| ${num(d.max_abs_error, 4)}, clipped ${num(d.clip_percent, 2)} %, at qmax ${num(d.at_max_percent, 2)} %`
      : '';
    hist.update({
      lo: a.lo, hi: a.hi, counts: a.counts, ticks, clip: [a.clip_lo, a.clip_hi], color: '#1d7a3a',
      xLabel: `${name} output (calibration)`, note: figures,
    });
    $('debug-act-hist').dataset.layer = name;
  }

  function drawSweep() {
    const sw = /** @type {NonNullable<typeof sweep>} */ (sweep); // render() set it
    const rows = sw.rows;
    bars.update({ bars: rows.map((r, i) => ({ label: `${r.name} (${pts(r.gain)})`, value: 100 * r.accuracy, color: i === 0 ? '#b3261e' : undefined })), unit: '%' });
    $('sweep-chart').dataset.rows = JSON.stringify(rows);
    $('sweep-result').textContent = `Float ${pct(sw.float)}, fully int8 ${pct(sw.int8)}. Keeping ${rows[0]?.name} float helps most (${pts(rows[0]?.gain ?? 0)}).`;
    const boxes = rows.map((r, i) => {
      const label = el('label', '', { className: 'inline' });
      label.append(el('input', undefined, { type: 'checkbox', value: r.name, checked: i === 0 }), ` ${r.name}`);
      return label;
    });
    $('keep-float-layers').replaceChildren(...boxes);
    keepButton.disabled = false;
    const keep = layer.value;
    layer.replaceChildren(...rows.map((r) => el('option', r.name)));
    layer.value = rows.some((r) => r.name === keep) ? keep : rows[0]?.name;
  }

  /** Draws what a quantize call with debugger options returned. */
  /** @param {QuantResult} r */
  function render(r) {
    result = r;
    if (r.sweep) {
      sweep = r.sweep;
      drawSweep();
    }
    const out = $('keep-float-result');
    if (r.keep_float) {
      const k = r.keep_float;
      out.textContent = `Kept float: ${k.layers.join(', ')}. Test accuracy ${pct(k.accuracy)} vs fully int8 ${pct(k.int8)} (${pts(k.change)}).`;
      Object.assign(out.dataset, { layers: k.layers.join(','), accuracy: String(k.accuracy), int8: String(k.int8), change: String(k.change) });
      out.dataset.done = 'true';
    } else if (!r.sweep) {
      clear();
      return;
    }
    drawActivation();
  }

  /** Says what is running (the sweep's bars stay while keep-float re-converts). */
  /** @param {string} text */
  function busy(text) {
    const out = $('keep-float-result');
    delete out.dataset.done;
    out.textContent = text;
    sweepButton.disabled = true;
    keepButton.disabled = true;
  }

  function idle() {
    sweepButton.disabled = false;
    keepButton.disabled = !sweep;
  }

  /** Empties the debugger (a new model or a plain Quantize: the old sweep no longer applies). */
  function clear() {
    sweep = null;
    result = null;
    bars.update({ bars: [], empty: 'Press Sensitivity sweep: one PTQ per layer with only that layer kept float.' });
    delete $('sweep-chart').dataset.rows;
    hist.update({ counts: [], empty: 'Run the sweep to see each layer\'s activations.' });
    $('sweep-result').textContent = '';
    $('keep-float-layers').replaceChildren();
    const out = $('keep-float-result');
    out.textContent = '';
    delete out.dataset.done;
    idle();
  }

  layer.addEventListener('change', () => result && drawActivation());
  sweepButton.addEventListener('click', () => run({ sweep: true, debug: true }));
  keepButton.addEventListener('click', () => {
    const keep = [...$('keep-float-layers').querySelectorAll(/** @type {'input'} */ ('input:checked'))].map((c) => c.value);
    if (!keep.length) return void ($('keep-float-result').textContent = 'Tick at least one layer to keep float.');
    run({ keep_float: keep, debug: true });
  });
  clear();
  return { render, busy, idle, clear, redraw: () => (bars.redraw(), hist.redraw()) };
}
