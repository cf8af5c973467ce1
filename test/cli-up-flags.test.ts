/**
 * `portchain up`'s flags end to end, as a user runs them: the real CLI (node bin/portchain, needs dist/) with
 * `--api`, `--kubeconfig` and `--ui`, driven by the real kubectl (get, apply of a changed and of an invalid
 * Service), curl through the ClusterIP, the ui's /api/graph and its live `traffic` stream, then SIGTERM:
 * exit 0 and every port closed. Also the flags' usage errors (exit 2). The kubectl steps are skipped, saying
 * so, where kubectl is absent.
 * Addresses: pods 127.121/16, Services 127.122/16, LBs 127.123/16, node 127.120.0.1, ports 49000-49999.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKubectl, runKubectl, warnWithoutKubectl } from './helpers/kubectl.js';
import { BIN, get, probe, run, UpProcess } from './helpers/up-process.js';

warnWithoutKubectl('cli-up-flags');

const ADDRESS_BASE = '127.121.0.0,127.122.0.0,127.123.0.0,127.120.0.1';
const LOW = '49000';
const INGRESS_PORT = 49080 + 1; // 49080 is nginx's port 80 at the low-port offset
const API_PORT = 49443;

let dir = '';
let up: UpProcess;
let kubeconfig = '';
let uiUrl = '';

const kubectl = (...args: string[]) => runKubectl({ kubeconfig, cacheDir: join(dir, 'cache') }, args);
const kubectlStdin = (input: string, ...args: string[]) =>
  runKubectl({ kubeconfig, cacheDir: join(dir, 'cache'), input }, args);

/** The web Service of examples/multi-port with one more port, 8080 -> targetPort http. */
const CHANGED_SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: multi-port
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: http
  - name: metrics
    port: 9100
    targetPort: metrics
  - name: alt
    port: 8080
    targetPort: http
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portchain-cli-up-flags-'));
  cpSync('examples/multi-port/0-sound.yaml', join(dir, 'multi-port.yaml'));
  kubeconfig = join(dir, 'kc');
  up = new UpProcess([
    join(dir, 'multi-port.yaml'),
    '--low-port-offset',
    LOW,
    '--ingress-port',
    String(INGRESS_PORT),
    '--address-base',
    ADDRESS_BASE,
    '--api',
    `127.0.0.1:${API_PORT}`,
    '--kubeconfig',
    kubeconfig,
    '--ui',
  ]);
  await up.waitFor(/^portchain up: ready/m);
  const exported = up.out.match(/^export KUBECONFIG=(.+)$/m);
  expect(exported?.[1]?.replace(/^'|'$/g, '')).toBe(kubeconfig);
  uiUrl = up.out.match(/^portchain up: ui (http:\/\/\S+)$/m)?.[1] ?? '';
  expect(uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
}, 30_000);

