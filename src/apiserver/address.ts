/**
 * `up --api`'s address and kubeconfig paths: what the command parses before it starts anything, kept apart
 * from server.ts so that `up` without --api never loads the API server.
 */
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

export const DEFAULT_API_HOST = '127.0.0.1';
export const DEFAULT_API_PORT = 6443;

export class ApiAddressError extends Error {}

/** `--api [HOST:PORT]`: a 127.0.0.0/8 host (or localhost) and a port; `true` (flag alone) is the default. */
export function parseApiAddress(raw: string | boolean | undefined): { host: string; port: number } {
  if (raw === undefined || raw === true || raw === '')
    return { host: DEFAULT_API_HOST, port: DEFAULT_API_PORT };
  if (raw === false) throw new ApiAddressError('--api: no address');
  const m = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost)?:?(\d+)$/.exec(raw);
  const port = Number(m?.[2]);
  if (!m || port > 65535)
    throw new ApiAddressError(
      `--api ${raw}: expected HOST:PORT with a 127.0.0.0/8 host, e.g. 127.0.0.1:6443`,
    );
  const host = m[1] === 'localhost' || !m[1] ? DEFAULT_API_HOST : m[1];
  return { host, port };
}

/** Where `up` writes its kubeconfig unless --kubeconfig says otherwise: beside its state, never ~/.kube. */
export function defaultKubeconfigPath(cwd: string): string {
  return resolve(cwd, '.portchain', 'kubeconfig');
}

/** What --merge-kubeconfig merges into: the first file of $KUBECONFIG, else ~/.kube/config (as kubectl writes). */
export function userKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = env.KUBECONFIG?.split(delimiter).find((f) => f);
  return first ?? join(homedir(), '.kube', 'config');
}

/** The line `up` prints so the user's kubectl talks to it. */
export const exportLine = (kubeconfigPath: string) => `export KUBECONFIG=${kubeconfigPath}`;
