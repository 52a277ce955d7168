// Lesson 3's widget: a seeded Conv2d → BatchNorm2d block → per-tensor vs per-channel qint8
// scales per weight row, each row's weight error (a bar chart), and the BatchNorm fold of one
// channel, all from the library's `lesson('per-channel', …)` (crate/src/app/lessons/per_channel.rs).
// The chart only draws the numbers the library returned; the URL keeps the inputs.
import { fitCanvas } from '../www/chart.js';
import { compute, exercise, fmt, lessonChrome, loadLibrary, readHash, refreshSolutions, showCommand, writeHash } from './kit.js';

const DEFAULTS = { seed: 0, out_channels: 8, channel: 0, layer: 'fused' };
const COLORS = { tensor: '#c8553d', channel: '#2f5fd0' };
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const field = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

let { state } = readHash(DEFAULTS);
/** @type {any} */
let out = null;

function show() {
  for (const k of ['seed', 'out_channels', 'channel']) field(k).value = String(/** @type {any} */ (state)[k]);
  field('layer').value = state.layer;
}

function read() {
  const int = (/** @type {string} */ id) => (field(id).value.trim() === '' ? NaN : Number(field(id).value));
  return { seed: int('seed'), out_channels: int('out_channels'), channel: int('channel'), layer: field('layer').value };
}

/** Two bars per row (per-tensor, per-channel error), on a shared linear axis from 0. */
function drawRows(/** @type {HTMLCanvasElement} */ canvas, /** @type {any[]} */ rows) {
  const { ctx, w, h } = fitCanvas(canvas);
  const pad = { l: 70, r: 8, t: 10, b: 22 };
  const max = Math.max(...rows.map((r) => Math.max(r.error_per_tensor, r.error_per_channel))) || 1;
  const plotW = w - pad.l - pad.r;
  const plotH = h - pad.t - pad.b;
  const slot = plotW / rows.length;
  ctx.font = '11px system-ui, sans-serif';
  ctx.strokeStyle = '#d5dae5';
  ctx.fillStyle = '#5b6475';
  for (const f of [0, 0.5, 1]) {
    const y = pad.t + plotH * (1 - f);
    ctx.beginPath();
    ctx.moveTo(pad.l, y);
    ctx.lineTo(w - pad.r, y);
    ctx.stroke();
    ctx.fillText(f === 0 ? '0' : (max * f).toPrecision(3), 2, y + 4); // axis labels only; the numbers are in the table
  }
  rows.forEach((r, i) => {
    const x = pad.l + i * slot;
    const bw = Math.max(1, slot * 0.38);
    for (const [k, v] of /** @type {[keyof typeof COLORS, number][]} */ ([['tensor', r.error_per_tensor], ['channel', r.error_per_channel]])) {
      const bh = (v / max) * plotH;
      ctx.fillStyle = COLORS[k];
      ctx.fillRect(x + (k === 'tensor' ? slot * 0.1 : slot * 0.1 + bw), pad.t + plotH - bh, bw, bh);
    }
    ctx.fillStyle = i === state.channel ? '#1d2330' : '#5b6475';
    ctx.fillText(String(i), x + slot / 2 - 3, h - 6);
  });
  canvas.dataset.rows = String(rows.length);
  canvas.dataset.max = String(max);
}

