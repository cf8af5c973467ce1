/**
 * What the page draws of the model: the namespace and severity filters, then the folds of
 * src/topology/simplify.ts (pods of a workload, sound namespaces, sound chains) chosen as `graph --group auto`
 * chooses them, minus what the user expanded or searched for. Broken elements are never folded away
 * (simplify.ts refuses to fold a namespace or chain with an error or warning). Runs in the layout worker.
 */
import { severityRank } from '../../src/model/finding.js';
import { indexTopology, isBroken, type Topology, type TopologyNode } from '../../src/topology/model.js';
import {
  foldNamespaces,
  foldSoundChains,
  foldWorkloads,
  GROUPING,
  type GroupMode,
} from '../../src/topology/simplify.js';

export type MinSeverity = 'all' | 'info' | 'warning' | 'error';

export interface ViewRequest {
  /** Only this namespace; null: all. */
  readonly namespace: string | null;
  /** Only the chains (connected elements) holding a finding at or above this severity. */
  readonly minSeverity: MinSeverity;
  /** Case-insensitive text in a node's name, details or rows; namespaces holding a match are unfolded. */
  readonly search: string;
  readonly mode: GroupMode;
  /** Above this many nodes, sound namespaces then sound chains are folded (auto mode). */
  readonly maxNodes: number;
  /** Namespaces the user unfolded. */
  readonly expanded: readonly string[];
  /** Workloads whose pods are shown one per row (or folded) against the default. */
  readonly togglePods: readonly string[];
  /** The one node standing for many sound namespaces is split into one node per namespace. */
  readonly splitNamespaces: boolean;
}

export interface ViewResult {
  readonly topology: Topology;
  /** Node ids matching the search. */
  readonly matches: readonly string[];
  /** Nodes of the whole model, and after filtering. */
  readonly total: number;
  readonly filtered: number;
}

export const DEFAULT_VIEW: ViewRequest = {
  namespace: null,
  minSeverity: 'all',
  search: '',
  mode: 'auto',
  maxNodes: 250,
  expanded: [],
  togglePods: [],
  splitNamespaces: false,
};

/** Keeps the listed nodes (and their groups and edges); findings stay as they are. */
function keepNodes(t: Topology, keep: ReadonlySet<string>): Topology {
  return {
    ...t,
    nodes: t.nodes.filter((n) => keep.has(n.id)),
    edges: t.edges.filter((e) => keep.has(e.source) && keep.has(e.target)),
    groups: t.groups
      .map((g) => ({ ...g, nodes: g.nodes.filter((id) => keep.has(id)) }))
      .filter((g) => g.nodes.length > 0),
  };
}

/** Connected elements: edges, and a container with its workload. */
function components(t: Topology): Map<string, number> {
  const parent = new Map<string, string>(t.nodes.map((n) => [n.id, n.id]));
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r) ?? r;
    parent.set(x, r);
    return r;
  };
  const join = (a: string, b: string) => {
    if (parent.has(a) && parent.has(b)) parent.set(find(a), find(b));
  };
  for (const e of t.edges) join(e.source, e.target);
  for (const n of t.nodes) if (n.workload) join(n.id, n.workload);
  const ids = new Map<string, number>();
  const out = new Map<string, number>();
  for (const n of t.nodes) {
    const root = find(n.id);
    if (!ids.has(root)) ids.set(root, ids.size);
    out.set(n.id, ids.get(root) as number);
  }
  return out;
}

function bySeverity(t: Topology, min: Exclude<MinSeverity, 'all'>): Topology {
  const ix = indexTopology(t);
  const at = (ids: readonly string[]) =>
    ids.some((id) => {
      const f = ix.finding.get(id);
      return !!f && severityRank[f.severity] >= severityRank[min];
    });
  const comp = components(t);
  const hit = new Set<number>();
  for (const n of t.nodes)
    if (at(n.findings) || n.ports.some((p) => at(p.findings))) hit.add(comp.get(n.id) as number);
  for (const e of t.edges) if (at(e.findings)) hit.add(comp.get(e.source) as number);
  return keepNodes(t, new Set(t.nodes.filter((n) => hit.has(comp.get(n.id) as number)).map((n) => n.id)));
}

