/**
 * Live traffic of `portchain up --ui` on the drawn elements: the counters of src/runtime/stats.ts (one snapshot
 * a second) become rates on Service port rows and the edges leaving them (connections per second, per endpoint
 * pod), and on Ingress path rows (requests per second); endpoints that are not ready are listed so the page
 * draws them red.
 */
import type { IngressPathTraffic, ServicePortTraffic, TrafficSnapshot } from '../runtime/stats.js';
import type { ResolvedGraph } from '../semantics/graph.js';
import { indexTopology, type Topology, type TopologyIndex } from '../topology/model.js';
import type { LiveCounter, TrafficPayload } from './api.js';

/** A pod's loopback address in the running plan (what byEndpoint keys carry). */
export interface PodAddress {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
}

/** Whether a pod's endpoint is ready now. */
export interface PodReadiness {
  readonly namespace: string;
  readonly pod: string;
  readonly ready: boolean;
}

const rate = (now: number, before: number | undefined, seconds: number): number =>
  before === undefined || seconds <= 0 ? 0 : Math.max(0, (now - before) / seconds);

const round = (n: number) => Math.round(n * 10) / 10;

/** Pod rows by `namespace/pod`. */
function podRows(t: Topology): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of t.nodes) {
    if (n.kind !== 'workload') continue;
    for (const p of n.ports) {
      const pod = /#pod\/(.+)$/.exec(p.id)?.[1];
      if (pod) out.set(`${n.namespace}/${pod}`, p.id);
    }
  }
  return out;
}

function servicePortRow(ix: TopologyIndex, s: ServicePortTraffic): string | undefined {
  const node = ix.node.get(`service/${s.namespace}/${s.name}`);
  return node?.ports.find((p) => p.port === s.port && (p.protocol ?? 'TCP') === s.protocol)?.id;
}

function ingressRow(graph: ResolvedGraph, p: IngressPathTraffic): string | undefined {
  const r = graph.ingress.routes.find(
    (r) =>
      r.ingress.namespace === p.namespace &&
      r.ingress.name === p.name &&
      (r.host ?? '') === (p.host === '*' ? '' : p.host) &&
      r.path === p.path,
  );
  return r && `ingress/${p.namespace}/${p.name}#rules[${r.ruleIndex}].paths[${r.pathIndex}]`;
}

export interface LiveInput {
  readonly topology: Topology;
  readonly graph: ResolvedGraph;
  readonly now: TrafficSnapshot | null;
  readonly before: TrafficSnapshot | null;
  readonly pods: readonly PodAddress[];
  readonly readiness: readonly PodReadiness[];
}

export function trafficPayload(input: LiveInput): TrafficPayload {
  const { topology: t, now, before } = input;
  const ix = indexTopology(t);
  const rows = podRows(t);
  const edges: Record<string, LiveCounter> = {};
  const ports: Record<string, LiveCounter> = {};
  const seconds = now && before ? (now.at - before.at) / 1000 : 0;
  const podByIp = new Map(input.pods.map((p) => [p.ip, `${p.namespace}/${p.name}`]));
  const key = (s: { namespace: string; name: string }, extra: string | number) =>
    `${s.namespace}/${s.name}/${extra}`;
  const prevServices = new Map((before?.services ?? []).map((s) => [key(s, `${s.port}/${s.protocol}`), s]));
  const prevIngress = new Map((before?.ingress ?? []).map((p) => [key(p, `${p.host}${p.path}`), p]));

  for (const s of now?.services ?? []) {
    const row = servicePortRow(ix, s);
    if (!row) continue;
    const prev = prevServices.get(key(s, `${s.port}/${s.protocol}`));
    ports[row] = {
      connectionsPerSecond: round(rate(s.total, prev?.total, seconds)),
      active: s.active,
      failedPerSecond: round(rate(s.failed, prev?.failed, seconds)),
    };
    // Per endpoint pod: the connections kube-proxy sent there.
    const perPod = new Map<string, number>();
    for (const [endpoint, count] of Object.entries(s.byEndpoint)) {
      const ip = endpoint.slice(0, endpoint.lastIndexOf(':'));
      const pod = podByIp.get(ip);
      if (!pod) continue;
      const was = prev?.byEndpoint[endpoint];
      perPod.set(pod, (perPod.get(pod) ?? 0) + rate(count, was ?? (prev ? 0 : undefined), seconds));
    }
    for (const e of ix.outgoing(`service/${s.namespace}/${s.name}`)) {
      if (e.sourcePort !== row || e.kind !== 'endpoint') continue;
      const pod = e.targetPort ? /#pod\/(.+)$/.exec(e.targetPort)?.[1] : undefined;
      const cps = pod === undefined ? undefined : perPod.get(`${s.namespace}/${pod}`);
      edges[e.id] = { connectionsPerSecond: round(cps ?? 0) };
    }
  }
  for (const p of now?.ingress ?? []) {
    const row = ingressRow(input.graph, p);
    if (!row) continue;
    const prev = prevIngress.get(key(p, `${p.host}${p.path}`));
    const rps = round(rate(p.requests, prev?.requests, seconds));
    ports[row] = { requestsPerSecond: rps };
    for (const e of ix.outgoing(`ingress/${p.namespace}/${p.name}`))
      if (e.sourcePort === row) edges[e.id] = { requestsPerSecond: rps };
  }
  const notReady = input.readiness
    .filter((r) => !r.ready)
    .flatMap((r) => {
      const row = rows.get(`${r.namespace}/${r.pod}`);
      return row ? [row] : [];
    });
  return { at: now?.at ?? Date.now(), edges, ports, notReady: [...new Set(notReady)] };
}
