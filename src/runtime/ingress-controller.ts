/**
 * The Ingress controller of `portchain up`: an HTTP reverse proxy on loopback that routes each request the way
 * ingress-nginx does. Matching is semantics/ingress.ts's matchIngressRequest (the code `trace` uses); the
 * endpoints come from the caller (the resolved graph's EndpointSlices), and the controller connects to them
 * itself, as ingress-nginx does (its Lua balancer picks a pod IP:port; no clusterIP, no kube-proxy).
 *
 * Answers copied from ingress-nginx: no rule and no defaultBackend → its default backend's 404; a backend
 * whose Service or port does not resolve, or has no ready endpoint → 503; every upstream refusing → 502
 * (proxy_next_upstream "error timeout", proxy-next-upstream-tries 3); a timeout before the response header
 * → 504. Upstream connections are kept alive (upstream-keepalive-connections) and the X-Forwarded-* headers
 * are set as the nginx.tmpl location block sets them (use-forwarded-headers=false: the client's own
 * X-Forwarded-* are not trusted).
 */
import { randomFillSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IngressBackend } from '../model/types.js';
import {
  type IngressDefaultBackend,
  type IngressMatch,
  type IngressRoute,
  type IngressRouteTable,
  matchIngressRequest,
} from '../semantics/ingress.js';
import { type FrontRequest, type FrontResponse, startFront } from './http-front.js';
import { type UpstreamExchange, UpstreamPool, UpstreamTimeoutError } from './http-upstream.js';
import type { IngressPathTraffic } from './stats.js';

export interface IngressTarget {
  readonly ip: string;
  readonly port: number;
}

export type IngressEndpoints =
  | { readonly status: 'ok'; readonly targets: readonly IngressTarget[]; readonly service: string }
  | { readonly status: 'unresolved'; readonly detail: string };

/** What the controller reads from the cluster model; called on every request, so it may change live. */
export interface IngressBackends {
  /** The served routes (already filtered by class), e.g. `graph.ingress`. */
  routes(): IngressRouteTable;
  /** The ready endpoints (pod IP:targetPort) behind `backend`, a Service backend of an Ingress in that namespace. */
  endpoints(ingressNamespace: string, backend: IngressBackend): IngressEndpoints;
}

export interface IngressControllerOptions {
  /** A 127.0.0.0/8 address. */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Idle time allowed while sending to or reading from an upstream (proxy-send/read-timeout, 60 s). */
  readonly upstreamTimeoutMs?: number;
  /** Time allowed to connect to one upstream before trying the next (proxy-connect-timeout, 5 s). */
  readonly connectTimeoutMs?: number;
  /** Upstreams tried per request, the first included (proxy-next-upstream-tries, 3; 0 = all targets). */
  readonly nextUpstreamTries?: number;
}

export interface IngressControllerStats {
  /** Requests received, whatever their answer. */
  readonly requests: number;
  /**
   * Per Ingress rule path (stats.ts IngressPathTraffic): every route of the served table, in table order
   * (counted or not), then routes no longer served that were counted. A rule without host has host `*`; an
   * Ingress `spec.defaultBackend` is listed with host `*` and path INGRESS_DEFAULT_BACKEND_PATH.
   */
  readonly paths: readonly IngressPathTraffic[];
  /** Requests no rule and no defaultBackend took: the controller's default backend answered 404. */
  readonly unmatched: number;
}

/** The `path` of an Ingress defaultBackend's entry in IngressControllerStats.paths. */
export const INGRESS_DEFAULT_BACKEND_PATH = '(defaultBackend)';

export interface IngressController {
  readonly address: { readonly host: string; readonly port: number };
  /** Stops accepting, closes client connections and the kept-alive upstream sockets. */
  close(): Promise<void>;
  stats(): IngressControllerStats;
}

const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_NEXT_UPSTREAM_TRIES = 3;

