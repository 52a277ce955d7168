// The Training panel's restart notice: a wasm Trainer takes its settings once, at creation (it
// has no setters for lr or the GradScaler), so changing a Data, Model or Training setting
// recreates both runs from step 0. index.html says so above the controls, before it happens;
// this module says so when it happens: which settings changed, at which step.
// Not here: deciding which keys restart the runs (main.js) or restarting them (runner.js).

/** Control labels for the notice, by state key (the key itself when missing). */
/** @type {{ [key: string]: string }} */
const LABELS = {
  dataset: 'dataset', noise: 'noise', ratio: 'train ratio', samples: 'samples', seed: 'seed',
  hidden: 'hidden layer widths', precision: 'precision', optimizer: 'optimizer', lr: 'learning rate',
  batch: 'batch', init_scale: 'init scale', growth_factor: 'growth factor',
  growth_interval: 'growth interval', backoff_factor: 'backoff factor', backend: 'backend',
};

/**
 * Shows "Settings changed at step N (learning rate): both runs restarted from step 0." in
 * #restart-notice ("at step N" left out at step 0); call it just before the runs are recreated.
 * @param {string[]} keys the state keys that changed
 * @param {number} step the step the runs had reached (both runs step together)
 * @param {Document} [doc]
 */
export function noteRestart(keys, step, doc = document) {
  const el = doc.getElementById('restart-notice');
  if (!el) return;
  const what = keys.map((k) => LABELS[k] || k).join(', ');
  el.textContent = `Settings changed${step > 0 ? ` at step ${step}` : ''} (${what}): both runs restarted from step 0.`;
  el.dataset.step = String(step);
  el.dataset.keys = keys.join(',');
  el.hidden = false;
}
