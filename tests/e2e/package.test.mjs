// The npm package as a user gets it: `scripts/package` builds target/npm/quantplay-VERSION.tgz
// (a no-op when up to date; scripts/test's e2e layer runs it first), which is installed with
// `npm install --offline` into a fresh temp folder with an empty npm cache, so nothing comes from
// the repo or the network. From THAT folder: the README's examples are extracted and run (the
// node one in Node; the page and its Web Worker in /usr/bin/chromium), and `init` is started
// from bytes, URLs, a path, a Response and a compiled Module. Not the API's own tests (those are
// wasm-surface, training, quantize): this checks packaging, start-up and the examples.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from './browser.mjs';
import { MIME } from '../../scripts/server.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = readFileSync(join(ROOT, 'crate/Cargo.toml'), 'utf8').match(/^version\s*=\s*"([^"]+)"/m)[1];
const TARBALL = join(ROOT, `target/npm/quantplay-${VERSION}.tgz`);
let dir; // the temp folder the tarball is installed into
let pkgDir; // dir/node_modules/quantplay

before(() => {
  execFileSync('bash', ['scripts/package'], { cwd: ROOT, stdio: 'inherit', timeout: 1_500_000 });
  assert.ok(existsSync(TARBALL), `scripts/package did not write ${TARBALL}`);
  dir = mkdtempSync(join(tmpdir(), 'quantplay-npm-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'uses-quantplay', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--cache', join(dir, '.npm-cache'), TARBALL], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  pkgDir = join(dir, 'node_modules/quantplay');
  // The README's examples, each the code block after its `<!-- example: NAME -->` marker.
  const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
  for (const [, name, body] of readme.matchAll(/<!-- example: (\S+) -->\n```\w*\n([\s\S]*?)```/g)) writeFileSync(join(dir, name), body);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the tarball installs offline and holds the module, its types and the wasm at the crate version, without the bench workloads', () => {
  const meta = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  assert.equal(meta.name, 'quantplay');
  assert.equal(meta.version, VERSION, 'the package version follows crate/Cargo.toml');
  assert.equal(meta.type, 'module');
  assert.equal(meta.sideEffects, false);
  assert.deepEqual(Object.keys(meta.exports['.']), ['types', 'node', 'browser', 'default']);
  assert.deepEqual(meta.dependencies ?? {}, {}, 'no dependencies, so --offline installs work');
  for (const f of ['index.js', 'index.d.ts', 'quantplay.js', 'quantplay.d.ts', 'quantplay_bg.wasm', 'README.md']) {
    assert.ok(existsSync(join(pkgDir, f)), `${f} is in the package`);
  }
  const dts = readFileSync(join(pkgDir, 'quantplay.d.ts'), 'utf8');
  assert.match(dts, /export class Trainer/);
  assert.doesNotMatch(dts, /BenchWorkload/, 'the package is built without the bench feature');
  assert.match(readFileSync(join(pkgDir, 'index.d.ts'), 'utf8'), /export function init\(options\?: InitOptions\): Promise<void>;/);
  // Browsers must never be handed a static import of a Node built-in.
  assert.doesNotMatch(readFileSync(join(pkgDir, 'index.js'), 'utf8'), /^import .*['"]node:/m);
  for (const name of ['node.mjs', 'index.html', 'worker.js']) {
    const lines = readFileSync(join(dir, name), 'utf8').trimEnd().split('\n').length;
    assert.ok(lines <= 20, `the README's ${name} example is ${lines} lines; at most 20`);
  }
});

test('the README node example, run from the install folder, trains with a falling loss and quantizes', (t) => {
  const out = execFileSync(process.execPath, ['node.mjs'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  t.diagnostic(out.trim().replaceAll('\n', ' | '));
  const [, steps, ms] = out.match(/^(\d+) steps in (\d+) ms$/m) ?? assert.fail(out);
  assert.equal(Number(steps), 200, out);
  assert.ok(Number(ms) > 0, out);
  const [, first, last] = out.match(/^loss first 20 ([\d.]+) last 20 ([\d.]+)$/m) ?? assert.fail(out);
  assert.ok(Number(last) < 0.8 * Number(first), `the loss falls by more than 20%: ${out}`);
  const [, fl, q] = out.match(/^float accuracy ([\d.]+) int8 accuracy ([\d.]+) on cpu$/m) ?? assert.fail(out);
  assert.ok(Number(fl) > 0.6, `the float model learned the circle: ${out}`);
  assert.ok(Math.abs(Number(fl) - Number(q)) <= 0.05, `int8 within 5 points of float: ${out}`);
});

/** Runs `body` (module code after `import * as qp from 'quantplay'`) in a fresh Node from the install folder. */
function nodeRun(body) {
  const file = join(dir, `kind-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, `import * as qp from 'quantplay';\nimport { readFile } from 'node:fs/promises';\n${body}\n`);
  return execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 60_000 }).trim();
}

test('init in node starts from bytes, an ArrayBuffer, a file URL, a path and a Module, once, and names the valid kinds for a bad one', () => {
  const wasm = "new URL(import.meta.resolve('quantplay/quantplay_bg.wasm'))";
  const sources = {
    bytes: `await readFile(${wasm})`,
    arraybuffer: `((u) => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength))(await readFile(${wasm}))`,
    url: wasm,
    'url string': `${wasm}.href`,
    path: `'node_modules/quantplay/quantplay_bg.wasm'`,
    module: `await WebAssembly.compile(await readFile(${wasm}))`,
    promise: `readFile(${wasm})`,
  };
  for (const [kind, expr] of Object.entries(sources)) {
    const out = nodeRun(`const a = qp.init({ wasm: ${expr} }); const b = qp.init({ wasm: 42 });
await a; console.log(a === b, qp.Playground.random(3, 7, 0, 1).length);`);
    assert.equal(out, 'true 3', `init from ${kind}: the second call returns the first promise and the module works`);
  }
  const bad = nodeRun(`try { await qp.init({ wasm: 42 }); console.log('started'); } catch (e) { console.log(e.name, e.message); }
await qp.init(); console.log('retry', qp.Playground.random(2, 1, 0, 1).length);`);
  assert.match(bad, /^TypeError quantplay init: options\.wasm is number; valid: undefined, URL, string, ArrayBuffer, Uint8Array, Response, WebAssembly\.Module/);
  assert.match(bad, /^retry 2$/m, 'a failed start-up lets the next call try again');
});

/** Serves `root` on 127.0.0.1 (a secure context), `.wasm` as application/wasm. */
function serve(root) {
  const server = createServer(async (req, res) => {
    const file = normalize(join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    if (req.url === '/favicon.ico') return res.writeHead(204).end(); // the examples have none
    try {
      if (!file.startsWith(root + sep)) throw new Error('outside');
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': MIME[extname(file)] || 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ url: `http://127.0.0.1:${server.address().port}/`, server })));
}

test('the README browser example, served from the install folder, trains and quantizes in the page and starts in a Web Worker; init takes bytes, a URL, a Response and a Module', async (t) => {
  const kinds = {
    bytes: `await (await fetch(wasm)).arrayBuffer()`,
    uint8array: `new Uint8Array(await (await fetch(wasm)).arrayBuffer())`,
    url: `wasm`,
    'url string': `wasm.href`,
    response: `await fetch(wasm)`,
    module: `await WebAssembly.compileStreaming(fetch(wasm))`,
  };
  writeFileSync(join(dir, 'kinds.html'), `<!doctype html><script type="module">
import * as qp from './node_modules/quantplay/index.js';
const wasm = new URL('./node_modules/quantplay/quantplay_bg.wasm', location.href);
const kind = new URLSearchParams(location.search).get('kind');
const sources = { ${Object.entries(kinds).map(([k, e]) => `'${k}': async () => ${e}`).join(', ')} };
try { await qp.init({ wasm: await sources[kind]() }); document.title = 'ok ' + qp.Playground.random(4, 1, 0, 1).length; }
catch (e) { document.title = 'failed ' + e.message; }
</script>`);
  const { url, server } = await serve(dir);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${url}index.html`);
    await page.waitForFunction(() => document.getElementById('out').textContent.includes('worker:'), null, { timeout: 90_000 });
    const out = await page.textContent('#out');
    t.diagnostic(out.trim().replaceAll('\n', ' | '));
    assert.match(out, /^backend (cpu|webgpu)$/m);
    const [, a, b] = out.match(/^loss ([\d.]+) -> ([\d.]+)$/m) ?? assert.fail(out);
    assert.ok(Number(b) < Number(a), `the page's loss falls: ${out}`);
    const [, fl, q] = out.match(/^float accuracy ([\d.]+) int8 accuracy ([\d.]+)$/m) ?? assert.fail(out);
    assert.ok(Number(fl) > 0.6 && Math.abs(Number(fl) - Number(q)) <= 0.05, out);
    const [, , wa, wb] = out.match(/^worker: backend (cpu|webgpu) loss ([\d.]+) -> ([\d.]+)$/m) ?? assert.fail(out);
    assert.ok(Number(wb) < Number(wa), `the worker's loss falls: ${out}`);
    assert.deepEqual(errors, []);
    for (const kind of Object.keys(kinds)) {
      await page.goto(`${url}kinds.html?kind=${encodeURIComponent(kind)}`);
      await page.waitForFunction(() => /^(ok|failed)/.test(document.title), null, { timeout: 30_000 });
      assert.equal(await page.title(), 'ok 4', `init from ${kind} in the page`);
    }
  } finally {
    await browser.close();
    server.closeAllConnections();
    server.close();
  }
});
