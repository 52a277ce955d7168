// quantplay's wasm package from Node (no browser, no bundler): train an MLP in 16-mixed on the
// CPU fast path for a few steps, print the loss-scale timeline, then quantize the trained model
// to int8 and print float vs int8 accuracy.
//
//   bash scripts/build-wasm && node examples/node_quickstart.mjs
//
// The package is www/pkg (wasm-bindgen --target web); Node passes the .wasm bytes to the init
// function instead of a URL. tests/e2e/example.test.mjs runs this file and checks what it prints.
import { readFile } from 'node:fs/promises';
import init, { Playground, Trainer } from '../www/pkg/quantplay.js';

await init({ module_or_path: await readFile(new URL('../www/pkg/quantplay_bg.wasm', import.meta.url)) });

const playground = await Playground.create(false); // false: do not look for WebGPU
const config = {
  dataset: 'spiral', samples: 300, hidden: [16, 16], precision: '16-mixed', optimizer: 'adam', lr: 0.02,
  batch: 32, seed: 5, backend: 'cpu',
  scaler: { init_scale: 2 ** 20, growth_factor: 2, backoff_factor: 0.5, growth_interval: 10 },
};
const trainer = Trainer.create(playground, JSON.stringify(config));
const records = JSON.parse(await trainer.run(60));
for (const r of records.filter((r, i) => i % 6 === 0 || r.skipped)) {
  console.log(`step ${r.step} loss ${r.loss.toFixed(4)} loss_scale ${r['amp/loss_scale']}${r.skipped ? ' skipped' : ''}`);
}
const result = JSON.parse(await trainer.quantize(JSON.stringify({ qconfig: 'x86', calib_size: 128 })));
const acc = result.report.accuracy;
console.log(`backend ${trainer.backend()} ran_on ${result.ran_on}`);
console.log(`float accuracy ${acc.float.toFixed(3)} int8 accuracy ${acc.int8.toFixed(3)}`);
trainer.free();
playground.free();
