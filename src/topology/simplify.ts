/**
 * Grouping for large inputs, so a drawing stays readable (the idea of Headlamp's graphSimplification.ts:
 * fold what is sound, never what is broken). Three folds, applied in order:
 *
 * 1. pods: a workload's pod rows become one row, and the node reads `Deployment web ×3` (pods of one
 *    workload share one spec, so they are broken or sound together; their findings move to the row);
 * 2. namespaces: a namespace with no error or warning becomes one summary node;
 * 3. chains: inside a namespace that stays drawn, connected chains with no error or warning become one
 *    summary node.
 *
 * `auto` thresholds (GROUPING): fold a workload's pods above `podsPerWorkload` pods, every workload's when the
 * input has more than `maxPods` pods; then, while more than `maxNodes` nodes remain, fold sound namespaces
 * (largest first, always leaving one drawn; when more than maxNodes / 4 of them fold, they share one node),
 * then sound chains. Info findings on folded elements move to the
 * summary node; errors and warnings are never folded away.
 */
import type { Finding } from '../model/finding.js';
import type { ResolvedGraph } from '../semantics/graph.js';
import { buildTopology } from './build.js';
import {
  type FindingTarget,
  isBroken,
  type Simplification,
  type Topology,
  type TopologyEdge,
  type TopologyNode,
  type TopologyPort,
} from './model.js';

export type GroupMode = 'auto' | 'none' | 'workloads' | 'namespaces';

export const GROUP_MODES: readonly GroupMode[] = ['auto', 'none', 'workloads', 'namespaces'];

export const GROUPING = {
  /** A workload with more pods than this is drawn as one node `web ×N`. */
  podsPerWorkload: 3,
  /** Above this many pods in the input, every workload is drawn as one node. */
  maxPods: 30,
  /** Above this many nodes, sound namespaces, then sound chains, are folded. */
  maxNodes: 200,
} as const;

export interface SimplifyOptions {
  readonly mode?: GroupMode;
  readonly podsPerWorkload?: number;
  readonly maxPods?: number;
  readonly maxNodes?: number;
  /** Passed to buildTopology: a drawing that would not fit this heap is refused first. */
  readonly heapLimit?: number;
}

const union = (...lists: (readonly string[])[]): string[] => unionOf(lists);

/** Without spreading: a workload may have more pods than a call may have arguments. */
function unionOf(lists: readonly (readonly string[])[]): string[] {
  const out = new Set<string>();
  for (const list of lists) for (const x of list) out.add(x);
  return [...out];
}

/** The ids findings point at, per kind: a fold records where those went, and only those. */
type Targeted = Readonly<Record<FindingTarget['kind'], Set<string>>>;

function targetedBy(t: Topology): Targeted {
  const out = {
    node: new Set<string>(),
    port: new Set<string>(),
    edge: new Set<string>(),
    group: new Set<string>(),
  };
  for (const f of t.findings) for (const x of f.targets) out[x.kind].add(x.id);
  return out;
}

/** Moves finding targets to the elements that replaced theirs after a fold. */
function retarget(t: Topology, map: ReadonlyMap<string, FindingTarget>): Topology {
  const findings = t.findings.map((f) => {
    const targets = new Map<string, FindingTarget>();
    for (const target of f.targets) {
      const to = map.get(`${target.kind}:${target.id}`) ?? target;
      targets.set(`${to.kind}:${to.id}`, to);
    }
    return { ...f, targets: [...targets.values()] };
  });
  return { ...t, findings };
}

/** Merges edges that became identical (same ends, ports and label), summing their counts. */
function mergeEdges(
  edges: readonly TopologyEdge[],
  map: Map<string, FindingTarget>,
  targeted: Targeted,
): TopologyEdge[] {
  const byKey = new Map<string, TopologyEdge>();
  for (const e of edges) {
    const key = [e.kind, e.source, e.sourcePort, e.target, e.targetPort, e.label].join('\n');
    const prev = byKey.get(key);
    if (!prev) {
      byKey.set(key, e);
      continue;
    }
    byKey.set(key, {
      ...prev,
      count: (prev.count ?? 1) + (e.count ?? 1),
      findings: union(prev.findings, e.findings),
    });
    if (targeted.edge.has(e.id)) map.set(`edge:${e.id}`, { kind: 'edge', id: prev.id });
  }
  return [...byKey.values()];
}

