/**
 * The `portchain ui` server (Node http, no framework): the built page from dist/web, the topology as JSON,
 * `trace` on demand, and Server-Sent Events (`reload` when the manifests change, `traffic` every second when a
 * running `up` gives live counters). Binds 127.0.0.1 by default; answers only requests whose Host is an
 * address or `localhost` (a DNS-rebinding page cannot read it); every response carries a strict CSP.
 */
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Finding } from '../model/finding.js';
import type { ClusterPlan } from '../runtime/plan.js';
import type { IngressPathTraffic, ServicePortTraffic, TrafficSnapshot } from '../runtime/stats.js';
import type { ResolvedGraph } from '../semantics/graph.js';
import { parseProtocol, parseTarget, TargetError } from '../trace/target.js';
import { traceRequest } from '../trace/trace.js';
import type { GraphPayload, ReloadPayload, TracePayload } from './api.js';
import { type PodAddress, type PodReadiness, trafficPayload } from './live.js';
import { type CheckedInput, graphPayload } from './payload.js';
import { lookupStatic } from './static-files.js';
import { tracePath } from './trace-path.js';
import { type PathWatcher, watchPaths } from './watch-paths.js';

/** dist/web, next to dist/ui (and src/ui, for tests run from the sources). */
export const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../../dist/web', import.meta.url));

export interface LiveState {
  readonly pods: readonly PodAddress[];
  readonly readiness: readonly PodReadiness[];
}

export interface UiServerOptions {
  /** Reads and checks the input: once at start, then on every reload. */
  readonly load: () => Promise<CheckedInput>;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly port?: number;
  /** The built page; default dist/web. */
  readonly staticDir?: string;
  /** Files and folders whose changes reload the input. */
  readonly watch?: readonly string[];
  /** Live counters (src/runtime/stats.ts); streamed as rates every `trafficIntervalMs`. */
  readonly live?: () => TrafficSnapshot | null;
  /** Pod addresses and endpoint readiness of a running data plane. */
  readonly readiness?: () => LiveState;
  readonly trafficIntervalMs?: number;
  readonly onError?: (e: Error) => void;
}

