// Applies the URL hash to the page whenever it changes from outside the page: Back and Forward
// (popstate) and a hash edited by hand in the address bar (hashchange). The hash is parsed with
// state.js's rules, written into app.state, shown in the controls, written back normalised, and
// the changed keys are reported to `onApply` so main.js decides what to restart.
//
// History rule: a setting changed on the page is a new entry (controls.js and the backend switch
// use pushState), so Back and Forward step through the user's changes; normalising a hash (at
// boot, after a hand edit or a bad value) replaces the current entry and adds no step.
// Not here: parsing (state.js), what a change does (main.js), the controls' own events.

import { parseHash, toHash } from './state.js';
import { showState } from './controls.js';

/**
 * Starts listening; returns a function that stops. `onApply(changedKeys, problems)` is called
 * after app.state and the controls show the URL's settings, when a key changed or a value was
 * refused (`problems`: state.js parseHash's readable list).
 * @param {{ state: import('./types.js').State }} app
 * @param {(changed: string[], problems: string[]) => void} onApply
 * @param {ParentNode} [root] where the bound controls are (the document)
 */
export function syncFromUrl(app, onApply, root = document) {
  const apply = () => {
    // Our own pushState/replaceState fire no event; a popstate followed by a hashchange for
    // the same navigation finds the URL already normalised to the state and stops here.
    if (location.hash === toHash(app.state)) return;
    const { state, problems } = parseHash(location.hash);
    const changed = Object.keys(state).filter((k) => state[k] !== app.state[k]);
    Object.assign(app.state, state);
    history.replaceState(history.state, '', toHash(app.state));
    showState(root, app.state);
    if (changed.length || problems.length) onApply(changed, problems);
  };
  window.addEventListener('popstate', apply);
  window.addEventListener('hashchange', apply);
  return () => {
    window.removeEventListener('popstate', apply);
    window.removeEventListener('hashchange', apply);
  };
}
