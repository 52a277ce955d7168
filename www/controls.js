// Binds the page's settings controls to the URL state: every <input>/<select> with a data-key
// attribute shows state[key], and a change is validated with state.js's rules, written to the
// state and pushed to the hash as a new history entry (so Back undoes it; url-sync.js applies
// Back/Forward), then reported to `onChange(key)`. A bad value is refused with a readable note
// next to the control; a setting the dataset ignores (state.js ignoredKeys) is disabled.
// Not here: what a change does (main.js decides), reading the URL back (url-sync.js).

import { check, ignoredKeys, toHash } from './state.js';

/** A bound control: an <input> (a checkbox is 0/1) or a <select>. @typedef {HTMLInputElement | HTMLSelectElement} Control */
/** @typedef {import('./types.js').State} State */

/** @param {Control} el @returns {string} */
function readControl(el) {
  if (el.type === 'checkbox') return /** @type {HTMLInputElement} */ (el).checked ? '1' : '0';
  return el.value.trim();
}

/** @param {Control} el @param {unknown} value */
function writeControl(el, value) {
  if (el.type === 'checkbox') /** @type {HTMLInputElement} */ (el).checked = Number(value) === 1;
  else el.value = String(value);
}

/** The control's refused-value note, if its label has one. @param {Element} el */
const noteOf = (el) => el.closest('label')?.querySelector('.bad-value');

/**
 * Disables the controls `state` ignores (digits: samples, noise) and says why in their title.
 * @param {ParentNode} root
 * @param {State} state
 */
export function markIgnored(root, state) {
  const ignored = ignoredKeys(state);
  for (const el of /** @type {NodeListOf<Control>} */ (root.querySelectorAll('[data-key]'))) {
    const why = ignored[/** @type {string} */ (el.dataset.key)];
    el.disabled = Boolean(why);
    el.title = why || '';
    el.closest('label')?.classList.toggle('ignored', Boolean(why));
  }
}

/**
 * Shows `state` in every bound control, clearing any refused-value note.
 * @param {ParentNode} root
 * @param {State} state
 */
export function showState(root, state) {
  for (const el of /** @type {NodeListOf<Control>} */ (root.querySelectorAll('[data-key]'))) {
    writeControl(el, state[/** @type {string} */ (el.dataset.key)]);
    el.removeAttribute('aria-invalid');
    const note = noteOf(el);
    if (note) note.textContent = '';
  }
  markIgnored(root, state);
}

/**
 * Wires the controls under `root`; returns nothing.
 * @param {ParentNode} root
 * @param {{ state: State }} app
 * @param {(key: string) => void} onChange
 */
export function bindControls(root, app, onChange) {
  for (const el of /** @type {NodeListOf<Control>} */ (root.querySelectorAll('[data-key]'))) {
    el.addEventListener('change', () => {
      const key = /** @type {string} */ (el.dataset.key);
      const v = check(key, readControl(el));
      const note = noteOf(el);
      if (v && typeof v === 'object' && 'error' in v) {
        el.setAttribute('aria-invalid', 'true');
        if (note) note.textContent = `must be ${v.error}`;
        return;
      }
      el.removeAttribute('aria-invalid');
      if (note) note.textContent = '';
      if (app.state[key] === v) return;
      app.state[key] = v;
      history.pushState(null, '', toHash(app.state));
      markIgnored(root, app.state);
      onChange(key);
    });
  }
}