/** nginx's built-in error page (ngx_http_special_response.c), as ingress-nginx serves it. */
function nginxErrorPage(status: number, reason: string): string {
  return `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

const ERROR_REASONS: Readonly<Record<number, string>> = {
  404: 'Not Found',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

/** 404 is the answer of ingress-nginx's default backend; the others are nginx's own error pages. */
function errorBody(status: number): { body: string; type: string } {
  return status === 404
    ? { body: 'default backend - 404', type: 'text/plain; charset=utf-8' }
    : { body: nginxErrorPage(status, ERROR_REASONS[status] ?? 'Error'), type: 'text/html' };
}

/** A whole error response written on a raw socket (an Upgrade request that is not proxied). */
function rawError(status: number): string {
  const { body, type } = errorBody(status);
  return `HTTP/1.1 ${status} ${ERROR_REASONS[status] ?? 'Error'}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** The status line and headers of an upstream response, for a raw socket. */
function rawHead(res: http.IncomingMessage, headers?: http.OutgoingHttpHeaders): string {
  const lines = [`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}`];
  if (headers) {
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
    }
  } else {
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
      lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1), never forwarded; nginx also drops them. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // nginx answers `Expect: 100-continue` itself and does not pass it on.
  'expect',
]);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const connection = headers.connection;
  const named =
    connection === undefined
      ? null
      : new Set(
          connection
            .split(',')
            .map((t) => t.trim().toLowerCase())
            .filter((t) => t !== ''),
        );
  const out: http.OutgoingHttpHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named?.has(name)) continue;
    out[name] = value;
  }
  return out;
}

const clientAddress = (socket: Socket): string => (socket.remoteAddress ?? '').replace(/^::ffff:/, '');

/**
 * Host and path of a request. An absolute-form target (`GET http://h/p`) names the host itself and wins over
 * the Host header (RFC 9112 §3.2.2, as nginx does); its path is what is forwarded.
 */
function requestTarget(req: http.IncomingMessage): { host: string; path: string } {
  return targetOf(req.url ?? '/', req.headers.host ?? '');
}

function targetOf(url: string, header: string): { host: string; path: string } {
  if (url.startsWith('/')) return { host: header, path: url };
  try {
    const u = new URL(url);
    return { host: u.host || header, path: `${u.pathname}${u.search}` };
  } catch {
    return { host: header, path: '/' };
  }
}

/** Random bytes drawn 4 KiB at a time: a request id costs a slice, not a call into the CSPRNG. */
const idPool = Buffer.alloc(4096);
let idOffset = idPool.length;

/** ingress-nginx's $req_id: 16 random bytes in hex. */
function requestId(): string {
  if (idOffset + 16 > idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  idOffset += 16;
  return idPool.toString('hex', idOffset - 16, idOffset);
}

/**
 * Route decisions per host and path, for one route table: matching is pure, so a request seen before skips
 * it (matchIngressRequest also explains every loser, for `trace`, which costs per route). Bounded; dropped
 * when the table changes (a reconcile).
 */
class MatchCache {
  private table: IngressRouteTable | null = null;
  private readonly decisions = new Map<string, IngressMatch>();

  match(table: IngressRouteTable, request: { host: string; path: string }): IngressMatch {
    if (table !== this.table) {
      this.table = table;
      this.decisions.clear();
    }
    const q = request.path.indexOf('?');
    const key = `${request.host}\n${q < 0 ? request.path : request.path.slice(0, q)}`;
    let m = this.decisions.get(key);
    if (!m) {
      m = matchIngressRequest(table, request);
      if (this.decisions.size >= MATCH_CACHE_SIZE) this.decisions.clear();
      this.decisions.set(key, m);
    }
    return m;
  }
}
const MATCH_CACHE_SIZE = 4096;
/** Fresh-connection retries of an idempotent request whose kept-alive upstream socket had gone stale. */
const MAX_STALE_RETRIES = 2;

/** Methods nginx passes to the next upstream after the request was sent (proxy_next_upstream non_idempotent off). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Whether the request carries a body (RFC 9112 §6.3: Transfer-Encoding or a non-zero Content-Length). */
function hasBody(req: http.IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && Number(length) !== 0;
}

/**
 * The headers sent upstream: the client's end-to-end headers, Host kept as received ($best_http_host), and
 * the ones ingress-nginx's location block sets.
 */
function upstreamHeaders(req: http.IncomingMessage, serverPort: number): http.OutgoingHttpHeaders {
  return upstreamHeadersOf(req.headers, clientAddress(req.socket), serverPort);
}

function upstreamHeadersOf(
  received: http.IncomingHttpHeaders,
  client: string,
  serverPort: number,
): http.OutgoingHttpHeaders {
  const headers = endToEnd(received);
  const host = received.host ?? '';
  const prior = received['x-forwarded-for'];
  headers['x-request-id'] = received['x-request-id'] ?? requestId();
  headers['x-real-ip'] = client;
  // compute-full-forwarded-for=false: X-Forwarded-For is the client address alone; the received value is
  // kept in X-Original-Forwarded-For.
  headers['x-forwarded-for'] = client;
  if (prior !== undefined) headers['x-original-forwarded-for'] = prior;
  if (host !== '') headers['x-forwarded-host'] = host;
  headers['x-forwarded-port'] = String(serverPort);
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-scheme'] = 'http';
  headers['x-scheme'] = 'http';
  return headers;
}

/** A bodyless request as sent upstream: the request line and headers as one string (Connection: keep-alive). */
function requestHead(method: string, path: string, headers: http.OutgoingHttpHeaders): string {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) head += `${name}: ${v}\r\n`;
    else head += `${name}: ${value}\r\n`;
  }
  return `${head}connection: keep-alive\r\n\r\n`;
}

