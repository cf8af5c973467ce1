/**
 * /proc/net tables (src/runtime/proc-net.ts): the parser against this machine's real kernel output while real
 * sockets are bound, format → parse round trips (fast-check), the kernel's exact line layout, and the adapter
 * that lists what a pod of `portchain up` really bound (simulated images, and a mapped local command).
 * Addresses: pods 127.131/16, Services 127.132/16, LBs 127.133/16, node 127.130.0.1; ports 46000-46499.
 */
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { netnsProblem } from '../src/runtime/netns.js';
import {
  decodeProcNetAddress,
  encodeProcNetAddress,
  formatProcNet,
  formatProcNetFiles,
  PROC_NET_FILES,
  type ProcNetSocket,
  parseProcNet,
  podSockets,
  TCP_ESTABLISHED,
  TCP_LISTEN,
} from '../src/runtime/proc-net.js';
import { startUp, type Up } from '../src/runtime/up.js';
import { connects, POD_IP_SERVER_JS, webAndDnsPods } from './helpers/pod-fixtures.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 30_000 });

const addressBase = {
  pods: '127.131.0.0',
  services: '127.132.0.0',
  loadBalancers: '127.133.0.0',
  node: '127.130.0.1',
};
// Its own offset: apiserver-exec.test.ts runs pods at the same addresses with lowPortOffset 46000.
const LOW = 46300;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function tcpServer(host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer((c) => c.on('error', () => {}));
    s.once('error', reject);
    s.listen({ host, port }, () => {
      closers.push(() => new Promise((r) => s.close(() => r())));
      resolve(s);
    });
  });
}

function udpSocket(type: 'udp4' | 'udp6', host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(type);
    s.once('error', reject);
    s.bind({ address: host, port }, () => {
      closers.push(() => new Promise((r) => s.close(() => r())));
      resolve(s);
    });
  });
}

const netnsUnavailable = await netnsProblem();
if (netnsUnavailable)
  console.warn(`runtime-proc-net: the --isolation netns case is skipped: ${netnsUnavailable}`);

const hasIPv6 = (() => {
  try {
    return readFileSync('/proc/net/tcp6', 'utf8').length > 0;
  } catch {
    return false;
  }
})();

describe('the address encoding', () => {
  it('writes IPv4 as the kernel does on little-endian machines', () => {
    expect(encodeProcNetAddress('127.0.0.1')).toBe('0100007F');
    expect(encodeProcNetAddress('127.131.0.5')).toBe('0500837F');
    expect(encodeProcNetAddress('0.0.0.0')).toBe('00000000');
    expect(decodeProcNetAddress('0100007F')).toBe('127.0.0.1');
  });

  it('writes IPv6 as four little-endian 32-bit words', () => {
    expect(encodeProcNetAddress('::1')).toBe('00000000000000000000000001000000');
    expect(encodeProcNetAddress('::')).toBe('00000000000000000000000000000000');
    expect(encodeProcNetAddress('::ffff:127.0.0.1')).toBe('0000000000000000FFFF00000100007F');
    expect(encodeProcNetAddress('fe80::1:2')).toBe('000080FE000000000000000002000100');
    expect(decodeProcNetAddress('0000000000000000FFFF00000100007F')).toBe('::ffff:127.0.0.1');
    expect(decodeProcNetAddress('000080FE000000000000000002000100')).toBe('fe80::1:2');
    expect(decodeProcNetAddress('00000000000000000000000001000000')).toBe('::1');
  });

  it('round-trips any address (fast-check)', () => {
    fc.assert(fc.property(fc.ipV4(), (ip) => decodeProcNetAddress(encodeProcNetAddress(ip)) === ip));
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const back = decodeProcNetAddress(encodeProcNetAddress(ip));
        return back !== null && encodeProcNetAddress(back) === encodeProcNetAddress(ip);
      }),
    );
  });
});

