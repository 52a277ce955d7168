// Lesson 6's widget: a precision string and the MLP's hidden widths go to the library's
// `lesson('autocast', …)` (crate/src/app/lessons/autocast.rs: the amp::autocast policy and the
// op trace of one real training step); the page shows the trace as a row of dtype-coloured ops,
// the trace and policy tables. The URL keeps the inputs. No dtype rules here.
import { compute, exercise, lessonChrome, loadLibrary, readHash, refreshSolutions, showCommand, writeHash } from './kit.js';

const DEFAULTS = { precision: '16-mixed', hidden: [16, 16] };
const DTYPES = ['float16', 'bfloat16', 'float32'];
const POLICIES = ['lower_precision', 'fp32', 'promote'];
// How the page names the library's policies: its `promote` is the catch-all, not torch's list.
const LABELS = /** @type {Record<string, string>} */ ({ lower_precision: 'lower_precision_fp', fp32: 'fp32', promote: "not listed (runs in its inputs' dtype)" });
const EFFECT = /** @type {Record<string, string>} */ ({ lower_precision: 'inputs cast to the low dtype; the op runs there', fp32: 'inputs cast to float32; the op runs there', promote: 'no cast; type promotion over the inputs' });
// torch's other names for the same kernels.
const ALIAS = /** @type {Record<string, string>} */ ({ matmul: 'matmul (mm)', linear: 'linear (addmm)', cross_entropy: 'cross_entropy (log_softmax + nll_loss)' });
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const field = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

let { state } = readHash(DEFAULTS);
/** @type {any} */
let out = null;

function show() {
  field('precision').value = state.precision;
  field('hidden').value = state.hidden.join(',');
}

function read() {
  return { precision: field('precision').value, hidden: field('hidden').value.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number) };
}

function render() {
  const err = $('widget-error');
  try {
    if (!state.hidden.every(Number.isInteger)) throw new Error(`hidden: "${field('hidden').value}" is not a list of whole numbers (e.g. 16,16)`);
    out = compute('autocast', state);
  } catch (e) {
    err.textContent = e?.message ?? String(e);
    err.hidden = false;
    return;
  }
  err.hidden = true;
  writeHash(state);
  // The exercise asks for low_ops, so the summary leaves the counts out (the trace has them).
  const facts = [['requested', out.requested], ['effective', out.effective], ['autocast', out.autocast ?? 'off'], ['compute', out.compute], ['grad_scaler', out.grad_scaler], ['layers', out.layers.join(',')]];
  $('summary').innerHTML = facts.map(([k, v]) => `<dt>${k}</dt><dd data-cli="${k} ${v}">${v}</dd>`).join('') + (out.note ? `<dt>note</dt><dd>${out.note}</dd>` : '');
  $('policy-lists').textContent = POLICIES.map((p) => {
    const ops = out.policy.filter((/** @type {any} */ r) => r.policy === p).map((/** @type {any} */ r) => ALIAS[r.op] ?? r.op);
    return `${LABELS[p]}:\n    ${ops.join(', ')}\n    → ${EFFECT[p]}`;
  }).join('\n');
  $('trace-picture').innerHTML = out.trace.map((/** @type {any} */ e) => `<span class="op" data-dtype="${e.output}" title="${e.op}: ${e.inputs.join(', ')} → ${e.output}"><strong>${e.name}</strong> ${e.op}<br><small>→ ${e.output}</small></span>`).join(' → ');
  $('trace').innerHTML = '<tr><th>name</th><th>op</th><th>input dtypes</th><th>output dtype</th></tr>' +
    out.trace.map((/** @type {any} */ e) => `<tr data-cli="${e.name} ${e.op} ${e.inputs.join(',')} ${e.output}"><td>${e.name}</td><td>${e.op}</td><td>${e.inputs.join(', ')}</td><td>${e.output}</td></tr>`).join('');
  $('low-name').textContent = out.policy[1].from_float32;
  $('policy').innerHTML = '<tr><th>op</th><th>list</th><th>from float32 inputs</th><th>from low-dtype inputs</th></tr>' +
    out.policy.map((/** @type {any} */ r) => `<tr data-cli="${r.op} ${r.policy} ${r.from_float32} ${r.from_low}"><td>${ALIAS[r.op] ?? r.op}</td><td>${LABELS[r.policy]}</td><td>${r.from_float32}</td><td>${r.from_low}</td></tr>`).join('');
  worked();
  showCommand($('lesson-command'), 'autocast', state, out);
  refreshSolutions();
}

