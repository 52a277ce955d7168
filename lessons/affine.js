// Lesson 1's widget: an editable tensor → torch's qparams (step by step, for the current qscheme),
// codes and rounding errors, from the library's `lesson('affine', …)` (crate/src/app/lessons/
// affine.rs); the picture draws x → x̂ on the code grid (affine-picture.js); the URL keeps the inputs.
import { compute, exercise, fmt, lessonChrome, loadLibrary, readHash, refreshSolutions, showCommand, writeHash } from './kit.js';
import { drawAffine } from './affine-picture.js';

const DEFAULTS = { values: [-1.2, 0.3, 0.8, 0.05], dtype: 'quint8', qscheme: 'per_tensor_affine', reduce_range: false };
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const field = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

let { state, problems } = readHash(DEFAULTS);
/** @type {any} */
let out = null;
/** The last settings the library accepted (the page falls back to them). */
let good = { ...state };

/** torch forbids this combination: MinMaxObserver raises "Cannot reduce range for symmetric quantization for quint8". */
const forbidden = (/** @type {typeof DEFAULTS} */ s) => s.qscheme === 'per_tensor_symmetric' && s.dtype === 'quint8' && s.reduce_range;
const WHY_FORBIDDEN =
  'torch forbids per_tensor_symmetric + quint8 + reduce_range: the symmetric quint8 zero point is fixed at 128 (the middle of 0…255), and reduce_range would cut the codes to 0…127, leaving no code above the zero point for positive values. Use qint8, or turn reduce_range off.';

function show() {
  field('values').value = state.values.join(', ');
  field('dtype').value = state.dtype;
  field('qscheme').value = state.qscheme;
  field('reduce_range').checked = state.reduce_range;
}

/** @param {string} text */
function showError(text) {
  const err = $('widget-error');
  err.textContent = text;
  err.hidden = !text;
}

/** The controls' state, or null (with a message) when the values box holds something that is not a number. */
function read() {
  const tokens = field('values').value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = tokens.find((s) => !Number.isFinite(Number(s)));
  if (bad !== undefined) {
    // A nicer message than the library's JSON error; the library still checks everything else.
    showError(`values: "${bad}" is not a number. Type numbers separated by commas, e.g. -1.2, 0.3, 0.8 (the picture keeps the last good tensor).`);
    return null;
  }
  return { values: tokens.map(Number), dtype: field('dtype').value, qscheme: field('qscheme').value, reduce_range: field('reduce_range').checked };
}

