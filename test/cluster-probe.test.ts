/**
 * `--cluster --probe` end to end against `portchain up`'s API, through the client code a real cluster sees
 * (@kubernetes/client-node's kubeconfig loading and its Exec over WebSocket, the API's exec subresource, the
 * pods' real sockets as /proc/net tables). The manifests hold what inference cannot know: an image portchain's
 * knowledge does not have, whose PORT says 46510 while its program binds 46511, and one that binds a loopback
 * address that is not its pod IP. Plain `--cluster` stays silent on both (the ports are unknown); `--probe`
 * reports the observed truth. Every request the API server receives is recorded and mapped to RBAC attributes
 * as the API server's RequestInfo does: docs/probe-rbac.yaml must cover each one and have no rule unused.
 * Addresses: pods 127.141/16, Services 127.142/16, LBs 127.143/16, node 127.140.0.1, ports 46500-46999.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type ApiServer, startApiServer } from '../src/apiserver/server.js';
import { check } from '../src/check.js';
import { main } from '../src/cli/main.js';
import type { Finding } from '../src/model/finding.js';
import { startUp, type Up } from '../src/runtime/up.js';
import { type ClusterReadResult, readCluster } from '../src/sources/cluster.js';
import { runCli } from './helpers/cli.js';

const ADDRESSES = {
  pods: '127.141.0.0',
  services: '127.142.0.0',
  loadBalancers: '127.143.0.0',
  node: '127.140.0.1',
};
const NS = 'probe-demo';
/** Not a pod IP: a loopback address the `admin` program binds, which no Service reaches. */
const PRIVATE_IP = '127.141.200.1';

const deployment = (name: string, image: string, port: number) => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${NS}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: ${name}
        image: ${image}
        env: [{name: PORT, value: "${port}"}]
        ports: [{name: http, containerPort: ${port}}]
---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${NS}}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: ${port + 100}, targetPort: ${port}}]
`;

const MANIFEST = `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
${deployment('api', 'registry.example.dev/acme/api:1.0', 46510)}${deployment('admin', 'registry.example.dev/acme/admin:1.0', 46520)}${deployment('web', 'registry.example.dev/acme/web:1.0', 46540)}`;

/** A program that ignores PORT: it binds `host:port` and answers every connection. */
const server = (host: string, port: number) => ({
  command: [
    process.execPath,
    '-e',
    `require('node:net').createServer((s) => s.end('ok')).listen(${port}, ${host})`,
  ],
});

/** The API server's requests: method, URL, and whether it was a WebSocket upgrade. */
interface Seen {
  readonly method: string;
  readonly url: string;
  readonly upgrade: boolean;
}
const seen: Seen[] = [];

let dir = '';
let up: Up;
let api: ApiServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portchain-probe-'));
  const sources = [{ name: 'probe-demo.yaml', text: MANIFEST }];
  up = await startUp(sources, {
    addressBase: ADDRESSES,
    lowPortOffset: 46500,
    imageCommands: {
      'registry.example.dev/acme/api': server('process.env.POD_IP', 46511),
      'registry.example.dev/acme/admin': server(`'${PRIVATE_IP}'`, 46520),
      'registry.example.dev/acme/web': { honoursPort: true },
    },
  });
  // Record what the API server receives, before its own handlers run (requests and upgrades).
  const create = https.createServer;
  const spy = vi.spyOn(https, 'createServer').mockImplementation(((...args: Parameters<typeof create>) => {
    const s = create(...args);
    s.prependListener('request', (req) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', upgrade: false });
    });
    s.prependListener('upgrade', (req) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', upgrade: true });
    });
    return s;
  }) as typeof create);
  try {
    api = await startApiServer({
      up,
      sources,
      host: ADDRESSES.node,
      port: 0,
      kubeconfigPath: join(dir, 'kubeconfig'),
    });
  } finally {
    spy.mockRestore();
  }
  // The programs start asynchronously: wait until every pod's socket is there.
  const end = Date.now() + 20_000;
  for (;;) {
    const r = await readCluster({ kubeconfig: api.kubeconfigPath, namespace: NS, probe: true });
    const ports = [...(r.observed?.values() ?? [])].flatMap((o) => o.sockets.map((s) => s.port));
    if ([46511, 46520, 46540].every((p) => ports.includes(p))) break;
    if (Date.now() > end) throw new Error(`the pods did not listen in time: ${ports.join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}, 90_000);

