// End-to-end: the URL and history (issue 18, item 4). A setting changed on the page is a history
// entry, so Back and Forward step through the changes and the controls and the running Trainers
// follow; a hash edited by hand is applied the same way, and a bad value in it is reported.
// The runs are checked through their own snapshot's config (what the Trainer was created with).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, openPage, train, trainSummary } from './browser.mjs';

let env;
before(async () => {
  env = await openBrowser();
});
after(async () => {
  await env?.close();
});

const WAIT = { timeout: 20_000 };

/** The config the right-hand Trainer was created with (from its snapshot). */
async function runConfig(page) {
  return page.evaluate(async () => {
    const snap = await window.quantplay.app.runner.call('main', (t) => t.snapshot());
    return JSON.parse(JSON.parse(snap).config);
  });
}

/** Changes one bound control as a user does (type, then leave the field). */
async function setControl(page, key, value) {
  const sel = `[data-key=${key}]`;
  if ((await page.getAttribute(sel, 'type')) === null) await page.selectOption(sel, value);
  else {
    await page.fill(sel, value);
    await page.press(sel, 'Tab');
  }
}

/** Waits until the page shows `samples` split 80/20 and the layer list `layers`, at step 0. */
async function waitShown(page, { train: n, test: m, layers }) {
  await page.waitForFunction(
    ([n, m, layers]) =>
      document.getElementById('data-summary').textContent.startsWith(`${n} training and ${m} test samples`) &&
      document.getElementById('model-summary').textContent.startsWith(`Layers ${layers}:`) &&
      document.getElementById('train-summary').dataset.steps === '0',
    [n, m, layers],
    WAIT,
  );
}

test('Back and Forward step through the setting changes; the controls and the runs follow', async () => {
  const { page } = await openPage(env, '#dataset=circle&samples=200&hidden=8');
  await setControl(page, 'samples', '100');
  await waitShown(page, { train: 80, test: 20, layers: '2 → 8 → 2' });
  await setControl(page, 'hidden', '4,4');
  await waitShown(page, { train: 80, test: 20, layers: '2 → 4 → 4 → 2' });
  await train(page, 5);

  await page.goBack();
  await waitShown(page, { train: 80, test: 20, layers: '2 → 8 → 2' });
  assert.match(page.url(), /samples=100&hidden=8&/);
  assert.equal(await page.inputValue('[data-key=hidden]'), '8');
  let cfg = await runConfig(page);
  assert.deepEqual([cfg.samples, cfg.hidden], [100, [8]], 'the running Trainer has the URL\'s settings');

  await page.goBack();
  await waitShown(page, { train: 160, test: 40, layers: '2 → 8 → 2' });
  assert.match(page.url(), /samples=200&hidden=8&/);
  assert.equal(await page.inputValue('[data-key=samples]'), '200');
  assert.equal((await runConfig(page)).samples, 200);

  await page.goForward();
  await waitShown(page, { train: 80, test: 20, layers: '2 → 8 → 2' });
  assert.equal(await page.inputValue('[data-key=samples]'), '100');
  await page.goForward();
  await waitShown(page, { train: 80, test: 20, layers: '2 → 4 → 4 → 2' });
  assert.match(page.url(), /samples=100&hidden=4%2C4&/);
  assert.equal(await page.inputValue('[data-key=hidden]'), '4,4');
  cfg = await runConfig(page);
  assert.deepEqual([cfg.samples, cfg.hidden], [100, [4, 4]]);
  assert.equal(await page.evaluate(() => window.quantplay.app.state.hidden), '4,4');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a hash edited by hand is applied to the controls and the runs; a bad value is reported', async () => {
  const { page } = await openPage(env, '#dataset=circle&hidden=8');
  await train(page, 5);
  // what typing a new hash into the address bar does: a fragment navigation
  await page.evaluate(() => { location.hash = '#dataset=xor&samples=100&hidden=4,4&lr=0.1'; });
  await waitShown(page, { train: 80, test: 20, layers: '2 → 4 → 4 → 2' });
  assert.equal(await page.inputValue('[data-key=dataset]'), 'xor');
  assert.equal(await page.inputValue('[data-key=lr]'), '0.1');
  assert.match(page.url(), /#backend=webgpu&dataset=xor&noise=0.1&ratio=0.8&seed=1&samples=100&hidden=4%2C4&precision=16-mixed&optimizer=adam&lr=0.1&/, 'the hash is written back whole');
  const cfg = await runConfig(page);
  assert.deepEqual([cfg.dataset, cfg.samples, cfg.hidden, cfg.lr], ['xor', 100, [4, 4], 0.1]);
  assert.equal(Number((await trainSummary(page)).steps), 0);

  await page.evaluate(() => { location.hash = '#dataset=xor&samples=100&hidden=4,4&lr=abc'; });
  await page.waitForFunction(() => /lr=abc is not a number/.test(document.getElementById('message').textContent), null, WAIT);
  await page.waitForFunction(() => document.querySelector('[data-key=lr]').value === '0.005', null, WAIT);
  assert.match(page.url(), /lr=0.005&/, 'the refused value is replaced by the default in the URL');
  await page.waitForFunction(() => document.getElementById('train-summary').dataset.steps === '0', null, WAIT);
  assert.equal((await runConfig(page)).lr, 0.005);

  await page.goBack(); // to the first hand edit
  await page.waitForFunction(() => document.querySelector('[data-key=lr]').value === '0.1', null, WAIT);
  assert.equal((await runConfig(page)).lr, 0.1);
  assert.deepEqual(page.errors, []);
  await page.close();
});
