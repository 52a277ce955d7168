// End-to-end: the full step log (issue 15, item 5). With "Record full log" on, every step record
// of both runs goes to a JSON Lines file in the Origin Private File System (full-log.js,
// full-log-worker.js) while the page keeps only history.js's bounded history; "Download full
// log" saves it (playwright's download event). Real CPU steps of a tiny model, driven in large
// chunks through the runner as long-run.test.mjs does; the WebGPU case destroys the device
// mid-run (as device-loss.test.mjs does) and checks the log neither loses nor repeats a step.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openBrowser, openPage, trainSummary, waitReady } from './browser.mjs';
import { drive } from './synthetic.mjs';
import { TAIL } from '../../www/history.js';

let env;
before(async () => {
  env = await openBrowser();
});
after(async () => {
  await env?.close();
});

const HASH = '#backend=cpu&dataset=circle&hidden=4&samples=200';

/** #full-log-info's data attributes, once the OPFS probe has answered. */
async function logInfo(page) {
  await page.waitForFunction(() => document.getElementById('full-log-info').dataset.available !== 'null', null, { timeout: 30_000 });
  return page.evaluate(() => ({ ...document.getElementById('full-log-info').dataset, text: document.getElementById('full-log-info').textContent, button: !document.getElementById('full-log-download').disabled }));
}

/** Clicks "Download full log"; resolves to the file's name, size and parsed lines. */
async function download(page) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click('#full-log-download')]);
  const text = readFileSync(await dl.path(), 'utf8');
  assert.ok(text.endsWith('\n'), 'the file ends with a whole line');
  return { name: dl.suggestedFilename(), bytes: Buffer.byteLength(text), lines: text.split('\n').slice(0, -1).map((l) => JSON.parse(l)) };
}

/** Asserts run `which`'s lines are steps from..to, in order, each once; returns them. */
function consecutive(lines, which, from, to) {
  const mine = lines.filter((l) => l.run === which);
  const steps = mine.map((l) => l.step);
  assert.equal(steps.length, to - from + 1, `${which}: one line per step ${from}..${to}`);
  steps.forEach((s, i) => assert.equal(s, from + i, `${which}: line ${i} is step ${from + i}`));
  return mine;
}

/** The records the page's histories still hold whole, as it got them. */
const heldRecords = (page) => page.evaluate(async () => {
  const r = window.quantplay.app.runner;
  await r.exclusive(() => null);
  return { fp32: r.runs.fp32.history.tail(1e9), main: r.runs.main.history.tail(1e9), n: r.runs.main.history.length };
});

/** The main thread's JS heap after a full collection, in bytes (the Chrome DevTools protocol). */
async function heapAfterGc(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  return (await cdp.send('Runtime.getHeapUsage')).usedSize;
}

/** Names in the page's OPFS root. */
const opfsNames = (page) => page.evaluate(async () => {
  const names = [];
  for await (const name of (await navigator.storage.getDirectory()).keys()) names.push(name);
  return names;
});

