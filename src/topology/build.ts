/**
 * Builds the topology model from the resolved graph: every semantic comes from src/semantics (ingress routes
 * and backend resolution, Service selection, FindPort, the listening inference); this file only arranges them
 * into lanes, rows and labelled edges, then attaches each finding to the element its object and field name.
 */
import type { FieldPath } from '../model/field-path.js';
import type { Finding, SourceLocation } from '../model/finding.js';
import type { Manifest } from '../model/load.js';
import type { Container, IngressBackend, Labels, PodSpec, ServicePort } from '../model/types.js';
import type { ResolvedGraph, ServiceView } from '../semantics/graph.js';
import {
  effectiveIngressClass,
  type IngressDefaultBackend,
  type IngressRoute,
  resolveIngressBackend,
} from '../semantics/ingress.js';
import { findPort, type PortResolution } from '../semantics/named-ports.js';
import type { PodInstance } from '../semantics/workloads.js';
import { attachFindings, FindingIndex, type RankedTarget } from './attach.js';
import {
  type FindingTarget,
  LANE_TITLES,
  LANES,
  type Topology,
  type TopologyEdge,
  type TopologyGroup,
  type TopologyNode,
  type TopologyPort,
} from './model.js';
import { assertDrawable } from './size.js';

const selectorText = (labels: Labels): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

const protocolOf = (p: { protocol?: string }): string => p.protocol || 'TCP';

/** `http 8080/TCP -> 3005 · nodePort 31111` (`nodePort auto` when the API server would pick one). */
function servicePortLabel(p: ServicePort, nodePort: number | 'auto' | undefined): string {
  const name = p.name ? `${p.name} ` : '';
  const node = nodePort ? ` · nodePort ${nodePort}` : '';
  return `${name}${p.port}/${protocolOf(p)} -> ${p.targetPort ?? p.port}${node}`;
}

/** The Service -> pod link in the chain's words: `:80 -> http(8080)/TCP`, `:80 -> 8080/TCP`, `:80 -> web(?)/TCP`. */
export function endpointLabel(p: ServicePort, r: PortResolution): string {
  const target = p.targetPort ?? p.port;
  const shown = typeof target === 'number' ? String(target) : r.ok ? `${target}(${r.port})` : `${target}(?)`;
  return `:${p.port} -> ${shown}/${protocolOf(p)}`;
}

/** A pod's row label: its name and IP. */
function podLabel(pod: PodInstance): string {
  const ip = pod.pod.status?.podIP;
  return ip ? `${pod.name} ${ip}` : pod.name;
}

interface WorkloadKey {
  readonly kind: string;
  readonly name: string;
}

/**
 * The workload a pod belongs to: its owner for synthesised pods; for Pods of a cluster dump, the controller
 * ownerReference (a ReplicaSet named `<deployment>-<pod-template-hash>` counts as its Deployment); else itself.
 */
function workloadOf(pod: PodInstance): WorkloadKey {
  if (pod.synthesized) return { kind: pod.owner.kind, name: pod.owner.name };
  const refs = pod.pod.metadata.ownerReferences ?? [];
  const ctrl = refs.find((r) => r.controller) ?? refs[0];
  if (!ctrl?.kind || !ctrl.name) return { kind: 'Pod', name: pod.name };
  const hash = pod.pod.metadata.labels?.['pod-template-hash'];
  if (ctrl.kind === 'ReplicaSet' && hash && ctrl.name.endsWith(`-${hash}`))
    return { kind: 'Deployment', name: ctrl.name.slice(0, -(hash.length + 1)) };
  return { kind: ctrl.kind, name: ctrl.name };
}

/** Containers that serve traffic: spec.containers, then native sidecars (init, restartPolicy Always). */
function servingContainers(spec: PodSpec): { container: Container; init: boolean; index: number }[] {
  const out = (spec.containers ?? []).map((container, index) => ({ container, init: false, index }));
  (spec.initContainers ?? []).forEach((container, index) => {
    if (container.restartPolicy === 'Always') out.push({ container, init: true, index });
  });
  return out;
}

/** ConfigMaps and Secrets a container reads its environment from. */
function configRefs(c: Container): { kind: 'ConfigMap' | 'Secret'; name: string }[] {
  const out: { kind: 'ConfigMap' | 'Secret'; name: string }[] = [];
  for (const e of c.env ?? []) {
    const cm = e.valueFrom?.configMapKeyRef?.name;
    const sec = e.valueFrom?.secretKeyRef?.name;
    if (cm) out.push({ kind: 'ConfigMap', name: cm });
    if (sec) out.push({ kind: 'Secret', name: sec });
  }
  for (const e of c.envFrom ?? []) {
    if (e.configMapRef?.name) out.push({ kind: 'ConfigMap', name: e.configMapRef.name });
    if (e.secretRef?.name) out.push({ kind: 'Secret', name: e.secretRef.name });
  }
  return out;
}

interface WorkloadEntry {
  readonly node: TopologyNode;
  /** Container name -> its node. */
  readonly containers: Map<string, TopologyNode>;
  /** Set when the workload's pods are folded while building: the one row, and its pods in order. */
  readonly folded?: { readonly id: string; readonly pods: PodInstance[]; readonly findings: string[] };
}