/** Upstream response headers without the hop-by-hop ones (those listed in its Connection header included). */
function endToEndRaw(raw: readonly string[]): string[] {
  let named: Set<string> | null = null;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() !== 'connection') continue;
    named ??= new Set();
    for (const t of (raw[i + 1] as string).split(',')) {
      const token = t.trim().toLowerCase();
      if (token !== '') named.add(token);
    }
  }
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const lower = (raw[i] as string).toLowerCase();
    if (HOP_BY_HOP.has(lower) || named?.has(lower)) continue;
    out.push(raw[i] as string, raw[i + 1] as string);
  }
  return out;
}

/** The live counters of one Ingress path (IngressPathTraffic, mutable). */
interface PathCounter {
  readonly namespace: string;
  readonly name: string;
  readonly host: string;
  readonly path: string;
  requests: number;
  readonly byStatus: Record<string, number>;
}

/**
 * Counters per Ingress path. A request finds its counter with one WeakMap lookup on the matched route object;
 * a new route table (a reconcile) finds the counters of paths that stay by name, so their counts carry on.
 */
class PathTraffic {
  private readonly byKey = new Map<string, PathCounter>();
  private readonly byObject = new WeakMap<IngressRoute | IngressDefaultBackend, PathCounter>();
  unmatched = 0;

  of(source: IngressRoute | IngressDefaultBackend): PathCounter {
    const known = this.byObject.get(source);
    if (known) return known;
    const { namespace, name } = source.ingress;
    const host = 'path' in source ? (source.host ?? '*') : '*';
    const path = 'path' in source ? source.path : INGRESS_DEFAULT_BACKEND_PATH;
    const key = JSON.stringify([namespace, name, host, path]);
    let counter = this.byKey.get(key);
    if (!counter) {
      counter = { namespace, name, host, path, requests: 0, byStatus: {} };
      this.byKey.set(key, counter);
    }
    this.byObject.set(source, counter);
    return counter;
  }

  snapshot(table: IngressRouteTable | null): IngressPathTraffic[] {
    const listed = new Set<PathCounter>();
    if (table) {
      for (const r of table.routes) listed.add(this.of(r));
      for (const d of table.defaultBackends) listed.add(this.of(d));
    }
    for (const c of this.byKey.values()) if (c.requests > 0) listed.add(c);
    return [...listed].map((c) => ({ ...c, byStatus: { ...c.byStatus } }));
  }
}

/** Counts one answer of a request (its status line as sent to the client). */
function answered(counter: PathCounter | null, status: number): void {
  if (counter) counter.byStatus[status] = (counter.byStatus[status] ?? 0) + 1;
}

