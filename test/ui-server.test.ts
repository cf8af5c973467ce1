/**
 * The `portchain ui` server without a browser: the JSON it serves is the topology model with the findings
 * attached, `trace` on demand with the drawn path, static files never from outside dist/web, strict headers,
 * reload events when a manifest changes, and, for `portchain up --ui`, live traffic and readiness on the drawn
 * rows and edges of a real running data plane (addresses 127.70-73.x.x, low ports at +43000).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import type { SourceText } from '../src/model/load.js';
import type { TrafficSnapshot } from '../src/runtime/stats.js';
import { startUp, type Up } from '../src/runtime/up.js';
import { readSources } from '../src/sources/files.js';
import { buildTopology } from '../src/topology/build.js';
import type { GraphPayload, TracePayload } from '../src/ui/api.js';
import { trafficPayload } from '../src/ui/live.js';
import {
  planLiveState,
  type RunningUp,
  startUiServer,
  startUpUi,
  type UiServer,
  upTraffic,
} from '../src/ui/server.js';
import { runCli } from './helpers/cli.js';
import { repoRoot } from './helpers/shared.js';

const ADDRESS_BASE = {
  pods: '127.71.0.0',
  services: '127.72.0.0',
  loadBalancers: '127.73.0.0',
  node: '127.70.0.1',
} as const;

let servers: UiServer[] = [];
let ups: Up[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all(ups.map((u) => u.close()));
  servers = [];
  ups = [];
});

/** A static folder standing for dist/web, so these tests do not depend on the web build. */
function staticDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'portchain-ui-static-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>portchain ui</title>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'export {};');
  writeFileSync(join(dir, 'assets', 'app.css'), 'body{}');
  writeFileSync(join(tmpdir(), 'portchain-ui-secret.txt'), 'secret');
  return dir;
}

async function serve(paths: string[], watch = false): Promise<UiServer> {
  const s = await startUiServer({
    load: async () => {
      const read = await readSources(paths, process.stdin);
      const r = check(read.sources, {}, read);
      return { graph: r.graph, findings: r.findings };
    },
    staticDir: staticDir(),
    ...(watch ? { watch: paths } : {}),
  });
  servers.push(s);
  return s;
}

/** A raw GET: the path is sent as written (no client-side normalisation of `..`). */
function get(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const u = new URL(url);
  return new Promise((done, fail) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path, method: 'GET', headers, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', fail);
    req.end();
  });
}

