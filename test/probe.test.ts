/**
 * `--probe` piece by piece: the /proc/net parser on the kernel's own tables (sockets this test opens on loopback,
 * read back from /proc/net), the observed sockets replacing inference in the listening rules (real YAML, a cluster
 * dump's Running pods), and the exec client against a small API server that answers like a real one: a distroless
 * container without `cat`, a Forbidden upgrade with the API's Status, an exec that never answers.
 * Addresses: pods 127.141/16, node 127.140.0.1, ports 46500-46999.
 */

import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { parse } from 'yaml';
import { servingCertificate } from '../src/apiserver/tls.js';
import { check } from '../src/check.js';
import { formatProcNet } from '../src/runtime/proc-net.js';
import type { ObservedPodSockets, ObservedSocket } from '../src/semantics/listening.js';
import { parseProcNetOutput, probePods, probeTargets } from '../src/sources/probe.js';

// ---------------------------------------------------------------------------------------------------------
// The parser, on the kernel's tables

/** What `cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6` prints in this network namespace. */
async function catProcNet(): Promise<string> {
  let out = '';
  for (const f of ['tcp', 'tcp6', 'udp', 'udp6']) {
    try {
      out += await readFile(`/proc/net/${f}`, 'utf8');
    } catch {
      // A kernel without IPv6: cat prints the others and fails on this one.
    }
  }
  return out;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function listenTcp(host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer((c) => c.end());
    s.once('error', reject);
    s.listen(port, host, () => {
      closers.push(() => new Promise((r) => s.close(() => r())));
      resolve(s);
    });
  });
}

function bindUdp(type: 'udp4' | 'udp6', host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(type);
    s.once('error', reject);
    s.bind(port, host, () => {
      closers.push(() => new Promise((r) => s.close(() => r())));
      resolve(s);
    });
  });
}

const has = (list: readonly ObservedSocket[], s: Omit<ObservedSocket, 'file'>) =>
  list.some((x) => x.protocol === s.protocol && x.address === s.address && x.port === s.port);

