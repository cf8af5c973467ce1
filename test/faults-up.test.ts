/**
 * Faults in the data plane of `portchain up`, on real loopback sockets in this suite's own address block
 * (pods 127.91/16, Services 127.92/16, node 127.90.0.1, ports 45000-45999): backends killed mid-connection (real
 * child processes, SIGKILL), all backends gone, a backend that accepts and never answers, a backend that moves to
 * another port after a manifest edit (reconcile, as --watch does), UDP flows at rate with idle expiry, slowloris
 * clients against the ingress controller, and a clean shutdown under load. Every test bounds its waits and
 * closes what it opened; leaks are measured as open file descriptors (/proc/self/fd).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isKind, loadText, type Manifest } from '../src/model/load.js';
import { startIngressController } from '../src/runtime/ingress-controller.js';
import { type KubeProxy, startKubeProxy } from '../src/runtime/kube-proxy.js';
import type { ClusterPlan, PlanEndpoint, PlanService } from '../src/runtime/plan.js';
import { startUp, type Up } from '../src/runtime/up.js';
import { ingressRoutes } from '../src/semantics/ingress.js';
import { ep, planOf, svc } from './helpers/plan-builders.js';

// Real sockets and processes on a shared machine: generous bounds (each wait inside is bounded too).
vi.setConfig({ testTimeout: 90_000, hookTimeout: 30_000 });

const ADDRESS_BASE = {
  pods: '127.91.0.0',
  services: '127.92.0.0',
  loadBalancers: '127.93.0.0',
  node: '127.90.0.1',
};
const LOW_PORT_OFFSET = 45000;

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const openFds = () => readdirSync('/proc/self/fd').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 20 ms until true or `ms` passes; returns whether it became true. */
async function eventually(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(20);
  }
  return cond();
}

/**
 * A backend in its own process (so SIGKILL kills a real process): on each connection it writes `name\n` and
 * echoes what it reads; `silent` accepts and never writes. Resolves once it listens.
 */
