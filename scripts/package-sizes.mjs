// Measures the npm package's .wasm for docs/performance.md ("Package size"): raw and gzipped
// (node zlib, level 9) bytes with and without the `bench` feature, unoptimised and after
// wasm-opt -O3, -Oz and -Os, and, per level without bench, the README node example's training
// time (median of RUNS runs, each a fresh Node; the levels take turns run by run, so load from
// other work on the machine spreads over all of them). Not a test and not part of the build: it reads
// the cargo outputs that scripts/package (no bench) and scripts/build-wasm (bench) leave, so run
// both first. Usage: node scripts/package-sizes.mjs [RUNS=5]
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.argv[2] ?? 5);
const BUILDS = {
  'no bench': join(ROOT, 'target/npm/cargo/wasm32-unknown-unknown/release/quantplay.wasm'),
  bench: join(ROOT, 'target/wasm32-unknown-unknown/release/quantplay.wasm'),
};
const LEVELS = ['none', '-O3', '-Oz', '-Os'];
const wasmOpt = join(ROOT, 'node_modules/.bin/wasm-opt');
const work = mkdtempSync(join(tmpdir(), 'quantplay-sizes-'));
const readme = readFileSync(join(ROOT, 'npm/README.md'), 'utf8');
const example = readme.match(/<!-- example: node\.mjs -->\n```\w*\n([\s\S]*?)```/)[1];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows = [];
for (const [build, raw] of Object.entries(BUILDS)) {
  if (!existsSync(raw)) throw new Error(`${raw} is missing: run ${build === 'bench' ? 'scripts/build-wasm' : 'scripts/package'} first`);
  const bindgen = join(work, build.replace(' ', '-'));
  execFileSync('wasm-bindgen', ['--target', 'web', '--out-dir', bindgen, raw]);
  for (const level of LEVELS) {
    const pkg = join(work, `${build.replace(' ', '-')}${level}`, 'node_modules/quantplay');
    mkdirSync(pkg, { recursive: true });
    cpSync(bindgen, pkg, { recursive: true });
    for (const f of ['index.js', 'index.d.ts']) cpSync(join(ROOT, 'npm', f), join(pkg, f));
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'quantplay', type: 'module', exports: { '.': './index.js', './quantplay_bg.wasm': './quantplay_bg.wasm' } }));
    const wasm = join(pkg, 'quantplay_bg.wasm');
    let optMs = 0;
    if (level !== 'none') {
      const t0 = performance.now();
      execFileSync(wasmOpt, [level, wasm, '-o', wasm]);
      optMs = performance.now() - t0;
    }
    const bytes = readFileSync(wasm);
    const row = { build, level, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, optS: (optMs / 1000).toFixed(0) };
    if (build === 'no bench') {
      row.dir = join(pkg, '../..');
      writeFileSync(join(row.dir, 'node.mjs'), example);
      row.ms = [];
    }
    rows.push(row);
    console.error(JSON.stringify(row));
  }
}
for (let i = 0; i < RUNS; i++) {
  for (const row of rows.filter((r) => r.ms)) {
    const out = execFileSync(process.execPath, ['node.mjs'], { cwd: row.dir, encoding: 'utf8' });
    row.ms.push(Number(out.match(/^\d+ steps in (\d+) ms$/m)[1]));
  }
}
for (const row of rows.filter((r) => r.ms)) row.trainMs = `${median(row.ms)} (${row.ms.join(', ')})`;
rmSync(work, { recursive: true, force: true });
const flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:\s*(.*)$/m)?.[1].split(' ') ?? [];
const simd = flags.filter((f) => /^(sse4_2|avx|avx2|fma|f16c|avx512f|avx512bw|avx512vl|avx512_vnni|avx512_bf16|avx_vnni)$/.test(f));
console.log(`CPU: ${cpus()[0].model}, ${cpus().length} cores; flags: ${simd.join(' ')}; node ${process.version}; ${execFileSync(wasmOpt, ['--version'], { encoding: 'utf8' }).trim()}\n`);
console.log('| build | wasm-opt | .wasm bytes | gzipped (level 9) | wasm-opt time (s) | node example: 200 training steps, ms (median of runs) |');
console.log('|---|---|---:|---:|---:|---|');
for (const r of rows) console.log(`| ${r.build} | ${r.level} | ${r.raw} | ${r.gzip} | ${r.level === 'none' ? '' : r.optS} | ${r.trainMs ?? ''} |`);
