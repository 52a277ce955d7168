// The Quantize button's action: quantizes the 32-true run (Trainer.quantize in the worker, on
// the runner's queue) and draws the result; when WebGPU fails under it, the runs move to the CPU
// (runner.js) and the result is computed there, with a note saying so. `extra` adds the numeric
// debugger's options (`sweep`, `debug`, `keep_float`; debug-panel.js draws their part). Not
// here: drawing (quant-panel.js, debug-panel.js), the options (state.js quantizeOptions).

import { quantizeOptions } from './state.js';
import { busyText } from './quant-modes.js';

/**
 * Runs Quantize for `app` (its runner, state and quant views) with `extra` options; never throws.
 * @param {import('./types.js').App} app
 * @param {{ sweep?: boolean, debug?: boolean, keep_float?: string[] }} [extra]
 */
export async function onQuantize(app, extra = {}) {
  const button = /** @type {HTMLButtonElement} */ (document.getElementById('run-quant'));
  /** @param {any} e */
  const errText = (e) => String(e?.message || e);
  button.disabled = true;
  const debugging = Object.keys(extra).length > 0;
  if (debugging) app.views.debug.busy(extra.sweep ? 'Sweeping: one PTQ per layer…' : 'Re-converting with those layers float…');
  app.views.quant.clear(busyText(app.state));
  try {
    const options = () => JSON.stringify({ ...JSON.parse(quantizeOptions(app.state, app.runner.backend)), ...extra });
    const quantize = () => app.runner.call('fp32', (t) => t.quantize(options()));
    let json = await quantize();
    let note = '';
    if (json === null && app.runner.backend === 'cpu') {
      // WebGPU failed during Quantize and the runs moved to the CPU: quantize there instead.
      json = await quantize();
      note = 'WebGPU failed during Quantize; this result was computed again on the CPU.';
    }
    if (json === null) throw new Error('no result (WebGPU failed and the CPU run failed too)');
    const result = JSON.parse(json);
    if (result.fallback && app.runner.backend === 'webgpu') {
      // The job itself moved to the CPU (the wasm's backend rule): the device failed under it.
      await app.runner.fallBackNow(result.fallback);
      note = `WebGPU failed during Quantize (${result.fallback}); this result was computed on the CPU.`;
    }
    app.views.quant.render(result, note);
    app.views.debug.render(result);
  } catch (e) {
    app.views.quant.clear(`Quantize failed: ${errText(e)}`);
    if (debugging) app.views.debug.busy(`Failed: ${errText(e)}`);
  } finally {
    button.disabled = false;
    app.views.debug.idle();
  }
}
