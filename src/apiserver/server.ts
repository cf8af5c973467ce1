/**
 * A Kubernetes-compatible API for `portchain up`, on loopback: HTTPS with a throwaway CA, a random bearer
 * token, a kubeconfig whose cluster, user and context are named `portchain`. The store is seeded with the
 * objects `up` started with (those the API server accepts); every write is admitted by the semantic core and
 * reconciled into the running data plane before the response goes out, so `kubectl apply` then `curl` works.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { parse as parseYaml, stringify } from 'yaml';
import type { Finding } from '../model/finding.js';
import { loadAll, type SourceText } from '../model/load.js';
import { RejectedObjects } from '../rules/rejection.js';
import type { ContainerRunState } from '../runtime/images/run.js';
import type { PodNetworkSource } from '../runtime/proc-net.js';
import type { Reconciled, Up } from '../runtime/up.js';
import type { NodePortRange } from '../semantics/node-ports.js';
import { admit, forSource } from './admission.js';
import { AppliedConfigurations } from './apply.js';
import {
  endpointSlices,
  endpoints,
  replicaSetName,
  replicaSets,
  serviceAllocations,
  storedPodStatus,
  workloadPods,
  workloadStatus,
} from './computed.js';
import {
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  VERSION_INFO,
} from './discovery.js';
import { EventRecorder, NODE_NAME } from './events.js';
import { isExecUrl, serveExec } from './exec.js';
import { applyFileObjects, declaredObject, FILE_FIELD_MANAGER, objectKey } from './file-apply.js';
import {
  apiErrorOf,
  createObject,
  deleteObject,
  getObject,
  listObjects,
  patchKind,
  patchObject,
  type RequestTarget,
  updateObject,
  type WriteContext,
} from './handlers.js';
import { cloneJson, isJsonObject, type JsonObject, type JsonValue, jsonEqual } from './json.js';
import { mergeKubeconfig, unmergeKubeconfig, writeKubeconfig } from './kubeconfig.js';
import { type PodLogSource, podLogs } from './logs.js';
import { openApiDocument, openApiIndex } from './openapi.js';
import { type PortForwardDialer, servePortForward } from './port-forward.js';
import { RESOURCES, type ResourceType, resourceFor, resourceOfKind } from './resources.js';
import { ApiError, badRequest, notFound } from './status.js';
import { metadataOf, ObjectStore } from './store.js';
import { type IncludeObject, toTable } from './tables.js';
import { servingCertificate } from './tls.js';
import { watchObjects } from './watch.js';

/** What the API needs of a running `up` (src/runtime/up.ts Up): an Up is one. */
export type ApiUp = Pick<Up, 'graph' | 'plan' | 'findings' | 'reconcile'> & {
  readonly pods: PodLogSource &
    PodNetworkSource & {
      containerStatus?(namespace: string, pod: string, container: string): ContainerRunState | undefined;
    };
};

export interface ApiServerOptions {
  readonly up: ApiUp;
  /** The sources `up` was started with: the store is seeded with the objects they hold. */
  readonly sources: readonly SourceText[];
  /** Loopback only (default 127.0.0.1). */
  readonly host?: string;
  /** Default 6443; 0 picks a free port. */
  readonly port?: number;
  /** Where to write the kubeconfig (its own file; never ~/.kube/config by default). */
  readonly kubeconfigPath: string;
  /** Also merge the `portchain` entries into this kubeconfig (e.g. ~/.kube/config); removed again on close. */
  readonly mergeKubeconfig?: string;
  /** The namespace objects that name none land in (as `up` loaded them). */
  readonly defaultNamespace?: string;
  readonly nodePortRange?: NodePortRange;
  /** Called after every reconcile a write caused, with up's change phrases. */
  readonly onReconcile?: (changes: readonly string[]) => void;
  /** Called when a reconcile fails (the write is stored; the data plane keeps its previous plan). */
  readonly onError?: (e: Error) => void;
  /** How often the kubelet's readiness is read for `Unhealthy` events (default 1000 ms; 0: never). */
  readonly readinessPollMs?: number;
}