describe('the kernel layout', () => {
  it('pads tcp and udp lines like seq_pad and leaves tcp6/udp6 unpadded', () => {
    const t = formatProcNetFiles([
      { protocol: 'TCP', address: '127.131.0.5', port: 8080, inode: 4242 },
      { protocol: 'TCP', address: '::1', port: 8081 },
      { protocol: 'UDP', address: '127.131.0.5', port: 53 },
      { protocol: 'UDP', address: '::', port: 53 },
    ]);
    const tcp = t.tcp.split('\n');
    expect(tcp[0]).toMatch(
      /^ {2}sl {2}local_address rem_address {3}st tx_queue rx_queue tr tm->when retrnsmt {3}uid {2}timeout inode +$/,
    );
    expect(tcp[0]).toHaveLength(149);
    expect(tcp[1]).toHaveLength(149);
    expect(tcp[1]?.trimEnd()).toBe(
      '   0: 0500837F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0',
    );
    expect(t.tcp6.split('\n')[1]).toBe(
      '   0: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 100 0 0 10 0',
    );
    const udp = t.udp.split('\n');
    expect(udp[0]?.startsWith('   sl  local_address')).toBe(true);
    expect(udp[0]).toHaveLength(127);
    expect(udp[1]).toHaveLength(127);
    expect(udp[1]?.trimEnd()).toMatch(/^ {3}53: 0500837F:0035 00000000:0000 07 /);
    expect(t.udp6.split('\n')[0]?.endsWith('inode ref pointer drops')).toBe(true);
    expect(t.udp6.split('\n')[1]).toMatch(/^ {3}53: 0{32}:0035 0{32}:0000 07 .* 2 0{16} 0$/);
  });

  it('lists each socket in the file of its protocol and family only', () => {
    const sockets: ProcNetSocket[] = [
      { protocol: 'TCP', address: '10.0.0.1', port: 1 },
      { protocol: 'UDP', address: '10.0.0.1', port: 2 },
      { protocol: 'TCP', address: 'fd00::1', port: 3 },
    ];
    expect(parseProcNet(formatProcNet('tcp', sockets)).map((s) => s.port)).toEqual([1]);
    expect(parseProcNet(formatProcNet('udp', sockets)).map((s) => s.port)).toEqual([2]);
    expect(parseProcNet(formatProcNet('tcp6', sockets)).map((s) => s.port)).toEqual([3]);
    expect(parseProcNet(formatProcNet('udp6', sockets))).toEqual([]);
  });
});

describe('format → parse', () => {
  const socket = fc.record({
    protocol: fc.constantFrom('TCP' as const, 'UDP' as const),
    address: fc.oneof(fc.ipV4(), fc.ipV6()),
    port: fc.integer({ min: 0, max: 65535 }),
    remoteAddress: fc.option(fc.ipV4(), { nil: undefined }),
    remotePort: fc.integer({ min: 0, max: 65535 }),
    state: fc.constantFrom(TCP_LISTEN, TCP_ESTABLISHED, 0x07),
    uid: fc.integer({ min: 0, max: 70000 }),
    inode: fc.integer({ min: 0, max: 2 ** 31 }),
  });

  it('gives back every socket of the four files, concatenated as `cat` prints them', () => {
    fc.assert(
      fc.property(fc.array(socket, { maxLength: 12 }), (raw) => {
        // A socket's remote is of its own family.
        const sockets = raw.map((s) => ({
          ...s,
          remoteAddress: s.address.includes(':') ? '::' : (s.remoteAddress ?? '0.0.0.0'),
        }));
        const files = formatProcNetFiles(sockets);
        const parsed = parseProcNet(PROC_NET_FILES.map((f) => files[f]).join(''));
        expect(parsed).toHaveLength(sockets.length);
        for (const s of sockets) {
          const p = parsed.find(
            (x) =>
              x.protocol === s.protocol &&
              encodeProcNetAddress(x.address) === encodeProcNetAddress(s.address) &&
              x.port === s.port &&
              x.inode === s.inode,
          );
          expect(p, JSON.stringify(s)).toBeDefined();
          expect(p?.state).toBe(s.state);
          expect(p?.uid).toBe(s.uid);
          expect(p?.remotePort).toBe(s.remotePort);
          expect(p?.family).toBe(s.address.includes(':') ? 6 : 4);
        }
      }),
    );
  });

  it('skips lines that are not socket lines', () => {
    expect(parseProcNet('garbage\n   0: zz:1 00:00 0A\n\n', 'tcp')).toEqual([]);
    expect(
      parseProcNet(
        '   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 7',
        'tcp',
      )[0],
    ).toMatchObject({
      address: '127.0.0.1',
      port: 80,
      listening: true,
      inode: 7,
    });
  });
});

