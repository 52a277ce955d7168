// The wasm surface under bad calls, in node (no browser: `Playground.create(false)` works on the
// CPU): every export of www/pkg, listed from the module itself and checked against
// www/pkg/quantplay.d.ts and tests/e2e/wasm-surface-inputs.mjs, is called with targeted bad
// values per parameter (wrong JS types, NaN, ±Infinity, negative, zero, fractional and huge
// numbers, empty, short, oversized and wrongly typed arrays, malformed JSON, bad config fields,
// edited snapshots, bad `this` and class arguments) and then with seeded random combinations.
// Contract: a bad call throws or rejects with an `Error` whose message names the parameter (or
// the JSON field); never a `WebAssembly.RuntimeError` (a trap poisons the module for the rest
// of the page); `last_panic()` stays null; and after every rejection a tiny matmul, one step of
// a long-lived Trainer and a fresh Trainer's first two steps still give the right answer.
// Prints the seed and a count per bad-input class (docs/reliability.md's table).
// QUANTPLAY_FUZZ_SEED picks the seed, QUANTPLAY_WASM_RANDOM_CALLS the random calls (3000).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as pkg from '../../www/pkg/quantplay.js';
import { EXPORTS, KINDS, GENERIC, NAMES, TINY } from './wasm-surface-inputs.mjs';
import { rng } from './seeded.mjs';

const SEED = Number(process.env.QUANTPLAY_FUZZ_SEED ?? 17);
const RANDOM_CALLS = Number(process.env.QUANTPLAY_WASM_RANDOM_CALLS ?? 3000);
const PKG = new URL('../../www/pkg/', import.meta.url);
pkg.initSync({ module: readFileSync(new URL('quantplay_bg.wasm', PKG)) });


const isClass = (f) => typeof f === 'function' && /^class\b/.test(Function.prototype.toString.call(f));
const GLUE = new Set(['initSync', 'default']); // wasm-bindgen's loaders, not the surface
const OWN = new Set(['constructor', 'free', '__destroy_into_raw']);

/** `Class.name` / `Class#name` / `name` for every export, from the JS module. */
function exportedNames() {
  const out = [];
  for (const [name, v] of Object.entries(pkg)) {
    if (GLUE.has(name)) continue;
    if (!isClass(v)) {
      out.push(name);
      continue;
    }
    for (const s of Object.getOwnPropertyNames(v)) {
      if (typeof v[s] === 'function' && !s.startsWith('__')) out.push(`${name}.${s}`);
    }
    for (const m of Object.getOwnPropertyNames(v.prototype)) if (!OWN.has(m)) out.push(`${name}#${m}`);
  }
  return out.sort();
}

/** Parameter names per export from the generated TypeScript declarations. */
function declaredParams() {
  const dts = readFileSync(new URL('quantplay.d.ts', PKG), 'utf8');
  const out = {};
  let cls = null;
  for (const line of dts.split('\n')) {
    const c = line.match(/^export class (\w+)/);
    if (c) cls = c[1];
    else if (/^}/.test(line)) cls = null;
    const m = line.match(/^\s*(?:export function |(static )?)(\w+)\(([^)]*)\)/);
    if (!m || m[2] === 'constructor' || m[2] === 'free' || (cls === null && !line.startsWith('export function'))) continue;
    const key = cls ? `${cls}${m[1] ? '.' : '#'}${m[2]}` : m[2];
    out[key] = m[3].split(',').map((p) => p.trim().split(/[?:]/)[0]).filter(Boolean);
  }
  return out;
}

const key = ([cls, isStatic, name]) => (cls ? `${cls}${isStatic ? '.' : '#'}${name}` : name);
const counts = new Map(); // class → { calls, rejected, accepted }
function count(cls, rejected) {
  const c = counts.get(cls) ?? { calls: 0, rejected: 0, accepted: 0 };
  c.calls++;
  c[rejected ? 'rejected' : 'accepted']++;
  counts.set(cls, c);
}

/** Calls `fn` on `self` with `args`; awaits a promise; returns what happened, never throws. */
async function attempt(fn, self, args) {
  try {
    let v = fn.apply(self, args);
    if (v instanceof Promise) v = await v;
    return { ok: true, value: v };
  } catch (error) {
    return { ok: false, error };
  }
}

