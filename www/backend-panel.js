// Renders the backend panel from quantplay's SystemInfo JSON (see crate/src/info.rs):
// the WebGPU adapter's vendor, architecture and features, or "CPU" with the reason.

const yesNo = (b) => (b ? 'yes' : 'no');

/** Fills `dl` with term/definition rows from `info`; returns the one-line backend label. */
export function renderBackend(dl, info) {
  const rows = [];
  const gpu = info.gpu;
  if (gpu) {
    const label = [gpu.vendor, gpu.architecture].filter(Boolean).join(' · ') || gpu.name;
    rows.push(['In use', `WebGPU — ${label}${gpu.is_fallback ? ' (software fallback adapter)' : ''}`]);
    rows.push(['Adapter', gpu.name || '—']);
    rows.push(['shader-f16', yesNo(gpu.shader_f16)]);
    rows.push(['packed int8 dot product', yesNo(gpu.packed_int8_dot)]);
    rows.push(['Largest tensor', `${(gpu.max_storage_buffer_binding_size / 2 ** 20).toFixed(0)} MiB`]);
  } else {
    rows.push(['In use', 'CPU']);
    rows.push(['Why not WebGPU', info.gpu_unavailable_reason || 'unknown']);
  }
  rows.push(['CPU SIMD', info.cpu.simd.length ? info.cpu.simd.join(', ') : 'none']);
  dl.replaceChildren(
    ...rows.flatMap(([term, value]) => {
      const dt = document.createElement('dt');
      const dd = document.createElement('dd');
      dt.textContent = term;
      dd.textContent = value;
      return [dt, dd];
    }),
  );
  dl.dataset.backend = info.active_backend;
  return rows[0][1];
}
