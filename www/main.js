// Boots the playground and wires the panels: starts the engine worker (it owns the wasm and
// the GPU device; engine.js), opens the backend the URL asks for, creates the training runner,
// and connects controls, buttons and views. The whole app state is one object (`app`) passed
// around; the URL hash is its settings part. Errors from the core are shown as readable
// messages; the page never goes blank. Not here: parsing the hash (state.js), stepping
// (runner.js), drawing (the *-panel.js views), any wasm call (engine-worker.js).

import { startEngine } from './engine.js';
import { jumpNote } from './divergence.js';
import { parseHash, toHash, trainerConfig } from './state.js';
import { bindControls, showState } from './controls.js';
import { renderBackend, renderPrecision } from './backend-panel.js';
import { runMatmul, renderMatmul, matmulEmpty } from './matmul-panel.js';
import { createRunner } from './runner.js';
import { pushBounded } from './history.js';
import { trainingViews } from './training-panel.js';
import { f16Panel } from './f16-panel.js';
import { quantViews } from './quant-panel.js';
import { debugViews } from './debug-panel.js';
import { renderTrace } from './trace-panel.js';
import { dataViews, GRID_RES } from './data-panel.js';
import { syncFromUrl } from './url-sync.js';
import { startGuide } from './guide.js';
import { noteRestart } from './restart-notice.js';
import { setStatus, showMessage, showBanner } from './status.js';
import { gpuHooks, wireRetry } from './gpu-notice.js';
import { isRunKey, refuseSettings } from './settings-refusal.js';
import { onQuantize } from './quantize-action.js';
import { bindModes } from './quant-modes.js';
import { createFullLog } from './full-log.js';

/** The element of index.html with this `id` (it has them all); a site needing a kind casts. @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @typedef {import('./types.js').App} App @typedef {import('./types.js').Run} Run */
const REFRESH_MS = 500;

/** @param {any} e a thrown value */
const errText = (e) => String(e?.message || e);

/** Opens a Playground (in the worker) for app.state.backend, or takes the one `opened` says,
 * and renders the Backend panel. @param {App} app @param {import('./types.js').Opened | null} [opened] */
async function openBackend(app, opened = null) {
  const { info, active } = opened ?? (await app.engine.request('open', { useGpu: app.state.backend === 'webgpu' }));
  app.info = info;
  app.active = active;
  const shown = app.state.backend === 'cpu-reference' ? 'cpu-reference' : active;
  app.backendLabel = renderBackend($('backend-info'), app.info, shown);
  /** @type {HTMLInputElement} */ ($('use-gpu')).checked = app.state.backend === 'webgpu';
  $('retry-gpu').hidden = true;
  if (app.state.backend === 'webgpu' && app.info.active_backend !== 'webgpu') {
    showBanner(`WebGPU is not available (${app.info.gpu_unavailable_reason}); running on the CPU.`);
  } else {
    showBanner('');
  }
}

/** Reads what the views need from both runs (queued after any running chunk) and draws it. @param {App} app */
async function refresh(app) {
  const r = app.runner;
  if (!r.runs) return;
  const step = r.runs.main.history.length;
  for (const which of /** @type {('fp32' | 'main')[]} */ (['fp32', 'main'])) {
    const evals = app.evals[which];
    if (evals.at(-1)?.step === step) continue;
    const e = await r.call(which, (t) => t.evaluate());
    if (e !== null && evals.at(-1)?.step !== step) pushBounded(evals, { step, ...JSON.parse(e) });
  }
  if (app.data?.d === 2) {
    const which = app.views.data.boundaryRun();
    const grid = await r.call(which, (t) => t.predict_grid(GRID_RES));
    if (grid) app.views.data.setGrid(grid, { which, run: r.runs[which].precision, step });
  }
  if (step > 0) {
    const g = await r.call('main', (t) => t.grad_magnitudes_json());
    if (g) app.views.f16.update(JSON.parse(g));
    const trace = await r.call('main', (t) => t.trace_json());
    if (trace) renderTrace(/** @type {HTMLTableElement} */ ($('trace-table')), JSON.parse(trace), r.runs.main.precision);
  }
  app.views.training.render(r, app.evals);
  app.lastRefresh = performance.now();
}

/** The Training panel's progress line. @param {App} app */
function progress(app) {
  const r = app.runner;
  const n = r.runs?.main.history.length ?? 0;
  $('train-progress').textContent = r.running ? `training… step ${n} (${r.chunk} steps per frame)` : `paused at step ${n}`;
}

