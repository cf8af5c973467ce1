/**
 * Live-cluster mode against `portchain up`'s API, through the same client code a real cluster sees
 * (@kubernetes/client-node's kubeconfig loading and auth): pagination with a small limit, the context's
 * namespace, -n and -A, `kubectl edit` source names, the CLI's --cluster, and endpoints drift detected from a
 * stale EndpointSlice seeded into the cluster. The API is backed by the plan alone (no simulated process
 * binds a socket), so this file never competes for loopback addresses with apiserver-kubectl.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type ApiServer, type ApiUp, startApiServer } from '../src/apiserver/server.js';
import { check } from '../src/check.js';
import type { SourceText } from '../src/model/load.js';
import { endpointsDrift } from '../src/rules/endpoints-drift.js';
import { registeredRules } from '../src/rules/registry.js';
import { type ClusterPlan, planCluster } from '../src/runtime/plan.js';
import { readCluster } from '../src/sources/cluster.js';
import { runCli } from './helpers/cli.js';
import { get, UpProcess } from './helpers/up-process.js';

const ADDRESSES = {
  pods: '127.101.0.0',
  services: '127.102.0.0',
  loadBalancers: '127.103.0.0',
  node: '127.100.0.1',
};
const STALE_IP = '127.101.9.9';
const STALE_SLICE = `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-stale
  namespace: named-port
  labels:
    kubernetes.io/service-name: web
    endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io
addressType: IPv4
endpoints:
- addresses: [${STALE_IP}]
  conditions: {ready: true}
ports:
- name: http
  port: 8080
  protocol: TCP
`;

let dir = '';
let up: ApiUp;
let api: ApiServer;

/** `up` without a data plane: check and plan on every reconcile, as startUp does, with nothing listening. */
function planOnly(initial: readonly SourceText[]): ApiUp {
  const options = { addressBase: ADDRESSES, lowPortOffset: 46000 };
  let result = check(initial);
  let plan: ClusterPlan = planCluster(result.graph, result.findings, options);
  return {
    get graph() {
      return result.graph;
    },
    get plan() {
      return plan;
    },
    get findings() {
      return result.findings;
    },
    pods: {},
    reconcile: async (next) => {
      result = check(next);
      plan = planCluster(result.graph, result.findings, { ...options, previous: plan });
      return { changes: [], pods: { started: [], restarted: [], stopped: [] } };
    },
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portchain-cluster-'));
  const sources = [
    'examples/node-port-and-load-balancer/0-sound.yaml',
    'examples/named-port/0-sound.yaml',
    'examples/two-ports-one-pod/0-sound.yaml',
  ].map((p) => ({ name: p, text: readFileSync(p, 'utf8') }));
  sources.push({ name: 'stale-slice.yaml', text: STALE_SLICE });
  up = planOnly(sources);
  api = await startApiServer({ up, sources, port: 0, kubeconfigPath: join(dir, 'kubeconfig') });
}, 60_000);

