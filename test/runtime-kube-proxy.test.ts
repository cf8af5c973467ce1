/**
 * The kube-proxy of `portchain up` on real loopback sockets: round robin, dial retries to the next endpoint,
 * ClientIP affinity, REJECT without endpoints, live updates and UDP flows.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type KubeProxy, startKubeProxy } from '../src/runtime/kube-proxy.js';
import type { ClusterPlan, PlanService } from '../src/runtime/plan.js';
import { isProxyMode, PROXY_MODES, startProxy } from '../src/runtime/proxy-mode.js';
import { ep, planOf, svc } from './helpers/plan-builders.js';

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

const plan = (services: PlanService[]): ClusterPlan => planOf('127.0.0.1', services);

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
      plan([
        svc('127.96.8.1', '127.96.8.1', 18001, [
          ep('127.1.8.1', a),
          ep('127.1.8.2', b),
          ep('127.1.8.3', c, false),
        ]),
      ]),
    );
    const got: string[] = [];
    for (let i = 0; i < 4; i++) got.push(await read('127.96.8.1', 18001));
    expect(got).toEqual(['a', 'b', 'a', 'b']);
  });

  it('drops the traffic a Local traffic policy has no local endpoint for (TCP held silent, UDP discarded)', async () => {
    const a = await nameServer('127.161.8.1', 'a');
    const echo = dgram.createSocket('udp4');
    echo.on('message', (m, r) => echo.send(m, r.port, r.address));
    await new Promise<void>((r) => echo.bind(0, '127.161.8.1', () => r()));
    closers.push(() => new Promise((r) => echo.close(() => r())));
    const udpPort = echo.address().port;
    const web = (externalDrop: boolean): PlanService => ({
      ...svc('127.162.8.1', '127.162.8.1', 47800, []),
      type: 'NodePort',
      externalTrafficPolicy: 'Local',
      ports: [
        {
          name: '',
          protocol: 'TCP',
          port: 47800,
          listenPort: 47800,
          nodePort: 47801,
          endpoints: [ep('127.161.8.1', a)],
          noLocalEndpoints: { internal: false, external: externalDrop },
        },
      ],
    });
    const dns: PlanService = {
      ...svc('127.162.8.2', '127.162.8.2', 47802, []),
      internalTrafficPolicy: 'Local',
      ports: [
        {
          name: '',
          protocol: 'UDP',
          port: 47802,
          listenPort: 47802,
          nodePort: null,
          endpoints: [ep('127.161.8.1', udpPort)],
          noLocalEndpoints: { internal: true, external: false },
        },
      ],
    };
    const at = (services: PlanService[]): ClusterPlan => ({ ...plan(services), node: '127.160.0.1' });
    const k = await proxy(at([web(true), dns]));
    // clusterIP traffic follows internalTrafficPolicy (Cluster here): delivered.
    expect(await read('127.162.8.1', 47800)).toBe('a');
    // The node port follows externalTrafficPolicy Local with no local endpoint: nothing answers, nothing closes.
    const held = net.connect({ host: '127.160.0.1', port: 47801 });
    let got = '';
    let closed = false;
    held.on('data', (d: Buffer) => {
      got += d.toString();
    });
    held.on('close', () => {
      closed = true;
    });
    held.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 400));
    expect({ got, closed }).toEqual({ got: '', closed: false });
    held.destroy();
    // UDP with internalTrafficPolicy Local and no local endpoint: the datagram is discarded.
    const client = dgram.createSocket('udp4');
    closers.push(() => new Promise((r) => client.close(() => r())));
    const answered = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 400);
      client.once('message', () => {
        clearTimeout(t);
        resolve(true);
      });
      client.send('?', 47802, '127.162.8.2');
    });
    expect(answered).toBe(false);
    const stats = k.stats();
    expect(stats.find((x) => x.name === '127.162.8.1')).toMatchObject({ failed: 1 });
    expect(stats.find((x) => x.name === '127.162.8.2')).toMatchObject({ failed: 1, total: 1 });
    // A local endpoint again (the policy no longer drops): the node port delivers.
    await k.update(at([web(false), dns]));
    expect(await read('127.160.0.1', 47801)).toBe('a');
  });

  it('moves to the next endpoint when a dial fails', async () => {
    const dead = await deadPort('127.1.8.4');
    const b = await nameServer('127.1.8.5', 'b');
    await proxy(plan([svc('127.96.8.2', '127.96.8.2', 18002, [ep('127.1.8.4', dead), ep('127.1.8.5', b)])]));
    for (let i = 0; i < 3; i++) expect(await read('127.96.8.2', 18002)).toBe('b');
  });

  it('resets the client when every dial fails', async () => {
    const dead = await deadPort('127.1.8.6');
    await proxy(plan([svc('127.96.8.3', '127.96.8.3', 18003, [ep('127.1.8.6', dead)])]));
    expect(await read('127.96.8.3', 18003)).toMatch(/^(error:ECONNRESET|)$/);
  });

  it('keeps a client on one endpoint with ClientIP affinity', async () => {
    const a = await nameServer('127.1.8.7', 'a');
    const b = await nameServer('127.1.8.8', 'b');
    await proxy(
      plan([
        svc('127.96.8.4', '127.96.8.4', 18004, [ep('127.1.8.7', a), ep('127.1.8.8', b)], {
          sessionAffinity: 'ClientIP',
        }),
      ]),
    );
    const got = new Set<string>();
    for (let i = 0; i < 4; i++) got.add(await read('127.96.8.4', 18004));
    expect(got.size).toBe(1);
  });

  it('refuses a Service port without ready endpoints (REJECT), and opens it when one appears', async () => {
    const a = await nameServer('127.1.8.9', 'a');
    const k = await proxy(plan([svc('127.96.8.5', '127.96.8.5', 18005, [ep('127.1.8.9', a, false)])]));
    expect(k.listening()).toEqual([]);
    expect(await read('127.96.8.5', 18005)).toBe('error:ECONNREFUSED');
    await k.update(plan([svc('127.96.8.5', '127.96.8.5', 18005, [ep('127.1.8.9', a, true)])]));
    expect(k.listening()).toEqual(['TCP 127.96.8.5:18005']);
    expect(await read('127.96.8.5', 18005)).toBe('a');
  });

  it('update() keeps open connections of listeners that stay and closes removed ones', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen({ host: '127.1.8.10', port: 0 }, () => r()));
    closers.push(() => new Promise((r) => echo.close(() => r())));
    const port = (echo.address() as net.AddressInfo).port;
    const b = await nameServer('127.1.8.11', 'b');
    const keep = svc('127.96.8.6', '127.96.8.6', 18006, [ep('127.1.8.10', port)]);
    const k = await proxy(plan([keep, svc('127.96.8.7', '127.96.8.7', 18007, [ep('127.1.8.11', b)])]));
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
    const service = svc('127.96.8.8', '127.96.8.8', 18008, [
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

/** Waits until `check` holds (close events arrive a tick after the client sees its socket close). */
async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