/** Fold 1: the pod rows of each listed workload become one row. */
export function foldWorkloads(t: Topology, ids: ReadonlySet<string>): Topology {
  if (ids.size === 0) return t;
  const targeted = targetedBy(t);
  const map = new Map<string, FindingTarget>();
  const portMap = new Map<string, string>();
  const nodes = t.nodes.map((n): TopologyNode => {
    if (!ids.has(n.id)) return n;
    const pods = n.ports.filter((p) => p.kind === 'pod');
    if (pods.length === 0) return n;
    const row: TopologyPort = {
      id: `${n.id}#pods`,
      kind: 'pods',
      label: `${pods.length} ${pods.length === 1 ? 'pod' : 'pods'}`,
      detail: pods.map((p) => p.label).join(', '),
      findings: unionOf(pods.map((p) => p.findings)),
    };
    for (const p of pods) {
      portMap.set(p.id, row.id);
      if (targeted.port.has(p.id)) map.set(`port:${p.id}`, { kind: 'port', id: row.id });
    }
    return {
      ...n,
      label: pods.length > 1 ? `${n.label} ×${pods.length}` : n.label,
      detail: n.detail.filter((d) => !/^\d+ pods?$/.test(d)),
      ports: [row, ...n.ports.filter((p) => p.kind !== 'pod')],
    };
  });
  const moved = t.edges.map((e) => ({
    ...e,
    ...(e.sourcePort ? { sourcePort: portMap.get(e.sourcePort) ?? e.sourcePort } : {}),
    ...(e.targetPort ? { targetPort: portMap.get(e.targetPort) ?? e.targetPort } : {}),
  }));
  const edges = mergeEdges(moved, map, targeted);
  const out = noteFold({ ...t, nodes, edges }, (s) => ({ ...s, workloads: s.workloads + ids.size }));
  return retarget(out, map);
}

interface Fold {
  readonly members: ReadonlySet<string>;
  readonly summary: Omit<TopologyNode, 'findings' | 'ports'>;
}

/** Replaces each fold's nodes (and the edges touching them) by its summary node, in one pass. */
function foldInto(t: Topology, folds: readonly Fold[]): Topology {
  if (folds.length === 0) return t;
  const foldOf = new Map<string, Fold>();
  for (const f of folds) for (const id of f.members) foldOf.set(id, f);
  const targeted = targetedBy(t);
  const map = new Map<string, FindingTarget>();
  const collected = new Map<Fold, string[]>(folds.map((f) => [f, []]));
  const nodes: TopologyNode[] = [];
  const placed = new Set<Fold>();
  for (const n of t.nodes) {
    const f = foldOf.get(n.id);
    if (!f) {
      nodes.push(n);
      continue;
    }
    const to: FindingTarget = { kind: 'node', id: f.summary.id };
    const list = collected.get(f) as string[];
    if (targeted.node.has(n.id)) map.set(`node:${n.id}`, to);
    list.push(...n.findings);
    for (const p of n.ports) {
      if (targeted.port.has(p.id)) map.set(`port:${p.id}`, to);
      list.push(...p.findings);
    }
    if (!placed.has(f)) {
      placed.add(f);
      nodes.push({ ...f.summary, ports: [], findings: [] });
    }
  }
  const edges: TopologyEdge[] = [];
  for (const e of t.edges) {
    const f = foldOf.get(e.source) ?? foldOf.get(e.target);
    if (!f) {
      edges.push(e);
      continue;
    }
    if (targeted.edge.has(e.id)) map.set(`edge:${e.id}`, { kind: 'node', id: f.summary.id });
    (collected.get(f) as string[]).push(...e.findings);
  }
  const summaries = new Map(folds.map((f) => [f.summary.id, union(collected.get(f) as string[])]));
  const withFindings = nodes.map((n) => {
    const found = summaries.get(n.id);
    return found && n.kind === 'summary' ? { ...n, findings: found } : n;
  });
  const byNs = new Map<string, Fold[]>();
  for (const f of folds) {
    const list = byNs.get(f.summary.namespace);
    if (list) list.push(f);
    else byNs.set(f.summary.namespace, [f]);
  }
  const groups = t.groups.map((g) => {
    const mine = byNs.get(g.namespace) ?? [];
    if (mine.length === 0) return g;
    return { ...g, nodes: [...g.nodes.filter((id) => !foldOf.has(id)), ...mine.map((f) => f.summary.id)] };
  });
  return retarget({ ...t, nodes: withFindings, edges, groups }, map);
}