function matchesOf(nodes: readonly TopologyNode[], search: string): TopologyNode[] {
  const q = search.trim().toLowerCase();
  if (q === '') return [];
  return nodes.filter(
    (n) =>
      n.label.toLowerCase().includes(q) ||
      n.detail.some((d) => d.toLowerCase().includes(q)) ||
      n.ports.some((p) => p.label.toLowerCase().includes(q)),
  );
}

/** Namespaces with an error or a warning on a node, a row or an edge. */
function brokenNamespaces(t: Topology): Set<string> {
  const ix = indexTopology(t);
  const out = new Set<string>();
  for (const n of t.nodes) if (isBroken(ix.nodeSeverity(n))) out.add(n.namespace);
  for (const e of t.edges)
    if (isBroken(ix.severityOf(e.findings))) out.add(ix.node.get(e.source)?.namespace ?? '');
  return out;
}

export function computeView(full: Topology, req: ViewRequest): ViewResult {
  let t = full;
  if (req.namespace !== null) {
    const ns = req.namespace;
    t = keepNodes(t, new Set(t.nodes.filter((n) => n.namespace === ns).map((n) => n.id)));
  }
  if (req.minSeverity !== 'all') t = bySeverity(t, req.minSeverity);
  const filtered = t.nodes.length;
  const matched = matchesOf(t.nodes, req.search);
  const matchIds = matched.map((n) => n.id);
  if (req.mode === 'none') return { topology: t, matches: matchIds, total: full.nodes.length, filtered };

  const keepOpen = new Set([...req.expanded, ...matched.map((n) => n.namespace)]);
  const workloads = t.nodes.filter((n) => n.kind === 'workload');
  const pods = workloads.reduce((a, n) => a + (n.count ?? 0), 0);
  const all = req.mode !== 'auto' || pods > GROUPING.maxPods;
  const toggled = new Set(req.togglePods);
  const foldPods = workloads.filter(
    (n) => (all || (n.count ?? 0) > GROUPING.podsPerWorkload) !== toggled.has(n.id),
  );
  let out = foldWorkloads(t, new Set(foldPods.map((n) => n.id)));
  const namespaces = out.groups.map((g) => g.namespace).filter((ns) => !keepOpen.has(ns));
  if (req.mode === 'namespaces') out = foldNamespaces(out, namespaces);
  else if (req.mode === 'auto' && out.nodes.length > req.maxNodes) {
    // As simplifyTopology: the largest sound namespaces first until the drawing fits, one always drawn.
    const broken = brokenNamespaces(out);
    const size = new Map<string, number>();
    for (const n of out.nodes) size.set(n.namespace, (size.get(n.namespace) ?? 0) + 1);
    const bySize = namespaces
      .filter((ns) => !broken.has(ns))
      .sort((a, b) => (size.get(b) ?? 0) - (size.get(a) ?? 0));
    const fold: string[] = [];
    let count = out.nodes.length;
    for (const ns of bySize) {
      if (count <= req.maxNodes || fold.length >= out.groups.length - 1) break;
      fold.push(ns);
      count -= (size.get(ns) ?? 1) - 1;
    }
    out = foldNamespaces(out, fold, !req.splitNamespaces && fold.length > req.maxNodes / 4);
    if (out.nodes.length > req.maxNodes) {
      const folded = new Set(fold);
      out = foldSoundChains(
        out,
        out.groups.map((g) => g.namespace).filter((ns) => !folded.has(ns) && !keepOpen.has(ns)),
      );
    }
  }
  return { topology: out, matches: matchIds, total: full.nodes.length, filtered };
}