async function backendProcess(
  host: string,
  port: number,
  name: string,
  silent = false,
): Promise<ChildProcess> {
  const code = `const net=require('net');const s=net.createServer(c=>{c.on('error',()=>{});${
    silent ? '' : `c.write(${JSON.stringify(`${name}\n`)});c.pipe(c);`
  }});s.listen(${port},${JSON.stringify(host)},()=>process.stdout.write('up\\n'));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  closers.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (c) => reject(new Error(`backend ${name} exited ${c}`)));
  });
  return child;
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

type Dialled = { kind: 'greeting'; name: string } | { kind: 'closed' } | { kind: 'error'; code: string };

/** Connects and reads the backend's first line (bounded by `ms`). */
function greet(host: string, port: number, ms = 8000): Promise<Dialled> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let buf = '';
    const done = (d: Dialled) => {
      clearTimeout(timer);
      s.destroy();
      resolve(d);
    };
    const timer = setTimeout(() => done({ kind: 'error', code: 'TEST_TIMEOUT' }), ms);
    s.on('data', (d) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) done({ kind: 'greeting', name: buf.slice(0, nl) });
    });
    s.on('close', () => done({ kind: 'closed' }));
    s.on('error', (e: NodeJS.ErrnoException) => done({ kind: 'error', code: e.code ?? e.message }));
  });
}

const service = (clusterIP: string, port: number, endpoints: PlanEndpoint[], protocol = 'TCP') =>
  svc(clusterIP, clusterIP, port, endpoints, { namespace: 'faults' }, protocol);
const plan = (services: PlanService[]): ClusterPlan => planOf(ADDRESS_BASE.node, services);

async function proxy(p: ClusterPlan, options: Parameters<typeof startKubeProxy>[1] = {}): Promise<KubeProxy> {
  const kp = await startKubeProxy(p, { shuffle: (l) => [...l], ...options });
  closers.push(() => kp.close());
  expect(kp.problems).toEqual([]);
  return kp;
}

describe('kube-proxy with backends that die', () => {
  const VIP = '127.92.1.1';
  const PORT = 45101;
  const pods = ['127.91.1.1', '127.91.1.2', '127.91.1.3'];

  it('a backend killed mid-connection: the client is closed, new connections reach the survivors, then only them', async () => {
    const children = await Promise.all(pods.map((ip, i) => backendProcess(ip, PORT, `pod-${i}`)));
    const kp = await proxy(
      plan([
        service(
          VIP,
          PORT,
          pods.map((ip) => ep(ip, PORT)),
        ),
      ]),
    );

    // A held connection to pod-0 (round robin without shuffle starts at the first endpoint).
    const held = net.connect({ host: VIP, port: PORT });
    const first = await new Promise<string>((r) => held.once('data', (d) => r(d.toString().trim())));
    expect(first).toBe('pod-0');
    let heldClosed = false;
    held.on('close', () => {
      heldClosed = true;
    });
    held.on('error', () => undefined);

    await kill(children[0] as ChildProcess);
    // The proxy closes the client side when its backend goes away: nothing hangs.
    expect(await eventually(() => heldClosed)).toBe(true);

    // Before the endpoints update, pod-0's port refuses: the proxy's dial retry moves to the next endpoint.
    const before = await Promise.all(Array.from({ length: 9 }, () => greet(VIP, PORT)));
    for (const d of before) expect(d.kind === 'greeting' && d.name !== 'pod-0', JSON.stringify(d)).toBe(true);

    // The endpoint leaves (readiness / EndpointSlice update): every new connection goes to the survivors.
    await kp.update(
      plan([
        service(
          VIP,
          PORT,
          pods.slice(1).map((ip) => ep(ip, PORT)),
        ),
      ]),
    );
    const after = await Promise.all(Array.from({ length: 20 }, () => greet(VIP, PORT)));
    const names = after.map((d) => (d.kind === 'greeting' ? d.name : JSON.stringify(d)));
    expect(new Set(names)).toEqual(new Set(['pod-1', 'pod-2']));
    expect(names.filter((n) => n === 'pod-1').length).toBe(10); // round robin over the two survivors
  });

  it('all backends gone: connections are closed at once while listed, refused once the endpoints leave', async () => {
    const children = await Promise.all(pods.map((ip, i) => backendProcess(ip, PORT + 1, `pod-${i}`)));
    const kp = await proxy(
      plan([
        service(
          VIP,
          PORT + 1,
          pods.map((ip) => ep(ip, PORT + 1)),
        ),
      ]),
    );
    expect((await greet(VIP, PORT + 1)).kind).toBe('greeting');
    await Promise.all(children.map(kill));
    // Still listed: every dial is refused, the client is reset (not left hanging).
    const listed = await greet(VIP, PORT + 1);
    expect(['closed', 'error']).toContain(listed.kind);
    expect(listed).not.toEqual({ kind: 'error', code: 'TEST_TIMEOUT' });
    // No endpoint left: no listener, connection refused (the iptables proxier's REJECT).
    await kp.update(plan([service(VIP, PORT + 1, [])]));
    expect(await greet(VIP, PORT + 1)).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
    // Not-ready endpoints are not used either.
    await kp.update(
      plan([
        service(
          VIP,
          PORT + 1,
          pods.map((ip) => ep(ip, PORT + 1, false)),
        ),
      ]),
    );
    expect(await greet(VIP, PORT + 1)).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
  });

  it('a backend that accepts and never answers: the client times out, and closing it frees both sockets', async () => {
    const silent = net.createServer();
    const accepted = new Set<net.Socket>();
    silent.on('connection', (s) => {
      accepted.add(s);
      s.on('close', () => accepted.delete(s));
      s.on('error', () => undefined);
      s.resume(); // read (and drop) what comes, so the peer's FIN is seen
    });
    await new Promise<void>((r) => silent.listen(PORT + 2, pods[0], () => r()));
    closers.push(() => new Promise<void>((r) => silent.close(() => r())));
    await proxy(plan([service(VIP, PORT + 2, [ep(pods[0] as string, PORT + 2)])]));
    const fdsBefore = openFds();

    const clients = await Promise.all(
      Array.from(
        { length: 50 },
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect({ host: VIP, port: PORT + 2 }, () => resolve(s));
            s.on('error', () => undefined);
          }),
      ),
    );
    expect(await eventually(() => accepted.size === 50)).toBe(true);
    // Nothing comes back: each client gives up after its own timeout.
    const timedOut = await Promise.all(
      clients.map(
        (s) =>
          new Promise<boolean>((resolve) => {
            let data = false;
            s.on('data', () => {
              data = true;
            });
            s.setTimeout(300, () => {
              resolve(!data);
              s.destroy();
            });
          }),
      ),
    );
    expect(timedOut.every(Boolean)).toBe(true);
    // The proxy closes the backend side of every abandoned connection: no socket is left behind.
    expect(await eventually(() => accepted.size === 0)).toBe(true);
    expect(await eventually(() => openFds() <= fdsBefore)).toBe(true);
  });
});

describe('the ingress controller against a silent upstream', () => {
  it('an upstream that never answers is a 504 after the read timeout, and its socket is released', async () => {
    const silent = net.createServer();
    const accepted = new Set<net.Socket>();
    silent.on('connection', (s) => {
      accepted.add(s);
      s.on('close', () => accepted.delete(s));
      s.on('error', () => undefined);
      s.resume(); // read (and drop) what comes, so the peer's FIN is seen
    });
    await new Promise<void>((r) => silent.listen(45110, '127.91.2.1', () => r()));
    closers.push(() => new Promise<void>((r) => silent.close(() => r())));
    const ingress = loadText({
      name: 'i.yaml',
      text: 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: f}\nspec:\n  defaultBackend: {service: {name: s, port: {number: 80}}}\n',
    }).manifests.filter((m): m is Manifest<'Ingress'> => isKind(m, 'Ingress'));
    const table = ingressRoutes(ingress);
    const ic = await startIngressController(
      {
        routes: () => table,
        endpoints: () => ({ status: 'ok', targets: [{ ip: '127.91.2.1', port: 45110 }], service: 'f/s:80' }),
      },
      { host: '127.90.0.1', port: 45111, upstreamTimeoutMs: 300 },
    );
    closers.push(() => ic.close());
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => get('127.90.0.1', 45111, 'any.example')),
    );
    expect(answers.map((a) => ('status' in a ? a.status : a.error))).toEqual(Array(10).fill(504));
    // The timed-out upstream connections are closed, not kept alive for reuse.
    expect(await eventually(() => accepted.size === 0)).toBe(true);
  });
});

/** Manifests for `up`: an http-echo Deployment listening on `port`, its Service by named targetPort. */
function echoApp(port: number, text: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: echo, namespace: faults}
spec:
  replicas: 2
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      containers:
      - name: echo
        image: hashicorp/http-echo:1.0
        args: ["-listen=:${port}", "-text=${text}"]
        ports: [{name: http, containerPort: ${port}}]
---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: faults}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 45180, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: echo, namespace: faults}
spec:
  ingressClassName: nginx
  rules:
  - host: echo.example
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: echo, port: {number: 45180}}}}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
`;
}

