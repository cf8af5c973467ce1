/**
 * A deterministic (seeded) generator of cluster-shaped input, as `kubectl get -A -o yaml|json` prints it:
 * namespaces of apps, each a Deployment or StatefulSet with its running Pods (ownerReferences, podIP,
 * conditions, containerStatuses), a Service with named ports (ClusterIP, NodePort or headless), a ConfigMap
 * and a NetworkPolicy, an Ingress per namespace; plus a known set of planted mistakes whose expected findings
 * it returns. Scale 1 is Kubernetes' documented limit: 150,000 Pods and 10,000 Services (~130 MB of YAML).
 *
 * Usage: node bench-dist/bench/static/generate.js [--scale N] [--seed N] [--out DIR] [--forms list,multidoc,json,compact,windows] [--rich]
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Json, yamlDocument, yamlListItem } from './emit.js';

/**
 * `windows` is the List as Windows PowerShell 5 saves `kubectl get -A -o yaml > dump.yaml`: UTF-16 (little
 * endian, with a byte order mark) and CRLF line breaks.
 */
export const FORMS = ['list', 'multidoc', 'json', 'compact', 'windows'] as const;
export type Form = (typeof FORMS)[number];

export interface GenerateOptions {
  /** 1 = 150,000 Pods and 10,000 Services; 0.01 for a quick run. */
  readonly scale: number;
  readonly seed?: number;
  readonly outDir: string;
  readonly forms?: readonly Form[];
  /** Pods as kubectl prints them whole (probes, resources, full status): ~2.9x the bytes of the lean shape. */
  readonly rich?: boolean;
}

