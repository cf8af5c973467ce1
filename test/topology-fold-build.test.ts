/**
 * buildSimplifiedTopology folds workloads' pods while building (issue 7: a cluster dump's 150,000 pods never
 * get a row and edges each). It must give exactly what simplifyTopology(buildTopology(...)) gives: same ids,
 * key order, counts, labels and findings, on dump-shaped Pods with the awkward cases (a pod twice, two
 * Services on one pod, one container port number over two protocols, pods of one workload that resolve a
 * named port differently, pods that resolve alike but in a container of another name, findings on pods).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { readSources } from '../src/sources/files.js';
import { buildTopology } from '../src/topology/build.js';
import type { Topology } from '../src/topology/model.js';
import { buildSimplifiedTopology, type SimplifyOptions, simplifyTopology } from '../src/topology/simplify.js';
import { corpusUnits } from './helpers/shared.js';

interface DumpPod {
  readonly name: string;
  readonly app: string;
  readonly ip: string;
  readonly ports: readonly [string, number, string][];
  /** An invalid label value: api-validation reports it on the Pod, drawn on its row. */
  readonly badLabel?: string;
  /** The container's name (default `main`): alike ports in another container link to another node. */
  readonly container?: string;
}

/** A Pod as `kubectl get pods -o yaml` prints it, owned by ReplicaSet `<app>-h` (so Deployment `<app>`). */
function dumpPod(p: DumpPod): string {
  const ports = p.ports.map(([n, c, pr]) => `    - {name: ${n}, containerPort: ${c}, protocol: ${pr}}`);
  const bad = p.badLabel ? `bad: '${p.badLabel}', ` : '';
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${p.name}
  namespace: shop
  labels: {${bad}app: ${p.app}, pod-template-hash: h}
  ownerReferences:
  - {apiVersion: apps/v1, kind: ReplicaSet, name: ${p.app}-h, controller: true, uid: u-${p.app}}
spec:
  containers:
  - name: ${p.container ?? 'main'}
    image: nginxinc/nginx-unprivileged:1.27
    ports:
${ports.join('\n')}
status:
  phase: Running
  podIP: ${p.ip}
  conditions: [{type: Ready, status: "True"}]
---
`;
}

const both: [string, number, string][] = [
  ['http', 8080, 'TCP'],
  ['dns', 8080, 'UDP'],
];

function dumpYaml(): string {
  const pods: DumpPod[] = [
    { name: 'web-h-1', app: 'web', ip: '10.0.0.1', ports: both },
    {
      name: 'web-h-2',
      app: 'web',
      ip: '10.0.0.2',
      ports: [
        ['http', 8081, 'TCP'],
        ['dns', 8080, 'UDP'],
      ],
    },
    { name: 'web-h-3', app: 'web', ip: '10.0.0.3', ports: both, badLabel: '-x-' },
    // The same pod again: one row id, its edges numbered `~2`.
    { name: 'web-h-1', app: 'web', ip: '10.0.0.9', ports: both },
    { name: 'web-h-4', app: 'web', ip: '10.0.0.4', ports: [['http', 8080, 'TCP']], badLabel: '-y-' },
    // Resolves every port as web-h-1 does, but in a container of another name: its links differ.
    { name: 'web-h-5', app: 'web', ip: '10.0.0.5', ports: both, container: 'side' },
    { name: 'web-h-6', app: 'web', ip: '10.0.0.6', ports: both },
    { name: 'api-h-1', app: 'api', ip: '10.0.1.1', ports: both },
    { name: 'api-h-1', app: 'api', ip: '10.0.1.5', ports: both },
    { name: 'api-h-2', app: 'api', ip: '10.0.1.2', ports: both, badLabel: '-z-' },
  ];
  return `${pods.map(dumpPod).join('')}apiVersion: v1
kind: Pod
metadata: {name: bare, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: nginxinc/nginx-unprivileged:1.27, ports: [{name: http, containerPort: 8080}]}]}
status: {phase: Running, podIP: 10.0.2.1}
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: shop}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: dns, port: 53, targetPort: 8080, protocol: UDP}
  - {name: raw, port: 81, targetPort: 8080}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: c, namespace: shop}
spec:
  selector: {app: api}
  ports: [{name: t, port: 80, targetPort: nope}, {name: u, port: 53, protocol: UDP, targetPort: dns}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: dep, namespace: other}
spec:
  replicas: 5
  selector: {matchLabels: {app: dep}}
  template:
    metadata: {labels: {app: dep}}
    spec: {containers: [{name: m, image: nginxinc/nginx-unprivileged:1.27, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: dep, namespace: other}
spec: {selector: {app: dep}, ports: [{name: h, port: 80, targetPort: http}, {name: x, port: 81, targetPort: 9999}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ing, namespace: shop}
spec:
  rules:
  - host: x.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: a, port: {name: http}}}}
      - {path: /b, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}
