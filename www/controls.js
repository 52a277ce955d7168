// Binds the page's settings controls to the URL state: every <input>/<select> with a data-key
// attribute shows state[key], and a change is validated with state.js's rules, written to the
// state and pushed to the hash as a new history entry (so Back undoes it; url-sync.js applies
// Back/Forward), then reported to `onChange(key)`. A bad value is refused with a readable note
// next to the control; a setting the dataset ignores (state.js ignoredKeys) is disabled.
// Not here: what a change does (main.js decides), reading the URL back (url-sync.js).

import { check, toHash } from './state.js';

function readControl(el) {
  if (el.type === 'checkbox') return el.checked ? '1' : '0';
  return el.value.trim();
}

function writeControl(el, value) {
  if (el.type === 'checkbox') el.checked = Number(value) === 1;
  else el.value = String(value);
}

/** Shows `state` in every bound control. */
export function showState(root, state) {
  for (const el of root.querySelectorAll('[data-key]')) writeControl(el, state[el.dataset.key]);
}

/** Wires the controls under `root`; returns nothing. */
export function bindControls(root, app, onChange) {
  for (const el of root.querySelectorAll('[data-key]')) {
    el.addEventListener('change', () => {
      const key = el.dataset.key;
      const v = check(key, readControl(el));
      const note = el.closest('label')?.querySelector('.bad-value');
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
      onChange(key);
    });
  }
}