type Routed =
  | { readonly status: 404 | 500 | 503; readonly counter: PathCounter | null }
  | {
      readonly status: 'proxy';
      readonly key: string;
      readonly targets: readonly IngressTarget[];
      readonly counter: PathCounter;
    };

/** What a bodyless request's answer is written to: Node's ServerResponse or the lean front's FrontResponse. */
interface ResponseSink {
  readonly headersSent: boolean;
  writeHead(status: number, rawHeaders: string[]): unknown;
  write(chunk: Buffer): boolean;
  end(body?: string): unknown;
  destroy(): unknown;
}

/** An error page (sendError's answer); a response already under way is cut instead. */
function errorPage(res: ResponseSink, status: number, counter: PathCounter | null): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  answered(counter, status);
  const { body, type } = errorBody(status);
  res.writeHead(status, ['content-type', type, 'content-length', String(Buffer.byteLength(body))]);
  res.end(body);
}

/** Where a bodyless request's answer goes, and the upstream exchange feeding it. */
class Downstream {
  /** The upstream exchange in progress. */
  current: UpstreamExchange | null = null;
  isGone = false;
  constructor(private readonly res: ResponseSink) {}
  writeHead(status: number, rawHeaders: string[]): void {
    this.res.writeHead(status, rawHeaders);
  }
  write(chunk: Buffer): boolean {
    return this.res.write(chunk);
  }
  end(): void {
    this.res.end();
  }
  destroy(): void {
    this.res.destroy();
  }
  error(status: number, counter: PathCounter): void {
    errorPage(this.res, status, counter);
  }
  /** The client went away: the upstream exchange is dropped. */
  gone(): void {
    this.isGone = true;
    this.current?.abort();
  }
  drained(): void {
    this.current?.resume();
  }
}

class UpstreamTimeout extends Error {
  constructor(readonly phase: 'connect' | 'io') {
    super(phase === 'connect' ? 'upstream connect timed out' : 'upstream timed out');
  }
}

