import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKind, loadText, type Manifest } from '../src/model/load.js';
import type { IngressBackend } from '../src/model/types.js';
import {
  INGRESS_DEFAULT_BACKEND_PATH,
  type IngressBackends,
  type IngressController,
  type IngressTarget,
  startIngressController,
} from '../src/runtime/ingress-controller.js';
import { type IngressRouteTable, ingressRoutes } from '../src/semantics/ingress.js';

const YAML = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  rules:
  - host: app.example.com
    http:
      paths:
      - {path: /exact, pathType: Exact, backend: {service: {name: exact, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}}
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
  - host: "*.wild.example.com"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: wild, port: {number: 80}}}}
  - host: only-x.example.com
    http:
      paths:
      - {path: /x, pathType: Exact, backend: {service: {name: web, port: {number: 80}}}}
  - host: empty.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: empty, port: {number: 80}}}}
  - host: missing.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}
  - host: rr.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: rr, port: {number: 80}}}}
  - host: dead.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: dead, port: {number: 80}}}}
  - host: flaky.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: flaky, port: {number: 80}}}}
  - host: ka.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: ka, port: {number: 80}}}}
  - host: stream.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: stream, port: {number: 80}}}}
  - host: slow.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: slow, port: {number: 80}}}}
  - host: ws.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: ws, port: {number: 80}}}}
  - host: reset-get.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: reset-get, port: {number: 80}}}}
  - host: reset-post.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: reset-post, port: {number: 80}}}}
  - host: resource.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {resource: {apiGroup: k8s.example.com, kind: Bucket, name: b}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: catch-all, namespace: shop}
spec:
  defaultBackend: {service: {name: fallback, port: {number: 80}}}
