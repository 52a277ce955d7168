// Types of quantplay's npm entry point (`index.js`): `init` and the classes it re-exports from the
// wasm-bindgen build, whose generated declarations (`quantplay.d.ts`) document each method.
// The methods take and return JSON strings today; this file does not change that API.
export { Playground, Trainer, last_panic } from './quantplay.js';

/** Where `init` gets the `.wasm` from: fetched (URL, string), read (`file:` URL or a path under Node), or used as is. */
export type WasmSource = URL | string | ArrayBuffer | Uint8Array | Response | WebAssembly.Module;

/** Options of {@link init}. */
export interface InitOptions {
  /** Defaults to `new URL('./quantplay_bg.wasm', import.meta.url)`, the file shipped next to `index.js`. */
  wasm?: WasmSource | Promise<WasmSource>;
}

/**
 * Starts the wasm module once (in a page, a Web Worker or Node); resolves when `Playground` and
 * `Trainer` can be used. A second call returns the first call's promise; after a failed start-up
 * the next call tries again. Rejects with a `TypeError` naming the valid kinds for a bad `wasm`.
 */
export function init(options?: InitOptions): Promise<void>;
export default init;
