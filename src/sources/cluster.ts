/**
 * Reads a live cluster, read-only (list only), as another input: the kubeconfig is loaded by
 * @kubernetes/client-node (KUBECONFIG merging, ~/.kube/config, in-cluster service account, exec and auth
 * plugins), the context chosen, and the context's namespace applied unless -n or -A says otherwise.
 * (@kubernetes/client-node 1.x: its 2.x bundles an undici that needs Node >= 22.15.) Each kind the port chain needs
 * is listed with limit/continue pagination; every object becomes one source, rendered as the YAML
 * `kubectl edit` shows and named by the `kubectl edit` command that opens it, so a finding's location reads
 * as the command that fixes it. EndpointSlices are read too: the `endpoints-drift` rule compares them with
 * what the selectors give. Secrets are not read. With `probe` (--probe), each Running pod is also asked what it
 * listens on through exec (probe.ts): the one request that is not a read (RBAC: docs/probe-rbac.yaml).
 */
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { Finding } from '../model/finding.js';
import type { SourceText } from '../model/load.js';
import type { ObservedPodSockets } from '../semantics/listening.js';
import type { ReadResult } from './files.js';
import { probePods } from './probe.js';

export interface ClusterOptions {
  /** A kubeconfig file; default: $KUBECONFIG (merged), ~/.kube/config, else the in-cluster service account. */
  readonly kubeconfig?: string;
  readonly context?: string;
  /** -n: this namespace instead of the context's. */
  readonly namespace?: string;
  /** -A: every namespace. */
  readonly allNamespaces?: boolean;
  /** Items per list request (limit); default 500, as kubectl. */
  readonly pageSize?: number;
  /** Called before each list request (`listing services in shop`), for progress on a terminal. */
  readonly onProgress?: (message: string) => void;
  /** --probe: read the sockets of Running pods through exec (probe.ts); they replace the inference. */
  readonly probe?: boolean;
}

export interface ClusterReadResult extends ReadResult {
  readonly context: string;
  /** The namespace read, null for all namespaces. */
  readonly namespace: string | null;
  /** List requests made (pages included). */
  readonly requests: number;
  /** With `probe`: `namespace/name` -> the sockets read in that pod. */
  readonly observed?: ReadonlyMap<string, ObservedPodSockets>;
}

export class ClusterError extends Error {}

