/**
 * Serving the built page (dist/web) safely: only files inside the static folder, never a path that resolves
 * outside it (`..`, encoded `%2e%2e`, backslashes, NUL), with the right content type.
 */
import { realpathSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

export const contentType = (file: string): string => TYPES[extname(file)] ?? 'application/octet-stream';

export type StaticLookup =
  | { readonly status: 200; readonly file: string; readonly type: string }
  | { readonly status: 400 | 404 };

/** Maps a request path (as received, still percent-encoded, no query) to a file inside `root`. */
export function lookupStatic(root: string, rawPath: string): StaticLookup {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return { status: 400 };
  }
  if (path.includes('\0') || path.includes('\\')) return { status: 400 };
  if (!path.startsWith('/')) return { status: 400 };
  const segments = path.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return { status: 404 };
  const relative = path === '/' ? 'index.html' : path.slice(1);
  let base: string;
  try {
    base = realpathSync(root);
  } catch {
    return { status: 404 };
  }
  const candidate = resolve(join(base, relative));
  if (candidate !== base && !candidate.startsWith(base + sep)) return { status: 404 };
  try {
    // A symlink out of the folder is as good as `..`.
    const real = realpathSync(candidate);
    if (!real.startsWith(base + sep) || !statSync(real).isFile()) return { status: 404 };
    return { status: 200, file: real, type: contentType(real) };
  } catch {
    return { status: 404 };
  }
}
