// Boots the playground: loads the wasm package, opens the backend the URL asks for, wires the
// panels, and keeps the URL hash in sync with the controls. Errors from the core are shown as
// readable messages; the page never goes blank.

import init, { Playground } from './pkg/quantplay.js';
import { parseHash, toHash } from './state.js';
import { renderBackend } from './backend-panel.js';
import { runMatmul, renderMatmul } from './matmul-panel.js';

const $ = (id) => document.getElementById(id);
const status = $('status');
const message = $('message');

function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

function showMessage(text) {
  message.hidden = !text;
  message.textContent = text || '';
}

let state;
let playground = null;
let backendLabel = '';

async function openBackend() {
  playground?.free();
  playground = null;
  playground = await Playground.create(state.backend === 'webgpu');
  const info = JSON.parse(playground.info_json());
  const label = renderBackend($('backend-info'), info);
  $('use-gpu').checked = state.backend === 'webgpu';
  window.quantplay = { Playground, playground, info }; // a handle for the console and the e2e test
  backendLabel = label;
  return label;
}

async function onRun(event) {
  event?.preventDefault();
  const form = $('matmul-form');
  if (!form.reportValidity()) return;
  for (const key of ['m', 'k', 'n', 'seed']) state[key] = Number(form.elements[key].value);
  history.replaceState(null, '', toHash(state));
  const button = $('run-matmul');
  button.disabled = true;
  setStatus('busy', `Running a (${state.m}, ${state.k}) · (${state.k}, ${state.n}) matmul on both backends…`);
  try {
    const result = await runMatmul(Playground, playground, state);
    renderMatmul($('matmul-result'), $('diff-heatmap'), result);
    setStatus('ready', `Ready. Backend: ${backendLabel}.`);
  } catch (e) {
    showMessage(`Matmul failed: ${e.message || e}`);
    setStatus('error', 'Matmul failed; see the message above.');
  } finally {
    button.disabled = false;
  }
}

async function main() {
  const parsed = parseHash(location.hash);
  state = parsed.state;
  if (parsed.problems.length) {
    showMessage(`Some URL settings were ignored and defaults used: ${parsed.problems.join('; ')}.`);
  }
  history.replaceState(null, '', toHash(state));
  const form = $('matmul-form');
  for (const key of ['m', 'k', 'n', 'seed']) form.elements[key].value = state[key];
  try {
    await init();
    const label = await openBackend();
    setStatus('ready', `Ready. Backend: ${label}.`);
  } catch (e) {
    setStatus('error', `Could not start: ${e.message || e}`);
    return;
  }
  form.addEventListener('submit', onRun);
  $('use-gpu').addEventListener('change', async (e) => {
    state.backend = e.target.checked ? 'webgpu' : 'cpu';
    history.replaceState(null, '', toHash(state));
    setStatus('busy', 'Switching backend…');
    const label = await openBackend();
    setStatus('ready', `Ready. Backend: ${label}.`);
  });
  await onRun();
}

main();
