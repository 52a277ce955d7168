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
  const r = out.rows[0];
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
      `Affine: zero_point = quant_min − round(min_neg / scale) = ${out.quant_min} − round(${cli('min_neg/scale', fmt(s.min_neg_over_scale))}) = ${out.quant_min} − (${cli('rounded', s.rounded)}) = ${cli('zero_point_unclamped', s.zero_point_unclamped)}; clamped to ${out.quant_min}…${out.quant_max}: zero_point = <strong>${s.zero_point}</strong>.`,
    );
  }
  list.push(
    `x = ${fmt(r.x)}: x·(1/scale) = ${fmt(r.x_times_inv_scale)}; rounded half to even plus the zero point: ${r.unclamped}; clamped to the dtype's range: q = <strong>${r.code}</strong>.`,
    `Back to float: x̂ = (${r.code} − ${out.zero_point}) · ${fmt(out.scale)} = ${fmt(r.dequantized)}, an error x̂ − x = ${fmt(r.error)} (at most scale/2 = ${fmt(out.scale / 2)} unless clamped).`,
  );
  return list.map((t) => `<li>${t}</li>`).join('');
}

function render() {
  try {
    out = compute('affine', state);
  } catch (e) {
    showError(/** @type {any} */ (e)?.message ?? String(e));
    return;
  }
  showError(problems.length ? `URL: ${problems.join('; ')}` : '');
  problems = [];
  writeHash(state);
  $('qparams').innerHTML = ['dtype', 'qscheme', 'quant_min', 'quant_max', 'min_val', 'max_val', 'scale', 'zero_point', 'range_lo', 'range_hi', 'max_rounding_error']
    .map((k) => `<dt>${k}</dt><dd data-cli="${k} ${fmt(out[k])}">${fmt(out[k])}</dd>`)
    .join('');
  drawAffine(/** @type {HTMLCanvasElement} */ ($('picture')), out);
  $('codes').innerHTML =
    '<tr><th>x</th><th>x·(1/scale)</th><th>+ zero_point</th><th>code q</th><th>x̂</th><th>x̂ − x</th></tr>' +
    out.rows
      .map((/** @type {any} */ r) => `<tr class="${r.clamped ? 'clamped' : ''}"><td>${fmt(r.x)}</td><td>${fmt(r.x_times_inv_scale)}</td><td>${r.unclamped}</td><td>${r.code}</td><td>${fmt(r.dequantized)}</td><td>${fmt(r.error)}</td></tr>`)
      .join('');
  $('worked-steps').innerHTML = steps();
  showCommand($('lesson-command'), 'affine', state, out);
  refreshSolutions(); // an open solution follows the widget
}

/** Both qschemes' outputs for the current tensor and dtype, reduce_range off (the choice exercise). */
function bothSchemes() {
  const base = { ...state, reduce_range: false };
  return [compute('affine', { ...base, qscheme: 'per_tensor_affine' }), compute('affine', { ...base, qscheme: 'per_tensor_symmetric' })];
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
    prompt: 'For the tensor and settings above, what zero_point does torch choose? (an integer; exact)',
    tolerance: 0,
    answer: () => out.zero_point,
    hint: 'Look at the qscheme first. Affine: zero_point = quant_min − round(min_neg / scale). Symmetric: it does not depend on the data, only on the dtype.',
    solution: () => {
      const s = out.steps;
      return s.symmetric
        ? `The qscheme is symmetric, so the zero point is fixed by the dtype: ${out.dtype === 'torch.qint8' ? 'qint8 → 0' : 'quint8 → 128'}; zero_point = <strong>${out.zero_point}</strong>.`
        : `quant_min − round(min_neg / scale) = ${out.quant_min} − round(${fmt(s.min_neg)} / ${fmt(out.scale)}) = ${out.quant_min} − round(${fmt(s.min_neg_over_scale)}) = ${out.quant_min} − (${s.rounded}) = ${s.zero_point_unclamped}, clamped to ${out.quant_min}…${out.quant_max}: <strong>${out.zero_point}</strong>.`;
    },
  });
  exercise($('ex-code'), {
    id: 'code',
    kind: 'number',
    prompt: 'What code q does the last value of the tensor get? (an integer; exact)',
    tolerance: 0,
    answer: () => out.rows[out.rows.length - 1].code,
    hint: 'Multiply x by 1/scale, round half to even, add the zero_point, then clamp to the dtype’s range.',
    solution: () => {
      const r = out.rows[out.rows.length - 1];
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
