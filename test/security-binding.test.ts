/**
 * Nothing listens beyond loopback unless told to: every listener `up` opens (pods, kube-proxy, ingress, DNS) is
 * in 127.0.0.0/8, address bases or hosts outside it are refused, and the UI server binds 127.0.0.1 by default and
 * never serves a file outside its static folder (path traversal, encoded or not). Uses this suite's address
 * block (127.90-93.x.x, ports 45000-45999).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { check } from '../src/check.js';
import { startDnsServer } from '../src/runtime/dns.js';
import { startIngressController } from '../src/runtime/ingress-controller.js';
import { planCluster } from '../src/runtime/plan.js';
import { startUp } from '../src/runtime/up.js';
import { ingressRoutes } from '../src/semantics/ingress.js';
import { startUiServer } from '../src/ui/server.js';

// Real sockets and processes on a shared machine: generous bounds (each wait inside is bounded too).
vi.setConfig({ testTimeout: 90_000, hookTimeout: 30_000 });

const ADDRESS_BASE = {
  pods: '127.91.0.0',
  services: '127.92.0.0',
  loadBalancers: '127.93.0.0',
  node: '127.90.0.1',
};
const APP = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: bind}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27, ports: [{name: http, containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: bind}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http, nodePort: 31555}]
`;

const dir = mkdtempSync(join(tmpdir(), 'portchain-security-binding-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Gaps found here, not fixed yet (outside this suite's files): `it.fails` while listed. */
const KNOWN_GAPS: ReadonlySet<string> = new Set<string>([]);

const loopback = (ip: string) => net.isIPv4(ip) && ip.startsWith('127.');

describe('up binds loopback only', () => {
  it('every listener of pods, kube-proxy, the ingress controller and DNS is in 127.0.0.0/8', async () => {
    const u = await startUp([{ name: 'bind.yaml', text: APP }], {
      addressBase: ADDRESS_BASE,
      lowPortOffset: 45000,
      ingress: { host: '127.90.0.1', port: 45601 },
      dns: { host: '127.90.0.1', port: 45602 },
    });
    try {
      const proxied = u.kubeProxy.listening().map((l) => /^\w+ ([\d.]+):\d+$/.exec(l)?.[1] ?? l);
      expect(proxied.length).toBe(3); // clusterIP, nodePort, load balancer
      for (const ip of proxied) expect(loopback(ip), ip).toBe(true);
      const pods = u.pods.listening.map((l) => /→ ([\d.]+):\d+/.exec(l)?.[1] ?? l);
      expect(pods.length).toBeGreaterThan(0);
      for (const ip of pods) expect(loopback(ip), ip).toBe(true);
      expect(loopback(u.ingress?.host ?? '')).toBe(true);
      expect(loopback(u.dns?.host ?? '')).toBe(true);
    } finally {
      await u.close();
    }
  });

  it('refuses pod, service and load-balancer address bases and hosts outside loopback', async () => {
    const { graph, findings } = check([{ name: 'bind.yaml', text: APP }]);
    for (const addressBase of [
      { pods: '0.0.0.0' },
      { services: '10.96.0.0' },
      { loadBalancers: '192.168.1.0' },
    ])
      expect(() => planCluster(graph, findings, { addressBase })).toThrow(/127\.0\.0\.0\/8/);
    const backends = {
      routes: () => ingressRoutes([]),
      endpoints: () => ({ status: 'unresolved', detail: '' }) as const,
    };
    await expect(startIngressController(backends, { host: '0.0.0.0', port: 45603 })).rejects.toThrow(/127/);
    await expect(startDnsServer(() => ({}) as never, { host: '0.0.0.0', port: 45604 })).rejects.toThrow();
  });

  // TODO(plan.ts): planCluster checks the pod, service and load-balancer bases but not `addressBase.node`, so
  // `{node: '0.0.0.0'}` makes kube-proxy bind every nodePort (and hostNetwork pods their ports) on all
  // interfaces. Checked on the plan only (nothing is bound); remove the id once plan.ts checks it too.
  const NODE_BASE_GAP = 'node-address-base-not-checked';
  (KNOWN_GAPS.has(NODE_BASE_GAP) ? it.fails : it)(
    `${NODE_BASE_GAP}: a node address outside loopback is refused`,
    () => {
      const { graph, findings } = check([{ name: 'bind.yaml', text: APP }]);
      expect(() => planCluster(graph, findings, { addressBase: { node: '0.0.0.0' } })).toThrow(
        /127\.0\.0\.0\/8/,
      );
    },
  );
});

/** A raw HTTP/1.1 GET with the path exactly as written (no client-side normalisation). */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () =>
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`),
    );
    let out = '';
    s.on('data', (d) => {
      out += d.toString('latin1');
    });
    s.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(out)?.[1] ?? 0), body: out }));
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
  });
}

describe('the ui server', () => {
  it('binds 127.0.0.1 by default and serves nothing outside its static folder', async () => {
    const staticDir = join(dir, 'web');
    mkdirSync(staticDir);
    writeFileSync(join(staticDir, 'index.html'), '<!DOCTYPE html><title>ui</title>');
    const SECRET = 'portchain-secret-6f1d';
    writeFileSync(join(dir, 'secret.txt'), SECRET);
    const ui = await startUiServer({
      load: async () => {
        const r = check([{ name: 'bind.yaml', text: APP }]);
        return { graph: r.graph, findings: r.findings };
      },
      staticDir,
    });
    try {
      const url = new URL(ui.url);
      expect(url.hostname).toBe('127.0.0.1');
      const port = Number(url.port);
      expect((await rawGet(port, '/')).status).toBe(200);
      for (const path of [
        '/../secret.txt',
        '/..%2fsecret.txt',
        '/%2e%2e/secret.txt',
        '/%2e%2e%2fsecret.txt',
        '/..%5csecret.txt',
        '/web/../../secret.txt',
        '//..//secret.txt',
        `/${'..%2f'.repeat(8)}etc/passwd`,
        '/%00../secret.txt',
        `/${dir}/secret.txt`,
      ]) {
        const r = await rawGet(port, path);
        expect(r.body, path).not.toContain(SECRET);
        expect(r.body, path).not.toContain('root:x:0:0');
      }
    } finally {
      await ui.close();
    }
  });
});
