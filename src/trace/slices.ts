/**
 * The endpoints of one Service port, read from the EndpointSlices the graph computed (or mirrored), the way
 * kube-proxy and ingress-nginx read them (routing-semantics §3.1): slices of the Service's primary address
 * family, the slice port matched by Service port name and protocol, `address[0]:port` per endpoint, missing
 * conditions taken as ready, serving and not terminating, duplicates merged.
 */
import type { ServicePort } from '../model/types.js';
import type { ServiceView } from '../semantics/graph.js';
import type { PodInstance } from '../semantics/workloads.js';

export interface EndpointInfo {
  readonly ip: string;
  /** null for a headless Service without ports (DNS gives addresses only). */
  readonly port: number | null;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly node: string | null;
  /** The targetRef's name, when the endpoint names a pod. */
  readonly podName: string | null;
  /** The pod in the input (or synthesised from a workload), when known. */
  readonly pod: PodInstance | null;
}

/** The family kube-proxy serves a single-stack Service on: spec.ipFamilies[0], else the first slice's. */
function primaryFamily(view: ServiceView): string {
  const fam = view.service.object.spec.ipFamilies?.[0];
  if (fam) return fam;
  return view.slices.find((s) => s.endpoints.length > 0)?.addressType ?? 'IPv4';
}

/**
 * The endpoints behind Service port `sp` (null: a headless Service without ports, whose slices carry none).
 * `pod` looks a targetRef up among the graph's pods.
 */
export function endpointsOf(
  view: ServiceView,
  sp: ServicePort | null,
  pod: (namespace: string, name: string) => PodInstance | undefined,
): EndpointInfo[] {
  const family = primaryFamily(view);
  const out: EndpointInfo[] = [];
  const seen = new Set<string>();
  for (const slice of view.slices) {
    if (slice.addressType !== family) continue;
    let port: number | null = null;
    if (sp) {
      const match = (slice.ports ?? []).find(
        (p) => (p.name ?? '') === (sp.name ?? '') && (p.protocol ?? 'TCP') === (sp.protocol ?? 'TCP'),
      );
      if (!match?.port) continue;
      port = match.port;
    } else if ((slice.ports ?? []).length > 0) continue;
    for (const e of slice.endpoints) {
      const ip = e.addresses[0];
      if (!ip) continue;
      const key = `${ip}:${port ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const ready = e.conditions?.ready ?? true;
      const ref = e.targetRef?.kind === 'Pod' || e.targetRef?.kind === undefined ? e.targetRef : undefined;
      const podName = ref?.name ?? null;
      const found = podName ? pod(ref?.namespace ?? view.service.namespace, podName) : undefined;
      out.push({
        ip,
        port,
        ready,
        serving: e.conditions?.serving ?? true,
        terminating: e.conditions?.terminating ?? false,
        node: e.nodeName ?? found?.pod.spec.nodeName ?? null,
        podName,
        pod: found ?? null,
      });
    }
  }
  return out;
}
