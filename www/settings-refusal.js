// Settings the engine refused (a ResourceLimitError from Trainer.check: a tensor over the
// adapter's limits, or the host budget) while the runs were kept: puts the refused settings
// back in app.state, the URL and the controls, marks each control "not applied" and shows the
// named error. Used by a reset (runner.js) and by a backend switch (main.js), which both check
// the new settings before they let the old runs go. Not here: the check itself (the worker).

import { toHash } from './state.js';
import { showState } from './controls.js';
import { showMessage } from './status.js';

/** Settings that only the matmul check or Quantize read: they never restart the runs. */
export const MATMUL_KEYS = ['m', 'k', 'n'];
export const QUANT_KEYS = ['qconfig', 'observer', 'granularity', 'reduce_range', 'calib', 'fuse', 'qmode', 'qat_steps', 'qat_lr'];

/** Settings of the page itself (full-log.js): they never restart the runs either. */
export const PAGE_KEYS = ['full_log'];

/** True for a setting the runs are made with (a change restarts them). */
export const isRunKey = (/** @type {string} */ k) => !MATMUL_KEYS.includes(k) && !QUANT_KEYS.includes(k) && !PAGE_KEYS.includes(k);

/**
 * Undoes the run settings that differ from `app.applied` (the last settings the runs were made
 * with) after `err` refused them; the runs are untouched. Returns the refused keys.
 * @param {{ state: import('./types.js').State, applied?: import('./types.js').State }} app
 * @param {unknown} err
 * @returns {string[]}
 */
export function refuseSettings(app, err) {
  const applied = /** @type {import('./types.js').State} */ (app.applied); // both callers checked it
  const refused = Object.keys(applied).filter((k) => isRunKey(k) && app.state[k] !== applied[k]);
  for (const k of refused) app.state[k] = applied[k];
  history.replaceState(null, '', toHash(app.state));
  showState(document, app.state);
  /** @type {HTMLInputElement} */ (document.getElementById('use-gpu')).checked = app.state.backend === 'webgpu';
  for (const key of refused) {
    const el = key === 'backend' ? document.getElementById('use-gpu') : document.querySelector(`[data-key="${key}"]`);
    el?.setAttribute('aria-invalid', 'true');
    const note = el?.closest('label')?.querySelector('.bad-value');
    if (note) note.textContent = 'not applied: see the message above';
  }
  showMessage(`These settings were not applied (${refused.join(', ')}); the runs keep the previous ones: ${String(/** @type {any} */ (err)?.message || err)}`);
  return refused;
}
