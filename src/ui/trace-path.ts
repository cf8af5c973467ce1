/**
 * Which drawn elements a trace goes through. The trace names objects and fields (`Service web spec.ports[0]`,
 * `Ingress shop spec.rules[0].http.paths[1]`); those become the rows of the topology model, and from there the
 * path follows the model's own edges (route -> Service port -> the endpoint pods -> the container serving
 * the endpoint port), so the highlight is exactly what `graph` draws for the links the trace followed.
 */
import type { ObjectRef } from '../model/finding.js';
import { indexTopology, type Topology } from '../topology/model.js';
import type { TraceHop, TraceResult } from '../trace/model.js';
import type { TracePath } from './api.js';

interface Elements {
  readonly nodes: string[];
  readonly ports: string[];
}

const sameObject = (a: ObjectRef | undefined, b: ObjectRef | null): boolean =>
  !!a && !!b && a.kind === b.kind && (a.namespace ?? '') === (b.namespace ?? '') && a.name === b.name;

/** The node and row an object and field are drawn as (Ingress paths, Service ports, workloads). */
function elementsOf(t: Topology, object: ObjectRef | null, field: string | null): Elements {
  const out: Elements = { nodes: [], ports: [] };
  if (!object) return out;
  const ns = object.namespace ?? '';
  if (object.kind === 'Ingress') {
    const id = `ingress/${ns}/${object.name}`;
    out.nodes.push(id);
    const route = /^spec\.rules\[(\d+)\]\.http\.paths\[(\d+)\]/.exec(field ?? '');
    if (route) out.ports.push(`${id}#rules[${route[1]}].paths[${route[2]}]`);
    else if (field?.startsWith('spec.defaultBackend')) out.ports.push(`${id}#defaultBackend`);
    return out;
  }
  if (object.kind === 'Service') {
    const id = `service/${ns}/${object.name}`;
    out.nodes.push(id);
    const port = /^spec\.ports\[(\d+)\]/.exec(field ?? '');
    if (port) out.ports.push(`${id}#ports[${port[1]}]`);
    return out;
  }
  for (const n of t.nodes) if (n.kind === 'workload' && sameObject(n.object, object)) out.nodes.push(n.id);
  return out;
}

const podOfRow = (portId: string): string | undefined => /#pod\/(.+)$/.exec(portId)?.[1];

export function tracePath(t: Topology, trace: TraceResult): TracePath {
  const ix = indexTopology(t);
  const nodes = new Set<string>();
  const ports = new Set<string>();
  const edges = new Set<string>();
  const present = (e: Elements) => ({
    nodes: e.nodes.filter((id) => ix.node.has(id)),
    ports: e.ports.filter((id) => ix.portNode.has(id)),
  });
  const take = (e: Elements) => {
    for (const id of e.nodes) nodes.add(id);
    for (const id of e.ports) ports.add(id);
  };
  const entry = (h: TraceHop) => h.kind === 'ingress' || h.kind === 'service-port' || h.kind === 'backend';
  for (const hop of trace.hops) if (entry(hop)) take(present(elementsOf(t, hop.object, hop.field)));

  // Endpoints the proxy may use: their pods, and the ports they serve (the resolved targetPort).
  const endpointPods = new Set(trace.endpoints.flatMap((e) => (e.pod ? [e.pod] : [])));
  const endpointPorts = new Set(trace.endpoints.flatMap((e) => (e.port === null ? [] : [e.port])));

  // Follow the model's edges out of the rows reached, lane by lane (each edge moves one lane right).
  const frontier = [...nodes];
  const seen = new Set<string>();
  while (frontier.length > 0) {
    const id = frontier.shift() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    const node = ix.node.get(id);
    if (!node) continue;
    const hasRow = node.ports.some((p) => ports.has(p.id));
    for (const e of ix.outgoing(id)) {
      if (e.sourcePort ? !ports.has(e.sourcePort) : hasRow && e.kind !== 'selector' && e.kind !== 'external')
        continue;
      if (e.kind === 'endpoint' && endpointPods.size > 0 && e.targetPort) {
        const pod = podOfRow(e.targetPort);
        if (pod !== undefined && !endpointPods.has(pod)) continue;
      }
      if (e.kind === 'container' && endpointPorts.size > 0) {
        const port = Number(/^(\d+)\//.exec(e.label)?.[1]);
        if (!endpointPorts.has(port)) continue;
      }
      edges.add(e.id);
      nodes.add(e.target);
      if (e.targetPort) ports.add(e.targetPort);
      frontier.push(e.target);
    }
  }

  const broken: string[] = [];
  const at = trace.brokenAt;
  if (at) {
    const hop = trace.hops[at.hop];
    const own = present(elementsOf(t, at.object, at.field));
    if (hop?.kind === 'ingress-backend' || hop?.kind === 'service-port') {
      // The link leaving the element: the route edge, or the endpoint edges of the Service port.
      for (const id of edges) {
        const e = ix.edge.get(id);
        if (e?.sourcePort && own.ports.includes(e.sourcePort)) broken.push(id);
      }
    }
    if (hop?.kind === 'container' || hop?.kind === 'process') {
      for (const id of nodes) if (ix.node.get(id)?.kind === 'container') broken.push(id);
    }
    if (broken.length === 0) broken.push(...(own.ports.length > 0 ? own.ports : own.nodes));
  }
  return { nodes: [...nodes], ports: [...ports], edges: [...edges], broken };
}