/** The worked example's steps for the current qscheme, every number from the library. */
function steps() {
  const s = out.steps;
  const cli = (/** @type {string} */ k, /** @type {unknown} */ v) => `<span data-cli="${k} ${v}">${v}</span>`;
  const list = [
    `The observer saw min_val = ${fmt(out.min_val)} and max_val = ${fmt(out.max_val)}. The range must contain 0 (so that 0.0 is exact): min_neg = min(min_val, 0) = ${cli('min_neg', fmt(s.min_neg))}, max_pos = max(max_val, 0) = ${cli('max_pos', fmt(s.max_pos))}.`,
    `${out.dtype}${state.reduce_range ? ' with reduce_range (one bit fewer)' : ''}: the codes run from quant_min = ${out.quant_min} to quant_max = ${out.quant_max}.`,
  ];
  if (s.symmetric) {
    list.push(
      `Symmetric: scale = max(−min_neg, max_pos) / ((quant_max − quant_min) / 2) = ${cli('scale_numerator', fmt(s.numerator))} / ${cli('scale_denominator', fmt(s.denominator))} = ${cli('scale_raw', fmt(s.scale_raw))}; floored at eps = ${fmt(s.eps)}: scale = <strong>${fmt(s.scale)}</strong>.`,
      `Symmetric: the zero point does not depend on the data. ${out.dtype === 'torch.qint8' ? 'qint8: zero_point = 0' : 'quint8: zero_point = 128, the middle of 0…255'} → zero_point = <strong>${s.zero_point}</strong>.`,
    );
  } else {
    list.push(
      `Affine: scale = (max_pos − min_neg) / (quant_max − quant_min) = ${cli('scale_numerator', fmt(s.numerator))} / ${cli('scale_denominator', fmt(s.denominator))} = ${cli('scale_raw', fmt(s.scale_raw))}; floored at eps = ${fmt(s.eps)}: scale = <strong>${fmt(s.scale)}</strong>.`,
      `Affine: zero_point = quant_min − round_half_even(min_neg / scale) = ${out.quant_min} − round_half_even(${cli('min_neg/scale', fmt(s.min_neg_over_scale))}) = ${out.quant_min} − (${cli('rounded', s.rounded)}) = ${cli('zero_point_unclamped', s.zero_point_unclamped)}; clamped to ${out.quant_min}…${out.quant_max}: zero_point = <strong>${s.zero_point}</strong>.`,
    );
  }
  for (const [r, why] of workedRows()) list.push(valueStep(r, why));
  list.push(`Without a clamp, each error is at most about scale/2 = ${round4(out.scale / 2)} (up to float rounding: x̂ and x·(1/scale) are float32, so an error can exceed scale/2 in its last digits); here the largest is max_rounding_error = ${fmt(out.max_rounding_error)}.`);
  return list.map((t) => `<li>${t}</li>`).join('');
}

/** About 4 significant digits, for reading (the exact numbers stay in the table). */
const round4 = (/** @type {number} */ x) => String(+x.toPrecision(4));

/** A tie: x·(1/scale) lies exactly halfway between two integers. */
const isTie = (/** @type {any} */ r) => Math.abs(r.x_times_inv_scale % 1) === 0.5;

/** The rows the worked example follows: the first value, the largest rounding error, and a tie if there is one. */
function workedRows() {
  /** @type {[any, string][]} */
  const picked = [[out.rows[0], 'The first value']];
  const inside = out.rows.filter((/** @type {any} */ r) => !r.clamped);
  const worst = inside.reduce((/** @type {any} */ a, /** @type {any} */ r) => (!a || Math.abs(r.error) > Math.abs(a.error) ? r : a), null);
  if (worst && worst !== out.rows[0] && worst.error !== 0) picked.push([worst, 'The value with the largest rounding error']);
  const tie = out.rows.find(isTie);
  if (tie && !picked.some(([r]) => r === tie)) picked.push([tie, 'A tie']);
  return picked;
}

/** One value's way to its code and back, with the reciprocal-vs-division note when they differ. */
function valueStep(/** @type {any} */ r, /** @type {string} */ why) {
  // float32 division, what a hand calculation does (the JSON digits are f32s: read them back as f32)
  const divided = Math.fround(Math.fround(r.x) / Math.fround(out.scale));
  const tie = isTie(r) ? ' This is a tie (exactly x.5): round_half_even picks the even neighbour.' : '';
  const recip =
    roundHalfEven(divided) !== roundHalfEven(r.x_times_inv_scale)
      ? ` A hand calculation disagrees here: x / scale = ${fmt(divided)} would round to ${roundHalfEven(divided)}, not ${roundHalfEven(r.x_times_inv_scale)}. torch multiplies by the float32 reciprocal 1/scale, itself rounded, so x·(1/scale) can land just off the exact tie that x / scale hits.`
      : '';
  return `${why}, x = ${fmt(r.x)}: x·(1/scale) = ${fmt(r.x_times_inv_scale)}; round_half_even → ${roundHalfEven(r.x_times_inv_scale)}; plus the zero point ${out.zero_point}: ${r.unclamped}; clamped to the dtype's range: q = <strong>${r.code}</strong>. Back to float: x̂ = (${r.code} − ${out.zero_point}) · ${fmt(out.scale)} = ${fmt(r.dequantized)}, an error x̂ − x = ${fmt(r.error)}${r.clamped ? ' (clamped: outside the range)' : ''}.${tie}${recip}`;
}

