// The lessons' shared kit: loads the wasm package (the same www/pkg the playground uses), runs a
// lesson through the library's one call `lesson(name, input)`, keeps a lesson's state in the URL
// hash, shows the `quantplay lesson …` command that prints the same numbers, checks exercises,
// and prints handouts. DOM helpers only; no lesson's numbers are computed here.
// Not here: the numbers (crate/src/app/lessons/), each lesson's widget (lessons/<name>.js).

import init, { lesson as runLesson, lessonNames } from '../www/pkg/quantplay.js';

/** The lessons in reading order: `name` is the library's and the CLI's name, `file` the page. */
export const LESSONS = [
  { name: 'affine', file: 'affine.html', title: 'Affine int8 by hand' },
  { name: 'observers', file: 'observers.html', title: 'Observers and calibration' },
  { name: 'per-channel', file: 'per-channel.html', title: 'Per-channel weights and fusion' },
  { name: 'integer', file: 'integer.html', title: 'Integer inference' },
  { name: 'formats', file: 'formats.html', title: 'f16 and bf16' },
  { name: 'autocast', file: 'autocast.html', title: 'Autocast' },
  { name: 'loss-scaling', file: 'loss-scaling.html', title: 'Loss scaling' },
  { name: 'pipeline', file: 'pipeline.html', title: 'The whole pipeline' },
];

/** @typedef {Record<string, number | boolean | string | number[]>} LessonInput */

let loaded = /** @type {Promise<void> | null} */ (null);

/** Loads the wasm package once; marks `#lesson-status` ready (or error, with the reason). */
export function loadLibrary() {
  loaded ??= init().then(
    () => setStatus('ready', ''),
    (e) => {
      setStatus('error', `Could not load the wasm module: ${e?.message ?? e}`);
      throw e;
    },
  );
  return loaded;
}

/**
 * @param {'ready' | 'error' | 'loading'} state
 * @param {string} text
 */
export function setStatus(state, text) {
  const el = document.getElementById('lesson-status');
  if (!el) return;
  el.dataset.state = state;
  el.textContent = text;
  el.hidden = !text;
}

/**
 * Runs lesson `name` on `input` in the library; throws the library's Error (message names the bad
 * value and the valid ones).
 * @param {string} name
 * @param {LessonInput} input
 * @returns {any}
 */
export function compute(name, input) {
  return runLesson(name, input);
}

/** The names the library knows (a check that LESSONS and the library agree). */
export function libraryLessons() {
  return lessonNames();
}

/**
 * `String(x)`: the page's number format, the one `quantplay lesson` prints (app::lessons::num).
 * @param {number | string} x
 */
export const fmt = (x) => String(x);

/**
 * The command line for `input`: flags are the input's fields with `_` → `-`; arrays join with
 * commas (`--values=-1,2`), `true` is a bare flag, `false` is left out.
 * @param {string} name
 * @param {LessonInput} input
 * @returns {string[]} argv after `quantplay`
 */
export function commandFor(name, input) {
  const argv = ['lesson', name];
  for (const [key, v] of Object.entries(input)) {
    const flag = `--${key.replaceAll('_', '-')}`;
    if (v === true) argv.push(flag);
    else if (v === false) continue;
    else argv.push(`${flag}=${Array.isArray(v) ? v.join(',') : v}`);
  }
  return argv;
}

/**
 * Shows the command that prints `output` for `input` in `el`, and leaves both in its data
 * attributes (`data-argv`, `data-output`) for the CLI-agreement test.
 * @param {HTMLElement} el
 * @param {string} name
 * @param {LessonInput} input
 * @param {unknown} output
 */
export function showCommand(el, name, input, output) {
  const argv = commandFor(name, input);
  el.dataset.argv = JSON.stringify(argv);
  el.dataset.output = JSON.stringify(output);
  refreshSolutions();
  el.textContent = `quantplay ${argv.map((a) => (/[^\w=.,:+\-/]/.test(a) ? `'${a}'` : a)).join(' ')}`;
}

