/**
 * Workloads become the pods their controllers would create (pkg/controller/{deployment,replicaset,statefulset,
 * daemon,job,cronjob}), so the endpoint controllers can select them like real pods. Pods already in the input
 * (a cluster dump) are used as they are, and their owners are not synthesised a second time.
 */
import { FieldPath } from '../model/field-path.js';
import { isKind, type Manifest } from '../model/load.js';
import { merged } from '../model/merged.js';
import type { Labels, ObjectMeta, Pod, PodSpec, PodStatus, PodTemplateSpec } from '../model/types.js';

export interface PodInstance {
  readonly pod: Pod;
  readonly name: string;
  readonly namespace: string;
  /** The Pod manifest itself, or the workload that would create this pod. */
  readonly owner: Manifest;
  /** Where the pod spec is written in `owner` (`spec`, `spec.template.spec`, ...). */
  readonly specPath: FieldPath;
  /** True for pods portchain derived from a workload; false for Pod objects in the input. */
  readonly synthesized: boolean;
  /** StatefulSet pods: the ordinal in `<name>-<ordinal>`. */
  readonly ordinal?: number;
}

export interface PodsOptions {
  /** Node names; DaemonSets get one pod per node, other pods are spread round-robin. Default `['node-1']`. */
  readonly nodes?: readonly string[];
}

/**
 * Pod IPs portchain assigns, in input order: the n-th pod that needs one (0-based) gets 10.244.0.0 + n + 1,
 * i.e. 10.244.0.1, 10.244.0.2, ... 10.244.0.255, 10.244.1.0, ... (the pod CIDR kind and flannel use).
 */
export const SYNTHETIC_POD_CIDR = '10.244.0.0/16';
/** Node addresses (status.hostIP, and podIP of hostNetwork pods): the i-th node is 172.18.0.0 + i + 2. */
export const SYNTHETIC_NODE_CIDR = '172.18.0.0/16';
export const DEFAULT_NODES: readonly string[] = ['node-1'];

function ipv4(base: number, offset: number): string {
  const v = (base + offset) >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}
const POD_BASE = ((10 << 24) | (244 << 16)) >>> 0;
const NODE_BASE = ((172 << 24) | (18 << 16)) >>> 0;

/** The address of the n-th (0-based) synthesised pod IP. */
export function syntheticPodIP(n: number): string {
  return ipv4(POD_BASE, n + 1);
}
/** The address of the i-th (0-based) node. */
export function syntheticNodeIP(i: number): string {
  return ipv4(NODE_BASE, i + 2);
}

// ---- deterministic names ----

/** FNV-1a, 32 bit (hash/fnv New32a, which controller.ComputeHash uses). */
function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** k8s.io/apimachinery/pkg/util/rand: no vowels, no look-alike characters. */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: each byte mapped into ALPHANUMS. */
function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += ALPHANUMS[s.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/** Objects with their keys sorted: Go dumps struct fields in one order, whatever order the YAML had. */
const sortedKeys = (_key: string, v: unknown): unknown =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
    ? Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, (v as Record<string, unknown>)[k]]),
      )
    : v;

/**
 * The `pod-template-hash` label (controller.ComputeHash: FNV-32a of the template, SafeEncodeString of its
 * decimal form). Go hashes a spew dump, so the value differs from a real cluster's, but it is stable per
 * template, whatever the order of its keys, and has the same shape (e.g. `5d59d67564`).
 */
export function podTemplateHash(template: PodTemplateSpec): string {
  return safeEncode(String(fnv1a32(JSON.stringify(template, sortedKeys))));
}

/**
 * A stand-in for the 5 random characters of generateName (`names.SimpleNameGenerator`): a deterministic
 * function of `seed` and `i`, never repeating a suffix for one seed.
 */
export function nameSuffixer(seed: string): (i: number) => string {
  const used = new Set<string>();
  return (i) => {
    for (let attempt = 0; ; attempt++) {
      let h = fnv1a32(`${seed}/${i}/${attempt}`);
      let s = '';
      for (let k = 0; k < 5; k++) {
        s += ALPHANUMS[h % ALPHANUMS.length];
        h = Math.floor(h / ALPHANUMS.length);
      }
      if (!used.has(s)) {
        used.add(s);
        return s;
      }
    }
  };
}

