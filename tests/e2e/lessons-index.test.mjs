// The lessons as a whole: the index lists every lesson in reading order and the library knows
// each (no error status), every lesson page and every link between the lessons and the
// playground resolves, and each lesson's "See it in the playground" state is one the playground
// accepts without a refusal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, newPage, waitReady } from './browser.mjs';
import { LESSONS } from '../../lessons/kit.js';

let env;
before(async () => (env = await openBrowser()));
after(async () => env?.close());

test('the lessons index lists every lesson in order and the library knows each of them', async () => {
  const page = await newPage(env.browser);
  await page.goto(`${env.url}lessons/`);
  await page.waitForFunction(() => document.getElementById('lesson-status')?.dataset.state !== 'loading', null, { timeout: 60_000 });
  assert.equal(await page.$eval('#lesson-status', (el) => el.dataset.state), 'ready', await page.textContent('#lesson-status'));
  const links = await page.$$eval('#lesson-list a', (as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(links, LESSONS.map((l) => l.file));
  const names = await page.evaluate(async () => (await import('./kit.js')).libraryLessons());
  assert.deepEqual(names, LESSONS.map((l) => l.name), 'lessonNames() in the library = LESSONS in kit.js, same order');
  assert.deepEqual(page.errors, []);
});

test('every link from the playground to a lesson and from a lesson back resolves', async () => {
  const page = await newPage(env.browser);
  await page.goto(env.url);
  const fromPlayground = await page.$$eval('a[href^="lessons/"]', (as) => as.map((a) => a.href));
  assert.ok(fromPlayground.length >= 8, `the panels link their lessons: ${fromPlayground.length}`);
  const lessonFiles = new Set(LESSONS.map((l) => l.file));
  for (const href of fromPlayground) {
    const res = await page.request.get(href);
    assert.equal(res.status(), 200, href);
    const file = new URL(href).pathname.split('/').pop();
    assert.ok(file === '' || lessonFiles.has(file), `${href} is a listed lesson`);
  }
  for (const l of LESSONS) {
    const lp = await newPage(env.browser);
    await lp.goto(`${env.url}lessons/${l.file}`);
    await lp.waitForSelector('#lesson-nav a.playground-link', { timeout: 60_000 });
    const back = await lp.$eval('#lesson-nav a.playground-link', (a) => a.href);
    const nav = await lp.$$eval('#lesson-nav a', (as) => as.map((a) => a.href));
    for (const href of nav) assert.equal((await lp.request.get(href)).status(), 200, `${l.name}: ${href}`);
    await lp.close();
    // The playground opens that state as given: no problems reported, the hash kept.
    const pg = await newPage(env.browser);
    await pg.goto(back);
    const ready = await waitReady(pg);
    assert.equal(ready.state, 'ready', `${l.name}: ${back}`);
    const asked = new URLSearchParams(new URL(back).hash.slice(1));
    const kept = new URLSearchParams((await pg.evaluate(() => location.hash)).slice(1));
    for (const [k, v] of asked) assert.equal(kept.get(k), v, `${l.name}: the playground kept ${k}=${v}`);
    assert.deepEqual(pg.errors, [], `${l.name}: ${back}`);
    await pg.close();
  }
});