/** The runner's hooks for `app`'s views. @param {App} app @returns {import('./types.js').RunnerHooks} */
function hooks(app) {
  return {
    async onReset() {
      const runs = /** @type {{ fp32: Run, main: Run }} */ (app.runner.runs); // reset() made them
      app.evals = { fp32: [], main: [] };
      $('divergence-note').hidden = true;
      delete $('divergence-note').dataset.cause;
      app.data = /** @type {import('./data-panel.js').Data} */ (JSON.parse(await runs.main.trainer.data_json()));
      app.views.data.setData(app.data);
      app.views.data.renderModel(app.state, app.data);
      const eff = /** @type {import('./backend-panel.js').EffectivePrecision} */ (JSON.parse(await runs.main.trainer.effective_precision_json()));
      renderPrecision($('effective-precision'), eff);
      // runs are labelled by what runs: bf16 on WebGPU runs as 32-true
      runs.main.label = eff.effective === eff.requested ? eff.requested : `${eff.requested} (runs as ${eff.effective} here)`;
      $('precision-name').textContent = runs.main.label;
      /** @type {HTMLButtonElement} */ ($('inject-overflow')).disabled = eff.effective !== '16-mixed';
      $('inject-overflow').title = eff.effective === '16-mixed' ? '' : 'only a 16-mixed run has a GradScaler to overflow';
      app.views.training.renderMemory(JSON.parse(await runs.main.trainer.memory_json()), runs.main.precision);
      app.views.f16.update(null);
      renderTrace(/** @type {HTMLTableElement} */ ($('trace-table')), [], runs.main.precision);
      app.views.quant.clear('Train a few hundred steps, then quantize the 32-true model.');
      app.views.debug.clear();
      await app.fullLog?.restart(); // new runs, new log
    },
    onRecords() {
      const { fp32, main } = /** @type {{ fp32: Run, main: Run }} */ (app.runner.runs); // a step ran on them
      const note = jumpNote(main.label ?? main.precision, main.watch, fp32.watch);
      $('divergence-note').hidden = !note;
      $('divergence-note').textContent = note;
      if (main.watch.jump) $('divergence-note').dataset.cause = main.watch.jump.cause;
      app.views.training.render(app.runner, app.evals);
      progress(app);
    },
    async onChunk() {
      if (performance.now() - (app.lastRefresh || 0) > REFRESH_MS) await refresh(app);
    },
    onRunning(on) {
      $('train-toggle').textContent = on ? 'Pause' : 'Start';
      $('train-toggle').setAttribute('aria-pressed', String(on));
      /** @type {HTMLButtonElement} */ ($('train-step')).disabled = on;
      progress(app);
      if (!on) refresh(app).catch((e) => showMessage(`Could not read the run: ${errText(e)}`));
    },
    ...gpuHooks(app),
    onError(e) {
      showMessage(`Training stopped: ${errText(e)}`);
      app.runError = true;
    },
  };
}

/**
 * Recreates both runs from the settings; reports a bad config instead of throwing. `keys` (the
 * settings that changed) go to the restart notice once the new runs exist. When the runner kept
 * the old runs (the new settings failed their check, e.g. a tensor over the adapter's limit), the
 * settings, the URL and the controls go back to what those runs were made with.
 * @param {App} app @param {string[] | null} [keys]
 */
async function resetRuns(app, keys = null) {
  const step = app.runner.runs?.main.history.length ?? 0;
  try {
    if (app.runError) showMessage('');
    app.runError = false;
    await app.runner.reset();
    app.applied = { ...app.state };
    if (keys) noteRestart(keys, step);
    await refresh(app);
    progress(app);
  } catch (e) {
    if (e?.keptRuns && app.applied) {
      refuseSettings(app, e);
      return;
    }
    showMessage(`Could not start a run with these settings: ${errText(e)}`);
    app.runError = true;
  }
}

/** The matmul check's button: runs it and draws the verdict. @param {App} app @param {Event} [event] */
async function onMatmul(app, event) {
  event?.preventDefault();
  const button = /** @type {HTMLButtonElement} */ ($('run-matmul'));
  button.disabled = true;
  try {
    const result = await runMatmul(app.engine, app.state, app.active === 'webgpu', (p) => {
      $('matmul-result').textContent = `Running A·B on ${p.backend === 'cpu' ? 'the CPU' : 'WebGPU'}… ${Math.round(100 * p.done)} %`;
    });
    renderMatmul($('matmul-result'), /** @type {HTMLCanvasElement} */ ($('diff-heatmap')), result);
  } catch (e) {
    showMessage(`Matmul failed: ${errText(e)}`);
  } finally {
    button.disabled = false;
  }
}

