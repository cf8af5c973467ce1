/**
 * How much the listening rules may trust `graph.listening()` for one container, and the wording they share.
 * The inference itself lives in src/semantics/listening.ts and is never redone here; this module only decides
 * when its answer is strong enough to contradict what the manifest says, and phrases the evidence.
 */
import type { PortFlag } from '../../knowledge/images.js';
import type { FieldPath } from '../../model/field-path.js';
import { listText } from '../../model/list-text.js';
import type { Manifest } from '../../model/load.js';
import type { Container } from '../../model/types.js';
import type { ResolvedGraph } from '../../semantics/graph.js';
import { type ListeningEvidence, type ListeningInference, resolveEnv } from '../../semantics/listening.js';
import type { PodInstance } from '../../semantics/workloads.js';
import { backendKeyOf } from './service-backends.js';

/** One container of a workload, addressed on the object that declares it. */
export interface ContainerRef {
  readonly container: Container;
  readonly index: number;
  /** A native sidecar: an init container with restartPolicy Always. */
  readonly init: boolean;
  /** The container on `pod.owner`: `spec.template.spec.containers[0]`. */
  readonly path: FieldPath;
}

/** The containers that run beside each other and can serve: spec.containers, then native sidecars. */
export function servingContainerRefs(pod: PodInstance): ContainerRef[] {
  const spec = pod.pod.spec;
  const refs: ContainerRef[] = (spec.containers ?? []).map((container, index) => ({
    container,
    index,
    init: false,
    path: pod.specPath.child('containers').index(index),
  }));
  (spec.initContainers ?? []).forEach((container, index) => {
    if (container.restartPolicy === 'Always')
      refs.push({ container, index, init: true, path: pod.specPath.child('initContainers').index(index) });
  });
  return refs;
}

/** One pod template (a workload, or the pods of one controller in a cluster dump) and its label. */
export interface Workload {
  readonly pod: PodInstance;
  /** "Deployment web", "Pod web", "ReplicaSet web-5d8f". */
  readonly label: string;
}

const workloadsCache = new WeakMap<readonly PodInstance[], readonly Workload[]>();

/** Replicas share one spec: one representative pod per workload, in input order (once per pod list). */
export function workloadsOf(pods: readonly PodInstance[]): readonly Workload[] {
  const cached = workloadsCache.get(pods);
  if (cached) return cached;
  const seen = new Map<string, Workload>();
  for (const pod of pods) {
    const key = backendKeyOf(pod);
    if (seen.has(key)) continue;
    const parts = key.split('/');
    seen.set(key, { pod, label: `${parts[0]} ${parts[parts.length - 1]}` });
  }
  const out = [...seen.values()];
  workloadsCache.set(pods, out);
  return out;
}

/** `nginx (nginx:1.27)`: the container and its image, as messages name it. */
export function containerLabel(c: Container): string {
  return c.image ? `${c.name} (${c.image})` : c.name;
}