describe('parseProcNetOutput on the kernel tables', () => {
  it('finds TCP listeners (IPv4, ::1, IPv4-mapped) and bound UDP sockets, not connections', async () => {
    await listenTcp('127.141.0.5', 46501);
    await listenTcp('::1', 46502);
    await listenTcp('::ffff:127.141.0.7', 46504);
    await bindUdp('udp4', '127.141.0.6', 46503);
    // A connected TCP client and a connected UDP socket: not listeners.
    const client = net.connect(46501, '127.141.0.5');
    await new Promise((r) => client.once('connect', r));
    closers.push(async () => {
      client.destroy();
    });
    const udpClient = await bindUdp('udp4', '127.141.0.8', 46505);
    await new Promise<void>((r) => udpClient.connect(46503, '127.141.0.6', () => r()));

    const sockets = parseProcNetOutput(await catProcNet());
    expect(has(sockets, { protocol: 'TCP', address: '127.141.0.5', port: 46501 })).toBe(true);
    expect(has(sockets, { protocol: 'TCP', address: '::1', port: 46502 })).toBe(true);
    expect(has(sockets, { protocol: 'TCP', address: '::ffff:127.141.0.7', port: 46504 })).toBe(true);
    expect(has(sockets, { protocol: 'UDP', address: '127.141.0.6', port: 46503 })).toBe(true);
    expect(sockets.find((s) => s.port === 46502)?.file).toBe('/proc/net/tcp6');
    expect(sockets.find((s) => s.port === 46503)?.file).toBe('/proc/net/udp');
    // The client's ephemeral port and the connected UDP socket are not listening.
    const local = client.localPort;
    expect(sockets.some((s) => s.protocol === 'TCP' && s.port === local)).toBe(false);
    expect(sockets.some((s) => s.port === 46505)).toBe(false);
  });

  it('reads any subset of the tables in any order, told apart by their headers', async () => {
    await listenTcp('127.141.0.9', 46506);
    await bindUdp('udp6', '::1', 46507);
    const udp6 = await readFile('/proc/net/udp6', 'utf8');
    const tcp = await readFile('/proc/net/tcp', 'utf8');
    const sockets = parseProcNetOutput(`${udp6}${tcp}`);
    expect(sockets.find((s) => s.port === 46507)).toEqual({
      protocol: 'UDP',
      address: '::1',
      port: 46507,
      file: '/proc/net/udp6',
    });
    expect(has(sockets, { protocol: 'TCP', address: '127.141.0.9', port: 46506 })).toBe(true);
    expect(parseProcNetOutput('cat: /proc/net/tcp6: No such file or directory\n')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Observed sockets replace inference in the rules

/** A cluster dump: nginx (listens on 80, says the knowledge) with containerPort and targetPort 8080. */
const DUMP = `apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
  labels: {app: web}
spec:
  containers:
  - name: nginx
    image: nginx:1.27
    ports: [{name: http, containerPort: 8080}]
    readinessProbe:
      tcpSocket: {port: 8080}
status:
  phase: Running
  podIP: 10.1.0.7
  podIPs: [{ip: 10.1.0.7}]
  conditions: [{type: Ready, status: "True"}]
  containerStatuses: [{name: nginx, ready: true, state: {running: {}}}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
`;

const observation = (sockets: Omit<ObservedSocket, 'file'>[], ready = true): ObservedPodSockets => ({
  namespace: 'shop',
  pod: 'web-1',
  container: 'nginx',
  ready,
  podIPs: ['10.1.0.7'],
  sockets: sockets.map((s) => ({
    ...s,
    file: `/proc/net/${s.protocol === 'TCP' ? 'tcp' : 'udp'}${s.address.includes(':') ? '6' : ''}`,
  })),
});

function run(seen?: ObservedPodSockets) {
  return check(
    [{ name: 'dump.yaml', text: DUMP }],
    seen
      ? { observedListening: (ns, name) => (ns === seen.namespace && name === seen.pod ? seen : undefined) }
      : {},
  ).findings;
}
const byRule = (findings: ReturnType<typeof run>, rule: string) => findings.filter((f) => f.rule === rule);

describe('observed sockets in place of inference', () => {
  it('without an observation, the inference path is unchanged (a hook answering nothing changes nothing)', () => {
    const plain = run();
    const hooked = check([{ name: 'dump.yaml', text: DUMP }], {
      observedListening: () => undefined,
    }).findings;
    expect(hooked).toEqual(plain);
    const [f] = byRule(plain, 'target-port-not-listening');
    expect(f?.message).toContain('nothing listens on 8080; container nginx (nginx:1.27) listens on 80');
    expect(f?.message).not.toContain('observed');
  });

  it('a pod observed listening on 0.0.0.0:8080 serves the Service: the inference that said 80 is overruled', () => {
    const findings = run(observation([{ protocol: 'TCP', address: '0.0.0.0', port: 8080 }]));
    expect(byRule(findings, 'target-port-not-listening')).toEqual([]);
    expect(byRule(findings, 'container-port-not-listening')).toEqual([]);
    expect(byRule(findings, 'probe-port-not-listening')).toEqual([]);
  });

  it('`::` (dual-stack) and an IPv4-mapped pod IP count for IPv4', () => {
    expect(
      byRule(run(observation([{ protocol: 'TCP', address: '::', port: 8080 }])), 'target-port-not-listening'),
    ).toEqual([]);
    expect(
      byRule(
        run(observation([{ protocol: 'TCP', address: '::ffff:10.1.0.7', port: 8080 }])),
        'target-port-not-listening',
      ),
    ).toEqual([]);
  });

  it('a pod observed listening on 127.0.0.1:8080 only is a finding of its own: the Service cannot reach it', () => {
    const findings = run(observation([{ protocol: 'TCP', address: '127.0.0.1', port: 8080 }]));
    const [f] = byRule(findings, 'target-port-not-listening');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain('nothing the Service can reach listens on 8080');
    expect(f?.message).toContain('pod web-1 is observed listening on 127.0.0.1:8080 only');
    expect(f?.fix).toContain('instead of 127.0.0.1');
    const [p] = byRule(findings, 'probe-port-not-listening');
    expect(p?.message).toContain('observed listening on 127.0.0.1:8080 only');
    // Also through IPv4-mapped loopback on an IPv6 socket.
    const mapped = run(observation([{ protocol: 'TCP', address: '::ffff:127.0.0.1', port: 8080 }]));
    expect(byRule(mapped, 'target-port-not-listening')[0]?.message).toContain('127.0.0.1:8080 only');
  });

  it('a pod observed on 9090 and 53/UDP: every listening rule says "observed listening"', () => {
    const findings = run(
      observation([
        { protocol: 'TCP', address: '0.0.0.0', port: 9090 },
        { protocol: 'UDP', address: '0.0.0.0', port: 53 },
      ]),
    );
    const [t] = byRule(findings, 'target-port-not-listening');
    expect(t?.message).toContain(
      'nothing listens on 8080; pod web-1 is observed listening on 9090 and 53/UDP (--probe: /proc/net of its network namespace) — certain',
    );
    const [c] = byRule(findings, 'container-port-not-listening');
    expect(c?.message).toContain(
      'nothing in pod web-1 listens on 8080: it is observed listening on 9090 and 53/UDP',
    );
    const [p] = byRule(findings, 'probe-port-not-listening');
    expect(p?.message).toContain(
      'readinessProbe.tcpSocket.port 8080 -> nothing listens on 8080: pod web-1 is observed',
    );
  });

  it('a pod not Ready when probed: less than certain, and says why', () => {
    const findings = run(observation([{ protocol: 'TCP', address: '0.0.0.0', port: 9090 }], false));
    const [t] = byRule(findings, 'target-port-not-listening');
    expect(t?.severity).toBe('warning');
    expect(t?.message).toContain('— likely: pod web-1 was not Ready when probed');
    // A readiness probe on the wrong port is what keeps a pod unready: still reported.
    expect(byRule(findings, 'probe-port-not-listening')).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The exec client against an API server that answers like a real one

const HOST = '127.141.250.1';
const TOKEN = 'probe-test-token';
let apiServer: https.Server;
let wss: WebSocketServer;
let kc: KubeConfig;
/** Exec requests received: `namespace/pod/container`. */
const execs: string[] = [];

const TABLES = `${formatProcNet('tcp', [
  { protocol: 'TCP', address: '0.0.0.0', port: 8080 },
  { protocol: 'TCP', address: '127.0.0.1', port: 15000 },
])}${formatProcNet('tcp6', [{ protocol: 'TCP', address: '::', port: 9090 }])}${formatProcNet('udp', [])}`;

const status = (code: number, reason: string, message: string) =>
  JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });

beforeAll(async () => {
  const certs = await servingCertificate([HOST]);
  apiServer = https.createServer({ cert: certs.cert, key: certs.key }, (_req, res) => {
    res.writeHead(404).end();
  });
  wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => [...p][0] ?? false });
  apiServer.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'https://x');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    const container = url.searchParams.get('container') ?? '';
    if (!m || req.headers.authorization !== `Bearer ${TOKEN}`) return socket.destroy();
    const [ns, pod] = [m[1] ?? '', m[2] ?? ''];
    execs.push(`${ns}/${pod}/${container}`);
    if (ns === 'locked') {
      const body = status(
        403,
        'Forbidden',
        `pods "${pod}" is forbidden: User "viewer" cannot get resource "pods/exec" in API group "" in the namespace "locked"`,
      );
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (pod === 'stuck') return; // never answers
      const send = (stream: number, text: string) =>
        ws.send(Buffer.concat([Buffer.from([stream]), Buffer.from(text)]), { binary: true });
      if (container === 'distroless') {
        // containerd's words when the binary is missing, as the API server relays them on the error stream.
        send(
          3,
          JSON.stringify({
            metadata: {},
            status: 'Failure',
            reason: 'InternalError',
            message:
              'Internal error occurred: error executing command in container: failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: "cat": executable file not found in $PATH: unknown',
          }),
        );
      } else {
        send(1, TABLES);
        // v5: a server that also says stdout is closed before the Status.
        if (pod === 'closing') ws.send(Buffer.from([255, 1]), { binary: true });
        send(3, JSON.stringify({ metadata: {}, status: 'Success' }));
      }
      ws.close();
    });
  });
  await new Promise<void>((r) => apiServer.listen(0, HOST, () => r()));
  const port = (apiServer.address() as AddressInfo).port;
  kc = new KubeConfig();
  kc.loadFromString(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'c',
          cluster: {
            server: `https://${HOST}:${port}`,
            'certificate-authority-data': Buffer.from(certs.caCert).toString('base64'),
          },
        },
      ],
      users: [{ name: 'u', user: { token: TOKEN } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    }),
  );
});

