// The Data and Model panels' views: the scatter plot with the decision-boundary heatmap (2-D
// sets), labelled with the run it shows and a picker for it (the right-hand run, 16-mixed by
// default, or the 32-true run that Quantize uses); for the digits, one sample image per class;
// the class counts of both splits; and the model's layer sizes and parameter count. Draws from
// Trainer.data_json / predict_grid; holds only the scatter chart and the last data and grid.
// Not here: fetching the grid (main.js asks the run `boundaryRun()` names).
import { scatterPlot } from './scatter.js';
import { drawDigits, renderCounts } from './digits-view.js';

/** The element of index.html with this `id` (index.html has every id the page asks for; the
 * sites that need a kind of element, an input or a canvas, cast to it).
 * @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** The boundary grid's side: predict_grid(GRID_RES) returns GRID_RES² probabilities. */
export const GRID_RES = 48;

/**
 * Trainer.data_json (crate/src/web/trainer_data.rs), the fields the page reads.
 * @typedef {{ d: number, classes: number, train_len: number, test_len: number,
 *   extent: { lo: number[], hi: number[] }, train: { x: number[], y: number[] },
 *   test: { x: number[], y: number[] }, counts?: { train: number[], test: number[] },
 *   examples?: { x: number[], y: number[] } }} Data
 */

/** @param {number} n @param {string} word */
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Per-class counts of `labels` (data_json's `counts` before it had them).
 * @param {number[] | undefined} labels @param {number} classes @returns {number[]} */
function countLabels(labels, classes) {
  const out = new Array(classes).fill(0);
  for (const l of labels || []) out[l]++;
  return out;
}

/**
 * Returns `{ setData(json), setGrid(grid, { run, step }?), boundaryRun(), grid(), renderModel(
 * state, data), redraw() }`. `boundaryRun()` is 'main' or 'fp32', the run whose grid main.js
 * should fetch; `onPick()` is called when the user picks the other run for the heatmap.
 * @param {() => void} [onPick]
 */
export function dataViews(onPick = () => {}) {
  const plot = scatterPlot(/** @type {HTMLCanvasElement} */ ($('scatter')));
  const picker = /** @type {HTMLSelectElement | null} */ (document.getElementById('boundary-run'));
  /** @type {Data | null} */
  let data = null;
  /** @type {ArrayLike<number> | null} */
  let grid = null;

  function draw() {
    const canvas = $('scatter');
    if (!data) return;
    canvas.hidden = data.d !== 2;
    $('boundary').hidden = data.d !== 2;
    if (data.d === 2) plot.update({ ...data, grid, res: GRID_RES });
  }

  /** Shows a new run's data (the summary, the counts, the digits). @param {Data} d */
  function setData(d) {
    data = d;
    grid = null;
    const what = d.d === 2
      ? `${d.classes} classes in 2-D`
      : `${d.d}-D inputs (8×8 pixels), ${d.classes} classes: one training image per class below`;
    $('data-summary').textContent = `${d.train_len} training and ${plural(d.test_len, 'test sample')}; ${what}.`;
    const counts = d.counts || (d.d === 2 ? { train: countLabels(d.train.y, d.classes), test: countLabels(d.test.y, d.classes) } : null);
    renderCounts(/** @type {HTMLTableElement} */ ($('class-counts')), counts);
    drawDigits(/** @type {HTMLCanvasElement} */ ($('digit-samples')), d.d === 2 ? null : d.examples, d.d);
    $('boundary-label').textContent = 'Background: take a step to see the model\'s decision boundary.';
    draw();
  }

  /**
   * `info`: which run the grid came from ('main' or 'fp32'), its precision and its step.
   * @param {ArrayLike<number>} g predict_grid's GRID_RES² probabilities
   * @param {{ which: string, run: string, step: number }} [info]
   */
  function setGrid(g, info) {
    grid = g;
    const which = info?.which || 'main';
    const canvas = $('scatter');
    canvas.dataset.boundary = which;
    if (info) {
      const side = which === 'main' ? 'the right-hand run' : 'the left-hand run, the one Quantize uses';
      $('boundary-label').textContent = `Background: p(class 1) of the ${info.run} run (${side}) at step ${info.step}.`;
      canvas.dataset.boundaryRun = info.run;
    }
    draw();
  }

  /** The Model panel's layer sizes and parameter count. @param {import('./types.js').State} state @param {Data} d */
  function renderModel(state, d) {
    const sizes = [d.d, ...state.hidden.split(',').map(Number), d.classes];
    let params = 0;
    for (let i = 1; i < sizes.length; i++) params += sizes[i - 1] * sizes[i] + sizes[i];
    const el = $('model-summary');
    el.textContent = `Layers ${sizes.join(' → ')}: ${params.toLocaleString('en')} parameters (${(params * 4).toLocaleString('en')} bytes in f32).`;
    el.dataset.params = String(params);
  }

  picker?.addEventListener('change', () => onPick());
  return { setData, setGrid, renderModel, redraw: draw, boundaryRun: () => /** @type {'fp32' | 'main'} */ (picker?.value || 'main'), grid: () => grid };
}
