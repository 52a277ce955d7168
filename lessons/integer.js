// Lesson 4's widget: a seeded quantized Linear → its output codes (a grid; click one), the chosen
// element's accumulator terms (a bar chart) and every intermediate number, all from the library's
// `lesson('integer', …)` (crate/src/app/lessons/integer.rs, which runs rules/qlinear.rs and the
// CPU reference backend's quantized Linear). The URL keeps the inputs.
import { fitCanvas } from '../www/chart.js';
import { compute, exercise, fmt, lessonChrome, loadLibrary, readHash, refreshSolutions, showCommand, writeHash } from './kit.js';

const DEFAULTS = { seed: 0, batch: 2, in_features: 8, out_features: 4, per_channel: false, row: 0, col: 0 };
const NUMBERS = ['seed', 'batch', 'in_features', 'out_features', 'row', 'col'];
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const field = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

let { state } = readHash(DEFAULTS);
/** @type {any} */
let out = null;
/** The exercises' element (another one than the worked example's), and the same element with
 * per-channel weight scales: the library's live output for those inputs. @type {any} */
let alt = null;
/** @type {any} */
let altPc = null;

/** The exercises' (row, col): the next row and the next column, wrapping around. */
const altElement = () => ({ row: (state.row + 1) % state.batch, col: (state.col + 1) % state.out_features });
/** Rounds to 4 significant digits for prose (the worked example keeps the exact numbers). */
const r4 = (/** @type {number} */ x) => String(Number(x.toPrecision(4)));

function show() {
  for (const k of NUMBERS) field(k).value = String(/** @type {any} */ (state)[k]);
  field('per_channel').checked = state.per_channel;
}

function read() {
  /** @type {any} */
  const s = { ...state };
  for (const k of NUMBERS) s[k] = field(k).value.trim() === '' ? NaN : Number(field(k).value);
  s.per_channel = field('per_channel').checked;
  return s;
}

/** The accumulator's terms, one bar each, up (positive) or down from a zero line; the y range
 * runs from the smallest to the largest term (0 always inside), so no half of it stays empty. */
function drawTerms(/** @type {HTMLCanvasElement} */ canvas, /** @type {number[]} */ terms) {
  const { ctx, w, h } = fitCanvas(canvas);
  const hi = Math.max(0, ...terms);
  const lo = Math.min(0, ...terms);
  const span = hi - lo || 1;
  const pad = { l: 50, r: 8, t: 20, b: 30 };
  const plotH = h - pad.t - pad.b;
  const y = (/** @type {number} */ v) => pad.t + ((hi - v) / span) * plotH;
  const mid = y(0);
  const slot = (w - pad.l - pad.r) / terms.length;
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#5b6475';
  ctx.fillText('term (x_q[p] − x_zp)·(w_q[p] − w_zp)', pad.l, 12);
  if (hi > 0) ctx.fillText(String(hi), 2, y(hi) + 8);
  ctx.fillText('0', 2, mid + 4);
  if (lo < 0) ctx.fillText(String(lo), 2, y(lo));
  ctx.strokeStyle = '#d5dae5';
  ctx.beginPath();
  ctx.moveTo(pad.l, mid);
  ctx.lineTo(w - pad.r, mid);
  ctx.stroke();
  const every = Math.ceil(terms.length / Math.max(1, Math.floor((w - pad.l - pad.r) / 22))); // labels that fit
  terms.forEach((t, p) => {
    const bh = (Math.abs(t) / span) * plotH;
    ctx.fillStyle = t >= 0 ? '#2f5fd0' : '#c8553d';
    ctx.fillRect(pad.l + p * slot + slot * 0.1, t >= 0 ? mid - bh : mid, Math.max(1, slot * 0.8), bh);
    ctx.fillStyle = '#5b6475';
    if (p % every === 0) ctx.fillText(String(p), pad.l + p * slot + slot / 2 - 3, h - 16);
  });
  ctx.fillText('input feature p', pad.l + (w - pad.l - pad.r) / 2 - 40, h - 3);
  canvas.dataset.terms = String(terms.length);
  canvas.dataset.range = `${lo},${hi}`;
  canvas.dataset.sum = String(terms.reduce((a, b) => a + b, 0));
}

