/**
 * Readiness probes over time (prober semantics) and readiness reaching the endpoints through the semantic
 * core: kube-proxy stops sending to a pod whose probe fails and resumes when it passes. Time is sped up
 * (probeTimeScale), never slept through at real scale.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Probe } from '../src/model/types.js';
import {
  httpProbe,
  PROBE_DEFAULTS,
  probeKind,
  type ReadinessWorker,
  resolveProbePort,
  startReadinessWorker,
  tcpProbe,
} from '../src/runtime/probes.js';
import { type Reconciled, startUp, type Up } from '../src/runtime/up.js';

const addressBase = {
  pods: '127.51.0.0',
  services: '127.52.0.0',
  loadBalancers: '127.53.0.0',
  node: '127.50.0.1',
};
const LOW = 41000;
const HOST = '127.51.255.1';

let servers: http.Server[] = [];
let workers: ReadinessWorker[] = [];
let ups: Up[] = [];
afterEach(async () => {
  for (const w of workers) w.stop();
  workers = [];
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
  await Promise.all(ups.map((u) => u.close()));
  ups = [];
});

/** A server answering `status()` on every path; returns its port. */
async function serve(status: () => number): Promise<number> {
  const s = http.createServer((_req, res) => {
    res.writeHead(status());
    res.end('x');
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, HOST, r));
  return (s.address() as net.AddressInfo).port;
}

