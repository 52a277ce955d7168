// Lesson 2's widget: seeded calibration batches → MinMax, MovingAverage and Histogram observers,
// their qparams, clipping vs rounding error, and the error and scale after each batch, all from
// the library's `lesson('observers', …)` (crate/src/app/lessons/observers.rs). Charts reuse the
// playground's (www/histogram.js, www/chart.js); the URL keeps the inputs.
import { compute, exercise, fmt, lessonChrome, loadLibrary, readHash, refreshSolutions, showCommand, writeHash } from './kit.js';
import { histChart } from '../www/histogram.js';
import { lineChart } from '../www/chart.js';

const DEFAULTS = { batches: 16, batch_size: 1024, outlier: 8, seed: 1, averaging_constant: 0.01 };
const KEYS = /** @type {(keyof typeof DEFAULTS)[]} */ (Object.keys(DEFAULTS));
const COLORS = ['#2f5fd0', '#e08a00', '#2e7d32'];
const SHORT = ['MinMax', 'MovingAverage', 'Histogram'];
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const field = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

let { state, problems } = readHash(DEFAULTS);
/** @type {any} */
let out = null;
/** @type {{ update: (d: any) => void }[]} */
const hists = [];
const errorChart = lineChart(/** @type {HTMLCanvasElement} */ ($('curve-error')), { log2: true, xLabel: 'batches seen' });
const scaleChart = lineChart(/** @type {HTMLCanvasElement} */ ($('curve-scale')), { xLabel: 'batches seen' });

function show() {
  for (const k of KEYS) field(k).value = String(state[k]);
}

/** @param {string} text */
function showError(text) {
  $('widget-error').textContent = text;
  $('widget-error').hidden = !text;
}

/** The controls' state, or null (with a message) when a box holds no number. */
function read() {
  /** @type {any} */
  const next = {};
  for (const k of KEYS) {
    const raw = field(k).value.trim();
    const v = Number(raw);
    if (raw === '' || !Number.isFinite(v)) {
      showError(`${k}: "${raw}" is not a number (the charts keep the last good setting).`);
      return null;
    }
    next[k] = v;
  }
  return next;
}

/** About 4 significant digits, for reading (the table's data-cli keeps the exact numbers). */
const r4 = (/** @type {number} */ x) => String(+x.toPrecision(4));
/** `n value(s)`, with n rounded to a whole count. */
const values = (/** @type {number} */ n) => `${Math.round(n)} value${Math.round(n) === 1 ? '' : 's'}`;
/** The batch the scale exercise asks about: the middle one (not the final state the table shows). */
const askBatch = () => Math.max(1, Math.ceil(state.batches / 2));

/** The index of the smallest total error (the first on a tie). */
function best() {
  const t = out.observers.map((/** @type {any} */ o) => o.total_error);
  return t.indexOf(Math.min(...t));
}

/** The last batch count after which MinMaxObserver's scale changed (1 if it never did). */
function settled() {
  let last = 1;
  for (let i = 1; i < out.curve.length; i++) if (out.curve[i].scale[0] !== out.curve[i - 1].scale[0]) last = out.curve[i].seen;
  return last;
}

