// Lesson 7's widget: a GradScaler simulator. A schedule of ok / inf / -inf / nan steps and the
// scaler's four settings go to the library's `lesson('loss-scaling', …)`
// (crate/src/app/lessons/loss_scaling.rs, the real amp::GradScaler that `quantplay scaler`
// replays); the page draws the scale on a log2 axis with the skipped steps as a rug, and the
// timeline table. The URL keeps the inputs. No scaler arithmetic here.
import { lineChart } from '../www/chart.js';
import { compute, exercise, fmt, lessonChrome, loadLibrary, readHash, refreshSolutions, showCommand, writeHash } from './kit.js';

const DEFAULTS = { schedule: 'ok,ok,inf,ok,ok,ok,nan,ok,ok,ok,ok,ok', init_scale: 65536, growth_factor: 2, backoff_factor: 0.5, growth_interval: 3 };
const PROBE = 'ok,ok,ok,inf,ok,inf,ok,ok,inf,ok,ok,ok,inf,ok,ok,ok,ok,inf,ok,ok';
const PRESETS = /** @type {Record<string, typeof DEFAULTS>} */ ({
  demo: { ...DEFAULTS },
  default: { schedule: 'ok,ok,inf,ok,nan,-inf,ok,ok,ok', init_scale: 65536, growth_factor: 2, backoff_factor: 0.5, growth_interval: 2000 },
  'below-one': { schedule: 'inf,inf,inf,nan,ok', init_scale: 2, growth_factor: 2, backoff_factor: 0.5, growth_interval: 2000 },
  'interval-1': { schedule: PROBE, init_scale: 65536, growth_factor: 2, backoff_factor: 0.5, growth_interval: 1 },
  'interval-4': { schedule: PROBE, init_scale: 65536, growth_factor: 2, backoff_factor: 0.5, growth_interval: 4 },
});
const CYCLE = ['ok', 'inf', '-inf', 'nan'];
const NUMBERS = ['init_scale', 'growth_factor', 'backoff_factor', 'growth_interval'];
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const field = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

let { state } = readHash(DEFAULTS);
/** @type {any} */
let out = null;
const chart = lineChart(/** @type {HTMLCanvasElement} */ ($('scale-chart')), { log2: true, xLabel: 'step' });

function show() {
  field('schedule').value = state.schedule;
  for (const k of NUMBERS) field(k).value = String(/** @type {any} */ (state)[k]);
}

function read() {
  const s = /** @type {any} */ ({ schedule: field('schedule').value.replace(/\s+/g, '') });
  for (const k of NUMBERS) s[k] = field(k).value.trim() === '' ? NaN : Number(field(k).value);
  return /** @type {typeof DEFAULTS} */ (s);
}

function drawStrip() {
  const events = state.schedule.split(',').filter((e) => e !== '');
  $('strip').innerHTML = events.map((e, i) => `<button type="button" data-i="${i}" data-event="${e}" title="step ${i + 1}">${e}</button>`).join('');
}

function render() {
  const err = $('widget-error');
  const bad = NUMBERS.find((k) => !Number.isFinite(/** @type {any} */ (state)[k]));
  try {
    if (bad) throw new Error(`${bad}: "${field(bad).value}" is not a number`);
    out = compute('loss-scaling', state);
  } catch (e) {
    err.textContent = e?.message ?? String(e);
    err.hidden = false;
    return;
  }
  err.hidden = true;
  writeHash(state);
  drawStrip();
  const steps = out.steps;
  chart.update({
    series: [
      { name: 'scale after update()', color: '#2f5fd0', stepped: true, points: [[0, steps[0].scale_used], ...steps.map((/** @type {any} */ r) => /** @type {[number, number]} */ ([r.step, r.scale_after]))] },
    ],
    rug: { items: steps.filter((/** @type {any} */ r) => r.skipped).map((/** @type {any} */ r) => /** @type {[number, number]} */ ([r.step, 1])), color: '#c0392b', label: 'skipped step' },
    // The "scale 1" line only where the scale comes near it (it would squash the chart otherwise).
    hlines: out.min_scale < 4 ? [{ y: 1, color: '#888', label: 'scale 1' }] : [],
  });
  const facts = [['skipped', out.skipped], ['growths', out.growths], ['final_scale', out.final_scale], ['min_scale', out.min_scale]];
  $('summary').innerHTML = facts.map(([k, v]) => `<dt>${k}</dt><dd data-cli="${k} ${fmt(v)}">${fmt(v)}</dd>`).join('') +
    `<dt>below 1 after step</dt><dd data-cli="below_one_after_step ${out.first_below_one ?? 'none'}">${out.first_below_one ?? 'never'}</dd>`;
  const warning = out.steps.find((/** @type {any} */ r) => r.warning)?.warning;
  $('scaler-warning').hidden = !warning;
  $('scaler-warning').textContent = warning ? `GradScaler warns: ${warning}` : '';
  if (warning) $('scaler-warning').dataset.cli = `warning ${warning}`;
  else delete $('scaler-warning').dataset.cli;
  $('timeline').innerHTML = '<tr><th>step</th><th>event</th><th>scale used</th><th>optimizer</th><th>scale after</th><th>growth tracker</th></tr>' +
    steps.map((/** @type {any} */ r) => {
      const line = `${r.step} ${r.event} ${fmt(r.scale_used)} ${r.skipped ? 'skipped' : 'stepped'} ${fmt(r.scale_after)} ${r.growth_tracker}`;
      return `<tr class="${r.skipped ? 'skipped' : ''}" data-cli="${line}"><td>${r.step}</td><td>${r.event}</td><td>${fmt(r.scale_used)}</td><td>${r.skipped ? 'skipped' : 'stepped'}</td><td>${fmt(r.scale_after)}</td><td>${r.growth_tracker}</td></tr>`;
    }).join('');
  worked();
  showCommand($('lesson-command'), 'loss-scaling', state, out);
  refreshSolutions();
}

