/**
 * The topology graph model: the one data structure every drawing reads (tree, Mermaid, DOT, SVG, HTML, JSON and
 * later the web UI). It is built once from the ResolvedGraph and the findings (build.ts), may be simplified for
 * large inputs (simplify.ts) and laid out (layout.ts); renderers never look at manifests.
 *
 * Shape: nodes sit in lanes (Ingress -> Service -> Pods -> Containers) and in a namespace group; a node has
 * rows (`ports`: an Ingress's routes, a Service's ports, a workload's pods, a container's declared and listening
 * ports); edges join rows (or nodes) and carry the port numbers or names and protocol of the link. Findings are
 * attached to the most precise element their object and field name, by id.
 */
import type { ObjectRef, Severity, SourceLocation } from '../model/finding.js';
import { severityRank } from '../model/finding.js';

export type Lane = 'ingress' | 'service' | 'pods' | 'containers';

export const LANES: readonly Lane[] = ['ingress', 'service', 'pods', 'containers'];

export const LANE_TITLES: Readonly<Record<Lane, string>> = {
  ingress: 'Ingress',
  service: 'Service',
  pods: 'Pods',
  containers: 'Containers',
};

export type NodeKind =
  | 'ingress'
  | 'service'
  /** The pods of one workload (Deployment, StatefulSet, ...; a bare Pod is its own workload). */
  | 'workload'
  | 'container'
  /** Something a link names that is not in the input: a Service, or any Pod for a selector. */
  | 'missing'
  /** Outside the cluster objects drawn: an ExternalName host, hand-written endpoints, a resource backend. */
  | 'external'
  /** Several elements folded into one by simplification (a sound namespace, sound chains). */
  | 'summary';

export type PortKind =
  | 'route'
  | 'default-backend'
  | 'service-port'
  | 'pod'
  /** Simplified: all pods of a workload in one row. */
  | 'pods'
  | 'container-port'
  | 'listening';

/** A row of a node; edges may start or end at it. */
export interface TopologyPort {
  readonly id: string;
  readonly kind: PortKind;
  readonly label: string;
  /** Longer explanation (why a process listens there, a pod's IP...). */
  readonly detail?: string;
  readonly port?: number;
  readonly name?: string;
  readonly protocol?: string;
  /** Ids of the findings attached to this row. */
  readonly findings: string[];
}

export interface TopologyNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly lane: Lane;
  readonly namespace: string;
  /** First line: `Service books`, `Deployment web ×3`. */
  readonly label: string;
  /** Further lines: type, selector, image... */
  readonly detail: readonly string[];
  /** The object this node draws, when there is one. */
  readonly object?: ObjectRef;
  readonly location?: SourceLocation;
  readonly ports: TopologyPort[];
  /** Ids of the findings attached to the node itself (not to a row). */
  readonly findings: string[];
  /** Pods in a workload node. */
  readonly count?: number;
  /** A container node's workload node. */
  readonly workload?: string;
}

export type EdgeKind =
  /** Ingress route or default backend -> Service port. */
  | 'route'
  /** Service port -> pod (an endpoint). */
  | 'endpoint'
  /** Pod -> the container (port) that serves it. */
  | 'container'
  /** Service -> nothing its selector picks. */
  | 'selector'
  /** Service -> ExternalName host or hand-written endpoints. */
  | 'external';

export interface TopologyEdge {
  readonly id: string;
  readonly kind: EdgeKind;
  readonly source: string;
  readonly sourcePort?: string;
  readonly target: string;
  readonly targetPort?: string;
  /** Port numbers or names and protocol: `:80 -> http(8080)/TCP`. */
  readonly label: string;
  readonly protocol?: string;
  readonly findings: string[];
  /** Links folded into this one by simplification (one per pod). */
  readonly count?: number;
}

export interface TopologyGroup {
  readonly id: string;
  readonly kind: 'namespace';
  readonly label: string;
  readonly namespace: string;
  readonly nodes: string[];
  readonly findings: string[];
}