function describe(nodes: readonly TopologyNode[]): string {
  const count = (kind: TopologyNode['kind']) => nodes.filter((n) => n.kind === kind).length;
  const pods = nodes.filter((n) => n.kind === 'workload').reduce((a, n) => a + (n.count ?? 0), 0);
  const parts: [number, string][] = [
    [count('ingress'), 'Ingress'],
    [count('service'), 'Service'],
    [count('workload'), 'workload'],
    [pods, 'pod'],
  ];
  return parts
    .filter(([n]) => n > 0)
    .map(([n, w]) => `${n} ${w}${n === 1 ? '' : w === 'Ingress' ? 'es' : 's'}`)
    .join(', ');
}

/** Nodes that have an error or a warning on themselves, a row, or an edge touching them. */
function brokenNodes(t: Topology): Set<string> {
  // The worst of some findings is an error or a warning when one of them is (model.ts worst, isBroken).
  const breaking = new Set<string>();
  for (const f of t.findings) if (isBroken(f.severity)) breaking.add(f.id);
  const out = new Set<string>();
  if (breaking.size === 0) return out;
  const breaks = (ids: readonly string[]) => ids.some((id) => breaking.has(id));
  for (const n of t.nodes) if (breaks(n.findings) || n.ports.some((p) => breaks(p.findings))) out.add(n.id);
  for (const e of t.edges) {
    if (!breaks(e.findings)) continue;
    out.add(e.source);
    out.add(e.target);
  }
  return out;
}

const noteFold = (t: Topology, change: (s: Simplification) => Simplification): Topology => ({
  ...t,
  simplified: change(t.simplified ?? { workloads: 0, namespaces: [], chains: 0 }),
});

function namespaceFold(nodes: readonly TopologyNode[], namespace: string): Fold {
  return {
    members: new Set(nodes.map((n) => n.id)),
    summary: {
      id: `summary/namespace/${namespace}`,
      kind: 'summary',
      lane: 'service',
      namespace,
      label: `namespace ${namespace}`,
      detail: [describe(nodes), 'no error or warning (folded)'],
    },
  };
}

/** Fold 2: each listed namespace with no error or warning becomes one node. */
export function foldNamespaces(t: Topology, namespaces: readonly string[], together = false): Topology {
  const broken = brokenNodes(t);
  const byNs = byNamespace(t.nodes);
  const folds: Fold[] = [];
  const done: string[] = [];
  for (const ns of namespaces) {
    const nodes = byNs.get(ns) ?? [];
    if (nodes.length === 0 || nodes.some((n) => broken.has(n.id))) continue;
    folds.push(namespaceFold(nodes, ns));
    done.push(ns);
  }
  const out = together && done.length > 1 ? foldTogether(t, done, byNs) : foldInto(t, folds);
  return noteFold(out, (s) => ({ ...s, namespaces: [...s.namespaces, ...done] }));
}

/** Not a namespace name Kubernetes allows: the group of namespaces folded together. */
export const FOLDED_NAMESPACES = '*';

