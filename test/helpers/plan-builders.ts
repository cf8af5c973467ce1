/**
 * Hand-built cluster plans (src/runtime/plan.ts) for the data-plane tests that drive kube-proxy without
 * manifests: an endpoint, a one-port ClusterIP Service, and a plan of Services on a node. Each test passes
 * its own addresses.
 */
import type { ClusterPlan, PlanEndpoint, PlanService } from '../../src/runtime/plan.js';

/** An endpoint named after its IP, dialled at its own port (no low-port offset). */
export const ep = (ip: string, port: number, ready = true): PlanEndpoint => ({
  pod: ip,
  ip,
  port,
  dialPort: port,
  ready,
});

/**
 * A ClusterIP Service in namespace `ns` with one unnamed port, listening at the port itself, no session
 * affinity (the API's default timeout); `extra` overrides any field (namespace, type, ...).
 */
export function svc(
  name: string,
  clusterIP: string,
  port: number,
  endpoints: PlanEndpoint[],
  extra: Partial<PlanService> = {},
  protocol = 'TCP',
): PlanService {
  return {
    namespace: 'ns',
    name,
    type: 'ClusterIP',
    clusterIP,
    loadBalancerIP: null,
    externalName: null,
    sessionAffinity: 'None',
    affinityTimeoutSeconds: 10800,
    ports: [{ name: '', protocol, port, listenPort: port, nodePort: null, endpoints }],
    ...extra,
  };
}

/** A plan of just these Services on `node`: no pods, no low-port offset, no notes. */
export const planOf = (node: string, services: PlanService[]): ClusterPlan => ({
  node,
  lowPortOffset: 0,
  pods: [],
  services,
  notes: [],
});