export async function startIngressController(
  backends: IngressBackends,
  options: IngressControllerOptions,
): Promise<IngressController> {
  if (!LOOPBACK.test(options.host))
    throw new Error(`the ingress controller binds 127.0.0.0/8 only, not ${options.host}`);
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const nextUpstreamTries = options.nextUpstreamTries ?? DEFAULT_NEXT_UPSTREAM_TRIES;
  // upstream-keepalive-connections: idle upstream connections are kept and reused.
  const agent = new http.Agent({
    keepAlive: true,
    maxFreeSockets: 320,
    scheduling: 'lifo',
    noDelay: true,
  } as http.AgentOptions);
  // Bodyless requests (nearly all) go through raw kept-alive sockets; a request with a body is streamed
  // through the agent above.
  const pool = new UpstreamPool(connectTimeoutMs, upstreamTimeoutMs);
  /** Round-robin position per upstream (ingress-nginx: one balancer per namespace-service-port). */
  const cursors = new Map<string, number>();
  /** Client and upstream sockets of upgraded connections, which the server no longer tracks. */
  const upgraded = new Set<Duplex>();
  let requests = 0;
  const traffic = new PathTraffic();
  const matches = new MatchCache();
  let serverPort = options.port;

  const sendError = (res: http.ServerResponse, status: number, counter: PathCounter | null): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    answered(counter, status);
    const { body, type } = errorBody(status);
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  /** Round-robin start position, one cursor per upstream (ingress-nginx: a balancer per service port). */
  const nextStart = (key: string, count: number): number => {
    const start = (cursors.get(key) ?? 0) % count;
    cursors.set(key, start + 1);
    return start;
  };
  const triesFor = (count: number): number =>
    nextUpstreamTries > 0 ? Math.min(nextUpstreamTries, count) : count;

  /** Where a request goes: an error status of the controller itself, or the endpoints to proxy to. */
  const route = (req: http.IncomingMessage): Routed => routeFor(req.url ?? '/', req.headers.host ?? '');
  const routeFor = (url: string, host: string): Routed => {
    try {
      return routeUnsafe(url, host);
    } catch {
      // The model behind `backends` failed: answer rather than take the controller down.
      return { status: 500, counter: null };
    }
  };
  const routeUnsafe = (url: string, host: string): Routed => {
    const match = matches.match(backends.routes(), targetOf(url, host));
    const backend = match.backend;
    const ingress = match.ingress;
    // As ingressResponseStatus: nothing matched → the controller's default backend; a resource backend is
    // skipped by ingress-nginx and lands there too.
    const source = match.route ?? match.defaultBackend;
    const counter = match.via === 'controllerDefaultBackend' || !source ? null : traffic.of(source);
    if (counter) counter.requests++;
    else traffic.unmatched++;
    if (backend === null || ingress === null || match.via === 'controllerDefaultBackend' || !backend.service)
      return { status: 404, counter };
    const found = backends.endpoints(ingress.namespace, backend);
    if (found.status !== 'ok' || found.targets.length === 0) return { status: 503, counter };
    const port = backend.service.port;
    const key = `${ingress.namespace}/${found.service}:${port?.name ?? port?.number ?? ''}`;
    return { status: 'proxy', key, targets: found.targets, counter: counter as PathCounter };
  };

  const proxy = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    key: string,
    targets: readonly IngressTarget[],
    counter: PathCounter,
  ): void => {
    const start = nextStart(key, targets.length);
    const tries = triesFor(targets.length);
    const headers = upstreamHeaders(req, serverPort);
    const { path } = requestTarget(req);
    const withBody = hasBody(req);
    const idempotent = IDEMPOTENT.has(req.method ?? 'GET');
    if (!withBody) {
      proxyRaw(
        req,
        res,
        targets,
        start,
        tries,
        requestHead(req.method ?? 'GET', path, headers),
        idempotent,
        counter,
      );
      return;
    }
    let clientGone = false;
    let current: http.ClientRequest | null = null;
    res.on('close', () => {
      if (!res.writableFinished) {
        clientGone = true;
        current?.destroy();
      }
    });
    req.on('error', () => current?.destroy());

    const attempt = (n: number): void => {
      const target = targets[(start + n) % targets.length] as IngressTarget;
      const upstream = http.request({
        host: target.ip,
        port: target.port,
        method: req.method,
        path,
        headers,
        agent,
        setHost: false,
      });
      current = upstream;
      let connected = false;
      let responded = false;
      // proxy_connect_timeout bounds a new connection only; a kept-alive one is connected already.
      let connectTimer: NodeJS.Timeout | undefined;
      upstream.on('close', () => clearTimeout(connectTimer));
      const onConnected = () => {
        connected = true;
        clearTimeout(connectTimer);
        // The body is streamed only once the upstream accepted the connection, so that a refused connect
        // can still go to the next upstream with the body untouched.
        if (withBody) {
          req.pipe(upstream);
        }
      };
      upstream.on('socket', (socket) => {
        if (socket.connecting) {
          connectTimer = setTimeout(() => upstream.destroy(new UpstreamTimeout('connect')), connectTimeoutMs);
          socket.once('connect', onConnected);
        } else onConnected();
      });
      if (!withBody) upstream.end();
      upstream.setTimeout(upstreamTimeoutMs, () => upstream.destroy(new UpstreamTimeout('io')));
      upstream.on('response', (upstreamRes) => {
        responded = true;
        const status = upstreamRes.statusCode ?? 502;
        answered(counter, status);
        res.writeHead(status, endToEnd(upstreamRes.headers));
        upstreamRes.pipe(res);
        upstreamRes.on('error', () => res.destroy());
        upstreamRes.on('aborted', () => res.destroy());
      });
      upstream.on('error', (err) => {
        clearTimeout(connectTimer);
        if (clientGone) return;
        if (responded) {
          res.destroy();
          return;
        }
        // proxy_next_upstream error timeout: a failed or timed-out connect moves on to the next upstream;
        // so does an error before the response header once the request was sent, for an idempotent method
        // (nginx leaves POST, PATCH, LOCK alone) or a kept-alive connection the upstream had just closed. A
        // streamed body cannot be sent twice.
        const retry = !connected || (!withBody && (idempotent || upstream.reusedSocket === true));
        if (retry && n + 1 < tries) {
          attempt(n + 1);
          return;
        }
        sendError(res, err instanceof UpstreamTimeout ? 504 : 502, counter);
      });
    };
    attempt(0);
  };

  /** A bodyless request on the raw upstream pool (http-upstream.ts), with the same retries as proxy(). */
  const proxyRaw = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    targets: readonly IngressTarget[],
    start: number,
    tries: number,
    head: string,
    idempotent: boolean,
    counter: PathCounter,
  ): void => {
    const down = new Downstream(res);
    res.on('close', () => {
      if (!res.writableFinished) down.gone();
    });
    req.on('error', () => down.gone());
    req.resume();
    res.on('drain', () => down.drained());
    relayRaw(down, targets, start, tries, head, req.method === 'HEAD', idempotent, counter);
  };

  /** The exchange loop of a bodyless request: retries as proxy() does, the answer to `down`. */
  const relayRaw = (
    down: Downstream,
    targets: readonly IngressTarget[],
    start: number,
    tries: number,
    head: string,
    noResponseBody: boolean,
    idempotent: boolean,
    counter: PathCounter,
  ): void => {
    const attempt = (n: number, staleRetries: number): void => {
      const target = targets[(start + n) % targets.length] as IngressTarget;
      down.current = pool.exchange(target.ip, target.port, head, noResponseBody, {
        onConnected: () => {},
        onHead: ({ status, rawHeaders }) => {
          answered(counter, status);
          down.writeHead(status, endToEndRaw(rawHeaders));
        },
        onData: (chunk) => down.write(chunk),
        onEnd: () => down.end(),
        onError: (err, state) => {
          if (down.isGone) return;
          if (state.responded) {
            down.destroy();
            return;
          }
          // A kept-alive connection the upstream had closed meanwhile: an idempotent request goes again on a
          // fresh connection without using up a try (nginx: ngx_http_upstream_next gives a cached connection's
          // error back its try; non-idempotent requests are never sent twice).
          if (state.reused && idempotent && staleRetries < MAX_STALE_RETRIES) {
            attempt(n, staleRetries + 1);
            return;
          }
          // proxy_next_upstream error timeout, as in proxy().
          const retry = !state.connected || idempotent || state.reused;
          if (retry && n + 1 < tries) {
            attempt(n + 1, staleRetries);
            return;
          }
          down.error(err instanceof UpstreamTimeoutError ? 504 : 502, counter);
        },
      });
    };
    attempt(0, 0);
  };

  /** A request on the lean front (http-front.ts): routed and proxied as the server's requests are. */
  const lean = (req: FrontRequest, res: FrontResponse): void => {
    requests++;
    const routed = routeFor(req.target, req.headers.host ?? '');
    if (routed.status !== 'proxy') {
      errorPage(res, routed.status, routed.counter);
      return;
    }
    const { key, targets, counter } = routed;
    const headers = upstreamHeadersOf(req.headers, clientAddress(req.socket), serverPort);
    const down = new Downstream(res);
    res.onAbort = () => down.gone();
    res.onDrain = () => down.drained();
    const start = nextStart(key, targets.length);
    const head = requestHead(req.method, req.target, headers);
    relayRaw(down, targets, start, triesFor(targets.length), head, req.method === 'HEAD', true, counter);
  };

  /**
   * An Upgrade request (WebSocket): ingress-nginx passes Upgrade/Connection on and, once the upstream answers
   * 101, relays bytes both ways on a connection of its own (never a kept-alive one).
   */
  const upgrade = (req: http.IncomingMessage, client: Duplex, head: Buffer): void => {
    upgraded.add(client);
    client.on('close', () => upgraded.delete(client));
    client.on('error', () => client.destroy());
    const routed = route(req);
    const counter = routed.counter;
    if (routed.status !== 'proxy') {
      answered(counter, routed.status);
      client.end(rawError(routed.status));
      return;
    }
    const { key, targets } = routed;
    const start = nextStart(key, targets.length);
    const tries = triesFor(targets.length);
    const headers = upstreamHeaders(req, serverPort);
    headers.connection = 'upgrade';
    headers.upgrade = req.headers.upgrade ?? '';
    const { path } = requestTarget(req);

    const attempt = (n: number): void => {
      const target = targets[(start + n) % targets.length] as IngressTarget;
      const upstream = http.request({
        host: target.ip,
        port: target.port,
        method: req.method,
        path,
        headers,
        agent: false,
        setHost: false,
      });
      let connected = false;
      const connectTimer = setTimeout(
        () => upstream.destroy(new UpstreamTimeout('connect')),
        connectTimeoutMs,
      );
      upstream.on('close', () => clearTimeout(connectTimer));
      upstream.on('socket', (socket) =>
        socket.once('connect', () => {
          connected = true;
          clearTimeout(connectTimer);
        }),
      );
      upstream.setTimeout(upstreamTimeoutMs, () => upstream.destroy(new UpstreamTimeout('io')));
      client.once('close', () => upstream.destroy());
      upstream.end();
      upstream.on('upgrade', (upstreamRes, socket, upstreamHead) => {
        upstream.setTimeout(0);
        answered(counter, upstreamRes.statusCode ?? 101);
        upgraded.add(socket);
        client.write(rawHead(upstreamRes));
        if (upstreamHead.length > 0) client.write(upstreamHead);
        if (head.length > 0) socket.write(head);
        // proxy_read_timeout also bounds an idle WebSocket.
        socket.setTimeout(upstreamTimeoutMs, () => socket.destroy());
        socket.on('error', () => socket.destroy());
        socket.on('close', () => {
          upgraded.delete(socket);
          client.destroy();
        });
        client.on('close', () => socket.destroy());
        // nginx finalizes an upgraded connection when either side closes: no half-open relay is left behind.
        client.on('end', () => client.end());
        socket.pipe(client);
        client.pipe(socket);
      });
      // The upstream declined the upgrade: its answer is relayed and the connection closed.
      upstream.on('response', (upstreamRes) => {
        const chunks: Buffer[] = [];
        upstreamRes.on('data', (c: Buffer) => chunks.push(c));
        upstreamRes.on('end', () => {
          const body = Buffer.concat(chunks);
          answered(counter, upstreamRes.statusCode ?? 502);
          const headers = endToEnd(upstreamRes.headers);
          delete headers['content-length'];
          client.write(
            rawHead(upstreamRes, { ...headers, 'content-length': String(body.length), connection: 'close' }),
          );
          client.end(body);
        });
        upstreamRes.on('error', () => client.destroy());
      });
      upstream.on('error', (err) => {
        clearTimeout(connectTimer);
        if (client.destroyed) return;
        if (!connected && n + 1 < tries) {
          attempt(n + 1);
          return;
        }
        const status = err instanceof UpstreamTimeout ? 504 : 502;
        answered(counter, status);
        client.end(rawError(status));
      });
    };
    attempt(0);
  };

  const server = http.createServer((req, res) => {
    requests++;
    const routed = route(req);
    if (routed.status !== 'proxy') {
      req.resume();
      sendError(res, routed.status, routed.counter);
      return;
    }
    proxy(req, res, routed.key, routed.targets, routed.counter);
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    requests++;
    upgrade(req, socket, head);
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  // The lean front listens; requests it does not take reach `server` with their connection.
  const front = await startFront(server, lean, options.host, options.port);
  const bound = front.server.address() as AddressInfo;
  serverPort = bound.port;

  let closing: Promise<void> | null = null;
  return {
    address: { host: bound.address, port: bound.port },
    stats: () => {
      let table: IngressRouteTable | null = null;
      try {
        table = backends.routes();
      } catch {
        // the model is failing; the counted paths are still listed
      }
      return { requests, paths: traffic.snapshot(table), unmatched: traffic.unmatched };
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        front.server.close(() => resolve());
        for (const socket of front.sockets) socket.destroy();
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
        agent.destroy();
        pool.close();
      });
      return closing;
    },
  };
}
