// Measures what the per-chunk snapshot costs on WebGPU (runner.js takes each run's state with
// every chunk, the fallback point of docs/reliability.md): the worker's time for one chunk of k
// steps without and with the snapshot, alternating, and the snapshot request alone; medians of
// ROUNDS, per run, and the snapshot's size. A script, not a test (it asserts no time): `node tests/e2e/snapshot-cost.mjs [ROUNDS] [HASH ...]`
// (default hashes: a tiny model and the page's defaults).
import { openBrowser, openPage } from './browser.mjs';

const ROUNDS = Number(process.argv[2] || 15);
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

const env = await openBrowser();
try {
  const hashes = process.argv.length > 3 ? process.argv.slice(3) : ['#backend=webgpu&dataset=gauss&hidden=8', '#backend=webgpu'];
  for (const hash of hashes) {
    const { page, ready } = await openPage(env, hash);
    if (ready.backend !== 'webgpu') throw new Error(`no WebGPU here: ${ready.facts}`);
    const out = await page.evaluate(async (rounds) => {
      const q = window.quantplay;
      await q.app.runner.exclusive(() => null);
      const rows = [];
      for (const which of ['fp32', 'main']) {
        for (const k of [5, 20]) {
          const t = { plain: [], snap: [], alone: [] };
          let bytes = 0;
          for (let i = 0; i < rounds; i++) {
            for (const mode of ['plain', 'snap']) {
              const t0 = performance.now();
              await q.engine.request('call', { which, method: 'run', args: [k] });
              if (mode === 'snap') bytes = (await q.engine.request('call', { which, method: 'snapshot' })).length;
              t[mode].push(performance.now() - t0);
            }
            const t0 = performance.now();
            await q.engine.request('call', { which, method: 'snapshot' });
            t.alone.push(performance.now() - t0);
          }
          rows.push({ which, precision: q.app.runner.runs[which].precision, k, t, bytes });
        }
      }
      return rows;
    }, ROUNDS);
    for (const r of out) {
      const [a, b, c] = [median(r.t.plain), median(r.t.snap), median(r.t.alone)];
      console.log(`${hash} ${r.which} (${r.precision}) k=${r.k}: ${a.toFixed(1)} ms per chunk without, ${b.toFixed(1)} ms with the snapshot; the snapshot request alone ${c.toFixed(1)} ms; ${r.bytes} characters`);
    }
    await page.close();
  }
} finally {
  await env.close();
}
