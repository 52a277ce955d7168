// A run's step history, bounded: the last TAIL records are kept whole, older ones are folded
// into at most KEEP buckets of equal width (a power of two of steps; when the buckets run out,
// neighbours merge and the width doubles). A bucket keeps what the charts and the summary need
// of its steps: the last smoothed loss, the loss-scale min / max / last, the skipped and
// injected counts. So memory and drawing cost stay flat however long a run trains (the page
// once kept every record and threw a RangeError near step 62,000 in `Math.min(...points)`).
// Not here: drawing (chart.js, training-panel.js) or stepping (runner.js).

/** Whole records kept at the end (the charts' recent steps; a WebGPU fallback rolls back none: runner.js). */
export const TAIL = 256;
/** Buckets kept for the older steps. */
export const KEEP = 2048;
/** Skipped-step records kept for the summary ("last skip at step …: scale a → b"). */
const SKIPS_KEPT = 300;
/** The EMA weight of one new batch loss (the loss chart's smoothing). */
export const EMA = 0.1;

/** @typedef {import('./types.js').StepRecord} StepRecord */
/** A whole record with the smoothed loss after it. @typedef {{ rec: StepRecord, ema: number | null }} Entry */
/**
 * The summary of one or more consecutive steps (see the header).
 * @typedef {{ step: number, n: number, ema: number | null, scaleMin: number | undefined,
 *   scaleMax: number | undefined, scaleLast: number | undefined, scaled: number, skipped: number,
 *   injected: number }} Bucket
 */
/** A skipped step, at record `index`, with the record after it once there is one.
 * @typedef {{ index: number, rec: StepRecord, after: StepRecord | null }} Skip */

/** @param {StepRecord} r */
const scaleOf = (r) => r['amp/loss_scale'];
/** @param {StepRecord} r @returns {r is StepRecord & { loss: number }} */
const finiteLoss = (r) => typeof r.loss === 'number' && Number.isFinite(r.loss);

/** A bucket over one record. @param {Entry} e @returns {Bucket} */
function bucketOf(e) {
  const s = scaleOf(e.rec);
  return {
    step: e.rec.step, // the bucket's last step
    n: 1,
    ema: e.ema,
    scaleMin: s, scaleMax: s, scaleLast: s,
    scaled: s === undefined ? 0 : 1,
    skipped: e.rec.skipped ? 1 : 0,
    injected: e.rec.injected ? 1 : 0,
  };
}

/** Folds bucket `b` (later steps) into `a`. @param {Bucket} a @param {Bucket} b @returns {Bucket} */
function merge(a, b) {
  /** @param {number | undefined} x @returns {x is number} */
  const has = (x) => x !== undefined;
  return {
    step: b.step,
    n: a.n + b.n,
    ema: b.ema ?? a.ema,
    scaleMin: has(a.scaleMin) && has(b.scaleMin) ? Math.min(a.scaleMin, b.scaleMin) : a.scaleMin ?? b.scaleMin,
    scaleMax: has(a.scaleMax) && has(b.scaleMax) ? Math.max(a.scaleMax, b.scaleMax) : a.scaleMax ?? b.scaleMax,
    scaleLast: b.scaleLast ?? a.scaleLast,
    scaled: a.scaled + b.scaled,
    skipped: a.skipped + b.skipped,
    injected: a.injected + b.injected,
  };
}

/**
 * Returns the history of one run: `push(records)`, `length` (records pushed), `truncate(n)`
 * (back to the first n records; n must be 0 or within the whole-record tail), `last`,
 * `tail(k)` (the last k whole records), `first`, `buckets()` (older buckets then one per tail
 * record, each as above), `skips()` ({ rec, after } of the last skipped steps), `counts()`
 * ({ skipped, injected, scaled, maxScale }), and `size` (items held, for the memory bound).
 * @param {{ tail?: number, keep?: number }} [options] whole records kept, buckets kept
 */