`;

function routeTable(text: string): IngressRouteTable {
  const ingresses = loadText({ name: 'ingress.yaml', text }).manifests.filter((m): m is Manifest<'Ingress'> =>
    isKind(m, 'Ingress'),
  );
  return ingressRoutes(ingresses);
}

interface Echo {
  name: string;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Upstream {
  server: http.Server;
  target: IngressTarget;
  connections: number;
  open: Set<Socket>;
}

const upstreams: Upstream[] = [];

async function listen(server: http.Server, ip: string): Promise<IngressTarget> {
  await new Promise<void>((resolve) => server.listen(0, ip, resolve));
  return { ip, port: (server.address() as AddressInfo).port };
}

/** An upstream pod: answers with what it received, counts the connections it accepted. */
async function upstream(
  name: string,
  ip: string,
  handler?: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<Upstream> {
  const server = http.createServer(
    handler ??
      ((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const echo: Echo = {
            name,
            method: req.method ?? '',
            url: req.url ?? '',
            headers: req.headers,
            body: Buffer.concat(chunks).toString(),
          };
          res.setHeader('content-type', 'application/json');
          res.setHeader('x-upstream', name);
          res.end(JSON.stringify(echo));
        });
      }),
  );
  const u: Upstream = { server, target: { ip, port: 0 }, connections: 0, open: new Set() };
  server.on('connection', (s: Socket) => {
    u.connections++;
    u.open.add(s);
    s.on('close', () => u.open.delete(s));
  });
  u.target = await listen(server, ip);
  upstreams.push(u);
  return u;
}

/** An address where nothing listens: connections are refused. */
async function refusingTarget(ip: string): Promise<IngressTarget> {
  const server = http.createServer();
  const target = await listen(server, ip);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return target;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function send(
  port: number,
  host: string,
  path: string,
  extra: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: extra.method ?? 'GET',
        headers: { host, ...extra.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(extra.body);
  });
}

const echoOf = (r: Reply): Echo => JSON.parse(r.body) as Echo;

let controller: IngressController;
let port: number;
const services = new Map<string, IngressTarget[]>();
const lookups: { namespace: string; backend: IngressBackend }[] = [];
let ka: Upstream;

const backends: IngressBackends = {
  routes: (() => {
    const table = routeTable(YAML);
    return () => table;
  })(),
  endpoints: (namespace, backend) => {
    lookups.push({ namespace, backend });
    const name = backend.service?.name ?? '';
    const targets = services.get(name);
    if (!targets) return { status: 'unresolved', detail: `Service ${namespace}/${name} not found` };
    return { status: 'ok', targets, service: name };
  },
};

beforeAll(async () => {
  for (const [name, ip] of [
    ['web', '127.0.0.2'],
    ['exact', '127.0.0.2'],
    ['api', '127.0.0.3'],
    ['wild', '127.0.0.3'],
    ['fallback', '127.0.0.2'],
  ] as const) {
    services.set(name, [(await upstream(name, ip)).target]);
  }
  const rrA = await upstream('rr-a', '127.0.0.2');
  const rrB = await upstream('rr-b', '127.0.0.3');
  services.set('rr', [rrA.target, rrB.target]);
  services.set('empty', []);
  const dead = [await refusingTarget('127.0.0.5'), await refusingTarget('127.0.0.6')];
  services.set('dead', dead);
  services.set('flaky', [dead[0] as IngressTarget, rrB.target]);
  ka = await upstream('ka', '127.0.0.4');
  services.set('ka', [ka.target]);
  // Answers the first chunk of the body at once, the rest when the body ends: proves both directions stream.
  const stream = await upstream('stream', '127.0.0.4', (req, res) => {
    let first = true;
    let total = 0;
    req.on('data', (c: Buffer) => {
      total += c.length;
      if (first) {
        first = false;
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write(`first:${c.toString()}\n`);
      }
    });
    req.on('end', () => res.end(`total:${total}\n`));
  });
  services.set('stream', [stream.target]);
  // Never answers.
  const slow = await upstream('slow', '127.0.0.4', () => {});
  services.set('slow', [slow.target]);

  // Reads the request, then drops the connection without answering.
  const resetter = await upstream('resetter', '127.0.0.4', (req) => {
    req.resume();
    req.on('end', () => req.socket.destroy());
  });
  services.set('reset-get', [resetter.target, rrB.target]);
  services.set('reset-post', [resetter.target, rrB.target]);
  // A WebSocket-like upstream: answers 101 and echoes what it receives, upper-cased.
  const ws = await upstream('ws', '127.0.0.4', (_req, res) => {
    res.writeHead(426);
    res.end('upgrade required');
  });
  ws.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\nX-Seen-Forwarded-For: ${req.headers['x-forwarded-for']}\r\n\r\n`,
    );
    if (head.length > 0) socket.write(head.toString().toUpperCase());
    socket.on('data', (c: Buffer) => socket.write(c.toString().toUpperCase()));
    socket.on('error', () => socket.destroy());
    socket.on('end', () => socket.end());
  });
  services.set('ws', [ws.target]);

  controller = await startIngressController(backends, { host: '127.0.0.1', port: 0 });
  port = controller.address.port;
});

afterAll(async () => {
  await controller?.close();
  await Promise.all(
    upstreams.map(
      (u) =>
        new Promise<void>((resolve) => {
          u.server.close(() => resolve());
          u.server.closeAllConnections();
          // Upgraded sockets are no longer the server's.
          for (const socket of u.open) socket.destroy();
        }),
    ),
  );
});