afterAll(async () => {
  await api?.close();
  await up?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const listening = (r: ClusterReadResult) =>
  check(r.sources, { observedListening: (ns, name) => r.observed?.get(`${ns}/${name}`) }, r).findings.filter(
    (f) => f.rule === 'target-port-not-listening',
  );
const about = (findings: readonly Finding[], service: string) =>
  findings.filter((f) => f.object?.kind === 'Service' && f.object.name === service);

describe('--cluster --probe against portchain up', { timeout: 90_000 }, () => {
  it('plain --cluster infers: the unknown images leave the ports unknown, so nothing is reported', async () => {
    const r = await readCluster({ kubeconfig: api.kubeconfigPath, namespace: NS });
    expect(r.observed).toBeUndefined();
    expect(listening(r)).toEqual([]);
  });

  it('--probe reads each pod once and reports where the processes really listen', async () => {
    const progress: string[] = [];
    const r = await readCluster({
      kubeconfig: api.kubeconfigPath,
      namespace: NS,
      probe: true,
      onProgress: (m) => progress.push(m),
    });
    expect(progress).toContain('listing pods in probe-demo');
    expect(progress.at(-1)).toBe('probing sockets through exec: 3/3 pods');
    expect(r.findings).toEqual([]);
    expect(r.observed?.size).toBe(3);
    const apiPod = [...(r.observed?.values() ?? [])].find((o) => o.pod.startsWith('api-'));
    expect(apiPod?.sockets).toContainEqual(
      expect.objectContaining({ protocol: 'TCP', port: 46511, file: '/proc/net/tcp' }),
    );
    expect(apiPod?.ready).toBe(true);

    const findings = listening(r);
    const [onApi] = about(findings, 'api');
    expect(onApi?.severity).toBe('error');
    expect(onApi?.message).toContain('nothing listens on 46510; pod api-');
    expect(onApi?.message).toContain(
      'is observed listening on 46511 (--probe: /proc/net of its network namespace)',
    );
    expect(onApi?.location?.file).toBe(`kubectl edit service/api -n ${NS} --context portchain`);
    expect(onApi?.fix).toContain('Set targetPort: 46511');

    const [onAdmin] = about(findings, 'admin');
    expect(onAdmin?.severity).toBe('error');
    expect(onAdmin?.message).toContain('nothing the Service can reach listens on 46520');
    expect(onAdmin?.message).toContain(`is observed listening on ${PRIVATE_IP}:46520 only`);
    expect(onAdmin?.message).toContain('traffic arrives on the pod IP');

    // containerPort 46510 is documentation only: the observation says so for the api pod.
    const all = check(
      r.sources,
      { observedListening: (ns, name) => r.observed?.get(`${ns}/${name}`) },
      r,
    ).findings;
    const declared = all.filter((f) => f.rule === 'container-port-not-listening');
    expect(declared).toHaveLength(1);
    expect(declared[0]?.message).toContain('nothing in pod api-');
    expect(declared[0]?.message).toContain('listens on 46510: it is observed listening on 46511');

    // The program that does listen on its PORT (at its pod IP) is reachable: no finding.
    expect(about(findings, 'web')).toEqual([]);
  });

  it('the CLI: check and graph --cluster --probe', async () => {
    const env = { KUBECONFIG: api.kubeconfigPath };
    const plain = await runCli(
      ['check', '--cluster', '-n', NS, '--rule', 'target-port-not-listening'],
      '',
      env,
    );
    expect(plain.code, plain.stderr).toBe(0);
    const probed = await runCli(
      ['check', '--cluster', '--probe', '-n', NS, '--rule', 'target-port-not-listening'],
      '',
      env,
    );
    expect(probed.code).toBe(1);
    expect(probed.stdout).toContain('is observed listening on 46511');
    expect(probed.stdout).toContain(`${PRIVATE_IP}:46520 only`);
    // graph draws what the pods listen on, from the observation.
    const graph = await runCli(['graph', '--cluster', '--probe', '-n', NS], '', env);
    expect(graph.code, graph.stderr).toBe(0);
    expect(graph.stdout).toMatch(
      /listens 46511\/TCP {2}observed with --probe: LISTEN on 127\.141\.0\.\d+:46511 in \/proc\/net\/tcp/,
    );
    expect(graph.stdout).toContain(`listens ${PRIVATE_IP}:46520/TCP`);
  });

  it('the CLI: progress on a terminal, and --probe without --cluster is a usage error', async () => {
    const env = { KUBECONFIG: api.kubeconfigPath };
    // On a terminal, the probing is shown as the listing is.
    let stderr = '';
    const code = await main(['endpoints', '--cluster', '--probe', '-n', NS], {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
      stdin: Readable.from(['']),
      isTTY: true,
      env,
    });
    expect(code).toBe(0);
    expect(stderr).toContain('portchain: probing sockets through exec: 3/3 pods');
    const bad = await runCli(['check', '--probe', '-n', NS], '', env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--probe needs --cluster');
  });
});

// ---------------------------------------------------------------------------------------------------------
// docs/probe-rbac.yaml is exactly enough

interface Attributes {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  /** Empty for cluster-scoped requests. */
  readonly namespace: string;
}

/**
 * What the API server's RequestInfo makes of a request (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go):
 * GET of a collection is `list` (`watch` with ?watch), of a name `get`, POST `create`; `/namespaces/NS` is the
 * Namespace NS, authorized in namespace NS. A WebSocket upgrade of pods/exec is a GET, so `get`, and from 1.35
 * also `create` (AuthorizePodWebsocketUpgradeCreatePermission).
 */
function attributesOf(s: Seen): Attributes[] {
  const url = new URL(s.url, 'https://x');
  let parts = url.pathname.split('/').filter((p) => p);
  let group = '';
  if (parts[0] === 'api') parts = parts.slice(2);
  else if (parts[0] === 'apis') {
    group = parts[1] ?? '';
    parts = parts.slice(3);
  } else
    return [
      { verb: s.method.toLowerCase(), group: '', resource: `nonResource:${url.pathname}`, namespace: '' },
    ];
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1] ?? '';
    if (parts.length > 2) parts = parts.slice(2);
  }
  const [resource = '', name, subresource] = parts;
  const full = subresource ? `${resource}/${subresource}` : resource;
  const watch = ['1', 'true'].includes(url.searchParams.get('watch') ?? '');
  const verb =
    s.method === 'GET'
      ? name === undefined
        ? watch
          ? 'watch'
          : 'list'
        : 'get'
      : s.method === 'POST'
        ? 'create'
        : s.method.toLowerCase();
  const out = [{ verb, group, resource: full, namespace }];
  if (s.upgrade && ['pods/exec', 'pods/attach', 'pods/portforward'].includes(full))
    out.push({ verb: 'create', group, resource: full, namespace });
  return out;
}

interface Rule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
}
interface RbacObject {
  readonly kind: string;
  readonly metadata: { name: string; labels?: Record<string, string> };
  readonly rules?: Rule[];
}