/** A pod's row, as edges see it. */
interface PodRow {
  readonly entry: WorkloadEntry;
  readonly name: string;
  /** The row edges attach to: the pod's own, or its workload's folded row. */
  readonly portId: string;
  /** Folded: the pod's position among its workload's pods (orders the findings of the folded row). */
  rank: number;
  /**
   * Folded: the other end of every edge drawn to this pod so far (ids repeat with `~2`, `~3`...); past
   * EXACT_LIST of them, how many times each was one.
   */
  ends: string[] | Map<string, number> | undefined;
  /** Folded: container links drawn from this pod, as target and label pairs (one per target and label). */
  links: string[] | undefined;
}

/**
 * Every field at once, so that rows share one hidden class with room for all of them (fields added later
 * gave each of a dump's 150,000 rows a property array of its own).
 */
const newRow = (entry: WorkloadEntry, name: string, portId: string, rank: number): PodRow => ({
  entry,
  name,
  portId,
  rank,
  ends: undefined,
  links: undefined,
});

/** Past this many entries a row's list grows by push, not by copying. */
const EXACT_LIST = 16;

/**
 * Appends to a row's list. A short list is copied at its exact size (concat): a push reserves 16 more slots,
 * and a dump's rows hold two to four entries each (194 bytes a list of four pushed, 90 copied).
 */
function append(list: string[] | undefined, a: string, b?: string): string[] {
  if (!list) return b === undefined ? [a] : [a, b];
  if (list.length < EXACT_LIST) return b === undefined ? list.concat(a) : list.concat(a, b);
  if (b === undefined) list.push(a);
  else list.push(a, b);
  return list;
}

/**
 * Adds `other` to the row's ends; returns how many times it was one before. A long list becomes counts: a
 * pod that thousands of Services select was scanned once per Service (1,111 Services over the same 2,222
 * pods: 15 s of a 28 s `graph`).
 */
function addEnd(row: PodRow, other: string): number {
  const ends = row.ends;
  if (ends instanceof Map) {
    const n = ends.get(other) ?? 0;
    ends.set(other, n + 1);
    return n;
  }
  let repeats = 0;
  for (const x of ends ?? []) if (x === other) repeats++;
  if (ends && ends.length >= EXACT_LIST) {
    const counts = new Map<string, number>();
    for (const x of ends) counts.set(x, (counts.get(x) ?? 0) + 1);
    counts.set(other, repeats + 1);
    row.ends = counts;
  } else row.ends = append(ends, other);
  return repeats;
}

export interface BuildOptions {
  /**
   * The workloads whose pod rows are folded into one while building, given each workload node's pod count:
   * the result equals foldWorkloads (simplify.ts) on the whole topology, without a row and edges per pod.
   */
  readonly foldWorkloads?: (podCounts: ReadonlyMap<string, number>) => ReadonlySet<string>;
  /** The heap limit in bytes: a drawing that would not fit is refused first (size.ts). None: not checked. */
  readonly heapLimit?: number;
}

/** An edge drawn to a folded row, and how many of the whole topology's edges it stands for. */
interface MergedEdge {
  edge: TopologyEdge;
  count: number;
}

/** A container link a folded row's pod drew: the next pod alike draws the same one. */
interface DrawnLink {
  readonly to: string;
  readonly label: string;
  readonly merged: MergedEdge;
}

/** What one pod of a folded workload drew for one Service port (see serviceLinks). */
interface Repeat {
  readonly spec: PodSpec;
  readonly r: PortResolution;
  readonly endpoint: MergedEdge;
  /** null: the port resolved to no container to link (or did not resolve). */
  readonly link: DrawnLink | null;
}

/** FindPort found the same port in the same place (the endpoint label and the container link follow from it). */
function sameResolution(a: PortResolution, b: PortResolution): boolean {
  if (!a.ok || !b.ok) return a.ok === b.ok;
  return (
    a.port === b.port &&
    a.containerIndex === b.containerIndex &&
    a.portIndex === b.portIndex &&
    (a.init ?? false) === (b.init ?? false)
  );
}

/** Two pod specs' serving containers have the same names in the same places (container links go by name). */
function sameServing(a: PodSpec, b: PodSpec): boolean {
  if (a === b) return true;
  const sameNames = (x: readonly Container[], y: readonly Container[], sidecars: boolean): boolean => {
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) {
      const cx = x[i] as Container;
      const cy = y[i] as Container;
      if (cx.name !== cy.name) return false;
      if (sidecars && (cx.restartPolicy === 'Always') !== (cy.restartPolicy === 'Always')) return false;
    }
    return true;
  };
  return (
    sameNames(a.containers ?? [], b.containers ?? [], false) &&
    sameNames(a.initContainers ?? [], b.initContainers ?? [], true)
  );
}

class Builder {
  private readonly nodes = new Map<string, TopologyNode>();
  private readonly edges: TopologyEdge[] = [];
  private readonly edgeIds = new Set<string>();
  /** Pod row -> container links already drawn (one per target and port). */
  private readonly containerEdges = new Set<string>();
  private readonly namespaces: string[] = [];
  private readonly namespaceSet = new Set<string>();
  private readonly workloads = new Map<string, WorkloadEntry>();
  /** Namespace -> pod name -> its workload entry and row (a name listed twice: the last one). */
  private readonly podRows = new Map<string, Map<string, PodRow>>();
  /** Folded rows: edges that became one (foldWorkloads' merge key -> the edge). */
  private readonly merged = new Map<string, MergedEdge>();
  private folds: ReadonlySet<string> = new Set();
  private index = new FindingIndex();
  /** Kind -> `namespace\nname` -> the first manifest of that kind and name (workload owners). */
  private readonly byName = new Map<string, Map<string, Manifest>>();