function render() {
  const err = $('widget-error');
  try {
    out = compute('per-channel', state);
  } catch (e) {
    err.textContent = e?.message ?? String(e);
    err.hidden = false;
    return;
  }
  err.hidden = true;
  writeHash(state);
  drawRows(/** @type {HTMLCanvasElement} */ ($('row-chart')), out.rows);
  const facts = [
    ['layer', out.layer],
    ['scale_per_tensor', fmt(out.scale_per_tensor)],
    ['mean_row_error_per_tensor', fmt(out.mean_row_error_per_tensor)],
    ['mean_row_error_per_channel', fmt(out.mean_row_error_per_channel)],
  ];
  $('summary').innerHTML = facts.map(([k, v]) => `<dt>${k}</dt><dd data-cli="${k} ${v}">${v}</dd>`).join('');
  $('rows').innerHTML =
    '<tr><th>row c</th><th>max |w[c]|</th><th>scale[c]</th><th>error, per tensor</th><th>error, per channel</th><th>codes used, per tensor</th><th>per channel</th></tr>' +
    out.rows
      .map((/** @type {any} */ r, /** @type {number} */ c) => {
        const cells = [c, fmt(r.max_abs), fmt(r.scale), fmt(r.error_per_tensor), fmt(r.error_per_channel), r.codes_per_tensor, r.codes_per_channel];
        return `<tr data-cli="${cells.join(' ')}">${cells.map((v) => `<td>${v}</td>`).join('')}</tr>`;
      })
      .join('');
  const f = out.fold;
  const list = (/** @type {number[]} */ v) => v.map(fmt).join(',');
  const shown = (/** @type {string} */ v) => v.replaceAll(',', ', ');
  const foldRows = [
    ['weight', list(f.weight), 'w[c], input channel 0’s 3×3 kernel, before'],
    ['bias', fmt(f.bias), 'the conv’s b[c]'],
    ['gamma', fmt(f.gamma), 'BatchNorm γ[c] (its weight)'],
    ['beta', fmt(f.beta), 'BatchNorm β[c] (its bias)'],
    ['running_mean', fmt(f.running_mean), ''],
    ['running_var', fmt(f.running_var), ''],
    ['eps', fmt(f.eps), ''],
    ['rsqrt', fmt(f.rsqrt), '1 / sqrt(running_var + eps)'],
    ['factor', fmt(f.factor), 'γ · rsqrt: every weight of the channel is multiplied by this'],
    ['fused_weight', list(f.fused_weight), 'w[c] · factor, after'],
    ['fused_bias', fmt(f.fused_bias), '(b − running_mean) · rsqrt · γ + β'],
  ];
  $('fold').innerHTML = `<tr><th>channel ${state.channel}</th><th>value</th><th></th></tr>` +
    foldRows.map(([k, v, note]) => `<tr><th>${k}</th><td data-cli="${k} ${v}" style="text-align:left">${shown(v)}</td><td style="text-align:left; color: var(--muted)">${note}</td></tr>`).join('');
  $('fold-check').innerHTML = `The check: on one seeded (3, 8, 8) input, conv → BatchNorm gives <span data-cli="y_conv_bn ${fmt(f.y_conv_bn)}">${fmt(f.y_conv_bn)}</span>
    at (channel ${state.channel}, 0, 0) and the fused conv <span data-cli="y_fused ${fmt(f.y_fused)}">${fmt(f.y_fused)}</span>;
    over the whole output the largest difference is <strong data-cli="fused_max_abs_diff ${fmt(out.fused_max_abs_diff)}">${fmt(out.fused_max_abs_diff)}</strong>
    against outputs up to <span data-cli="output_max_abs ${fmt(out.output_max_abs)}">${fmt(out.output_max_abs)}</span>: the same function, up to float rounding in a different order.`;
  const r = out.rows[state.channel];
  const big = out.rows.reduce((/** @type {number} */ b, /** @type {any} */ x, /** @type {number} */ i) => (x.max_abs > out.rows[b].max_abs ? i : b), 0);
  $('worked-steps').innerHTML = [
    `The largest |w| of the whole weight is in row ${big}: ${fmt(out.rows[big].max_abs)}, so the one per-tensor scale is ${fmt(out.rows[big].max_abs)} / 127.5 = <strong>${fmt(out.scale_per_tensor)}</strong>.`,
    `Row ${state.channel} only reaches ${fmt(r.max_abs)}: its own scale is ${fmt(r.max_abs)} / 127.5 = <strong>${fmt(r.scale)}</strong>.`,
    `With the per-tensor scale the row uses ${r.codes_per_tensor} distinct codes and its worst error is ${fmt(r.error_per_tensor)}; with its own scale it uses ${r.codes_per_channel} codes and the worst error is ${fmt(r.error_per_channel)} (never more than half a step, scale[c]/2).`,
    `Folding channel ${state.channel}: rsqrt = 1/sqrt(${fmt(f.running_var)} + ${fmt(f.eps)}) = ${fmt(f.rsqrt)}, factor = ${fmt(f.gamma)} · ${fmt(f.rsqrt)} = ${fmt(f.factor)}; the first weight ${fmt(f.weight[0])} becomes ${fmt(f.fused_weight[0])}, and the bias becomes (${fmt(f.bias)} − ${fmt(f.running_mean)}) · ${fmt(f.rsqrt)} · ${fmt(f.gamma)} + ${fmt(f.beta)} = <strong>${fmt(f.fused_bias)}</strong>.`,
    `Because the factor differs per channel, the folded rows' ranges spread apart: that is why torch's default weight observer for convs after fusion is per channel.`,
  ].map((s) => `<li>${s}</li>`).join('');
  showCommand($('lesson-command'), 'per-channel', state, out);
  refreshSolutions();
}