describe('kube-proxy live traffic (stats.ts ServicePortTraffic)', () => {
  it('counts connections, bytes both ways, endpoints and failures per Service port', async () => {
    // Each backend answers every chunk with `<name>:<chunk>` and closes when the client does.
    const reply = async (host: string, name: string) => {
      const server = net.createServer({ allowHalfOpen: true }, (s) => {
        s.on('data', (d) => s.write(`${name}:${d}`));
        s.on('end', () => s.end());
      });
      await new Promise<void>((r) => server.listen({ host, port: 0 }, () => r()));
      closers.push(() => new Promise((r) => server.close(() => r())));
      return (server.address() as net.AddressInfo).port;
    };
    const a = await reply('127.81.1.1', 'a');
    const b = await reply('127.81.1.2', 'b');
    const dead = await deadPort('127.81.1.3');
    const k = await proxy(
      plan([
        svc('127.82.1.1', '127.82.1.1', 44001, [ep('127.81.1.1', a), ep('127.81.1.2', b)]),
        svc('127.82.1.2', '127.82.1.2', 44002, [ep('127.81.1.3', dead)]),
        svc('127.82.1.3', '127.82.1.3', 44003, [ep('127.81.1.1', a, false)]),
      ]),
    );
    const talk = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const s = net.connect({ host: '127.82.1.1', port: 44001 });
        let got = '';
        s.on('data', (d) => {
          got += d.toString();
        });
        s.on('close', () => resolve(got));
        s.on('error', reject);
        s.end(text);
      });
    expect(await talk('hello')).toBe('a:hello');
    expect(await talk('hi')).toBe('b:hi');
    expect(await talk('x')).toBe('a:x');
    expect(await read('127.82.1.2', 44002)).toMatch(/^(error:ECONNRESET|)$/);

    // One connection held open shows as active.
    const open = net.connect({ host: '127.82.1.1', port: 44001 });
    await new Promise<void>((r) => open.once('data', () => r()).write('live'));
    const byName = () => new Map(k.stats().map((s) => [s.name, s]));
    expect(byName().get('127.82.1.1')).toMatchObject({ active: 1, total: 4 });
    open.destroy();
    await until(() => byName().get('127.82.1.1')?.active === 0);
    await until(() => byName().get('127.82.1.2')?.failed === 1);

    const stats = byName();
    // Bytes: what the clients sent (5 + 2 + 1 + 4) and what came back (7 + 4 + 3 + 6).
    expect(stats.get('127.82.1.1')).toEqual({
      namespace: 'ns',
      name: '127.82.1.1',
      port: 44001,
      protocol: 'TCP',
      active: 0,
      total: 4,
      failed: 0,
      bytes: 12 + 20,
      byEndpoint: { [`127.81.1.1:${a}`]: 2, [`127.81.1.2:${b}`]: 2 },
    });
    expect(stats.get('127.82.1.2')).toMatchObject({ total: 1, failed: 1, active: 0, byEndpoint: {} });
    // No ready endpoint: no listener (REJECT), still reported, with nothing counted.
    expect(stats.get('127.82.1.3')).toMatchObject({ total: 0, failed: 0, active: 0, bytes: 0 });
  });

  it('keeps counters across update() and drops removed Service ports', async () => {
    const a = await nameServer('127.81.1.4', 'a');
    const one = svc('127.82.1.4', '127.82.1.4', 44004, [ep('127.81.1.4', a)]);
    const k = await proxy(plan([one]));
    expect(await read('127.82.1.4', 44004)).toBe('a');
    await until(() => k.stats()[0]?.total === 1 && k.stats()[0]?.active === 0);
    await k.update(plan([one, svc('127.82.1.5', '127.82.1.5', 44005, [ep('127.81.1.4', a)])]));
    expect(k.stats().map((s) => [s.name, s.total])).toEqual([
      ['127.82.1.4', 1],
      ['127.82.1.5', 0],
    ]);
    await k.update(plan([svc('127.82.1.5', '127.82.1.5', 44005, [ep('127.81.1.4', a)])]));
    expect(k.stats().map((s) => s.name)).toEqual(['127.82.1.5']);
  });

  it('counts UDP flows as active until idle, and datagram bytes', async () => {
    const server = dgram.createSocket('udp4');
    server.on('message', (m, r) => server.send(`re:${m}`, r.port, r.address));
    closers.push(() => new Promise((done) => server.close(() => done())));
    const port = await new Promise<number>((done) =>
      server.bind({ address: '127.81.1.6', port: 0 }, () => done(server.address().port)),
    );
    const base = svc('127.82.1.6', '127.82.1.6', 44006, [ep('127.81.1.6', port)]);
    const udp: PlanService = { ...base, ports: base.ports.map((p) => ({ ...p, protocol: 'UDP' })) };
    const k = await proxy(plan([udp]), { udpIdleTimeoutMs: 150 });
    const client = dgram.createSocket('udp4');
    closers.push(() => new Promise((done) => client.close(() => done())));
    await new Promise<void>((r) => client.bind({ address: '127.0.0.1', port: 0 }, () => r()));
    const ask = (m: string) =>
      new Promise<string>((r) => {
        client.once('message', (d) => r(d.toString()));
        client.send(m, 44006, '127.82.1.6');
      });
    expect(await ask('ab')).toBe('re:ab');
    expect(await ask('cd')).toBe('re:cd');
    expect(k.stats()[0]).toMatchObject({ protocol: 'UDP', active: 1, total: 1, bytes: 2 + 5 + 2 + 5 });
    await until(() => k.stats()[0]?.active === 0);
    expect(k.stats()[0]).toMatchObject({ active: 0, total: 1, byEndpoint: { [`127.81.1.6:${port}`]: 1 } });
  });
});

