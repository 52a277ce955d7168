// Lesson 5's widgets: a number's float32 / float16 / bfloat16 bit layouts, stored values, ulps and
// ranges; the ulp against the magnitude; and a real training run's gradients against f16's
// subnormal and normal ranges. Every number comes from the library's `lesson('formats', …)`
// (crate/src/app/lessons/formats.rs and formats_grads.rs); this file only draws. The URL keeps
// the inputs.
import { fitCanvas, lineChart } from '../www/chart.js';
import { compute, exercise, fmt, lessonChrome, loadLibrary, readHash, refreshSolutions, showCommand, writeHash } from './kit.js';

const DEFAULTS = { value: 0.1, grad_steps: 30, loss_scale_log2: 16 };
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const field = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));
const NUMBERS = ['value', 'grad_steps', 'loss_scale_log2'];

let { state } = readHash(DEFAULTS);
/** @type {any} */
let out = null;
const ulpChart = lineChart(/** @type {HTMLCanvasElement} */ ($('ulp-chart')), { xLabel: 'log2 |x|' });

function show() {
  for (const k of NUMBERS) field(k).value = String(/** @type {any} */ (state)[k]);
}

function read() {
  const s = /** @type {any} */ ({});
  for (const k of NUMBERS) s[k] = field(k).value.trim() === '' ? NaN : Number(field(k).value);
  return /** @type {typeof DEFAULTS} */ ({ value: s.value, grad_steps: s.grad_steps, loss_scale_log2: s.loss_scale_log2 });
}

/** Rounds a number for reading in prose (4 significant digits); strings (Infinity) pass through. */
const sig = (/** @type {any} */ x) => (typeof x === 'number' ? String(Number(x.toPrecision(4))) : String(x));
/** A share as a percentage, for reading. */
const pct = (/** @type {number} */ x) => `${Number((100 * x).toPrecision(3))}%`;

/** @type {Map<string, any>} */
const cache = new Map();
/** The exercises' number: three times the typed value (the page works out the typed one), or a
 * third of it where 3x is past the largest f64. */
const exerciseValue = () => (Number.isFinite(3 * state.value) ? 3 * state.value : state.value / 3);
/** The library's float16 row for the exercises' number, computed once per input. */
function F16() {
  const input = { ...state, value: exerciseValue() };
  const key = JSON.stringify(input);
  if (!cache.has(key)) cache.set(key, compute('formats', input));
  return cache.get(key).formats[1];
}

function render() {
  const err = $('widget-error');
  const bad = NUMBERS.find((k) => !Number.isFinite(/** @type {any} */ (state)[k]));
  try {
    if (bad) throw new Error(`${bad}: "${field(bad).value}" is not a number`);
    out = compute('formats', state);
  } catch (e) {
    err.textContent = e?.message ?? String(e);
    err.hidden = false;
    return;
  }
  err.hidden = true;
  writeHash(state);
  $('layouts').innerHTML = '<tr><th>dtype</th><th>sign · exponent · mantissa</th><th>hex</th><th>class</th><th>stored</th><th>stored − value</th><th>ulp here</th></tr>' +
    out.formats.map((/** @type {any} */ f) => {
      const d = f.dtype;
      return `<tr data-dtype="${d}"><td>${d}<br><small>E=${f.exponent_bits} F=${f.mantissa_bits} bias ${f.bias}</small></td>` +
        `<td class="bits" data-cli="${d} bits ${f.hex} sign ${f.sign} exponent ${f.exponent} mantissa ${f.mantissa}"><span class="sign">${f.sign}</span> <span class="exponent">${f.exponent}</span> <span class="mantissa">${f.mantissa}</span></td>` +
        `<td>${f.hex}</td><td data-cli="${d} class ${f.class}">${f.class}</td><td class="stored" data-cli="${d} stored ${fmt(f.stored)}">${fmt(f.stored)}</td>` +
        `<td data-cli="${d} error ${fmt(f.error)}">${fmt(f.error)}</td><td class="ulp" data-cli="${d} ulp ${f.ulp === null ? 'null' : fmt(f.ulp)}">${f.ulp === null ? '—' : fmt(f.ulp)}</td></tr>`;
    }).join('');
  $('ranges').innerHTML = '<tr><th>dtype</th><th>max normal</th><th>min normal</th><th>min subnormal</th><th>rounds to inf from</th></tr>' +
    out.formats.map((/** @type {any} */ f) => {
      const d = f.dtype;
      return `<tr><td>${d}</td><td data-cli="${d} max_normal ${fmt(f.max_normal)}">${fmt(f.max_normal)}</td><td data-cli="${d} min_normal ${fmt(f.min_normal)}">${fmt(f.min_normal)}</td>` +
        `<td data-cli="${d} min_subnormal ${fmt(f.min_subnormal)}">${fmt(f.min_subnormal)}</td><td data-cli="${d} overflow_threshold ${fmt(f.overflow_threshold)}">${fmt(f.overflow_threshold)}</td></tr>`;
    }).join('');
  ulpChart.update({
    series: [
      { name: 'float16', color: '#2f5fd0', stepped: true, points: out.ulp_curve.map((/** @type {any} */ p) => [p.log2_x, p.float16]) },
      { name: 'bfloat16', color: '#d0702f', stepped: true, dashed: true, points: out.ulp_curve.map((/** @type {any} */ p) => [p.log2_x, p.bfloat16]) },
    ],
    // Where the typed value sits on the x axis (only a position; the numbers are the library's).
    marks: Math.abs(out.value) >= 2 ** -30 && Math.abs(out.value) < 2 ** 21 ? { items: [Math.log2(Math.abs(out.value))], color: '#1d2330', label: `your value ${fmt(out.value)}` } : undefined,
  });
  drawGrads();
  const g = out.gradients;
  const rows = [['without scaling', 'unscaled', g.unscaled], [`times 2^${g.loss_scale_log2} = ${fmt(g.loss_scale)}`, `scaled_2^${g.loss_scale_log2}`, g.scaled]];
  $('grad-counts').innerHTML = `<tr><th>${g.count} gradients</th><th>zero in f32</th><th>flush to 0</th><th>subnormal</th><th>normal</th><th>inf</th></tr>` +
    rows.map(([label, key, c]) => `<tr data-cli="${key} zero ${c.zero} flush_to_zero ${c.flush_to_zero} subnormal ${c.subnormal} normal ${c.normal} overflow ${c.overflow}"><td>${label}</td><td>${c.zero}</td><td>${c.flush_to_zero}</td><td>${c.subnormal}</td><td>${c.normal}</td><td>${c.overflow}</td></tr>`).join('');
  worked();
  showCommand($('lesson-command'), 'formats', state, out);
  refreshSolutions();
}