/** Many sound namespaces become one node, in a group of their own at the end. */
function foldTogether(
  t: Topology,
  namespaces: readonly string[],
  byNs: Map<string, TopologyNode[]>,
): Topology {
  const set = new Set(namespaces);
  const nodes = namespaces.flatMap((ns) => byNs.get(ns) ?? []);
  const shown = namespaces.slice(0, 3).join(', ') + (namespaces.length > 3 ? ', …' : '');
  const summary: Fold['summary'] = {
    id: 'summary/namespaces',
    kind: 'summary',
    lane: 'service',
    namespace: FOLDED_NAMESPACES,
    label: `${namespaces.length} namespaces`,
    detail: [describe(nodes), `no error or warning (folded): ${shown}`],
  };
  const folded = foldInto(t, [{ members: new Set(nodes.map((n) => n.id)), summary }]);
  const map = new Map<string, FindingTarget>();
  const findings: string[] = [];
  for (const g of t.groups) {
    if (!set.has(g.namespace)) continue;
    map.set(`group:${g.id}`, { kind: 'node', id: summary.id });
    findings.push(...g.findings);
  }
  const group = {
    id: 'namespace/*',
    kind: 'namespace' as const,
    label: `${namespaces.length} namespaces with no error or warning`,
    namespace: FOLDED_NAMESPACES,
    nodes: [summary.id],
    findings: [],
  };
  const withFindings = folded.nodes.map((n) =>
    n.id === summary.id ? { ...n, findings: union(n.findings, findings) } : n,
  );
  const groups = [...folded.groups.filter((g) => !set.has(g.namespace)), group];
  return retarget({ ...folded, nodes: withFindings, groups }, map);
}

function byNamespace(nodes: readonly TopologyNode[]): Map<string, TopologyNode[]> {
  const out = new Map<string, TopologyNode[]>();
  for (const n of nodes) {
    const list = out.get(n.namespace);
    if (list) list.push(n);
    else out.set(n.namespace, [n]);
  }
  return out;
}

/** Connected components (edges taken both ways, containers with their workload) per namespace. */
function components(t: Topology): Map<string, TopologyNode[][]> {
  const parent = new Map(t.nodes.map((n) => [n.id, n.id]));
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r) as string;
    parent.set(x, r);
    return r;
  };
  const join = (a: string, b: string) => {
    if (parent.has(a) && parent.has(b)) parent.set(find(a), find(b));
  };
  for (const e of t.edges) join(e.source, e.target);
  // A container belongs with its workload even when no link reaches it.
  for (const n of t.nodes) if (n.workload) join(n.id, n.workload);
  const out = new Map<string, TopologyNode[][]>();
  for (const [ns, nodes] of byNamespace(t.nodes)) {
    const byRoot = new Map<string, TopologyNode[]>();
    for (const n of nodes) {
      const r = find(n.id);
      const list = byRoot.get(r);
      if (list) list.push(n);
      else byRoot.set(r, [n]);
    }
    out.set(ns, [...byRoot.values()]);
  }
  return out;
}

/** Fold 3: in each listed namespace, the chains with no error or warning become one node. */
export function foldSoundChains(t: Topology, namespaces: readonly string[]): Topology {
  const broken = brokenNodes(t);
  const all = components(t);
  const folds: Fold[] = [];
  let chains = 0;
  for (const ns of namespaces) {
    const sound = (all.get(ns) ?? []).filter((c) => !c.some((n) => broken.has(n.id)));
    const nodes = sound.flat();
    if (nodes.length <= 1) continue;
    chains += sound.length;
    folds.push({
      members: new Set(nodes.map((n) => n.id)),
      summary: {
        id: `summary/chains/${ns}`,
        kind: 'summary',
        lane: 'service',
        namespace: ns,
        label: `${sound.length} sound ${sound.length === 1 ? 'chain' : 'chains'}`,
        detail: [describe(nodes), 'no error or warning (folded)'],
      },
    });
  }
  return noteFold(foldInto(t, folds), (s) => ({ ...s, chains: s.chains + chains }));
}