describe('kube-proxy TCP relay', () => {
  it('passes a half-close on: the reply after the client shut its sending side arrives', async () => {
    // Answers only once the client finished sending (like `nc -N`, or an HTTP/1.0 client that shuts down).
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      let got = '';
      s.on('data', (d) => {
        got += d.toString();
      });
      s.on('end', () => setTimeout(() => s.end(`got ${got.length} bytes`), 50));
    });
    await new Promise<void>((r) => server.listen({ host: '127.81.1.7', port: 0 }, () => r()));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const port = (server.address() as net.AddressInfo).port;
    await proxy(plan([svc('127.82.1.7', '127.82.1.7', 44007, [ep('127.81.1.7', port)])]));
    const body = 'z'.repeat(300_000);
    const reply = await new Promise<string>((resolve, reject) => {
      const s = net.connect({ host: '127.82.1.7', port: 44007, allowHalfOpen: true });
      let out = '';
      s.on('data', (d) => {
        out += d.toString();
      });
      s.on('end', () => resolve(out));
      s.on('error', reject);
      s.end(body);
    });
    expect(reply).toBe('got 300000 bytes');
  });

  it('carries a large transfer intact in both directions (back-pressure)', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen({ host: '127.81.1.8', port: 0 }, () => r()));
    closers.push(() => new Promise((r) => echo.close(() => r())));
    const port = (echo.address() as net.AddressInfo).port;
    const k = await proxy(plan([svc('127.82.1.8', '127.82.1.8', 44008, [ep('127.81.1.8', port)])]));
    const size = 8 * 1024 * 1024;
    const payload = Buffer.alloc(size, 7);
    payload.write('start', 0);
    payload.write('end', size - 3);
    const back = await new Promise<Buffer>((resolve, reject) => {
      const s = net.connect({ host: '127.82.1.8', port: 44008 });
      const chunks: Buffer[] = [];
      let n = 0;
      s.on('data', (d: Buffer) => {
        chunks.push(d);
        n += d.length;
        if (n >= size) s.end();
      });
      s.on('close', () => resolve(Buffer.concat(chunks)));
      s.on('error', reject);
      s.write(payload);
    });
    expect(back.length).toBe(size);
    expect(back.equals(payload)).toBe(true);
    await until(() => k.stats()[0]?.active === 0);
    expect(k.stats()[0]?.bytes).toBe(2 * size);
  });
});

