// The Quantize button's action: quantizes the 32-true run (Trainer.quantize in the worker, on
// the runner's queue) and draws the result; when WebGPU fails under it, the runs move to the CPU
// (runner.js) and the result is computed there, with a note saying so. Not here: drawing
// (quant-panel.js), the options (state.js quantizeOptions).

import { quantizeOptions } from './state.js';
import { busyText } from './quant-modes.js';

/** Runs Quantize for `app` (its runner, state and quant view); never throws. */
export async function onQuantize(app) {
  const button = document.getElementById('run-quant');
  const errText = (e) => String(e?.message || e);
  button.disabled = true;
  app.views.quant.clear(busyText(app.state));
  try {
    const quantize = () => app.runner.call('fp32', (t) => t.quantize(quantizeOptions(app.state, app.runner.backend)));
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
  } catch (e) {
    app.views.quant.clear(`Quantize failed: ${errText(e)}`);
  } finally {
    button.disabled = false;
  }
}
