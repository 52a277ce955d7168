// Tiny static file server for the bench pages: serves the repository root (bench/, node_modules/,
// www/, ...) on 127.0.0.1 so the page is a secure context and WebGPU is allowed. Paths that
// escape the root or touch a dot-directory (.git, .ci, ...) are refused. `.wasm` is served as
// application/wasm so instantiateStreaming works. Used by bench/webgpu-run.mjs; also runnable:
//   node bench/static-server.mjs [--port 8090]     then open /bench/webgpu/peers.html
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
  '.onnx': 'application/octet-stream',
};

function resolvePath(urlPath) {
  let path;
  try {
    path = decodeURIComponent(new URL(urlPath, 'http://x').pathname);
  } catch {
    return null;
  }
  const file = normalize(join(ROOT, path));
  if (!file.startsWith(ROOT + sep)) return null;
  if (file.slice(ROOT.length).split(sep).some((part) => part.startsWith('.'))) return null;
  return file;
}

/** Starts the server; `port` 0 picks a free one. Resolves to `{ url, close }`. */
export function startStaticServer({ port = 0, host = '127.0.0.1' } = {}) {
  const server = createServer(async (req, res) => {
    const file = resolvePath(req.url || '/');
    try {
      if (!file || !(await stat(file)).isFile()) throw new Error('not found');
      const body = await readFile(file);
      res.writeHead(200, {
        'Content-Type': MIME[extname(file)] || 'application/octet-stream',
        'Cache-Control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`404: ${req.url}\n`);
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      ok({
        url: `http://${host}:${actual}/`,
        close: () => new Promise((done) => {
          server.closeAllConnections?.();
          server.close(done);
        }),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const port = i > 0 ? Number(process.argv[i + 1]) : 8090;
  startStaticServer({ port })
    .then(({ url }) => console.log(`bench server: ${url}bench/webgpu/peers.html  (Ctrl-C to stop)`))
    .catch((e) => {
      console.error(`could not serve on port ${port}: ${e.message}`);
      process.exit(1);
    });
}
