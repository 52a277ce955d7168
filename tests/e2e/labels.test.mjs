// End-to-end: every label that says where or how something ran is true. The Quantize panel
// names where calibration's forward, the observers' reductions and the evaluation ran (from the
// JSON's `placement`, which Rust fills from the backend it used); the Backend panel says whether
// the CPU setting is the fast path or the plain-loop reference; and a precision that runs as
// another one on this backend (bf16 on WebGPU runs as 32-true) is labelled by what ran, in the
// title, the legends, the summary and the memory table, whose rows are measured on that backend.
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

async function quantizePlacement(page) {
  await page.click('#run-quant');
  await page.waitForSelector('#quant-result[data-done]', { timeout: 120_000 });
  return page.evaluate(async () => ({
    ...document.getElementById('quant-placement').dataset,
    text: document.getElementById('quant-placement').textContent,
    trainer: await window.quantplay.app.runner.call('fp32', (t) => t.backend()),
  }));
}

test('the Quantize panel says where calibration and evaluation ran, on WebGPU and on the CPU', async () => {
  for (const [backend, name] of [['webgpu', 'WebGPU'], ['cpu', 'the CPU']]) {
    const { page } = await openPage(env, `#backend=${backend}&dataset=circle&hidden=8&calib=1`);
    await train(page, 20);
    const p = await quantizePlacement(page);
    assert.equal(p.ranOn, p.trainer, `${backend}: the label's backend is the run's: ${p.text}`);
    assert.equal(p.calibration_forward, backend, p.text);
    // The observers' reductions run where the forward ran; only their statistics come back.
    assert.equal(p.observer_statistics, backend, p.text);
    assert.equal(p.observer_updates, 'cpu', p.text);
    assert.match(p.text, new RegExp(`Calibrated on 1 training sample: the float forward ran on ${name}`), p.text);
    assert.match(p.text, new RegExp(`the observers reduced each activation on ${name} \\(only their min/max`), p.text);
    // On WebGPU the panel compares the GPU's calibration with the CPU's; on the CPU there is none.
    const compare = await page.evaluate(() => {
      const s = document.getElementById('calib-compare-summary');
      return s && { ...s.dataset, rows: document.querySelectorAll('#calib-compare tr').length, text: s.textContent };
    });
    if (backend === 'webgpu') {
      assert.ok(compare, 'no comparison table on WebGPU');
      assert.equal(compare.rows, 1 + 3, `header + QuantStub and two layers: ${compare.text}`);
      assert.match(compare.text, /Calibration on WebGPU vs the CPU: \d+ of 3 observers/, compare.text);
    } else {
      assert.equal(compare, null, 'a comparison on the CPU');
    }
    assert.doesNotMatch(p.text, /samples on webgpu/, 'the old, untrue label');
    assert.deepEqual(page.errors, []);
    await page.close();
  }
});

test('the Backend panel says whether the CPU is the fast path or the plain-loop reference', async () => {
  const fast = await openPage(env, '#backend=cpu&dataset=circle&hidden=8');
  assert.match(fast.ready.facts, /In use\s+CPU fast path/, fast.ready.facts);
  assert.match(await fast.page.textContent('#matmul-result'), /CPU \(fast path\)/);
  await fast.page.close();
  const ref = await openPage(env, '#backend=cpu-reference&dataset=circle&hidden=8');
  assert.match(ref.ready.facts, /In use\s+CPU reference — plain loops, no SIMD/, ref.ready.facts);
  assert.match(ref.ready.facts, /not used by the reference/, ref.ready.facts);
  assert.equal(await ref.page.evaluate(() => window.quantplay.app.runner.call('main', (t) => t.backend())), 'cpu-reference');
  await ref.page.close();
});

test('bf16-mixed on WebGPU is labelled by what runs (32-true) in the title, legend, summary and memory table', async () => {
  const { page } = await openPage(env, '#backend=webgpu&dataset=circle&hidden=8&precision=bf16-mixed');
  const eff = await page.getAttribute('#effective-precision', 'data-effective');
  assert.equal(eff, '32-true', 'SwiftShader has no bf16: bf16-mixed runs as 32-true');
  await train(page, 10);
  const title = await page.textContent('#training-title');
  assert.match(title, /bf16-mixed.*runs as 32-true/, title);
  const summary = await page.textContent('#train-summary');
  assert.doesNotMatch(summary, /bf16-mixed loss/, summary);
  assert.match(summary, /runs as 32-true/, summary);
  const label = await page.evaluate(() => window.quantplay.app.runner.runs.main.label);
  assert.match(label, /32-true/, label);
  // what the charts' legends drew (chart.js keeps it in data-legend)
  assert.match(await page.getAttribute('#loss-chart', 'data-legend'), /^32-true\|bf16-mixed \(runs as 32-true here\)$/);
  // no GradScaler runs, so the scale chart says so, by the same label
  assert.match(await page.getAttribute('#scale-chart', 'data-empty'), /^bf16-mixed \(runs as 32-true here\) has no GradScaler/);
  const rows = await page.$$eval('#memory-table tbody tr', (trs) => trs.map((tr) => ({ text: tr.textContent, hl: tr.className === 'hl' })));
  const bf16 = rows.find((r) => r.text.startsWith('bf16-mixed'));
  const f32 = rows.find((r) => r.text.startsWith('32-true'));
  assert.match(bf16.text, /runs as 32-true/, bf16.text);
  assert.equal(bf16.text.replace(/^.*?runs as 32-true\)?/, ''), f32.text.replace(/^32-true/, ''), 'measured on WebGPU, the bf16-mixed row is the 32-true step it runs');
  assert.deepEqual(page.errors, []);
  await page.close();
});