export interface ObjectId {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** One planted mistake: the finding portchain must report, `count` times, on `object`. */
export interface PlantedMistake {
  readonly rule: string;
  readonly object: ObjectId;
  readonly count: number;
  /** What was broken, for the report. */
  readonly what: string;
}

export interface Generated {
  readonly scale: number;
  readonly seed: number;
  /** Per form, the files in input order (one per shard). */
  readonly files: Record<Form, string[]>;
  readonly bytes: Record<Form, number>;
  readonly counts: {
    readonly namespaces: number;
    readonly apps: number;
    readonly pods: number;
    readonly services: number;
    readonly objects: number;
  };
  readonly planted: readonly PlantedMistake[];
}

// ---- determinism ----

/** mulberry32: small, fast, good enough to pick names and sizes reproducibly. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEX = '0123456789abcdef';
const ALNUM = 'bcdfghjklmnpqrstvwxz2456789';
function chars(r: () => number, n: number, alphabet: string): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}
function uid(r: () => number): string {
  const h = chars(r, 32, HEX);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
function stamp(r: () => number): string {
  const d = new Date(Date.UTC(2026, 0, 1) + Math.floor(r() * 300 * 86400) * 1000);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const WORDS = [
  'cart',
  'checkout',
  'payments',
  'search',
  'catalog',
  'users',
  'auth',
  'orders',
  'billing',
  'ledger',
  'inventory',
  'shipping',
  'reviews',
  'ads',
  'recommend',
  'email',
  'notify',
  'gateway',
  'profile',
  'media',
];
const TEAMS = ['shop', 'data', 'core', 'edge', 'ml', 'infra', 'growth', 'risk', 'ops', 'web'];

// ---- the shape of the cluster ----

const PODS_PER_APP = 15;
const APPS_PER_NAMESPACE = 50;
/**
 * NodePort Services: every tenth app, at most this many in the whole cluster, whatever its size. Each takes
 * two node ports (http's written, grpc's allocated) and the default range holds 2,768, so a real cluster
 * cannot hold the 2,000 that every tenth app of 2x would be: the allocator would refuse 616 of them.
 */
const MAX_NODE_PORTS = 1000;
const NODE_PORT_BASE = 30000;
const NODES = 200;
const INGRESS_ROUTES_PER_NAMESPACE = 10;

type Mistake =
  | 'named-target-port-typo'
  | 'selector-typo'
  | 'ingress-to-target-port'
  | 'ingress-to-missing-service'
  | 'udp-port-to-tcp-container'
  | 'duplicate-node-port'
  | 'undeclared-target-port'
  | 'policy-allows-service-port';
const MISTAKES: readonly Mistake[] = [
  'named-target-port-typo',
  'selector-typo',
  'ingress-to-target-port',
  'ingress-to-missing-service',
  'udp-port-to-tcp-container',
  'duplicate-node-port',
  'undeclared-target-port',
  'policy-allows-service-port',
];

interface App {
  readonly index: number;
  readonly namespace: string;
  readonly name: string;
  readonly stateful: boolean;
  /** The nodePort of a NodePort Service, else undefined. */
  readonly nodePort: number | undefined;
  readonly mistake: Mistake | undefined;
  readonly seed: number;
}

interface Layout {
  readonly apps: number;
  readonly namespaces: number;
  readonly mistakes: Map<number, Mistake>;
}

const nsName = (n: number) => `${TEAMS[n % TEAMS.length]}-${String(n).padStart(4, '0')}`;
const isNodePortApp = (i: number) => i % 10 === 1 && Math.floor(i / 10) < MAX_NODE_PORTS;

function layout(scale: number, seed: number): Layout {
  const apps = Math.max(APPS_PER_NAMESPACE, Math.round(10_000 * scale));
  const namespaces = Math.ceil(apps / APPS_PER_NAMESPACE);
  // Ten of each mistake per 10,000 Services (at least one), on distinct apps that are not NodePort
  // Services and not the first two of a namespace (the duplicate nodePort copies app 1's).
  const per = Math.max(1, Math.round(apps / 1000));
  const r = rng(seed ^ 0x5eed);
  const mistakes = new Map<number, Mistake>();
  for (const m of MISTAKES) {
    let placed = 0;
    while (placed < per) {
      const i = Math.floor(r() * apps);
      const inNs = i % APPS_PER_NAMESPACE;
      if (inNs < 2 || isNodePortApp(i) || mistakes.has(i) || i % 5 === 0) continue;
      // The duplicate needs a NodePort app 1 in its namespace to copy from.
      if (m === 'duplicate-node-port' && !isNodePortApp(i - inNs + 1)) continue;
      mistakes.set(i, m);
      placed++;
    }
  }
  return { apps, namespaces, mistakes };
}

function appOf(l: Layout, i: number, seed: number): App {
  const ns = Math.floor(i / APPS_PER_NAMESPACE);
  const mistake = l.mistakes.get(i);
  const first = i - (i % APPS_PER_NAMESPACE) + 1;
  return {
    index: i,
    namespace: nsName(ns),
    name: `${WORDS[i % WORDS.length]}-${String(i).padStart(5, '0')}`,
    // Every fifth app is a StatefulSet behind a headless Service.
    stateful: i % 5 === 0,
    nodePort: isNodePortApp(i)
      ? NODE_PORT_BASE + Math.floor(i / 10)
      : mistake === 'duplicate-node-port'
        ? NODE_PORT_BASE + Math.floor(first / 10)
        : undefined,
    mistake,
    seed: (seed * 1_000_003 + i) >>> 0,
  };
}

// ---- objects ----

type Obj = { [k: string]: Json };

const appLabels = (a: App): Obj => ({
  'app.kubernetes.io/name': a.name,
  'app.kubernetes.io/part-of': a.namespace,
});
const podLabels = (a: App): Obj => ({ app: a.name });

/** The container as the lean profile prints it: image, name, ports. */
function leanContainer(c: Obj): Obj {
  return { image: c.image as Json, name: c.name as Json, ports: c.ports as Json };
}

function container(a: App, r: () => number): Obj {
  return {
    name: 'app',
    image: `registry.example.com/${a.namespace}/${a.name}:1.${a.index % 40}.${Math.floor(r() * 10)}`,
    imagePullPolicy: 'IfNotPresent',
    ports: [
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'grpc', containerPort: 9000, protocol: 'TCP' },
    ],
    readinessProbe: {
      httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    },
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
  };
}