const show = (v) => {
  if (typeof v === 'string') return v.length > 60 ? `${JSON.stringify(v.slice(0, 60))}… (${v.length})` : JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol' || typeof v === 'function') return String(v);
  if (v && typeof v.length === 'number') return `${v.constructor?.name} of ${v.length}`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

let ctx;
async function setup() {
  const pg = await pkg.Playground.create(false);
  const tr = pkg.Trainer.create(pg, JSON.stringify(TINY));
  await tr.run(2);
  const snap = await tr.snapshot();
  const fresh = pkg.Trainer.create(pg, JSON.stringify(TINY));
  const baseline = await fresh.run(2);
  fresh.free();
  const bw = pkg.BenchWorkload.f32_gemm(2, 2, 2, new Float32Array(4).fill(1), new Float32Array(4).fill(1));
  const freed = {};
  for (const [name, make] of [
    ['Playground', () => pkg.Playground.create(false)],
    ['Trainer', () => pkg.Trainer.create(pg, JSON.stringify(TINY))],
    ['BenchWorkload', () => pkg.BenchWorkload.f32_gemm(1, 1, 1, [1], [1])],
  ]) {
    freed[name] = await make();
    freed[name].free();
  }
  ctx = { pg, tr, snap, baseline, bw, freed, lastStep: 2, checks: 0 };
  ctx.targets = { Playground: pg, Trainer: tr, BenchWorkload: bw };
}

/** The module still works: a tiny matmul, one more step of the long-lived run, a fresh run. */
async function healthy(after) {
  const c = ctx;
  const mm = await attempt(c.pg.matmul, c.pg, ['cpu', new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8]), 2, 2, 2]);
  assert.ok(mm.ok, `after ${after}: the known-good matmul failed: ${mm.error}`);
  assert.deepEqual(Array.from(mm.value), [19, 22, 43, 50], `after ${after}`);
  const run = await attempt(c.tr.run, c.tr, [1]);
  assert.ok(run.ok, `after ${after}: the long-lived Trainer no longer runs: ${run.error}`);
  const recs = JSON.parse(run.value);
  assert.equal(recs.length, 1, `after ${after}`);
  assert.ok(recs[0].step > c.lastStep && Number.isFinite(recs[0].loss), `after ${after}: ${run.value}`);
  c.lastStep = recs[0].step;
  const fresh = pkg.Trainer.create(c.pg, JSON.stringify(TINY));
  assert.equal(await fresh.run(2), c.baseline, `after ${after}: a fresh run's first two steps changed`);
  fresh.free();
  assert.equal(pkg.last_panic(), null, `after ${after}`);
  c.checks++;
}

/**
 * One call and its checks. `mustReject`: true (a known-bad value), false (all good) or null
 * (random: either). `names`: what the message must mention when it must reject.
 */
async function check(label, cls, fn, self, args, mustReject, names) {
  const res = await attempt(fn, self, args);
  if (res.ok) {
    assert.notEqual(mustReject, true, `${label}: accepted a bad value`);
    res.value?.free?.();
  } else {
    const e = res.error;
    assert.ok(!(e instanceof WebAssembly.RuntimeError), `${label}: TRAP ${e}; last_panic: ${pkg.last_panic()}`);
    assert.ok(e instanceof Error, `${label}: threw a non-Error ${show(e)}`);
    assert.equal(pkg.last_panic(), null, `${label}: panicked`);
    assert.notEqual(mustReject, false, `${label}: good arguments rejected: ${e.message}`);
    if (mustReject && names) assert.match(e.message, names, `${label}: the message does not name it`);
    await healthy(label);
  }
  count(cls, !res.ok);
  return res;
}

/** The function and `this` for an export row. */
function callee([cls, isStatic, name]) {
  if (!cls) return [pkg[name], undefined];
  const C = pkg[cls];
  return isStatic ? [C[name], C] : [C.prototype[name], ctx.targets[cls]];
}

/** Every targeted bad value of one parameter: `[class, label, value]`. */
function badValues(param) {
  const [name, kind, , o = {}] = param;
  const vals = kind === 'instance'
    ? [
      ['class argument', 'undefined', undefined], ['class argument', 'null', null],
      ['class argument', 'object {}', {}], ['class argument', 'string', 'pg'], ['class argument', 'number', 1],
      ['class argument', 'a Trainer', ctx.tr], ['class argument', 'a freed Playground', ctx.freed.Playground],
    ]
    : [...GENERIC, ...KINDS[kind].extra(o)];
  for (const [cls, label, patch] of o.fields ?? []) {
    const text = typeof patch === 'string' ? patch : JSON.stringify({ ...o.base, ...patch });
    vals.push([cls, label, text]);
  }
  for (const [cls, label, edit] of o.snapshots ?? []) {
    const s = JSON.parse(ctx.snap);
    edit(s);
    vals.push([cls, label, JSON.stringify(s)]);
  }
  return vals.map(([cls, label, v]) => [cls, `${name} = ${label}`, v]);
}

const words = (label) => new RegExp(label.match(/[a-z_]{2,}/g)?.join('|') ?? '^$');

test('every export of the wasm package has bad-input cases and matches its declaration', async () => {
  const have = exportedNames();
  const listed = EXPORTS.map(key).sort();
  assert.deepEqual(have, listed, 'an export without a row in tests/e2e/wasm-surface-inputs.mjs (or a stale row)');
  const dts = declaredParams();
  for (const row of EXPORTS) {
    assert.deepEqual(dts[key(row)], row[3].map((p) => p[0]), `${key(row)}: parameters differ from quantplay.d.ts`);
  }
});