/** The gradient histogram: bars per floor(log2|g|) bin, unscaled and shifted by k, on f16's ranges. */
function drawGrads() {
  const canvas = /** @type {HTMLCanvasElement} */ ($('grad-chart'));
  const { ctx, w, h } = fitCanvas(canvas);
  const g = out.gradients;
  const [lo, hi] = [-40, 24];
  const pad = { l: 36, r: 8, t: 18, b: 26 };
  const X = (/** @type {number} */ e) => pad.l + ((e - lo) / (hi - lo)) * (w - pad.l - pad.r);
  const max = Math.max(1, ...g.counts);
  const Y = (/** @type {number} */ c) => h - pad.b - (c / max) * (h - pad.t - pad.b);
  const zones = [[lo, -25, '#fbe3e3', 'flush to 0'], [-25, -14, '#fff3cf', 'f16 subnormal'], [-14, 16, '#e8f3ea', 'f16 normal'], [16, hi, '#f3e3fb', 'inf']];
  for (const [a, b, color, label] of zones) {
    ctx.fillStyle = /** @type {string} */ (color);
    ctx.fillRect(X(/** @type {number} */ (a)), pad.t, X(/** @type {number} */ (b)) - X(/** @type {number} */ (a)), h - pad.t - pad.b);
    ctx.fillStyle = '#5b6475';
    ctx.fillText(/** @type {string} */ (label), X(/** @type {number} */ (a)) + 3, pad.t - 5);
  }
  const bw = Math.max(1, (X(1) - X(0)) / 2 - 1);
  g.counts.forEach((/** @type {number} */ c, /** @type {number} */ i) => {
    if (!c) return;
    const e = g.log2_min + i;
    ctx.fillStyle = '#2f5fd0';
    ctx.fillRect(X(e), Y(c), bw, h - pad.b - Y(c));
    ctx.fillStyle = '#d0702f';
    ctx.fillRect(X(e + g.loss_scale_log2) + bw, Y(c), bw, h - pad.b - Y(c));
  });
  ctx.fillStyle = '#1d2330';
  for (let e = lo; e <= hi; e += 8) ctx.fillText(String(e), X(e) - 6, h - pad.b + 13);
  ctx.fillText('log2 |g|', w - 60, h - 4);
  ctx.fillStyle = '#2f5fd0'; ctx.fillText('■ unscaled', pad.l + 200, h - 4);
  ctx.fillStyle = '#d0702f'; ctx.fillText(`■ times 2^${g.loss_scale_log2}`, pad.l + 290, h - 4);
  canvas.dataset.bins = String(g.counts.filter((/** @type {number} */ c) => c > 0).length);
}