  constructor(
    private readonly graph: ResolvedGraph,
    private readonly options: BuildOptions = {},
  ) {}

  build(findings: readonly Finding[]): Topology {
    // Registrations only for the objects the findings name: a dump's pods and containers need none.
    this.index = new FindingIndex(findings);
    this.addWorkloads();
    this.addIngresses();
    this.addServices();
    const nsIndex = new Map(this.namespaces.map((ns, i) => [ns, i]));
    const order = (n: TopologyNode) => (nsIndex.get(n.namespace) ?? 0) * 10 + LANES.indexOf(n.lane);
    const nodes = [...this.nodes.values()]
      .map((n, i) => ({ n, i }))
      .sort((a, b) => order(a.n) - order(b.n) || a.i - b.i)
      .map((x) => x.n);
    const groups = this.groups(nodes);
    for (const g of groups) this.index.add({ kind: 'Namespace', name: g.namespace }, '', '', [group(g.id)]);
    // As foldWorkloads merges them: the first edge stands for the others and says how many it stands for.
    for (const m of this.merged.values()) if (m.count > 1) (m.edge as { count?: number }).count = m.count;
    const topology: Topology = {
      version: 1,
      lanes: LANES.map((id) => ({ id, title: LANE_TITLES[id] })),
      groups,
      nodes,
      edges: this.edges,
      findings: [],
    };
    const out = attachFindings(topology, findings, this.index);
    if (this.folds.size === 0) return out;
    return { ...out, simplified: { workloads: this.folds.size, namespaces: [], chains: 0 } };
  }

  private addNode(
    n: Omit<TopologyNode, 'findings' | 'ports' | 'location'> & {
      ports?: TopologyPort[];
      locate?: () => SourceLocation;
    },
  ): TopologyNode {
    const existing = this.nodes.get(n.id);
    if (existing) return existing;
    const { locate, ports } = n;
    // Field by field, not `{ ...rest }`: V8 (Node 20) gives each object made by a spread and then given more
    // fields a hidden class of its own. Nodes and edges made so took 3.4 s and 0.3 GB more at bench/'s 4x dump.
    const node = {
      id: n.id,
      kind: n.kind,
      lane: n.lane,
      namespace: n.namespace,
      label: n.label,
      detail: n.detail,
    } as { -readonly [K in keyof TopologyNode]: TopologyNode[K] };
    if (n.workload !== undefined) node.workload = n.workload;
    if (n.object !== undefined) node.object = n.object;
    if (locate) {
      // Found when first read (JSON, the UI): a cluster dump's nodes mostly fold away unread, and each
      // lookup re-reads its object's text for positions. One getter for all nodes: a closure per node gave
      // each node a hidden class of its own (30,000 at bench/'s 1x dump).
      Object.defineProperty(node, LOCATE, { value: locate, writable: true });
      Object.defineProperty(node, 'location', LOCATION);
    }
    node.ports = ports ?? [];
    node.findings = [];
    if (n.count !== undefined) node.count = n.count;
    this.nodes.set(node.id, node);
    if (!this.namespaceSet.has(node.namespace)) {
      this.namespaceSet.add(node.namespace);
      this.namespaces.push(node.namespace);
    }
    return node;
  }

  private addEdge(e: Omit<TopologyEdge, 'id' | 'findings'>): TopologyEdge {
    const base = `${e.kind}:${e.sourcePort ?? e.source}->${e.targetPort ?? e.target}`;
    let id = base;
    for (let i = 2; this.edgeIds.has(id); i++) id = `${base}~${i}`;
    this.edgeIds.add(id);
    const edge = newEdge(e, id);
    this.edges.push(edge);
    return edge;
  }

  /**
   * An edge to or from a pod's row (`other` is its other end). When workloads fold, the edge the whole
   * topology has after foldWorkloads: edges alike but for their pod are one, which keeps the first one's id
   * (made from the unfolded pod row's id, `~N` numbering repeats as addEdge does) and counts the others.
   */
  private addRowEdge(e: Omit<TopologyEdge, 'id' | 'findings'>, row: PodRow, other: string): TopologyEdge {
    return this.folds.size === 0 ? this.addEdge(e) : this.mergeRowEdge(e, row, other).edge;
  }

  /** addRowEdge once workloads fold: the merged edge the row's edge became (new, or an earlier one counted). */
  private mergeRowEdge(e: Omit<TopologyEdge, 'id' | 'findings'>, row: PodRow, other: string): MergedEdge {
    const key = mergeKey(e);
    const m = this.merged.get(key);
    let id: () => string;
    if (row.entry.folded) {
      // Pod rows end in `#pod/<name>` and no other end does: only this pod's edges can share an id's base.
      const repeats = addEnd(row, other);
      id = () => {
        const podRow = `${row.entry.node.id}#pod/${row.name}`;
        const base =
          e.kind === 'endpoint' ? `${e.kind}:${other}->${podRow}` : `${e.kind}:${podRow}->${other}`;
        return repeats === 0 ? base : `${base}~${repeats + 1}`;
      };
    } else {
      // An unfolded row's edge takes its id even when it merges, as it did before foldWorkloads merged it.
      const base = `${e.kind}:${e.sourcePort ?? e.source}->${e.targetPort ?? e.target}`;
      let taken = base;
      for (let i = 2; this.edgeIds.has(taken); i++) taken = `${base}~${i}`;
      this.edgeIds.add(taken);
      id = () => taken;
    }
    if (m) {
      m.count++;
      return m;
    }
    const edge = newEdge(e, id());
    this.edges.push(edge);
    const made = { edge, count: 1 };
    this.merged.set(key, made);
    return made;
  }

