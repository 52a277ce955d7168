// Synthetic step records for the chart tests: replaces both runs' `run` (and `snapshot`) with a
// seeded generator inside the page, so 200,000 steps take seconds and the runner, the bounded
// history, the divergence watch and every chart still run as they do for real records. Other
// calls (evaluate, predict_grid, grad_magnitudes_json, trace_json) still reach the real
// Trainers in the engine worker. Records have the fields of crate/src/app/metrics.rs.

/**
 * Installs the generator on the page's two runs; `window.syntheticCounts` counts the main
 * run's skipped and injected steps as generated. `opts`: { skipEvery, injectEvery,
 * growthInterval, scale0, maxScale, fixedScale } (main run only; fp32 has no scale).
 */
export function installSynthetic(page, opts = {}) {
  return page.evaluate((o) => {
    const runs = window.quantplay.app.runner.runs;
    const counts = (window.syntheticCounts = { skipped: 0, injected: 0 }); // of the main run
    for (const which of ['fp32', 'main']) {
      const real = runs[which].trainer;
      let step = 0;
      let scale = o.scale0 ?? 65536;
      let since = 0;
      let seed = which === 'main' ? 7 : 3;
      // serde_json writes an f32 as its shortest round-tripping decimal: 2^28 arrives as 268435460
      const serdeF32 = (x) => { for (let p = 1; p <= 9; p++) { const d = Number(x.toPrecision(p)); if (Math.fround(d) === Math.fround(x)) return d; } return x; };
      const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
      const run = async (k) => {
        const out = [];
        for (let i = 0; i < k; i++) {
          step++;
          const rec = { step, loss: 1.5 * Math.exp(-step / 5000) + 0.05 + 0.05 * rnd(), accuracy: 0.5, 'amp/enabled': 0, 'amp/precision': '32-true', skipped: false, grad_norm: 1, overflow_count: 0 };
          if (which === 'main') {
            Object.assign(rec, { 'amp/enabled': 1, 'amp/precision': '16-mixed', 'amp/loss_scale': serdeF32(o.fixedScale ?? scale) });
            const injected = o.injectEvery > 0 && step % o.injectEvery === 0;
            const skip = injected || (o.skipEvery > 0 && step % o.skipEvery === 0) || scale > (o.maxScale ?? 2 ** 24);
            if (skip) {
              rec.skipped = true;
              counts.skipped++;
              if (injected) { rec.injected = true; counts.injected++; }
              scale /= 2;
              since = 0;
            } else if (++since >= (o.growthInterval ?? 50)) {
              scale *= 2;
              since = 0;
            }
          }
          out.push(rec);
        }
        return JSON.stringify(out);
      };
      runs[which].trainer = new Proxy(real, {
        get: (t, name) => (name === 'run' ? run : name === 'snapshot' ? async () => '{}' : t[name]),
      });
    }
  }, opts);
}

/** Drives `total` synthetic steps in chunks of `k` through runner.step; returns each call's
 * milliseconds and the errors thrown. Calls the page's refresh every `refreshEvery` chunks. */
export function drive(page, total, k = 250, refreshEvery = 20) {
  return page.evaluate(async ({ total, k, refreshEvery }) => {
    const qp = window.quantplay;
    const times = [];
    const errors = [];
    for (let i = 0; i * k < total; i++) {
      const t0 = performance.now();
      try {
        await qp.app.runner.step(k);
      } catch (e) {
        errors.push(`${e.name}: ${e.message} at chunk ${i}`);
        break;
      }
      times.push(performance.now() - t0);
      if (refreshEvery && i % refreshEvery === 0) await qp.refresh?.();
    }
    return { times, errors };
  }, { total, k, refreshEvery });
}

/** The median and the 95th percentile of `xs`. */
export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p95: q(0.95), max: s.at(-1), n: s.length };
}