describe('ingress controller routing', () => {
  it('listens on the given loopback address', () => {
    expect(controller.address.host).toBe('127.0.0.1');
    expect(port).toBeGreaterThan(0);
  });

  it('routes by host and longest Prefix path', async () => {
    const r = await send(port, 'app.example.com', '/shop/cart?x=1');
    expect(r.status).toBe(200);
    expect(echoOf(r)).toMatchObject({ name: 'web', url: '/shop/cart?x=1' });
    expect(r.headers['x-upstream']).toBe('web');
    const api = await send(port, 'APP.example.com:8080', '/api/v1/items');
    expect(echoOf(api).name).toBe('api');
    // Prefix matches whole path elements: /apix is not under /api.
    expect(echoOf(await send(port, 'app.example.com', '/apix')).name).toBe('web');
  });

  it('Exact matches only the exact path', async () => {
    expect(echoOf(await send(port, 'app.example.com', '/exact')).name).toBe('exact');
    expect(echoOf(await send(port, 'app.example.com', '/exact/')).name).toBe('web');
  });

  it('a wildcard host matches exactly one extra label', async () => {
    expect(echoOf(await send(port, 'shop.wild.example.com', '/')).name).toBe('wild');
    // Two labels: no rule; the catch-all Ingress's defaultBackend takes it.
    expect(echoOf(await send(port, 'a.b.wild.example.com', '/')).name).toBe('fallback');
  });

  it('looks the backend up in the Ingress namespace', async () => {
    lookups.length = 0;
    await send(port, 'app.example.com', '/api');
    expect(lookups).toEqual([
      { namespace: 'shop', backend: { service: { name: 'api', port: { name: 'http' } } } },
    ]);
  });

  it('sends unknown hosts to the Ingress defaultBackend', async () => {
    const r = await send(port, 'nobody.example.com', '/anything');
    expect(r.status).toBe(200);
    expect(echoOf(r)).toMatchObject({ name: 'fallback', url: '/anything' });
  });

  it('answers 404 from the default backend when a claimed host has no matching path', async () => {
    const r = await send(port, 'only-x.example.com', '/y');
    expect(r.status).toBe(404);
    expect(r.body).toBe('default backend - 404');
    expect((await send(port, 'only-x.example.com', '/x')).status).toBe(200);
  });

  it('answers 404 for a resource backend (ingress-nginx skips it)', async () => {
    const r = await send(port, 'resource.example.com', '/');
    expect(r.status).toBe(404);
  });

  it('answers 404 when no Ingress and no defaultBackend exists', async () => {
    const bare = await startIngressController(
      { routes: () => ingressRoutes([]), endpoints: backends.endpoints },
      { host: '127.0.0.1', port: 0 },
    );
    try {
      const r = await send(bare.address.port, 'app.example.com', '/');
      expect(r.status).toBe(404);
      expect(r.body).toBe('default backend - 404');
    } finally {
      await bare.close();
    }
  });

  it('answers 503 when the backend has no ready endpoint', async () => {
    const r = await send(port, 'empty.example.com', '/');
    expect(r.status).toBe(503);
    expect(r.body).toContain('503 Service Temporarily Unavailable');
  });

  it('answers 503 when the backend Service does not resolve', async () => {
    const r = await send(port, 'missing.example.com', '/', { method: 'POST', body: 'ignored' });
    expect(r.status).toBe(503);
    expect(r.body).toContain('<title>503 Service Temporarily Unavailable</title>');
  });

  it('answers 502 when every target refuses the connection', async () => {
    const r = await send(port, 'dead.example.com', '/');
    expect(r.status).toBe(502);
    expect(r.body).toContain('502 Bad Gateway');
  });

  it('tries the next target when one refuses', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await send(port, 'flaky.example.com', '/');
      expect(r.status).toBe(200);
      expect(echoOf(r).name).toBe('rr-b');
    }
  });

  it('passes an idempotent request that failed before its response to the next target', async () => {
    const r = await send(port, 'reset-get.example.com', '/');
    expect(r.status).toBe(200);
    expect(echoOf(r).name).toBe('rr-b');
  });

  it('does not send a POST twice (proxy_next_upstream without non_idempotent)', async () => {
    const r = await send(port, 'reset-post.example.com', '/', { method: 'POST', body: 'once' });
    expect(r.status).toBe(502);
  });

  it('answers 504 when the upstream does not answer within the timeout', async () => {
    const quick = await startIngressController(backends, {
      host: '127.0.0.1',
      port: 0,
      upstreamTimeoutMs: 300,
    });
    try {
      const started = Date.now();
      const r = await send(quick.address.port, 'slow.example.com', '/');
      expect(r.status).toBe(504);
      expect(r.body).toContain('504 Gateway Time-out');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await quick.close();
    }
  });
});