`;
}

const OPTIONS: SimplifyOptions[] = [
  { mode: 'auto' },
  { mode: 'workloads' },
  { mode: 'namespaces' },
  { mode: 'none' },
  // Only the workloads of more than 1 or 2 pods fold: folded and unfolded rows side by side.
  { mode: 'auto', podsPerWorkload: 1, maxPods: 1_000_000 },
  { mode: 'auto', podsPerWorkload: 2, maxPods: 1_000_000, maxNodes: 5 },
  { mode: 'auto', maxNodes: 3 },
];

function bothWays(r: ReturnType<typeof check>, o: SimplifyOptions): { fused: Topology; twoStep: Topology } {
  return {
    fused: buildSimplifiedTopology(r.graph, r.findings, o),
    twoStep: simplifyTopology(buildTopology(r.graph, r.findings), o),
  };
}

describe('buildSimplifiedTopology', () => {
  const dump = check([{ name: 'dump.yaml', text: dumpYaml() }]);

  it.each(OPTIONS.map((o) => [JSON.stringify(o), o] as const))(
    'equals simplifyTopology(buildTopology(...)) on dump-shaped Pods, %s',
    (_, o) => {
      const { fused, twoStep } = bothWays(dump, o);
      // Key order too: the JSON is what `portchain graph --format json` prints.
      expect(JSON.stringify(fused)).toBe(JSON.stringify(twoStep));
    },
  );

  it('draws each folded workload as one row and one edge per distinct link, counting the pods', () => {
    const t = buildSimplifiedTopology(dump.graph, dump.findings, { mode: 'workloads' });
    expect(t.nodes.flatMap((n) => n.ports).some((p) => p.kind === 'pod')).toBe(false);
    const web = t.nodes.find((n) => n.id === 'workload/shop/Deployment/web');
    expect(web?.label).toBe('Deployment web ×7');
    expect(web?.count).toBe(7);
    expect(web?.ports.map((p) => [p.id, p.label])).toEqual([['workload/shop/Deployment/web#pods', '7 pods']]);
    // Pods 1, 3, 1 (again), 4, 5 and 6 resolve `http` to 8080, pod 2 to 8081: two edges from a:80, not seven.
    const fromA80 = t.edges.filter((e) => e.sourcePort === 'service/shop/a#ports[0]' && e.target === web?.id);
    expect(fromA80.map((e) => [e.label, e.count])).toEqual([
      [':80 -> http(8080)/TCP', 6],
      [':80 -> http(8081)/TCP', undefined],
    ]);
    expect(fromA80[0]?.id).toBe('endpoint:service/shop/a#ports[0]->workload/shop/Deployment/web#pod/web-h-1');
    // Pod 5 resolves alike in container `side`: its row links there, the others to `main` (pod 6 after it).
    const linked = t.edges.filter(
      (e) => e.kind === 'container' && e.source === web?.id && e.label === '8080/TCP',
    );
    expect([...new Set(linked.map((e) => e.target))]).toEqual([
      'container/shop/Deployment/web/main',
      'container/shop/Deployment/web/side',
    ]);
    expect(linked.filter((e) => e.target.endsWith('/side')).map((e) => e.count)).toEqual([undefined]);
    // The invalid labels of pods 3 and 4 are drawn on the folded row, in pod order.
    const row = web?.ports[0];
    const rules = row?.findings.map((id) => t.findings.find((f) => f.id === id)?.object?.name);
    expect(rules).toEqual(['web-h-3', 'web-h-4']);
    for (const id of row?.findings ?? [])
      expect(t.findings.find((f) => f.id === id)?.targets).toContainEqual({ kind: 'port', id: row?.id });
  });

  it('merges the edges of a pod listed twice when its workload stays unfolded, as foldWorkloads does', () => {
    const o = { mode: 'auto', podsPerWorkload: 3, maxPods: 1_000_000 } as const;
    const { fused, twoStep } = bothWays(dump, o);
    expect(JSON.stringify(fused)).toBe(JSON.stringify(twoStep));
    // api has 3 pods (api-h-1 twice): not folded, and its duplicate row's edges merge as foldWorkloads does.
    const api = fused.edges.filter(
      (e) => e.target === 'workload/shop/Deployment/api' && e.kind === 'endpoint',
    );
    expect(api.map((e) => [e.id, e.count])).toContainEqual([
      'endpoint:service/shop/c#ports[0]->workload/shop/Deployment/api#pod/api-h-1',
      2,
    ]);
    expect(fused.nodes.find((n) => n.id === 'workload/shop/Deployment/web')?.label).toBe('Deployment web ×7');
  });

  it('equals the two-step result on the examples and the shared corpus', async () => {
    const units = [[join(process.cwd(), 'examples')], ...corpusUnits().map((u) => u.files)];
    for (const files of units) {
      const read = await readSources(files);
      const r = check(read.sources, {}, read);
      for (const o of OPTIONS) {
        const { fused, twoStep } = bothWays(r, o);
        expect(JSON.stringify(fused)).toBe(JSON.stringify(twoStep));
      }
    }
  });
});
