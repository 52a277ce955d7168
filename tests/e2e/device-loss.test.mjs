// End-to-end: a real GPU device loss (issue 17, part 3). The engine worker records every
// GPUDevice the wasm opens (engine-worker.js wraps GPUAdapter.prototype.requestDevice), and
// `window.quantplay.destroyGpu()` calls the browser's own GPUDevice.destroy() on them, so the
// `device.lost` promise, the rejected mapAsync and the dropped submissions are Chromium's
// (SwiftShader WebGPU here). Mid-training, mid-quantize, and after "Retry WebGPU": the runs move
// to the CPU from the last step the page shows, none lost or redone (step numbers 1..n on both
// runs), and the parameters equal a CPU run from the state the fallback restored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, openPage, train } from './browser.mjs';

let env;
before(async () => {
  env = await openBrowser();
});
after(async () => {
  await env?.close();
});

const HASH = '#backend=webgpu&dataset=gauss&hidden=8';

/** Both runs' step numbers and where they run, read after every queued call has finished. */
const runsNow = (page) => page.evaluate(async () => {
  const r = window.quantplay.app.runner;
  await r.exclusive(() => null);
  const steps = (h) => h.tail(256).map((x) => x.step);
  return {
    fp32: steps(r.runs.fp32.history), main: steps(r.runs.main.history),
    fp32Length: r.runs.fp32.history.length, mainLength: r.runs.main.history.length,
    runner: r.backend,
    trainer: await r.call('main', (t) => t.backend()),
    label: document.getElementById('backend-info').dataset.backend,
    banner: document.getElementById('banner').hidden ? '' : document.getElementById('banner').textContent,
    retryShown: !document.getElementById('retry-gpu').hidden,
    hash: new URLSearchParams(location.hash.slice(1)).get('backend'),
    summary: Number(document.getElementById('train-summary').dataset.steps),
  };
});

/** Asserts both runs hold steps 1..n, no gap and no repeat, with the same n; returns n. The
 * history keeps its last 256 records whole (history.js): those must be n-255..n, in order. */
function inStep(s, what) {
  const n = s.mainLength;
  assert.equal(s.fp32Length, n, `${what}: both runs have the same number of steps`);
  const want = Array.from({ length: Math.min(n, 256) }, (_, i) => n - Math.min(n, 256) + i + 1);
  assert.deepEqual(s.main, want, `${what}: the main run's steps`);
  assert.deepEqual(s.fp32, want, `${what}: the fp32 run's steps`);
  assert.equal(s.summary, n, `${what}: the summary`);
  return n;
}

function waitSteps(page, n, timeout = 90_000) {
  return page.waitForFunction((n) => Number(document.getElementById('train-summary').dataset.steps) >= n, n, { timeout, polling: 100 });
}

async function pause(page) {
  await page.evaluate(() => window.quantplay.app.runner.pause());
  await page.waitForFunction(() => document.getElementById('train-toggle').textContent === 'Start', null, { timeout: 30_000 });
}

const bannerShown = (page) => page.waitForSelector('#banner:not([hidden])', { timeout: 60_000 });

/**
 * Restores the snapshot the fallback took run `which` from into a fresh CPU trainer, runs it as
 * many steps as the fallback run has made since, and compares the two states bit for bit.
 */
const replayOnCpu = (page, which) => page.evaluate(async (which) => {
  const q = window.quantplay;
  const r = q.app.runner;
  await r.exclusive(() => null);
  const f = r.fallbackFrom;
  const now = await r.call(which, (t) => t.snapshot());
  const n = r.runs[which].history.length;
  await q.engine.request('restore', { which: 'replay', snapshot: f.snapshots[which], backend: 'cpu' });
  await q.engine.request('call', { which: 'replay', method: 'run', args: [n - f.steps[which]] });
  const replay = await q.engine.request('call', { which: 'replay', method: 'snapshot' });
  await q.engine.request('free', { which: 'replay' });
  return { same: replay === now, n, from: f.steps[which], taken: f.taken[which], restoredAt: JSON.parse(f.snapshots[which]).steps_done };
}, which);

