// What the page shows when WebGPU fails under a run and when the user asks for it back: the
// runner's onFallback and onGpuRetry hooks (runner.js moves the runs; this makes every indicator
// say where they are now: banner, Backend panel, status line, the WebGPU switch, the URL, the
// effective precision) and the "Retry WebGPU" button shown with the fallback banner.
// Not here: moving the runs (runner.js), opening the engine (main.js).

import { toHash } from './state.js';
import { renderBackend, renderPrecision } from './backend-panel.js';
import { setStatus, showBanner, showMessage } from './status.js';

/** The element of index.html with this `id` (index.html has every id the page asks for; the
 * sites that need a kind of element, an input or a canvas, cast to it).
 * @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @typedef {import('./types.js').App} App */

/**
 * Points every indicator at `backend` ('cpu' or 'webgpu') and redraws the precision note.
 * @param {App} app
 * @param {string} backend
 */
async function showBackend(app, backend) {
  app.active = backend;
  app.state.backend = backend;
  history.replaceState(null, '', toHash(app.state));
  /** @type {HTMLInputElement} */ ($('use-gpu')).checked = backend === 'webgpu';
  app.backendLabel = renderBackend($('backend-info'), app.info, backend);
  // a fallback or a retry has runs
  renderPrecision($('effective-precision'), JSON.parse(await /** @type {NonNullable<App['runner']['runs']>} */ (app.runner.runs).main.trainer.effective_precision_json()));
}

/**
 * The runner hooks for a fallback and a retry.
 * @param {App} app
 * @returns {Pick<import('./types.js').RunnerHooks, 'onFallback' | 'onGpuRetry'>}
 */
export function gpuHooks(app) {
  return {
    /** A device error moved both runs to the CPU (the matmul check then runs CPU-only). */
    async onFallback(text) {
      showBanner(text);
      $('retry-gpu').hidden = false;
      await showBackend(app, 'cpu');
      setStatus('ready', `Ready. Backend: ${app.backendLabel} (WebGPU failed; see the banner).`);
    },
    /** "Retry WebGPU" opened a new Playground: `opened` is its `{ info, active }`. */
    async onGpuRetry(opened) {
      app.info = opened.info;
      const back = opened.active === 'webgpu';
      $('retry-gpu').hidden = back;
      showBanner(back ? '' : `WebGPU could not be opened again (${opened.info.gpu_unavailable_reason || 'the new device failed'}); still on the CPU.`);
      await showBackend(app, back ? 'webgpu' : 'cpu');
      setStatus('ready', `Ready. Backend: ${app.backendLabel}.`);
    },
  };
}

/** Wires the "Retry WebGPU" button (hidden until a fallback shows it). @param {App} app */
export function wireRetry(app) {
  const button = /** @type {HTMLButtonElement} */ ($('retry-gpu'));
  button.addEventListener('click', async () => {
    button.disabled = true;
    setStatus('busy', 'Opening WebGPU again…');
    try {
      await app.runner.retryGpu();
    } catch (e) {
      showMessage(`Retry WebGPU failed: ${String(e?.message || e)}`);
      setStatus('ready', `Ready. Backend: ${app.backendLabel}.`);
    } finally {
      button.disabled = false;
    }
  });
}