test('targeted bad values reject with a named Error, never trap, and the module keeps working', async () => {
  await setup();
  let calls = 0;
  for (const row of EXPORTS) {
    const [fn, self] = callee(row);
    const params = row[3];
    const good = () => params.map((p) => p[2](ctx));
    if (self !== undefined || row[1] || !row[0]) {
      // all good: must resolve (GpuBenchWorkload.create rejects: no WebGPU in node)
      const noGpu = row[0] === 'GpuBenchWorkload';
      await check(`${key(row)}(good)`, 'good arguments', fn, self, good(), noGpu ? null : false, null);
      calls++;
    }
    for (let i = 0; i < params.length; i++) {
      const [name, kind, , o = {}] = params[i];
      for (const [cls, label, v] of badValues(params[i])) {
        const args = good();
        args[i] = v;
        const bad = !KINDS[kind].ok(v, o);
        const names = new RegExp(`${name}|${(NAMES[name] ?? /^$/).source}|${words(label.split(' = ')[1]).source}`);
        await check(`${key(row)} ${label}`, bad ? cls : 'valid edge value', fn, self, args, bad ? true : null, names);
        calls++;
      }
    }
    if (row[0] && !row[1]) {
      // an instance method called on something that is not a live instance of its class
      const C = pkg[row[0]];
      for (const [label, self2] of [['{}', {}], ['undefined', undefined], ['a freed instance', ctx.freed[row[0]]]]) {
        if (self2 === undefined && label !== 'undefined') continue;
        await check(`${key(row)} this = ${label}`, 'bad this', C.prototype[row[2]], self2, good(), true, null);
        calls++;
      }
    }
  }
  console.log(`targeted: ${calls} calls, ${ctx.checks} health checks after rejections`);
  assert.ok(calls > 500, `${calls} targeted calls`);
});

test('seeded random combinations of bad arguments never trap', async () => {
  console.log(`seed ${SEED} (QUANTPLAY_FUZZ_SEED), ${RANDOM_CALLS} random calls`);
  const r = rng(SEED);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const rows = EXPORTS.filter((row) => row[3].length > 0 && row[0] !== 'GpuBenchWorkload');
  const pools = new Map(rows.map((row) => [row, row[3].map((p) => badValues(p))]));
  const randomNumber = () => {
    const x = r() < 0.5 ? (r() < 0.5 ? -1 : 1) * 2 ** (r() * 64) : (r() - 0.5) * 2000;
    return r() < 0.5 ? Math.floor(x) : x;
  };
  const randomString = () => Array.from({ length: Math.floor(r() * 12) }, () => String.fromCharCode(Math.floor(r() * 0x250))).join('');
  const mutateJson = (text) => {
    let obj;
    try {
      obj = JSON.parse(text);
    } catch {
      return text.slice(0, Math.floor(r() * text.length));
    }
    if (obj && typeof obj === 'object' && !Array.isArray(obj) && r() < 0.7) {
      const k = pick([...Object.keys(obj), 'samples', 'hidden', 'steps_done', 'calib_size', 'backend', 'bogus']);
      obj[k] = pick([randomNumber(), randomNumber(), randomString(), null, [], [randomNumber()], {}, true]);
      return JSON.stringify(obj);
    }
    const at = Math.floor(r() * text.length);
    return text.slice(0, at) + pick(['{', '}', '"', ',', ':', '[', '1e999', '-', '\\']) + text.slice(at + 1);
  };
  let known = 0;
  for (let i = 0; i < RANDOM_CALLS; i++) {
    const row = pick(rows);
    const [fn, self] = callee(row);
    let anyKnownBad = false;
    let allGood = true;
    const args = row[3].map((p, j) => {
      const [, kind, good, o = {}] = p;
      const u = r();
      if (u < 0.35) return good(ctx);
      allGood = false;
      if (u < 0.7 || kind === 'instance') {
        const [, , v] = pick(pools.get(row)[j]);
        if (!KINDS[kind].ok(v, o)) anyKnownBad = true;
        return v;
      }
      if (kind === 'json') return mutateJson(good(ctx));
      let v = pick([randomNumber, randomNumber, randomString, () => [randomNumber()]])();
      // a valid but long call (a Trainer.run of 90,000 steps) would only be slow
      if (kind === 'steps' && KINDS.steps.ok(v)) v = (v % 8) + 1;
      return v;
    });
    known += anyKnownBad;
    const label = `random #${i} ${key(row)}(${args.map(show).join(', ')})`;
    await check(label, 'random combination', fn, self, args, anyKnownBad ? true : allGood ? false : null, null);
  }
  console.log(`random: ${RANDOM_CALLS} calls, ${known} with a known-bad value; ${ctx.checks} health checks in all`);
});

test('bad-input classes, counted', () => {
  const rows = [...counts].sort(([a], [b]) => a.localeCompare(b));
  console.log('| class | calls | rejected (named Error) | accepted | traps | panics |');
  console.log('|---|---|---|---|---|---|');
  for (const [cls, c] of rows) console.log(`| ${cls} | ${c.calls} | ${c.rejected} | ${c.accepted} | 0 | 0 |`);
  assert.equal(pkg.last_panic(), null);
  assert.ok(counts.size > 10, 'every class ran');
});
