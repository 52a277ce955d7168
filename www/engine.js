// The main thread's side of the engine worker (engine-worker.js): one promise per request, so
// the page calls the wasm as if it were local but never runs it on the main thread. A rejected
// request is an Error with the worker's `name` and message (a `GpuDeviceError` stays one, so the
// runner's fallback rule still applies). Not here: what to call when (runner.js, main.js).

/**
 * Starts the worker; resolves to `{ request(op, args, onProgress?), trainer(which), terminate() }`.
 * `trainer(which)` is a handle whose every method, `h.evaluate()`, `h.run(k)`, …, calls that
 * Trainer method in the worker and resolves to its result.
 * @returns {import('./types.js').Engine}
 */
export function startEngine() {
  const worker = new Worker(new URL('./engine-worker.js', import.meta.url), { type: 'module' });
  /** @type {Map<number, { resolve: (v: any) => void, reject: (e: Error) => void, onProgress?: (p: any) => void }>} */
  const pending = new Map();
  let next = 1;
  /** @type {Error | null} */
  let dead = null;
  worker.onmessage = ({ data }) => {
    const p = pending.get(data.id);
    if (!p) return;
    if ('progress' in data) return p.onProgress?.(data.progress);
    pending.delete(data.id);
    if (data.ok) return p.resolve(data.value);
    const e = new Error(data.error.message);
    e.name = data.error.name;
    p.reject(e);
  };
  worker.onerror = (ev) => {
    ev.preventDefault();
    dead = new Error(`the engine worker failed: ${ev.message || 'could not load'}`);
    for (const p of pending.values()) p.reject(dead);
    pending.clear();
  };

  /**
   * Sends one request; resolves to its value.
   * @template {keyof import('./types.js').EngineOps} K
   * @param {K} op
   * @param {import('./types.js').EngineOps[K]['args']} [args]
   * @param {(progress: any) => void} [onProgress]
   * @returns {Promise<import('./types.js').EngineOps[K]['value']>}
   */
  function request(op, args = {}, onProgress) {
    if (dead) return Promise.reject(dead);
    const id = next++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, onProgress });
      worker.postMessage({ id, op, args });
    });
  }

  /** @param {string} which @returns {import('./types.js').TrainerHandle} */
  function trainer(which) {
    return /** @type {import('./types.js').TrainerHandle} */ (new Proxy({}, {
      // no method for `then` (so awaiting a handle does not call the worker) nor for a symbol key
      // (Symbol.toPrimitive, Symbol.iterator: postMessage cannot clone a symbol)
      get: (_, method) => (method === 'then' || typeof method === 'symbol' ? undefined : (/** @type {unknown[]} */ ...args) => request('call', { which, method, args })),
    }));
  }

  return { request, trainer, terminate: () => worker.terminate() };
}
