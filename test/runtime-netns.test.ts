/**
 * `--isolation netns`: each pod running a local command gets its own network namespace, reachable from the
 * host at its planned pod IP, so unmodified programs that bind 0.0.0.0 work for every replica. Needs root and
 * iproute2 (`ip netns`); otherwise skipped, saying why. Namespaces and interfaces are named `pc-h1-*` and
 * removed by the tests.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type NetnsIsolation,
  NetnsUnavailable,
  netnsProblem,
  startNetnsIsolation,
} from '../src/runtime/netns.js';
import { startUp, type Up } from '../src/runtime/up.js';

const PREFIX = 'pc-h1-';
const addressBase = {
  pods: '127.51.0.0',
  services: '127.52.0.0',
  loadBalancers: '127.53.0.0',
  node: '127.50.0.1',
};
const problem = await netnsProblem();
if (problem) console.warn(`runtime-netns: network namespace tests skipped: ${problem}`);

let isolation: NetnsIsolation | null = null;
let ups: Up[] = [];
const servers: http.Server[] = [];
afterEach(async () => {
  await isolation?.close();
  isolation = null;
  await Promise.all(ups.map((u) => u.close()));
  ups = [];
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const ours = () => {
  const names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  return [...names.split('\n'), ...links.split('\n')].filter((l) => l.includes(PREFIX));
};

async function until(what: string, ok: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('netns isolation without its tools', () => {
  it('says clearly what is missing', async () => {
    await expect(startNetnsIsolation({ prefix: PREFIX, ip: '/nonexistent/ip' })).rejects.toThrow(
      problem && !problem.includes('iproute2') ? /needs root/ : /needs iproute2's `ip netns`/,
    );
    await expect(startNetnsIsolation({ prefix: PREFIX, ip: '/nonexistent/ip' })).rejects.toBeInstanceOf(
      NetnsUnavailable,
    );
  });
});

describe.skipIf(problem !== null)('network namespaces (root)', () => {
  it('a pod namespace is reachable at the pod IP, and reaches the host', async () => {
    isolation = await startNetnsIsolation({ prefix: PREFIX });
    const ns = await isolation.add('127.51.7.1');
    expect(ns.name).toBe(`${PREFIX}0701`);
    const host = http.createServer((req, res) => res.end(`host saw ${req.socket.remoteAddress}`));
    servers.push(host);
    await new Promise<void>((r) => host.listen(41990, '127.50.0.1', r));
    // Binds 0.0.0.0 inside the namespace; /out calls the host from inside.
    const script = `require('http').createServer((q, s) => {
      if (q.url !== '/out') return s.end('pod saw ' + q.socket.remoteAddress);
      require('http').get('http://127.50.0.1:41990/', (r) => { let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => s.end(b)); });
    }).listen(41991, '0.0.0.0', () => console.log('up'));`;
    const [cmd, ...args] = ns.wrap([process.execPath, '-e', script]);
    const child = spawn(cmd as string, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((r) => child.stdout?.once('data', r));
      expect(await get('http://127.51.7.1:41991/')).toBe(`pod saw ${ns.hostIP}`);
      expect(await get('http://127.51.7.1:41991/out')).toBe('host saw 127.51.7.1');
    } finally {
      child.kill('SIGKILL');
    }
    await isolation.close();
    isolation = null;
    expect(ours()).toEqual([]);
  });

  it('portchain up --isolation netns: replicas of a program binding 0.0.0.0 all serve the Service', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portchain-netns-'));
    writeFileSync(
      join(dir, 'fixed.js'),
      `require('http').createServer((q, s) => s.end(process.env.HOSTNAME + ' ' + process.env.POD_IP)).listen(41201, '0.0.0.0');`,
    );
    // 30 placeholder pods come first, so the namespaced pods' IPs (127.51.0.31+) are not those other test
    // files bind on the host's loopback in parallel.
    const text = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: spacer, namespace: iso }
spec:
  replicas: 30
  selector: { matchLabels: { app: spacer } }
  template:
    metadata: { labels: { app: spacer } }
    spec: { containers: [{ name: c, image: example.com/placeholder:1 }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: fixed, namespace: iso }
spec:
  replicas: 2
  selector: { matchLabels: { app: fixed } }
  template:
    metadata: { labels: { app: fixed } }
    spec:
      containers:
        - name: app
          image: example.com/fixed-port:1
          ports: [{ containerPort: 41201 }]
          readinessProbe: { tcpSocket: { port: 41201 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: fixed, namespace: iso }
spec:
  selector: { app: fixed }
  ports: [{ port: 41280, targetPort: 41201 }]
`;
    const u = await startUp([{ name: 'netns.yaml', text }], {
      addressBase,
      isolation: 'netns',
      netnsPrefix: PREFIX,
      imageCommands: { 'example.com/fixed-port': { command: [process.execPath, join(dir, 'fixed.js')] } },
      probeTimeScale: 0.05,
    });
    ups.push(u);
    const pods = u.plan.pods.filter((p) => p.name.startsWith('fixed-'));
    expect(pods.map((p) => p.ip)).toEqual(['127.51.0.31', '127.51.0.32']);
    const names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n');
    expect(names.filter((l) => l.startsWith(PREFIX)).map((l) => l.split(' ')[0])).toEqual([
      `${PREFIX}001f`,
      `${PREFIX}0020`,
    ]);
    await until('both replicas ready', () => readyOf(u) === 2);
    const clusterIP = u.plan.services.find((s) => s.name === 'fixed')?.clusterIP as string;
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(await get(`http://${clusterIP}:41280/`));
    expect(seen).toEqual(new Set(pods.map((p) => `${p.name} ${p.ip}`)));
    await u.close();
    ups = [];
    expect(ours()).toEqual([]);
  });
});

const readyOf = (u: Up) =>
  u.plan.services.find((s) => s.name === 'fixed')?.ports[0]?.endpoints.filter((e) => e.ready).length ?? 0;