interface Kind {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

/** What check, trace and graph read: the chain's kinds and what they reference (ConfigMaps for ports). */
const KINDS: readonly Kind[] = [
  { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses', namespaced: true },
  { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', plural: 'ingressclasses', namespaced: false },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true },
  { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true },
];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a request needs from the kubeconfig: the server, TLS material, headers. */
interface Access {
  readonly context: string;
  readonly server: string;
  readonly namespace: string | undefined;
  apply(opts: https.RequestOptions): Promise<void>;
  /** For exec (--probe). */
  readonly kc: KubeConfig;
}

/**
 * @kubernetes/client-node's KubeConfig: KUBECONFIG files merged, ~/.kube/config, the in-cluster service
 * account, exec and auth-provider plugins, as kubectl.
 */
async function clientNodeAccess(o: ClusterOptions): Promise<Access> {
  // Loaded on demand: only --cluster needs it, and it is large.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    throw new ClusterError(`cannot load the kubeconfig: ${(e as Error).message}`);
  }
  if (o.context) {
    if (!kc.getContextObject(o.context)) throw new ClusterError(`context "${o.context}" does not exist`);
    kc.setCurrentContext(o.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new ClusterError('no cluster: the kubeconfig has no current context');
  const context = kc.getCurrentContext();
  return {
    context,
    server: cluster.server,
    namespace: kc.getContextObject(context)?.namespace,
    apply: (opts) => kc.applyToHTTPSOptions(opts),
    kc,
  };
}

interface Page {
  readonly status: number;
  readonly body: Json;
}

async function get(access: Access, path: string): Promise<Page> {
  const server = access.server;
  const url = new URL(path, server);
  const opts: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
  await access.apply(opts);
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ...opts, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let body: Json = {};
        try {
          const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (isObject(v)) body = v;
        } catch {
          body = { message: `${res.statusCode}: not JSON` };
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 30s')));
    req.on('error', (e) => reject(new ClusterError(`cannot reach ${server}: ${e.message}`)));
    req.end();
  });
}

const listPath = (k: Kind, namespace: string | null) => {
  const base = k.apiVersion === 'v1' ? '/api/v1' : `/apis/${k.apiVersion}`;
  return k.namespaced && namespace !== null
    ? `${base}/namespaces/${namespace}/${k.plural}`
    : `${base}/${k.plural}`;
};

/** The `kubectl edit` command that opens an object: the name of its source. */
export function editCommand(
  kind: string,
  name: string,
  namespace: string | undefined,
  context: string,
): string {
  return `kubectl edit ${kind.toLowerCase()}/${name}${namespace ? ` -n ${namespace}` : ''} --context ${context}`;
}

/** What kubectl edit shows: server-managed noise dropped (managedFields, the last-applied annotation). */
function editable(o: Json): Json {
  const meta = isObject(o.metadata) ? { ...o.metadata } : {};
  delete meta.managedFields;
  if (isObject(meta.annotations)) {
    const a = { ...meta.annotations };
    delete a['kubectl.kubernetes.io/last-applied-configuration'];
    if (Object.keys(a).length > 0) meta.annotations = a;
    else delete meta.annotations;
  }
  return { ...o, metadata: meta };
}

export async function readCluster(o: ClusterOptions = {}): Promise<ClusterReadResult> {
  const access = await clientNodeAccess(o);
  const context = access.context;
  const contextNamespace = access.namespace;
  const namespace = o.allNamespaces ? null : (o.namespace ?? contextNamespace ?? 'default');
  const limit = o.pageSize ?? 500;
  const sources: SourceText[] = [];
  const findings: Finding[] = [];
  let requests = 0;
  const pods: Json[] = [];
  for (const k of KINDS) {
    // One namespace: only that Namespace object (its labels matter to NetworkPolicies).
    const single = k.kind === 'Namespace' && namespace !== null;
    let cont = '';
    do {
      const where = namespace === null || !k.namespaced ? '' : ` in ${namespace}`;
      o.onProgress?.(`listing ${k.plural}${where}${cont ? ' (next page)' : ''}`);
      const path = single
        ? `/api/v1/namespaces/${namespace}`
        : `${listPath(k, namespace)}?limit=${limit}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`;
      const page = await get(access, path);
      requests++;
      if (page.status !== 200) {
        findings.push({
          rule: 'input-unreadable',
          severity: page.status === 404 && single ? 'error' : 'warning',
          message: `cannot list ${k.plural}${where} (context ${context}): ${String(page.body.message ?? `HTTP ${page.status}`)}`,
          object: null,
          field: null,
          location: null,
        });
        break;
      }
      const items = single ? [page.body] : Array.isArray(page.body.items) ? page.body.items : [];
      for (const item of items) {
        if (!isObject(item)) continue;
        const meta = isObject(item.metadata) ? item.metadata : {};
        const name = String(meta.name ?? '');
        const ns = typeof meta.namespace === 'string' ? meta.namespace : undefined;
        const object = editable({ ...item, apiVersion: k.apiVersion, kind: k.kind });
        if (o.probe && k.kind === 'Pod') pods.push(item);
        sources.push({ name: editCommand(k.kind, name, ns, context), text: stringify(object) });
      }
      const meta = isObject(page.body.metadata) ? page.body.metadata : {};
      cont = single ? '' : typeof meta.continue === 'string' ? meta.continue : '';
    } while (cont);
  }
  const probed = o.probe
    ? await probePods(access.kc, pods, {
        context,
        sourceName: (ns, name) => editCommand('Pod', name, ns, context),
        ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      })
    : undefined;
  if (probed) findings.push(...probed.findings);
  return {
    sources,
    findings,
    order: sources.map((s) => s.name),
    context,
    namespace,
    requests,
    ...(probed ? { observed: probed.observed } : {}),
  };
}