/**
 * Fold 1's choice: every workload when the mode is not `auto` or the input has more than `maxPods` pods, else
 * the workloads of more than `podsPerWorkload` pods. `podCounts`: workload node id -> its pods.
 */
export function workloadsToFold(
  podCounts: ReadonlyMap<string, number>,
  options: SimplifyOptions = {},
): Set<string> {
  const mode = options.mode ?? 'auto';
  if (mode === 'none') return new Set();
  const podsPerWorkload = options.podsPerWorkload ?? GROUPING.podsPerWorkload;
  const maxPods = options.maxPods ?? GROUPING.maxPods;
  let pods = 0;
  for (const n of podCounts.values()) pods += n;
  const all = mode !== 'auto' || pods > maxPods;
  const out = new Set<string>();
  for (const [id, n] of podCounts) if (all || n > podsPerWorkload) out.add(id);
  return out;
}

/** Applies the folds the mode and thresholds call for; `none` returns the topology as it is. */
export function simplifyTopology(t: Topology, options: SimplifyOptions = {}): Topology {
  if ((options.mode ?? 'auto') === 'none') return t;
  const counts = new Map<string, number>();
  for (const n of t.nodes) if (n.kind === 'workload') counts.set(n.id, n.count ?? 0);
  return foldLarge(foldWorkloads(t, workloadsToFold(counts, options)), options);
}

/**
 * What `simplifyTopology(buildTopology(graph, findings), options)` gives, without the pod rows and the edges
 * per pod of workloads that fold (a cluster dump's 150,000 pods): they are folded while building.
 */
export function buildSimplifiedTopology(
  graph: ResolvedGraph,
  findings: readonly Finding[],
  options: SimplifyOptions = {},
): Topology {
  const heap = options.heapLimit === undefined ? {} : { heapLimit: options.heapLimit };
  if ((options.mode ?? 'auto') === 'none') return buildTopology(graph, findings, heap);
  const t = buildTopology(graph, findings, {
    foldWorkloads: (counts) => workloadsToFold(counts, options),
    ...heap,
  });
  return foldLarge(t, options);
}

/** Folds 2 and 3 on a topology whose workloads are folded. */
function foldLarge(t: Topology, options: SimplifyOptions): Topology {
  const mode = options.mode ?? 'auto';
  const maxNodes = options.maxNodes ?? GROUPING.maxNodes;
  let out = t;
  const namespaces = out.groups.map((g) => g.namespace);
  if (mode === 'namespaces') return foldNamespaces(out, namespaces);
  if (mode === 'workloads' || out.nodes.length <= maxNodes) return out;

  // Largest sound namespaces first, until the drawing fits; one namespace always stays drawn.
  const broken = brokenNodes(out);
  const size = new Map<string, number>();
  const brokenNs = new Set<string>();
  for (const n of out.nodes) {
    size.set(n.namespace, (size.get(n.namespace) ?? 0) + 1);
    if (broken.has(n.id)) brokenNs.add(n.namespace);
  }
  const bySize = [...namespaces].sort((a, b) => (size.get(b) ?? 0) - (size.get(a) ?? 0));
  const fold: string[] = [];
  let count = out.nodes.length;
  for (const ns of bySize) {
    if (count <= maxNodes || fold.length >= namespaces.length - 1) break;
    if (brokenNs.has(ns)) continue;
    fold.push(ns);
    count -= (size.get(ns) ?? 1) - 1;
  }
  // One node per folded namespace, unless that alone would crowd the drawing: then one node for them all.
  out = foldNamespaces(out, fold, fold.length > maxNodes / 4);
  if (out.nodes.length <= maxNodes) return out;
  const folded = new Set(fold);
  return foldSoundChains(
    out,
    bySize.filter((ns) => !folded.has(ns)),
  );
}
