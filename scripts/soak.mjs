// The playground soak: drives the real page in headless Chromium for N minutes per backend with
// training running, and samples once a minute the step count, the JS heap of the page's main
// thread, the DOM node count and the frame time (requestAnimationFrame intervals over 3 s:
// median and p95), plus every page error. Every few minutes it also pauses, steps, injects an
// overflow, quantizes, resizes and resumes, as a user would. Prints one Markdown table per
// backend. Not a CI test (it takes minutes); run: node scripts/soak.mjs [minutes] [backends…]
//   node scripts/soak.mjs 10 cpu webgpu
import { openBrowser, newPage, waitReady } from '../tests/e2e/browser.mjs';

const minutes = Number(process.argv[2] || 10);
const backends = process.argv.slice(3).length ? process.argv.slice(3) : ['cpu', 'webgpu'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function sample(page, cdp) {
  const frames = await page.evaluate(() => new Promise((done) => {
    const ts = [];
    const t0 = performance.now();
    const tick = (t) => {
      ts.push(t);
      if (t - t0 < 3000) requestAnimationFrame(tick);
      else done(ts.slice(1).map((t, i) => t - ts[i]).sort((a, b) => a - b));
    };
    requestAnimationFrame(tick);
  }));
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const dom = await page.evaluate(() => document.getElementsByTagName('*').length);
  const steps = Number(await page.evaluate(() => document.getElementById('train-summary').dataset.steps));
  const q = (p) => frames[Math.min(frames.length - 1, Math.floor(p * frames.length))] ?? NaN;
  return { steps, heapMiB: usedSize / 2 ** 20, dom, frameMedian: q(0.5), frameP95: q(0.95) };
}

/** What a user does between samples: pause, one step, an injected overflow, quantize, resume. */
async function poke(page, minute) {
  await page.click('#train-toggle'); // pause
  await page.waitForFunction(() => document.getElementById('train-toggle').textContent === 'Start', null, { timeout: 60_000 });
  await page.click('#train-step');
  if (minute % 2 === 0) await page.click('#inject-overflow');
  if (minute % 3 === 0) {
    await page.click('#run-quant');
    await page.waitForSelector('#quant-result[data-done]', { timeout: 120_000 });
  }
  await page.setViewportSize({ width: minute % 2 ? 1024 : 1280, height: 800 });
  await page.click('#train-toggle'); // resume
}

async function soak(env, backend) {
  const page = await newPage(env.browser);
  const cdp = await page.context().newCDPSession(page);
  await page.goto(`${env.url}#backend=${backend}`);
  const ready = await waitReady(page);
  if (ready.state !== 'ready') throw new Error(`${backend}: ${ready.status}`);
  await page.waitForSelector('#train-summary[data-steps]', { timeout: 60_000 });
  await page.click('#train-toggle');
  const rows = [];
  const t0 = Date.now();
  for (let m = 1; m <= minutes; m++) {
    await sleep(Math.max(0, t0 + m * 60_000 - Date.now() - 3000));
    const s = await sample(page, cdp);
    rows.push({ minute: m, ...s, errors: page.errors.length });
    console.error(`${backend} minute ${m}: ${JSON.stringify(rows.at(-1))}`);
    if (m < minutes) await poke(page, m);
  }
  await page.close();
  return { rows, errors: page.errors };
}

const env = await openBrowser();
try {
  for (const backend of backends) {
    const { rows, errors } = await soak(env, backend);
    console.log(`\n### ${backend}, ${minutes} minutes (headless Chromium${backend === 'webgpu' ? ', SwiftShader' : ''})\n`);
    console.log('| minute | steps | JS heap (MiB) | DOM nodes | frame median (ms) | frame p95 (ms) | errors |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(`| ${r.minute} | ${r.steps} | ${r.heapMiB.toFixed(1)} | ${r.dom} | ${r.frameMedian.toFixed(1)} | ${r.frameP95.toFixed(1)} | ${r.errors} |`);
    }
    console.log(errors.length ? `\nerrors:\n${errors.join('\n')}` : '\nno page error');
  }
} finally {
  await env.close();
}