/** torch.round / nearbyint: halves go to the even neighbour. */
function roundHalfEven(/** @type {number} */ v) {
  const f = Math.floor(v);
  const d = v - f;
  return d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
}

function render() {
  /** @type {string[]} */
  const notes = problems.length ? [`URL: ${problems.join('; ')}`] : [];
  problems = [];
  try {
    out = compute('affine', state);
  } catch (e) {
    const msg = /** @type {any} */ (e)?.message ?? String(e);
    // Keep the page usable: back to the last accepted settings (from a URL: reduce_range off).
    const back = forbidden(good) || JSON.stringify(good) === JSON.stringify(state) ? { ...state, reduce_range: false } : good;
    const why = `${forbidden(state) ? `${WHY_FORBIDDEN} The library says: ${msg}` : msg}`.replace(/([^.])$/, '$1.');
    if (JSON.stringify(back) === JSON.stringify(state) || forbidden(back)) {
      showError(why);
      return;
    }
    state = back;
    show();
    render();
    showError([...notes, why, '(The page shows the last settings torch accepts.)'].join(' '));
    return;
  }
  good = { ...state };
  showError(notes.join(' '));
  writeHash(state);
  $('qparams').innerHTML = ['dtype', 'qscheme', 'quant_min', 'quant_max', 'min_val', 'max_val', 'scale', 'zero_point', 'range_lo', 'range_hi', 'max_rounding_error']
    .map((k) => `<dt>${k}</dt><dd data-cli="${k} ${fmt(out[k])}">${fmt(out[k])}</dd>`)
    .join('');
  drawAffine(/** @type {HTMLCanvasElement} */ ($('picture')), out);
  $('codes').innerHTML =
    '<tr><th>x</th><th>x·(1/scale)</th><th>round_half_even(x·(1/scale)) + zero_point</th><th>code q</th><th>x̂</th><th>x̂ − x</th></tr>' +
    out.rows
      .map((/** @type {any} */ r) => `<tr class="${r.clamped ? 'clamped' : ''}"><td>${fmt(r.x)}</td><td>${fmt(r.x_times_inv_scale)}</td><td>${r.unclamped}</td><td>${r.code}</td><td>${fmt(r.dequantized)}</td><td>${fmt(r.error)}</td></tr>`)
      .join('');
  $('worked-steps').innerHTML = steps();
  for (const [id, v] of [['zp-probe', newMin()], ['code-probe', probe()]]) {
    const el = document.getElementById(String(id));
    if (el) el.textContent = String(v);
  }
  showCommand($('lesson-command'), 'affine', state, out);
  refreshSolutions(); // an open solution follows the widget
}

/** Both qschemes' outputs for the current tensor and dtype, reduce_range off (the choice exercise). */
function bothSchemes() {
  const base = { ...state, reduce_range: false };
  return [compute('affine', { ...base, qscheme: 'per_tensor_affine' }), compute('affine', { ...base, qscheme: 'per_tensor_symmetric' })];
}

/** A value to append for the zero-point exercise: a new minimum below the tensor's (2 decimals). */
function newMin() {
  const spread = Math.max(out.max_val - out.min_val, 1);
  return Math.round((Math.min(out.min_val, 0) - spread / 2) * 100) / 100;
}

/** The library's output for the tensor with `x` appended (same dtype, qscheme, reduce_range). */
const withValue = (/** @type {number} */ x) => compute('affine', { ...state, values: [...state.values, x] });

/** A value inside [min_val, max_val] (3 decimals) that is not in the tensor, for the code exercise: the qparams stay the same. */
function probe() {
  const { min_val: lo, max_val: hi } = out;
  for (const t of [0.37, 0.61, 0.23, 0.83]) {
    const x = Math.round((lo + t * (hi - lo)) * 1000) / 1000;
    if (x >= lo && x <= hi && !state.values.includes(x)) return x;
  }
  return lo;
}

