// A chunk's step records as columns of typed arrays, so the engine worker hands the page a
// chunk's metrics as transferable buffers (moved, not copied, and parsed off the main thread)
// instead of a JSON string. Exact both ways: numbers travel as Float64 (every f32 the records
// carry, as JSON printed it, is one), and each value's state (absent, a number, null, true,
// false) travels beside it, so `unpack(pack(records))` deep-equals `records`. A field whose
// values are all one string (`amp/precision`) travels once; any other value (a varying string,
// an object) makes the whole chunk travel as its records instead (`{ records }`).
// Used by engine-worker.js (pack) and runner.js (unpack). Not here: what a record holds
// (crate/src/app/metrics.rs), keeping them (history.js).

const ABSENT = 0;
const NUMBER = 1;
const NULL = 2;
const TRUE = 3;
const FALSE = 4;

/**
 * @typedef {{ key: string, state: Uint8Array, values?: Float64Array, text?: string }} Column
 * @typedef {{ n: number, columns: Column[] } | { records: Record<string, unknown>[] }} Packed
 */

/**
 * Packs `records` (plain objects of numbers, booleans, null and strings) into columns.
 * @param {Record<string, unknown>[]} records
 * @returns {{ packed: Packed, transfer: ArrayBuffer[] }}
 */
export function pack(records) {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
  /** @type {Column[]} */
  const columns = [];
  for (const key of keys) {
    const state = new Uint8Array(records.length);
    const values = new Float64Array(records.length);
    /** @type {string | undefined} */
    let text;
    let numbers = false;
    for (let i = 0; i < records.length; i++) {
      const v = records[i][key];
      if (!(key in records[i])) state[i] = ABSENT;
      else if (v === null) state[i] = NULL;
      else if (v === true) state[i] = TRUE;
      else if (v === false) state[i] = FALSE;
      else if (typeof v === 'number') {
        state[i] = NUMBER;
        values[i] = v;
        numbers = true;
      } else if (typeof v === 'string' && (text === undefined || text === v) && !numbers) {
        state[i] = NUMBER; // "the column's string" for a text column
        text = v;
      } else return { packed: { records }, transfer: [] };
    }
    if (text !== undefined && numbers) return { packed: { records }, transfer: [] };
    columns.push(text === undefined ? { key, state, values } : { key, state, text });
  }
  // fresh arrays made above: their buffers are plain ArrayBuffers, never shared
  const transfer = /** @type {ArrayBuffer[]} */ (columns.flatMap((c) => [c.state.buffer, ...(c.values ? [c.values.buffer] : [])]));
  return { packed: { n: records.length, columns }, transfer };
}

/**
 * The records `pack` packed, in order, each with exactly the fields it had.
 * @param {Packed} packed
 * @returns {Record<string, unknown>[]}
 */
export function unpack(packed) {
  if ('records' in packed) return packed.records;
  /** @type {Record<string, unknown>[]} */
  const out = Array.from({ length: packed.n }, () => ({}));
  for (const { key, state, values, text } of packed.columns) {
    for (let i = 0; i < packed.n; i++) {
      const s = state[i];
      if (s === ABSENT) continue;
      out[i][key] = s === NULL ? null : s === TRUE ? true : s === FALSE ? false : text !== undefined ? text : /** @type {Float64Array} */ (values)[i];
    }
  }
  return out;
}

/**
 * Whether `x` is what `pack` made (not a JSON string of records).
 * @param {unknown} x
 * @returns {x is Packed}
 */
export const isPacked = (x) => typeof x === 'object' && x !== null && ('columns' in x || 'records' in x);