/** Wires the controls and buttons to `app`. @param {App} app */
function wire(app) {
  bindControls(document, app, (key) => {
    if (key === 'full_log') app.fullLog?.sync();
    if (isRunKey(key)) resetRuns(app, [key]);
  });
  $('matmul-form').addEventListener('submit', (e) => onMatmul(app, e));
  $('train-toggle').addEventListener('click', () => (app.runner.running ? app.runner.pause() : app.runner.start()));
  $('train-step').addEventListener('click', async () => {
    try {
      await app.runner.step(1);
      await refresh(app);
    } catch (e) {
      showMessage(`Step failed: ${errText(e)}`);
    }
  });
  $('train-reset').addEventListener('click', () => resetRuns(app));
  $('inject-overflow').addEventListener('click', async () => {
    try {
      await app.runner.call('main', (t) => t.inject_overflow());
      if (!app.runner.running) {
        await app.runner.step(1);
        await refresh(app);
      }
    } catch (e) {
      showMessage(`Inject overflow failed: ${errText(e)}`);
    }
  });
  $('run-quant').addEventListener('click', () => onQuantize(app));
  $('use-gpu').addEventListener('change', (e) => {
    app.state.backend = /** @type {HTMLInputElement} */ (e.target).checked ? 'webgpu' : 'cpu';
    history.pushState(null, '', toHash(app.state));
    switchBackend(app);
  });
  syncFromUrl(app, (keys, problems) => {
    if (problems.length) showMessage(`Some URL settings were ignored and defaults used: ${problems.join('; ')}.`);
    if (keys.includes('full_log')) app.fullLog?.sync();
    const restart = keys.filter(isRunKey);
    if (keys.includes('backend')) {
      switchBackend(app, restart);
    } else if (restart.length) resetRuns(app, restart);
  });
  bindModes(app);
  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => Object.values(app.views).forEach((v) => v.redraw?.()), 150);
  });
}

/**
 * Reopens the backend app.state names and restarts both runs on it. The worker checks the new
 * runs' plan on the new Playground before it lets the old one and its runs go (inside the old
 * runner's queue, so no chunk is in flight): a ResourceLimitError there keeps the old backend,
 * runs and loop, and puts the settings back (settings-refusal.js).
 * @param {App} app @param {string[] | null} [restart] the run settings that changed with it, for the notice
 */
async function switchBackend(app, restart = null) {
  setStatus('busy', 'Switching backend…');
  const old = app.runner;
  const step = old.runs?.main.history.length ?? 0;
  try {
    const useGpu = app.state.backend === 'webgpu';
    const on = app.state.backend === 'cpu-reference' ? 'cpu-reference' : useGpu ? 'webgpu' : 'cpu';
    const checks = old.runs && app.applied ? ['32-true', app.state.precision].map((p) => trainerConfig(app.state, p, on)) : [];
    let opened;
    try {
      opened = await old.exclusive(async () => {
        const o = await app.engine.request('open', { useGpu, checks });
        Object.assign(old, { running: false, generation: old.generation + 1 }); // queued chunks bail
        return o;
      });
    } catch (e) {
      if (e?.name !== 'ResourceLimitError' || !checks.length) throw e;
      refuseSettings(app, e);
      setStatus('ready', `Ready. Backend: ${app.backendLabel}.`);
      return;
    }
    if (restart) noteRestart(restart, step);
    await old.dispose();
    await openBackend(app, opened);
    app.runner = createRunner(app, hooks(app));
    await resetRuns(app);
    setStatus('ready', `Ready. Backend: ${app.backendLabel}.`);
  } catch (err) {
    setStatus('error', `Could not switch the backend: ${errText(err)}`);
  }
}

async function main() {
  const parsed = parseHash(location.hash);
  const app = /** @type {App} */ (/** @type {unknown} */ ({ state: parsed.state, evals: { fp32: [], main: [] } })); // the rest is set below
  if (parsed.problems.length) {
    showMessage(`Some URL settings were ignored and defaults used: ${parsed.problems.join('; ')}.`);
  }
  history.replaceState(null, '', toHash(app.state));
  showState(document, app.state);
  app.views = { training: trainingViews(), f16: f16Panel(), quant: quantViews(), debug: debugViews((extra) => onQuantize(app, extra)), data: dataViews(() => app.runner && refresh(app)) };
  matmulEmpty(/** @type {HTMLCanvasElement} */ ($('diff-heatmap')));
  app.fullLog = createFullLog(app);
  try {
    app.engine = startEngine();
    await openBackend(app);
    app.runner = createRunner(app, hooks(app));
  } catch (e) {
    setStatus('error', `Could not start: ${errText(e)}`);
    return;
  }
  // A handle for the console and the e2e tests (they assert through the DOM where they can).
  /** @type {Window & { quantplay?: object }} */ (window).quantplay = {
    app,
    get engine() { return app.engine; },
    get info() { return app.info; },
    /** A real device loss: GPUDevice.destroy() on the worker's devices; resolves to how many. */
    destroyGpu: () => app.engine.request('destroyDevices'),
    /** Reads and draws what the views need now (as after a chunk); tests call it. */
    refresh: () => refresh(app),
  };
  wire(app);
  wireRetry(app);
  startGuide();
  await resetRuns(app);
  setStatus('ready', `Ready. Backend: ${app.backendLabel}.`);
  await onMatmul(app);
}

main();