  /**
   * What mergeRowEdge does for an edge of a folded row known to merge into `m` (the id is only made for a new
   * edge, so only the row's list of ends and the count change).
   */
  private countRowEdge(m: MergedEdge, row: PodRow, other: string): void {
    addEnd(row, other);
    m.count++;
  }

  private groups(nodes: readonly TopologyNode[]): TopologyGroup[] {
    const byNs = new Map<string, string[]>(this.namespaces.map((ns) => [ns, []]));
    for (const n of nodes) byNs.get(n.namespace)?.push(n.id);
    return this.namespaces.map((ns) => ({
      id: `namespace/${ns}`,
      kind: 'namespace',
      label: ns === '' ? 'cluster-scoped' : `namespace ${ns}`,
      namespace: ns,
      nodes: byNs.get(ns) ?? [],
      findings: [],
    }));
  }

  // ---- Pods (grouped by workload) and containers ----

  private addWorkloads(): void {
    // Each pod's workload first: which workloads fold depends on their number of pods.
    const keys = this.graph.pods.map(workloadOf);
    const counts = new Map<string, number>();
    const ids = this.graph.pods.map((pod, i) => {
      const key = keys[i] as WorkloadKey;
      const id = `workload/${pod.namespace}/${key.kind}/${key.name}`;
      counts.set(id, (counts.get(id) ?? 0) + 1);
      return id;
    });
    this.folds = this.options.foldWorkloads?.(counts) ?? this.folds;
    this.graph.pods.forEach((pod, i) => {
      const key = keys[i] as WorkloadKey;
      const id = ids[i] as string;
      let entry = this.workloads.get(id);
      if (!entry) {
        const owner = this.ownerManifest(pod, key);
        const node = this.addNode({
          id,
          kind: 'workload',
          lane: 'pods',
          namespace: pod.namespace,
          label: `${key.kind} ${key.name}`,
          detail: [],
          object: owner.ref,
          locate: locateLater(owner),
        });
        const folded = this.folds.has(id) ? { id: `${id}#pods`, pods: [], findings: [] } : undefined;
        entry = { node, containers: new Map(), ...(folded ? { folded } : {}) };
        this.workloads.set(id, entry);
        if (pod.synthesized) this.index.add(owner.ref, owner.source.file, '', [nodeT(id)]);
      }
      // Namespace, then name: no key string per pod.
      let rows = this.podRows.get(pod.namespace);
      if (!rows) {
        rows = new Map();
        this.podRows.set(pod.namespace, rows);
      }
      if (entry.folded) {
        // The pods, not their labels: the row's detail is written once, when every pod is in.
        const rank = entry.folded.pods.push(pod) - 1;
        // The same pod twice in one workload is one row id: its findings sit where the last of them is.
        const prev = rows.get(pod.name);
        const row: PodRow = prev?.entry === entry ? prev : newRow(entry, pod.name, entry.folded.id, rank);
        row.rank = rank;
        rows.set(pod.name, row);
        if (!pod.synthesized && this.index.wants(pod.owner.ref)) {
          const target: RankedTarget = { kind: 'port', id: entry.folded.id, order: row };
          this.index.add(pod.owner.ref, pod.owner.source.file, '', [target]);
        }
      } else {
        const ip = pod.pod.status?.podIP;
        const port: TopologyPort = {
          id: `${id}#pod/${pod.name}`,
          kind: 'pod',
          label: podLabel(pod),
          ...(ip ? { detail: `pod IP ${ip}` } : {}),
          findings: [],
        };
        entry.node.ports.push(port);
        rows.set(pod.name, newRow(entry, pod.name, port.id, 0));
        if (!pod.synthesized && this.index.wants(pod.owner.ref))
          this.index.add(pod.owner.ref, pod.owner.source.file, '', [portT(port.id)]);
      }
      this.addContainers(pod, entry);
    });
    for (const entry of this.workloads.values()) {
      const folded = entry.folded;
      if (!folded) {
        const n = entry.node.ports.length;
        Object.assign(entry.node, { count: n, detail: [`${n} ${n === 1 ? 'pod' : 'pods'}`] });
        continue;
      }
      // What foldWorkloads makes of the node: `Deployment web ×3`, one row listing the pods.
      const n = folded.pods.length;
      Object.assign(entry.node, {
        label: n > 1 ? `${entry.node.label} ×${n}` : entry.node.label,
        detail: [],
        count: n,
      });
      entry.node.ports.push({
        id: folded.id,
        kind: 'pods',
        label: `${n} ${n === 1 ? 'pod' : 'pods'}`,
        detail: folded.pods.map(podLabel).join(', '),
        findings: folded.findings,
      });
    }
  }

