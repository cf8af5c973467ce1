/**
 * Builds the topology model from the resolved graph: every semantic comes from src/semantics (ingress routes
 * and backend resolution, Service selection, FindPort, the listening inference); this file only arranges them
 * into lanes, rows and labelled edges, then attaches each finding to the element its object and field name.
 */
import type { Finding } from '../model/finding.js';
import type { Manifest } from '../model/load.js';
import type { Container, IngressBackend, Labels, PodSpec, ServicePort } from '../model/types.js';
import type { ResolvedGraph, ServiceView } from '../semantics/graph.js';
import { effectiveIngressClass, resolveIngressBackend } from '../semantics/ingress.js';
import { findPort, type PortResolution } from '../semantics/named-ports.js';
import type { PodInstance } from '../semantics/workloads.js';
import { attachFindings, FindingIndex } from './attach.js';
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
  /** Pod name (namespace/name) -> its workload entry and row. */
  private readonly podRows = new Map<string, { entry: WorkloadEntry; port: TopologyPort }>();
  readonly index = new FindingIndex();
  private byName: Map<string, Manifest> | undefined;

  constructor(private readonly graph: ResolvedGraph) {}

  build(findings: readonly Finding[]): Topology {
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
    const topology: Topology = {
      version: 1,
      lanes: LANES.map((id) => ({ id, title: LANE_TITLES[id] })),
      groups,
      nodes,
      edges: this.edges,
      findings: [],
    };
    return attachFindings(topology, findings, this.index);
  }

  private addNode(n: Omit<TopologyNode, 'findings' | 'ports'> & { ports?: TopologyPort[] }): TopologyNode {
    const existing = this.nodes.get(n.id);
    if (existing) return existing;
    const node: TopologyNode = { ...n, ports: n.ports ?? [], findings: [] };
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
    const edge: TopologyEdge = { ...e, id, findings: [] };
    this.edges.push(edge);
    return edge;
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
    for (const pod of this.graph.pods) {
      const key = workloadOf(pod);
      const id = `workload/${pod.namespace}/${key.kind}/${key.name}`;
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
          location: owner.source.locate(),
        });
        entry = { node, containers: new Map() };
        this.workloads.set(id, entry);
        if (pod.synthesized) this.index.add(owner.ref, owner.source.file, '', [nodeT(id)]);
      }
      const ip = pod.pod.status?.podIP;
      const port: TopologyPort = {
        id: `${id}#pod/${pod.name}`,
        kind: 'pod',
        label: ip ? `${pod.name} ${ip}` : pod.name,
        ...(ip ? { detail: `pod IP ${ip}` } : {}),
        findings: [],
      };
      entry.node.ports.push(port);
      this.podRows.set(`${pod.namespace}/${pod.name}`, { entry, port });
      if (!pod.synthesized) this.index.add(pod.owner.ref, pod.owner.source.file, '', [portT(port.id)]);
      this.addContainers(pod, entry);
    }
    for (const entry of this.workloads.values()) {
      const n = entry.node.ports.length;
      Object.assign(entry.node, { count: n, detail: [`${n} ${n === 1 ? 'pod' : 'pods'}`] });
    }
  }

  /** The manifest a workload node stands for: the owner, else the workload named by the pods, else the pod. */
  private ownerManifest(pod: PodInstance, key: WorkloadKey): Manifest {
    if (pod.synthesized) return pod.owner;
    if (!this.byName) {
      this.byName = new Map();
      for (const m of this.graph.manifests) {
        const k = `${m.kind}\n${m.namespace}\n${m.name}`;
        if (!this.byName.has(k)) this.byName.set(k, m);
      }
    }
    return this.byName.get(`${key.kind}\n${pod.namespace}\n${key.name}`) ?? pod.owner;
  }

  private addContainers(pod: PodInstance, entry: WorkloadEntry): void {
    const owner = pod.owner;
    for (const { container, init, index } of servingContainers(pod.pod.spec)) {
      const field = pod.specPath
        .child(init ? 'initContainers' : 'containers')
        .index(index)
        .toString();
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
      location: pod.owner.source.locate(
        pod.specPath.child(init ? 'initContainers' : 'containers').index(servingIndex(pod.pod.spec, c, init)),
      ),
      ports,
    });
  }

  // ---- Ingress ----

  private addIngresses(): void {
    const table = this.graph.ingress;
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
        location: ing.source.locate(),
      });
      this.index.add(ing.ref, ing.source.file, '', [nodeT(id)]);
      if (className) this.index.add({ kind: 'IngressClass', name: className }, '', '', [nodeT(id)]);
      (ing.object.spec?.rules ?? []).forEach((rule, ri) => {
        (rule.http?.paths ?? []).forEach((p, pi) => {
          const route = table.routes.find(
            (r) => r.ingress === ing && r.ruleIndex === ri && r.pathIndex === pi,
          );
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
      const dflt = table.defaultBackends.find((d) => d.ingress === ing);
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
      const nodePorts = this.graph.nodePorts.allocations.filter((a) => a.service === svc);
      const ports: TopologyPort[] = (spec.ports ?? []).map((p, k) => ({
        id: `${id}#ports[${k}]`,
        kind: 'service-port',
        label: servicePortLabel(
          p,
          p.nodePort ?? (nodePorts.some((a) => a.portIndex === k) ? 'auto' : undefined),
        ),
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
        location: svc.source.locate(),
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
    for (const pod of view.selected) {
      const row = this.podRows.get(`${pod.namespace}/${pod.name}`);
      if (!row) continue;
      (spec.ports ?? []).forEach((p, k) => {
        const r = findPort(pod.pod.spec, p);
        const e = this.addEdge({
          kind: 'endpoint',
          source: node.id,
          sourcePort: `${node.id}#ports[${k}]`,
          target: row.entry.node.id,
          targetPort: row.port.id,
          label: endpointLabel(p, r),
          protocol: protocolOf(p),
        });
        byPort.set(k, [...(byPort.get(k) ?? []), edgeT(e.id)]);
        if (r.ok) this.containerLink(pod, row, r, protocolOf(p));
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
    pod: PodInstance,
    row: { entry: WorkloadEntry; port: TopologyPort },
    r: Extract<PortResolution, { ok: true }>,
    protocol: string,
  ): void {
    const serving = servingContainers(pod.pod.spec);
    let target: { node: TopologyNode; port?: string } | undefined;
    if (r.containerIndex !== undefined) {
      const c = serving.find((s) => s.index === r.containerIndex && s.init === (r.init ?? false));
      const node = c && row.entry.containers.get(c.container.name);
      if (node) target = { node, port: `${node.id}#ports[${r.portIndex}]` };
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
    if (!target) return;
    const label = `${r.port}/${protocol}`;
    const key = `${row.port.id}\n${target.port ?? target.node.id}\n${label}`;
    if (this.containerEdges.has(key)) return;
    this.containerEdges.add(key);
    this.addEdge({
      kind: 'container',
      source: row.entry.node.id,
      sourcePort: row.port.id,
      target: target.node.id,
      ...(target.port ? { targetPort: target.port } : {}),
      label,
      protocol,
    });
  }
}

function servingIndex(spec: PodSpec, c: Container, init: boolean): number {
  return (init ? (spec.initContainers ?? []) : (spec.containers ?? [])).indexOf(c);
}

const nodeT = (id: string): FindingTarget => ({ kind: 'node', id });
const portT = (id: string): FindingTarget => ({ kind: 'port', id });
const edgeT = (id: string): FindingTarget => ({ kind: 'edge', id });
const group = (id: string): FindingTarget => ({ kind: 'group', id });

/** The whole topology of the input, with every finding attached where it is drawn. */
export function buildTopology(graph: ResolvedGraph, findings: readonly Finding[]): Topology {
  return new Builder(graph).build(findings);
}
