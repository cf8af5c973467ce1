/**
 * The kube-proxy of `portchain up` on real loopback sockets: round robin, dial retries to the next endpoint,
 * ClientIP affinity, REJECT without endpoints, live updates and UDP flows.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type KubeProxy, startKubeProxy } from '../src/runtime/kube-proxy.js';
import type { ClusterPlan, PlanEndpoint, PlanService } from '../src/runtime/plan.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** A TCP backend that writes its name and closes. */
async function nameServer(host: string, name: string): Promise<number> {
  const server = net.createServer((s) => s.end(name));
  await new Promise<void>((r) => server.listen({ host, port: 0 }, () => r()));
  closers.push(() => new Promise((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

/** A port nothing listens on (bound, then closed). */
async function deadPort(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen({ host, port: 0 }, () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function read(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let out = '';
    s.on('data', (d) => {
      out += d.toString();
    });
    s.on('close', () => resolve(out));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(`error:${e.code}`));
  });
}

const ep = (ip: string, port: number, ready = true): PlanEndpoint => ({
  pod: ip,
  ip,
  port,
  dialPort: port,
  ready,
});

function svc(
  clusterIP: string,
  port: number,
  endpoints: PlanEndpoint[],
  extra: Partial<PlanService> = {},
): PlanService {
  return {
    namespace: 'ns',
    name: clusterIP,
    type: 'ClusterIP',
    clusterIP,
    loadBalancerIP: null,
    externalName: null,
    sessionAffinity: 'None',
    affinityTimeoutSeconds: 10800,
    ports: [{ name: '', protocol: 'TCP', port, listenPort: port, nodePort: null, endpoints }],
    ...extra,
  };
}
const plan = (services: PlanService[]): ClusterPlan => ({
  node: '127.0.0.1',
  lowPortOffset: 0,
  pods: [],
  services,
  notes: [],
});

async function proxy(p: ClusterPlan, options: Parameters<typeof startKubeProxy>[1] = {}): Promise<KubeProxy> {
  const k = await startKubeProxy(p, { shuffle: (l) => [...l], ...options });
  closers.push(() => k.close());
  return k;
}

describe('kube-proxy (userspace semantics)', () => {
  it('balances round robin over the ready endpoints only', async () => {
    const a = await nameServer('127.1.8.1', 'a');
    const b = await nameServer('127.1.8.2', 'b');
    const c = await nameServer('127.1.8.3', 'c');
    await proxy(
      plan([svc('127.96.8.1', 18001, [ep('127.1.8.1', a), ep('127.1.8.2', b), ep('127.1.8.3', c, false)])]),
    );
    const got: string[] = [];
    for (let i = 0; i < 4; i++) got.push(await read('127.96.8.1', 18001));
    expect(got).toEqual(['a', 'b', 'a', 'b']);
  });

  it('moves to the next endpoint when a dial fails', async () => {
    const dead = await deadPort('127.1.8.4');
    const b = await nameServer('127.1.8.5', 'b');
    await proxy(plan([svc('127.96.8.2', 18002, [ep('127.1.8.4', dead), ep('127.1.8.5', b)])]));
    for (let i = 0; i < 3; i++) expect(await read('127.96.8.2', 18002)).toBe('b');
  });

  it('resets the client when every dial fails', async () => {
    const dead = await deadPort('127.1.8.6');
    await proxy(plan([svc('127.96.8.3', 18003, [ep('127.1.8.6', dead)])]));
    expect(await read('127.96.8.3', 18003)).toMatch(/^(error:ECONNRESET|)$/);
  });

  it('keeps a client on one endpoint with ClientIP affinity', async () => {
    const a = await nameServer('127.1.8.7', 'a');
    const b = await nameServer('127.1.8.8', 'b');
    await proxy(
      plan([
        svc('127.96.8.4', 18004, [ep('127.1.8.7', a), ep('127.1.8.8', b)], { sessionAffinity: 'ClientIP' }),
      ]),
    );
    const got = new Set<string>();
    for (let i = 0; i < 4; i++) got.add(await read('127.96.8.4', 18004));
    expect(got.size).toBe(1);
  });

  it('refuses a Service port without ready endpoints (REJECT), and opens it when one appears', async () => {
    const a = await nameServer('127.1.8.9', 'a');
    const k = await proxy(plan([svc('127.96.8.5', 18005, [ep('127.1.8.9', a, false)])]));
    expect(k.listening()).toEqual([]);
    expect(await read('127.96.8.5', 18005)).toBe('error:ECONNREFUSED');
    await k.update(plan([svc('127.96.8.5', 18005, [ep('127.1.8.9', a, true)])]));
    expect(k.listening()).toEqual(['TCP 127.96.8.5:18005']);
    expect(await read('127.96.8.5', 18005)).toBe('a');
  });

  it('update() keeps open connections of listeners that stay and closes removed ones', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen({ host: '127.1.8.10', port: 0 }, () => r()));
    closers.push(() => new Promise((r) => echo.close(() => r())));
    const port = (echo.address() as net.AddressInfo).port;
    const b = await nameServer('127.1.8.11', 'b');
    const keep = svc('127.96.8.6', 18006, [ep('127.1.8.10', port)]);
    const k = await proxy(plan([keep, svc('127.96.8.7', 18007, [ep('127.1.8.11', b)])]));
    const client = net.connect({ host: '127.96.8.6', port: 18006 });
    await new Promise<void>((r) => client.once('connect', () => r()));
    await k.update(plan([keep]));
    expect(k.listening()).toEqual(['TCP 127.96.8.6:18006']);
    expect(await read('127.96.8.7', 18007)).toBe('error:ECONNREFUSED');
    const echoed = new Promise<string>((r) => client.once('data', (d) => r(d.toString())));
    client.write('still here');
    expect(await echoed).toBe('still here');
    client.destroy();
  });

  it('carries UDP per client flow, with an idle timeout', async () => {
    const backends = ['127.1.8.12', '127.1.8.13'].map((host) => {
      const s = dgram.createSocket('udp4');
      s.on('message', (m, r) => s.send(`${host}:${m}`, r.port, r.address));
      closers.push(() => new Promise((done) => s.close(() => done())));
      return new Promise<number>((done) => s.bind({ address: host, port: 0 }, () => done(s.address().port)));
    });
    const [p1, p2] = await Promise.all(backends);
    const service = svc('127.96.8.8', 18008, [
      ep('127.1.8.12', p1 as number),
      ep('127.1.8.13', p2 as number),
    ]);
    const udp: PlanService = { ...service, ports: service.ports.map((p) => ({ ...p, protocol: 'UDP' })) };
    await proxy(plan([udp]), { udpIdleTimeoutMs: 100 });
    const client = dgram.createSocket('udp4');
    closers.push(() => new Promise((done) => client.close(() => done())));
    await new Promise<void>((r) => client.bind({ address: '127.0.0.1', port: 0 }, () => r()));
    const ask = (m: string) =>
      new Promise<string>((r) => {
        client.once('message', (d) => r(d.toString()));
        client.send(m, 18008, '127.96.8.8');
      });
    // One flow: the same backend while packets keep coming.
    expect(await ask('1')).toBe('127.1.8.12:1');
    expect(await ask('2')).toBe('127.1.8.12:2');
    // Idle past the timeout: the flow is gone, the next packet opens a new one on the next endpoint.
    await new Promise((r) => setTimeout(r, 250));
    expect(await ask('3')).toBe('127.1.8.13:3');
  });
});
