/**
 * The kubeconfig that points kubectl at the API server: cluster, user and context all named `portchain`
 * (as kind names them after the cluster). Written to its own file; merged into another kubeconfig (replacing
 * only the `portchain` entries) only when asked.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse, stringify } from 'yaml';
import { isJsonObject, type JsonObject, type JsonValue } from './json.js';

export const CONTEXT_NAME = 'portchain';

export interface KubeconfigEntry {
  readonly server: string;
  readonly caCert: string;
  readonly token: string;
  readonly namespace?: string;
}

function entries(e: KubeconfigEntry) {
  return {
    cluster: {
      name: CONTEXT_NAME,
      cluster: { server: e.server, 'certificate-authority-data': Buffer.from(e.caCert).toString('base64') },
    },
    user: { name: CONTEXT_NAME, user: { token: e.token } },
    context: {
      name: CONTEXT_NAME,
      context: {
        cluster: CONTEXT_NAME,
        user: CONTEXT_NAME,
        ...(e.namespace ? { namespace: e.namespace } : {}),
      },
    },
  };
}

export function kubeconfigText(e: KubeconfigEntry): string {
  const x = entries(e);
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [x.cluster],
    users: [x.user],
    contexts: [x.context],
    'current-context': CONTEXT_NAME,
    preferences: {},
  });
}

/** Writes atomically (temp file, then rename) with mode 0600: the file holds a bearer token. */
async function writePrivate(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}

export async function writeKubeconfig(path: string, e: KubeconfigEntry): Promise<void> {
  await writePrivate(path, kubeconfigText(e));
}

/** Replaces the `portchain` cluster, user and context of the kubeconfig at `path` and makes it current. */
export async function mergeKubeconfig(path: string, e: KubeconfigEntry): Promise<void> {
  let doc: JsonObject = {};
  try {
    const v = parse(await readFile(path, 'utf8')) as JsonValue;
    if (isJsonObject(v)) doc = v;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const x = entries(e);
  const replace = (key: string, entry: JsonObject) => {
    const list = Array.isArray(doc[key]) ? (doc[key] as JsonValue[]) : [];
    doc[key] = [...list.filter((i) => !(isJsonObject(i) && i.name === CONTEXT_NAME)), entry];
  };
  doc.apiVersion ??= 'v1';
  doc.kind ??= 'Config';
  replace('clusters', x.cluster);
  replace('users', x.user);
  replace('contexts', x.context);
  doc['current-context'] = CONTEXT_NAME;
  await writePrivate(path, stringify(doc));
}

/** Removes the `portchain` entries again (on close after a merge); the current context is cleared if ours. */
export async function unmergeKubeconfig(path: string): Promise<void> {
  let doc: JsonValue;
  try {
    doc = parse(await readFile(path, 'utf8')) as JsonValue;
  } catch {
    return;
  }
  if (!isJsonObject(doc)) return;
  for (const key of ['clusters', 'users', 'contexts']) {
    const list = doc[key];
    if (Array.isArray(list)) doc[key] = list.filter((i) => !(isJsonObject(i) && i.name === CONTEXT_NAME));
  }
  if (doc['current-context'] === CONTEXT_NAME) doc['current-context'] = '';
  await writePrivate(path, stringify(doc));
}