/**
 * The lesson's URL state: `#key=value&…`, typed by `defaults` (numbers, booleans, strings,
 * number lists as `1,2,3`). A bad value falls back to the default and is reported.
 * @template {LessonInput} T
 * @param {T} defaults
 * @returns {{ state: T, problems: string[] }}
 */
export function readHash(defaults) {
  const state = /** @type {T} */ ({ ...defaults });
  const problems = [];
  const params = new URLSearchParams(location.hash.slice(1));
  for (const [key, raw] of params) {
    if (!(key in defaults)) {
      problems.push(`unknown key ${key}`);
      continue;
    }
    const d = defaults[key];
    let v;
    if (typeof d === 'number') v = raw.trim() === '' ? NaN : Number(raw);
    else if (typeof d === 'boolean') v = raw === '1' || raw === 'true' ? true : raw === '0' || raw === 'false' ? false : undefined;
    else if (Array.isArray(d)) v = raw.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
    else v = raw;
    const ok = typeof d === 'number' ? Number.isFinite(v) : Array.isArray(d) ? /** @type {number[]} */ (v).every(Number.isFinite) : v !== undefined;
    if (ok) /** @type {any} */ (state)[key] = v;
    else problems.push(`${key}=${raw} is not valid; kept ${Array.isArray(d) ? d.join(',') : d}`);
  }
  return { state, problems };
}

/**
 * Writes `state` to the hash (replacing the entry: typing in a widget adds no history steps).
 * @param {LessonInput} state
 */
export function writeHash(state) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(state)) params.set(k, Array.isArray(v) ? v.join(',') : typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  history.replaceState(history.state, '', `#${params.toString().replaceAll('%2C', ',')}`);
}

/**
 * @typedef {{ id: string, prompt: string, kind: 'number', answer: () => number, tolerance: number,
 *   hint: string, solution: () => string }} NumberExercise
 * @typedef {{ id: string, prompt: string, kind: 'choice', options: string[], answer: () => number,
 *   hint: string, solution: () => string }} ChoiceExercise
 */

/**
 * Renders an exercise into `el`; the page checks the answer against the library's live number
 * (`answer()`), within `tolerance` (absolute) for numbers. A wrong answer shows the hint; "Show
 * solution" shows the worked solution. `el.dataset.verdict` is `correct` / `wrong` after a check.
 * @param {HTMLElement} el
 * @param {NumberExercise | ChoiceExercise} ex
 */