export interface ApiServer {
  readonly url: string;
  readonly kubeconfigPath: string;
  readonly token: string;
  readonly caCert: string;
  /**
   * `--watch` with `--api`: applies the files' objects as `kubectl apply --server-side --prune` (file-apply.ts),
   * then reconciles once. Resolves with that reconcile (null when it failed: onError was told).
   */
  applyFiles(sources: readonly SourceText[]): Promise<FileApplyReport>;
  close(): Promise<void>;
}

export interface FileApplyReport {
  readonly reconciled: Reconciled | null;
  readonly deleted: readonly string[];
  readonly refused: readonly string[];
}

const NAMESPACE_TERMINATION_MS = 300;
const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function mediaParams(accept: string): Map<string, string>[] {
  return accept.split(',').map((part) => {
    const [type = '', ...params] = part.split(';').map((x) => x.trim());
    const m = new Map<string, string>([['type', type]]);
    for (const p of params) {
      const [k = '', v = ''] = p.split('=');
      m.set(k.trim(), v.trim());
    }
    return m;
  });
}

const wantsTable = (accept: string) =>
  mediaParams(accept).some((m) => m.get('as') === 'Table' && m.get('g') === 'meta.k8s.io');

function aggregatedVersion(accept: string): 'v2' | 'v2beta1' | null {
  for (const m of mediaParams(accept))
    if (m.get('as') === 'APIGroupDiscoveryList' && m.get('g') === 'apidiscovery.k8s.io') {
      const v = m.get('v');
      if (v === 'v2' || v === 'v2beta1') return v;
    }
  return null;
}

function send(res: ServerResponse, code: number, body: JsonValue, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

function sendError(res: ServerResponse, e: unknown): void {
  const err = apiErrorOf(e);
  send(res, err.code, err.body());
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 3 * 1024 * 1024)
      throw new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string, contentType: string): JsonValue {
  if (text.trim() === '') return null;
  try {
    if (contentType.includes('yaml')) return parseYaml(text) as JsonValue;
    return JSON.parse(text) as JsonValue;
  } catch (e) {
    throw badRequest(`the body of the request could not be decoded: ${(e as Error).message}`);
  }
}