/**
 * Arms the page: the next time the runner calls `method` ('run': a chunk's steps, or 'snapshot':
 * the state after them) on run `which`, the worker is asked to destroy its device right after
 * that request, so the loss lands while it is in flight; `window.__lossAt` records what each run
 * showed then and `k`, the size of that run's last chunk.
 */
const destroyDuring = (page, which, method) => page.evaluate(({ which, method }) => {
  const { engine, app } = window.quantplay;
  const runs = app.runner.runs;
  const real = runs[which].trainer;
  let armed = true;
  let k = 0;
  runs[which].trainer = new Proxy(real, {
    get: (t, name) => {
      if (name !== 'run' && name !== 'snapshot') return t[name];
      return (...args) => {
        if (name === 'run') k = args[0];
        const sent = t[name](...args); // posted to the worker first
        // a snapshot counts only after this run's chunk went through here (the proxy may be
        // installed between a run's two calls)
        if (armed && name === method && (name === 'run' || k > 0)) {
          armed = false;
          window.__lossAt = { fp32: runs.fp32.history.length, main: runs.main.history.length, k };
          window.__destroyed = engine.request('destroyDevices');
        }
        return sent;
      };
    },
  });
}, { which, method });

for (const [which, method] of [['fp32', 'run'], ['main', 'run'], ['main', 'snapshot']]) {
  const what = method === 'run' ? `the ${which} run's chunk` : `the ${which} run's snapshot after its chunk`;
  test(`a device destroyed during ${what} moves both runs to the CPU from the last shown step, with the parameters a CPU run from there gives`, async () => {
    const { page, ready } = await openPage(env, HASH);
    assert.equal(ready.backend, 'webgpu', ready.facts);
    await page.click('#train-toggle');
    await waitSteps(page, 30);
    await destroyDuring(page, which, method);
    await bannerShown(page);
    const at = await page.evaluate(async () => ({ ...window.__lossAt, live: await window.__destroyed }));
    assert.equal(at.live, 1, 'the one device the worker opened was destroyed');
    const banner = await page.textContent('#banner');
    assert.match(banner, /^WebGPU failed \(.+\); continuing on the CPU from step \d+, the last finished step: no step lost or redone\.$/, banner);
    const from = Number(banner.match(/from step (\d+)/)[1]);
    // the chunk in flight shows nothing; the fp32 chunk finished before main's is kept
    assert.equal(at.fp32 - at.main, which === 'main' ? at.k : 0, JSON.stringify(at));
    assert.equal(from, at.fp32, `continued from ${from}; at the loss the runs showed ${JSON.stringify(at)}`);
    const f = await page.evaluate(() => window.quantplay.app.runner.fallbackFrom.steps);
    assert.deepEqual(f, { fp32: at.fp32, main: at.main }, 'each run restored from its own last finished step');
    await waitSteps(page, from + 20);
    await pause(page);
    const s = await runsNow(page);
    const n = inStep(s, 'after the loss');
    assert.ok(n >= from + 20, `training went on: ${n}`);
    assert.deepEqual([s.runner, s.trainer, s.label, s.hash], ['cpu', 'cpu', 'cpu', 'cpu']);
    assert.equal(s.retryShown, true, 'Retry WebGPU is offered');
    for (const run of ['fp32', 'main']) {
      const r = await replayOnCpu(page, run);
      assert.equal(r.taken, 'webgpu', `${run}: the fallback state was taken from the GPU run`);
      assert.equal(r.restoredAt, r.from, `${run}: the snapshot holds step ${r.from}`);
      assert.equal(r.same, true, `${run}: the fallback run's state at step ${r.n} differs from a CPU run from step ${r.from}`);
    }
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}

test('a device destroyed while the loop runs, wherever the loss lands, keeps both runs in step', async () => {
  const { page } = await openPage(env, HASH);
  await page.click('#train-toggle');
  await waitSteps(page, 30);
  const shown = await page.evaluate(() => window.quantplay.app.runner.runs.main.history.length);
  assert.equal(await page.evaluate(() => window.quantplay.destroyGpu()), 1);
  await bannerShown(page);
  const from = Number((await page.textContent('#banner')).match(/from step (\d+)/)[1]);
  assert.ok(from >= shown, `no shown step is lost: shown ${shown}, continued from ${from}`);
  await waitSteps(page, from + 10);
  await pause(page);
  const s = await runsNow(page);
  inStep(s, 'after the loss');
  assert.equal(s.runner, 'cpu');
  const r = await replayOnCpu(page, 'main');
  assert.equal(r.same, true, `the state at step ${r.n} differs from a CPU run from step ${r.from}`);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a device destroyed mid-quantize still gives the quantize result, from the CPU, and both runs move there in step', async () => {
  const { page } = await openPage(env, HASH);
  const trained = Number((await train(page, 20)).steps);
  // the quantize request reaches the worker first; the destroy lands at its first GPU wait
  const live = await page.evaluate(async () => {
    document.getElementById('run-quant').click();
    await new Promise((done) => setTimeout(done, 0));
    return window.quantplay.destroyGpu();
  });
  assert.equal(live, 1);
  await page.waitForSelector('#quant-result[data-done]', { timeout: 120_000 });
  const q = await page.evaluate(() => ({
    note: document.getElementById('quant-note')?.textContent ?? '',
    accuracy: document.getElementById('quant-accuracy')?.textContent ?? '',
    ranOn: document.getElementById('quant-placement').dataset.ranOn,
  }));
  assert.match(q.note, /^WebGPU failed during Quantize/, q.note);
  assert.match(q.accuracy, /Test accuracy: float .*, int8 /, q.accuracy);
  assert.equal(q.ranOn, 'cpu');
  const s = await runsNow(page);
  assert.equal(inStep(s, 'after the quantize'), trained, 'no step lost or redone');
  assert.match(s.banner, /WebGPU failed .*continuing on the CPU from step \d+/, s.banner);
  assert.deepEqual([s.runner, s.trainer, s.label], ['cpu', 'cpu', 'cpu']);
  const more = Number((await train(page, trained + 10)).steps);
  assert.equal(inStep(await runsNow(page), 'training after the quantize'), more);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('Retry WebGPU opens a new device and the runs go on there from the same step; a second loss falls back again', async () => {
  const { page } = await openPage(env, HASH);
  await train(page, 25);
  assert.equal(await page.evaluate(() => window.quantplay.destroyGpu()), 1);
  await page.click('#train-step');
  await bannerShown(page);
  const lost = await runsNow(page);
  const n0 = inStep(lost, 'after the first loss');
  assert.equal(lost.runner, 'cpu');
  assert.equal(lost.retryShown, true);

  await page.click('#retry-gpu');
  await page.waitForFunction(() => document.getElementById('backend-info').dataset.backend === 'webgpu', null, { timeout: 60_000 });
  const back = await runsNow(page);
  assert.equal(inStep(back, 'after the retry'), n0, 'the retry keeps the step');
  assert.deepEqual([back.runner, back.trainer, back.hash, back.banner, back.retryShown], ['webgpu', 'webgpu', 'webgpu', '', false]);
  assert.match(await page.textContent('#status'), /Backend: WebGPU/);
  const n1 = Number((await train(page, n0 + 15)).steps);
  assert.equal(inStep(await runsNow(page), 'training on the new device'), n1);

  assert.equal(await page.evaluate(() => window.quantplay.destroyGpu()), 1, 'the new device is the live one');
  await page.click('#train-step');
  await bannerShown(page);
  const again = await runsNow(page);
  assert.equal(inStep(again, 'after the second loss'), n1 + 1, 'the step that failed on the GPU ran on the CPU');
  assert.deepEqual([again.runner, again.trainer, again.label, again.retryShown], ['cpu', 'cpu', 'cpu', true]);
  assert.deepEqual(page.errors, []);
  await page.close();
});