afterAll(async () => {
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const names = (r: { sources: { name: string }[] }) => r.sources.map((s) => s.name).sort();

describe('readCluster', () => {
  it('lists every kind in pages of `pageSize` and gets the same objects as one big page', async () => {
    const big = await readCluster({ kubeconfig: api.kubeconfigPath, allNamespaces: true });
    const small = await readCluster({ kubeconfig: api.kubeconfigPath, allNamespaces: true, pageSize: 2 });
    expect(big.findings).toEqual([]);
    expect(names(small)).toEqual(names(big));
    expect(small.requests).toBeGreaterThan(big.requests);
    expect(big.context).toBe('portchain');
    expect(big.namespace).toBeNull();
    const services = big.sources.filter((s) => s.name.startsWith('kubectl edit service/'));
    expect(services.map((s) => s.name).sort()).toEqual(
      up.plan.services
        .map((s) => `kubectl edit service/${s.name} -n ${s.namespace} --context portchain`)
        .sort(),
    );
    const pods = big.sources.filter((s) => s.name.startsWith('kubectl edit pod/'));
    expect(pods.length).toBe(up.plan.pods.length);
    // What kubectl edit shows: no managedFields, no last-applied annotation.
    for (const s of big.sources) expect(s.text).not.toContain('last-applied-configuration');
  });

  it("reads the context's namespace, or -n", async () => {
    const cfg = parse(readFileSync(api.kubeconfigPath, 'utf8')) as {
      contexts: { context: Record<string, string> }[];
    };
    const first = cfg.contexts[0];
    if (first) first.context.namespace = 'two-ports';
    const withNs = join(dir, 'kubeconfig-ns');
    writeFileSync(withNs, stringify(cfg));
    const r = await readCluster({ kubeconfig: withNs });
    expect(r.namespace).toBe('two-ports');
    expect(
      r.sources.every(
        (s) =>
          s.name.includes('-n two-ports') ||
          s.name.startsWith('kubectl edit namespace/two-ports ') ||
          s.name.startsWith('kubectl edit ingressclass/'),
      ),
    ).toBe(true);
    expect(r.sources.some((s) => s.name.startsWith('kubectl edit service/web -n two-ports'))).toBe(true);
    const n = await readCluster({ kubeconfig: withNs, namespace: 'named-port' });
    expect(n.sources.some((s) => s.name.startsWith('kubectl edit service/web -n named-port'))).toBe(true);
    expect(n.sources.some((s) => s.name.includes('-n two-ports'))).toBe(false);
  });

  it('an unknown context is an error that names it', async () => {
    await expect(readCluster({ kubeconfig: api.kubeconfigPath, context: 'nope' })).rejects.toThrow(
      'context "nope" does not exist',
    );
  });
});

describe('endpoints drift', () => {
  it("reports the cluster's stale EndpointSlice, and nothing for the Services that agree", async () => {
    const r = await readCluster({ kubeconfig: api.kubeconfigPath, allNamespaces: true, pageSize: 3 });
    // endpoints-drift is registered: the default rule set runs it.
    expect(registeredRules).toContain(endpointsDrift);
    const result = check(r.sources, {}, r);
    const drift = result.findings.filter((f) => f.rule === 'endpoints-drift');
    expect(drift).toHaveLength(1);
    expect(drift[0]?.object).toMatchObject({ kind: 'Service', namespace: 'named-port', name: 'web' });
    expect(drift[0]?.message).toContain(
      `the cluster lists ${STALE_IP}:8080/TCP (http) that the selector does not give`,
    );
    expect(drift[0]?.location?.file).toBe('kubectl edit service/web -n named-port --context portchain');
    expect(drift[0]?.field).toBe('spec.selector');
  });

  it('stays silent on manifests without controller-written slices', () => {
    const r = check([{ name: 'a.yaml', text: readFileSync('examples/named-port/0-sound.yaml', 'utf8') }], {
      rules: [endpointsDrift],
    });
    expect(r.findings).toEqual([]);
  });
});

describe('--cluster in the CLI', () => {
  it('portchain endpoints --cluster -n named-port prints the live pods behind web', async () => {
    const r = await runCli(['endpoints', '--cluster', '-n', 'named-port'], '', {
      KUBECONFIG: api.kubeconfigPath,
    });
    expect(r.code, r.stderr).toBe(0);
    const svc = up.plan.services.find((s) => s.namespace === 'named-port' && s.name === 'web');
    for (const e of svc?.ports[0]?.endpoints ?? []) expect(r.stdout).toContain(e.ip);
  });

  it('portchain ui --cluster draws the live objects and reloads when the cluster changes', async () => {
    const ui = new UpProcess(['--cluster', '-n', 'named-port', '--no-open', '--refresh', '0.2'], {
      command: 'ui',
      env: { KUBECONFIG: api.kubeconfigPath },
    });
    try {
      const url = (await ui.waitFor(/^portchain ui: serving (http:\/\/127\.0\.0\.1:\d+\/)/m))[1] ?? '';
      const graph = async () => (await get(new URL('api/graph', url).href)).body;
      const first = await graph();
      expect(first).toContain('"named-port"');
      // The cluster's objects, located by `kubectl edit`, with the drift finding the cluster's stale slice gives.
      expect(first).toContain('"id":"service/named-port/web"');
      expect(first).toContain('kubectl edit service/web -n named-port --context portchain');
      expect(first).toContain('"rule":"endpoints-drift"');
      expect(first).not.toContain('added-later');
      // A Service created in the cluster (through the API, as kubectl would) shows up at the next refresh.
      const kc = new KubeConfig();
      kc.loadFromFile(api.kubeconfigPath);
      await kc.makeApiClient(CoreV1Api).createNamespacedService({
        namespace: 'named-port',
        body: {
          metadata: { name: 'added-later' },
          spec: { selector: { app: 'web' }, ports: [{ port: 81, targetPort: 8080 }] },
        },
      });
      await expect.poll(graph, { timeout: 10_000, interval: 200 }).toContain('added-later');
      ui.child.kill('SIGTERM');
      expect(await ui.exited).toBe(0);
      expect(ui.err).toBe('');
    } finally {
      if (ui.child.exitCode === null) ui.child.kill('SIGKILL');
    }
  }, 30_000);

  it('portchain trace --cluster follows a request through the live objects to a pod the cluster runs', async () => {
    const r = await runCli(
      ['trace', 'svc/web.named-port:80', '--cluster', '-n', 'named-port', '-f', 'json'],
      '',
      {
        KUBECONFIG: api.kubeconfigPath,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const t = JSON.parse(r.stdout) as { verdict: string };
    expect(t.verdict).toBe('delivered');
    // The hops name the cluster's objects by the command that opens them.
    expect(r.stdout).toContain('kubectl edit service/web -n named-port --context portchain');
  });

  it('ui --refresh without --cluster is a usage error', async () => {
    const r = await runCli(['ui', 'examples/named-port', '--no-open', '--refresh', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--refresh: only with --cluster');
  });

  it('an unreachable cluster is a finding, not a stack trace (exit 2)', async () => {
    const cfg = readFileSync(api.kubeconfigPath, 'utf8').replace(api.url, 'https://127.0.0.1:1');
    const broken = join(dir, 'kubeconfig-broken');
    writeFileSync(broken, cfg);
    const r = await runCli(['check', '--cluster'], '', { KUBECONFIG: broken });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('--cluster: cannot reach https://127.0.0.1:1');
    expect(r.stderr).toBe('portchain: nothing could be read\n');
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  });
});
