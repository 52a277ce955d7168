// The page's whole state lives in location.hash (as in TensorFlow Playground), so a reload or a
// shared link restores the same run. parseHash never throws: bad values fall back to defaults
// and are reported, so the page can say what it ignored.

/** Default state: also the list of known keys. */
export const DEFAULTS = Object.freeze({ backend: 'webgpu', m: 256, k: 256, n: 256, seed: 1 });

const int = (lo, hi) => (raw) => {
  const v = Number(raw);
  return Number.isInteger(v) && v >= lo && v <= hi ? v : { error: `an integer in ${lo}..${hi}` };
};
const oneOf = (...valid) => (raw) => (valid.includes(raw) ? raw : { error: `one of ${valid.join(', ')}` });

/** Validators per key: return the parsed value or `{ error: 'what was expected' }`. */
const RULES = {
  backend: oneOf('webgpu', 'cpu'),
  m: int(1, 2048),
  k: int(1, 2048),
  n: int(1, 2048),
  seed: int(0, 2 ** 32 - 1),
};

/**
 * Parses `#backend=cpu&m=64...` into `{ state, problems }`; `problems` lists each ignored entry
 * with the values that would have been valid.
 */
export function parseHash(hash) {
  const state = { ...DEFAULTS };
  const problems = [];
  const params = new URLSearchParams(String(hash || '').replace(/^#/, ''));
  for (const [key, raw] of params) {
    const rule = RULES[key];
    if (!rule) {
      problems.push(`unknown setting "${key}" (known: ${Object.keys(RULES).join(', ')})`);
      continue;
    }
    const v = rule(raw);
    if (v && typeof v === 'object' && 'error' in v) problems.push(`${key}=${raw} is not ${v.error}`);
    else state[key] = v;
  }
  return { state, problems };
}

/** Serialises a state to a hash, in a stable key order. */
export function toHash(state) {
  const params = new URLSearchParams();
  for (const key of Object.keys(DEFAULTS)) params.set(key, String(state[key]));
  return `#${params}`;
}