async function until(what: string, ok: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('one probe', () => {
  it('httpGet: 200-399 succeed, 400 and above fail, refused fails', async () => {
    let code = 200;
    const port = await serve(() => code);
    for (const [c, ok] of [
      [200, true],
      [302, true],
      [399, true],
      [400, false],
      [404, false],
      [503, false],
    ] as const) {
      code = c;
      const o = await httpProbe(HOST, port, { path: '/healthz' }, 1000);
      expect([c, o.ok, o.detail]).toEqual([c, ok, `HTTP ${c}`]);
    }
    servers[0]?.close();
    servers = [];
    const refused = await httpProbe(HOST, port, { path: '/' }, 1000);
    expect(refused).toEqual({ ok: false, detail: 'ECONNREFUSED' });
  });

  it('tcpSocket: connects or not', async () => {
    const port = await serve(() => 200);
    expect((await tcpProbe(HOST, port, 1000)).ok).toBe(true);
    expect((await tcpProbe(HOST, 41999, 1000)).ok).toBe(false);
  });

  it('resolves named ports against the container ports, and knows the Kubernetes defaults', () => {
    const ports = [{ name: 'http', containerPort: 8080 }];
    expect(resolveProbePort('http', ports)).toBe(8080);
    expect(resolveProbePort(9000, ports)).toBe(9000);
    expect(resolveProbePort('nope', ports)).toBeUndefined();
    expect(PROBE_DEFAULTS).toEqual({
      initialDelaySeconds: 0,
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(probeKind({ exec: { command: ['true'] } })).toBe('exec');
    expect(probeKind(undefined)).toBe('none');
  });
});

describe('a readiness worker over time', () => {
  it('starts not ready, needs successThreshold successes and failureThreshold failures in a row', async () => {
    let code = 200;
    let hits = 0;
    let firstFailure = 0;
    const port = await serve(() => {
      hits++;
      if (code !== 200 && firstFailure === 0) firstFailure = hits;
      return code;
    });
    // Each flip with the number of the probe that caused it (counted by the server, so timing cannot matter).
    const flips: [boolean, number][] = [];
    const probe: Probe = {
      httpGet: { path: '/ready', port: 'web' },
      periodSeconds: 1,
      successThreshold: 2,
      failureThreshold: 3,
    };
    const w = startReadinessWorker(probe, {
      podIP: HOST,
      ports: [{ name: 'web', containerPort: port }],
      timeScale: 0.02,
      onChange: (ready) => flips.push([ready, hits]),
    });
    workers.push(w);
    expect(w.ready).toBe(false);
    await w.first;
    await until('ready', () => w.ready);
    expect(flips).toEqual([[true, 2]]); // the second success in a row
    code = 500;
    await until('not ready', () => !w.ready);
    expect(flips[1]).toEqual([false, firstFailure + 2]); // the third failure in a row
    code = 200;
    await until('ready again', () => w.ready);
    expect(flips.map(([r]) => r)).toEqual([true, false, true]);
  });

  it('waits initialDelaySeconds before the first probe', async () => {
    let hits = 0;
    const port = await serve(() => {
      hits++;
      return 200;
    });
    const w = startReadinessWorker(
      { tcpSocket: { port }, initialDelaySeconds: 10, periodSeconds: 1 },
      { podIP: HOST, ports: [], timeScale: 0.02, onChange: () => undefined },
    );
    workers.push(w);
    await new Promise((r) => setTimeout(r, 100)); // half the scaled delay
    expect(w.last).toBeUndefined();
    await until('ready', () => w.ready);
    expect(hits).toBe(0); // tcpSocket opens and closes: no HTTP request
  });
});

/** A program whose /ready answers 200 or 503, switched by GET /flip; it binds $POD_IP:$PORT. */
const FLIPPER = `
let ok = true;
require('http').createServer((req, res) => {
  if (req.url === '/flip') { ok = !ok; res.end(String(ok)); return; }
  if (req.url === '/ready') { res.writeHead(ok ? 200 : 503); res.end(); return; }
  res.end('hello from ' + process.env.HOSTNAME);
}).listen(Number(process.env.PORT), process.env.POD_IP);
`;

const MANIFESTS = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: flip, namespace: probes }
spec:
  replicas: 2
  selector: { matchLabels: { app: flip } }
  template:
    metadata: { labels: { app: flip } }
    spec:
      containers:
        - name: app
          image: example.com/flipper:1
          env: [{ name: PORT, value: "41301" }]
          ports: [{ name: http, containerPort: 41301 }]
          readinessProbe:
            httpGet: { path: /ready, port: http }
            periodSeconds: 1
            failureThreshold: 2
---
apiVersion: v1
kind: Service
metadata: { name: flip, namespace: probes }
spec:
  selector: { app: flip }
  ports: [{ port: 41380, targetPort: http }]
---
apiVersion: v1
kind: Pod
metadata: { name: never, namespace: probes, labels: { app: never } }
spec:
  containers:
    - name: exporter
      image: quay.io/prometheus/node-exporter:v1.8.2
      args: ["--web.listen-address=:41302"]
      readinessProbe: { httpGet: { path: /healthz, port: 41302 } }
---
apiVersion: v1
kind: Pod
metadata: { name: exec, namespace: probes, labels: { app: never } }
spec:
  containers:
    - name: exporter
      image: quay.io/prometheus/node-exporter:v1.8.2
      args: ["--web.listen-address=:41303"]
      readinessProbe: { exec: { command: [cat, /tmp/ready] } }
---
apiVersion: v1
kind: Service
metadata: { name: never, namespace: probes }
spec:
  selector: { app: never }
  ports: [{ port: 41381, targetPort: 41302 }]
`;

function get(host: string, port: number, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host, port, path, agent: false, timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

const endpoints = (u: Up, name: string) =>
  u.plan.services
    .find((s) => s.name === name)
    ?.ports[0]?.endpoints.map((e) => `${e.pod}:${e.ready ? 'ready' : 'not ready'}`)
    .sort() ?? [];

describe('readiness drives the endpoints through the semantic core', () => {
  it('a failing probe takes the pod out of kube-proxy, a passing one puts it back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portchain-probes-'));
    writeFileSync(join(dir, 'flipper.js'), FLIPPER);
    const reconciles: Reconciled[] = [];
    const u = await startUp([{ name: 'probes.yaml', text: MANIFESTS }], {
      addressBase,
      lowPortOffset: LOW,
      imageCommands: { 'example.com/flipper': { command: [process.execPath, join(dir, 'flipper.js')] } },
      probeTimeScale: 0.05,
      onReadiness: (r) => reconciles.push(r),
    });
    ups.push(u);
    const [a, b] = u.plan.pods.filter((p) => p.name.startsWith('flip-'));
    if (!a || !b) throw new Error('two flip pods expected');
    await until('both flip pods ready', () => endpoints(u, 'flip').every((e) => e.endsWith(':ready')));
    // The node-exporter pod whose probe path answers 404 never becomes ready; the exec probe is not run (said once).
    expect(endpoints(u, 'never')).toEqual(['exec:ready', 'never:not ready']);
    expect(u.notes.filter((n) => n.includes('exec readiness probes are not run'))).toHaveLength(1);
    expect(u.graph.pods.find((p) => p.name === 'never')?.pod.status?.conditions).toContainEqual({
      type: 'Ready',
      status: 'False',
    });
    const clusterIP = u.plan.services.find((s) => s.name === 'flip')?.clusterIP as string;

    expect(await get(a.ip, 41301, '/flip')).toBe('false');
    await until('pod a not ready', () => endpoints(u, 'flip').includes(`${a.name}:not ready`));
    expect(reconciles.flatMap((r) => r.changes).join('\n')).toContain(`pod probes/${a.name} not ready`);
    for (let i = 0; i < 4; i++) expect(await get(clusterIP, 41380)).toBe(`hello from ${b.name}`);

    expect(await get(a.ip, 41301, '/flip')).toBe('true');
    await until('pod a ready again', () => endpoints(u, 'flip').includes(`${a.name}:ready`));
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(await get(clusterIP, 41380));
    expect(seen).toEqual(new Set([`hello from ${a.name}`, `hello from ${b.name}`]));
  });
});
