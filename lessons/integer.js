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

/** The accumulator's terms, one bar each, up (positive) or down from a zero line. */
function drawTerms(/** @type {HTMLCanvasElement} */ canvas, /** @type {number[]} */ terms) {
  const { ctx, w, h } = fitCanvas(canvas);
  const max = Math.max(1, ...terms.map(Math.abs));
  const pad = { l: 50, r: 8, t: 8, b: 8 };
  const mid = pad.t + (h - pad.t - pad.b) / 2;
  const half = (h - pad.t - pad.b) / 2;
  const slot = (w - pad.l - pad.r) / terms.length;
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#5b6475';
  ctx.fillText(String(max), 2, pad.t + 8);
  ctx.fillText('0', 2, mid + 4);
  ctx.fillText(String(-max), 2, h - pad.b);
  ctx.strokeStyle = '#d5dae5';
  ctx.beginPath();
  ctx.moveTo(pad.l, mid);
  ctx.lineTo(w - pad.r, mid);
  ctx.stroke();
  terms.forEach((t, p) => {
    const bh = (Math.abs(t) / max) * half;
    ctx.fillStyle = t >= 0 ? '#2f5fd0' : '#c8553d';
    ctx.fillRect(pad.l + p * slot + slot * 0.1, t >= 0 ? mid - bh : mid, Math.max(1, slot * 0.8), bh);
  });
  canvas.dataset.terms = String(terms.length);
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
    prompt: 'From Σ x_q·w_q, Σ x_q, Σ w_q, k and the zero points in the worked example, what is the int32 accumulator acc? (an integer; exact)',
    tolerance: 0,
    answer: () => out.element.acc,
    hint: 'acc = Σ x_q·w_q − w_zp·Σ x_q − x_zp·Σ w_q + k·x_zp·w_zp; with symmetric weights w_zp = 0.',
    solution: () => {
      const e = out.element;
      return `${e.sum_xw} − ${e.w_zero_point}·${e.sum_x} − ${out.x_zero_point}·${e.sum_w} + ${state.in_features}·${out.x_zero_point}·${e.w_zero_point} = <strong>${e.acc}</strong>.`;
    },
  });
  exercise($('ex-multiplier'), {
    id: 'multiplier',
    kind: 'number',
    prompt: 'What is the requantization multiplier M for this element? (within 1e-7)',
    tolerance: 1e-7,
    answer: () => out.element.multiplier,
    hint: 'M = s_x · s_w / s_y, with this column’s weight scale.',
    solution: () => `${fmt(out.x_scale)} · ${fmt(out.element.w_scale)} / ${fmt(out.y_scale)} = <strong>${fmt(out.element.multiplier)}</strong>.`,
  });
  exercise($('ex-code'), {
    id: 'code',
    kind: 'number',
    prompt: 'Given acc, bias_q, M and y_zp, what output code does the element get? (an integer; exact)',
    tolerance: 0,
    answer: () => out.element.code,
    hint: 'Add bias_q to acc, multiply by M, round half to even, add y_zp, clamp to 0…255.',
    solution: () => {
      const e = out.element;
      return `(${e.acc} + ${fmt(e.bias_q)}) · ${fmt(e.multiplier)} = ${fmt(e.scaled)} → ${fmt(e.rounded)} → + ${out.y_zero_point} → <strong>${e.code}</strong>.`;
    },
  });
  lessonChrome('integer', '#qmode=static&qconfig=fbgemm&granularity=per-channel');
}

show();
wire();
loadLibrary().then(render);
