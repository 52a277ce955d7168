// The Data panel's plot: a 2-D scatter of the train (filled) and test (ringed) points over the
// model's decision-boundary heatmap (class-1 probability from Trainer.predict_grid). One-method
// API: `scatterPlot(canvas).update(data)`. It only draws; the numbers come from the wasm.

import { fitCanvas } from './chart.js';

/** Points `x` row-major `(n, 2)` with labels `y` (n). @typedef {{ x: ArrayLike<number>, y: ArrayLike<number> }} Split */
/**
 * What `update` draws (data_json's 2-D sets plus the boundary grid).
 * @typedef {{ extent: { lo: number[], hi: number[] }, train: Split, test: Split,
 *   grid?: ArrayLike<number> | null, res?: number }} ScatterData
 */

const C0 = [230, 120, 40]; // class 0: orange
const C1 = [40, 110, 210]; // class 1: blue

/**
 * `update({ extent: { lo: [x1, x2], hi: [x1, x2] }, train: { x, y }, test: { x, y },
 *           grid?: Float32Array (res × res, rows from the lowest x2 up), res?: number })`.
 * @param {HTMLCanvasElement} canvas
 */
export function scatterPlot(canvas) {
  /** @type {ScatterData | null} */
  let last = null;
  /** @param {ScatterData} data */
  function update(data) {
    last = data;
    const { ctx, w, h } = fitCanvas(canvas);
    const { lo, hi } = data.extent;
    const pad = 0.02;
    /** @param {number} v */
    const X = (v) => ((v - lo[0]) / (hi[0] - lo[0] || 1)) * w * (1 - 2 * pad) + w * pad;
    /** @param {number} v */
    const Y = (v) => h - (((v - lo[1]) / (hi[1] - lo[1] || 1)) * h * (1 - 2 * pad) + h * pad);
    if (data.grid && data.res) {
      const res = data.res;
      const img = ctx.createImageData(res, res);
      for (let r = 0; r < res; r++) {
        for (let c = 0; c < res; c++) {
          const p = data.grid[r * res + c];
          const o = 4 * ((res - 1 - r) * res + c);
          const t = Math.abs(p - 0.5) * 2; // confidence: white at the boundary
          const col = p >= 0.5 ? C1 : C0;
          img.data.set([255 - (255 - col[0]) * t * 0.45, 255 - (255 - col[1]) * t * 0.45, 255 - (255 - col[2]) * t * 0.45, 255], o);
        }
      }
      // draw the grid image stretched over the plot area (pixel centres sit on the grid points)
      const off = document.createElement('canvas');
      off.width = res; off.height = res;
      /** @type {CanvasRenderingContext2D} */ (off.getContext('2d')).putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = true;
      const cell = (w * (1 - 2 * pad)) / (res - 1 || 1);
      const cellY = (h * (1 - 2 * pad)) / (res - 1 || 1);
      ctx.drawImage(off, X(lo[0]) - cell / 2, Y(hi[1]) - cellY / 2, w * (1 - 2 * pad) + cell, h * (1 - 2 * pad) + cellY);
    }
    /** @param {Split} set @param {boolean} filled */
    const dots = (set, filled) => {
      for (let i = 0; i < set.y.length; i++) {
        const col = set.y[i] === 1 ? C1 : C0;
        ctx.beginPath();
        ctx.arc(X(set.x[2 * i]), Y(set.x[2 * i + 1]), 3, 0, 2 * Math.PI);
        if (filled) {
          ctx.fillStyle = `rgb(${col})`;
          ctx.fill();
          ctx.strokeStyle = '#fff';
        } else {
          ctx.strokeStyle = `rgb(${col})`;
          ctx.lineWidth = 1.5;
        }
        ctx.stroke();
      }
    };
    ctx.lineWidth = 1;
    dots(data.train, true);
    dots(data.test, false);
  }
  return { update, redraw: () => last && update(last) };
}