describe("this machine's kernel", () => {
  it('the parser finds real TCP and UDP sockets in /proc/net/tcp and udp (and tcp6/udp6)', async () => {
    await tcpServer('127.130.0.2', 46401);
    await udpSocket('udp4', '127.130.0.2', 46402);
    const client = net.connect({ host: '127.130.0.2', port: 46401 });
    closers.push(async () => void client.destroy());
    await new Promise((r) => client.once('connect', r));
    if (hasIPv6) {
      await tcpServer('::1', 46403);
      await udpSocket('udp6', '::1', 46404);
    }
    const all = parseProcNet(
      PROC_NET_FILES.map((f) => {
        try {
          return readFileSync(`/proc/net/${f}`, 'utf8');
        } catch {
          return '';
        }
      }).join(''),
    );
    const listener = all.find((s) => s.address === '127.130.0.2' && s.port === 46401 && s.listening);
    expect(listener).toMatchObject({ file: 'tcp', protocol: 'TCP', state: TCP_LISTEN, family: 4 });
    expect(listener?.inode).toBeGreaterThan(0);
    expect(listener?.uid).toBe(process.getuid?.() ?? 0);
    const conn = all.find(
      (s) => s.address === '127.130.0.2' && s.port === 46401 && s.state === TCP_ESTABLISHED,
    );
    expect(conn?.remotePort).toBe(client.localPort);
    // Matched by address too: another test's ephemeral TCP port can be 46402 on 127.0.0.1.
    expect(all.find((s) => s.address === '127.130.0.2' && s.port === 46402)).toMatchObject({
      file: 'udp',
      protocol: 'UDP',
      address: '127.130.0.2',
      listening: true,
    });
    if (hasIPv6) {
      expect(all.find((s) => s.address === '::1' && s.port === 46403 && s.listening)).toMatchObject({
        file: 'tcp6',
        address: '::1',
        listening: true,
      });
      expect(all.find((s) => s.address === '::1' && s.port === 46404 && s.listening)).toMatchObject({
        file: 'udp6',
        address: '::1',
        listening: true,
      });
    }
  });

  it('formatting what the kernel listed gives the kernel text back (up to the pointer and queues)', () => {
    const real = readFileSync('/proc/net/tcp', 'utf8');
    const parsed = parseProcNet(real, 'tcp');
    const again = parseProcNet(formatProcNet('tcp', parsed), 'tcp');
    expect(again.map((s) => [s.address, s.port, s.remoteAddress, s.remotePort, s.state, s.inode])).toEqual(
      parsed.map((s) => [s.address, s.port, s.remoteAddress, s.remotePort, s.state, s.inode]),
    );
    expect(formatProcNet('tcp', parsed).split('\n')[0]).toBe(real.split('\n')[0]);
  });
});

const SIMULATED = webAndDnsPods('pn', 46102);