type Got = { status: number; body: string } | { error: string };
function get(host: string, port: number, hostHeader?: string, ms = 8000): Promise<Got> {
  return new Promise((resolve) => {
    const req = http.get(
      { host, port, path: '/', agent: false, timeout: ms, headers: hostHeader ? { host: hostHeader } : {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', (e) => resolve({ error: e.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('TEST_TIMEOUT')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

async function up(text: string, ingressPort: number): Promise<Up> {
  const u = await startUp([{ name: 'faults.yaml', text }], {
    addressBase: ADDRESS_BASE,
    lowPortOffset: LOW_PORT_OFFSET,
    ingress: { host: '127.90.0.1', port: ingressPort },
  });
  closers.push(() => u.close());
  return u;
}

describe('up under faults', () => {
  it('a backend that restarts on another port after a manifest edit: the named targetPort follows it', async () => {
    const u = await up(echoApp(45301, 'first'), 45120);
    const svc = u.plan.services.find((s) => s.name === 'echo');
    const vip = svc?.clusterIP as string;
    expect(vip.startsWith('127.92.')).toBe(true);
    expect(await get(vip, 45180)).toEqual({ status: 200, body: 'first\n' });
    const oldPods = u.plan.pods.map((p) => p.ip);
    const r = await u.reconcile([{ name: 'faults.yaml', text: echoApp(45302, 'second') }]);
    // A new pod template: the Deployment's pods are replaced (new names) or restarted in place.
    expect(r.pods.restarted.length + r.pods.started.length).toBe(2);
    // The old processes are gone, the new ones serve on the new port, and the Service reaches them by name.
    for (const ip of oldPods) expect(await get(ip, 45301)).toEqual({ error: 'ECONNREFUSED' });
    for (const p of u.plan.pods) expect(await get(p.ip, 45302)).toEqual({ status: 200, body: 'second\n' });
    expect(u.plan.services.find((s) => s.name === 'echo')?.clusterIP).toBe(vip);
    for (let i = 0; i < 4; i++) expect(await get(vip, 45180)).toEqual({ status: 200, body: 'second\n' });
    expect(await get('127.90.0.1', 45120, 'echo.example')).toEqual({ status: 200, body: 'second\n' });
  });

  it('slowloris clients against the ingress controller do not starve the others', async () => {
    await up(echoApp(45311, 'alive'), 45121);
    const slow: net.Socket[] = [];
    for (let i = 0; i < 200; i++) {
      const s = net.connect({ host: '127.90.0.1', port: 45121 });
      s.on('error', () => undefined);
      s.write('GET / HTTP/1.1\r\nHost: echo.example\r\n');
      slow.push(s);
    }
    // Trickle a header byte now and then, never ending the request.
    const trickle = setInterval(() => {
      for (const s of slow) if (!s.destroyed) s.write('X');
    }, 100);
    closers.push(() => {
      clearInterval(trickle);
      for (const s of slow) s.destroy();
    });
    await sleep(300);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => get('127.90.0.1', 45121, 'echo.example')),
    );
    expect(answers).toEqual(Array(50).fill({ status: 200, body: 'alive\n' }));
  });

  it('shuts down cleanly under load: close() settles every request and frees every socket', async () => {
    const fdsBefore = openFds();
    const u = await startUp([{ name: 'faults.yaml', text: echoApp(45321, 'load') }], {
      addressBase: ADDRESS_BASE,
      lowPortOffset: LOW_PORT_OFFSET,
      ingress: { host: '127.90.0.1', port: 45122 },
    });
    let closed = false;
    closers.push(() => (closed ? undefined : u.close()));
    const vip = u.plan.services.find((s) => s.name === 'echo')?.clusterIP as string;
    let stop = false;
    let ok = 0;
    let failed = 0;
    const worker = async (viaIngress: boolean) => {
      while (!stop) {
        const r = viaIngress
          ? await get('127.90.0.1', 45122, 'echo.example', 5000)
          : await get(vip, 45180, undefined, 5000);
        if ('status' in r && r.status === 200) ok++;
        else failed++;
      }
    };
    const workers = Array.from({ length: 40 }, (_, i) => worker(i % 2 === 0));
    await eventually(() => ok >= 200, 10_000);
    await u.close();
    closed = true;
    stop = true;
    await Promise.all(workers); // every in-flight request settled (answered or failed), none hangs
    expect(ok).toBeGreaterThanOrEqual(200);
    expect(await get(vip, 45180)).toEqual({ error: 'ECONNREFUSED' });
    expect(await get('127.90.0.1', 45122)).toEqual({ error: 'ECONNREFUSED' });
    expect(await eventually(() => openFds() <= fdsBefore + 2)).toBe(true);
    expect(failed).toBeGreaterThanOrEqual(0);
  });
});

describe('UDP through kube-proxy', () => {
  it('flows at rate are all answered, and idle flows expire (their backend sockets close)', async () => {
    const backend = dgram.createSocket('udp4');
    const peers = new Set<string>();
    backend.on('message', (msg, r) => {
      peers.add(`${r.address}:${r.port}`);
      backend.send(msg, r.port, r.address);
    });
    await new Promise<void>((r) => backend.bind(45130, '127.91.3.1', () => r()));
    closers.push(() => new Promise<void>((r) => backend.close(() => r())));
    const VIP = '127.92.3.1';
    await proxy(plan([service(VIP, 45131, [ep('127.91.3.1', 45130)], 'UDP')]), { udpIdleTimeoutMs: 1000 });
    const fdsBefore = openFds();

    const FLOWS = 40;
    const PACKETS = 100;
    const clients = await Promise.all(
      Array.from({ length: FLOWS }, async () => {
        const c = dgram.createSocket('udp4');
        await new Promise<void>((r) => c.bind(0, '127.0.0.1', () => r()));
        closers.push(() => new Promise<void>((r) => c.close(() => r())));
        return c;
      }),
    );
    // Each flow sends PACKETS datagrams back to back, the next as soon as the echo of the previous arrives (at
    // most FLOWS datagrams in flight, so no socket buffer overflows): thousands of datagrams per second.
    let lost = 0;
    const started = Date.now();
    await Promise.all(
      clients.map(async (c, ci) => {
        for (let i = 0; i < PACKETS; i++) {
          const want = `f${ci}p${i}`;
          const got = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => {
              c.off('message', on);
              resolve(false);
            }, 2000);
            const on = (m: Buffer) => {
              if (m.toString() !== want) return;
              clearTimeout(timer);
              c.off('message', on);
              resolve(true);
            };
            c.on('message', on);
            c.send(want, 45131, VIP);
          });
          if (!got) lost++;
        }
      }),
    );
    const rate = Math.round((FLOWS * PACKETS) / ((Date.now() - started) / 1000));
    expect(lost, `${lost} of ${FLOWS * PACKETS} lost (${rate} datagrams/s)`).toBe(0);
    expect(peers.size).toBe(FLOWS); // one backend socket per client flow
    const fdsDuring = openFds();
    // The clients' sockets and one proxy->backend socket per flow.
    expect(fdsDuring).toBeGreaterThanOrEqual(fdsBefore + 2 * FLOWS);
    // Idle for longer than the UDP timeout: the flows' backend sockets are closed (the clients' stay open).
    expect(await eventually(() => openFds() <= fdsBefore + FLOWS, 5000), `${openFds()} fds`).toBe(true);
    // A client that speaks again gets a new flow (a new source port at the backend).
    clients[0]?.send('again', 45131, VIP);
    expect(await eventually(() => peers.size === FLOWS + 1)).toBe(true);
  });
});