afterAll(async () => {
  if (up && up.child.exitCode === null) {
    up.child.kill('SIGKILL');
    await up.exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('portchain up --api --kubeconfig --ui, end to end', () => {
  let clusterIP = '';

  it.skipIf(!hasKubectl)('kubectl get svc lists the example Service with its ClusterIP', async () => {
    const r = await kubectl('get', 'svc', '-n', 'multi-port');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const row = r.stdout.split('\n').find((l) => l.startsWith('web '));
    expect(row).toMatch(/^web\s+ClusterIP\s+127\.122\.\d+\.\d+\s+<none>\s+80\/TCP,9100\/TCP\s+/);
    clusterIP = row?.split(/\s+/)[2] ?? '';
    const page = await get(`http://${clusterIP}:49080/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Welcome to nginx!');
  });

  it.skipIf(!hasKubectl)(
    'kubectl apply of a new port reconciles; the port answers through the ClusterIP',
    async () => {
      expect(await probe(clusterIP, 8080)).toBe('refused');
      const from = up.out.length;
      const r = await kubectlStdin(CHANGED_SERVICE, 'apply', '-f', '-');
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('service/web configured');
      await up.waitFor(/^portchain up: reconciled/m, from);
      const page = await get(`http://${clusterIP}:8080/`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('Welcome to nginx!');
      const svc = await kubectl(
        'get',
        'svc',
        'web',
        '-n',
        'multi-port',
        '-o',
        'jsonpath={.spec.ports[*].port}',
      );
      expect(svc.stdout).toBe('80 9100 8080');
    },
  );

  it.skipIf(!hasKubectl)("kubectl apply of an invalid Service prints the API's refusal", async () => {
    const invalid = CHANGED_SERVICE.replace('port: 8080', 'port: 70000');
    const r = await kubectlStdin(invalid, 'apply', '-f', '-');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/The Service "web" is invalid: spec\.ports\[2\]\.port: Invalid value: 70000/);
    // The refused object changed nothing: the new port still answers.
    expect((await get(`http://${clusterIP}:8080/`)).status).toBe(200);
  });

  it('the ui serves the graph and streams growing traffic counters', async () => {
    const graph = await get(new URL('api/graph', uiUrl).href);
    expect(graph.status).toBe(200);
    expect(graph.body).toContain('multi-port');
    expect(graph.body).toContain('web');

    // The Service's address, from the table `up` printed (works without kubectl too).
    const ip = up.out.match(/^multi-port\/web\s+ClusterIP\s+(127\.122\.\d+\.\d+)/m)?.[1] ?? '';
    expect(ip).not.toBe('');
    const frames: string[] = [];
    const stream = await new Promise<http.IncomingMessage>((done, fail) => {
      const req = http.get(new URL('api/events', uiUrl), { agent: false }, done);
      req.on('error', fail);
    });
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    let buffer = '';
    stream.on('data', (c: Buffer) => {
      buffer += c.toString();
      const parts = buffer.split('\n\n');
      buffer = parts.pop() ?? '';
      frames.push(...parts);
    });
    try {
      const carried = async () => {
        for (let i = 0; i < 3; i++) expect((await get(`http://${ip}:49080/`)).status).toBe(200);
      };
      const busy = (f: string) => /^event: traffic$/m.test(f) && /"connectionsPerSecond":[1-9]/.test(f);
      const end = Date.now() + 10_000;
      while (!frames.some(busy) && Date.now() < end) {
        await carried();
        await new Promise((r) => setTimeout(r, 300));
      }
      const traffic = frames.find(busy);
      expect(traffic).toBeDefined();
      const data = JSON.parse(traffic?.match(/^data: (.*)$/m)?.[1] ?? '{}') as {
        ports?: Record<string, { connectionsPerSecond: number }>;
      };
      const rates = Object.values(data.ports ?? {}).map((p) => p.connectionsPerSecond);
      expect(Math.max(...rates)).toBeGreaterThan(0);
    } finally {
      stream.destroy();
    }
  }, 20_000);

  it('SIGTERM stops it: exit 0, "stopped", every port closed', async () => {
    const ip = up.out.match(/^multi-port\/web\s+ClusterIP\s+(127\.122\.\d+\.\d+)/m)?.[1] ?? '';
    const ui = new URL(uiUrl);
    const ports: [string, number][] = [
      [ip, 49080],
      [ip, 9100],
      ['127.0.0.1', INGRESS_PORT],
      ['127.0.0.1', API_PORT],
      [ui.hostname, Number(ui.port)],
      ...(hasKubectl ? ([[ip, 8080]] as [string, number][]) : []),
    ];
    for (const [h, p] of ports) expect(await probe(h, p), `${h}:${p} before`).toBe('open');
    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
    expect(up.out).toMatch(/^portchain up: stopped/m);
    for (const [h, p] of ports) expect(await probe(h, p), `${h}:${p} after`).toBe('refused');
  }, 20_000);
});

describe('portchain up: usage errors exit 2', () => {
  const example = 'examples/multi-port/0-sound.yaml';
  const base = ['--address-base', ADDRESS_BASE, '--low-port-offset', LOW, '--ingress-port', '49082'];

  it('a bad --api address', async () => {
    const r = await run(process.execPath, [BIN, 'up', example, ...base, '--api', '10.0.0.1:6443']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--api 10.0.0.1:6443: expected HOST:PORT with a 127.0.0.0/8 host');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown --proxy-mode', async () => {
    const r = await run(process.execPath, [BIN, 'up', example, ...base, '--proxy-mode', 'bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--proxy-mode <mode>' argument 'bogus' is invalid/);
    expect(r.stderr).toContain('userspace, iptables, nftables');
  });

  it('a bad --address-base', async () => {
    const r = await run(process.execPath, [BIN, 'up', example, '--address-base', '10.1.0.0,127.122.0.0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      '--address-base 10.1.0.0,127.122.0.0: expected PODS,SERVICES,LOADBALANCERS,NODE',
    );
  });

  it('--address-base is hidden from --help', async () => {
    const r = await run(process.execPath, [BIN, 'up', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--proxy-mode');
    expect(r.stdout).not.toContain('--address-base');
  });
});
