// End-to-end: first steps on the page (issue 18, items 7.2 and 8): the "Start here" guide with
// a Start button in view at 1280×800, the notice when a setting restarts the runs, the digits'
// data panel and ignored controls, widths typed with spaces, "1 training sample", the Backend
// text on f16 emulation, the autocast trace's Linear dtypes, and the heatmap's run label/picker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ARTIFACTS, openBrowser, openPage, train, trainSummary } from './browser.mjs';

let env;
before(async () => {
  env = await openBrowser();
});
after(async () => {
  await env?.close();
});

const WAIT = { timeout: 30_000 };

/** Whether some visible button reading `label` lies wholly inside the viewport. */
const buttonInView = (page, label) =>
  page.evaluate((label) => [...document.querySelectorAll('button')].some((b) => {
    const r = b.getBoundingClientRect();
    return b.textContent.trim() === label && r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
  }), label);

test('a "Start here" guide is in the first screen at 1280×800, and its Start stays in view and trains', async () => {
  const { page } = await openPage(env, '#dataset=circle&hidden=8&precision=16-mixed');
  assert.ok(await buttonInView(page, 'Start'), 'a Start button is visible without scrolling');
  assert.match(await page.textContent('#guide'), /Start here: press Start/);
  await page.locator('#quant-panel').scrollIntoViewIfNeeded();
  assert.ok(await buttonInView(page, 'Start'), 'Start is still in view beside the Quantize panel');
  await page.click('#guide-start');
  await page.waitForFunction(() => Number(document.getElementById('train-summary').dataset.steps) >= 5, null, WAIT);
  assert.equal(await page.textContent('#guide-start'), 'Pause', 'the guide button mirrors Start/Pause');
  await page.click('#guide-start');
  await page.waitForFunction(() => document.getElementById('train-toggle').textContent === 'Start', null, WAIT);
  await page.waitForSelector('#guide[data-step=overflow]', WAIT);
  assert.match(await page.textContent('#guide-hint'), /Inject overflow/);
  await page.click('#inject-overflow');
  await page.waitForSelector('#guide[data-step=quantize]', WAIT);
  await page.click('#run-quant');
  await page.waitForSelector('#guide[data-step=done]', WAIT);
  assert.equal(await page.locator('#guide li.done').count(), 3);
  await page.screenshot({ path: `${ARTIFACTS}/guide.png` });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('changing a training setting mid-run says, before and when, that both runs restart from step 0', async () => {
  const { page } = await openPage(env, '#dataset=circle&hidden=8&precision=16-mixed');
  const s = await train(page, 20);
  await page.fill('[data-key=lr]', '0.05');
  await page.press('[data-key=lr]', 'Tab');
  await page.waitForSelector('#restart-notice:not([hidden])', WAIT);
  const notice = await page.textContent('#restart-notice');
  assert.match(notice, new RegExp(`^Settings changed at step ${s.steps} \\(learning rate\\): both runs restarted from step 0\\.$`));
  await page.waitForFunction(() => document.getElementById('train-summary').dataset.steps === '0', null, WAIT);
  assert.match(await page.textContent('#restart-hint'), /restarts both runs from step 0/, 'said before it happens');
  const again = await train(page, 5);
  await page.fill('[data-key=backoff_factor]', '0.25');
  await page.press('[data-key=backoff_factor]', 'Tab');
  await page.waitForFunction((n) => document.getElementById('restart-notice').textContent.includes(`at step ${n} (backoff factor)`), again.steps, WAIT);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('for digits the samples and noise controls are off and the data panel shows digits and class counts', async () => {
  const { page } = await openPage(env, '#dataset=digits&hidden=16');
  assert.equal(await page.isDisabled('[data-key=samples]'), true, 'samples is ignored by digits');
  assert.equal(await page.isDisabled('[data-key=noise]'), true, 'noise is ignored by digits');
  assert.match(await page.getAttribute('[data-key=noise]', 'title'), /do not apply/);
  assert.equal(await page.isDisabled('[data-key=seed]'), false);
  await page.waitForSelector('#digit-samples:not([hidden])', WAIT);
  assert.equal(await page.getAttribute('#digit-samples', 'data-images'), '10', 'one image per class');
  assert.match(await page.getAttribute('#digit-samples', 'aria-label'), /labelled 0, 1, 2, 3, 4, 5, 6, 7, 8, 9/);
  const rows = await page.$$eval('#class-counts tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.equal(rows.length, 11, 'ten classes and a total');
  const { trainLen, testLen } = await page.evaluate(() => ({ trainLen: window.quantplay.app.data.train_len, testLen: window.quantplay.app.data.test_len }));
  assert.deepEqual(rows[10], ['all', String(trainLen), String(testLen)]);
  assert.equal(rows.slice(0, 10).reduce((s, r) => s + Number(r[1]) + Number(r[2]), 0), 1797);
  assert.ok(await page.isVisible('#class-counts'));
  await page.locator('#data-panel').screenshot({ path: `${ARTIFACTS}/panel-data-digits.png` });
  await page.selectOption('[data-key=dataset]', 'spiral');
  await page.waitForFunction(() => !document.querySelector('[data-key=samples]').disabled && document.getElementById('digit-samples').hidden, null, WAIT);
  assert.equal(await page.isDisabled('[data-key=noise]'), false);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('hidden layer widths typed with spaces ("8, 8") are accepted', async () => {
  const { page } = await openPage(env, '#dataset=circle&hidden=4');
  await page.fill('[data-key=hidden]', '8, 8');
  await page.press('[data-key=hidden]', 'Tab');
  await page.waitForFunction(() => document.getElementById('model-summary').textContent.startsWith('Layers 2 → 8 → 8 → 2:'), null, WAIT);
  assert.equal(await page.getAttribute('[data-key=hidden]', 'aria-invalid'), null);
  assert.match(page.url(), /hidden=8%2C8&/, 'the URL gets the widths without spaces');
  const link = await openPage(env, '#dataset=circle&hidden=4,%204');
  assert.match(await link.page.textContent('#model-summary'), /Layers 2 → 4 → 4 → 2:/);
  assert.equal(await link.page.isHidden('#message'), true, 'no "ignored" message for a spaced list in a link');
  await link.page.close();
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('one calibration sample is written "1 training sample"', async () => {
  const { page } = await openPage(env, '#dataset=circle&hidden=8&calib=1');
  await page.click('#run-quant');
  await page.waitForSelector('#quant-result[data-done=true]', WAIT);
  const text = await page.textContent('#quant-result');
  assert.match(text, /Calibrated on 1 training sample(?!s)/);
  assert.doesNotMatch(text, /1 training samples|1 samples/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the Backend text and the Why row agree on how f16 is emulated: stored two per u32', async () => {
  const { page } = await openPage(env, '#dataset=circle&hidden=8&precision=16-mixed');
  const teach = await page.textContent('#backend-panel .teach');
  assert.doesNotMatch(teach, /f32 storage/, 'the GPU keeps f16 packed in u32 words, not in f32 storage');
  assert.match(teach, /stored two per u32/);
  const why = await page.textContent('#effective-precision');
  if (/shader-f16/.test(why)) assert.match(why, /stored two per u32/, 'the Why row says the same');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the autocast trace shows a Linear\'s weight and bias in float16, as the op consumed them', async () => {
  const { page } = await openPage(env, '#dataset=circle&hidden=8,8&precision=16-mixed');
  await page.click('#train-step');
  await page.waitForFunction(() => Number(document.getElementById('trace-table').dataset.ops) > 0, null, WAIT);
  const rows = await page.$$eval('#trace-table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  const linears = rows.filter((r) => r[0] === 'linear');
  assert.deepEqual(linears.map((r) => r[1]), ['fc1', 'fc2', 'fc3']);
  for (const r of linears) assert.deepEqual(r.slice(2), ['float16, float16, float16', 'float16'], `${r[1]}: input, weight, bias → output`);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the decision-boundary heatmap says which run it shows, and the 32-true run can be picked', async () => {
  const { page } = await openPage(env, '#dataset=circle&hidden=8&precision=16-mixed');
  const s = await train(page, 10);
  // the label follows the last refresh after the pause, which may land after train() returns
  await page.waitForFunction((n) => new RegExp(`16-mixed run.* at step ${n}\\b`).test(document.getElementById('boundary-label').textContent), s.steps, WAIT);
  assert.match(await page.textContent('#boundary-label'), new RegExp(`p\\(class 1\\) of the 16-mixed run \\(the right-hand run\\) at step ${(await trainSummary(page)).steps}`), s.text);
  await page.selectOption('#boundary-run', 'fp32');
  await page.waitForFunction(() => document.getElementById('scatter').dataset.boundary === 'fp32', null, WAIT);
  assert.match(await page.textContent('#boundary-label'), /of the 32-true run \(the left-hand run, the one Quantize uses\)/);
  const [shown, fp32] = await page.evaluate(async () => {
    const sum = (g) => Array.from(g).reduce((a, v) => a + v, 0);
    const fromRun = await window.quantplay.app.runner.call('fp32', (t) => t.predict_grid(48));
    return [sum(window.quantplay.app.views.data.grid()), sum(fromRun)];
  });
  assert.equal(shown, fp32, 'the heatmap is the 32-true run\'s grid');
  assert.deepEqual(page.errors, []);
  await page.close();
});
