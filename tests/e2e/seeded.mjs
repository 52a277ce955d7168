// One seeded PRNG for the node fuzz tests (url-fuzz, wasm-surface): mulberry32, a 32-bit state
// advanced by 0x6d2b79f5 and mixed (Tommy Ettinger's public-domain generator), so a printed
// seed replays the same inputs. Not for anything statistical.

/** A function returning uniform numbers in [0, 1) from `seed` (taken as a u32). */
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