/** Where a finding is drawn. */
export interface FindingTarget {
  readonly kind: 'node' | 'port' | 'edge' | 'group';
  readonly id: string;
}

export interface TopologyFinding {
  readonly id: string;
  readonly rule: string;
  readonly severity: Severity;
  readonly message: string;
  readonly fix?: string;
  readonly object: ObjectRef | null;
  readonly field: string | null;
  readonly location: SourceLocation | null;
  /** Empty when the finding names nothing drawn (a NetworkPolicy, an unreadable file...). */
  readonly targets: FindingTarget[];
}

export interface Simplification {
  /** Workload nodes whose pods were folded into one row. */
  readonly workloads: number;
  /** Namespaces folded into one summary node (no error or warning in them). */
  readonly namespaces: readonly string[];
  /** Sound connected chains folded into summary nodes, inside namespaces that stay drawn. */
  readonly chains: number;
}

export interface Topology {
  readonly version: 1;
  readonly lanes: readonly { readonly id: Lane; readonly title: string }[];
  readonly groups: TopologyGroup[];
  readonly nodes: TopologyNode[];
  readonly edges: TopologyEdge[];
  readonly findings: TopologyFinding[];
  readonly simplified?: Simplification;
}

// ---- queries shared by simplification and the renderers ----

export function worst(severities: Iterable<Severity | undefined>): Severity | undefined {
  let out: Severity | undefined;
  for (const s of severities) if (s && (!out || severityRank[s] > severityRank[out])) out = s;
  return out;
}

/** Broken: an error or a warning is attached (info findings are notes, not breaks). */
export const isBroken = (s: Severity | undefined): boolean => s === 'error' || s === 'warning';

export interface TopologyIndex {
  readonly node: ReadonlyMap<string, TopologyNode>;
  readonly finding: ReadonlyMap<string, TopologyFinding>;
  readonly edge: ReadonlyMap<string, TopologyEdge>;
  /** Port id -> its node. */
  readonly portNode: ReadonlyMap<string, TopologyNode>;
  severityOf(findingIds: readonly string[]): Severity | undefined;
  /** The worst finding on the node or any of its rows. */
  nodeSeverity(node: TopologyNode): Severity | undefined;
  /** Outgoing edges of a node, in model order. */
  outgoing(nodeId: string): readonly TopologyEdge[];
  incoming(nodeId: string): readonly TopologyEdge[];
}

export function indexTopology(t: Topology): TopologyIndex {
  const node = new Map(t.nodes.map((n) => [n.id, n]));
  const finding = new Map(t.findings.map((f) => [f.id, f]));
  const portNode = new Map<string, TopologyNode>();
  for (const n of t.nodes) for (const p of n.ports) portNode.set(p.id, n);
  const out = new Map<string, TopologyEdge[]>();
  const inc = new Map<string, TopologyEdge[]>();
  const push = (m: Map<string, TopologyEdge[]>, k: string, e: TopologyEdge) => {
    const list = m.get(k);
    if (list) list.push(e);
    else m.set(k, [e]);
  };
  for (const e of t.edges) {
    push(out, e.source, e);
    push(inc, e.target, e);
  }
  const severityOf = (ids: readonly string[]) => worst(ids.map((id) => finding.get(id)?.severity));
  return {
    node,
    finding,
    edge: new Map(t.edges.map((e) => [e.id, e])),
    portNode,
    severityOf,
    nodeSeverity: (n) => worst([severityOf(n.findings), ...n.ports.map((p) => severityOf(p.findings))]),
    outgoing: (id) => out.get(id) ?? [],
    incoming: (id) => inc.get(id) ?? [],
  };
}

/** A marker that does not rely on colour: ✖ error, ⚠ warning, ℹ info. */
export function severityMark(s: Severity | undefined): string {
  return s === 'error' ? '✖' : s === 'warning' ? '⚠' : s === 'info' ? 'ℹ' : '';
}
