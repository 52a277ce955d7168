// The Data and Model panels' views: the scatter plot with the decision-boundary heatmap (2-D
// sets) or a size summary (digits), and the model's layer sizes and parameter count. Draws from
// Trainer.data_json / predict_grid; holds only the scatter chart.

import { scatterPlot } from './scatter.js';

const $ = (id) => document.getElementById(id);
export const GRID_RES = 48;

/** Returns `{ setData(json), setGrid(Float32Array | null), renderModel(state, data) }`. */
export function dataViews() {
  const plot = scatterPlot($('scatter'));
  let data = null;
  let grid = null;

  function draw() {
    const canvas = $('scatter');
    if (!data) return;
    canvas.hidden = data.d !== 2;
    if (data.d === 2) plot.update({ ...data, grid, res: GRID_RES });
  }

  function setData(d) {
    data = d;
    grid = null;
    const what = d.d === 2 ? `${d.classes} classes in 2-D` : `${d.d}-D inputs (8×8 pixels), ${d.classes} classes: no scatter plot`;
    $('data-summary').textContent = `${d.train_len} training and ${d.test_len} test samples; ${what}.`;
    draw();
  }

  function setGrid(g) {
    grid = g;
    draw();
  }

  function renderModel(state, d) {
    const sizes = [d.d, ...state.hidden.split(',').map(Number), d.classes];
    let params = 0;
    for (let i = 1; i < sizes.length; i++) params += sizes[i - 1] * sizes[i] + sizes[i];
    const el = $('model-summary');
    el.textContent = `Layers ${sizes.join(' → ')}: ${params.toLocaleString('en')} parameters (${(params * 4).toLocaleString('en')} bytes in f32).`;
    el.dataset.params = String(params);
  }

  return { setData, setGrid, renderModel, redraw: draw };
}
