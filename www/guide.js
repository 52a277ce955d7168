// The "Start here" bar: a guided first run (train both runs, inject an overflow, quantize) in a
// strip that stays at the top of the window, with its own Start/Pause button, so Start is in
// view at any scroll position. It follows the page through the DOM only: its button presses the
// Training panel's #train-toggle and mirrors it, and the steps advance from what the panels show
// (#train-summary's data-steps and data-skipped, #quant-result's data-done).
// Not here: training or quantizing (main.js, runner.js); it never calls the wasm.

/** The element of index.html with this `id` (index.html has every id the page asks for; the
 * sites that need a kind of element, an input or a canvas, cast to it).
 * @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** What the panels show so far (readProgress). @typedef {{ steps: number, skipped: number, noScaler: boolean, quantized: boolean }} Progress */

/**
 * The guided steps, in order: what to do, the panel that shows it, and when it is done.
 * @type {{ id: string, panel: string, text: string, done: (s: Progress) => boolean }[]}
 */
const STEPS = [
  {
    id: 'train',
    panel: 'training-panel',
    text: 'Start here: press Start. A 32-true run and a 16-mixed run train side by side from the same seed; watch the loss fall in 4 · Training.',
    done: (s) => s.steps > 0,
  },
  {
    id: 'overflow',
    panel: 'training-panel',
    text: 'Next, press Inject overflow: that 16-mixed step is skipped and its loss scale halves (a red line on the scale chart).',
    done: (s) => s.skipped > 0 || s.noScaler,
  },
  {
    id: 'quantize',
    panel: 'quant-panel',
    text: 'Then train a few hundred steps, pause, and press Quantize in 6 · Quantize: the 32-true model in int8, float vs int8 accuracy.',
    done: (s) => s.quantized,
  },
];
const DONE_TEXT = 'Done. Try another dataset, precision or observer: the URL keeps every setting, so a link shares the run.';

/** @param {Node | null} el @param {MutationCallback} fn */
function observe(el, fn) {
  if (el) new MutationObserver(fn).observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
}

/** @returns {Progress} */
function readProgress() {
  const sum = $('train-summary')?.dataset || {};
  return {
    steps: Number(sum.steps) || 0,
    skipped: Number(sum.skipped) || 0,
    noScaler: Boolean(/** @type {HTMLButtonElement} */ ($('inject-overflow'))?.disabled),
    quantized: $('quant-result')?.dataset.done === 'true',
  };
}

/**
 * Starts the guide in #guide (index.html): wires its Start/Pause and "show me" buttons and keeps
 * its step list and hint in step with the page. Returns nothing; safe to call once at boot.
 */
export function startGuide() {
  const root = $('guide');
  if (!root) return;
  const button = /** @type {HTMLButtonElement} */ ($('guide-start'));
  const toggle = /** @type {HTMLButtonElement} */ ($('train-toggle'));
  const hint = $('guide-hint');
  let reached = 0; // the first step not yet done; it never moves back (a reset keeps the tour)

  function mirror() {
    button.textContent = toggle.textContent;
    button.setAttribute('aria-pressed', toggle.getAttribute('aria-pressed') || 'false');
    button.disabled = toggle.disabled || $('status')?.dataset.state !== 'ready';
  }

  function update() {
    const p = readProgress();
    while (reached < STEPS.length && STEPS[reached].done(p)) reached++;
    const step = STEPS[reached];
    hint.textContent = step ? step.text : DONE_TEXT;
    root.dataset.step = step ? step.id : 'done';
    for (const li of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll('[data-guide-step]'))) {
      const i = STEPS.findIndex((s) => s.id === li.dataset.guideStep);
      li.classList.toggle('done', i < reached);
      li.classList.toggle('current', i === reached);
      if (i === reached) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
    }
    $('guide-show').hidden = !step;
  }

  button.addEventListener('click', () => toggle.click());
  $('guide-show').addEventListener('click', () => {
    const step = STEPS[reached];
    if (step) $(step.panel)?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  });
  observe(toggle, mirror);
  observe($('status'), mirror);
  for (const id of ['train-summary', 'quant-result', 'inject-overflow']) observe($(id), update);
  mirror();
  update();
}