  /** The manifest a workload node stands for: the owner, else the workload named by the pods, else the pod. */
  private ownerManifest(pod: PodInstance, key: WorkloadKey): Manifest {
    if (pod.synthesized) return pod.owner;
    // Only the kinds pods name as owners are indexed (a dump's 150,000 Pods are not).
    let named = this.byName.get(key.kind);
    if (!named) {
      named = new Map();
      for (const m of this.graph.manifests) {
        if (m.kind !== key.kind) continue;
        const k = `${m.namespace}\n${m.name}`;
        if (!named.has(k)) named.set(k, m);
      }
      this.byName.set(key.kind, named);
    }
    return named.get(`${pod.namespace}\n${key.name}`) ?? pod.owner;
  }

  private addContainers(pod: PodInstance, entry: WorkloadEntry): void {
    const owner = pod.owner;
    const registers = this.index.wants(owner.ref);
    for (const { container, init, index } of servingContainers(pod.pod.spec)) {
      let node = entry.containers.get(container.name);
      if (!node) {
        node = this.containerNode(pod, entry, container, init);
        entry.containers.set(container.name, node);
        for (const ref of configRefs(container)) {
          this.index.add({ kind: ref.kind, namespace: pod.namespace, name: ref.name }, '', '', [
            nodeT(node.id),
          ]);
        }
      }
      if (!registers) continue;
      const field = pod.specPath
        .child(init ? 'initContainers' : 'containers')
        .index(index)
        .toString();
      const cid = node.id;
      this.index.add(owner.ref, owner.source.file, field, [nodeT(cid)]);
      (container.ports ?? []).forEach((_, j) => {
        this.index.add(owner.ref, owner.source.file, `${field}.ports[${j}]`, [portT(`${cid}#ports[${j}]`)]);
      });
    }
  }

  private containerNode(pod: PodInstance, entry: WorkloadEntry, c: Container, init: boolean): TopologyNode {
    const id = `container/${entry.node.id.slice('workload/'.length)}/${c.name}`;
    const ports: TopologyPort[] = (c.ports ?? []).map((p, j) => ({
      id: `${id}#ports[${j}]`,
      kind: 'container-port',
      label: `declares ${p.name ? `${p.name} ` : ''}${p.containerPort ?? '?'}/${protocolOf(p)}${p.hostPort ? ` · hostPort ${p.hostPort}` : ''}`,
      ...(p.containerPort !== undefined ? { port: p.containerPort } : {}),
      ...(p.name ? { name: p.name } : {}),
      protocol: protocolOf(p),
      findings: [],
    }));
    const listening = this.graph.listening(pod, c);
    listening.ports.forEach((l, j) => {
      const sure = l.confidence === 'certain' ? '' : ` (${l.confidence})`;
      ports.push({
        id: `${id}#listens[${j}]`,
        kind: 'listening',
        label: `listens ${l.host ? `${l.host}:` : ''}${l.port}/${l.protocol}${sure}`,
        detail: l.because,
        port: l.port,
        protocol: l.protocol,
        findings: [],
      });
    });
    const detail = [c.image ? `image ${c.image}` : 'no image'];
    if (init) detail.push('sidecar (init container, restartPolicy Always)');
    if (listening.ports.length === 0) detail.push('listening port unknown');
    return this.addNode({
      id,
      kind: 'container',
      lane: 'containers',
      namespace: pod.namespace,
      label: `container ${c.name}`,
      detail,
      workload: entry.node.id,
      object: entry.node.object ?? pod.owner.ref,
      locate: locateLater(
        pod.owner,
        pod.specPath.child(init ? 'initContainers' : 'containers').index(servingIndex(pod.pod.spec, c, init)),
      ),
      ports,
    });
  }

  // ---- Ingress ----

  private addIngresses(): void {
    const table = this.graph.ingress;
    // Each Ingress's routes and default backend, found once (a scan of the whole table per path is
    // O(paths x routes)).
    const routesOf = new Map<Manifest<'Ingress'>, IngressRoute[]>();
    for (const r of table.routes) {
      const list = routesOf.get(r.ingress);
      if (list) list.push(r);
      else routesOf.set(r.ingress, [r]);
    }
    const defaultOf = new Map<Manifest<'Ingress'>, IngressDefaultBackend>();
    for (const d of table.defaultBackends) if (!defaultOf.has(d.ingress)) defaultOf.set(d.ingress, d);
    for (const ing of this.graph.ofKind('Ingress')) {
      const id = `ingress/${ing.namespace}/${ing.name}`;
      if (this.nodes.has(id)) continue;
      const { className } = effectiveIngressClass(ing, null);
      const node = this.addNode({
        id,
        kind: 'ingress',
        lane: 'ingress',
        namespace: ing.namespace,
        label: `Ingress ${ing.name}`,
        detail: [className ? `class ${className}` : 'no class'],
        object: ing.ref,
        locate: locateLater(ing),
      });
      this.index.add(ing.ref, ing.source.file, '', [nodeT(id)]);
      if (className) this.index.add({ kind: 'IngressClass', name: className }, '', '', [nodeT(id)]);
      (ing.object.spec?.rules ?? []).forEach((rule, ri) => {
        (rule.http?.paths ?? []).forEach((p, pi) => {
          const route = routesOf.get(ing)?.find((r) => r.ruleIndex === ri && r.pathIndex === pi);
          const host = rule.host || '*';
          const port: TopologyPort = {
            id: `${id}#rules[${ri}].paths[${pi}]`,
            kind: 'route',
            label: route
              ? `${host}${route.path} (${route.pathType})`
              : `${host}${p.path ?? ''} (not routed: invalid path)`,
            findings: [],
          };
          node.ports.push(port);
          const field = `spec.rules[${ri}].http.paths[${pi}]`;
          const edge = route ? this.backendEdge(ing, route.backend, node, port) : undefined;
          this.index.add(ing.ref, ing.source.file, field, [edge ? edgeT(edge.id) : portT(port.id)]);
        });
      });
      const dflt = defaultOf.get(ing);
      if (dflt) {
        const port: TopologyPort = {
          id: `${id}#defaultBackend`,
          kind: 'default-backend',
          label: 'default backend',
          findings: [],
        };
        node.ports.push(port);
        const edge = this.backendEdge(ing, dflt.backend, node, port);
        this.index.add(ing.ref, ing.source.file, dflt.field.toString(), [
          edge ? edgeT(edge.id) : portT(port.id),
        ]);
      }
    }
  }