export function createHistory({ tail = TAIL, keep = KEEP } = {}) {
  /** @type {Bucket[]} */
  let old = []; // buckets of width `width`, the last one possibly partial
  let width = 1;
  let folded = 0; // records folded into `old`
  /** @type {Entry[]} */
  let recent = []; // { rec, ema } of the records after `folded`
  /** @type {number | null} */
  let ema = null;
  /** @type {StepRecord | null} */
  let first = null;
  /** @type {Skip[]} */
  let skips = []; // { index, rec, after }
  // totals over `old` (the tail's are added on demand)
  let oldSkipped = 0, oldInjected = 0, oldScaled = 0;
  /** @type {number | undefined} */
  let oldMax = undefined;

  /** @param {Entry} e */
  function fold(e) {
    const b = bucketOf(e);
    const lastB = old.at(-1);
    if (lastB && lastB.n < width) old[old.length - 1] = merge(lastB, b);
    else old.push(b);
    folded++;
    oldSkipped += b.skipped; oldInjected += b.injected; oldScaled += b.scaled;
    if (b.scaleMax !== undefined) oldMax = oldMax === undefined ? b.scaleMax : Math.max(oldMax, b.scaleMax);
    if (old.length > keep) {
      const merged = [];
      for (let i = 0; i < old.length; i += 2) merged.push(old[i + 1] ? merge(old[i], old[i + 1]) : old[i]);
      old = merged;
      width *= 2;
    }
  }

  const h = {
    /** Appends a chunk's records. @param {StepRecord[]} records */
    push(records) {
      for (const rec of records) {
        if (first === null) first = rec;
        if (finiteLoss(rec)) ema = ema === null ? rec.loss : (1 - EMA) * ema + EMA * rec.loss;
        const prev = recent.at(-1)?.rec;
        const lastSkip = skips.at(-1);
        if (lastSkip && lastSkip.rec === prev) lastSkip.after = rec;
        const index = folded + recent.length;
        recent.push({ rec, ema });
        if (rec.skipped) {
          skips.push({ index, rec, after: null });
          if (skips.length > SKIPS_KEPT) skips = skips.slice(-SKIPS_KEPT);
        }
      }
      if (recent.length > 2 * tail) {
        const out = recent.length - tail;
        for (let i = 0; i < out; i++) fold(recent[i]);
        recent = recent.slice(out);
      }
    },
    get length() {
      return folded + recent.length;
    },
    /** Drops the records from index n on (a fallback to a snapshot at step n). @param {number} n */
    truncate(n) {
      if (n >= h.length) return;
      if (n === 0) {
        old = []; width = 1; folded = 0; recent = []; ema = null; first = null; skips = [];
        oldSkipped = 0; oldInjected = 0; oldScaled = 0; oldMax = undefined;
        return;
      }
      if (n < folded) throw new RangeError(`history: cannot go back to record ${n}; only records ${folded}…${h.length - 1} are kept whole`);
      recent = recent.slice(0, n - folded);
      ema = recent.at(-1)?.ema ?? old.at(-1)?.ema ?? null;
      skips = skips.filter((s) => s.index < n);
      const ls = skips.at(-1);
      if (ls && ls.index === n - 1) ls.after = null;
    },
    get last() {
      return recent.at(-1)?.rec;
    },
    get first() {
      return first;
    },
    /** The last `k` whole records. @param {number} k */
    tail(k) {
      return recent.slice(-k).map((e) => e.rec);
    },
    buckets() {
      return old.concat(recent.map(bucketOf));
    },
    skips() {
      return skips;
    },
    counts() {
      let skipped = oldSkipped, injected = oldInjected, scaled = oldScaled, maxScale = oldMax;
      for (const { rec } of recent) {
        if (rec.skipped) skipped++;
        if (rec.injected) injected++;
        const s = scaleOf(rec);
        if (s !== undefined) { scaled++; maxScale = maxScale === undefined ? s : Math.max(maxScale, s); }
      }
      return { skipped, injected, scaled, maxScale };
    },
    get size() {
      return old.length + recent.length + skips.length;
    },
  };
  return h;
}

/** Evaluations kept per run (the accuracy chart's points). */
export const EVALS_KEPT = 1024;

/** Appends `item` to `list`; past `max` items, every other one of the older half goes, so the
 * list stays bounded and still spans the whole run (the newest half stays dense).
 * @template T
 * @param {T[]} list
 * @param {T} item
 * @param {number} [max]
 */
export function pushBounded(list, item, max = EVALS_KEPT) {
  list.push(item);
  if (list.length <= max) return;
  const half = Math.floor(list.length / 2);
  const older = list.slice(0, half).filter((_, i) => i % 2 === 0);
  list.splice(0, half, ...older);
}