// ---- which workloads a cluster dump already realised ----

const ownerKey = (namespace: string, kind: string, name: string) => `${namespace}/${kind}/${name}`;

/**
 * Owners whose pods (or, for Deployments and CronJobs, whose ReplicaSets and Jobs) are in the input.
 * A Deployment's ReplicaSet is `<deployment>-<pod-template-hash>`, a CronJob's Job `<cronjob>-<minutes>`,
 * so a pod owned by one also marks the grand-owner when the intermediate object is not in the input.
 */
function realisedOwners(manifests: readonly Manifest[]): Set<string> {
  const out = new Set<string>();
  // A dump lists a ReplicaSet's pods one after another: a pod owned like the one before adds nothing new.
  let last: { namespace: string; kind: string; name: string; hash: string | undefined } | undefined;
  for (const m of manifests) {
    if (!isKind(m, 'Pod') && !isKind(m, 'ReplicaSet') && !isKind(m, 'Job')) continue;
    const meta = m.object.metadata;
    for (const ref of meta.ownerReferences ?? []) {
      if (!ref.kind || !ref.name) continue;
      const hash = m.kind === 'Pod' ? meta.labels?.['pod-template-hash'] : undefined;
      if (
        m.kind === 'Pod' &&
        last?.namespace === m.namespace &&
        last.kind === ref.kind &&
        last.name === ref.name &&
        last.hash === hash
      )
        continue;
      out.add(ownerKey(m.namespace, ref.kind, ref.name));
      if (m.kind !== 'Pod') continue;
      last = { namespace: m.namespace, kind: ref.kind, name: ref.name, hash };
      if (ref.kind === 'ReplicaSet' && hash && ref.name.endsWith(`-${hash}`)) {
        out.add(ownerKey(m.namespace, 'Deployment', ref.name.slice(0, -(hash.length + 1))));
      }
      const job = ref.kind === 'Job' ? /^(.+)-\d+$/.exec(ref.name) : null;
      if (job?.[1]) out.add(ownerKey(m.namespace, 'CronJob', job[1]));
    }
  }
  return out;
}

// ---- pod construction ----

interface Env {
  readonly nodes: readonly string[];
  nextPodIP(): string;
  nodeIP(node: string): string;
}

function makeEnv(nodes: readonly string[]): Env {
  let n = 0;
  const nodeIPs = new Map<string, string>();
  nodes.forEach((node, i) => {
    nodeIPs.set(node, syntheticNodeIP(i));
  });
  return {
    nodes,
    nextPodIP: () => syntheticPodIP(n++),
    nodeIP(node) {
      let ip = nodeIPs.get(node);
      if (!ip) {
        ip = syntheticNodeIP(nodeIPs.size);
        nodeIPs.set(node, ip);
      }
      return ip;
    },
  };
}

/** A Running pod whose every condition is True, as the kubelet reports a healthy one. */
function runningStatus(env: Env, spec: PodSpec, node: string): PodStatus {
  const hostIP = env.nodeIP(node);
  const podIP = spec.hostNetwork ? hostIP : env.nextPodIP();
  return {
    phase: 'Running',
    podIP,
    podIPs: [{ ip: podIP }],
    hostIP,
    conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
      type,
      status: 'True',
    })),
  };
}

interface Replica {
  readonly name: string;
  readonly node: string;
  readonly labels?: Labels;
  readonly spec?: Partial<PodSpec>;
  readonly ordinal?: number;
}

interface Plan {
  readonly template: PodTemplateSpec | undefined;
  readonly specPath: FieldPath;
  readonly ownerRef: { apiVersion: string; kind: string; name: string };
  readonly generateName?: string;
  readonly extraLabels?: Labels;
  readonly replicas: readonly Replica[];
}

type OwnerReference = NonNullable<ObjectMeta['ownerReferences']>[number];