const rbac = parseAllDocuments(readFileSync('docs/probe-rbac.yaml', 'utf8'))
  .map((d) => d.toJS() as RbacObject | null)
  .filter((o): o is RbacObject => o !== null);
const scoped = (scope: string) => rbac.filter((o) => o.metadata.labels?.['portchain.dev/scope'] === scope);

/** Every (rule, verb, group, resource) triple a set of roles grants, and whether it applies to a request. */
function grants(objects: readonly RbacObject[], requestNamespace: string) {
  const out: { key: string; covers: (a: Attributes) => boolean }[] = [];
  for (const o of objects) {
    for (const r of o.rules ?? []) {
      for (const verb of r.verbs)
        for (const group of r.apiGroups)
          for (const resource of r.resources)
            out.push({
              key: `${o.kind}/${o.metadata.name}: ${verb} ${group}/${resource}`,
              // A Role grants in its (the bound) namespace only; a ClusterRole everywhere.
              covers: (a) =>
                a.verb === verb &&
                a.group === group &&
                a.resource === resource &&
                (o.kind === 'ClusterRole' || (a.namespace !== '' && a.namespace === requestNamespace)),
            });
    }
  }
  return out;
}

describe('docs/probe-rbac.yaml', { timeout: 90_000 }, () => {
  it('binds each role it defines, and labels every object with its scope', () => {
    for (const o of rbac)
      expect(['namespace', 'cluster']).toContain(o.metadata.labels?.['portchain.dev/scope']);
    const roles = rbac.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
    const bindings = rbac.filter((o) => o.kind.endsWith('Binding')) as unknown as {
      roleRef: { kind: string; name: string };
    }[];
    for (const r of roles)
      expect(bindings.some((b) => b.roleRef.kind === r.kind && b.roleRef.name === r.metadata.name)).toBe(
        true,
      );
  });

  for (const [scope, args] of [
    ['namespace', { namespace: NS }],
    ['cluster', { allNamespaces: true }],
  ] as const) {
    it(`scope ${scope}: covers every request of --cluster --probe ${scope === 'cluster' ? '-A' : `-n ${NS}`}, and uses every rule`, async () => {
      seen.length = 0;
      const r = await readCluster({ kubeconfig: api.kubeconfigPath, probe: true, ...args });
      expect(r.findings).toEqual([]);
      expect(r.observed?.size).toBeGreaterThanOrEqual(3);
      const requests = seen.flatMap(attributesOf);
      expect(requests.some((a) => a.resource === 'pods/exec' && a.verb === 'get')).toBe(true);
      const granted = grants(scoped(scope), NS);
      const uncovered = requests.filter((a) => !granted.some((g) => g.covers(a)));
      expect(uncovered).toEqual([]);
      const unused = granted.filter((g) => !requests.some((a) => g.covers(a))).map((g) => g.key);
      expect(unused).toEqual([]);
    });
  }
});
