// Lesson 3's widget: a seeded Conv2d → BatchNorm2d block → per-tensor vs per-channel qint8
// scales per weight row, each row's weight error (a bar chart), and the BatchNorm fold of one
// channel, all from the library's `lesson('per-channel', …)` (crate/src/app/lessons/per_channel.rs).
// The chart only draws the numbers the library returned; the URL keeps the inputs.
import { fitCanvas } from '../www/chart.js';
import { compute, exercise, fmt, lessonChrome, loadLibrary, readHash, refreshSolutions, showCommand, writeHash } from './kit.js';

const DEFAULTS = { seed: 2, out_channels: 8, channel: 0, layer: 'fused' };
const COLORS = { tensor: '#c8553d', channel: '#2f5fd0' };
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const field = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

let { state } = readHash(DEFAULTS);
/** @type {any} */
let out = null;
/** The same block with the other layer quantized, and with the next channel's fold. @type {any} */
let other = null;
/** @type {any} */
let next = null;

function show() {
  for (const k of ['seed', 'out_channels', 'channel']) field(k).value = String(/** @type {any} */ (state)[k]);
  field('layer').value = state.layer;
}

function read() {
  const int = (/** @type {string} */ id) => (field(id).value.trim() === '' ? NaN : Number(field(id).value));
  return { seed: int('seed'), out_channels: int('out_channels'), channel: int('channel'), layer: field('layer').value };
}

/** Rounds to 4 significant digits for prose (the tables keep the library's exact numbers). */
const r4 = (/** @type {number} */ x) => String(Number(x.toPrecision(4)));