function worked() {
  const [f32, f16, bf16] = out.formats;
  const g = out.gradients;
  const items = [`You typed ${out.value}; float32 stores ${f32.stored} (bits ${f32.hex}), off by ${sig(f32.error)}.`];
  const p = f32.unbiased_exponent;
  if (f16.class === 'normal' && f32.class === 'normal' && p >= -14) {
    // Encoding: |x| = 2^p · significand with 1 ≤ significand < 2; the fraction times 2^10 rounds to m.
    const significand = Math.abs(Number(f32.stored)) / 2 ** p;
    const scaled = (significand - 1) * 1024;
    const m = parseInt(f16.mantissa, 2);
    const carry = f16.unbiased_exponent !== p;
    items.push(`Encoding in float16: the largest power of two not above |x| is 2^${p}, so |x| = 2^${p} · ${sig(significand)}; the exponent field stores ${p} + 15 = ${p + 15}. The fraction ${sig(significand - 1)} times 2^10 = 1024 is ${sig(scaled)}, which rounds to the nearest integer (ties to even): ${carry ? `1024, which carries into the exponent (2^${f16.unbiased_exponent}, fraction 0)` : `${m} = ${f16.mantissa} in binary`}.`);
  }
  items.push(f16.class === 'normal'
    ? `Decoding: exponent field ${f16.exponent} = ${parseInt(f16.exponent, 2)}, minus the bias 15 = ${f16.unbiased_exponent}; mantissa ${f16.mantissa} = ${parseInt(f16.mantissa, 2)}/1024. So x = 2^${f16.unbiased_exponent} · (1 + ${parseInt(f16.mantissa, 2)}/1024) = <strong>${fmt(f16.stored)}</strong>, and the step here is ulp = 2^(${f16.unbiased_exponent} − 10) = ${fmt(f16.ulp)}.`
    : `float16: the value is ${f16.class}${f16.class === 'subnormal' ? ` (exponent field 0: x = 2^−14 · ${parseInt(f16.mantissa, 2)}/1024 = ${fmt(f16.stored)}, ulp ${fmt(f16.ulp)})` : ` (stored ${fmt(f16.stored)})`}.`);
  items.push(`bfloat16 keeps float32's top 16 bits after rounding: ${bf16.hex} = <strong>${fmt(bf16.stored)}</strong>, ulp ${bf16.ulp === null ? '—' : fmt(bf16.ulp)} (${bf16.class}).`);
  const nonzero = g.count - g.unscaled.zero;
  const kept = g.min_abs_f16 === 0 ? 'flushes to 0' : `is stored as ${sig(g.min_abs_f16)} (${Math.round(g.min_abs_f16 / 2 ** -24)} × 2^−24), off by ${pct(Math.abs(g.min_abs_f16 - g.min_abs) / g.min_abs)}`;
  items.push(`Gradients: ${g.count} values after ${g.steps} steps on ${g.dataset}; ${g.unscaled.zero} are exactly 0 in float32, ${nonzero} are not. The nonzero |g| run from ${sig(g.min_abs)} to ${sig(g.max_abs)}: the smallest ${kept} in float16. Times 2^${g.loss_scale_log2}: ${g.scaled.flush_to_zero} flush, ${g.scaled.subnormal} subnormal, ${g.scaled.overflow} overflow.`);
  $('worked-steps').innerHTML = items.map((s) => `<li>${s}</li>`).join('');
}

function wire() {
  for (const id of NUMBERS) field(id).addEventListener('change', () => {
    state = read();
    render();
  });
  exercise($('ex-f16-value'), {
    id: 'f16-value',
    kind: 'number',
    prompt: 'What value does float16 store for three times the number you typed (3 × x)? (within a quarter of its ulp)',
    get tolerance() { return typeof F16().ulp === 'number' ? F16().ulp / 4 : 0; },
    answer: () => F16().stored,
    hint: 'Find the power of two 2^p just below |x|; the f16 grid there has steps of 2^(p − 10) (2^−24 below 2^−14). Round x to the nearest grid point, ties to even.',
    solution: () => `3 × x = ${sig(exerciseValue())}. Between the powers of two around it, float16's grid has steps of ${fmt(F16().ulp)}; the grid point nearest to it is <strong>${fmt(F16().stored)}</strong> (bits ${F16().hex}).`,
  });
  exercise($('ex-f16-ulp'), {
    id: 'f16-ulp',
    kind: 'number',
    prompt: 'What is float16\'s rounding step (ulp) at 3 × x? (exact; a power of two such as 0.0009765625)',
    tolerance: 0,
    answer: () => F16().ulp,
    hint: 'ulp = 2^(exponent − 10) for a normal f16, where exponent = field − 15; 2^−24 for a subnormal.',
    solution: () => (F16().unbiased_exponent === null ? 'The value is not finite in f16: it has no ulp.' : `exponent ${F16().unbiased_exponent}, so ulp = 2^(${F16().unbiased_exponent} − 10) = <strong>${fmt(F16().ulp)}</strong>.`),
  });
  exercise($('ex-subnormal-share'), {
    id: 'subnormal-share',
    kind: 'number',
    prompt: 'Of the nonzero gradients (all gradients minus the ones already 0 in float32), what share are f16 subnormals without loss scaling? (a fraction of 1; within 0.01)',
    tolerance: 0.01,
    answer: () => out.gradients.unscaled.subnormal_share,
    hint: 'Count the gradients with 2⁻²⁵ < |g| < 2⁻¹⁴ (the yellow zone) and divide by the nonzero ones.',
    solution: () => {
      const u = out.gradients.unscaled;
      return `${u.subnormal} subnormal of ${out.gradients.count} − ${u.zero} = ${out.gradients.count - u.zero} nonzero gradients: <strong>${sig(u.subnormal_share)}</strong> (${pct(u.subnormal_share)}).`;
    },
  });
  lessonChrome('formats', '#precision=16-mixed&dataset=digits');
}

show();
wire();
loadLibrary().then(render);