function podTemplateHash(a: App): string {
  return chars(rng(a.seed ^ 0x7e), 10, ALNUM);
}

function workload(a: App): Obj {
  const r = rng(a.seed ^ 0x1);
  const selector = { matchLabels: podLabels(a) };
  const template = {
    metadata: {
      labels: podLabels(a),
      annotations: { 'checksum/config': chars(r, 64, HEX) },
    },
    spec: { containers: [container(a, rng(a.seed ^ 0x2))], terminationGracePeriodSeconds: 30 },
  };
  const meta = {
    name: a.name,
    namespace: a.namespace,
    labels: appLabels(a),
    uid: uid(r),
    resourceVersion: String(100000 + Math.floor(r() * 9e6)),
    generation: 3,
    creationTimestamp: stamp(r),
    annotations: (a.stateful ? {} : { 'deployment.kubernetes.io/revision': '3' }) as Obj,
    // managedFields in moderation (one workload in ten): kubectl hides them by default, some dumps keep them.
    ...(a.index % 10 !== 3
      ? {}
      : {
          managedFields: [
            {
              apiVersion: 'apps/v1',
              fieldsType: 'FieldsV1',
              fieldsV1: {
                'f:spec': { 'f:replicas': {}, 'f:template': { 'f:metadata': { 'f:labels': {} } } },
              },
              manager: 'helm',
              operation: 'Update',
              time: stamp(r),
            },
          ],
        }),
  };
  const status = {
    observedGeneration: 3,
    replicas: PODS_PER_APP,
    readyReplicas: PODS_PER_APP,
    availableReplicas: PODS_PER_APP,
    updatedReplicas: PODS_PER_APP,
  };
  if (a.stateful) {
    return {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta,
      spec: {
        replicas: PODS_PER_APP,
        serviceName: a.name,
        selector,
        template,
        podManagementPolicy: 'Parallel',
      },
      status,
    };
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta,
    spec: { replicas: PODS_PER_APP, selector, template, strategy: { type: 'RollingUpdate' } },
    status,
  };
}

function podIP(n: number): string {
  return `10.${64 + (n >>> 16)}.${(n >>> 8) & 255}.${n & 255}`;
}

function pods(a: App, r0: () => number, rich: boolean): Obj[] {
  const hash = podTemplateHash(a);
  const ownerUid = uid(rng(a.seed ^ 0x1));
  const out: Obj[] = [];
  const c = container(a, rng(a.seed ^ 0x2));
  for (let k = 0; k < PODS_PER_APP; k++) {
    const r = rng((a.seed * 31 + k) >>> 0);
    const name = a.stateful ? `${a.name}-${k}` : `${a.name}-${hash}-${chars(r, 5, ALNUM)}`;
    const labels: Obj = a.stateful
      ? {
          ...podLabels(a),
          'controller-revision-hash': `${a.name}-${hash}`,
          'statefulset.kubernetes.io/pod-name': name,
        }
      : { ...podLabels(a), 'pod-template-hash': hash };
    const n = a.index * PODS_PER_APP + k;
    const ip = podIP(n);
    const started = stamp(r0);
    const node = `node-${String((n * 7) % NODES).padStart(3, '0')}`;
    const owner: Obj = {
      apiVersion: 'apps/v1',
      kind: a.stateful ? 'StatefulSet' : 'ReplicaSet',
      name: a.stateful ? a.name : `${a.name}-${hash}`,
      uid: ownerUid,
      controller: true,
    };
    if (!rich) {
      // Lean: what `kubectl get pods -A -o yaml` prints minus the fields no port-chain rule reads, sized so
      // 150,000 Pods and 10,000 Services come to ~130 MB (the figure).
      out.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          ...(a.stateful ? {} : { generateName: `${a.name}-${hash}-` }),
          namespace: a.namespace,
          labels,
          ownerReferences: [owner],
          uid: uid(r),
        },
        spec: { containers: [leanContainer(c)], nodeName: node },
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: [{ name: 'app', ready: true }],
          podIP: ip,
        },
      });
      continue;
    }
    out.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        ...(a.stateful ? {} : { generateName: `${a.name}-${hash}-` }),
        namespace: a.namespace,
        labels,
        annotations: { 'checksum/config': chars(r, 64, HEX) },
        ownerReferences: [{ ...owner, blockOwnerDeletion: true }],
        uid: uid(r),
        resourceVersion: String(100000 + Math.floor(r() * 9e6)),
        creationTimestamp: started,
      },
      spec: { containers: [c], nodeName: node, restartPolicy: 'Always', serviceAccountName: 'default' },
      status: {
        phase: 'Running',
        conditions: [
          { type: 'Ready', status: 'True', lastTransitionTime: started },
          { type: 'ContainersReady', status: 'True', lastTransitionTime: started },
        ],
        containerStatuses: [
          {
            name: 'app',
            ready: true,
            restartCount: 0,
            image: c.image as string,
            containerID: `containerd://${chars(r, 64, HEX)}`,
            state: { running: { startedAt: started } },
          },
        ],
        hostIP: `172.18.${Math.floor(((n * 7) % NODES) / 250)}.${(((n * 7) % NODES) % 250) + 2}`,
        podIP: ip,
        podIPs: [{ ip }],
        qosClass: 'Burstable',
        startTime: started,
      },
    });
  }
  return out;
}

