// The full step log (issue 15, item 5): while "Record full log" is on (state key `full_log`),
// every step record both runs show (runner.js) is appended to a file in the Origin Private File
// System as JSON Lines, one line per step and run: `{"run":"fp32"|"main", ...the record}` with
// the record's fields as crate/src/app/metrics.rs writes them. Lines are held only for the
// chunk in flight and written and flushed once per chunk by full-log-worker.js, so the page's
// memory stays bounded however long the run (its charts keep history.js's bounded history).
// A Reset (or a settings change) or switching the toggle on starts a new log that replaces the
// old one; switching it off keeps the file for download. "Download full log" saves a copy.
// A step number a run already logged is never written again (a WebGPU fallback redoes none:
// runner.js; this guard counts any in `dropped`). Not here: the file I/O (the worker), stepping.

import { toHash } from './state.js';

/** index.html has every id this module reads. @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const fmt = (/** @type {number} */ n) => n.toLocaleString('en');

/** @typedef {'fp32' | 'main'} Which */

/**
 * Starts the writer worker and probes OPFS; returns the log (see the methods below).
 * @param {import('./types.js').App} app
 */
export function createFullLog(app) {
  const log = {
    available: /** @type {boolean | null} */ (null), // true / false once probed
    why: '', // why OPFS is unavailable
    recording: false,
    buffer: /** @type {string[]} */ ([]), // lines of the chunk in flight
    last: { fp32: 0, main: 0 }, // the last step logged per run
    first: { fp32: 0, main: 0 },
    lines: 0,
    bytes: 0,
    dropped: 0,
    failed: '', // why the last recording stopped by itself
    request, // to the writer worker (a test may wrap it)
  };
  /** @type {Worker | null} */
  let worker = null;
  let next = 1;
  /** @type {Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }>} */
  const pending = new Map();
  /** @type {string | null} */
  let url = null; // the last download's Blob URL

  /**
   * One request to the writer worker.
   * @param {string} op
   * @param {Record<string, unknown>} [args]
   * @returns {Promise<any>}
   */
  function request(op, args = {}) {
    const id = next++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      /** @type {Worker} */ (worker).postMessage({ id, op, args });
    });
  }

  async function probe() {
    if (!navigator.storage?.getDirectory) throw new Error('navigator.storage.getDirectory is missing');
    worker = new Worker(new URL('./full-log-worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = ({ data }) => {
      const p = pending.get(data.id);
      pending.delete(data.id);
      if (data.ok) p?.resolve(data.value);
      else p?.reject(Object.assign(new Error(data.error.message), { name: data.error.name }));
    };
    worker.onerror = (ev) => {
      ev.preventDefault();
      const dead = new Error(`the log writer worker failed: ${ev.message || 'could not load'}`);
      for (const p of pending.values()) p.reject(dead);
      pending.clear();
    };
    await request('probe');
  }

  const ready = probe().then(
    () => { log.available = true; },
    (e) => {
      log.available = false;
      log.why = String(e?.message || e);
      const box = /** @type {HTMLInputElement | null} */ (document.querySelector('[data-key="full_log"]'));
      // unbound, so controls.js neither shows nor re-enables it
      box?.removeAttribute('data-key');
      if (box) Object.assign(box, { checked: false, disabled: true, title: log.why });
      if (app.state.full_log) {
        app.state.full_log = 0;
        history.replaceState(history.state, '', toHash(app.state));
      }
    },
  ).finally(render);

  /** Stops a recording the file refused (`why`): the toggle and the URL go off. @param {string} why */
  function stop(why) {
    Object.assign(log, { recording: false, failed: why });
    app.state.full_log = 0;
    history.replaceState(history.state, '', toHash(app.state));
    const box = /** @type {HTMLInputElement | null} */ (document.querySelector('[data-key="full_log"]'));
    if (box) box.checked = false;
  }

  /** Starts a new, empty log (the old file is replaced). Where the file cannot be opened
   * (another tab of the page holds its lock) the recording stops and says why; never throws. */
  function begin() {
    Object.assign(log, { recording: true, failed: '', buffer: [], last: { fp32: 0, main: 0 }, first: { fp32: 0, main: 0 }, lines: 0, bytes: 0, dropped: 0 });
    return log.request('begin').catch((e) => stop(`${e?.name}: ${e?.message || e}; is another tab of this page recording?`)).then(render);
  }

  /** Follows app.state.full_log: on starts a new log with the next chunk, off closes it. Queued
   * on the runner (between chunks), so both runs' logs start and stop at the same step. */
  async function sync() {
    await ready;
    const between = (/** @type {() => Promise<void>} */ fn) => (app.runner ? app.runner.exclusive(fn) : fn());
    return between(async () => {
      if (!log.available && app.state.full_log) { // a URL cannot switch on what is missing
        app.state.full_log = 0;
        history.replaceState(history.state, '', toHash(app.state));
      }
      const want = Boolean(app.state.full_log) && log.available;
      if (want === log.recording) return render();
      if (want) return begin();
      await flush();
      log.recording = false;
      await request('end');
      render();
    });
  }

  /** The runs were reset: a recording log starts anew (a run's steps restart at 1). */
  async function restart() {
    await ready;
    if (log.available && app.state.full_log) await begin();
    else render();
  }

  /**
   * Buffers the lines of `records` (one chunk of run `which`); flush() writes them.
   * @param {Which} which
   * @param {import('./types.js').StepRecord[]} records
   */
  function append(which, records) {
    if (!log.recording) return;
    for (const rec of records) {
      if (rec.step <= log.last[which]) {
        log.dropped++;
        continue;
      }
      if (!log.first[which]) log.first[which] = rec.step;
      log.last[which] = rec.step;
      log.buffer.push(JSON.stringify({ run: which, ...rec }));
    }
  }

  /** Writes and flushes the buffered lines (once per chunk). A failed write (a full storage
   * quota) stops the recording and says so; training goes on. */
  async function flush() {
    if (!log.buffer.length) return;
    const lines = log.buffer;
    log.buffer = [];
    try {
      const { bytes } = await log.request('append', { text: `${lines.join('\n')}\n` });
      Object.assign(log, { bytes, lines: log.lines + lines.length });
    } catch (e) {
      stop(String(e?.message || e));
      for (const w of /** @type {Which[]} */ (['fp32', 'main'])) {
        const lost = lines.find((l) => l.startsWith(`{"run":"${w}"`));
        if (lost) log.last[w] = JSON.parse(lost).step - 1; // the steps the file holds
      }
    }
    render();
  }

  /** Saves a copy of the log through an <a download>; the log goes on recording. */
  async function download() {
    await flush();
    const file = await request('copy');
    if (url) URL.revokeObjectURL(url);
    url = URL.createObjectURL(file);
    const a = document.createElement('a');
    a.href = url;
    a.download = `quantplay-full-log-seed${app.state.seed}-${app.state.precision}-${log.last.main}-steps.jsonl`;
    document.body.append(a);
    a.click();
    a.remove();
  }

  function render() {
    const info = $('full-log-info');
    const button = /** @type {HTMLButtonElement} */ ($('full-log-download'));
    if (!info || !button) return;
    const { fp32, main } = log.last;
    Object.assign(info.dataset, {
      available: String(log.available), recording: String(log.recording), lines: String(log.lines), bytes: String(log.bytes),
      fp32First: String(log.first.fp32), fp32Last: String(fp32), mainFirst: String(log.first.main), mainLast: String(main), dropped: String(log.dropped), failed: log.failed,
    });
    button.disabled = !log.lines;
    const steps = `${fmt(log.lines)} lines (steps ${fmt(log.first.main)}–${fmt(main)} of each run), ${fmt(log.bytes)} B`;
    if (log.available === false) info.textContent = `Unavailable: this browser gives the page no Origin Private File System (${log.why}), so the toggle stays off and only the charts' bounded history is kept.`;
    else if (log.available === null) info.textContent = 'Checking the browser\'s private file storage…';
    else if (log.recording) info.textContent = log.lines ? `Recording: ${steps}.` : 'Recording from the next step.';
    else if (log.failed) info.textContent = log.lines ? `Recording stopped: the file took no more (${log.failed}); the log (${steps}) is kept for download.` : `Not recording: the log file could not be opened (${log.failed}).`;
    else info.textContent = log.lines ? `Off; the last log (${steps}) is kept for download until a new one starts.` : 'Off: nothing is written.';
  }

  $('full-log-download')?.addEventListener('click', () => download().catch((e) => {
    $('full-log-info').textContent = `Could not save the log: ${String(e?.message || e)}`;
  }));
  return Object.assign(log, { ready, sync, restart, append, flush, download });
}
