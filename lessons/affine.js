// Lesson 1's widget: an editable tensor → torch's qparams, codes and rounding errors, from the
// library's `lesson('affine', …)` (crate/src/app/lessons/affine.rs); the URL keeps the inputs.
import { compute, exercise, fmt, lessonChrome, loadLibrary, readHash, showCommand, writeHash } from './kit.js';

const DEFAULTS = { values: [-1.2, 0.3, 0.8, 0.05], dtype: 'quint8', qscheme: 'per_tensor_affine', reduce_range: false };
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const field = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

let { state } = readHash(DEFAULTS);
/** @type {any} */
let out = null;

function show() {
  field('values').value = state.values.join(', ');
  field('dtype').value = state.dtype;
  field('qscheme').value = state.qscheme;
  field('reduce_range').checked = state.reduce_range;
}

function read() {
  const values = field('values').value.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  return { values, dtype: field('dtype').value, qscheme: field('qscheme').value, reduce_range: field('reduce_range').checked };
}

function render() {
  const err = $('widget-error');
  try {
    out = compute('affine', state);
  } catch (e) {
    err.textContent = e?.message ?? String(e);
    err.hidden = false;
    return;
  }
  err.hidden = true;
  writeHash(state);
  $('qparams').innerHTML = ['dtype', 'qscheme', 'quant_min', 'quant_max', 'min_val', 'max_val', 'scale', 'zero_point']
    .map((k) => `<dt>${k}</dt><dd data-cli="${k} ${fmt(out[k])}">${fmt(out[k])}</dd>`)
    .join('');
  $('codes').innerHTML =
    '<tr><th>x</th><th>x·(1/scale)</th><th>+ zero_point</th><th>code q</th><th>x̂</th><th>x̂ − x</th></tr>' +
    out.rows
      .map((/** @type {any} */ r) => `<tr class="${r.clamped ? 'clamped' : ''}"><td>${fmt(r.x)}</td><td>${fmt(r.x_times_inv_scale)}</td><td>${r.unclamped}</td><td>${r.code}</td><td>${fmt(r.dequantized)}</td><td>${fmt(r.error)}</td></tr>`)
      .join('');
  const r = out.rows[0];
  $('worked-steps').innerHTML = [
    `min_val = ${fmt(out.min_val)}, max_val = ${fmt(out.max_val)}; the codes run from quant_min = ${out.quant_min} to quant_max = ${out.quant_max}.`,
    `scale = <strong>${fmt(out.scale)}</strong>, zero_point = <strong>${out.zero_point}</strong>.`,
    `x = ${fmt(r.x)}: x·(1/scale) = ${fmt(r.x_times_inv_scale)}; rounded half to even and shifted: ${r.unclamped}; clamped: q = <strong>${r.code}</strong>.`,
    `Back to float: (${r.code} − ${out.zero_point}) · ${fmt(out.scale)} = ${fmt(r.dequantized)}, an error of ${fmt(r.error)} (at most scale/2 = ${fmt(out.scale / 2)} unless clamped).`,
  ].map((s) => `<li>${s}</li>`).join('');
  showCommand($('lesson-command'), 'affine', state, out);
}

function wire() {
  for (const id of ['values', 'dtype', 'qscheme', 'reduce_range']) {
    field(id).addEventListener('change', () => {
      state = read();
      render();
    });
  }
  exercise($('ex-zero-point'), {
    id: 'zero-point',
    kind: 'number',
    prompt: 'For the tensor above, what zero_point does torch choose? (an integer; exact)',
    tolerance: 0,
    answer: () => out.zero_point,
    hint: 'zero_point = quant_min − round(min_neg / scale), where min_neg is the minimum clipped to at most 0.',
    solution: () => `quant_min − round(${fmt(out.min_val < 0 ? out.min_val : 0)} / ${fmt(out.scale)}) = <strong>${out.zero_point}</strong> (clamped to ${out.quant_min}…${out.quant_max}).`,
  });
  exercise($('ex-code'), {
    id: 'code',
    kind: 'number',
    prompt: 'What code does the last value of the tensor get? (an integer; exact)',
    tolerance: 0,
    answer: () => out.rows[out.rows.length - 1].code,
    hint: 'Multiply by 1/scale, round half to even, add the zero_point, then clamp.',
    solution: () => {
      const r = out.rows[out.rows.length - 1];
      return `${fmt(r.x)} · (1/${fmt(out.scale)}) = ${fmt(r.x_times_inv_scale)} → ${r.unclamped} → clamp → <strong>${r.code}</strong>.`;
    },
  });
  lessonChrome('affine', '#qconfig=x86');
}

show();
wire();
loadLibrary().then(render);