function render() {
  const err = $('widget-error');
  try {
    out = compute('integer', state);
  } catch (e) {
    err.textContent = e?.message ?? String(e);
    err.hidden = false;
    return;
  }
  err.hidden = true;
  writeHash(state);
  const e = out.element;
  const facts = [
    ['weight_qscheme', out.weight_qscheme],
    ['x_scale', fmt(out.x_scale)], ['x_zero_point', out.x_zero_point],
    ['w_scale', fmt(e.w_scale)], ['w_zero_point', e.w_zero_point],
    ['y_scale', fmt(out.y_scale)], ['y_zero_point', out.y_zero_point],
  ];
  $('qparams').innerHTML = facts.map(([k, v]) => `<dt>${k}</dt><dd data-cli="${k} ${v}">${v}</dd>`).join('');
  const n = state.out_features;
  let grid = `<tr><th></th>${Array.from({ length: n }, (_, j) => `<th>${j}</th>`).join('')}</tr>`;
  for (let i = 0; i < state.batch; i++) {
    grid += `<tr><th>${i}</th>`;
    for (let j = 0; j < n; j++) {
      const q = out.codes[i * n + j];
      const off = q !== out.float_codes[i * n + j];
      const cls = [i === state.row && j === state.col ? 'picked' : '', off ? 'off' : ''].join(' ').trim();
      grid += `<td class="${cls}" data-row="${i}" data-col="${j}" title="${off ? `float path: ${out.float_codes[i * n + j]}` : ''}">${q}</td>`;
    }
    grid += '</tr>';
  }
  $('grid').innerHTML = grid;
  $('mismatch').innerHTML = `<span data-cli="mismatches ${out.mismatches} of ${out.codes.length}">${out.mismatches} of ${out.codes.length}</span> codes differ from the float path (by one code at most: the two round different numbers).`;
  const terms = e.x_codes.map((/** @type {number} */ x, /** @type {number} */ p) => (x - out.x_zero_point) * (e.w_codes[p] - e.w_zero_point));
  drawTerms(/** @type {HTMLCanvasElement} */ ($('terms-chart')), terms);
  const k = state.in_features;
  $('worked-steps').innerHTML = [
    `Input codes x_q[${state.row}] = <span data-cli="x_codes ${e.x_codes.join(',')}">${e.x_codes.join(', ')}</span> (x_zp = ${out.x_zero_point}); weight codes w_q[${state.col}] = <span data-cli="w_codes ${e.w_codes.join(',')}">${e.w_codes.join(', ')}</span> (w_zp = ${e.w_zero_point}).`,
    `Σ x_q·w_q = <span data-cli="sum_xw ${e.sum_xw}">${e.sum_xw}</span>, Σ x_q = <span data-cli="sum_x ${e.sum_x}">${e.sum_x}</span>, Σ w_q = <span data-cli="sum_w ${e.sum_w}">${e.sum_w}</span>, so acc = ${e.sum_xw} − ${e.w_zero_point}·${e.sum_x} − ${out.x_zero_point}·${e.sum_w} + ${k}·${out.x_zero_point}·${e.w_zero_point} = <strong data-cli="acc ${e.acc}">${e.acc}</strong> (the terms' sum in the chart).`,
    `s_x·s_w = ${fmt(out.x_scale)} · ${fmt(e.w_scale)} = <span data-cli="act_scale ${fmt(e.act_scale)}">${fmt(e.act_scale)}</span>; the bias ${fmt(e.bias)} in accumulator units: bias_q = <span data-cli="bias_q ${fmt(e.bias_q)}">${fmt(e.bias_q)}</span> (the int32 form would be round(…) = <span data-cli="bias_i32 ${e.bias_i32}">${e.bias_i32}</span>).`,
    `M = ${fmt(e.act_scale)} / ${fmt(out.y_scale)} = <strong data-cli="multiplier ${fmt(e.multiplier)}">${fmt(e.multiplier)}</strong>.`,
    `(acc + bias_q) · M = (${e.acc} + ${fmt(e.bias_q)}) · ${fmt(e.multiplier)} = <span data-cli="scaled ${fmt(e.scaled)}">${fmt(e.scaled)}</span> → round half to even: <span data-cli="rounded ${fmt(e.rounded)}">${fmt(e.rounded)}</span> → + y_zp ${out.y_zero_point} = ${e.unclamped} → clamp to 0…255: y_q = <strong data-cli="code ${e.code}">${e.code}</strong> (the backend's whole Linear gave <span data-cli="backend_code ${e.backend_code}">${e.backend_code}</span>).`,
    `Back to float: (${e.code} − ${out.y_zero_point}) · ${fmt(out.y_scale)} = <span data-cli="dequantized ${fmt(e.dequantized)}">${fmt(e.dequantized)}</span>. The float path gives y = <span data-cli="float_y ${fmt(e.float_y)}">${fmt(e.float_y)}</span>, code <span data-cli="float_code ${e.float_code}">${e.float_code}</span>.`,
  ].map((s) => `<li>${s}</li>`).join('');
  $('terms').innerHTML = '<tr><th>p</th><th>x_q</th><th>w_q</th><th>x_q − x_zp</th><th>w_q − w_zp</th><th>product</th></tr>' +
    terms.map((/** @type {number} */ t, /** @type {number} */ p) => `<tr><td>${p}</td><td>${e.x_codes[p]}</td><td>${e.w_codes[p]}</td><td>${e.x_codes[p] - out.x_zero_point}</td><td>${e.w_codes[p] - e.w_zero_point}</td><td>${t}</td></tr>`).join('');
  const at = altElement();
  alt = compute('integer', { ...state, ...at });
  altPc = state.per_channel ? alt : compute('integer', { ...state, ...at, per_channel: true });
  const a = alt.element;
  const where = `y_q[${at.row}][${at.col}]`;
  for (const el of document.querySelectorAll('.ex-element')) el.textContent = where;
  $('ex-acc-data').textContent = `Σ x_q·w_q = ${a.sum_xw}, Σ x_q = ${a.sum_x}, Σ w_q = ${a.sum_w}`;
  $('ex-multiplier-data').textContent = `s_x = ${fmt(altPc.x_scale)}, s_w[${at.col}] = ${fmt(altPc.element.w_scale)}, s_y = ${fmt(altPc.y_scale)}`;
  $('ex-code-data').textContent = `acc = ${a.acc}, bias_q = ${fmt(a.bias_q)}, M = ${fmt(a.multiplier)}, y_zp = ${alt.y_zero_point}`;
  showCommand($('lesson-command'), 'integer', state, out);
  refreshSolutions();
}

