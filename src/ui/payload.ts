/**
 * Builds what the page draws from a checked input: the topology model (src/topology/build.ts, every semantic
 * already resolved there), the finding counts, and, for each Service port and Ingress path, the `trace` TARGET
 * a click runs. Nothing here re-derives a link.
 */
import { getHeapStatistics } from 'node:v8';
import { severityCounts } from '../check.js';
import type { Finding } from '../model/finding.js';
import type { Protocol } from '../model/types.js';
import type { ResolvedGraph } from '../semantics/graph.js';
import { buildTopology } from '../topology/build.js';
import { parseTarget } from '../trace/target.js';
import type { GraphPayload, GraphSummary, TraceTargetRef } from './api.js';

/** What the server needs from a checked input (a CheckResult, or a running `up`). */
export interface CheckedInput {
  readonly graph: ResolvedGraph;
  readonly findings: readonly Finding[];
  /** The namespace of objects and targets that name none (`-n`). */
  readonly defaultNamespace?: string;
  readonly notes?: readonly string[];
}

const asProtocol = (p: string | undefined): Protocol => (p === 'UDP' || p === 'SCTP' ? p : 'TCP');

/** A TARGET parseTarget accepts, else nothing (a name trace cannot address is not clickable). */
function valid(target: string, protocol: Protocol): TraceTargetRef | undefined {
  try {
    parseTarget(target);
    return { target, protocol };
  } catch {
    return undefined;
  }
}

/**
 * An Ingress rule's host as a request would carry it: a wildcard `*.example.com` matches one DNS label in its
 * place (networking/v1 IngressRule.host), and no host is nginx's catch-all `_` (a request with any Host).
 */
function requestHost(host: string | null): string {
  if (!host) return '_';
  return host.startsWith('*.') ? `any${host.slice(1)}` : host;
}

/** Element id -> TARGET: Service ports (`svc/NAME.NS:PORT`), Ingress paths (`http://HOST/PATH`). */
export function traceTargets(graph: ResolvedGraph): Record<string, TraceTargetRef> {
  const out: Record<string, TraceTargetRef> = {};
  for (const view of graph.services) {
    const svc = view.service;
    const id = `service/${svc.namespace}/${svc.name}`;
    (svc.object.spec.ports ?? []).forEach((p, k) => {
      const ref = valid(`svc/${svc.name}.${svc.namespace}:${p.port}`, asProtocol(p.protocol));
      if (!ref) return;
      out[`${id}#ports[${k}]`] = ref;
      if (!out[id]) out[id] = ref;
    });
  }
  for (const route of graph.ingress.routes) {
    const ing = route.ingress;
    const id = `ingress/${ing.namespace}/${ing.name}`;
    const ref = valid(`http://${requestHost(route.host)}${route.path || '/'}`, 'TCP');
    if (!ref) continue;
    out[`${id}#rules[${route.ruleIndex}].paths[${route.pathIndex}]`] = ref;
    if (!out[id]) out[id] = ref;
  }
  return out;
}

export function summarizeFindings(findings: readonly Finding[], objects: number): GraphSummary {
  return { ...severityCounts(findings), objects };
}

export function graphPayload(input: CheckedInput, version: number, live: boolean): GraphPayload {
  return {
    version,
    topology: buildTopology(input.graph, input.findings, { heapLimit: getHeapStatistics().heap_size_limit }),
    summary: summarizeFindings(input.findings, input.graph.manifests.length),
    targets: traceTargets(input.graph),
    live,
    notes: input.notes ?? [],
  };
}
