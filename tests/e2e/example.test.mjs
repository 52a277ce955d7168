// The JS example (examples/node_quickstart.mjs) run as a user would, in Node against the built
// wasm package (the e2e layer builds www/pkg first): it trains, prints the loss-scale timeline and
// quantizes. Checks what it prints, so the example cannot rot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

test('the node quickstart trains in 16-mixed, backs off on overflow and quantizes on the CPU', () => {
  const out = execFileSync(process.execPath, ['examples/node_quickstart.mjs'], { encoding: 'utf8', timeout: 120_000 });
  const steps = [...out.matchAll(/^step (\d+) loss ([\d.]+) loss_scale (\d+)( skipped)?$/gm)];
  assert.ok(steps.length >= 10, out);
  const skipped = steps.filter((m) => m[4]);
  assert.ok(skipped.length >= 1, `an init_scale of 2^20 overflows f16 at least once:\n${out}`);
  // A skipped step halves the scale for the next printed step only if that step follows it.
  for (const m of steps) assert.ok(Math.log2(Number(m[3])) % 1 === 0, `scales stay powers of two: ${m[0]}`);
  assert.match(out, /^backend cpu ran_on cpu$/m);
  const [, fl, q] = out.match(/^float accuracy ([\d.]+) int8 accuracy ([\d.]+)$/m) ?? [];
  assert.ok(Number(fl) > 0.5, `the float model learned something: ${out}`);
  assert.ok(Math.abs(Number(fl) - Number(q)) <= 0.05, `int8 within 5 points of float: ${out}`);
});