function service(a: App, appIndex: number): Obj {
  const r = rng(a.seed ^ 0x3);
  const selector: Obj = a.mistake === 'selector-typo' ? { app: `${a.name}x` } : podLabels(a);
  const ports: Obj[] = [
    {
      name: 'http',
      port: 80,
      protocol: 'TCP',
      targetPort: a.mistake === 'named-target-port-typo' ? 'htttp' : 'http',
      ...(a.nodePort !== undefined ? { nodePort: a.nodePort } : {}),
    },
    { name: 'grpc', port: 9000, protocol: 'TCP', targetPort: 'grpc' },
  ];
  if (a.mistake === 'udp-port-to-tcp-container')
    ports.push({ name: 'http-udp', port: 8080, protocol: 'UDP', targetPort: 8080 });
  if (a.mistake === 'undeclared-target-port')
    ports.push({ name: 'alt', port: 8081, protocol: 'TCP', targetPort: 8081 });
  const clusterIP = a.stateful ? 'None' : `10.96.${(appIndex >>> 8) & 255}.${appIndex & 255}`;
  const spec: Obj = {
    clusterIP,
    clusterIPs: [clusterIP],
    internalTrafficPolicy: 'Cluster',
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    ports,
    selector,
    sessionAffinity: 'None',
    type: a.nodePort !== undefined ? 'NodePort' : 'ClusterIP',
    ...(a.nodePort !== undefined ? { externalTrafficPolicy: 'Cluster' } : {}),
  };
  const lastApplied = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { annotations: {}, labels: appLabels(a), name: a.name, namespace: a.namespace },
    spec: { ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort })), selector },
  });
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: a.name,
      namespace: a.namespace,
      labels: appLabels(a),
      // One Service in four was applied with kubectl and carries its last-applied-configuration.
      ...(a.index % 4 === 2
        ? { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${lastApplied}\n` } }
        : {}),
      uid: uid(r),
      resourceVersion: String(100000 + Math.floor(r() * 9e6)),
      creationTimestamp: stamp(r),
    },
    spec,
    status: { loadBalancer: {} },
  };
}

function configMap(a: App): Obj {
  const r = rng(a.seed ^ 0x4);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `${a.name}-config`,
      namespace: a.namespace,
      labels: appLabels(a),
      uid: uid(r),
      resourceVersion: String(100000 + Math.floor(r() * 9e6)),
      creationTimestamp: stamp(r),
    },
    data: {
      LOG_LEVEL: 'info',
      UPSTREAM: `http://${WORDS[(a.index + 1) % WORDS.length]}.${a.namespace}.svc.cluster.local`,
      'app.properties': `feature.flags=${chars(r, 40, HEX)}\ncache.size=256\n`,
    },
  };
}