export function exercise(el, ex) {
  el.classList.add('exercise');
  el.id = `ex-${ex.id}`;
  el.innerHTML = '';
  const p = document.createElement('p');
  p.className = 'prompt';
  p.innerHTML = ex.prompt;
  const row = document.createElement('div');
  row.className = 'answer-row no-print';
  /** @type {() => string} */
  let read;
  /** @type {HTMLElement | null} */
  let choices = null;
  if (ex.kind === 'number') {
    const input = document.createElement('input');
    input.type = 'text';
    input.inputMode = 'decimal';
    input.className = 'answer-input';
    input.setAttribute('aria-label', 'your answer');
    row.append(input);
    read = () => input.value;
  } else {
    const group = document.createElement('div');
    group.className = 'choices';
    ex.options.forEach((text, i) => {
      const label = document.createElement('label');
      const radio = document.createElement('input');
      radio.type = 'radio';
      radio.name = `ex-${ex.id}`;
      radio.value = String(i);
      label.append(radio, ` ${text}`);
      group.append(label);
    });
    choices = group;
    read = () => /** @type {HTMLInputElement | null} */ (group.querySelector('input:checked'))?.value ?? '';
  }
  const check = document.createElement('button');
  check.type = 'button';
  check.className = 'check';
  check.textContent = 'Check';
  const show = document.createElement('button');
  show.type = 'button';
  show.className = 'show-solution link';
  show.textContent = 'Show solution';
  row.append(check, show);
  const verdict = document.createElement('p');
  verdict.className = 'verdict';
  verdict.setAttribute('aria-live', 'polite');
  const hint = document.createElement('p');
  hint.className = 'hint no-print';
  hint.hidden = true;
  hint.textContent = `Hint: ${ex.hint}`;
  const solution = document.createElement('div');
  solution.className = 'solution answer';
  // Filled when shown or printed, from the state at that moment (the widget may have changed).
  const fillSolution = () => (solution.innerHTML = `<strong>Solution.</strong> ${ex.solution()}`);
  solution.hidden = true;
  check.addEventListener('click', () => {
    const raw = read().trim();
    let ok;
    if (ex.kind === 'number') {
      const v = Number(raw);
      // "Infinity" / "-Infinity" (or inf) answer a value that is infinite, as f16 overflow is.
      const w = /^[+-]?inf(inity)?$/i.test(raw) ? (raw.startsWith('-') ? -Infinity : Infinity) : v;
      const want = ex.answer();
      ok = raw !== '' && !Number.isNaN(w) && (w === want || Math.abs(w - want) <= ex.tolerance);
    } else {
      ok = raw !== '' && Number(raw) === ex.answer();
    }
    el.dataset.verdict = ok ? 'correct' : 'wrong';
    verdict.textContent = ok ? 'Correct.' : raw === '' ? 'Enter an answer first.' : 'Not quite.';
    hint.hidden = ok;
  });
  show.addEventListener('click', () => {
    fillSolution();
    solution.hidden = false;
  });
  // A choice's options print on the handout; the buttons and the text box are screen-only.
  el.append(p, ...(choices ? [choices] : []), row, verdict, hint, solution);
  // The answers sheet prints every solution for the current state.
  window.addEventListener('beforeprint', fillSolution);
  el.addEventListener('lesson:refresh', () => {
    fillSolution();
    delete el.dataset.verdict;
    verdict.textContent = '';
    hint.hidden = true;
  });
}

/**
 * Refills every exercise's solution from the current state and clears verdicts given for an
 * earlier state. `showCommand` calls it, so every redraw of a widget does.
 */
export function refreshSolutions() {
  for (const el of document.querySelectorAll('.exercise')) el.dispatchEvent(new Event('lesson:refresh'));
}

/**
 * The header's links (index, previous, next, playground) and the print buttons. `playground` is
 * the playground's URL hash that shows this lesson's topic.
 * @param {string} current lesson name
 * @param {string} playground
 */
export function lessonChrome(current, playground) {
  const i = LESSONS.findIndex((l) => l.name === current);
  const nav = document.getElementById('lesson-nav');
  if (nav) {
    const links = [`<a href="index.html">All lessons</a>`];
    if (i > 0) links.push(`<a rel="prev" href="${LESSONS[i - 1].file}">← ${LESSONS[i - 1].title}</a>`);
    if (i >= 0 && i < LESSONS.length - 1) links.push(`<a rel="next" href="${LESSONS[i + 1].file}">${LESSONS[i + 1].title} →</a>`);
    links.push(`<a class="playground-link" href="../index.html${playground}">See it in the playground</a>`);
    nav.innerHTML = links.join(' · ');
  }
  const print = document.getElementById('print-buttons');
  if (print) {
    print.innerHTML = '<button type="button" data-print="handout">Print handout</button> <button type="button" data-print="answers">Print answers sheet</button>';
    print.addEventListener('click', (e) => {
      const kind = /** @type {HTMLElement} */ (e.target).dataset?.print;
      if (!kind) return;
      setPrintAnswers(kind === 'answers');
      window.print();
    });
  }
}

/**
 * Whether the print view includes the solutions (the answers sheet) or not (the handout).
 * @param {boolean} on
 */
export function setPrintAnswers(on) {
  refreshSolutions();
  document.body.classList.toggle('print-answers', on);
}
