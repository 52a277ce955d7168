// The Quantize panel's mode switch (static PTQ / dynamic / QAT fine-tune, state key `qmode`,
// kept in location.hash like every setting): shows only the controls the mode reads (each
// <label data-qmode="…"> lists the modes it belongs to; the debugger block is static only), and says in words what a result of
// each mode did. The select itself is bound by controls.js; the run is Trainer.quantize with
// `mode` (state.js quantizeOptions, crate/src/app/page_qmodes.rs). Not here: drawing the report
// (quant-panel.js).

/** @param {unknown} x */
const num = (x) => (typeof x === 'number' ? String(+x.toPrecision(4)) : String(x));
/** @param {string} name */
const on = (name) => (name === 'webgpu' ? 'WebGPU' : name === 'cpu-reference' ? 'the CPU reference' : 'the CPU');

/**
 * Shows the controls of `mode` and hides the others'; marks the panel with the mode.
 * @param {string} mode
 * @param {Document} [root]
 */
export function showMode(mode, root = document) {
  // The controls, and the numeric debugger (static PTQ only: it re-runs calibration per layer).
  for (const label of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll('#quant-panel [data-qmode]'))) {
    label.hidden = !/** @type {string} */ (label.dataset.qmode).split(' ').includes(mode);
  }
  root.getElementById?.('quant-panel')?.setAttribute('data-mode', mode);
}

/** Keeps the controls in step with `app.state.qmode`: on a change of the select and of the URL.
 * @param {{ state: import('./types.js').State }} app */
export function bindModes(app) {
  const sync = () => showMode(app.state.qmode);
  // After controls.js and url-sync.js have written app.state (their listeners may run after ours).
  const later = () => setTimeout(sync, 0);
  document.querySelector('[data-key="qmode"]')?.addEventListener('change', later);
  window.addEventListener('popstate', later);
  window.addEventListener('hashchange', later);
  sync();
}

/** The panel's "busy" line for a run of `state`'s mode. @param {import('./types.js').State} state */
export function busyText(state) {
  if (state.qmode === 'dynamic') return 'Quantizing dynamically (weights now, activations per batch; no calibration)…';
  if (state.qmode === 'qat') return `QAT: fine-tuning ${state.qat_steps} step${state.qat_steps === 1 ? '' : 's'} with fake quantization, then converting…`;
  return `Quantizing (calibrating on ${state.calib} sample${state.calib === 1 ? '' : 's'})…`;
}

/**
 * What a dynamic or QAT result did and where it ran, in words; `null` for a static result.
 * @param {import('./types.js').QuantResult} r
 * @returns {string | null}
 */
export function modeText(r) {
  const p = r.placement || {};
  const why = r.fallback ? ` (moved to the CPU: ${r.fallback})` : '';
  if (r.mode === 'dynamic') {
    const inputs = r.report.layers.map((l) => `${l.name} ${num(l.input_scale)}/${l.input_zero_point}`).join(', ');
    return `Dynamic quantization (quantize_dynamic, default_dynamic_qconfig): ${r.report.layers.length} Linear layers got int8 weights; no calibration, each layer's input is quantized per batch at run time (on the test split: scale/zero point ${inputs}). The float and dynamic evaluation ran on ${on(p.int8_forward)}${why}.`;
  }
  if (r.mode === 'qat') {
    const s = /** @type {{ loss: number | null }[]} */ (r.report.steps); // a QAT report has its steps
    const first = s[0];
    const last = s[s.length - 1];
    return `QAT: ${s.length} SGD step${s.length === 1 ? '' : 's'} from the 32-true run's current weights on its training split (loss ${num(first?.loss)} → ${num(last?.loss)}), then convert. Training ran on ${on(p.training)}${why} (observers and the SGD update on the CPU); the int8 model's input qparams: scale ${num(r.report.input?.scale)}, zero point ${r.report.input?.zero_point}. Accuracy compares with the float model before fine-tuning.`;
  }
  return null;
}