function render() {
  try {
    out = compute('observers', state);
  } catch (e) {
    showError(/** @type {any} */ (e)?.message ?? String(e));
    return;
  }
  showError(problems.length ? `URL: ${problems.join('; ')}` : '');
  problems = [];
  writeHash(state);
  $('data-facts').innerHTML = ['samples', 'outliers', 'data_min', 'data_max', 'dtype', 'qscheme']
    .map((k) => `<dt>${k}</dt><dd data-cli="${k} ${fmt(out[k])}">${fmt(out[k])}</dd>`)
    .join('');
  const box = $('hists');
  out.observers.forEach((/** @type {any} */ o, /** @type {number} */ i) => {
    if (!hists[i]) {
      const c = document.createElement('canvas');
      c.className = 'chart';
      c.id = `hist-${i}`;
      box.append(c);
      hists[i] = histChart(c);
    }
    hists[i].update({
      lo: out.data_min, hi: out.data_max, counts: out.histogram, clip: [o.range_lo, o.range_hi], color: COLORS[i],
      note: `${o.observer}: range ${r4(o.range_lo)} … ${r4(o.range_hi)}, clips ${values(o.clip_fraction * out.samples)} of ${out.samples}${o.clip_fraction > 0 ? ' (red shading at the ends; one value is a 1-px bar)' : ''}`,
    });
  });
  const rows = ['min_val', 'max_val', 'search_range', 'scale', 'zero_point', 'range_lo', 'range_hi', 'clip_fraction', 'clipping_error', 'rounding_error', 'total_error'];
  const ROUNDED = ['clip_fraction', 'clipping_error', 'rounding_error', 'total_error'];
  const cell = (/** @type {any} */ o, /** @type {string} */ k) => {
    if (k === 'search_range') return o.search_range ? `<td data-cli="${o.observer} search_range ${o.search_range.map(fmt).join(' ')}">[${o.search_range.map(fmt).join(', ')}]</td>` : '<td>—</td>';
    if (k.startsWith('range')) return `<td>${fmt(o[k])}</td>`;
    const shown = ROUNDED.includes(k) ? r4(o[k]) : fmt(o[k]);
    return `<td data-cli="${o.observer} ${k} ${fmt(o[k])}" title="${fmt(o[k])}">${shown}</td>`;
  };
  $('results').innerHTML =
    `<tr><th></th>${out.observers.map((/** @type {any} */ o) => `<th>${o.observer}</th>`).join('')}</tr>` +
    rows.map((k) => `<tr><th>${k}</th>${out.observers.map((/** @type {any} */ o) => cell(o, k)).join('')}</tr>`).join('');
  const series = (/** @type {string} */ key) =>
    SHORT.map((name, i) => ({ name, color: COLORS[i], points: out.curve.map((/** @type {any} */ p) => [p.seen, p[key][i]]) }));
  errorChart.update({ series: series('total_error') });
  scaleChart.update({ series: series('scale'), marks: { items: out.curve.map((/** @type {any} */ p) => p.seen), color: '#9aa3b5', label: 'one mark per batch' } });
  const ask = out.curve[askBatch() - 1];
  const askText = $('scale-ask');
  if (askText) askText.textContent = `After batch ${askBatch()}, MinMaxObserver had min_val = ${fmt(ask.min_val[0])} and max_val = ${fmt(ask.max_val[0])}`;
  $('worked-steps').innerHTML = worked();
  showCommand($('lesson-command'), 'observers', state, out);
  refreshSolutions();
}

/** Every intermediate number of the three observers on this data, from the library. */
function worked() {
  const [mm, ma, hi] = out.observers;
  const c1 = out.curve[0];
  const c2 = out.curve[1];
  const list = [
    `${out.samples} values in ${state.batches} batches of ${state.batch_size}; ${out.outliers} of them are outliers. The data runs from ${fmt(out.data_min)} to ${fmt(out.data_max)}.`,
    `MinMaxObserver keeps the extremes: min_val = ${fmt(mm.min_val)}, max_val = ${fmt(mm.max_val)}, so scale = (${fmt(mm.max_val)} − (${fmt(mm.min_val)})) / 255 = <strong>${fmt(mm.scale)}</strong> and zero_point = 0 − round_half_even(${fmt(mm.min_val)} / ${fmt(mm.scale)}) = <strong>${mm.zero_point}</strong>. Nothing is clipped, so its clipping error is ${r4(mm.clipping_error)} and all ${r4(mm.total_error)} is rounding error.`,
    `MovingAverageMinMaxObserver: batch 1 sets min_val = ${fmt(c1.batch_min)} directly.${c2 ? ` Batch 2's own minimum is ${fmt(c2.batch_min)}, so min_val = ${fmt(c1.min_val[1])} + ${fmt(state.averaging_constant)} · (${fmt(c2.batch_min)} − (${fmt(c1.min_val[1])})) = ${fmt(c2.min_val[1])}.` : ''} After all batches: [${fmt(ma.min_val)}, ${fmt(ma.max_val)}], ${ma.scale < mm.scale ? 'narrower than MinMax’s: a rare outlier in a later batch moves the average only by c times its distance' : 'as wide as MinMax’s or wider'}: scale <strong>${fmt(ma.scale)}</strong>, zero_point <strong>${ma.zero_point}</strong>, clipping ${values(ma.clip_fraction * out.samples)} (clipping error ${r4(ma.clipping_error)}, rounding error ${r4(ma.rounding_error)}). Each update keeps 1 − c of the old value, so after ${state.batches} batches batch 1's extremes still carry (1 − c)^${state.batches - 1} = ${r4(100 * (1 - state.averaging_constant) ** (state.batches - 1))} % of the weight: the range mostly reflects batch 1, and it keeps drifting toward the typical batch's extremes (about 1/c = ${r4(1 / state.averaging_constant)} batches to forget batch 1), which is why its error curve below need not flatten.`,
    `HistogramObserver binned everything in [${fmt(hi.min_val)}, ${fmt(hi.max_val)}] (its min_val and max_val: the data's extremes) and searched for the range with the least L2 error: it chose [${fmt(hi.search_range[0])}, ${fmt(hi.search_range[1])}] (the search_range row). _calculate_qparams turns that into scale <strong>${fmt(hi.scale)}</strong> and zero_point <strong>${hi.zero_point}</strong>; rounding the zero point to an integer shifts the representable range to [${fmt(hi.range_lo)}, ${fmt(hi.range_hi)}] (range_lo, range_hi). It clips ${values(hi.clip_fraction * out.samples)}: clipping error ${r4(hi.clipping_error)} + rounding error ${r4(hi.rounding_error)} = total ${r4(hi.total_error)}.`,
    `Smallest total error: <strong>${out.observers[best()].observer}</strong>.`,
  ];
  return list.map((t) => `<li>${t}</li>`).join('');
}