export interface UiServer {
  readonly url: string;
  /** Reads the input again and tells every open page to reload. */
  notify(): Promise<void>;
  close(): Promise<void>;
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Host header: `localhost`, an IP literal, or the address the server was told to bind. */
function hostAllowed(header: string | undefined, bound: string): boolean {
  if (!header) return false;
  const name = header.startsWith('[') ? header.slice(1, header.indexOf(']')) : header.replace(/:\d+$/, '');
  return name === 'localhost' || isIP(name) !== 0 || name.toLowerCase() === bound.toLowerCase();
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, value: unknown) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

const sendError = (res: ServerResponse, status: number, message: string) =>
  sendJson(res, status, { error: message });

interface Loaded {
  readonly input: CheckedInput;
  readonly payload: GraphPayload;
  /** The payload serialized once per version (a large input is megabytes). */
  readonly json: string;
}

export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1';
  const staticDir = options.staticDir ?? DEFAULT_STATIC_DIR;
  const isLive = options.live !== undefined || options.readiness !== undefined;
  const onError = options.onError ?? (() => {});
  let version = 0;
  const load = async (): Promise<Loaded> => {
    const input = await options.load();
    version++;
    const payload = graphPayload(input, version, isLive);
    return { input, payload, json: JSON.stringify(payload) };
  };
  let current = await load();
  const clients = new Set<ServerResponse>();
  const broadcast = (event: string, data: unknown) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of clients) c.write(frame);
  };

  let reloading: Promise<void> = Promise.resolve();
  const notify = (): Promise<void> => {
    reloading = reloading.then(async () => {
      try {
        current = await load();
        broadcast('reload', { version: current.payload.version } satisfies ReloadPayload);
      } catch (e) {
        onError(e instanceof Error ? e : new Error(String(e)));
      }
    });
    return reloading;
  };

  const trace = (url: URL, res: ServerResponse) => {
    const raw = url.searchParams.get('target');
    if (!raw) return sendError(res, 400, 'target is required (a URL, svc/NAME[.NS]:PORT, node:PORT...)');
    try {
      const { input, payload } = current;
      const result = traceRequest(input.graph, input.findings, {
        target: parseTarget(raw),
        protocol: parseProtocol(url.searchParams.get('protocol') ?? 'tcp'),
        from: null,
        ingressClass: null,
        defaultNamespace: input.defaultNamespace ?? 'default',
      });
      const body: TracePayload = { trace: result, path: tracePath(payload.topology, result) };
      sendJson(res, 200, body);
    } catch (e) {
      if (e instanceof TargetError) return sendError(res, 400, e.message);
      throw e;
    }
  };

  const events = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    res.write(`retry: 1000\nevent: hello\ndata: ${JSON.stringify({ version: current.payload.version })}\n\n`);
    clients.add(res);
    req.on('close', () => clients.delete(res));
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (!hostAllowed(req.headers.host, host)) return sendError(res, 403, 'unexpected Host header');
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'only GET');
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q >= 0 ? raw.slice(0, q) : raw;
    if (path === '/api/graph') return send(res, 200, 'application/json; charset=utf-8', current.json);
    if (path === '/api/trace') return trace(new URL(raw, 'http://ui.invalid'), res);
    if (path === '/api/events') return events(req, res);
    if (path.startsWith('/api/')) return sendError(res, 404, 'no such API');
    const found = lookupStatic(staticDir, path);
    if (found.status !== 200)
      return send(
        res,
        found.status,
        'text/plain; charset=utf-8',
        found.status === 400 ? 'bad path' : 'not found',
      );
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': found.type,
      'Cache-Control': found.file.includes('/assets/') ? 'max-age=3600' : 'no-cache',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(found.file)
      .on('error', () => res.destroy())
      .pipe(res);
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      onError(e instanceof Error ? e : new Error(String(e)));
      if (!res.headersSent) sendError(res, 500, 'internal error');
      else res.destroy();
    }
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', fail);
      done();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const watcher: PathWatcher | null =
    options.watch && options.watch.length > 0
      ? watchPaths(options.watch, () => void notify(), onError)
      : null;

  let before: TrafficSnapshot | null = null;
  const timer = isLive
    ? setInterval(() => {
        try {
          const now = options.live?.() ?? null;
          const state = options.readiness?.() ?? { pods: [], readiness: [] };
          const { input, payload } = current;
          const data = trafficPayload({
            topology: payload.topology,
            graph: input.graph,
            now,
            before,
            pods: state.pods,
            readiness: state.readiness,
          });
          before = now;
          broadcast('traffic', data);
        } catch (e) {
          onError(e instanceof Error ? e : new Error(String(e)));
        }
      }, options.trafficIntervalMs ?? 1000)
    : null;
  timer?.unref();

  return {
    url: `http://${shown}:${address.port}/`,
    notify,
    close: async () => {
      watcher?.close();
      if (timer) clearInterval(timer);
      for (const c of clients) c.end();
      clients.clear();
      await reloading;
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}

// ---- `portchain up --ui` ----

/** What the UI reads from a running `up` (src/runtime/up.ts Up satisfies it). */
export interface RunningUp {
  readonly plan: ClusterPlan;
  readonly graph: ResolvedGraph;
  readonly findings: readonly Finding[];
  readonly kubeProxy: { stats(): readonly ServicePortTraffic[] };
  ingressTraffic(): { readonly paths: readonly IngressPathTraffic[]; readonly unmatched: number };
}

export interface UpUiOptions {
  readonly host?: string;
  readonly port?: number;
  readonly staticDir?: string;
  readonly defaultNamespace?: string;
  /** Live counters; default: `up.kubeProxy.stats()`. */
  readonly live?: () => TrafficSnapshot | null;
  readonly trafficIntervalMs?: number;
  readonly onError?: (e: Error) => void;
}

/** The live counters of a running `up`: kube-proxy's per Service port, the ingress controller's per path. */
export function upTraffic(up: RunningUp): () => TrafficSnapshot {
  return () => {
    const ingress = up.ingressTraffic();
    return {
      at: Date.now(),
      services: up.kubeProxy.stats(),
      ingress: ingress.paths,
      ingressUnmatched: ingress.unmatched,
    };
  };
}

/** Pod addresses and endpoint readiness from the plan running now. */
export function planLiveState(plan: ClusterPlan): LiveState {
  const readiness: PodReadiness[] = [];
  for (const s of plan.services)
    for (const p of s.ports)
      for (const e of p.endpoints)
        if (e.pod) readiness.push({ namespace: s.namespace, pod: e.pod, ready: e.ready });
  return {
    pods: plan.pods.map((p) => ({ namespace: p.namespace, name: p.name, ip: p.ip })),
    readiness,
  };
}

/**
 * The UI of a running `up`: the graph and findings of the plan running now (call `notify()` after each
 * reconcile), live counters from kube-proxy, endpoints red when not ready.
 */
export function startUpUi(up: RunningUp, options: UpUiOptions = {}): Promise<UiServer> {
  return startUiServer({
    load: async () => ({
      graph: up.graph,
      findings: up.findings,
      ...(options.defaultNamespace ? { defaultNamespace: options.defaultNamespace } : {}),
    }),
    ...(options.host ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.staticDir ? { staticDir: options.staticDir } : {}),
    ...(options.trafficIntervalMs ? { trafficIntervalMs: options.trafficIntervalMs } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    live: options.live ?? upTraffic(up),
    readiness: () => planLiveState(up.plan),
  });
}