/** A round tick step (1, 2 or 5 × 10^k) that cuts `max` into about `n` parts. */
function niceStep(/** @type {number} */ max, n = 3) {
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

/** Two bars per row (per-tensor, per-channel error), on a shared linear axis from 0. */
function drawRows(/** @type {HTMLCanvasElement} */ canvas, /** @type {any[]} */ rows) {
  const { ctx, w, h } = fitCanvas(canvas);
  const pad = { l: 70, r: 8, t: 22, b: 34 };
  const max = Math.max(...rows.map((r) => Math.max(r.error_per_tensor, r.error_per_channel))) || 1;
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const plotW = w - pad.l - pad.r;
  const plotH = h - pad.t - pad.b;
  const slot = plotW / rows.length;
  ctx.font = '11px system-ui, sans-serif';
  ctx.strokeStyle = '#d5dae5';
  ctx.fillStyle = '#5b6475';
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  for (let i = 0; i * step <= top * (1 + 1e-9); i++) {
    const y = pad.t + plotH * (1 - (i * step) / top);
    ctx.beginPath();
    ctx.moveTo(pad.l, y);
    ctx.lineTo(w - pad.r, y);
    ctx.stroke();
    ctx.fillText(i === 0 ? '0' : (i * step).toFixed(digits), 2, y + 4); // axis labels only; the numbers are in the table
  }
  ctx.fillText('largest weight error of the row, max |ŵ − w|', pad.l, 12);
  ctx.fillText('row c (output channel)', pad.l + plotW / 2 - 50, h - 4);
  rows.forEach((r, i) => {
    const x = pad.l + i * slot;
    const bw = Math.max(1, slot * 0.38);
    for (const [k, v] of /** @type {[keyof typeof COLORS, number][]} */ ([['tensor', r.error_per_tensor], ['channel', r.error_per_channel]])) {
      const bh = (v / top) * plotH;
      ctx.fillStyle = COLORS[k];
      ctx.fillRect(x + (k === 'tensor' ? slot * 0.1 : slot * 0.1 + bw), pad.t + plotH - bh, bw, bh);
    }
    ctx.fillStyle = i === state.channel ? '#1d2330' : '#5b6475';
    ctx.fillText(String(i), x + slot / 2 - 3, h - 20);
  });
  canvas.dataset.rows = String(rows.length);
  canvas.dataset.max = String(max);
  canvas.dataset.ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => (i * step).toFixed(digits)).join(',');
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
    '<tr><th>row c</th><th>max |w[c]|</th><th>scale[c]</th><th>max |ŵ − w|, per tensor</th><th>max |ŵ − w|, per channel</th><th>code span, per tensor</th><th>code span, per channel</th></tr>' +
    out.rows
      .map((/** @type {any} */ r, /** @type {number} */ c) => {
        const span = (/** @type {number[]} */ s) => `${s[0]}..${s[1]}`;
        const cells = [c, fmt(r.max_abs), fmt(r.scale), fmt(r.error_per_tensor), fmt(r.error_per_channel), span(r.span_per_tensor), span(r.span_per_channel)];
        const shown = cells.map((v) => String(v).replace(/^(-?\d+)\.\.(-?\d+)$/, (_, a, b) => `${a.replace('-', '−')}…${b.replace('-', '−')}`));
        return `<tr data-cli="${cells.join(' ')}">${shown.map((v) => `<td>${v}</td>`).join('')}</tr>`;
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
    ['running_mean', fmt(f.running_mean), 'the mean of channel c’s input that BatchNorm tracked in training'],
    ['running_var', fmt(f.running_var), 'its variance, tracked the same way'],
    ['eps', fmt(f.eps), 'added to the variance so the square root never divides by 0 (BatchNorm2d’s default)'],
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
  const span = (/** @type {number[]} */ s) => `${s[0]}…${s[1]}`.replaceAll('-', '−');
  $('worked-steps').innerHTML = [
    `The largest |w| of the whole weight is in row ${big}: ${r4(out.rows[big].max_abs)}, so the one per-tensor scale is ${r4(out.rows[big].max_abs)} / 127.5 = <strong>${r4(out.scale_per_tensor)}</strong>.`,
    `Row ${state.channel} only reaches ${r4(r.max_abs)}: its own scale is ${r4(r.max_abs)} / 127.5 = <strong>${r4(r.scale)}</strong>.`,
    `With the per-tensor scale the row's codes span only ${span(r.span_per_tensor)} of −128…127 and its largest error is ${r4(r.error_per_tensor)}; with its own scale they span ${span(r.span_per_channel)} and the largest error is ${r4(r.error_per_channel)} (never more than half a step, scale[c]/2). (A row has only 27 weights, so it can never use more than 27 distinct codes; the span is what the scale decides.)`,
    `Folding channel ${state.channel}: rsqrt = 1/sqrt(${r4(f.running_var)} + ${fmt(f.eps)}) = ${r4(f.rsqrt)}, factor = ${r4(f.gamma)} · ${r4(f.rsqrt)} = ${r4(f.factor)}; the first weight ${r4(f.weight[0])} becomes ${r4(f.fused_weight[0])}, and the bias becomes (${r4(f.bias)} − ${r4(f.running_mean)}) · ${r4(f.rsqrt)} · ${r4(f.gamma)} + ${r4(f.beta)} = <strong>${r4(f.fused_bias)}</strong>.`,
    `Because the factor differs per channel, the folded rows' ranges spread apart, so one shared scale fits the folded weight worse than the conv's own: folding makes per-channel scales matter more. (torch's x86 and fbgemm qconfigs use per-channel weight observers for every conv and Linear, fused or not; see <a href="observers.html">lesson 2</a> and the <a href="index.html#glossary">glossary</a>.)`,
  ].map((s) => `<li>${s}</li>`).join('');
  // The exercises ask about numbers the page does not show: the other layer's scale of the row
  // shown, and another channel's fold (both the library's live output for those inputs).
  other = compute('per-channel', { ...state, layer: state.layer === 'fused' ? 'conv' : 'fused' });
  next = compute('per-channel', { ...state, channel: nextChannel() });
  $('ex-scale-what').textContent = state.layer === 'fused' ? 'before folding (the conv’s own weight)' : 'after folding (the fused conv)';
  const g = next.fold;
  $('ex-fold-inputs').innerHTML = `channel ${nextChannel()}: b = ${fmt(g.bias)}, γ = ${fmt(g.gamma)}, β = ${fmt(g.beta)}, running_mean = ${fmt(g.running_mean)}, running_var = ${fmt(g.running_var)}, eps = ${fmt(g.eps)}`;
  showCommand($('lesson-command'), 'per-channel', state, out);
  refreshSolutions();
}

/** The channel after the one shown (the fused-bias exercise's channel). */
const nextChannel = () => (state.channel + 1) % state.out_channels;

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
    prompt: 'The fold multiplies every weight of channel c by the factor in the fold table. What is the per-channel scale of the channel shown <span id="ex-scale-what"></span>? (within 1e-6)',
    tolerance: 1e-6,
    answer: () => other.rows[state.channel].scale,
    hint: 'Symmetric qint8: the row’s largest |w| / 127.5; folding multiplies the row’s largest |w| by |factor| (divide to undo it).',
    solution: () => {
      const m = out.rows[state.channel].max_abs;
      const k = Math.abs(out.fold.factor);
      const how = state.layer === 'fused' ? `${r4(m)} / ${r4(k)}` : `${r4(m)} · ${r4(k)}`;
      return `max |w[${state.channel}]| = ${how} = ${r4(other.rows[state.channel].max_abs)}, so the scale is ${r4(other.rows[state.channel].max_abs)} / 127.5 = <strong>${r4(other.rows[state.channel].scale)}</strong> (the library's exact value: ${fmt(other.rows[state.channel].scale)}).`;
    },
  });
  exercise($('ex-worst-row'), {
    id: 'worst-row',
    kind: 'number',
    prompt: 'Which row loses most by sharing the per-tensor scale (the largest ratio of its max |ŵ − w| per tensor to per channel)? (a row number; at the default seed 2 the winner is clear, at other seeds two ratios can be close: compare them to 3 significant digits)',
    tolerance: 0,
    answer: () => worstRow(),
    hint: 'Small rows suffer: the per-tensor scale is set by the largest row, so a row with a small max |w| uses few codes.',
    solution: () => {
      const c = worstRow();
      const r = out.rows[c];
      const ratios = out.rows.map((/** @type {any} */ x) => x.error_per_tensor / x.error_per_channel);
      const runner = Math.max(...ratios.filter((/** @type {number} */ _, /** @type {number} */ i) => i !== c));
      return `Row <strong>${c}</strong>: its largest error is ${r4(r.error_per_tensor)} per tensor and ${r4(r.error_per_channel)} per channel, a ratio of ${r4(ratios[c])} (the next largest ratio is ${r4(runner)}); its max |w| is ${r4(r.max_abs)} against the widest row's ${r4(Math.max(...out.rows.map((/** @type {any} */ x) => x.max_abs)))}.`;
    },
  });
  exercise($('ex-fused-bias'), {
    id: 'fused-bias',
    kind: 'number',
    prompt: 'Fold the BatchNorm into the conv for the next channel, <span id="ex-fold-inputs"></span>: what is its fused bias b′? (within 1e-5)',
    tolerance: 1e-5,
    answer: () => next.fold.fused_bias,
    hint: 'b′ = (b − running_mean) · rsqrt · γ + β with rsqrt = 1 / sqrt(running_var + eps), as the fold table does for the channel shown.',
    solution: () => {
      const f = next.fold;
      return `rsqrt = 1 / sqrt(${r4(f.running_var)} + ${fmt(f.eps)}) = ${r4(f.rsqrt)}; (${r4(f.bias)} − ${r4(f.running_mean)}) · ${r4(f.rsqrt)} · ${r4(f.gamma)} + ${r4(f.beta)} = <strong>${r4(f.fused_bias)}</strong> (exactly ${fmt(f.fused_bias)}).`;
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