function wire() {
  for (const k of KEYS) {
    field(k).addEventListener('change', () => {
      const next = read();
      if (!next) return;
      state = next;
      render();
    });
  }
  exercise($('ex-minmax-scale'), {
    id: 'minmax-scale',
    kind: 'number',
    prompt: '<span id="scale-ask"></span>. What scale did calculate_qparams() give at that point (quint8)? (within 0.00001)',
    tolerance: 1e-5,
    answer: () => out.curve[askBatch() - 1].scale[0],
    hint: 'scale = (max_pos − min_neg) / (quant_max − quant_min), with max_pos = max(max_val, 0), min_neg = min(min_val, 0), quant_min = 0 and quant_max = 255 for quint8.',
    solution: () => {
      const p = out.curve[askBatch() - 1];
      const [lo, hi] = [Math.min(p.min_val[0], 0), Math.max(p.max_val[0], 0)];
      return `(${fmt(hi)} − (${fmt(lo)})) / 255 = <strong>${fmt(p.scale[0])}</strong>.`;
    },
  });
  exercise($('ex-best'), {
    id: 'best',
    kind: 'choice',
    prompt: 'Which observer’s qparams give the smallest total error on this data: MinMaxObserver, MovingAverageMinMaxObserver or HistogramObserver?',
    options: ['MinMaxObserver', 'MovingAverageMinMaxObserver', 'HistogramObserver'],
    answer: best,
    hint: 'Compare clipping error + rounding error in the table; a few clipped outliers can cost more than a coarser step, or less.',
    solution: () => `${out.observers.map((/** @type {any} */ o) => `${o.observer}: ${r4(o.clipping_error)} + ${r4(o.rounding_error)} = ${r4(o.total_error)}`).join('; ')}. The smallest: <strong>${out.observers[best()].observer}</strong>.`,
  });
  exercise($('ex-settled'), {
    id: 'settled',
    kind: 'number',
    prompt: 'After how many batches did MinMaxObserver’s scale change for the last time? (an integer; exact; read it off the scale curve)',
    tolerance: 0,
    answer: settled,
    hint: 'MinMax’s scale only changes when a batch holds a new minimum or maximum, typically an outlier. Find the last step in the blue scale curve.',
    solution: () => `The scale per batch: ${out.curve.map((/** @type {any} */ p) => fmt(p.scale[0])).join(', ')}. It last changed after batch <strong>${settled()}</strong>; every batch after that was wasted for MinMax.`,
  });
  lessonChrome('observers', '#observer=histogram&calib=128');
}

show();
wire();
loadLibrary().then(render);