afterAll(async () => {
  wss?.close();
  apiServer?.closeAllConnections();
  await new Promise<void>((r) => (apiServer ? apiServer.close(() => r()) : r()));
});

const pod = (namespace: string, name: string, containers: string[], phase = 'Running') =>
  parse(`apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  containers: [${containers.map((c) => `{name: ${c}, image: "example/${c}:1"}`).join(', ')}]
status:
  phase: ${phase}
  podIP: 10.1.0.9
  podIPs: [{ip: 10.1.0.9}]
  conditions: [{type: Ready, status: "True"}]
  containerStatuses: [${containers.map((c) => `{name: ${c}, ready: true, state: {running: {}}}`).join(', ')}]
`) as Record<string, unknown>;

describe('probePods through exec', () => {
  it('probes Running pods only, in their running containers', () => {
    const crashed = pod('a', 'p2', ['x', 'y']);
    const status = crashed.status as { containerStatuses: { state: unknown }[] };
    (status.containerStatuses[0] as { state: unknown }).state = { waiting: { reason: 'CrashLoopBackOff' } };
    const bare = pod('a', 'p3', ['x']);
    delete (bare.status as { containerStatuses?: unknown }).containerStatuses;
    const targets = probeTargets([
      pod('a', 'p1', ['x', 'y']),
      pod('a', 'done', ['x'], 'Succeeded'),
      crashed,
      bare,
    ]);
    expect(targets.map((t) => [t.name, t.containers])).toEqual([
      ['p1', ['x', 'y']],
      ['p2', ['y']],
      ['p3', ['x']],
    ]);
    expect(targets[0]).toEqual({
      namespace: 'a',
      name: 'p1',
      containers: ['x', 'y'],
      ready: true,
      podIPs: ['10.1.0.9'],
    });
  });

  it('tries the next container when one cannot run cat (distroless), and parses what the other prints', async () => {
    execs.length = 0;
    const r = await probePods(kc, [pod('shop', 'web-1', ['distroless', 'shell'])]);
    expect(execs).toEqual(['shop/web-1/distroless', 'shop/web-1/shell']);
    expect(r.findings).toEqual([]);
    const seen = r.observed.get('shop/web-1');
    expect(seen?.container).toBe('shell');
    expect(seen?.sockets.map((s) => `${s.protocol} ${s.address}:${s.port}`)).toEqual([
      'TCP 0.0.0.0:8080',
      'TCP 127.0.0.1:15000',
      'TCP :::9090',
    ]);
  });

  it("a v5 close frame ends the probe's own stream, not this process's stdout", async () => {
    const r = await probePods(kc, [pod('shop', 'closing', ['app'])]);
    expect(r.findings).toEqual([]);
    expect(r.observed.get('shop/closing')?.sockets).toHaveLength(3);
    expect(process.stdout.writableEnded).toBe(false);
  });

  it('a pod with no container that can run cat is an info finding naming the pod and the runtime error', async () => {
    const r = await probePods(kc, [pod('shop', 'bare', ['distroless'])], {
      sourceName: (ns, name) => `kubectl edit pod/${name} -n ${ns} --context ctx`,
    });
    expect(r.observed.size).toBe(0);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      rule: 'input-unreadable',
      severity: 'info',
      object: { kind: 'Pod', namespace: 'shop', name: 'bare' },
      location: { file: 'kubectl edit pod/bare -n shop --context ctx', line: 1, column: 1 },
    });
    expect(r.findings[0]?.message).toContain('--probe: cannot read the sockets of pod bare in shop');
    expect(r.findings[0]?.message).toContain('container distroless: cannot run cat');
    expect(r.findings[0]?.message).toContain('its ports stay inferred');
  });

  it("a Forbidden exec is a warning with the API's reason and the RBAC rule to add; the namespace is asked once", async () => {
    execs.length = 0;
    const r = await probePods(kc, [pod('locked', 'a-1', ['app']), pod('locked', 'a-2', ['app'])], {
      concurrency: 1,
    });
    expect(execs).toEqual(['locked/a-1/app']);
    expect(r.findings).toHaveLength(2);
    const [first, second] = r.findings;
    expect(first?.severity).toBe('warning');
    expect(first?.message).toContain(
      'the API refused exec (403 Forbidden): pods "a-1" is forbidden: User "viewer" cannot get resource "pods/exec"',
    );
    expect(first?.fix).toContain(
      'Grant the RBAC rule {apiGroups: [""], resources: [pods/exec], verbs: [get, create]} in namespace locked',
    );
    expect(first?.fix).toContain(
      'kubectl apply -f docs/probe-rbac.yaml -l portchain.dev/scope=namespace -n locked',
    );
    expect(second?.message).toContain('pod a-2 in locked');
    expect(second?.message).toContain('as for pod a-1: not asked again in locked');
  });

  it('an exec that never answers ends at the per-pod timeout, as a warning', async () => {
    const started = Date.now();
    const r = await probePods(kc, [pod('shop', 'stuck', ['app'])], { timeoutMs: 500 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.findings[0]?.severity).toBe('warning');
    expect(r.findings[0]?.message).toContain('container app: no answer in time');
  });
});