function wire() {
  for (const id of ['seed', 'out_channels', 'channel', 'layer']) {
    field(id).addEventListener('change', () => {
      state = read();
      render();
    });
  }
  exercise($('ex-scale'), {
    id: 'scale',
    kind: 'number',
    prompt: 'What is the per-channel scale of the channel shown? (within 1e-6)',
    tolerance: 1e-6,
    answer: () => out.rows[state.channel].scale,
    hint: 'Symmetric qint8: the row’s largest |w| divided by (127 − (−128)) / 2.',
    solution: () => `${fmt(out.rows[state.channel].max_abs)} / 127.5 = <strong>${fmt(out.rows[state.channel].scale)}</strong>.`,
  });
  exercise($('ex-worst-row'), {
    id: 'worst-row',
    kind: 'number',
    prompt: 'Which row loses most by sharing the per-tensor scale (the largest ratio of per-tensor error to per-channel error)? (a row number; exact)',
    tolerance: 0,
    answer: () => worstRow(),
    hint: 'Small rows suffer: the per-tensor scale is set by the largest row, so a row with a small max |w| uses few codes.',
    solution: () => {
      const c = worstRow();
      const r = out.rows[c];
      return `Row <strong>${c}</strong>: its largest error is ${fmt(r.error_per_tensor)} per tensor and ${fmt(r.error_per_channel)} per channel, the largest ratio of any row; its max |w| is ${fmt(r.max_abs)} against the widest row's ${fmt(Math.max(...out.rows.map((/** @type {any} */ x) => x.max_abs)))}.`;
    },
  });
  exercise($('ex-fused-bias'), {
    id: 'fused-bias',
    kind: 'number',
    prompt: 'Fold the BatchNorm into the conv for the channel shown: what is the fused bias b′? (within 1e-5)',
    tolerance: 1e-5,
    answer: () => out.fold.fused_bias,
    hint: 'b′ = (b − running_mean) · rsqrt(running_var + eps) · γ + β, with the numbers in the fold table.',
    solution: () => {
      const f = out.fold;
      return `(${fmt(f.bias)} − ${fmt(f.running_mean)}) · ${fmt(f.rsqrt)} · ${fmt(f.gamma)} + ${fmt(f.beta)} = <strong>${fmt(f.fused_bias)}</strong>.`;
    },
  });
  lessonChrome('per-channel', '#qconfig=x86&granularity=per-tensor&fuse=1');
}

/** The row with the largest per-tensor / per-channel error ratio (reads the library's numbers). */
function worstRow() {
  let best = 0;
  out.rows.forEach((/** @type {any} */ r, /** @type {number} */ i) => {
    const ratio = r.error_per_tensor / r.error_per_channel;
    const b = out.rows[best];
    if (ratio > b.error_per_tensor / b.error_per_channel) best = i;
  });
  return best;
}

show();
wire();
loadLibrary().then(render);