describe('kube-proxy TCP relay, read buffers', () => {
  it('keeps concurrent and successive connections apart (read buffers are reused)', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen({ host: '127.81.1.10', port: 0 }, () => r()));
    closers.push(() => new Promise((r) => echo.close(() => r())));
    const port = (echo.address() as net.AddressInfo).port;
    await proxy(plan([svc('127.82.1.10', '127.82.1.10', 44010, [ep('127.81.1.10', port)])]));
    const transfer = (fill: number) =>
      new Promise<boolean>((resolve, reject) => {
        const payload = Buffer.alloc(1024 * 1024, fill);
        const s = net.connect({ host: '127.82.1.10', port: 44010 });
        const chunks: Buffer[] = [];
        let n = 0;
        s.on('data', (d: Buffer) => {
          chunks.push(d);
          n += d.length;
          if (n >= payload.length) s.end();
        });
        s.on('close', () => resolve(Buffer.concat(chunks).equals(payload)));
        s.on('error', reject);
        s.write(payload);
      });
    for (const wave of [
      [1, 2, 3],
      [4, 5, 6],
    ])
      expect(await Promise.all(wave.map(transfer))).toEqual([true, true, true]);
  });
});

describe('--proxy-mode (proxy-mode.ts)', () => {
  it('knows the three modes and starts the userspace proxy by default mode name', async () => {
    expect(PROXY_MODES).toEqual(['userspace', 'iptables', 'nftables']);
    expect(isProxyMode('nftables')).toBe(true);
    expect(isProxyMode('ipvs')).toBe(false);
    const a = await nameServer('127.81.1.9', 'a');
    const k = await startProxy(
      'userspace',
      plan([svc('127.82.1.9', '127.82.1.9', 44009, [ep('127.81.1.9', a)])]),
    );
    closers.push(() => k.close());
    expect(k.listening()).toEqual(['TCP 127.82.1.9:44009']);
    expect(await read('127.82.1.9', 44009)).toBe('a');
  });
});

describe('a port already in use', () => {
  it('is a problem naming the address and the Service port that wanted it; the other listeners open', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen({ host: '127.82.9.1', port: 44990 }, r));
    const backend = net.createServer((s) => s.end('ok'));
    await new Promise<void>((r) => backend.listen({ host: '127.81.9.1', port: 0 }, r));
    const port = (backend.address() as net.AddressInfo).port;
    const p = plan([
      svc('127.82.9.1', '127.82.9.1', 44990, [ep('127.81.9.1', port)]),
      svc('127.82.9.2', '127.82.9.2', 44990, [ep('127.81.9.1', port)]),
    ]);
    const k = await startKubeProxy(p, { shuffle: (l) => [...l] });
    try {
      expect(k.problems).toHaveLength(1);
      expect(k.problems[0]).toMatch(
        /^TCP 127\.82\.9\.1:44990, wanted by Service \S+:44990\/TCP: the port is already in use by another process$/,
      );
      expect(k.listening()).toContain('TCP 127.82.9.2:44990');
    } finally {
      await k.close();
      await new Promise((r) => holder.close(r));
      await new Promise((r) => backend.close(r));
    }
  });
});