/** `8080`, or `53/UDP` when the protocol is not TCP. */
export function portText(port: number, protocol: string): string {
  return protocol === 'TCP' ? String(port) : `${port}/${protocol}`;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/i;

/** Bound to loopback only: the pod itself can connect, the Service (pod IP) and the kubelet's probes cannot. */
export function isLoopback(e: ListeningEvidence): boolean {
  return e.host !== undefined && LOOPBACK.test(e.host);
}

export type Agreement = 'agrees' | 'contradicts' | 'mixed' | 'undeclared';

export interface KnownListening {
  readonly inference: ListeningInference;
  /** 'certain' only when every port is certain and the declared ports do not hint at gaps in the knowledge. */
  readonly trust: 'certain' | 'likely';
  /**
   * How the container's declared ports compare with where the process listens. `mixed` (some declared ports
   * are listened on, others not) suggests the knowledge misses optional ports (Grafana's gossip 9094, Jaeger's
   * query gRPC 16685): such declared-but-unlisted ports are not contradicted, and the rest is less than certain.
   */
  readonly agreement: Agreement;
  /** Declared ports (port/protocol keys) the process is not known to listen on. */
  readonly unlisted: ReadonlySet<string>;
}

const portKey = (port: number, protocol: string) => `${port}/${protocol}`;

/**
 * The listening ports of a container when they are known well enough to contradict the manifest: the
 * inference is complete and no volume replaces the config file the image reads its ports from.
 */
export function knownListening(
  graph: ResolvedGraph,
  pod: PodInstance,
  ref: ContainerRef,
): KnownListening | null {
  const inference = graph.listening(pod, ref.container);
  if (!inference.complete) return null;
  if (configMounted(pod.owner, ref, inference)) return null;
  const listened = new Set(inference.ports.map((e) => portKey(e.port, e.protocol)));
  const declared = (ref.container.ports ?? []).filter((p) => p.containerPort !== undefined);
  const unlisted = new Set<string>();
  let matched = 0;
  for (const p of declared) {
    const k = portKey(p.containerPort as number, p.protocol ?? 'TCP');
    if (listened.has(k)) matched++;
    else unlisted.add(k);
  }
  const agreement: Agreement =
    declared.length === 0
      ? 'undeclared'
      : unlisted.size === 0
        ? 'agrees'
        : matched === 0
          ? 'contradicts'
          : 'mixed';
  const allCertain = inference.ports.every((e) => e.confidence === 'certain');
  return {
    inference,
    trust: allCertain && agreement !== 'mixed' ? 'certain' : 'likely',
    agreement,
    unlisted,
  };
}

/** Is `port` among the container's declared ports the knowledge does not list (see `agreement: mixed`)? */
export function declaredButUnlisted(k: KnownListening, port: number, protocol: string): boolean {
  return k.unlisted.has(portKey(port, protocol));
}

export type Listens =
  | { readonly kind: 'yes'; readonly evidence: ListeningEvidence }
  | { readonly kind: 'loopback'; readonly evidence: ListeningEvidence }
  | { readonly kind: 'no' };

/** Does the process accept connections on the pod IP at port/protocol? */
export function listensOn(k: KnownListening, port: number, protocol: string): Listens {
  const hits = k.inference.ports.filter((e) => e.port === port && e.protocol === protocol);
  const reachable = hits.find((e) => !isLoopback(e));
  if (reachable) return { kind: 'yes', evidence: reachable };
  const loop = hits[0];
  return loop ? { kind: 'loopback', evidence: loop } : { kind: 'no' };
}

/** `80` / `80 and 9100/UDP` / `no port at all`: where the process listens, reachable or not. */
export function listeningPortsText(k: KnownListening): string {
  const ports = k.inference.ports.map((e) =>
    isLoopback(e) ? `${e.host}:${portText(e.port, e.protocol)}` : portText(e.port, e.protocol),
  );
  return ports.length === 0 ? 'no port at all' : listText(ports, 6);
}

/**
 * ` (why...)`: the reasons, one per port, when they stay readable (one or two ports; a Jaeger all-in-one
 * lists ten), else "".
 */
export function reasonsText(k: KnownListening): string {
  const ports = k.inference.ports;
  if (ports.length > 2) return '';
  if (ports.length === 0) return ` (${k.inference.image?.id ?? 'the image'} binds nothing)`;
  return ` (${ports.map((e) => e.because).join('; ')})`;
}

/** The ports of one protocol the process listens on, reachable from the pod IP. */
export function reachablePorts(k: KnownListening, protocol: string): number[] {
  return [
    ...new Set(k.inference.ports.filter((e) => e.protocol === protocol && !isLoopback(e)).map((e) => e.port)),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// How to move the process to another port

function flagFor(flags: readonly PortFlag[] | undefined, port: number, first: number | undefined) {
  return (flags ?? []).find(
    (f) => !f.extra && (f.appliesTo === port || (f.appliesTo === undefined && port === first)),
  );
}

/**
 * One clause saying how to make the process listen on `wanted` instead of `current`: the variable or flag
 * that set the current port, else the image's own flag, variable, PORT or config file.
 */
export function moveHint(
  graph: ResolvedGraph,
  pod: PodInstance,
  ref: ContainerRef,
  k: KnownListening,
  current: ListeningEvidence | undefined,
  wanted: number,
): string {
  const image = k.inference.image;
  const who = image?.id ?? ref.container.name;
  const field = current?.field;
  const head = field?.keys()[0];
  if (current && field && (head === 'env' || head === 'envFrom')) {
    const vars = resolveEnv(ref.container, graph.config(pod.namespace));
    const v = [...vars.entries()].find(([, r]) => r.field.toString() === field.toString());
    if (v) {
      const [name, r] = v;
      const restart = /ConfigMap|Secret/.test(r.from)
        ? ', then restart the pods (the environment is read when the container starts)'
        : '';
      return `make ${who} listen on ${wanted}: set ${name} to ${wanted} (${r.from})${restart}`;
    }
  }
  if (current && field && (head === 'args' || head === 'command')) {
    return `make ${who} listen on ${wanted} (change ${field.toString()})`;
  }
  if (!image) return `make ${who} listen on ${wanted}`;
  const first = image.ports[0]?.port;
  // Without the evidence of the port to move, a flag is only named when the image has a single port.
  if (!current && image.ports.length > 1) return `make ${who} listen on ${wanted}`;
  const port = current?.port ?? first ?? wanted;
  const flag = flagFor(image.portFlags, port, first);
  if (flag) return `make ${who} listen on ${wanted} (its ${flag.flag} flag)`;
  const env = (image.portEnv ?? []).find(
    (e) => !e.extra && e.format !== 'args' && (e.appliesTo === port || e.appliesTo === undefined),
  );
  if (env) return `make ${who} listen on ${wanted} (set ${env.name})`;
  if (image.honoursPORT) return `make ${who} listen on ${wanted} (set PORT)`;
  if (image.configFile) return `make ${who} listen on ${wanted} (its config: ${image.configFile})`;
  return `make ${who} listen on ${wanted}`;
}

// ---------------------------------------------------------------------------------------------------------
// Config files replaced by a volume

/** Absolute paths named in a knowledge entry's configFile text; a glob stands for its directory. */
function configPaths(text: string): string[] {
  return (text.match(/\/[A-Za-z0-9._\-/*]+/g) ?? [])
    .map((p) => {
      const star = p.indexOf('*');
      const cut = star < 0 ? p : p.slice(0, p.lastIndexOf('/', star));
      return cut.replace(/\/+$/, '');
    })
    .filter((p) => p.length > 1);
}

function overlaps(mount: string, path: string): boolean {
  const m = mount.replace(/\/+$/, '');
  return m === path || path.startsWith(`${m}/`) || m.startsWith(`${path}/`);
}

/** The volumeMounts as written (the decoded model does not keep them). */
function mountPaths(owner: Manifest, ref: ContainerRef): string[] {
  let node: unknown = owner.raw;
  for (const key of ref.path.child('volumeMounts').keys()) {
    if (node === null || typeof node !== 'object') return [];
    node = (node as Record<string | number, unknown>)[key];
  }
  if (!Array.isArray(node)) return [];
  return node
    .map((m) => (m && typeof m === 'object' ? (m as { mountPath?: unknown }).mountPath : undefined))
    .filter((p): p is string => typeof p === 'string');
}

/**
 * A volume mounted over the config file the image reads its ports from (an nginx `conf.d` from a
 * ConfigMap, a grafana.ini): the ports are whatever that file says, which the inference does not read.
 */
export function configMounted(owner: Manifest, ref: ContainerRef, inference: ListeningInference): boolean {
  const text = inference.image?.configFile;
  if (!text) return false;
  const paths = configPaths(text);
  if (paths.length === 0) return false;
  return mountPaths(owner, ref).some((m) => paths.some((p) => overlaps(m, p)));
}

const byPodCache = new WeakMap<ResolvedGraph, ReadonlyMap<PodInstance, readonly Manifest<'Service'>[]>>();

/** The Services whose selector picks each pod, computed once per graph from its views (two rules ask). */
export function servicesByPod(
  graph: ResolvedGraph,
): ReadonlyMap<PodInstance, readonly Manifest<'Service'>[]> {
  const cached = byPodCache.get(graph);
  if (cached) return cached;
  // Services with the same selector share one list of pods (PodIndex.select): each list is walked once, so
  // 5,000 Services over the same 10,000 pods cost 10,000 steps, not 50 million.
  const groups = new Map<readonly PodInstance[], Manifest<'Service'>[]>();
  const order = new Map<Manifest<'Service'>, number>();
  graph.services.forEach((view, i) => {
    order.set(view.service, i);
    const group = groups.get(view.selected);
    if (group) group.push(view.service);
    else groups.set(view.selected, [view.service]);
  });
  const found = new Map<PodInstance, Manifest<'Service'>[][]>();
  for (const [pods, services] of groups) {
    for (const p of pods) {
      const lists = found.get(p);
      if (lists) lists.push(services);
      else found.set(p, [services]);
    }
  }
  const out = new Map<PodInstance, readonly Manifest<'Service'>[]>();
  for (const [p, lists] of found) {
    // One group: its list as it is. Several: merged back into the order of graph.services.
    out.set(
      p,
      lists.length === 1
        ? (lists[0] as Manifest<'Service'>[])
        : lists.flat().sort((a, b) => (order.get(a) as number) - (order.get(b) as number)),
    );
  }
  byPodCache.set(graph, out);
  return out;
}

/** Why a verdict is less than certain, for the message's closing `— likely (...)`. */
export function doubts(k: KnownListening, ref: ContainerRef): string[] {
  const out: string[] = [];
  if (k.agreement === 'mixed') {
    const id = k.inference.image?.id ?? 'the image';
    out.push(
      `container ${ref.container.name} declares ${listText([...k.unlisted].map((x) => x.replace('/TCP', '')))}, which portchain's knowledge of ${id} does not list, so that knowledge may be incomplete`,
    );
  }
  if (k.inference.ports.some((e) => e.confidence !== 'certain')) {
    const notes = k.inference.notes.filter((n) => /taken for|script|shell/.test(n));
    out.push(notes[0] ?? 'some of these ports are inferred, not certain');
  }
  return out;
}

/** `— certain`, or `— likely: <why>`. */
export function surenessText(certain: boolean, why: readonly string[]): string {
  return certain ? ' — certain' : ` — likely${why.length > 0 ? `: ${why.join('; ')}` : ''}`;
}
