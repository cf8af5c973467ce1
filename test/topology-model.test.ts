import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import type { Finding } from '../src/model/finding.js';
import { fieldHasPrefix } from '../src/topology/attach.js';
import { buildTopology } from '../src/topology/build.js';
import { indexTopology, type Topology, type TopologyEdge } from '../src/topology/model.js';

/** The topology of YAML text, with no rule run (findings are passed in by the test). */
function topo(yaml: string, findings: (t: Topology) => Finding[] = () => []): Topology {
  const r = check([{ name: 'case.yaml', text: yaml }], { rules: [] });
  const first = buildTopology(r.graph, []);
  return buildTopology(r.graph, findings(first));
}

const finding = (o: Partial<Finding> & Pick<Finding, 'object' | 'field'>): Finding => ({
  rule: 'test-rule',
  severity: 'error',
  message: 'broken',
  location: { file: 'case.yaml', line: 1, column: 1 },
  ...o,
});

const svc = (name: string, ns = 'shop') => ({ apiVersion: 'v1', kind: 'Service', namespace: ns, name });
const deploy = (name: string, ns = 'shop') => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace: ns,
  name,
});

const APP = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginxinc/nginx-unprivileged:1.27
        ports:
        - {name: http, containerPort: 8080}
      - name: exporter
        image: prom/node-exporter:v1.8.2
        ports:
        - {name: metrics, containerPort: 9100}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http, nodePort: 31000}
  - {name: metrics, port: 9100, targetPort: 9100}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
      - {path: /old, pathType: Exact, backend: {service: {name: web, port: {number: 8080}}}}
`;

const labels = (t: Topology, kind: TopologyEdge['kind']) =>
  t.edges.filter((e) => e.kind === kind).map((e) => e.label);

describe('buildTopology: nodes, lanes, rows', () => {
  it('draws the sound example as Ingress -> Service -> Deployment -> container, ports on every link', () => {
    const dir = 'examples/port-from-configmap/0-sound.yaml';
    const r = check([{ name: dir, text: readFileSync(dir, 'utf8') }], { rules: [] });
    const t = buildTopology(r.graph, r.findings);
    expect(t.version).toBe(1);
    expect(t.lanes.map((l) => l.id)).toEqual(['ingress', 'service', 'pods', 'containers']);
    expect(t.groups.map((g) => g.label)).toEqual(['namespace port-from-configmap']);
    expect(t.nodes.map((n) => [n.lane, n.label])).toEqual([
      ['ingress', 'Ingress books'],
      ['service', 'Service books'],
      ['pods', 'Deployment books'],
      ['containers', 'container audiobookshelf'],
    ]);
    const [ing, service, workload, container] = t.nodes;
    expect(ing?.ports.map((p) => p.label)).toEqual(['books.example.com/ (Prefix)']);
    expect(service?.ports.map((p) => p.label)).toEqual(['http 8080/TCP -> 3005']);
    expect(service?.detail).toEqual(['ClusterIP', 'selector app=books']);
    expect(workload?.count).toBe(1);
    expect(container?.ports.map((p) => p.label)).toEqual(['declares http 3005/TCP', 'listens 3005/TCP']);
    expect(container?.workload).toBe(workload?.id);
    expect(t.edges.map((e) => [e.kind, e.label])).toEqual([
      ['route', ':8080/TCP'],
      ['endpoint', ':8080 -> 3005/TCP'],
      ['container', '3005/TCP'],
    ]);
    // Every edge joins rows, so a drawing can attach it to the exact port.
    for (const e of t.edges) expect(e.sourcePort && e.targetPort).toBeTruthy();
    expect(t.findings).toEqual([]);
    expect(ing?.location).toEqual({ file: dir, line: 78, column: 1 });
  });

  it('labels named ports with their number and protocol, and each Service port on its own row', () => {
    const t = topo(APP);
    expect(labels(t, 'endpoint')).toEqual([
      ':80 -> http(8080)/TCP',
      ':9100 -> 9100/TCP',
      ':80 -> http(8080)/TCP',
      ':9100 -> 9100/TCP',
    ]);
    const web = t.nodes.find((n) => n.label === 'Service web');
    expect(web?.detail).toEqual(['NodePort', 'selector app=web']);
    expect(web?.ports.map((p) => p.label)).toEqual([
      'http 80/TCP -> http · nodePort 31000',
      'metrics 9100/TCP -> 9100 · nodePort auto',
    ]);
    // Each pod is a row of its workload; containers are shared by the pods of one template.
    const workload = t.nodes.find((n) => n.kind === 'workload');
    expect(workload?.ports.map((p) => p.kind)).toEqual(['pod', 'pod']);
    expect(t.nodes.filter((n) => n.kind === 'container').map((n) => n.label)).toEqual([
      'container nginx',
      'container exporter',
    ]);
    // The pod -> container link goes to the container that declares the resolved port.
    const c = t.edges.filter((e) => e.kind === 'container');
    expect(c.map((e) => [e.label, e.targetPort?.split('/').pop()])).toEqual([
      ['8080/TCP', 'nginx#ports[0]'],
      ['9100/TCP', 'exporter#ports[0]'],
      ['8080/TCP', 'nginx#ports[0]'],
      ['9100/TCP', 'exporter#ports[0]'],
    ]);
  });

  it('draws what an Ingress backend names: a missing Service, or a Service port that does not exist', () => {
    const t = topo(APP);
    expect(
      t.edges.filter((e) => e.kind === 'route').map((e) => [e.label, e.target, e.targetPort ?? null]),
    ).toEqual([
      ['http(80)/TCP', 'service/shop/web', 'service/shop/web#ports[0]'],
      [':80', 'missing/service/shop/api', null],
      [':8080 (no such Service port)', 'service/shop/web', null],
    ]);
    const missing = t.nodes.find((n) => n.id === 'missing/service/shop/api');
    expect(missing).toMatchObject({ kind: 'missing', lane: 'service', label: 'Service api' });
  });

  it('draws a selector that picks nothing, an ExternalName, and hand-written endpoints', () => {
    const t = topo(`