/** The sockets of pod `pod` (namespace pn) once `ready` holds of them; a local command binds a moment after it starts. */
async function socketsOnceListed(
  u: Up,
  pod: string,
  ready: (sockets: ProcNetSocket[]) => boolean,
): Promise<ProcNetSocket[]> {
  const end = Date.now() + 10_000;
  let sockets: ProcNetSocket[] = [];
  while (Date.now() < end) {
    sockets = (await podSockets(u, 'pn', pod)) ?? [];
    if (ready(sockets)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return sockets;
}

describe('the sockets of a pod of portchain up', () => {
  it('simulated images: the listeners the runtime opened, at the ports the containers asked for', async () => {
    const u: Up = await startUp([{ name: 'pn.yaml', text: SIMULATED }], {
      addressBase,
      lowPortOffset: LOW,
    });
    closers.push(() => u.close());
    const web = u.plan.pods.find((p) => p.name === 'web');
    expect(web?.ip).toMatch(/^127\.131\./);
    const sockets = (await podSockets(u, 'pn', 'web')) ?? [];
    const listening = sockets.filter((s) => s.state === undefined || s.state === TCP_LISTEN);
    expect(listening.map((s) => `${s.protocol} ${s.address}:${s.port}`).sort()).toEqual(
      [`TCP ${web?.ip}:80`, `TCP ${web?.ip}:46102`].sort(),
    );
    // The kernel knows them: the host's table gives each its inode.
    for (const s of listening) expect(s.inode).toBeGreaterThan(0);
    // Really bound: 80 is bound at 80 + lowPortOffset, 46102 as is.
    expect(await connects(web?.ip as string, 80 + LOW)).toBe(true);
    expect(await connects(web?.ip as string, 46102)).toBe(true);
    const dns = (await podSockets(u, 'pn', 'dns')) ?? [];
    const dnsIP = u.plan.pods.find((p) => p.name === 'dns')?.ip;
    expect(dns.map((s) => `${s.protocol} ${s.address}:${s.port}`).sort()).toEqual([
      `TCP ${dnsIP}:53`,
      `UDP ${dnsIP}:53`,
    ]);
    expect(await podSockets(u, 'pn', 'nope')).toBeUndefined();
  });

  it('a mapped local command: the real socket it bound on the pod IP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portchain-proc-net-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'app.js'), POD_IP_SERVER_JS);
    const text = `
apiVersion: v1
kind: Pod
metadata: { name: app, namespace: pn }
spec:
  containers:
    - name: app
      image: registry.example.com/pn/app:1
      env: [{ name: PORT, value: "46110" }, { name: POD_IP, valueFrom: { fieldRef: { fieldPath: status.podIP } } }]
      ports: [{ containerPort: 46110 }]
`;
    const u = await startUp([{ name: 'app.yaml', text }], {
      addressBase,
      lowPortOffset: LOW,
      imageCommands: { 'registry.example.com/pn/app': { command: [process.execPath, join(dir, 'app.js')] } },
    });
    closers.push(() => u.close());
    const ip = u.plan.pods[0]?.ip as string;
    const sockets = await socketsOnceListed(u, 'app', (all) => all.some((s) => s.port === 46110));
    const l = sockets.find((s) => s.port === 46110);
    expect(l).toMatchObject({ protocol: 'TCP', address: ip, state: TCP_LISTEN });
    expect(l?.inode).toBeGreaterThan(0);
    expect(await connects(ip, 46110)).toBe(true);
    // Nothing of other processes: every socket is on the pod IP or held by the command.
    for (const s of sockets) expect([ip, '0.0.0.0', '::', '127.0.0.1']).toContain(s.address);
  });

  it.skipIf(netnsUnavailable !== null)(
    '--isolation netns: the namespace of the pod whole, a 0.0.0.0 listener as 0.0.0.0',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'portchain-proc-net-'));
      closers.push(async () => rmSync(dir, { recursive: true, force: true }));
      writeFileSync(
        join(dir, 'any.js'),
        `require('node:net').createServer(() => {}).listen(46130, '0.0.0.0');\nrequire('node:dgram').createSocket('udp4').bind(46131, '127.0.0.1');\n`,
      );
      // 40 placeholder pods first: the namespaced pod's IP (127.131.0.41) is routed into its namespace, and
      // must not be one the other test files of this block bind on the host's loopback.
      const text = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: spacer, namespace: pn }
spec:
  replicas: 40
  selector: { matchLabels: { app: spacer } }
  template:
    metadata: { labels: { app: spacer } }
    spec: { containers: [{ name: c, image: example.com/placeholder:1 }] }
---
apiVersion: v1
kind: Pod
metadata: { name: iso, namespace: pn }
spec:
  containers:
    - name: any
      image: registry.example.com/pn/any:1
      ports: [{ containerPort: 46130 }]
`;
      const u = await startUp([{ name: 'iso.yaml', text }], {
        addressBase,
        lowPortOffset: LOW,
        isolation: 'netns',
        netnsPrefix: 'pc-pn-',
        imageCommands: {
          'registry.example.com/pn/any': { command: [process.execPath, join(dir, 'any.js')] },
        },
      });
      closers.push(() => u.close());
      const ip = u.plan.pods.find((p) => p.name === 'iso')?.ip as string;
      expect(ip).toBe('127.131.0.41');
      const sockets = await socketsOnceListed(
        u,
        'iso',
        (all) => all.some((s) => s.port === 46130) && all.some((s) => s.port === 46131),
      );
      // Exactly the namespace's sockets: nothing of the host's.
      expect(sockets.map((s) => `${s.protocol} ${s.address}:${s.port}`).sort()).toEqual([
        'TCP 0.0.0.0:46130',
        'UDP 127.0.0.1:46131',
      ]);
      expect(await connects(ip, 46130)).toBe(true);
    },
  );
});
