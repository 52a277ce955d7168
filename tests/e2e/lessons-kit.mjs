// Shared steps of the lesson tests (tests/e2e/lesson-*.test.mjs): open a lesson page on WebGPU or
// with WebGPU off, answer an exercise, run the page's `quantplay lesson …` command with the
// native binary and compare, and make the print view's PDF. The binary is target/debug/quantplay
// (the e2e layer of scripts/test builds it: `cargo build --bin quantplay`).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ARTIFACTS, newPage } from './browser.mjs';

export const QUANTPLAY = fileURLToPath(new URL('../../target/debug/quantplay', import.meta.url));

/** Opens `lessons/<file><hash>` and waits until the library is loaded and the widget drew. */
export async function openLesson(env, file, hash = '') {
  const page = await newPage(env.browser);
  await page.goto(`${env.url}lessons/${file}${hash}`);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.getElementById('lesson-status')?.dataset.state), null, { timeout: 60_000 });
  const status = await page.evaluate(() => document.getElementById('lesson-status').dataset.state);
  assert.equal(status, 'ready', `lesson ${file} loaded: ${await page.textContent('#lesson-status')}`);
  await page.waitForSelector('#lesson-command[data-output]', { timeout: 60_000 });
  return page;
}

/** The output object the widget drew from (what the library returned), and the command's argv. */
export async function widgetOutput(page) {
  return page.evaluate(() => {
    const el = document.getElementById('lesson-command');
    return { argv: JSON.parse(el.dataset.argv), output: JSON.parse(el.dataset.output), text: el.textContent };
  });
}

/** Runs the native `quantplay` with `argv`; its stdout. */
export function runCli(argv) {
  assert.ok(existsSync(QUANTPLAY), `${QUANTPLAY} is missing: run cargo build --bin quantplay`);
  return execFileSync(QUANTPLAY, argv, { encoding: 'utf8', timeout: 60_000 });
}

/**
 * The CLI-agreement check: the page's command, run natively, prints with `--json` exactly the
 * object the widget drew from, and its text contains every `[data-cli]` line the page shows.
 * Returns the text output.
 */
export async function checkCliAgrees(page) {
  const { argv, output, text } = await widgetOutput(page);
  assert.ok(text.startsWith('quantplay '), text);
  assert.deepEqual(JSON.parse(runCli([...argv, '--json'])), output, `${text} --json`);
  const printed = runCli(argv);
  const lines = await page.$$eval('[data-cli]', (els) => els.map((e) => e.dataset.cli));
  assert.ok(lines.length > 0, 'the page marks the numbers the command prints (data-cli)');
  const have = new Set(printed.split('\n'));
  for (const line of lines) assert.ok(have.has(line), `${text} prints the line "${line}":\n${printed}`);
  return printed;
}

/**
 * Answers exercise `id` with `value` (a number, or a choice's index) and returns the verdict
 * (`correct` / `wrong`) and whether the hint shows.
 */
export async function answer(page, id, value) {
  const ex = `#ex-${id}`;
  if (await page.$(`${ex} .answer-input`)) await page.fill(`${ex} .answer-input`, String(value));
  else await page.check(`${ex} input[type=radio][value="${value}"]`);
  await page.click(`${ex} button.check`);
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    return { verdict: el.dataset.verdict, hint: !el.querySelector('.hint').hidden };
  }, ex);
}

/** Answers `id` once right and once wrong and checks the verdicts and the hint. */
export async function checkExercise(page, id, right, wrong) {
  assert.deepEqual(await answer(page, id, wrong), { verdict: 'wrong', hint: true }, `exercise ${id}, wrong answer ${wrong}`);
  assert.deepEqual(await answer(page, id, right), { verdict: 'correct', hint: false }, `exercise ${id}, right answer ${right}`);
  await page.click(`#ex-${id} button.show-solution`);
  assert.ok(await page.isVisible(`#ex-${id} .solution`), `exercise ${id} shows its solution`);
}

/** A screenshot, the handout PDF and the answers-sheet PDF of the page; checks both are PDFs. */
export async function printViews(page, name) {
  await page.screenshot({ path: `${ARTIFACTS}lesson-${name}.png`, fullPage: true });
  await page.emulateMedia({ media: 'print' });
  const handout = await page.pdf({ format: 'A4' });
  // The answers sheet: what "Print answers sheet" sets up before window.print().
  await page.evaluate(async () => (await import('./kit.js')).setPrintAnswers(true));
  assert.ok(await page.evaluate(() => [...document.querySelectorAll('.exercise .solution')].every((s) => s.textContent.startsWith('Solution.'))), `${name}: every solution is filled for the answers sheet`);
  const answers = await page.pdf({ format: 'A4' });
  await page.evaluate(async () => (await import('./kit.js')).setPrintAnswers(false));
  await page.emulateMedia({ media: 'screen' });
  for (const [kind, pdf] of [['handout', handout], ['answers', answers]]) {
    assert.ok(pdf.length > 5000 && pdf.subarray(0, 5).toString() === '%PDF-', `${name} ${kind} PDF (${pdf.length} B)`);
    writeFileSync(`${ARTIFACTS}lesson-${name}-${kind}.pdf`, pdf);
  }
  return { handout: handout.length, answers: answers.length };
}