  /** The route's link to its backend, resolved as networking/v1 defines it (ServiceBackendPort). */
  private backendEdge(
    ing: Manifest<'Ingress'>,
    backend: IngressBackend,
    node: TopologyNode,
    port: TopologyPort,
  ): TopologyEdge | undefined {
    const from = { source: node.id, sourcePort: port.id, kind: 'route' as const };
    const ref = backend.service;
    if (!ref?.name) {
      const r = backend.resource;
      if (!r) return undefined;
      const target = this.addNode({
        id: `external/resource/${ing.namespace}/${r.kind ?? '?'}/${r.name ?? '?'}`,
        kind: 'external',
        lane: 'service',
        namespace: ing.namespace,
        label: `${r.kind ?? 'resource'} ${r.name ?? '?'}`,
        detail: ['resource backend (not a Service)'],
      });
      return this.addEdge({ ...from, target: target.id, label: 'resource' });
    }
    const want = ref.port?.name ?? (ref.port?.number !== undefined ? `:${ref.port.number}` : '(no port)');
    const res = resolveIngressBackend(ing.namespace, backend, this.graph.ingressEnv);
    if (!res.service) {
      const target = this.addNode({
        id: `missing/service/${ing.namespace}/${ref.name}`,
        kind: 'missing',
        lane: 'service',
        namespace: ing.namespace,
        label: `Service ${ref.name}`,
        detail: [`not found in namespace ${ing.namespace}`],
      });
      return this.addEdge({ ...from, target: target.id, label: want });
    }
    const svcId = `service/${res.service.namespace}/${res.service.name}`;
    const k = res.servicePortIndex;
    const sp = res.servicePort;
    if (k === undefined || !sp) {
      return this.addEdge({ ...from, target: svcId, label: `${want} (no such Service port)` });
    }
    const label = ref.port?.name
      ? `${ref.port.name}(${sp.port})/${protocolOf(sp)}`
      : `:${sp.port}/${protocolOf(sp)}`;
    return this.addEdge({
      ...from,
      target: svcId,
      targetPort: `${svcId}#ports[${k}]`,
      label,
      protocol: protocolOf(sp),
    });
  }

  // ---- Services and their endpoints ----

  private addServices(): void {
    // Ports the API server would give a node port, per Service (a scan of every allocation per Service is
    // O(Services x NodePorts)).
    const autoNodePorts = new Map<Manifest<'Service'>, Set<number>>();
    for (const a of this.graph.nodePorts.allocations) {
      const set = autoNodePorts.get(a.service);
      if (set) set.add(a.portIndex);
      else autoNodePorts.set(a.service, new Set([a.portIndex]));
    }
    for (const view of this.graph.services) {
      const svc = view.service;
      const id = `service/${svc.namespace}/${svc.name}`;
      if (this.nodes.has(id)) continue;
      const spec = svc.object.spec;
      const type = spec.type ?? 'ClusterIP';
      const headless = spec.clusterIP === 'None' ? ' (headless)' : '';
      const detail = [`${type}${headless}`];
      if (view.hasSelector && spec.selector) detail.push(`selector ${selectorText(spec.selector)}`);
      else if (type !== 'ExternalName') detail.push('no selector');
      const nodePorts = autoNodePorts.get(svc);
      const ports: TopologyPort[] = (spec.ports ?? []).map((p, k) => ({
        id: `${id}#ports[${k}]`,
        kind: 'service-port',
        label: servicePortLabel(p, p.nodePort ?? (nodePorts?.has(k) ? 'auto' : undefined)),
        port: p.port,
        ...(p.name ? { name: p.name } : {}),
        protocol: protocolOf(p),
        findings: [],
      }));
      const node = this.addNode({
        id,
        kind: 'service',
        lane: 'service',
        namespace: svc.namespace,
        label: `Service ${svc.name}`,
        detail,
        object: svc.ref,
        locate: locateLater(svc),
        ports,
      });
      this.index.add(svc.ref, svc.source.file, '', [nodeT(id)]);
      this.index.add({ kind: 'Endpoints', namespace: svc.namespace, name: svc.name }, '', '', [nodeT(id)]);
      ports.forEach((p, k) => {
        this.index.add(svc.ref, svc.source.file, `spec.ports[${k}]`, [portT(p.id)]);
      });
      this.serviceLinks(view, node);
    }
    for (const slice of this.graph.ofKind('EndpointSlice')) {
      const owner = slice.object.metadata.labels?.['kubernetes.io/service-name'];
      const id = `service/${slice.namespace}/${owner}`;
      if (owner && this.nodes.has(id)) this.index.add(slice.ref, slice.source.file, '', [nodeT(id)]);
    }
  }

