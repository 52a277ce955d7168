// Fuzzing the page's URL-hash parser (www/state.js, JavaScript only, so it has no Rust target in
// tests/fuzz/): seeded mutations of valid hashes (byte flips, inserted and deleted characters,
// splices of other keys and values, percent-escapes, huge numbers, prototype keys). Contract of
// parseHash: it never throws, every value it keeps passes its rule, it keeps no key outside
// DEFAULTS, it reports every entry it ignored, and what it returns serialises and parses back to
// itself. Runs in node; QUANTPLAY_FUZZ_SECONDS (default 5) bounds the time. Part of issue 17.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHash, toHash, DEFAULTS, RULES } from '../../www/state.js';
import { rng } from './seeded.mjs';

const SECONDS = Number(process.env.QUANTPLAY_FUZZ_SECONDS || 5);


const KEYS = Object.keys(DEFAULTS);
const ODD_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '', '%00', 'backend[]'];
const ODD_VALUES = ['', 'NaN', 'Infinity', '-0', '1e309', '9'.repeat(400), '0x10', '1_000', ' 1', '1 ', '%', '%zz', '%E2%82', '\u0000', '16,16,', ',', '2^16', '[]', '{}', 'null', 'undefined', 'true'];

function mutate(r, base) {
  let s = base;
  const n = 1 + Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (s.length + 1));
    switch (Math.floor(r() * 7)) {
      case 0: s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 0x250)) + s.slice(at); break;
      case 1: s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8)); break;
      case 2: s = `${s}&${ODD_KEYS[Math.floor(r() * ODD_KEYS.length)]}=${ODD_VALUES[Math.floor(r() * ODD_VALUES.length)]}`; break;
      case 3: s = `${s}&${KEYS[Math.floor(r() * KEYS.length)]}=${ODD_VALUES[Math.floor(r() * ODD_VALUES.length)]}`; break;
      case 4: s = s.slice(0, at) + '&=%#?'[Math.floor(r() * 5)] + s.slice(at); break;
      case 5: s = `${s}&${KEYS[Math.floor(r() * KEYS.length)]}=${String(DEFAULTS[KEYS[Math.floor(r() * KEYS.length)]])}`; break;
      default: s = s.slice(0, at) + s.slice(Math.floor(r() * s.length)); break; // splice with itself
    }
  }
  return s;
}

test('the URL-hash parser never throws, keeps only valid values and round-trips what it keeps', () => {
  const r = rng(18);
  const seeds = [toHash(DEFAULTS), '#backend=cpu&dataset=digits&hidden=8,8&precision=bf16-mixed&lr=0.03', '', '#', '#backend=gpu'];
  const end = Date.now() + SECONDS * 1000;
  let runs = 0;
  let problems = 0;
  while (Date.now() < end) {
    const input = mutate(r, seeds[runs % seeds.length]);
    let out;
    try {
      out = parseHash(input);
    } catch (e) {
      assert.fail(`parseHash threw ${e.name}: ${e.message} on ${JSON.stringify(input)}`);
    }
    const { state } = out;
    assert.deepEqual(Object.keys(state).sort(), [...KEYS].sort(), `keys after ${JSON.stringify(input)}`);
    assert.equal(Object.getPrototypeOf(state), Object.prototype, `prototype changed by ${JSON.stringify(input)}`);
    for (const k of KEYS) {
      const v = RULES[k](String(state[k]));
      assert.ok(!(v && typeof v === 'object' && 'error' in v), `${k}=${state[k]} kept from ${JSON.stringify(input)}`);
    }
    const again = parseHash(toHash(state));
    assert.deepEqual(again.problems, [], `serialised state reparses with problems: ${again.problems}`);
    assert.deepEqual(again.state, state, `round trip of ${JSON.stringify(input)}`);
    problems += out.problems.length;
    runs++;
  }
  assert.equal(Object.prototype.polluted, undefined);
  console.log(`url-hash fuzz: ${runs} inputs in ${SECONDS} s, ${problems} ignored entries reported, 0 crashes`);
  assert.ok(runs > 1000, `only ${runs} inputs`);
});
