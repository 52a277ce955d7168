// Lesson 8's widget: one call to the library trains the digits MLP in the chosen precision,
// quantizes it, sweeps each layer kept float and exports the int8 file
// (`lessonPipelineWithFile`, crate/src/app/lessons/pipeline.rs, on the CPU reference); this file
// draws the loss and loss-scale curves, the sweep and the summary, and offers the file.
import { lessonPipelineWithFile } from '../www/pkg/quantplay.js';
import { lineChart } from '../www/chart.js';
import { exercise, fmt, lessonChrome, loadLibrary, readHash, showCommand, writeHash } from './kit.js';

const DEFAULTS = { hidden: [32, 32], precision: '16-mixed', steps: 300, lr: 0.01, seed: 1, calib: 8, qconfig: 'x86', keep_float: 'auto' };
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const field = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));
const pct = (/** @type {number} */ a) => `${(a * 100).toFixed(2)} %`;
/** Test images right at accuracy `a` (accuracy = correct / test_samples). */
const count = (/** @type {number} */ a) => Math.round(a * out.test_samples);
/** The layer the gain exercise asks about: the sweep's last (the worked example does its first). */
const gainLayer = () => out.sweep[out.sweep.length - 1];

let { state } = readHash(DEFAULTS);
/** @type {any} */
let out = null;
/** @type {Uint8Array | null} */
let file = null;
const lossChart = lineChart(/** @type {HTMLCanvasElement} */ ($('loss-chart')), { xLabel: 'step' });
const scaleChart = lineChart(/** @type {HTMLCanvasElement} */ ($('scale-chart')), { log2: true, xLabel: 'step' });

function show() {
  for (const k of ['precision', 'steps', 'lr', 'seed', 'calib', 'qconfig']) field(k).value = String(/** @type {any} */ (state)[k]);
  field('hidden').value = state.hidden.join(',');
  // The model's layers in model order (fc1, fc2, …), not in the sweep's order of gain.
  const layers = (out?.sweep ?? []).map((/** @type {any} */ r) => r.layer).sort((/** @type {string} */ a, /** @type {string} */ b) => a.localeCompare(b, 'en', { numeric: true }));
  setKeepOptions(['auto', 'none', ...layers]);
  field('keep_float').value = state.keep_float;
}

/** @param {string[]} names */
function setKeepOptions(names) {
  if (!names.includes(state.keep_float)) names.push(state.keep_float);
  const sel = /** @type {HTMLSelectElement} */ ($('keep_float'));
  sel.innerHTML = names.map((n) => `<option>${n}</option>`).join('');
  sel.value = state.keep_float;
}

function read() {
  const hidden = field('hidden').value.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  return {
    hidden,
    precision: field('precision').value,
    steps: Number(field('steps').value),
    lr: Number(field('lr').value),
    seed: Number(field('seed').value),
    calib: Number(field('calib').value),
    qconfig: field('qconfig').value,
    keep_float: field('keep_float').value,
  };
}

async function run() {
  const err = $('widget-error');
  $('run-state').textContent = 'Training, quantizing and sweeping on the CPU reference…';
  /** @type {HTMLButtonElement} */ ($('run')).disabled = true;
  await new Promise((r) => setTimeout(r, 20)); // let the message paint before the work
  const t0 = performance.now();
  try {
    [out, file] = lessonPipelineWithFile(state);
  } catch (e) {
    err.textContent = e?.message ?? String(e);
    err.hidden = false;
    $('run-state').textContent = out ? 'Kept the last good run.' : '';
    return;
  } finally {
    /** @type {HTMLButtonElement} */ ($('run')).disabled = false;
  }
  err.hidden = true;
  $('run-state').textContent = `Ran on the CPU reference (wasm) in ${Math.round(performance.now() - t0)} ms.`;
  writeHash(state);
  show();
  draw();
}