function networkPolicy(a: App): Obj {
  // Each app admits its namespace and the ingress controller on the pods' named port; the mistake names
  // the Service port (80) instead, which policies never see after kube-proxy's DNAT.
  const port: Json = a.mistake === 'policy-allows-service-port' ? 80 : 'http';
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `${a.name}-allow`, namespace: a.namespace, uid: uid(rng(a.seed ^ 0x5)) },
    spec: {
      podSelector: { matchLabels: podLabels(a) },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            { podSelector: {} },
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
          ],
          ports: [
            { port, protocol: 'TCP' },
            { port: 'grpc', protocol: 'TCP' },
            // The extra Service ports of two mistakes are allowed, so each mistake is one finding.
            ...(a.mistake === 'udp-port-to-tcp-container' ? [{ port: 8080, protocol: 'UDP' }] : []),
            ...(a.mistake === 'undeclared-target-port' ? [{ port: 8081, protocol: 'TCP' }] : []),
          ],
        },
      ],
    },
  };
}

function namespaceObjects(ns: string, r: () => number): Obj[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        labels: { 'kubernetes.io/metadata.name': ns, team: ns.split('-')[0] as string },
        uid: uid(r),
        creationTimestamp: stamp(r),
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kube-root-ca.crt', namespace: ns, uid: uid(r), creationTimestamp: stamp(r) },
      data: {
        'ca.crt': `-----BEGIN CERTIFICATE-----\n${Array.from({ length: 16 }, () => chars(r, 64, `${HEX}ABCDEFGHIJKLMNOPQRSTUVWXYZ`)).join('\n')}\n-----END CERTIFICATE-----\n`,
      },
    },
  ];
}

const backend = (service: string, port: Json): Obj => ({
  service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } },
});

function ingresses(ns: string, apps: readonly App[]): Obj[] {
  const routed = apps
    .filter((a) => !a.stateful && a.mistake === undefined)
    .slice(0, INGRESS_ROUTES_PER_NAMESPACE);
  const out: Obj[] = [];
  const rule = (host: string, svc: string, port: Json): Obj => ({
    host,
    http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend(svc, port) }] },
  });
  if (routed.length > 0) {
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: 'web',
        namespace: ns,
        annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' },
      },
      spec: {
        ingressClassName: 'nginx',
        rules: routed.map((a) => rule(`${a.name}.${ns}.example.com`, a.name, 'http')),
      },
      status: { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } },
    });
  }
  for (const a of apps) {
    if (a.mistake !== 'ingress-to-target-port' && a.mistake !== 'ingress-to-missing-service') continue;
    const missing = a.mistake === 'ingress-to-missing-service';
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: `${a.name}-public`, namespace: ns },
      spec: {
        ingressClassName: 'nginx',
        rules: [rule(`${a.name}.public.example.com`, missing ? `${a.name}-v2` : a.name, missing ? 80 : 8080)],
      },
    });
  }
  return out;
}

function clusterObjects(): Obj[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'ingress-nginx', labels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'nginx', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
      spec: { controller: 'k8s.io/ingress-nginx' },
    },
  ];
}

// ---- expectations ----

