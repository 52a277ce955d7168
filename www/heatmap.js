// A one-function chart: draws a rows × cols grid of values in [0, ∞) on a canvas. 0 is white,
// values up to 1 shade to dark blue, values above 1 (outside the tolerance) are red. It asks
// only for the entries its pixels show (`valueAt(row·cols + col)`), so a 2048×2048 grid costs
// one canvas's worth of work, not 4 M.

/** Draws the row-major rows × cols grid whose entry i is `valueAt(i)`, scaled to the canvas. */
/** @param {HTMLCanvasElement} canvas @param {(i: number) => number} valueAt @param {number} rows @param {number} cols */
export function drawHeatmap(canvas, valueAt, rows, cols) {
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d')); // a 2-D canvas never answers null
  const img = ctx.createImageData(canvas.width, canvas.height);
  for (let y = 0; y < canvas.height; y++) {
    const r = Math.floor((y * rows) / canvas.height);
    for (let x = 0; x < canvas.width; x++) {
      const v = valueAt(r * cols + Math.floor((x * cols) / canvas.width));
      const o = 4 * (y * canvas.width + x);
      if (!(v <= 1)) {
        img.data.set([220, 30, 30, 255], o);
      } else {
        const t = Math.sqrt(v); // make small, non-zero differences visible
        img.data.set([255 - 225 * t, 255 - 190 * t, 255 - 90 * t, 255], o);
      }
    }
  }
  ctx.putImageData(img, 0, 0);
}

/** Clears the canvas and writes what to do to fill it (before the first check). */
/** @param {HTMLCanvasElement} canvas @param {string} text */
export function emptyHeatmap(canvas, text) {
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d')); // a 2-D canvas never answers null
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#5b6475';
  ctx.font = '11px system-ui, sans-serif';
  let y = canvas.height / 2 - 14;
  let line = '';
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(next).width > canvas.width - 16) { ctx.fillText(line, 8, y); y += 14; line = word; } else line = next;
  }
  ctx.fillText(line, 8, y);
  canvas.dataset.empty = text;
}