function draw() {
  const steps = out.steps;
  lossChart.update({ series: [{ name: `loss (${out.precision})`, color: '#2f5fd0', points: steps.map((/** @type {any} */ s) => [s.step, s.loss]) }],
    rug: { items: steps.filter((/** @type {any} */ s) => s.skipped).map((/** @type {any} */ s) => [s.step, 1]), color: '#b3261e', label: 'skipped step' } });
  const scaled = steps.filter((/** @type {any} */ s) => s.loss_scale !== null);
  scaleChart.update({ series: [{ name: 'loss scale', color: '#1d7a3a', stepped: true, points: scaled.map((/** @type {any} */ s) => [s.step, s.loss_scale]) }],
    empty: `${out.precision} uses no GradScaler (no loss scale)` });
  const last = steps[steps.length - 1];
  const facts = [
    ['precision', out.precision],
    ['final_loss', fmt(last.loss)],
    ['skipped_steps', String(out.skipped_steps)],
    ['test_samples', String(out.test_samples)],
    ['float_accuracy', fmt(out.float_accuracy)],
    ['int8_accuracy', fmt(out.int8_accuracy)],
    ['kept_float', out.kept_float ?? 'none'],
    ['final_accuracy', fmt(out.final_accuracy)],
    ['float_file_bytes', String(out.float_file_bytes)],
    ['int8_file_bytes', String(out.int8_file_bytes)],
    ['int8_file_fnv1a', out.int8_file_fnv1a],
  ];
  // Accuracies read as %; data-cli keeps the exact fraction the command prints.
  const shown = (/** @type {string} */ k, /** @type {string} */ v) => (k.endsWith('_accuracy') ? `${pct(Number(v))}` : v);
  $('summary').innerHTML = facts.map(([k, v]) => `<dt>${k}</dt><dd data-cli="${k} ${v}">${shown(k, v)}</dd>`).join('');
  const maxGain = Math.max(1e-9, ...out.sweep.map((/** @type {any} */ r) => Math.abs(r.gain)));
  // The gain in test images beside the points: a one-image gain is noise.
  const gained = (/** @type {any} */ r) => count(r.accuracy) - count(out.int8_accuracy);
  const imgs = (/** @type {number} */ d) => `${d > 0 ? '+' : ''}${d} image${Math.abs(d) === 1 ? '' : 's'}`;
  $('sweep').innerHTML = '<tr><th>layer kept float</th><th>accuracy</th><th>gain</th><th>gain in test images</th><th></th></tr>' + out.sweep
    .map((/** @type {any} */ r) => `<tr data-cli="${r.layer} ${fmt(r.accuracy)} ${fmt(r.gain)}"><td>${r.layer}</td><td>${pct(r.accuracy)}</td><td>${(r.gain * 100).toFixed(2)} pt</td><td>${imgs(gained(r))} of ${out.test_samples}</td>` +
      `<td style="width:12rem"><div style="height:0.8rem;width:${(Math.abs(r.gain) / maxGain) * 100}%;background:${r.gain > 0 ? '#1d7a3a' : '#b3261e'}"></div></td></tr>`)
    .join('');
  const top = out.sweep[0];
  const topImages = count(top.accuracy) - count(out.int8_accuracy);
  const noise = Math.abs(topImages) <= 1
    ? ` That is ${topImages} image(s) of ${out.test_samples}: a one-image difference is noise (another seed or calibration set moves single images either way), so keeping ${top.layer} float is a coin toss here, not a finding.`
    : ` That is ${topImages} images of ${out.test_samples}; a gain of one image (${((100 / out.test_samples)).toFixed(2)} pt) would be noise.`;
  $('worked-steps').innerHTML = [
    `Training: ${steps.length} Adam steps in ${out.precision}; the last minibatch loss is ${fmt(last.loss)}` +
      (last.loss_scale !== null ? ` at loss scale ${fmt(last.loss_scale)}, and the GradScaler skipped ${out.skipped_steps} step(s).` : `; ${out.precision} runs without a GradScaler.`),
    `Float model: ${Math.round(out.float_accuracy * out.test_samples)} of ${out.test_samples} test images right = ${pct(out.float_accuracy)}.`,
    `All-int8 model (calibrated on ${state.calib} images, qconfig ${state.qconfig}): ${pct(out.int8_accuracy)} (how many images that is: exercise 1).`,
    `Sweep: with ${top.layer} float, ${count(top.accuracy)} right = ${pct(top.accuracy)}; gain = ${pct(top.accuracy)} − ${pct(out.int8_accuracy)} = ${(top.gain * 100).toFixed(2)} points.${noise}`,
    out.kept_float ? `Kept ${out.kept_float} float: final accuracy ${pct(out.final_accuracy)}.` : `No layer kept float (${state.keep_float === 'none' ? 'as asked' : 'no layer gains anything'}): final accuracy ${pct(out.final_accuracy)}.`,
    `Export: the float weights take ${out.float_file_bytes} bytes as safetensors, the int8 file ${out.int8_file_bytes} bytes (int8 weights are 1 byte instead of 4; biases, scales, zero points and the model description stay). Its fingerprint int8_file_fnv1a = ${out.int8_file_fnv1a} (a 64-bit FNV-1a hash of the file's bytes) is what to compare to check that the download is the same file as the one <code>--out</code> writes.`,
  ].map((s) => `<li>${s}</li>`).join('');
  /** @type {HTMLButtonElement} */ ($('download')).disabled = false;
  $('ex-gain-layer').textContent = gainLayer().layer;
  showCommand($('lesson-command'), 'pipeline', state, out);
}