test('a recorded run longer than the history keeps downloads one line per step per run, equal to the records the page got, with the heap bounded', async () => {
  const { page } = await openPage(env, `${HASH}&full_log=1`);
  const cdp = await page.context().newCDPSession(page);
  const start = await logInfo(page);
  assert.equal(start.available, 'true', start.text);
  assert.equal(start.recording, 'true', start.text);
  assert.equal(start.button, false, 'nothing to download before the first step');
  let d = await drive(page, 2000, 500, 0);
  assert.deepEqual(d.errors, []);
  const heap1 = await heapAfterGc(cdp);
  const bytes1 = Number((await logInfo(page)).bytes);
  d = await drive(page, 18000, 500, 0);
  assert.deepEqual(d.errors, []);
  const heap2 = await heapAfterGc(cdp);
  const info = await logInfo(page);
  const n = 20000;
  assert.equal((await trainSummary(page)).steps, String(n));
  assert.ok(n > 2 * TAIL + 2048, 'more steps than the history keeps whole or in single-step buckets');
  const grew = Number(info.bytes) - bytes1;
  console.log(`full log: ${info.lines} lines, ${info.bytes} B; heap ${(heap1 / 1e6).toFixed(2)} MB at step 2,000, ${(heap2 / 1e6).toFixed(2)} MB at step ${n} while the log grew ${(grew / 1e6).toFixed(2)} MB`);
  assert.ok(heap2 - heap1 < Math.min(2e6, grew / 4), `heap grew ${heap2 - heap1} B while the log grew ${grew} B`);
  assert.equal(info.lines, String(2 * n));
  assert.equal(info.dropped, '0');
  assert.match(info.text, /Recording: 40,000 lines \(steps 1–20,000 of each run\)/);

  const file = await download(page);
  assert.match(file.name, /\.jsonl$/);
  assert.equal(file.bytes, Number(info.bytes), 'the download is the whole file the page reports');
  assert.equal(file.lines.length, 2 * n);
  const held = await heldRecords(page);
  assert.equal(held.n, n);
  for (const which of ['fp32', 'main']) {
    const mine = consecutive(file.lines, which, 1, n);
    assert.ok(held[which].length >= TAIL && held[which].length < n);
    const logged = mine.slice(-held[which].length).map(({ run, ...rec }) => rec);
    assert.deepEqual(logged, held[which], `${which}: the logged records equal the ${held[which].length} the page still holds`);
  }
  assert.deepEqual(file.lines.filter((l) => l.run === 'main')[0], { run: 'main', ...(await page.evaluate(() => window.quantplay.app.runner.runs.main.history.first)) });
  // recording goes on after a download
  await drive(page, 500, 500, 0);
  assert.equal((await logInfo(page)).lines, String(2 * (n + 500)));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('with the toggle off nothing is written, and switching it on records from the next step without restarting the runs', async () => {
  const { page } = await openPage(env, HASH);
  await drive(page, 300, 100, 0);
  const off = await logInfo(page);
  assert.equal(off.recording, 'false');
  assert.equal(off.lines, '0');
  assert.equal(off.button, false);
  assert.match(off.text, /nothing is written/);
  assert.ok(!(await opfsNames(page)).includes('full-log.jsonl'), `OPFS holds ${await opfsNames(page)}`);
  await page.check('[data-key="full_log"]');
  await page.waitForFunction(() => document.getElementById('full-log-info').dataset.recording === 'true');
  assert.equal(new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).get('full_log'), '1');
  assert.equal((await trainSummary(page)).steps, '300', 'the runs were not restarted');
  await drive(page, 100, 50, 0);
  const file = await download(page);
  consecutive(file.lines, 'fp32', 301, 400);
  consecutive(file.lines, 'main', 301, 400);
  // off again: the file stays for download and grows no more
  await page.uncheck('[data-key="full_log"]');
  await page.waitForFunction(() => document.getElementById('full-log-info').dataset.recording === 'false');
  await drive(page, 100, 50, 0);
  const kept = await logInfo(page);
  assert.equal(kept.lines, '200');
  assert.match(kept.text, /kept for download/);
  assert.equal((await download(page)).lines.length, 200);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a reset starts a new log that replaces the old one', async () => {
  const { page } = await openPage(env, `${HASH}&full_log=1`);
  await drive(page, 400, 200, 0);
  assert.equal((await logInfo(page)).lines, '800');
  await page.click('#train-reset');
  await page.waitForFunction(() => document.getElementById('train-summary').dataset.steps === '0' && document.getElementById('full-log-info').dataset.lines === '0');
  await drive(page, 100, 100, 0);
  const file = await download(page);
  assert.equal(file.lines.length, 200, 'only the new runs\' steps');
  consecutive(file.lines, 'fp32', 1, 100);
  consecutive(file.lines, 'main', 1, 100);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('without the Origin Private File System the page says so and keeps the toggle off', async () => {
  const page = await env.browser.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.addInitScript(() => { delete StorageManager.prototype.getDirectory; });
  await page.goto(`${env.url}${HASH}&full_log=1`);
  const info = await logInfo(page);
  assert.equal(info.available, 'false');
  assert.match(info.text, /no Origin Private File System/);
  assert.equal(await page.isDisabled('#full-log input[type=checkbox]'), true);
  assert.equal(await page.isChecked('#full-log input[type=checkbox]'), false);
  assert.equal(new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).get('full_log'), '0');
  await page.waitForSelector('#train-summary[data-steps]');
  await drive(page, 50, 50, 0);
  assert.equal((await logInfo(page)).lines, '0');
  await page.evaluate(() => { location.hash = location.hash.replace('full_log=0', 'full_log=1'); });
  await page.waitForFunction(() => /full_log=0/.test(location.hash), null, { timeout: 10_000 });
  assert.equal((await logInfo(page)).recording, 'false', 'a hand-edited hash cannot switch it on');
  assert.deepEqual(page.errors, []);
  await page.close();
});

/**
 * Arms the page: the next `method` call ('run' or 'snapshot', after a run) on run `which` asks
 * the worker to destroy its WebGPU device right after it, so the loss lands while the call is
 * in flight (device-loss.test.mjs's hook, condensed).
 */
const destroyDuring = (page, which, method) => page.evaluate(({ which, method }) => {
  const { engine, app } = window.quantplay;
  const run = app.runner.runs[which];
  const real = run.trainer;
  let armed = true;
  let ran = false;
  run.trainer = new Proxy(real, {
    get: (t, name) => {
      if (name !== 'run' && name !== 'snapshot') return t[name];
      return (...args) => {
        const sent = t[name](...args);
        if (name === 'run') ran = true;
        if (armed && name === method && (name === 'run' || ran)) {
          armed = false;
          window.__lossAt = app.runner.runs.main.history.length;
          engine.request('destroyDevices');
        }
        return sent;
      };
    },
  });
}, { which, method });

for (const [which, method] of [['fp32', 'run'], ['main', 'snapshot']]) {
  test(`a WebGPU device lost during the ${which} run's ${method} leaves the log with every step once: the CPU continues it`, async () => {
    const { page, ready } = await openPage(env, '#backend=webgpu&dataset=gauss&hidden=8&full_log=1');
    assert.equal(ready.backend, 'webgpu', ready.facts);
    assert.equal((await logInfo(page)).recording, 'true');
    await page.click('#train-toggle');
    await page.waitForFunction(() => Number(document.getElementById('train-summary').dataset.steps) >= 30, null, { timeout: 90_000 });
    await destroyDuring(page, which, method);
    await page.waitForSelector('#banner:not([hidden])', { timeout: 60_000 });
    await page.waitForFunction(() => Number(document.getElementById('train-summary').dataset.steps) >= window.__lossAt + 40, null, { timeout: 90_000 });
    await page.evaluate(() => window.quantplay.app.runner.pause());
    await page.waitForFunction(() => document.getElementById('train-toggle').textContent === 'Start', null, { timeout: 30_000 });
    const held = await heldRecords(page);
    assert.equal(await page.evaluate(() => window.quantplay.app.runner.backend), 'cpu');
    const file = await download(page);
    for (const w of ['fp32', 'main']) {
      const mine = consecutive(file.lines, w, 1, held.n);
      assert.deepEqual(mine.slice(-held[w].length).map(({ run, ...rec }) => rec), held[w], `${w}: the logged records equal the page's`);
    }
    const info = await logInfo(page);
    assert.equal(info.dropped, '0', 'no step reached the log twice');
    console.log(`device lost at step ${await page.evaluate(() => window.__lossAt)}; log ${info.lines} lines, steps 1..${held.n} of each run`);
    await page.close();
  });
}

test('Back and Forward switch the recording as the URL says, and neither restarts the runs', async () => {
  const { page } = await openPage(env, HASH);
  await drive(page, 50, 50, 0);
  await page.check('[data-key="full_log"]');
  await page.waitForFunction(() => document.getElementById('full-log-info').dataset.recording === 'true');
  await page.goBack();
  await page.waitForFunction(() => document.getElementById('full-log-info').dataset.recording === 'false');
  assert.equal(await page.isChecked('[data-key="full_log"]'), false);
  await page.goForward();
  await page.waitForFunction(() => document.getElementById('full-log-info').dataset.recording === 'true');
  assert.equal(await page.isChecked('[data-key="full_log"]'), true);
  await drive(page, 20, 20, 0);
  assert.equal((await trainSummary(page)).steps, '70', 'the runs went on');
  const info = await logInfo(page);
  assert.deepEqual([info.lines, info.mainFirst, info.fp32First], ['40', '51', '51']);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a write the storage refuses stops the recording with the reason, keeps what was written and training goes on', async () => {
  const { page } = await openPage(env, `${HASH}&full_log=1`);
  await drive(page, 100, 50, 0);
  await page.evaluate(() => {
    const log = window.quantplay.app.fullLog;
    const real = log.request;
    log.request = (op, args) => (op === 'append' ? Promise.reject(new Error('QuotaExceededError: the quota is full')) : real(op, args));
  });
  const d = await drive(page, 100, 50, 0);
  assert.deepEqual(d.errors, []);
  assert.equal((await trainSummary(page)).steps, '200');
  const info = await logInfo(page);
  assert.equal(info.recording, 'false');
  assert.match(info.text, /Recording stopped: the file took no more \(QuotaExceededError: the quota is full\); the log \(200 lines \(steps 1–100 of each run\)/);
  assert.equal(await page.isChecked('[data-key="full_log"]'), false);
  assert.equal(new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).get('full_log'), '0');
  const file = await download(page);
  consecutive(file.lines, 'fp32', 1, 100);
  consecutive(file.lines, 'main', 1, 100);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a second tab of the page cannot open the log another tab records, says so, and still trains', async () => {
  const context = await env.browser.newContext();
  const open = async () => {
    const page = await context.newPage();
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(e.message));
    await page.goto(`${env.url}${HASH}&full_log=1`);
    await waitReady(page);
    await page.waitForSelector('#train-summary[data-steps]');
    return page;
  };
  const first = await open();
  assert.equal((await logInfo(first)).recording, 'true');
  const second = await open();
  await second.waitForFunction(() => document.getElementById('full-log-info').dataset.failed !== '');
  const info = await logInfo(second);
  assert.equal(info.recording, 'false');
  assert.match(info.text, /Not recording: the log file could not be opened \(NoModificationAllowedError: .*another tab of this page recording\?\)/);
  assert.equal(await second.isChecked('[data-key="full_log"]'), false);
  assert.deepEqual((await drive(second, 50, 50, 0)).errors, []);
  assert.equal(await second.evaluate(() => document.getElementById('message').hidden), true, 'no run error shown');
  await drive(first, 50, 50, 0);
  assert.equal((await logInfo(first)).lines, '100', 'the first tab records on');
  assert.deepEqual([...first.errors, ...second.errors], []);
  await context.close();
});

test('switched on while Start trains, the log starts both runs at the same step and misses none after it', async () => {
  const { page } = await openPage(env, HASH);
  await page.click('#train-toggle');
  await page.waitForFunction(() => Number(document.getElementById('train-summary').dataset.steps) >= 50, null, { timeout: 60_000 });
  await page.check('[data-key="full_log"]');
  await page.waitForFunction(() => Number(document.getElementById('full-log-info').dataset.lines) >= 400, null, { timeout: 60_000 });
  await page.click('#train-toggle');
  await page.waitForFunction(() => document.getElementById('train-toggle').textContent === 'Start', null, { timeout: 30_000 });
  const held = await heldRecords(page);
  const info = await logInfo(page);
  assert.equal(info.fp32First, info.mainFirst, 'both runs\' logs start at the same step');
  const from = Number(info.mainFirst);
  assert.ok(from > 50, `the log starts after the toggle (step ${from})`);
  const file = await download(page);
  consecutive(file.lines, 'fp32', from, held.n);
  consecutive(file.lines, 'main', from, held.n);
  assert.deepEqual(page.errors, []);
  await page.close();
});
