// Shared setup for the e2e tests: serves the repo on 127.0.0.1 (a secure context, so WebGPU is
// allowed) and launches Debian's /usr/bin/chromium through playwright-core with WebGPU on and the
// flags that keep it off this machine's closed network. Screenshots go to tests/artifacts/.
import { chromium } from 'playwright-core';
import { mkdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../scripts/server.mjs';

export const ARTIFACTS = fileURLToPath(new URL('../artifacts/e2e/', import.meta.url));

export const CHROMIUM_ARGS = [
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

/**
 * Starts the server and the browser; resolves to `{ url, browser, close }`. `webgpu: false`
 * launches Chromium with WebGPU switched off, as on a browser without it.
 */
export async function openBrowser({ webgpu = true } = {}) {
  const pkg = fileURLToPath(new URL('../../www/pkg/quantplay.js', import.meta.url));
  if (!existsSync(pkg)) throw new Error(`${pkg} is missing: run scripts/build-wasm first`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const server = await startServer({ port: 0 });
  const args = webgpu ? CHROMIUM_ARGS : [...CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu'), '--disable-features=WebGPU'];
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
  return {
    url: server.url,
    browser,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

/** A new page that records console errors and uncaught exceptions into `page.errors`. */
export async function newPage(browser) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => page.errors.push(`pageerror: ${err.message}`));
  return page;
}

/** Waits until the page has loaded the wasm and opened its backend (or failed to). */
export async function waitReady(page) {
  await page.waitForFunction(() => ['ready', 'error'].includes(document.getElementById('status')?.dataset.state), null, { timeout: 60_000 });
  return page.evaluate(() => ({
    state: document.getElementById('status').dataset.state,
    status: document.getElementById('status').textContent,
    backend: document.getElementById('backend-info').dataset.backend,
    facts: document.getElementById('backend-info').innerText,
    message: document.getElementById('message').hidden ? '' : document.getElementById('message').textContent,
  }));
}

/** Opens `hash` on a fresh page and waits for the runs to exist; returns `{ page, ready }`. */
export async function openPage(env, hash = '') {
  const page = await newPage(env.browser);
  await page.goto(`${env.url}${hash}`);
  const ready = await waitReady(page);
  await page.waitForSelector('#train-summary[data-steps]', { timeout: 60_000 });
  return { page, ready };
}

/** The Training panel's summary, as the page writes it into #train-summary's data attributes. */
export function trainSummary(page) {
  return page.evaluate(() => ({ ...document.getElementById('train-summary').dataset, text: document.getElementById('train-summary').textContent }));
}

/** Presses Start, waits until at least `steps` steps are recorded, presses Pause and waits for it. */
export async function train(page, steps, timeout = 120_000) {
  await page.click('#train-toggle');
  await page.waitForFunction((n) => Number(document.getElementById('train-summary').dataset.steps) >= n, steps, { timeout, polling: 200 });
  await page.click('#train-toggle');
  await page.waitForFunction(() => document.getElementById('train-toggle').textContent === 'Start' && /paused/.test(document.getElementById('train-progress').textContent), null, { timeout: 30_000 });
  return trainSummary(page);
}