function wire() {
  for (const id of ['values', 'dtype', 'qscheme', 'reduce_range']) {
    field(id).addEventListener('change', () => {
      const next = read();
      if (!next) return;
      state = next;
      render();
    });
  }
  exercise($('ex-zero-point'), {
    id: 'zero-point',
    kind: 'number',
    prompt: 'Append the value <span id="zp-probe" class="probe"></span> to the tensor (a new minimum; same settings). What zero_point does torch choose then? (an integer; exact)',
    tolerance: 0,
    answer: () => withValue(newMin()).zero_point,
    hint: 'Look at the qscheme first. Affine: zero_point = quant_min − round(min_neg / scale). Symmetric: it does not depend on the data, only on the dtype.',
    solution: () => {
      const o = withValue(newMin());
      const s = o.steps;
      return s.symmetric
        ? `The qscheme is symmetric, so the zero point is fixed by the dtype, whatever the data: ${o.dtype === 'torch.qint8' ? 'qint8 → 0' : 'quint8 → 128'}; zero_point = <strong>${o.zero_point}</strong>.`
        : `min_neg = ${fmt(s.min_neg)}, scale = ${fmt(s.numerator)} / ${fmt(s.denominator)} = ${fmt(o.scale)}; quant_min − round_half_even(min_neg / scale) = ${o.quant_min} − round_half_even(${fmt(s.min_neg_over_scale)}) = ${o.quant_min} − (${s.rounded}) = ${s.zero_point_unclamped}, clamped to ${o.quant_min}…${o.quant_max}: <strong>${o.zero_point}</strong>.`;
    },
  });
  exercise($('ex-code'), {
    id: 'code',
    kind: 'number',
    prompt: 'With the scale and zero_point above, what code q does x = <span id="code-probe" class="probe"></span> get? (it lies inside [min_val, max_val], so the qparams do not change; an integer; exact)',
    tolerance: 0,
    answer: () => withValue(probe()).rows.at(-1).code,
    hint: 'Multiply x by 1/scale, round half to even, add the zero_point, then clamp to the dtype’s range.',
    solution: () => {
      const r = withValue(probe()).rows.at(-1);
      return `${fmt(r.x)} · (1/${fmt(out.scale)}) = ${fmt(r.x_times_inv_scale)} → round half to even, + ${out.zero_point} → ${r.unclamped} → clamp → <strong>${r.code}</strong>.`;
    },
  });
  exercise($('ex-finer'), {
    id: 'finer',
    kind: 'choice',
    prompt: 'With the dtype above and reduce_range off, which qscheme gives this tensor the finer step (the smaller scale): per_tensor_affine, per_tensor_symmetric, or do both give the same?',
    options: ['per_tensor_affine', 'per_tensor_symmetric', 'both give the same scale'],
    answer: () => {
      const [a, s] = bothSchemes();
      return a.scale < s.scale ? 0 : s.scale < a.scale ? 1 : 2;
    },
    hint: 'Affine spreads all the codes over [min_neg, max_pos]; symmetric spreads them over [−m, m] with m = max(−min_neg, max_pos), so half the codes may go unused.',
    solution: () => {
      const [a, s] = bothSchemes();
      return `affine: ${fmt(a.steps.numerator)} / ${fmt(a.steps.denominator)} = ${fmt(a.scale)}; symmetric: ${fmt(s.steps.numerator)} / ${fmt(s.steps.denominator)} = ${fmt(s.scale)}. The smaller is <strong>${a.scale < s.scale ? 'per_tensor_affine' : s.scale < a.scale ? 'per_tensor_symmetric' : 'neither: they are equal'}</strong>.`;
    },
  });
  lessonChrome('affine', '#qconfig=x86');
}

show();
wire();
loadLibrary().then(render);