function worked() {
  const first = out.steps[0];
  const skip = out.steps.find((/** @type {any} */ r) => r.skipped);
  const grow = out.steps.find((/** @type {any} */ r) => r.scale_after > r.scale_used);
  const items = [`The run starts at S = init_scale = ${fmt(first.scale_used)} with the growth tracker at 0.`];
  if (skip) items.push(`Step ${skip.step} (${skip.event}): the unscaled gradients hold a non-finite value, so found_inf = 1 and the optimizer step is skipped; S = ${fmt(skip.scale_used)} · ${fmt(state.backoff_factor)} = <strong>${fmt(skip.scale_after)}</strong>, tracker = 0.`);
  else items.push('No step overflows, so no step is skipped and the scale never backs off.');
  if (grow) items.push(`Step ${grow.step}: the tracker reaches growth_interval = ${state.growth_interval} finite steps in a row, so S = ${fmt(grow.scale_used)} · ${fmt(state.growth_factor)} = <strong>${fmt(grow.scale_after)}</strong> and the tracker restarts at 0.`);
  else items.push(`The scale never grows: there are never growth_interval = ${state.growth_interval} finite steps in a row.`);
  items.push(`The same two rules apply at every later step; the exercises below ask where they lead (the summary under the chart has the totals).`);
  $('worked-steps').innerHTML = items.map((s) => `<li>${s}</li>`).join('');
}

function update(/** @type {typeof DEFAULTS} */ next) {
  state = next;
  show();
  render();
}

function wire() {
  for (const id of ['schedule', ...NUMBERS]) field(id).addEventListener('change', () => update(read()));
  $('presets').addEventListener('click', (e) => {
    const t = /** @type {HTMLElement} */ (e.target);
    if (t.dataset.preset) update({ ...PRESETS[t.dataset.preset] });
  });
  $('add-step').addEventListener('click', () => update({ ...state, schedule: state.schedule ? `${state.schedule},ok` : 'ok' }));
  $('strip').addEventListener('click', (e) => {
    const t = /** @type {HTMLElement} */ (e.target);
    if (t.dataset.i === undefined) return;
    const events = state.schedule.split(',').filter((x) => x !== '');
    const i = Number(t.dataset.i);
    events[i] = CYCLE[(CYCLE.indexOf(events[i]) + 1) % CYCLE.length];
    update({ ...state, schedule: events.join(',') });
  });
  exercise($('ex-final-scale'), {
    id: 'final-scale',
    kind: 'number',
    prompt: 'Without opening the timeline: what is the scale after the last step of the schedule above? (exact)',
    tolerance: 0,
    answer: () => out.final_scale,
    hint: 'Each inf/-inf/nan step multiplies S by backoff_factor; each run of growth_interval finite steps in a row multiplies it by growth_factor.',
    solution: () => `Start at ${fmt(out.steps[0].scale_used)}; ${out.skipped} backoff(s) by ${fmt(state.backoff_factor)} and ${out.growths} growth(s) by ${fmt(state.growth_factor)} give <strong>${fmt(out.final_scale)}</strong>.`,
  });
  exercise($('ex-skipped'), {
    id: 'skipped',
    kind: 'number',
    prompt: 'How many optimizer steps does the schedule skip? (an integer; exact)',
    tolerance: 0,
    answer: () => out.skipped,
    hint: 'A step is skipped exactly when its gradients hold an inf, -inf or NaN after unscaling.',
    solution: () => `The steps ${out.steps.filter((/** @type {any} */ r) => r.skipped).map((/** @type {any} */ r) => r.step).join(', ') || '(none)'} hold a non-finite gradient: <strong>${out.skipped}</strong>.`,
  });
  exercise($('ex-below-one'), {
    id: 'below-one',
    kind: 'choice',
    prompt: 'With these settings, does the scale fall below 1 at some step?',
    options: ['Yes', 'No'],
    answer: () => (out.first_below_one != null ? 0 : 1),
    hint: 'Follow the smallest scale: min_scale is the smallest value S takes.',
    solution: () => (out.first_below_one != null ? `<strong>Yes</strong>: after step ${out.first_below_one} (min_scale ${fmt(out.min_scale)}).` : `<strong>No</strong>: the smallest scale is ${fmt(out.min_scale)}.`),
  });
  lessonChrome('loss-scaling', '#precision=16-mixed&init_scale=65536&growth_factor=2&growth_interval=50&backoff_factor=0.5');
}

show();
wire();
loadLibrary().then(render);
