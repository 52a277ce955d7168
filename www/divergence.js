// Watches one run's loss for a divergence (a jump of the smoothed loss well above its best so
// far) and says whose it is. A skipped step leaves the weights as they were, so a loss that
// climbs while most steps still update the weights climbed through the optimizer's steps (Adam
// at a large learning rate spikes in 32-true too): the overflows it meets on the way (growing
// gradients times a high scale) are a symptom. Only when most recent steps are skipped is the
// precision the suspect (f16 overflowing again and again). Fed step records incrementally,
// O(window) per step. Not here: drawing the note (main.js) or the charts' statistics.

/** The EMA weight of one new batch loss (as the loss chart smooths). */
const EMA = 0.1;
/** A jump: the smoothed loss rises this far above its running minimum... */
const JUMP_ABOVE_MIN = 0.2;
/** ...after this many steps (the start of training falls, it does not jump). */
const WARMUP_STEPS = 200;
/** Skipped steps are counted over this many steps before a jump... */
const SKIP_WINDOW = 50;
/** ...and when at least this many of them were skipped, the precision is the suspect. */
const SKIPS_FOR_PRECISION = SKIP_WINDOW / 2;

/**
 * A jump of the smoothed loss: where, how high, its best before, the skipped steps just before.
 * @typedef {{ step: number, loss: number, best: number, skipsNear: number,
 *   cause: 'optimizer' | 'precision' }} Jump
 */
/** @typedef {{ jump: Jump | null, push: (records: import('./types.js').StepRecord[]) => void }} JumpWatch */

/** Returns `{ push(records), jump }`; `jump` is null or `{ step, loss, best, skipsNear, cause:
 * 'optimizer' | 'precision' }`.
 * @returns {JumpWatch} */
export function createJumpWatch() {
  /** @type {number | null} */
  let ema = null;
  let best = Infinity;
  /** @type {number[]} */
  const skips = []; // steps of the skipped steps within the last SKIP_WINDOW steps
  const w = /** @type {JumpWatch} */ ({ jump: null }); // push is set below
  w.push = (records) => {
    for (const r of records) {
      if (r.skipped) skips.push(r.step);
      while (skips.length && skips[0] <= r.step - SKIP_WINDOW) skips.shift();
      if (typeof r.loss !== 'number' || !Number.isFinite(r.loss)) continue;
      ema = ema === null ? r.loss : (1 - EMA) * ema + EMA * r.loss;
      best = Math.min(best, ema);
      if (!w.jump && r.step > WARMUP_STEPS && ema > best + JUMP_ABOVE_MIN) {
        const skipsNear = skips.length;
        w.jump = { step: r.step, loss: ema, best, skipsNear, cause: skipsNear >= SKIPS_FOR_PRECISION ? 'precision' : 'optimizer' };
      }
    }
  };
  return w;
}

/**
 * One sentence on the runs' jumps for the Training panel, or '' when neither jumped.
 * @param {string} label the main run's precision as shown
 * @param {JumpWatch} main
 * @param {JumpWatch} fp32
 * @returns {string}
 */
export function jumpNote(label, main, fp32) {
  const j = main.jump;
  if (!j) return '';
  const at = `The ${label} loss jumped at step ${j.step} (smoothed ${j.loss.toFixed(3)}, from a best of ${j.best.toFixed(3)})`;
  const other = fp32.jump ? ` 32-true jumped too, at step ${fp32.jump.step}.` : ' 32-true did not on this seed; Adam\'s spikes depend on the seed and the batches, so try other seeds too.';
  const before = j.skipsNear
    ? `${j.skipsNear} of the ${SKIP_WINDOW} steps before it skipped (a skipped step leaves the weights as they were, so the loss rose through the other steps' updates; the growing gradients then overflowed f16 at the scale)`
    : `no skipped step in the ${SKIP_WINDOW} before it`;
  if (j.cause === 'optimizer') {
    return `${at}, ${before}: that is the optimizer (Adam at this learning rate), not the precision.${other} Try a smaller learning rate.`;
  }
  return `${at} with ${j.skipsNear} of the ${SKIP_WINDOW} steps before it skipped: f16 overflowed again and again there, so the precision is the suspect; look at the loss-scale chart.${other}`;
}
