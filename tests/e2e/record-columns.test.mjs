// The step records' trip from the engine worker to the page (www/record-columns.js): packed as
// typed-array columns they come back exactly as the worker's JSON had them (numbers, null,
// booleans, absent fields, one-string columns), and on the page the worker really sends a
// chunk as transferable Float64/Uint8 arrays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, openPage } from './browser.mjs';
import { pack, unpack, isPacked } from '../../www/record-columns.js';
import { rng } from './seeded.mjs';

test('packing and unpacking keeps every record field, null, boolean and absent value exactly', () => {
  const next = rng(7);
  const records = Array.from({ length: 500 }, (_, i) => {
    const r = { step: i + 1, loss: Math.fround(next() * 3), 'amp/precision': '16-mixed', skipped: next() < 0.1 };
    if (next() < 0.9) r['amp/loss_scale'] = 2 ** Math.floor(next() * 30 - 10);
    if (next() < 0.05) r.injected = true;
    r.grad_norm = next() < 0.03 ? null : Math.fround(next() * 1e-30);
    return r;
  });
  records.push({ step: 501, loss: -0, 'amp/precision': '16-mixed', skipped: false, grad_norm: 5e-324 });
  const { packed, transfer } = pack(records);
  assert.ok('columns' in packed, 'a chunk of numbers, booleans, null and one string packs into columns');
  assert.ok(transfer.length >= 2 * 4 && transfer.every((b) => b instanceof ArrayBuffer));
  const back = unpack(structuredClone(packed, { transfer }));
  assert.deepEqual(back, records);
  assert.ok(Object.is(back[500].loss, -0) && back[500].grad_norm === 5e-324);
  assert.ok(back.every((b, i) => Object.keys(b).length === Object.keys(records[i]).length), 'no field added or lost');
  // A varying string cannot be one column: the chunk travels as its records.
  const mixed = [{ step: 1, note: 'a' }, { step: 2, note: 'b' }];
  assert.deepEqual(pack(mixed).packed, { records: mixed });
  assert.deepEqual(unpack(pack([]).packed), []);
  assert.equal(isPacked('[{"step":1}]'), false);
});

let env;
before(async () => {
  env = await openBrowser();
});
after(async () => {
  await env?.close();
});

test('on the page the worker sends a chunk of step records as typed-array columns', async () => {
  const { page } = await openPage(env, '#backend=cpu&dataset=circle&hidden=8&precision=16-mixed');
  const r = await page.evaluate(async () => {
    const { engine } = window.quantplay.app;
    const packed = await engine.request('call', { which: 'fp32', method: 'run', args: [5] });
    const kinds = packed.columns?.map((c) => [c.key, c.values ? c.values.constructor.name : `text ${c.text}`, c.state.constructor.name]);
    const { unpack } = await import(new URL('www/record-columns.js', location.href).href);
    return { kinds, records: unpack(packed), steps: unpack(packed).map((x) => x.step) };
  });
  assert.ok(r.kinds, 'the worker sent columns, not a JSON string');
  assert.ok(r.kinds.some(([k, v, s]) => k === 'loss' && v === 'Float64Array' && s === 'Uint8Array'), JSON.stringify(r.kinds));
  assert.equal(r.records.length, 5);
  assert.ok(r.records.every((x) => typeof x.loss === 'number' && typeof x.skipped === 'boolean'), JSON.stringify(r.records[0]));
  assert.deepEqual(r.steps, r.steps.map((_, i) => r.steps[0] + i), 'consecutive steps');
  assert.deepEqual(page.errors, []);
});