apiVersion: v1
kind: Service
metadata: {name: lost, namespace: a}
spec: {selector: {app: fronend}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: a}
spec: {type: ExternalName, externalName: db.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: manual, namespace: a}
spec: {ports: [{port: 5432}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: manual, namespace: a}
subsets: [{addresses: [{ip: 10.0.0.5}], ports: [{port: 5432}]}]
`);
    expect(t.edges.map((e) => [e.kind, e.label, indexTopology(t).node.get(e.target)?.label])).toEqual([
      ['selector', 'selector app=fronend', 'no Pod'],
      ['external', 'CNAME', 'externalName db.example.com'],
      ['external', 'hand-written endpoints', 'endpoints'],
    ]);
  });

  it('groups the Pods of a cluster dump by their controller (a ReplicaSet counts as its Deployment)', () => {
    const pod = (name: string, ip: string) => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: live
  labels: {app: web, pod-template-hash: 5d59d67564}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d59d67564, controller: true, uid: x}]
spec: {containers: [{name: web, image: nginx:1.27, ports: [{containerPort: 80}]}]}
status: {phase: Running, podIP: ${ip}, conditions: [{type: Ready, status: "True"}]}
`;
    const t = topo(`${pod('web-5d59d67564-aaaaa', '10.1.0.1')}---${pod('web-5d59d67564-bbbbb', '10.1.0.2')}`);
    const workloads = t.nodes.filter((n) => n.kind === 'workload');
    expect(workloads.map((n) => [n.label, n.count])).toEqual([['Deployment web', 2]]);
    expect(workloads[0]?.ports.map((p) => p.label)).toEqual([
      'web-5d59d67564-aaaaa 10.1.0.1',
      'web-5d59d67564-bbbbb 10.1.0.2',
    ]);
  });
});

