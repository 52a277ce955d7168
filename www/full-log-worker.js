// The full step log's writer: a dedicated worker that owns one file in the Origin Private File
// System (navigator.storage.getDirectory()) through a FileSystemSyncAccessHandle, which only a
// dedicated worker may open. It appends the text the page sends (one chunk's JSON Lines) at the
// file's end and flushes it to disk, so the file grows and the page's memory does not. It
// answers full-log.js, one message each: `{id, op, args}` → `{id, ok, value}` or `{id, ok:
// false, error: {name, message}}`, in the order sent. Not here: what a line holds or when a log
// starts (full-log.js), the runs (engine-worker.js).

/** The live log and the copy a download reads (the live one stays locked by its handle). */
const LOG_FILE = 'full-log.jsonl';
const DOWNLOAD_FILE = 'full-log-download.jsonl';
const PROBE_FILE = `full-log-probe-${Math.random().toString(36).slice(2)}`; // one per tab: tabs probe at once
const COPY_BYTES = 1 << 20; // a download copies the log in pieces of this size

/** @type {FileSystemDirectoryHandle | null} */
let dir = null;
/** @type {FileSystemSyncAccessHandle | null} */
let handle = null; // the live log's FileSystemSyncAccessHandle, while one is open
const encoder = new TextEncoder();

/** The origin's private directory. @returns {Promise<FileSystemDirectoryHandle>} */
async function root() {
  if (!self.navigator?.storage?.getDirectory) throw new Error('navigator.storage.getDirectory is missing: this browser has no Origin Private File System');
  dir ??= await navigator.storage.getDirectory();
  return dir;
}

/** Opens `name` (created when missing) for synchronous access. @param {string} name */
async function openSync(name) {
  const file = await (await root()).getFileHandle(name, { create: true });
  if (typeof file.createSyncAccessHandle !== 'function') throw new Error('FileSystemFileHandle.createSyncAccessHandle is missing in this browser');
  return file.createSyncAccessHandle();
}

function closeLive() {
  if (!handle) return;
  handle.flush();
  handle.close();
  handle = null;
}

const ops = {
  /** Opens, writes and removes a probe file: resolves true where OPFS works, else throws why. */
  async probe() {
    const h = await openSync(PROBE_FILE);
    h.write(encoder.encode('ok'), { at: 0 });
    h.close();
    await (await root()).removeEntry(PROBE_FILE);
    return true;
  },
  /** Starts a new, empty log, replacing the old one. */
  async begin() {
    closeLive();
    handle = await openSync(LOG_FILE);
    handle.truncate(0);
    handle.flush();
    return { bytes: 0 };
  },
  /** Appends `text` at the end and flushes; resolves to the file's size in bytes. @param {{ text: string }} args */
  append({ text }) {
    if (!handle) throw new Error('no log is open (begin one first)');
    const bytes = encoder.encode(text);
    const at = handle.getSize();
    const wrote = handle.write(bytes, { at });
    if (wrote !== bytes.length) throw new Error(`the log took ${wrote} of ${bytes.length} bytes (is the storage quota full?)`);
    handle.flush();
    return { bytes: at + wrote };
  },
  /** Closes the live log (recording switched off); the file stays. */
  end() {
    closeLive();
    return true;
  },
  /** Copies the log, as flushed so far, to DOWNLOAD_FILE (replacing the last copy) and resolves
   * to that copy as a File; the live log goes on growing meanwhile. */
  async copy() {
    const src = handle ?? (await openSync(LOG_FILE));
    const dst = await openSync(DOWNLOAD_FILE);
    try {
      dst.truncate(0);
      const size = src.getSize();
      const piece = new Uint8Array(COPY_BYTES);
      for (let at = 0; at < size; at += COPY_BYTES) {
        const n = src.read(piece, { at });
        dst.write(piece.subarray(0, n), { at });
      }
      dst.flush();
    } finally {
      dst.close();
      if (src !== handle) src.close();
    }
    return (await (await root()).getFileHandle(DOWNLOAD_FILE)).getFile();
  },
};

let queue = Promise.resolve();
/** @typedef {keyof typeof ops} Op */
self.onmessage = (/** @type {MessageEvent<{ id: number, op: Op, args?: any }>} */ { data: { id, op, args } }) => {
  queue = queue.then(async () => {
    try {
      if (!ops[op]) throw new Error(`unknown full-log request "${op}" (one of ${Object.keys(ops).join(', ')})`);
      self.postMessage({ id, ok: true, value: await ops[op](args || {}) });
    } catch (e) {
      self.postMessage({ id, ok: false, error: { name: e?.name || 'Error', message: String(e?.message ?? e) } });
    }
  });
};