  private serviceLinks(view: ServiceView, node: TopologyNode): void {
    const svc = view.service;
    const spec = svc.object.spec;
    if (spec.type === 'ExternalName') {
      const target = this.addNode({
        id: `external/name/${svc.namespace}/${svc.name}`,
        kind: 'external',
        lane: 'pods',
        namespace: svc.namespace,
        label: `externalName ${spec.externalName ?? '(none)'}`,
        detail: ['DNS CNAME, outside the cluster objects'],
      });
      const e = this.addEdge({ kind: 'external', source: node.id, target: target.id, label: 'CNAME' });
      this.index.add(svc.ref, svc.source.file, 'spec.externalName', [edgeT(e.id)]);
      return;
    }
    if (!view.hasSelector) {
      this.selectorlessLink(view, node);
      return;
    }
    if (view.selected.length === 0) {
      const target = this.addNode({
        id: `missing/pods/${svc.namespace}/${svc.name}`,
        kind: 'missing',
        lane: 'pods',
        namespace: svc.namespace,
        label: 'no Pod',
        detail: [`matches ${selectorText(spec.selector ?? {})}`],
      });
      const e = this.addEdge({
        kind: 'selector',
        source: node.id,
        target: target.id,
        label: `selector ${selectorText(spec.selector ?? {})}`,
      });
      this.index.add(svc.ref, svc.source.file, 'spec.selector', [edgeT(e.id)]);
      return;
    }
    const byPort = new Map<number, FindingTarget[]>();
    const ports = spec.ports ?? [];
    // Per folded workload and Service port, the last pod's links: the next pod resolving the port alike
    // (same result, same serving containers) only adds to their counts, without drawing them again.
    const repeats = new Map<WorkloadEntry, (Repeat | undefined)[]>();
    for (const pod of view.selected) {
      const row = this.podRows.get(pod.namespace)?.get(pod.name);
      if (!row) continue;
      let containers: ReturnType<typeof servingContainers> | undefined;
      const serving = () => {
        containers ??= servingContainers(pod.pod.spec);
        return containers;
      };
      const podSpec = pod.pod.spec;
      let last: (Repeat | undefined)[] | undefined;
      if (row.entry.folded) {
        last = repeats.get(row.entry);
        if (!last) {
          last = [];
          repeats.set(row.entry, last);
        }
      }
      ports.forEach((p, k) => {
        const r = findPort(podSpec, p);
        const sourcePort = node.ports[k]?.id ?? `${node.id}#ports[${k}]`;
        const before = last?.[k];
        if (before && sameResolution(before.r, r) && (!r.ok || sameServing(before.spec, podSpec))) {
          this.countRowEdge(before.endpoint, row, sourcePort);
          if (before.link && this.linkOnce(row, before.link.to, before.link.label))
            this.countRowEdge(before.link.merged, row, before.link.to);
          return;
        }
        const drawn = this.edges.length;
        const e: Omit<TopologyEdge, 'id' | 'findings'> = {
          kind: 'endpoint',
          source: node.id,
          sourcePort,
          target: row.entry.node.id,
          targetPort: row.portId,
          label: endpointLabel(p, r),
          protocol: protocolOf(p),
        };
        const merged = last ? this.mergeRowEdge(e, row, sourcePort) : undefined;
        const edge = merged ? merged.edge : this.addRowEdge(e, row, sourcePort);
        // A folded edge already listed (it stands for an earlier pod's) is not listed again.
        if (this.edges.length > drawn) {
          const list = byPort.get(k);
          if (list) list.push(edgeT(edge.id));
          else byPort.set(k, [edgeT(edge.id)]);
        }
        const link = r.ok ? this.containerLink(serving(), row, r, protocolOf(p)) : null;
        // A link this pod had already drawn (undefined) says nothing of the next pod's: nothing to repeat.
        if (last && merged && link !== undefined) last[k] = { spec: podSpec, r, endpoint: merged, link };
      });
    }
    for (const [k, targets] of byPort)
      this.index.add(svc.ref, svc.source.file, `spec.ports[${k}].targetPort`, targets);
  }

  /** A selectorless Service: whatever hand-written Endpoints or EndpointSlices say. */
  private selectorlessLink(view: ServiceView, node: TopologyNode): void {
    const svc = view.service;
    const addresses = view.slices.flatMap((s) => s.endpoints.flatMap((e) => e.addresses));
    const shown =
      addresses.slice(0, 3).join(', ') + (addresses.length > 3 ? ` +${addresses.length - 3}` : '');
    const target = this.addNode(
      addresses.length > 0
        ? {
            id: `external/endpoints/${svc.namespace}/${svc.name}`,
            kind: 'external',
            lane: 'pods',
            namespace: svc.namespace,
            label: 'endpoints',
            detail: [shown],
          }
        : {
            id: `missing/endpoints/${svc.namespace}/${svc.name}`,
            kind: 'missing',
            lane: 'pods',
            namespace: svc.namespace,
            label: 'no endpoints',
            detail: ['selectorless Service; no Endpoints or EndpointSlice in the input'],
          },
    );
    this.addEdge({ kind: 'external', source: node.id, target: target.id, label: 'hand-written endpoints' });
  }