describe('buildTopology: one field order', () => {
  // The order of a dump's JSON, and one hidden class per shape: an edge made by spreading gave each of a
  // dump's edges a class of its own (src/topology/build.ts newEdge).
  const EDGE_ORDER = [
    'kind',
    'source',
    'sourcePort',
    'target',
    'targetPort',
    'label',
    'protocol',
    'id',
    'findings',
    'count',
  ];
  const NODE_ORDER = [
    'id',
    'kind',
    'lane',
    'namespace',
    'label',
    'detail',
    'workload',
    'object',
    'location',
    'ports',
    'findings',
    'count',
  ];
  const inOrder = (keys: string[], order: string[]) => {
    expect(keys.every((k) => order.includes(k))).toBe(true);
    expect(keys).toEqual([...keys].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
  };

  it('lists the fields of every edge and node in one order, whatever its kind (routes, endpoints, folded pods)', () => {
    const examples = readFileSync('examples/port-from-configmap/1-broken-ingress-port.yaml', 'utf8');
    for (const [yaml, fold] of [
      [APP, false],
      [examples, false],
      [APP, true],
    ] as const) {
      const r = check([{ name: 'case.yaml', text: yaml }], { rules: [] });
      const t = buildTopology(r.graph, [], fold ? { foldWorkloads: (counts) => new Set(counts.keys()) } : {});
      const kinds = new Set(t.edges.map((e) => e.kind));
      expect([...kinds]).toEqual(expect.arrayContaining(['route', 'endpoint', 'container']));
      for (const e of t.edges) inOrder(Object.keys(e), EDGE_ORDER);
      for (const n of t.nodes) inOrder(Object.keys(n), NODE_ORDER);
    }
  });
});

describe('buildTopology: findings land on the element their object and field name', () => {
  const placed = (t: Topology, id: string) => t.findings.find((f) => f.id === id)?.targets ?? [];

  it('a targetPort finding marks the Service -> pod edges of that port; a port finding its row', () => {
    const t = topo(APP, () => [
      finding({ object: svc('web'), field: 'spec.ports[1].targetPort' }),
      finding({ object: svc('web'), field: 'spec.ports[0].nodePort', severity: 'warning' }),
      finding({ object: svc('web'), field: 'metadata.name' }),
    ]);
    expect(placed(t, 'f0').map((x) => [x.kind, x.id])).toEqual([
      [
        'edge',
        expect.stringMatching(
          /^endpoint:service\/shop\/web#ports\[1\]->workload\/shop\/Deployment\/web#pod\//,
        ),
      ],
      ['edge', expect.stringMatching(/^endpoint:service\/shop\/web#ports\[1\]->/)],
    ]);
    expect(placed(t, 'f1')).toEqual([{ kind: 'port', id: 'service/shop/web#ports[0]' }]);
    expect(placed(t, 'f2')).toEqual([{ kind: 'node', id: 'service/shop/web' }]);
    const edge = t.edges.find((e) => e.id === placed(t, 'f0')[0]?.id);
    expect(edge?.findings).toEqual(['f0']);
  });

  it('an Ingress path finding marks the route edge; a container port finding the container row', () => {
    const t = topo(APP, () => [
      finding({
        object: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'shop', name: 'shop' },
        field: 'spec.rules[0].http.paths[1].backend.service.name',
      }),
      finding({ object: deploy('web'), field: 'spec.template.spec.containers[1].ports[0].containerPort' }),
      finding({ object: deploy('web'), field: 'spec.template.spec.containers[0].image' }),
      finding({ object: deploy('web'), field: 'spec.replicas' }),
    ]);
    expect(placed(t, 'f0')).toEqual([
      { kind: 'edge', id: 'route:ingress/shop/shop#rules[0].paths[1]->missing/service/shop/api' },
    ]);
    expect(placed(t, 'f1')).toEqual([
      { kind: 'port', id: 'container/shop/Deployment/web/exporter#ports[0]' },
    ]);
    expect(placed(t, 'f2')).toEqual([{ kind: 'node', id: 'container/shop/Deployment/web/nginx' }]);
    expect(placed(t, 'f3')).toEqual([{ kind: 'node', id: 'workload/shop/Deployment/web' }]);
  });

  it('a ConfigMap finding marks the containers that read it; a Namespace finding its group', () => {
    const t = topo(
      `
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: shop}
data: {PORT: "3000"}
---
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: shop}
spec:
  containers:
  - name: app
    image: example/app:1
    env: [{name: PORT, valueFrom: {configMapKeyRef: {name: cfg, key: PORT}}}]
`,
      () => [
        finding({
          object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'cfg' },
          field: 'data[PORT]',
        }),
        finding({ object: { apiVersion: 'v1', kind: 'Namespace', name: 'shop' }, field: null }),
      ],
    );
    expect(placed(t, 'f0')).toEqual([{ kind: 'node', id: 'container/shop/Pod/app/app' }]);
    expect(placed(t, 'f1')).toEqual([{ kind: 'group', id: 'namespace/shop' }]);
  });

  it('leaves findings about objects it does not draw unplaced, never dropped', () => {
    const t = topo(APP, () => [
      finding({
        object: {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          namespace: 'shop',
          name: 'deny',
        },
        field: 'spec',
      }),
      finding({ object: null, field: null, rule: 'yaml-syntax' }),
    ]);
    expect(t.findings.map((f) => [f.rule, f.targets])).toEqual([
      ['test-rule', []],
      ['yaml-syntax', []],
    ]);
  });

  it('places every chain finding the real rules report on the examples', () => {
    const files = [
      'examples/port-from-configmap/1-broken-ingress-port.yaml',
      'examples/three-apps-port-80/2-broken-selector.yaml',
    ];
    const r = check(files.map((f) => ({ name: f, text: readFileSync(f, 'utf8') })));
    const t = buildTopology(r.graph, r.findings);
    expect(t.findings.length).toBe(r.findings.length);
    for (const f of t.findings) {
      if (['Ingress', 'Service', 'Deployment'].includes(f.object?.kind ?? ''))
        expect(f.targets).not.toEqual([]);
    }
  });

  it('matches field prefixes on whole segments', () => {
    expect(fieldHasPrefix('spec.ports[1].name', 'spec.ports[1]')).toBe(true);
    expect(fieldHasPrefix('spec.ports[1]', 'spec.ports[1]')).toBe(true);
    expect(fieldHasPrefix('spec.ports[10]', 'spec.ports[1]')).toBe(false);
    expect(fieldHasPrefix('spec.portsX', 'spec.ports')).toBe(false);
    expect(fieldHasPrefix('anything', '')).toBe(true);
  });
});