function materialise(m: Manifest, plan: Plan, env: Env): PodInstance[] {
  const template = plan.template;
  if (!template?.spec) return [];
  return plan.replicas.map((r) => {
    const spec = merged<PodSpec>(template.spec, r.spec, { nodeName: r.node });
    const metadata: ObjectMeta = {
      name: r.name,
      namespace: m.namespace,
      labels: merged<Labels>(template.metadata?.labels, plan.extraLabels, r.labels),
      ownerReferences: [merged<OwnerReference>(plan.ownerRef, { controller: true })],
    };
    if (plan.generateName) metadata.generateName = plan.generateName;
    if (template.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata,
      spec,
      status: runningStatus(env, spec, r.node),
    };
    const inst: PodInstance = {
      pod,
      name: r.name,
      namespace: m.namespace,
      owner: m,
      specPath: plan.specPath,
      synthesized: true,
    };
    return r.ordinal === undefined ? inst : merged<PodInstance>(inst, { ordinal: r.ordinal });
  });
}

const count = (n: number | undefined, dflt = 1) => Math.max(0, Math.trunc(n ?? dflt));

function rawField(m: Manifest, ...keys: string[]): unknown {
  let v: unknown = m.raw;
  for (const k of keys) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** `<prefix><5 chars>` replicas spread round-robin over the nodes. */
function generated(m: Manifest, prefix: string, n: number, env: Env): Replica[] {
  const suffix = nameSuffixer(`${m.namespace}/${m.kind}/${m.name}`);
  return Array.from({ length: n }, (_, i) => ({
    name: `${prefix}${suffix(i)}`,
    node: env.nodes[i % env.nodes.length] as string,
  }));
}

const TEMPLATE_SPEC = FieldPath.root('spec', 'template', 'spec');
/** One path for every Pod read from the input: a path per pod was 18 MB at 150,000 pods. */
const POD_SPEC = FieldPath.root('spec');

/** Job pods: `parallelism`, no more than `completions` when that is written (pkg/controller/job). */
function jobPlan(m: Manifest, jobName: string, spec: { parallelism?: number; completions?: number }) {
  let n = count(spec.parallelism);
  const completionsWritten =
    m.kind === 'Job'
      ? rawField(m, 'spec', 'completions')
      : rawField(m, 'spec', 'jobTemplate', 'spec', 'completions');
  if (typeof completionsWritten === 'number') n = Math.min(n, count(spec.completions));
  // The job controller labels its pods (batch/v1 Job strategy, generateSelector).
  return { n, labels: { 'batch.kubernetes.io/job-name': jobName, 'job-name': jobName } };
}

function planFor(m: Manifest, env: Env): Plan | null {
  const apps = 'apps/v1';
  if (isKind(m, 'Deployment')) {
    const template = m.object.spec.template;
    if (!template) return null;
    const hash = podTemplateHash(template);
    const rs = `${m.name}-${hash}`;
    return {
      template,
      specPath: TEMPLATE_SPEC,
      ownerRef: { apiVersion: apps, kind: 'ReplicaSet', name: rs },
      generateName: `${rs}-`,
      extraLabels: { 'pod-template-hash': hash },
      replicas: generated(m, `${rs}-`, count(m.object.spec.replicas), env),
    };
  }
  if (isKind(m, 'ReplicaSet') || isKind(m, 'ReplicationController')) {
    const apiVersion = m.kind === 'ReplicaSet' ? apps : 'v1';
    return {
      template: m.object.spec.template,
      specPath: TEMPLATE_SPEC,
      ownerRef: { apiVersion, kind: m.kind, name: m.name },
      generateName: `${m.name}-`,
      replicas: generated(m, `${m.name}-`, count(m.object.spec.replicas), env),
    };
  }
  if (isKind(m, 'StatefulSet')) {
    const template = m.object.spec.template;
    if (!template) return null;
    const start = rawField(m, 'spec', 'ordinals', 'start');
    const first = typeof start === 'number' ? start : 0;
    const serviceName = m.object.spec.serviceName;
    return {
      template,
      specPath: TEMPLATE_SPEC,
      ownerRef: { apiVersion: apps, kind: 'StatefulSet', name: m.name },
      extraLabels: { 'controller-revision-hash': `${m.name}-${podTemplateHash(template)}` },
      replicas: Array.from({ length: count(m.object.spec.replicas) }, (_, i) => {
        const ordinal = first + i;
        const name = `${m.name}-${ordinal}`;
        // statefulset/stateful_set_utils.go: initIdentity sets hostname and subdomain; labels name the pod.
        const spec: Partial<PodSpec> = serviceName
          ? { hostname: name, subdomain: serviceName }
          : { hostname: name };
        return {
          name,
          ordinal,
          node: env.nodes[i % env.nodes.length] as string,
          spec,
          labels: {
            'statefulset.kubernetes.io/pod-name': name,
            'apps.kubernetes.io/pod-index': String(ordinal),
          },
        };
      }),
    };
  }
  if (isKind(m, 'DaemonSet')) {
    const template = m.object.spec.template;
    if (!template) return null;
    const suffix = nameSuffixer(`${m.namespace}/${m.kind}/${m.name}`);
    return {
      template,
      specPath: TEMPLATE_SPEC,
      ownerRef: { apiVersion: apps, kind: 'DaemonSet', name: m.name },
      generateName: `${m.name}-`,
      extraLabels: {
        'controller-revision-hash': podTemplateHash(template),
        'pod-template-generation': '1',
      },
      replicas: env.nodes.map((node, i) => ({ name: `${m.name}-${suffix(i)}`, node })),
    };
  }
  if (isKind(m, 'Job')) {
    const { n, labels } = jobPlan(m, m.name, m.object.spec);
    return {
      template: m.object.spec.template,
      specPath: TEMPLATE_SPEC,
      ownerRef: { apiVersion: 'batch/v1', kind: 'Job', name: m.name },
      generateName: `${m.name}-`,
      extraLabels: labels,
      replicas: generated(m, `${m.name}-`, n, env),
    };
  }
  if (isKind(m, 'CronJob')) {
    const jobSpec = m.object.spec.jobTemplate.spec;
    // The cronjob controller names a Job `<cronjob>-<scheduled time in minutes>`; a stable stand-in here.
    const job = `${m.name}-${29_000_000 + (fnv1a32(`${m.namespace}/${m.name}`) % 1_000_000)}`;
    const { n, labels } = jobPlan(m, job, jobSpec);
    return {
      template: jobSpec.template,
      specPath: FieldPath.root('spec', 'jobTemplate', 'spec', 'template', 'spec'),
      ownerRef: { apiVersion: 'batch/v1', kind: 'Job', name: job },
      generateName: `${job}-`,
      extraLabels: labels,
      replicas: generated(m, `${job}-`, n, env),
    };
  }
  return null;
}

/** A Pod from the input; one without `status` (a plain manifest) is taken as scheduled, Running and Ready. */
function podInstance(m: Manifest<'Pod'>, env: Env): PodInstance {
  const o = m.object;
  const metadata =
    o.metadata.namespace === m.namespace
      ? o.metadata
      : merged<ObjectMeta>(o.metadata, { namespace: m.namespace });
  let pod: Pod = metadata === o.metadata ? o : { ...o, metadata };
  if (!o.status) {
    const node = o.spec.nodeName || (env.nodes[0] as string);
    const spec = merged<PodSpec>(o.spec, { nodeName: node });
    pod = merged<Pod>(pod, { spec, status: runningStatus(env, spec, node) });
  }
  return {
    pod,
    name: m.name,
    namespace: m.namespace,
    owner: m,
    specPath: POD_SPEC,
    synthesized: false,
  };
}

/**
 * Every pod the input implies, in input order: Pod objects as they are, and for each workload the pods its
 * controller would run (`replicas`; one per node for a DaemonSet; `parallelism` for a Job or CronJob), unless
 * the input already holds that workload's pods (or, for a Deployment, a ReplicaSet it owns; for a CronJob, a
 * Job it owns). Synthesised pods are Running and Ready with IPs from SYNTHETIC_POD_CIDR.
 */
export function podsFromManifests(manifests: readonly Manifest[], options: PodsOptions = {}): PodInstance[] {
  const nodes = options.nodes && options.nodes.length > 0 ? options.nodes : DEFAULT_NODES;
  const env = makeEnv(nodes);
  const realised = realisedOwners(manifests);
  const out: PodInstance[] = [];
  for (const m of manifests) {
    if (isKind(m, 'Pod')) {
      out.push(podInstance(m, env));
      continue;
    }
    if (realised.has(ownerKey(m.namespace, m.kind, m.name))) continue;
    const plan = planFor(m, env);
    if (plan) for (const p of materialise(m, plan, env)) out.push(p);
  }
  return out;
}
