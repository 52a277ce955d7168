// Static file server on 127.0.0.1 (a secure context, so WebGPU is allowed), `.wasm` served as
// application/wasm. Two scopes:
//   'page' (default)  index.html, www/ (including the wasm-bindgen package in www/pkg/) and
//                     lessons/ (the teaching pages) only;
//                     used by `scripts/serve` (prints the URL) and the e2e tests;
//   'repo'            the whole repository except dot-directories (.git, .ci, ...), for the bench
//                     pages that load node_modules/ (bench/webgpu-run.mjs; `--repo` on the CLI).
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** MIME types by extension; `.wasm` must be application/wasm for instantiateStreaming. */
export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ts': 'text/plain; charset=utf-8',
  '.map': 'application/json',
  '.onnx': 'application/octet-stream',
};

/** Maps a URL path to a servable file under ROOT for `scope`, or null. */
function resolvePath(urlPath, scope) {
  let path;
  try {
    path = decodeURIComponent(new URL(urlPath, 'http://x').pathname);
  } catch {
    return null;
  }
  if (path === '/' || path === '/index.html') return join(ROOT, 'index.html');
  const file = normalize(join(ROOT, path));
  if (scope === 'repo') {
    const inside = file.startsWith(ROOT + sep);
    return inside && !file.slice(ROOT.length).split(sep).some((part) => part.startsWith('.')) ? file : null;
  }
  if (path === '/lessons/') return join(ROOT, 'lessons', 'index.html');
  return [join(ROOT, 'www') + sep, join(ROOT, 'lessons') + sep].some((dir) => file.startsWith(dir)) ? file : null;
}

/**
 * Starts the server. `port` 0 picks a free port. Resolves to `{ url, close }`.
 * @param {{ port?: number, host?: string, scope?: 'page' | 'repo' }} [opts]
 */
export function startServer({ port = 8080, host = '127.0.0.1', scope = 'page' } = {}) {
  const server = createServer(async (req, res) => {
    const file = resolvePath(req.url || '/', scope);
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
      res.end(`404: ${req.url}${scope === 'page' ? ' (only index.html, www/ and lessons/ are served)' : ''}\n`);
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
  const port = i > 0 ? Number(process.argv[i + 1]) : Number(process.env.PORT || 8080);
  const scope = process.argv.includes('--repo') ? 'repo' : 'page';
  startServer({ port, scope })
    .then(({ url }) => console.log(`quantplay playground: ${url}  lessons: ${url}lessons/  (Ctrl-C to stop)`))
    .catch((e) => {
      console.error(`could not serve on port ${port}: ${e.message} (try --port N)`);
      process.exit(1);
    });
}