function expected(a: App): PlantedMistake | undefined {
  const svc = { kind: 'Service', namespace: a.namespace, name: a.name };
  switch (a.mistake) {
    case 'named-target-port-typo':
      return {
        rule: 'target-port-name-unresolved',
        object: svc,
        count: 1,
        what: 'targetPort htttp: no container port of that name',
      };
    case 'selector-typo':
      return { rule: 'service-selects-nothing', object: svc, count: 1, what: 'selector name one letter off' };
    case 'ingress-to-target-port':
      return {
        rule: 'ingress-backend-port-mismatch',
        object: { kind: 'Ingress', namespace: a.namespace, name: `${a.name}-public` },
        count: 1,
        what: 'Ingress backend port 8080 is the targetPort, not a Service port',
      };
    case 'ingress-to-missing-service':
      return {
        rule: 'ingress-backend-service-missing',
        object: { kind: 'Ingress', namespace: a.namespace, name: `${a.name}-public` },
        count: 1,
        what: 'Ingress backend names a Service that does not exist',
      };
    case 'udp-port-to-tcp-container':
      return {
        rule: 'service-port-protocol-mismatch',
        object: svc,
        count: 1,
        what: '8080/UDP Service port, containers declare 8080/TCP',
      };
    case 'duplicate-node-port':
      return {
        rule: 'node-port-allocation',
        object: svc,
        count: 1,
        what: 'nodePort already allocated to another Service',
      };
    case 'undeclared-target-port':
      return {
        rule: 'target-port-undeclared',
        object: svc,
        count: 1,
        what: 'targetPort 8081 declared by no container',
      };
    case 'policy-allows-service-port':
      return {
        rule: 'network-policy-blocks-service',
        object: { kind: 'NetworkPolicy', namespace: a.namespace, name: `${a.name}-allow` },
        count: 1,
        what: 'NetworkPolicy allows the Service port 80, the pods listen on http (8080)',
      };
    default:
      return undefined;
  }
}

// ---- output ----

