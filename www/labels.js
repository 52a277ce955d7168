// Text labels drawn on top of a chart's marks, each on a light backing box, moved up or down
// until it overlaps no label placed before it and stays inside the canvas. What was placed is
// left in the canvas's `data-labels` (JSON of {text, x, y, w, h}) so tests can check that every
// label is on the canvas, unhidden and clear of the others. Not here: what the labels say.

const LINE_H = 13;

/** @typedef {{ x: number, y: number, w: number, h: number }} Box */

/** Whether boxes a and b overlap. @param {Box} a @param {Box} b */
export function overlaps(a, b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/**
 * Places and draws `items` ([{ text, x, y, color?, dir? }], y = baseline; dir = 1 moves down
 * first, -1 up) in order, after everything else on `ctx`; returns the boxes placed.
 * @param {HTMLCanvasElement} canvas
 * @param {CanvasRenderingContext2D} ctx
 * @param {number} w @param {number} h the canvas's CSS size
 * @param {{ text: string, x: number, y: number, color?: string, dir?: number }[]} items
 * @returns {(Box & { text: string })[]}
 */
export function drawLabels(canvas, ctx, w, h, items) {
  /** @type {(Box & { text: string })[]} */
  const placed = [];
  for (const it of items) {
    const tw = ctx.measureText(it.text).width;
    const box = { text: it.text, x: Math.min(Math.max(1, it.x), w - tw - 3), y: it.y - LINE_H + 3, w: tw + 2, h: LINE_H };
    const dir = it.dir || 1;
    for (let k = 1; k < 40 && placed.some((p) => overlaps(p, box)); k++) {
      // try alternately further along dir and against it
      const off = Math.ceil(k / 2) * LINE_H * (k % 2 ? dir : -dir);
      box.y = it.y - LINE_H + 3 + off;
      box.y = Math.min(Math.max(0, box.y), h - LINE_H);
    }
    ctx.fillStyle = 'rgba(255,255,255,0.85)';
    ctx.fillRect(box.x - 1, box.y, box.w, box.h);
    ctx.fillStyle = it.color || '#1d2330';
    ctx.fillText(it.text, box.x, box.y + LINE_H - 3);
    placed.push(box);
  }
  canvas.dataset.labels = JSON.stringify(placed.map((b) => ({ ...b, x: Math.round(b.x), y: Math.round(b.y), w: Math.round(b.w) })));
  return placed;
}