  /** Pod -> the container that serves the resolved port (FindPort's container, else the one listening). */
  private containerLink(
    serving: ReturnType<typeof servingContainers>,
    row: PodRow,
    r: Extract<PortResolution, { ok: true }>,
    protocol: string,
  ): DrawnLink | null | undefined {
    let target: { node: TopologyNode; port?: string } | undefined;
    if (r.containerIndex !== undefined) {
      const c = serving.find((s) => s.index === r.containerIndex && s.init === (r.init ?? false));
      const node = c && row.entry.containers.get(c.container.name);
      // Declared ports are the node's first rows, `#ports[j]` at j: reuse the row's id string.
      const declared = r.portIndex === undefined ? undefined : node?.ports[r.portIndex];
      if (node)
        target = {
          node,
          port: declared?.kind === 'container-port' ? declared.id : `${node.id}#ports[${r.portIndex}]`,
        };
    }
    if (!target) {
      for (const s of serving) {
        const node = row.entry.containers.get(s.container.name);
        const l = node?.ports.find(
          (p) => p.kind === 'listening' && p.port === r.port && p.protocol === protocol,
        );
        if (node && l) {
          target = { node, port: l.id };
          break;
        }
      }
    }
    if (!target && serving.length === 1 && serving[0]) {
      const node = row.entry.containers.get(serving[0].container.name);
      if (node) target = { node };
    }
    if (!target) return null;
    const label = `${r.port}/${protocol}`;
    const to = target.port ?? target.node.id;
    if (row.entry.folded) {
      if (!this.linkOnce(row, to, label)) return undefined;
    } else {
      const key = `${row.portId}\n${to}\n${label}`;
      if (this.containerEdges.has(key)) return undefined;
      this.containerEdges.add(key);
    }
    const e: Omit<TopologyEdge, 'id' | 'findings'> = {
      kind: 'container',
      source: row.entry.node.id,
      sourcePort: row.portId,
      target: target.node.id,
      ...(target.port ? { targetPort: target.port } : {}),
      label,
      protocol,
    };
    if (!row.entry.folded) {
      this.addRowEdge(e, row, to);
      return undefined;
    }
    return { to, label, merged: this.mergeRowEdge(e, row, to) };
  }

  /** A folded row's pod links to `to` with `label` once, as an unfolded row would (pairs: target, label). */
  private linkOnce(row: PodRow, to: string, label: string): boolean {
    const links = row.links ?? [];
    for (let i = 0; i < links.length; i += 2) if (links[i] === to && links[i + 1] === label) return false;
    row.links = append(row.links, to, label);
    return true;
  }
}

function servingIndex(spec: PodSpec, c: Container, init: boolean): number {
  return (init ? (spec.initContainers ?? []) : (spec.containers ?? [])).indexOf(c);
}

/** A node's `locate` function, then the location it found (non-enumerable: spreads and JSON skip it). */
const LOCATE = Symbol('locate');

function locationOnce(this: { [LOCATE]: (() => SourceLocation) | SourceLocation }): SourceLocation {
  const v = this[LOCATE];
  if (typeof v !== 'function') return v;
  const at = v();
  this[LOCATE] = at;
  return at;
}

const LOCATION: PropertyDescriptor = { enumerable: true, get: locationOnce };

/**
 * A node's location, looked up when read. Made out here so that the closure holds the manifest and path only,
 * not the builder's scope (which would keep every pod's row alive with the nodes).
 */
const locateLater =
  (m: Manifest, path?: FieldPath): (() => SourceLocation) =>
  () =>
    m.source.locate(path);

/**
 * An edge with `id`, field by field in one order, kind first (a spread of `e` and two more fields gave each
 * edge a hidden class of its own: see addNode).
 */
function newEdge(e: Omit<TopologyEdge, 'id' | 'findings'>, id: string): TopologyEdge {
  const edge = { kind: e.kind, source: e.source } as { -readonly [K in keyof TopologyEdge]: TopologyEdge[K] };
  if (e.sourcePort !== undefined) edge.sourcePort = e.sourcePort;
  edge.target = e.target;
  if (e.targetPort !== undefined) edge.targetPort = e.targetPort;
  edge.label = e.label;
  if (e.protocol !== undefined) edge.protocol = e.protocol;
  edge.id = id;
  edge.findings = [];
  if (e.count !== undefined) edge.count = e.count;
  return edge;
}

/** foldWorkloads' key (simplify.ts mergeEdges): edges alike in all but their id and findings are one. */
const mergeKey = (e: Omit<TopologyEdge, 'id' | 'findings'>): string =>
  [e.kind, e.source, e.sourcePort, e.target, e.targetPort, e.label].join('\n');

const nodeT = (id: string): FindingTarget => ({ kind: 'node', id });
const portT = (id: string): FindingTarget => ({ kind: 'port', id });
const edgeT = (id: string): FindingTarget => ({ kind: 'edge', id });
const group = (id: string): FindingTarget => ({ kind: 'group', id });

/**
 * The whole topology of the input, with every finding attached where it is drawn; `options.foldWorkloads`
 * folds workloads' pods while building (see simplify.ts buildSimplifiedTopology).
 */
export function buildTopology(
  graph: ResolvedGraph,
  findings: readonly Finding[],
  options: BuildOptions = {},
): Topology {
  if (options.heapLimit !== undefined) assertDrawable(graph, options.heapLimit);
  return new Builder(graph, options).build(findings);
}