function wire() {
  $('run').addEventListener('click', () => {
    state = read();
    run();
  });
  $('download').addEventListener('click', () => {
    if (!file) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (file)], { type: 'application/octet-stream' }));
    a.download = 'digits-mlp.int8.safetensors';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });
  exercise($('ex-correct'), {
    id: 'correct',
    kind: 'number',
    prompt: 'How many test images does the all-int8 model classify correctly? (an integer; exact)',
    tolerance: 0,
    answer: () => count(out.int8_accuracy),
    hint: 'accuracy = correct / test images; the summary gives both int8_accuracy and test_samples.',
    solution: () => `${pct(out.int8_accuracy)} × ${out.test_samples} = <strong>${count(out.int8_accuracy)}</strong>.`,
  });
  exercise($('ex-gain'), {
    id: 'gain',
    kind: 'number',
    prompt: 'With layer <strong id="ex-gain-layer"></strong> kept float (the rest int8), how many test images does the model classify correctly? (an integer; exact)',
    tolerance: 0,
    answer: () => count(gainLayer().accuracy),
    hint: 'Its row of the sweep: accuracy × test_samples, or the all-int8 count (exercise 1) plus its gain in images.',
    solution: () => {
      const r = gainLayer();
      const d = count(r.accuracy) - count(out.int8_accuracy);
      return `${pct(r.accuracy)} × ${out.test_samples} = <strong>${count(r.accuracy)}</strong> = ${count(out.int8_accuracy)} ${d < 0 ? '−' : '+'} ${Math.abs(d)}${Math.abs(d) <= 1 ? ' (a gain of one image or none: noise)' : ''}.`;
    },
  });
  exercise($('ex-calib'), {
    id: 'calib',
    kind: 'choice',
    prompt: 'Is the sweep’s best gain (its first row) more than noise, that is more than one test image? (so is keeping that layer float a finding?)',
    options: ['no: one image or fewer', 'yes: more than one image'],
    answer: () => (count(out.sweep[0].accuracy) - count(out.int8_accuracy) > 1 ? 1 : 0),
    hint: 'Turn the first row’s accuracy into images (accuracy × test_samples) and subtract the all-int8 count.',
    solution: () => {
      const d = count(out.sweep[0].accuracy) - count(out.int8_accuracy);
      return `${out.sweep[0].layer} float gains ${d} image(s) of ${out.test_samples}: <strong>${d > 1 ? 'yes' : 'no'}</strong>${d > 1 ? '' : ', so the “keep” decision rests on noise'}.`;
    },
  });
  lessonChrome('pipeline', '#dataset=digits&precision=16-mixed');
}

show();
wire();
loadLibrary().then(run);