/** Buffered synchronous writer: 4 MB chunks keep a 500 MB file cheap to write. */
class Sink {
  private readonly fd: number;
  private parts: string[] = [];
  private size = 0;
  bytes = 0;
  /** `windows`: written as UTF-16LE after a byte order mark, with CRLF line breaks (see FORMS). */
  constructor(
    path: string,
    private readonly windows = false,
  ) {
    this.fd = openSync(path, 'w');
    if (windows) this.bytes += writeSync(this.fd, Buffer.from([0xff, 0xfe]));
  }
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 4 << 20) this.flush();
  }
  private flush(): void {
    const chunk = this.parts.join('');
    this.bytes += this.windows
      ? writeSync(this.fd, Buffer.from(chunk.replaceAll('\n', '\r\n'), 'utf16le'))
      : writeSync(this.fd, chunk);
    this.parts = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

interface FormWriter {
  item(o: Obj): void;
  close(): void;
}

function writerFor(form: Form, path: string): FormWriter & { sink: Sink } {
  const sink = new Sink(path, form === 'windows');
  if (form === 'list' || form === 'windows') {
    sink.write('apiVersion: v1\nitems:\n');
    return {
      sink,
      item: (o) => sink.write(yamlListItem(o)),
      close: () => {
        sink.write('kind: List\nmetadata:\n  resourceVersion: ""\n');
        sink.close();
      },
    };
  }
  if (form === 'multidoc') {
    return {
      sink,
      item: (o) => sink.write(`---\n${yamlDocument(o)}`),
      close: () => sink.close(),
    };
  }
  if (form === 'compact') {
    // `kubectl get -A -o json | jq -c .`: the whole List on one line.
    let first = true;
    sink.write('{"apiVersion":"v1","items":[');
    return {
      sink,
      item: (o) => {
        sink.write(`${first ? '' : ','}${JSON.stringify(o)}`);
        first = false;
      },
      close: () => {
        sink.write('],"kind":"List","metadata":{"resourceVersion":""}}\n');
        sink.close();
      },
    };
  }
  // kubectl -o json: 4-space indent, `items` inside a List.
  let first = true;
  sink.write('{\n    "apiVersion": "v1",\n    "items": [\n');
  return {
    sink,
    item: (o) => {
      sink.write(`${first ? '' : ',\n'}        ${JSON.stringify(o, null, 4).replace(/\n/g, '\n        ')}`);
      first = false;
    },
    close: () => {
      sink.write(
        '\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n',
      );
      sink.close();
    },
  };
}

const EXT: Record<Form, string> = {
  list: 'list.yaml',
  multidoc: 'multidoc.yaml',
  json: 'json',
  compact: 'compact.json',
  windows: 'windows.yaml',
};

/**
 * Writes the cluster in each form, one file per shard: a shard holds ~1x (at most 10,000 Services) so no file
 * comes near V8's 512 MiB string limit, which every string-based reader (and the `yaml` library) hits.
 */
export function generate(options: GenerateOptions): Generated {
  const seed = options.seed ?? 1;
  const forms = options.forms ?? FORMS;
  const l = layout(options.scale, seed);
  const shards = Math.max(1, Math.ceil(l.apps / 10_000));
  mkdirSync(options.outDir, { recursive: true });
  const files = { list: [], multidoc: [], json: [], compact: [], windows: [] } as Record<Form, string[]>;
  const bytes = { list: 0, multidoc: 0, json: 0, compact: 0, windows: 0 } as Record<Form, number>;
  const planted: PlantedMistake[] = [];
  let objects = 0;
  let podCount = 0;
  const nsPerShard = Math.ceil(l.namespaces / shards);
  for (let s = 0; s < shards; s++) {
    const writers = forms.map((f) => {
      const path = join(options.outDir, `cluster-${String(s).padStart(2, '0')}.${EXT[f]}`);
      files[f].push(path);
      return { form: f, w: writerFor(f, path) };
    });
    const emit = (o: Obj) => {
      objects++;
      for (const { w } of writers) w.item(o);
    };
    const nsFrom = s * nsPerShard;
    const nsTo = Math.min(l.namespaces, nsFrom + nsPerShard);
    const appsOf = (ns: number): App[] => {
      const out: App[] = [];
      for (let i = ns * APPS_PER_NAMESPACE; i < Math.min(l.apps, (ns + 1) * APPS_PER_NAMESPACE); i++)
        out.push(appOf(l, i, seed));
      return out;
    };
    // kubectl get -A prints one resource type after another.
    if (s === 0) for (const o of clusterObjects()) emit(o);
    for (let ns = nsFrom; ns < nsTo; ns++)
      for (const o of namespaceObjects(nsName(ns), rng(seed + ns))) emit(o);
    for (let ns = nsFrom; ns < nsTo; ns++) for (const a of appsOf(ns)) emit(configMap(a));
    for (let ns = nsFrom; ns < nsTo; ns++) for (const a of appsOf(ns)) emit(workload(a));
    for (let ns = nsFrom; ns < nsTo; ns++) {
      const r = rng(seed ^ (ns * 7919));
      for (const a of appsOf(ns))
        for (const p of pods(a, r, options.rich === true)) {
          podCount++;
          emit(p);
        }
    }
    for (let ns = nsFrom; ns < nsTo; ns++) for (const a of appsOf(ns)) emit(service(a, a.index));
    for (let ns = nsFrom; ns < nsTo; ns++) for (const i of ingresses(nsName(ns), appsOf(ns))) emit(i);
    for (let ns = nsFrom; ns < nsTo; ns++) for (const a of appsOf(ns)) emit(networkPolicy(a));
    for (let ns = nsFrom; ns < nsTo; ns++)
      for (const a of appsOf(ns)) {
        const e = expected(a);
        if (e) planted.push(e);
      }
    for (const { form, w } of writers) {
      w.close();
      bytes[form] += w.sink.bytes;
    }
  }
  return {
    scale: options.scale,
    seed,
    files,
    bytes,
    counts: { namespaces: l.namespaces, apps: l.apps, pods: podCount, services: l.apps, objects },
    planted,
  };
}

function arg(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const argv = process.argv.slice(2);
  const scale = Number(arg(argv, '--scale') ?? '1');
  const seed = Number(arg(argv, '--seed') ?? '1');
  const out = arg(argv, '--out') ?? `bench-output/static/scale-${scale}`;
  const forms = (arg(argv, '--forms') ?? FORMS.join(',')).split(',') as Form[];
  const rich = argv.includes('--rich');
  if (!(scale > 0) || forms.some((f) => !FORMS.includes(f))) {
    process.stderr.write(
      'usage: generate.js [--scale N>0] [--seed N] [--out DIR] [--forms list,multidoc,json,compact,windows]\n',
    );
    process.exit(2);
  }
  const t = performance.now();
  const g = generate({ scale, seed, outDir: out, forms, rich });
  process.stdout.write(
    `${JSON.stringify({ ...g, seconds: Math.round((performance.now() - t) / 100) / 10 }, null, 2)}\n`,
  );
}