const PRECISIONS = ['32-true', '16-mixed', 'bf16-mixed', '16-true', 'bf16-true'];
/** @type {Map<string, any>} */
const cache = new Map();
/** The library's output for `input`, computed once per input (the exercises ask about models not shown). */
function outputFor(/** @type {{ precision: string, hidden: number[] }} */ input) {
  const key = JSON.stringify(input);
  if (!cache.has(key)) cache.set(key, compute('autocast', input));
  return cache.get(key);
}
/** The same precision with one more hidden layer of width 8 (one fewer when there are 8 already). */
function deeper() {
  return outputFor({ precision: state.precision, hidden: state.hidden.length < 8 ? [...state.hidden, 8] : state.hidden.slice(0, -1) });
}
/** The precision after the chosen one in the list (the loss exercise's). */
function otherPrecision() {
  return PRECISIONS[(PRECISIONS.indexOf(out.requested) + 1) % PRECISIONS.length];
}

function worked() {
  const t = out.trace;
  const fc1 = t[0];
  const relu = t.find((/** @type {any} */ e) => e.op === 'relu');
  const loss = t.at(-1);
  const items = [
    `${out.requested}: ${out.autocast ? `autocast to ${out.autocast}` : out.compute === 'float32' ? 'no autocast; everything is float32' : `no autocast; the model is cast to ${out.compute} (a *-true precision)`}; master weights ${out.autocast ? 'stay float32' : `are ${out.compute}`}; GradScaler ${out.grad_scaler ? 'on (f16 gradients need it, <a href="loss-scaling.html">lesson 7</a>)' : 'off'}.`,
    `${fc1.name} (${fc1.op}): inputs ${fc1.inputs.join(', ')} (x, W, b after any cast) → <strong>${fc1.output}</strong>.`,
  ];
  if (relu) items.push(`${relu.name} (relu, on no list): no cast; its input is ${relu.inputs.join(', ')}, so its output is <strong>${relu.output}</strong>.`);
  items.push(`${loss.name} (${loss.op}, fp32 list): the logits arrive as ${loss.inputs[0]}${loss.inputs[0] !== loss.output ? ` and are cast up to ${loss.output}` : ''}; the loss is computed in <strong>${loss.output}</strong>.`);
  $('worked-steps').innerHTML = items.map((s) => `<li>${s}</li>`).join('');
}

function wire() {
  for (const id of ['precision', 'hidden']) field(id).addEventListener('change', () => {
    state = read();
    render();
  });
  exercise($('ex-low-ops'), {
    id: 'low-ops',
    kind: 'number',
    prompt: 'With this precision and one more hidden layer of width 8 appended to yours (one fewer if you have 8), how many ops of the forward pass produce the low dtype (float16 or bfloat16)? (an integer; exact)',
    tolerance: 0,
    answer: () => deeper().low_ops,
    hint: 'Each hidden layer is a linear then a relu; the last layer is a linear without relu; then the loss. Which of those are on the fp32 list?',
    solution: () => {
      const d = deeper();
      return `${d.layers.length - 1} linears and ${d.layers.length - 2} relus ${d.compute === 'float32' ? 'all run in float32 here: <strong>0</strong>' : `run in ${d.compute}; only the loss is float32: <strong>${d.low_ops}</strong>`} (the library's trace of that model).`;
    },
  });
  exercise($('ex-loss-dtype'), {
    id: 'loss-dtype',
    kind: 'choice',
    prompt: 'Take the precision after yours in the menu (32-true → 16-mixed → bf16-mixed → 16-true → bf16-true → 32-true), without switching: in which dtype is the loss (cross_entropy) computed there?',
    options: DTYPES,
    answer: () => DTYPES.indexOf(outputFor({ precision: otherPrecision(), hidden: state.hidden }).trace.at(-1).output),
    hint: 'Losses are on the fp32 list. Does that depend on the precision?',
    solution: () => `cross_entropy is on the fp32 list (and quantplay casts the logits up in the *-true precisions too), so under ${otherPrecision()} as well: <strong>${outputFor({ precision: otherPrecision(), hidden: state.hidden }).trace.at(-1).output}</strong>.`,
  });
  exercise($('ex-softmax'), {
    id: 'softmax',
    kind: 'choice',
    prompt: 'Which autocast list is softmax on?',
    options: POLICIES.map((p) => LABELS[p]),
    answer: () => POLICIES.indexOf(out.policy.find((/** @type {any} */ r) => r.op === 'softmax').policy),
    hint: 'softmax exponentiates: exp(12) is already larger than f16\'s largest value 65504.',
    solution: () => `softmax is on the <strong>${out.policy.find((/** @type {any} */ r) => r.op === 'softmax').policy}</strong> list: it runs in float32 whatever its inputs.`,
  });
  lessonChrome('autocast', '#precision=16-mixed&hidden=16,16');
}

show();
wire();
loadLibrary().then(render);