describe('ingress controller proxying', () => {
  it('round-robins across the endpoints', async () => {
    const names: string[] = [];
    for (let i = 0; i < 4; i++) names.push(echoOf(await send(port, 'rr.example.com', '/')).name);
    expect(names.filter((n) => n === 'rr-a')).toHaveLength(2);
    expect(names.filter((n) => n === 'rr-b')).toHaveLength(2);
    expect(names[0]).not.toBe(names[1]);
    expect(names[1]).not.toBe(names[2]);
  });

  it('sets the forwarded headers and keeps Host', async () => {
    const r = await send(port, 'app.example.com', '/h', {
      headers: {
        'x-forwarded-for': '203.0.113.9',
        'x-custom': 'kept',
        connection: 'close, x-hop',
        'x-hop': 'drop',
      },
    });
    const h = echoOf(r).headers;
    expect(h.host).toBe('app.example.com');
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    expect(h['x-original-forwarded-for']).toBe('203.0.113.9');
    expect(h['x-real-ip']).toBe('127.0.0.1');
    expect(h['x-forwarded-host']).toBe('app.example.com');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-port']).toBe(String(port));
    expect(h['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(h['x-custom']).toBe('kept');
    expect(h['x-hop']).toBeUndefined();
  });

  it('reuses upstream connections (keep-alive)', async () => {
    const before = ka.connections;
    for (let i = 0; i < 5; i++) expect((await send(port, 'ka.example.com', `/${i}`)).status).toBe(200);
    expect(ka.connections - before).toBe(1);
  });

  it('forwards a POST body', async () => {
    const body = 'x'.repeat(200_000);
    const r = await send(port, 'app.example.com', '/upload', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body,
    });
    expect(r.status).toBe(200);
    const echo = echoOf(r);
    expect(echo.method).toBe('POST');
    expect(echo.body).toBe(body);
    expect(echo.headers['content-length']).toBe(String(body.length));
  });

  it('streams request and response bodies', async () => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: '/up',
      method: 'POST',
      headers: { host: 'stream.example.com' },
      agent: false,
    });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
    });
    req.write('hello');
    const res = await response;
    expect(res.statusCode).toBe(200);
    res.setEncoding('utf8');
    const first = await new Promise<string>((resolve) => res.once('data', resolve));
    // The upstream answered the first chunk while the request is still open.
    expect(first).toBe('first:hello\n');
    let rest = '';
    res.on('data', (c: string) => {
      rest += c;
    });
    const ended = new Promise<void>((resolve) => res.on('end', resolve));
    req.end('world!');
    await ended;
    expect(rest).toBe('total:11\n');
  });

  it('relays an Upgrade (WebSocket) connection both ways', async () => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: '/socket',
      headers: { host: 'ws.example.com', connection: 'Upgrade', upgrade: 'websocket' },
      agent: false,
    });
    const upgraded = new Promise<{ res: http.IncomingMessage; socket: Duplex }>((resolve, reject) => {
      req.on('upgrade', (res, socket) => resolve({ res, socket }));
      req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.on('error', reject);
    });
    req.end();
    const { res, socket } = await upgraded;
    try {
      expect(res.statusCode).toBe(101);
      expect(res.headers['x-seen-forwarded-for']).toBe('127.0.0.1');
      const echoed = new Promise<string>((resolve) =>
        socket.once('data', (c: Buffer) => resolve(c.toString())),
      );
      socket.write('ping');
      expect(await echoed).toBe('PING');
    } finally {
      socket.destroy();
    }
  });

  it('answers an Upgrade request it cannot route like any other', async () => {
    const r = await send(port, 'empty.example.com', '/', {
      headers: { connection: 'Upgrade', upgrade: 'websocket' },
    });
    expect(r.status).toBe(503);
    expect(r.body).toContain('503 Service Temporarily Unavailable');
  });

  it('answers 500 when the model behind it throws', async () => {
    const broken = await startIngressController(
      {
        routes: () => {
          throw new Error('no graph');
        },
        endpoints: backends.endpoints,
      },
      { host: '127.0.0.1', port: 0 },
    );
    try {
      const r = await send(broken.address.port, 'app.example.com', '/');
      expect(r.status).toBe(500);
    } finally {
      await broken.close();
    }
  });

  it('refuses to bind outside 127.0.0.0/8', async () => {
    await expect(startIngressController(backends, { host: '0.0.0.0', port: 0 })).rejects.toThrow(
      /127\.0\.0\.0\/8/,
    );
  });

  it('counts requests', async () => {
    const before = controller.stats().requests;
    await send(port, 'app.example.com', '/');
    await send(port, 'only-x.example.com', '/nope');
    expect(controller.stats().requests - before).toBe(2);
  });

  it('counts requests and answers per Ingress path, and unmatched 404s (stats.ts IngressPathTraffic)', async () => {
    const find = (host: string, path: string, name = 'web') =>
      controller.stats().paths.find((p) => p.name === name && p.host === host && p.path === path);
    const counts = () => ({
      api: { ...find('app.example.com', '/api') },
      root: { ...find('app.example.com', '/') },
      empty: { ...find('empty.example.com', '/') },
      dead: { ...find('dead.example.com', '/') },
      fallback: { ...find('*', INGRESS_DEFAULT_BACKEND_PATH, 'catch-all') },
      unmatched: controller.stats().unmatched,
    });
    const before = counts();
    // Every route of the table is listed, counted or not.
    expect(find('rr.example.com', '/')).toMatchObject({ namespace: 'shop', name: 'web' });
    expect((await send(port, 'app.example.com', '/api/v1')).status).toBe(200);
    expect((await send(port, 'app.example.com', '/api')).status).toBe(200);
    expect((await send(port, 'app.example.com', '/shop')).status).toBe(200);
    expect((await send(port, 'empty.example.com', '/')).status).toBe(503);
    expect((await send(port, 'dead.example.com', '/')).status).toBe(502);
    expect((await send(port, 'nobody.example.com', '/')).status).toBe(200);
    expect((await send(port, 'only-x.example.com', '/y')).status).toBe(404);
    expect((await send(port, 'only-x.example.com', '/z')).status).toBe(404);
    const after = counts();
    const grew = (
      a: { requests?: number; byStatus?: Record<string, number> },
      b: typeof a,
      status: string,
    ) => [(b.requests ?? 0) - (a.requests ?? 0), (b.byStatus?.[status] ?? 0) - (a.byStatus?.[status] ?? 0)];
    expect(grew(before.api, after.api, '200')).toEqual([2, 2]);
    expect(grew(before.root, after.root, '200')).toEqual([1, 1]);
    expect(grew(before.empty, after.empty, '503')).toEqual([1, 1]);
    expect(grew(before.dead, after.dead, '502')).toEqual([1, 1]);
    expect(grew(before.fallback, after.fallback, '200')).toEqual([1, 1]);
    expect(after.unmatched - before.unmatched).toBe(2);
  });

  it('counts an upgraded connection under its path with status 101', async () => {
    const ws = () => controller.stats().paths.find((p) => p.host === 'ws.example.com');
    const before = ws()?.byStatus['101'] ?? 0;
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: '/socket',
      headers: { host: 'ws.example.com', connection: 'Upgrade', upgrade: 'websocket' },
      agent: false,
    });
    const socket = await new Promise<Duplex>((resolve, reject) => {
      req.on('upgrade', (_res, s) => resolve(s));
      req.on('error', reject);
      req.end();
    });
    socket.destroy();
    expect((ws()?.byStatus['101'] ?? 0) - before).toBe(1);
  });

  it('close stops accepting and drops kept-alive upstream sockets', async () => {
    const own = await upstream('own', '127.0.0.7');
    const c = await startIngressController(
      {
        routes: backends.routes,
        endpoints: () => ({ status: 'ok', targets: [own.target], service: 'own' }),
      },
      { host: '127.0.0.1', port: 0 },
    );
    expect((await send(c.address.port, 'app.example.com', '/')).status).toBe(200);
    expect(own.open.size).toBe(1);
    const closedUpstream = new Promise<void>((resolve) => [...own.open][0]?.once('close', () => resolve()));
    await c.close();
    await closedUpstream;
    expect(own.open.size).toBe(0);
    await expect(send(c.address.port, 'app.example.com', '/')).rejects.toThrow(/ECONNREFUSED/);
  });
});