/** Opens /api/events and resolves with the data of the first `name` event. */
function nextEvent(
  url: string,
  name: string,
  timeoutMs = 20_000,
): { ready: Promise<void>; event: Promise<string> } {
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => {
    onReady = r;
  });
  const event = new Promise<string>((done, fail) => {
    const req = http.get(new URL('/api/events', url), (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        if (buf.includes('event: hello')) onReady();
        for (const frame of buf.split('\n\n')) {
          const m = new RegExp(`^event: ${name}\\ndata: (.*)$`, 'm').exec(frame);
          if (m) {
            clearTimeout(timer);
            req.destroy();
            done(m[1] as string);
          }
        }
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      fail(new Error(`no ${name} event in ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', () => {});
  });
  return { ready, event };
}

describe('portchain ui server', () => {
  it('serves the topology model with findings, counts and trace targets', async () => {
    const s = await serve([join(repoRoot, 'examples/named-port')]);
    const r = await get(s.url, '/api/graph');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const p = JSON.parse(r.body) as GraphPayload;
    const ids = p.topology.nodes.map((n) => n.id);
    expect(ids).toContain('service/named-port/web');
    expect(ids).toContain('service/named-port-broken-typo/web');
    // The typo variant's endpoint link carries the finding of check.
    const broken = p.topology.edges.filter((e) => e.source === 'service/named-port-broken-typo/web');
    expect(broken.length).toBeGreaterThan(0);
    const rules = broken
      .flatMap((e) => e.findings)
      .map((id) => p.topology.findings.find((f) => f.id === id)?.rule);
    expect(rules).toContain('target-port-name-unresolved');
    expect(p.summary.errors).toBeGreaterThan(0);
    expect(p.targets['service/named-port/web#ports[0]']).toEqual({
      target: 'svc/web.named-port:80',
      protocol: 'TCP',
    });
    expect(p.live).toBe(false);
  });

  it('traces a Service and returns the drawn path and verdict', async () => {
    const s = await serve([join(repoRoot, 'examples/named-port')]);
    const ok = JSON.parse((await get(s.url, '/api/trace?target=svc/web.named-port:80')).body) as TracePayload;
    expect(ok.trace.verdict).toBe('delivered');
    expect(ok.path.ports).toContain('service/named-port/web#ports[0]');
    expect(ok.path.nodes).toContain('container/named-port/Deployment/web/nginx');
    expect(ok.path.edges.some((e) => e.startsWith('endpoint:service/named-port/web#ports[0]->'))).toBe(true);
    expect(ok.path.broken).toEqual([]);
    const bad = JSON.parse(
      (await get(s.url, '/api/trace?target=svc/web.named-port-broken-typo:80')).body,
    ) as TracePayload;
    expect(bad.trace.verdict).not.toBe('delivered');
    expect(bad.path.nodes).toContain('service/named-port-broken-typo/web');
    expect(bad.path.broken.length).toBeGreaterThan(0);
    const usage = await get(s.url, '/api/trace?target=nonsense');
    expect(usage.status).toBe(400);
    expect(JSON.parse(usage.body).error).toMatch(/not a TARGET/);
  });

  it('traces an Ingress path through the route edge to the Service port', async () => {
    const s = await serve([join(repoRoot, 'examples/port-from-configmap/0-sound.yaml')]);
    const p = JSON.parse((await get(s.url, '/api/graph')).body) as GraphPayload;
    const target = p.targets['ingress/port-from-configmap/books#rules[0].paths[0]'];
    expect(target?.target).toBe('http://books.example.com/');
    const t = JSON.parse(
      (await get(s.url, `/api/trace?target=${encodeURIComponent(target?.target ?? '')}`)).body,
    ) as TracePayload;
    expect(t.trace.verdict).toBe('delivered');
    expect(
      t.path.edges.some((e) => e.startsWith('route:ingress/port-from-configmap/books#rules[0].paths[0]->')),
    ).toBe(true);
    expect(t.path.ports).toContain('service/port-from-configmap/books#ports[0]');
  });

  it('refuses paths outside the static folder and sets security headers', async () => {
    const s = await serve([join(repoRoot, 'examples/named-port/0-sound.yaml')]);
    const index = await get(s.url, '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect((await get(s.url, '/assets/app.js')).headers['content-type']).toMatch(/^text\/javascript/);
    expect((await get(s.url, '/assets/app.css')).headers['content-type']).toMatch(/^text\/css/);
    for (const path of [
      '/../package.json',
      '/../../../../etc/passwd',
      '/%2e%2e/package.json',
      '/%2E%2E/%2E%2E/etc/passwd',
      '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/..%2fportchain-ui-secret.txt',
      '/assets/../../portchain-ui-secret.txt',
      '/nothing-here.js',
    ]) {
      const r = await get(s.url, path);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toMatch(/"name": "portchain"|secret|root:/);
    }
    for (const path of ['/%00', '/index.html%00.js', '/assets/..%5c..%5cpackage.json', '/%E0%A4%A']) {
      expect((await get(s.url, path)).status, path).toBe(400);
    }
    // A page on another origin that rebinds its name to 127.0.0.1 sends its own Host: refused.
    expect((await get(s.url, '/api/graph', { Host: 'attacker.example' })).status).toBe(403);
    expect((await get(s.url, '/api/graph', { Host: 'localhost' })).status).toBe(200);
  });

  it('sends a reload event when a manifest changes, with the new model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portchain-ui-reload-'));
    cpSync(join(repoRoot, 'examples/named-port/0-sound.yaml'), join(dir, 'app.yaml'));
    const s = await serve([dir], true);
    const before = JSON.parse((await get(s.url, '/api/graph')).body) as GraphPayload;
    const sse = nextEvent(s.url, 'reload');
    await sse.ready;
    const file = join(dir, 'app.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^(\s+targetPort: )http-web$/m, '$1http-wbe'));
    const event = JSON.parse(await sse.event) as { version: number };
    expect(event.version).toBeGreaterThan(before.version);
    const after = JSON.parse((await get(s.url, '/api/graph')).body) as GraphPayload;
    expect(after.version).toBe(event.version);
    expect(after.summary.errors).toBeGreaterThan(before.summary.errors);
  });
});

describe('portchain ui command', () => {
  it('refuses a bad port and an input it cannot read, with exit code 2', async () => {
    const port = await runCli(['ui', join(repoRoot, 'examples/named-port'), '--port', 'eighty', '--no-open']);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port: not a port number: eighty/);
    const missing = await runCli(['ui', join(tmpdir(), 'portchain-ui-no-such-dir'), '--no-open']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nothing could be read/);
  });
});

describe('portchain up --ui (startUpUi)', () => {
  const source = (path: string): SourceText => ({ name: path, text: readFileSync(path, 'utf8') });

  it('serves the running plan and streams traffic and readiness', async () => {
    const u = await startUp([source(join(repoRoot, 'examples/named-port/0-sound.yaml'))], {
      addressBase: ADDRESS_BASE,
      lowPortOffset: 43000,
    });
    ups.push(u);
    const s = await startUpUi(u, { staticDir: staticDir(), trafficIntervalMs: 200 });
    servers.push(s);
    const p = JSON.parse((await get(s.url, '/api/graph')).body) as GraphPayload;
    expect(p.live).toBe(true);
    expect(p.topology.nodes.map((n) => n.id)).toContain('service/named-port/web');
    const traffic = JSON.parse(await nextEvent(s.url, 'traffic').event) as { notReady: string[] };
    expect(traffic.notReady).toEqual([]);
    // Service traffic through the real clusterIP listener.
    const svc = u.plan.services.find((x) => x.name === 'web');
    const port = svc?.ports[0];
    expect(svc?.clusterIP).toMatch(/^127\.72\./);
    const body = await new Promise<string>((done, fail) => {
      http
        .get(
          { host: svc?.clusterIP ?? '', port: port?.listenPort ?? 0, path: '/', timeout: 10_000 },
          (res) => {
            let b = '';
            res.on('data', (c) => {
              b += c;
            });
            res.on('end', () => done(b));
          },
        )
        .on('error', fail);
    });
    expect(body.length).toBeGreaterThan(0);
    await s.notify();
    expect((JSON.parse((await get(s.url, '/api/graph')).body) as GraphPayload).version).toBe(p.version + 1);
  });

  it('turns counters into rates on the drawn rows and edges, and lists endpoints not ready', async () => {
    const u = await startUp([source(join(repoRoot, 'examples/named-port/0-sound.yaml'))], {
      addressBase: ADDRESS_BASE,
      lowPortOffset: 43000,
    });
    ups.push(u);
    const topology = buildTopology(u.graph, u.findings);
    const pods = u.plan.pods.filter((p) => p.namespace === 'named-port');
    expect(pods.length).toBe(2);
    const [a, b] = pods as [(typeof pods)[0], (typeof pods)[0]];
    const at = Date.now();
    const snap = (total: number, toA: number, toB: number, t: number): TrafficSnapshot => ({
      at: t,
      services: [
        {
          namespace: 'named-port',
          name: 'web',
          port: 80,
          protocol: 'TCP',
          active: 1,
          total,
          failed: 0,
          bytes: 0,
          byEndpoint: { [`${a.ip}:8080`]: toA, [`${b.ip}:8080`]: toB },
        },
      ],
      ingress: [],
      ingressUnmatched: 0,
    });
    const state = planLiveState(u.plan);
    const readiness = state.readiness.map((x) => (x.pod === b.name ? { ...x, ready: false } : x));
    const live = trafficPayload({
      topology,
      graph: u.graph,
      now: snap(30, 24, 6, at + 2000),
      before: snap(10, 8, 2, at),
      pods: state.pods,
      readiness,
    });
    expect(live.ports['service/named-port/web#ports[0]']).toEqual({
      connectionsPerSecond: 10,
      active: 1,
      failedPerSecond: 0,
    });
    const edgeTo = (pod: string) =>
      Object.entries(live.edges).find(([id]) => id.endsWith(`#pod/${pod}`))?.[1].connectionsPerSecond;
    expect(edgeTo(a.name)).toBe(8);
    expect(edgeTo(b.name)).toBe(2);
    expect(live.notReady).toEqual([`workload/named-port/Deployment/web#pod/${b.name}`]);
    // A running up's counters read as one snapshot: kube-proxy's Service ports, the ingress controller's paths.
    const ingressPath = {
      namespace: 'ns',
      name: 'books',
      host: 'a',
      path: '/',
      requests: 3,
      byStatus: { '200': 3 },
    };
    const t = upTraffic({
      ...({} as Pick<RunningUp, 'plan' | 'graph' | 'findings'>),
      kubeProxy: { stats: () => snap(1, 1, 0, at).services },
      ingressTraffic: () => ({ paths: [ingressPath], unmatched: 2 }),
    })();
    expect(t.services).toHaveLength(1);
    expect(t.ingress).toEqual([ingressPath]);
    expect(t.ingressUnmatched).toBe(2);
  });
});
