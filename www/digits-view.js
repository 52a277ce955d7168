// Two small Data panel views for data_json's class facts (crate/src/web/trainer_data.rs):
//   drawDigits(canvas, examples, d)  — the sample images (8×8 grey, 0 white .. 1 black) in a row,
//                                       each labelled with its class;
//   renderCounts(table, counts)       — train/test samples per class, with the totals.
// They only draw what they are given; the images and counts come from the wasm.

/**
 * Draws `examples` ({ x: row-major (k, d) in [0, 1], y: k labels }) as k square images of
 * √d × √d pixels side by side; hides the canvas when there is nothing to draw.
 * @param {HTMLCanvasElement} canvas
 * @param {{ x: ArrayLike<number>, y: number[] } | null | undefined} examples
 * @param {number} d pixels per image
 * @returns {number} how many images were drawn
 */
export function drawDigits(canvas, examples, d) {
  const side = Math.round(Math.sqrt(d));
  const k = examples?.y?.length ?? 0;
  canvas.hidden = !k || side * side !== d;
  canvas.dataset.images = String(canvas.hidden ? 0 : k);
  if (canvas.hidden) return 0;
  const ex = /** @type {NonNullable<typeof examples>} */ (examples); // k > 0: it is there
  const cell = 4; // screen pixels per image pixel
  const gap = 6;
  const label = 14;
  canvas.width = k * (side * cell + gap) - gap;
  canvas.height = side * cell + label;
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d')); // a 2-D canvas never answers null
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < k; i++) {
    const x0 = i * (side * cell + gap);
    for (let p = 0; p < d; p++) {
      const v = Math.max(0, Math.min(1, ex.x[i * d + p]));
      const g = Math.round(255 * (1 - v));
      ctx.fillStyle = `rgb(${g},${g},${g})`;
      ctx.fillRect(x0 + (p % side) * cell, Math.floor(p / side) * cell, cell, cell);
    }
    ctx.fillStyle = '#1d2330';
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.fillText(String(ex.y[i]), x0 + (side * cell) / 2, side * cell + 11);
  }
  canvas.setAttribute('aria-label', `one training image per class, labelled ${ex.y.join(', ')}`);
  return k;
}

/**
 * Fills `table` with one row per class: class, train count, test count; and a total row.
 * `counts` is `{ train: [n per class], test: [n per class] }`; an empty table without it.
 * @param {HTMLTableElement} table
 * @param {{ train: number[], test: number[] } | null | undefined} counts
 */
export function renderCounts(table, counts) {
  const body = table.tBodies[0];
  if (!counts?.train?.length) {
    body.replaceChildren();
    table.hidden = true;
    return;
  }
  /** @param {(string | number)[]} cells @param {string} [cls] */
  const row = (cells, cls) => {
    const tr = document.createElement('tr');
    if (cls) tr.className = cls;
    for (const c of cells) {
      const td = document.createElement('td');
      td.textContent = String(c);
      tr.append(td);
    }
    return tr;
  };
  /** @param {number[]} a */
  const sum = (a) => a.reduce((s, v) => s + v, 0);
  const rows = counts.train.map((n, c) => row([c, n, counts.test[c] ?? 0]));
  rows.push(row(['all', sum(counts.train), sum(counts.test)], 'hl'));
  body.replaceChildren(...rows);
  table.hidden = false;
  table.dataset.classes = String(counts.train.length);
}