function wire() {
  for (const id of [...NUMBERS, 'per_channel']) {
    field(id).addEventListener('change', () => {
      state = read();
      render();
    });
  }
  $('grid').addEventListener('click', (ev) => {
    const td = /** @type {HTMLElement} */ (ev.target).closest('td');
    if (!td?.dataset.row) return;
    state = { ...state, row: Number(td.dataset.row), col: Number(td.dataset.col) };
    show();
    render();
  });
  exercise($('ex-acc'), {
    id: 'acc',
    kind: 'number',
    prompt: 'Another element, <span class="ex-element"></span>, has <span id="ex-acc-data"></span>, with k and the zero points as above. What is its int32 accumulator acc? (an integer; exact)',
    tolerance: 0,
    answer: () => alt.element.acc,
    hint: 'acc = Σ x_q·w_q − w_zp·Σ x_q − x_zp·Σ w_q + k·x_zp·w_zp; with symmetric weights w_zp = 0.',
    solution: () => {
      const e = alt.element;
      return `${e.sum_xw} − ${e.w_zero_point}·${e.sum_x} − ${alt.x_zero_point}·${e.sum_w} + ${state.in_features}·${alt.x_zero_point}·${e.w_zero_point} = <strong>${e.acc}</strong>.`;
    },
  });
  exercise($('ex-multiplier'), {
    id: 'multiplier',
    kind: 'number',
    prompt: 'With per-channel weight scales (tick the box to see them), <span class="ex-element"></span> has <span id="ex-multiplier-data"></span>. What is its requantization multiplier M[j]? (within 1e-7)',
    tolerance: 1e-7,
    answer: () => altPc.element.multiplier,
    hint: 'M[j] = s_x · s_w[j] / s_y, with column j’s own weight scale.',
    solution: () => `${r4(altPc.x_scale)} · ${r4(altPc.element.w_scale)} / ${r4(altPc.y_scale)} = <strong>${r4(altPc.element.multiplier)}</strong> (exactly ${fmt(altPc.element.multiplier)}).`,
  });
  exercise($('ex-code'), {
    id: 'code',
    kind: 'number',
    prompt: '<span class="ex-element"></span> has <span id="ex-code-data"></span>. What is (acc + bias_q)·M, the number that is rounded to its code? (within 0.001; then round half to even, add y_zp, clamp to 0…255 and check the code against the grid)',
    tolerance: 1e-3,
    answer: () => alt.element.scaled,
    hint: 'Add bias_q to acc, then multiply by M (no rounding yet).',
    solution: () => {
      const e = alt.element;
      return `(${e.acc} + ${r4(e.bias_q)}) · ${r4(e.multiplier)} = <strong>${r4(e.scaled)}</strong> (exactly ${fmt(e.scaled)}) → round half to even ${fmt(e.rounded)} → + ${alt.y_zero_point} = ${e.unclamped} → clamp to 0…255: code ${e.code}, as the grid shows.`;
    },
  });
  lessonChrome('integer', '#qmode=static&qconfig=fbgemm&granularity=per-channel');
}

show();
wire();
loadLibrary().then(render);
