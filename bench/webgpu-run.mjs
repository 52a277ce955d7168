// Runs bench/webgpu/peers.html in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core, WebGPU on; SwiftShader on a machine without a GPU), served from the repo root
// on 127.0.0.1 by scripts/server.mjs (scope 'repo'), waits for window.__bench and prints it as JSON.
//
//   node bench/webgpu-run.mjs [--n 512] [--rounds 7] [--warmup 2] [--only key,...]
//                             [--timeout 600] [--chromium /usr/bin/chromium] [--screenshot f.png]
//
// Exits 1 if the page reports an error or times out. Each launch gets a fresh temporary profile.
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/server.mjs';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

function opt(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] != null ? process.argv[i + 1] : fallback;
}

const query = new URLSearchParams();
for (const k of ['n', 'rounds', 'warmup', 'only']) {
  const v = opt(k, null);
  if (v != null) query.set(k, v);
}
const timeoutMs = Number(opt('timeout', 600)) * 1000;
const executablePath = opt('chromium', '/usr/bin/chromium');

const server = await startServer({ port: 0, scope: 'repo' });
// chromium.launch() creates (and removes) a fresh temporary user-data-dir for each launch.
const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
let exitCode = 0;
try {
  const page = await browser.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  const url = `${server.url}bench/webgpu/peers.html${query.size ? `?${query}` : ''}`;
  console.error(`chromium ${browser.version()}: ${url}`);
  await page.goto(url);
  let result;
  try {
    await page.waitForFunction(() => ['done', 'error'].includes(window.__bench?.status), null,
      { timeout: timeoutMs, polling: 500 });
    result = await page.evaluate(() => window.__bench);
  } catch (e) {
    result = { status: 'error', error: `timed out after ${timeoutMs / 1000}s: ${e.message}`,
      partial: await page.evaluate(() => window.__bench ?? null) };
  }
  const shot = opt('screenshot', null);
  if (shot) await page.screenshot({ path: shot, fullPage: true });
  if (result.status !== 'done') {
    exitCode = 1;
    console.error(`page error: ${result.error}`);
    for (const l of logs) console.error(`  ${l}`);
  }
  for (const r of result.results ?? []) {
    console.error(`${r.name.padEnd(32)} median ${r.median_ms.toFixed(2).padStart(9)} ms ` +
      `${r.gflops.toFixed(2).padStart(8)} GFLOP/s  checksum ${r.checksum.toPrecision(10)} ` +
      `(expected ${r.expected.toPrecision(10)})`);
  }
  console.log(JSON.stringify({ bench: 'peers-webgpu', chromium: browser.version(), ...result }));
} finally {
  await browser.close();
  await server.close();
}
process.exit(exitCode);
