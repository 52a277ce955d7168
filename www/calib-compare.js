// The Quantize panel's "calibration on WebGPU vs the CPU" table, from the report's
// `calibration_vs_cpu` (crate/src/quant/eager/calib_compare.rs): per activation observer the
// scale and zero point each calibration chose and the scale difference in ulps, and how many
// int8 codes of the test data differ between the two converted models. Draws only.

/** @param {unknown} x */
const num = (x) => (typeof x === 'number' ? String(+x.toPrecision(8)) : String(x));

/** @param {string} tag @param {string} text */
function cell(tag, text) {
  const el = document.createElement(tag);
  el.textContent = text;
  return el;
}

/**
 * One activation observer's two calibrations (crate/src/quant/eager/calib_compare.rs).
 * @typedef {{ path: string, cpu_scale: number, cpu_zero_point: number, scale: number,
 *   zero_point: number, scale_ulps: number }} ObserverPair
 */

/**
 * The table and its summary line for comparison `c`, or `[]` when the run made none.
 * @param {{ observers: ObserverPair[], observers_differ: number, eval_codes_differ: number,
 *   eval_codes: number } | null | undefined} c
 * @returns {HTMLElement[]}
 */
export function calibCompareView(c) {
  if (!c) return [];
  const table = document.createElement('table');
  table.id = 'calib-compare';
  const head = document.createElement('tr');
  for (const t of ['observer', 'CPU scale', 'CPU zero point', 'WebGPU scale', 'WebGPU zero point', 'scale ulps']) head.append(cell('th', t));
  const rows = c.observers.map((o) => {
    const tr = document.createElement('tr');
    for (const v of [o.path, num(o.cpu_scale), String(o.cpu_zero_point), num(o.scale), String(o.zero_point), String(o.scale_ulps)]) tr.append(cell('td', v));
    if (o.scale_ulps !== 0 || o.zero_point !== o.cpu_zero_point) tr.className = 'differs';
    return tr;
  });
  table.append(head, ...rows);
  const summary = cell('p', `Calibration on WebGPU vs the CPU: ${c.observers_differ} of ${c.observers.length} observers chose other qparams; ${c.eval_codes_differ} of ${c.eval_codes} int8 codes on the test data differ between the two int8 models.`);
  summary.id = 'calib-compare-summary';
  Object.assign(summary.dataset, { observersDiffer: String(c.observers_differ), codesDiffer: String(c.eval_codes_differ), codes: String(c.eval_codes) });
  return [summary, table];
}
