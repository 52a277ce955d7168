// The page's three text slots for what is going on: the status line, the message (a problem the
// user caused or can fix) and the banner (the backend changed under them). Not here: what to say
// (main.js, gpu-notice.js).

/** The element of index.html with this `id` (index.html has every id the page asks for; the
 * sites that need a kind of element, an input or a canvas, cast to it).
 * @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** Sets the status line and its state (`busy`, `ready`, `error`; e2e tests wait on it).
 * @param {'busy' | 'ready' | 'error'} state
 * @param {string} text */
export function setStatus(state, text) {
  $('status').dataset.state = state;
  $('status').textContent = text;
}

/** Shows `text` as the message, or hides the message when it is empty. @param {string} text */
export function showMessage(text) {
  $('message').hidden = !text;
  $('message').textContent = text || '';
}

/** Shows `text` as the banner, or hides the banner when it is empty. @param {string} text */
export function showBanner(text) {
  $('banner').hidden = !text;
  $('banner').textContent = text || '';
}
