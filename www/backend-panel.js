// Renders the Backend panel from quantplay's SystemInfo JSON (see crate/src/info.rs): the WebGPU
// adapter's vendor, architecture and features, or "CPU" with the reason; and the effective
// precision of the training run with its reason (Trainer.effective_precision_json).

/**
 * Trainer.effective_precision_json (crate/src/web/trainer.rs).
 * @typedef {{ requested: string, effective: string, emulated?: boolean, reason?: string | null,
 *   deprecation?: string | null }} EffectivePrecision
 */

/** @param {unknown} b */
const yesNo = (b) => (b ? 'yes' : 'no');

/** @param {HTMLElement} dl @param {[string, string][]} rows */
function fill(dl, rows) {
  dl.replaceChildren(
    ...rows.flatMap(([term, value]) => {
      const dt = document.createElement('dt');
      const dd = document.createElement('dd');
      dt.textContent = term;
      dd.textContent = value;
      return [dt, dd];
    }),
  );
}

/**
 * Fills `dl` with term/definition rows from `info`; returns the one-line backend label.
 * @param {HTMLElement} dl
 * @param {import('./types.js').SystemInfo} info
 * @param {string} [active] the backend in use (default: the one info says opened)
 * @returns {string}
 */
export function renderBackend(dl, info, active = info.active_backend) {
  /** @type {[string, string][]} */
  const rows = [];
  const gpu = info.gpu;
  if (gpu && active === 'webgpu') {
    const label = [gpu.vendor, gpu.architecture].filter(Boolean).join(' · ') || gpu.name;
    rows.push(['In use', `WebGPU — ${label}${gpu.is_fallback ? ' (software fallback adapter)' : ''}`]);
    rows.push(['Adapter', gpu.name || '—']);
    rows.push(['shader-f16', yesNo(gpu.shader_f16)]);
    rows.push(['packed int8 dot product', yesNo(gpu.packed_int8_dot)]);
    rows.push(['Largest tensor', `${(gpu.max_storage_buffer_binding_size / 2 ** 20).toFixed(0)} MiB`]);
  } else if (active === 'cpu-reference') {
    rows.push(['In use', 'CPU reference — plain loops, no SIMD (the oracle every backend is checked against)']);
    rows.push(['Why not WebGPU', 'the URL asks for backend=cpu-reference']);
  } else {
    const simd = info.cpu.simd.length ? info.cpu.simd.join(', ') : 'no SIMD found';
    rows.push(['In use', `CPU fast path (${simd})`]);
    rows.push(['Why not WebGPU', gpu ? 'WebGPU failed during the run (see the banner)' : info.gpu_unavailable_reason || 'unknown']);
  }
  // what the fast path may use; the reference uses none of it
  rows.push(['CPU SIMD', `${info.cpu.simd.length ? info.cpu.simd.join(', ') : 'none'}${active === 'cpu-reference' ? ' (not used by the reference)' : ''}`]);
  fill(dl, rows);
  dl.dataset.backend = active;
  return rows[0][1];
}

/**
 * Fills `dl` with the requested and effective precision and the reason they differ.
 * @param {HTMLElement} dl
 * @param {EffectivePrecision} e
 */
export function renderPrecision(dl, e) {
  /** @type {[string, string][]} */
  const rows = [['Precision asked', e.requested], ['Effective precision', `${e.effective}${e.emulated ? ' (emulated)' : ''}`]];
  if (e.reason) rows.push(['Why', e.reason]);
  if (e.deprecation) rows.push(['Note', e.deprecation]);
  fill(dl, rows);
  dl.dataset.effective = e.effective;
}