/** /api/v1/... and /apis/GROUP/v1/...: the resource, namespace, name and subresource a path names. */
function parseTarget(segs: readonly string[]): RequestTarget | null {
  let group: string;
  let rest: readonly string[];
  if (segs[0] === 'api' && segs[1] === 'v1') {
    group = '';
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 3 && segs[2] === 'v1') {
    group = segs[1] ?? '';
    rest = segs.slice(3);
  } else return null;
  if (rest.length === 0) return null;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const inner = resourceFor(group, 'v1', rest[2] ?? '');
    if (inner?.namespaced) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }
  const type = resourceFor(group, 'v1', rest[0] ?? '');
  if (!type) return null;
  return { type, namespace, name: rest[1], subresource: rest[2] };
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const host = options.host ?? '127.0.0.1';
  const up = options.up;
  const store = new ObjectStore();
  const token = randomBytes(24).toString('base64url');
  const tokenBuf = Buffer.from(`Bearer ${token}`);
  const certs = await servingCertificate([host]);
  const type = (plural: string) => RESOURCES.find((t) => t.plural === plural) as ResourceType;
  const types = {
    namespaces: type('namespaces'),
    services: type('services'),
    pods: type('pods'),
    endpoints: type('endpoints'),
    endpointslices: type('endpointslices'),
    replicasets: type('replicasets'),
    events: type('events'),
  };

  // Seed: built-in namespaces, then every object `up` started with that the API server accepts.
  for (const ns of BUILTIN_NAMESPACES)
    store.create(types.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  const seeded = loadAll(
    options.sources,
    options.defaultNamespace ? { defaultNamespace: options.defaultNamespace } : {},
  );
  const rejected = new RejectedObjects(up.findings);
  // The files' objects are also recorded as applied by the files' field manager, so a later file edit under
  // --watch removes what it removed (applyFiles), and the prune knows what came from the files.
  const applied = new AppliedConfigurations();
  let fileKeys = new Set<string>();
  const ensureNamespace = (ns: string) => {
    if (ns && !store.get(types.namespaces, '', ns))
      store.create(types.namespaces, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
  };
  for (const m of seeded.manifests) {
    if (rejected.has(m)) continue;
    const t = resourceOfKind(m.apiVersion, m.kind);
    if (!t) continue;
    const raw = JSON.parse(JSON.stringify(m.raw)) as JsonObject;
    const declared = declaredObject(t, m);
    const meta = metadataOf(raw);
    if (t.namespaced) {
      meta.namespace = m.namespace;
      ensureNamespace(m.namespace);
    }
    // `up FILES` stands for `kubectl apply -f FILES`: the objects carry the annotation client-side apply
    // computes its next three-way patch from, so editing a file and applying it again removes what it removed.
    const annotations = isJsonObject(meta.annotations) ? meta.annotations : {};
    annotations['kubectl.kubernetes.io/last-applied-configuration'] = `${JSON.stringify(raw)}\n`;
    meta.annotations = annotations;
    if (t.kind === 'Namespace') {
      const existing = store.get(t, '', m.name);
      if (existing) continue;
      raw.status = { phase: 'Active' };
    }
    // Hand-written Endpoints and EndpointSlices are stored as written (they feed mirroring).
    const target = {
      type: t.computed ? { ...t, computed: false } : t,
      namespace: m.namespace || undefined,
      name: undefined,
      subresource: undefined,
    };
    if (store.get(t, m.namespace, m.name)) continue;
    try {
      store.create(
        t,
        admit(target.type, raw, store, options.nodePortRange ? { nodePortRange: options.nodePortRange } : {}),
      );
      if (!t.computed) {
        applied.apply(t, null, declared, FILE_FIELD_MANAGER, false);
        fileKeys.add(objectKey(t, m.namespace && t.namespaced ? m.namespace : '', m.name));
      }
    } catch {
      // Refused after all (e.g. a nodePort taken by an earlier seed): a real cluster would not hold it either.
    }
  }

  // Events of the scheduler, the kubelet and the service controller for what `up` runs (events.ts).
  const recorder = new EventRecorder();
  const uidOf = (kind: 'Pod' | 'Service', ns: string, name: string) => {
    const e = store.get(kind === 'Pod' ? types.pods : types.services, ns, name);
    const uid = e ? metadataOf(e.object).uid : undefined;
    return typeof uid === 'string' ? uid : undefined;
  };

  /** Writes what controllers, the registry and the kubelet would: from up's current plan and graph. */
  const writeBack = () => {
    const view = {
      graph: up.graph,
      plan: up.plan,
      findings: up.findings,
      ready: (ns: string, pod: string) => up.pods.ready?.(ns, pod),
      container: (ns: string, pod: string, c: string) => up.pods.containerStatus?.(ns, pod, c),
    };
    for (const e of store.written()) {
      const o = cloneJson(e.object);
      if (e.type === types.services) {
        const alloc = serviceAllocations(view, e.namespace, e.name);
        const spec = isJsonObject(o.spec) ? o.spec : {};
        if (alloc?.clusterIP && (spec.clusterIP === undefined || spec.clusterIP === '')) {
          spec.clusterIP = alloc.clusterIP;
          spec.clusterIPs = [alloc.clusterIP];
        }
        // The registry's IP family defaulting for a single-stack IPv4 cluster.
        if (spec.type !== 'ExternalName' && alloc) {
          spec.ipFamilies ??= ['IPv4'];
          spec.ipFamilyPolicy ??= 'SingleStack';
        }
        o.spec = spec;
        o.status = alloc?.loadBalancerIP
          ? { loadBalancer: { ingress: [{ ip: alloc.loadBalancerIP, ipMode: 'VIP' }] } }
          : { loadBalancer: {} };
      } else if (e.type === types.pods) {
        const created = String(metadataOf(o).creationTimestamp ?? '');
        const status = storedPodStatus(view, e.namespace, e.name, created);
        if (status) o.status = status;
        // The scheduler's binding: the one node.
        if (status && isJsonObject(o.spec) && o.spec.nodeName === undefined) o.spec.nodeName = NODE_NAME;
      } else if (['Deployment', 'StatefulSet', 'DaemonSet'].includes(e.type.kind)) {
        o.status = workloadStatus(
          view,
          e.type.kind,
          e.namespace,
          e.name,
          metadataOf(o).generation,
          e.type.kind === 'Deployment' ? replicaSetName(e) : undefined,
        );
      } else continue;
      if (!jsonEqual(o, e.object)) store.update(e, o);
    }
    store.syncComputed(types.pods, workloadPods(view));
    store.syncComputed(
      types.replicasets,
      replicaSets(
        view,
        store.written().filter((e) => e.type.kind === 'Deployment'),
      ),
    );
    store.syncComputed(types.endpoints, endpoints(view));
    store.syncComputed(types.endpointslices, endpointSlices(view));
    recorder.observe(up.plan, uidOf);
    store.syncComputed(types.events, recorder.list());
  };

  const sources = (): SourceText[] =>
    store.written().map((e) => ({
      name: `api/${e.type.group ? `${e.type.plural}.${e.type.group}` : e.type.plural}/${e.namespace ? `${e.namespace}/` : ''}${e.name}`,
      text: stringify(forSource(e.object)),
    }));

  let queue: Promise<void> = Promise.resolve();
  const sync = (): Promise<Reconciled | null> => {
    const run = queue.then(async () => {
      let r: Reconciled | null = null;
      try {
        r = await up.reconcile(sources(), { findings: [] as Finding[], order: [] });
        options.onReconcile?.(r.changes);
      } catch (e) {
        options.onError?.(e as Error);
      }
      writeBack();
      return r;
    });
    queue = run.then(
      () => {},
      () => {},
    );
    return run;
  };
  await sync();

  /** What the kubelet decides of every planned pod (readiness, restarts, back-off), as one comparable string. */
  const kubeletState = () =>
    JSON.stringify(
      up.plan.pods.map((p) => [
        p.namespace,
        p.name,
        up.pods.ready?.(p.namespace, p.name) ?? null,
        p.containers.map((c) => up.pods.containerStatus?.(p.namespace, p.name, c.name) ?? null),
      ]),
    );
  let lastKubeletState = kubeletState();

  // The prober's Warning events: readiness is read from up's kubelet (pods.ready), as its status sync does.
  let polling = false;
  const pollMs = options.readinessPollMs ?? 1000;
  const readinessTimer =
    pollMs > 0
      ? setInterval(() => {
          if (polling) return;
          polling = true;
          recorder
            .observeReadiness(up.plan, up.graph, (ns, pod) => up.pods.ready?.(ns, pod), uidOf)
            .then((recorded) => {
              if (recorded) store.syncComputed(types.events, recorder.list());
              // The kubelet's status sync: readiness, restarts and CrashLoopBackOff reach the stored pods.
              const now = kubeletState();
              if (now !== lastKubeletState) {
                lastKubeletState = now;
                writeBack();
              }
            })
            .catch((e: Error) => options.onError?.(e))
            .finally(() => {
              polling = false;
            });
        }, pollMs)
      : null;
  readinessTimer?.unref();

  const timers = new Set<NodeJS.Timeout>();
  const ctx: WriteContext = {
    store,
    admission: options.nodePortRange ? { nodePortRange: options.nodePortRange } : {},
    applied,
    sync: async () => {
      await sync();
    },
    allocate: (t, o) => {
      if (t !== types.services || !isJsonObject(o.spec)) return;
      const spec = o.spec;
      if (spec.type === 'ExternalName' || (typeof spec.clusterIP === 'string' && spec.clusterIP !== ''))
        return;
      // The ClusterIP allocator: the first free address of the service range, as the plan allocates.
      const base = (up.plan.addressBase?.services ?? '127.96.0.0').split('.').map(Number);
      const taken = new Set<string>([
        ...up.plan.services.map((x) => x.clusterIP ?? ''),
        ...store
          .list(types.services)
          .map((e) => String((e.object.spec as JsonObject | undefined)?.clusterIP ?? '')),
      ]);
      for (let i = 1; i < 65535; i++) {
        const ip = `${base[0]}.${base[1]}.${i >> 8}.${i & 255}`;
        if ((i & 255) === 0 || taken.has(ip)) continue;
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
        return;
      }
    },
    defer: (task) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        task().catch((e: Error) => options.onError?.(e));
      }, NAMESPACE_TERMINATION_MS);
      timers.add(timer);
    },
  };

  const dial: PortForwardDialer = (namespace, pod, port) => {
    const p = up.plan.pods.find((x) => x.namespace === namespace && x.name === pod);
    if (!p) return null;
    const bind = p.containers.flatMap((c) => c.binds).find((b) => b.port === port && b.protocol === 'TCP');
    const offset = up.plan.lowPortOffset;
    return { host: p.ip, port: bind?.listenPort ?? (port < 1024 ? port + offset : port) };
  };

  let serverAddress = `${host}:0`;
  const authorized = (req: IncomingMessage) => {
    const h = Buffer.from(req.headers.authorization ?? '');
    return h.length === tokenBuf.length && timingSafeEqual(h, tokenBuf);
  };
  const unauthorized = new ApiError(401, 'Unauthorized', 'Unauthorized');

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!authorized(req)) return sendError(res, unauthorized);
    const url = new URL(req.url ?? '/', 'https://localhost');
    const segs = url.pathname.split('/').filter((s) => s);
    const accept = req.headers.accept ?? '';
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (method === 'GET') {
      if (path === '/version') return send(res, 200, VERSION_INFO);
      if (path === '/healthz' || path === '/livez' || path === '/readyz') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
        return;
      }
      if (path === '/api' || path === '/apis') {
        const v = aggregatedVersion(accept);
        if (v)
          return send(
            res,
            200,
            aggregatedDiscovery(path === '/api', v),
            `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`,
          );
        return send(res, 200, path === '/api' ? apiVersions(serverAddress) : apiGroupList());
      }
      if (path === '/api/v1') return send(res, 200, apiResourceList('') ?? {});
      if (path === '/openapi/v3') return send(res, 200, openApiIndex());
      if (path.startsWith('/openapi/v3/')) {
        const doc = openApiDocument(path.slice('/openapi/v3/'.length));
        if (doc) return send(res, 200, doc);
      }
      if (segs[0] === 'apis' && segs.length === 2) {
        const g = apiGroup(segs[1] ?? '');
        if (g) return send(res, 200, g);
      }
      if (segs[0] === 'apis' && segs.length === 3 && segs[2] === 'v1') {
        const l = apiResourceList(segs[1] ?? '');
        if (l) return send(res, 200, l);
      }
    }
    const target = parseTarget(segs);
    if (!target) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('404 page not found\n');
      return;
    }
    const q = url.searchParams;
    const t = target.type;
    if (target.subresource === 'log' && t === types.pods && method === 'GET') {
      const pod = store.get(t, target.namespace ?? '', target.name ?? '');
      if (!pod) throw notFound(t, target.name ?? '');
      const text = await podLogs(up.pods, pod.object, q.get('container'));
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(text);
      return;
    }
    if (target.subresource === 'portforward')
      throw badRequest('port-forward needs an upgrade to WebSocket or SPDY/3.1');
    // The API server's upgrade-aware proxy (UpgradeRequired) refuses a plain request.
    if (target.subresource === 'exec') throw badRequest('Upgrade request required');
    if (target.subresource !== undefined && target.subresource !== 'status')
      throw notFound(t, `${target.name ?? ''}/${target.subresource}`);
    const table = wantsTable(accept);
    const include = (q.get('includeObject') ?? 'Metadata') as IncludeObject;
    const reply = (code: number, o: JsonObject) =>
      table
        ? send(
            res,
            code,
            toTable(t, [o], { resourceVersion: String(metadataOf(o).resourceVersion ?? '') }, include),
            'application/json;as=Table;v=v1;g=meta.k8s.io',
          )
        : send(res, code, o);
    if (method === 'GET' && target.name === undefined) {
      if (q.get('watch') === '1' || q.get('watch') === 'true')
        return watchObjects(req, res, store, target, q, table ? include : null);
      const list = listObjects(store, target, q);
      if (table)
        return send(
          res,
          200,
          toTable(t, list.items, list.metadata, include),
          'application/json;as=Table;v=v1;g=meta.k8s.io',
        );
      return send(res, 200, {
        apiVersion: t.group ? `${t.group}/${t.version}` : t.version,
        kind: `${t.kind}List`,
        metadata: list.metadata,
        items: list.items,
      });
    }
    if (target.namespace === undefined && t.namespaced && method !== 'GET')
      throw new ApiError(
        405,
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`,
      );
    if (method === 'GET') return reply(200, getObject(store, target));
    const body = parseBody(await readBody(req), req.headers['content-type'] ?? 'application/json');
    if (method === 'POST' && target.name === undefined)
      return reply(201, await createObject(ctx, target, body, q));
    if (target.name === undefined)
      throw new ApiError(
        405,
        'MethodNotAllowed',
        'the server does not allow this method on the requested resource',
      );
    if (method === 'PUT') return reply(200, await updateObject(ctx, target, body, q));
    if (method === 'PATCH') {
      const r = await patchObject(ctx, target, patchKind(req.headers['content-type'] ?? ''), body, q);
      return reply(r.created ? 201 : 200, r.object);
    }
    if (method === 'DELETE') return reply(200, await deleteObject(ctx, target, q, body));
    throw new ApiError(
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
    );
  };

  const server = https.createServer({ cert: certs.cert, key: certs.key }, (req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) sendError(res, e);
      else res.destroy();
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const forwards = servePortForward(server, {
    authorized,
    target: (u) => {
      const t = parseTarget(new URL(u, 'https://localhost').pathname.split('/').filter((s) => s));
      if (!t || t.type !== types.pods || t.subresource !== 'portforward' || !t.name) return null;
      return { namespace: t.namespace ?? 'default', pod: t.name };
    },
    exists: (namespace, pod) => store.get(types.pods, namespace, pod) !== undefined,
    dial,
    ignore: isExecUrl,
  });
  const execs = serveExec(server, {
    authorized,
    pod: (namespace, name) => store.get(types.pods, namespace, name)?.object,
    up,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 6443 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  serverAddress = `${host}:${port}`;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const entry = { server: url, caCert: certs.caCert, token };
  await writeKubeconfig(options.kubeconfigPath, entry);
  if (options.mergeKubeconfig) await mergeKubeconfig(options.mergeKubeconfig, entry);
  return {
    url,
    kubeconfigPath: options.kubeconfigPath,
    token,
    caCert: certs.caCert,
    async applyFiles(files) {
      const loaded = loadAll(
        files,
        options.defaultNamespace ? { defaultNamespace: options.defaultNamespace } : {},
      );
      // One write at a time: kubectl's requests and the files' apply never interleave.
      const done = queue.then(() => applyFileObjects(ctx, loaded.manifests, fileKeys, types.namespaces));
      queue = done.then(
        () => {},
        () => {},
      );
      const r = await done;
      fileKeys = new Set(r.keys);
      return { reconciled: await sync(), deleted: r.deleted, refused: r.refused };
    },
    async close() {
      if (readinessTimer) clearInterval(readinessTimer);
      for (const t of timers) clearTimeout(t);
      forwards.close();
      execs.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await queue;
      if (options.mergeKubeconfig) await unmergeKubeconfig(options.mergeKubeconfig);
    },
  };
}
