/**
 * externalTrafficPolicy: Local on a NodePort/LoadBalancer Service: what it means on this input.
 *
 * kube-proxy (pkg/proxy/topology.go CategorizeEndpoints, iptables/nftables proxier): with ETP Local, external
 * traffic to a nodePort (or the load balancer VIP) is not SNATed, so the pod sees the client IP, and is sent only
 * to endpoints on the receiving node; a node with none DROPs it (the client times out). When the Service has no
 * endpoint anywhere, kube-proxy REJECTs instead. For type LoadBalancer, kube-proxy serves
 * `healthCheckNodePort` (pkg/proxy/healthcheck/service_health.go): 200 on nodes with a ready local endpoint,
 * 503 elsewhere, which is how the cloud load balancer picks the nodes it sends to.
 */
import { FieldPath } from '../model/field-path.js';
import { joinSome, listText } from '../model/list-text.js';
import type { ServiceView } from '../semantics/graph.js';
import type { Rule, RuleContext } from './rule.js';
import { backendsOf } from './support/service-backends.js';

const EXTERNAL_TYPES = new Set(['NodePort', 'LoadBalancer']);

/** Nodes holding a ready endpoint of the Service (EndpointSlice endpoints carry the pod's spec.nodeName). */
function readyEndpointNodes(view: ServiceView): { nodes: string[]; ready: number } {
  const nodes = new Set<string>();
  let ready = 0;
  for (const slice of view.slices) {
    if ((slice.ports ?? []).length === 0 && (view.service.object.spec.ports ?? []).length > 0) continue;
    for (const e of slice.endpoints) {
      if (e.conditions?.ready === false) continue;
      ready++;
      if (e.nodeName) nodes.add(e.nodeName);
    }
  }
  return { nodes: [...nodes].sort(), ready };
}

/**
 * The workloads' share of the selected pods: a DaemonSet covers every node it runs on, others at most as many
 * nodes as they run pods. Said once for all the DaemonSets and once for the rest (with their pods added up).
 */
function ownerNotes(view: ServiceView): string[] {
  const daemonSets: string[] = [];
  const others: string[] = [];
  let pods = 0;
  for (const b of backendsOf(view)) {
    const n = b.pods.length;
    if (b.label.startsWith('DaemonSet ')) daemonSets.push(b.label);
    else if (b.pod.synthesized || n > 1) {
      others.push(b.label);
      pods += n;
    }
  }
  const notes: string[] = [];
  const several = (list: readonly string[], one: string, many: string) => (list.length > 1 ? many : one);
  if (daemonSets.length > 0)
    notes.push(
      `${listText(daemonSets)} ${several(daemonSets, 'runs', 'run')} a pod on every node ${several(daemonSets, 'it schedules', 'they schedule')} to, and each of those nodes answers`,
    );
  if (others.length > 0)
    notes.push(
      `${listText(others)} ${several(others, 'runs', 'run')} ${pods} pod${pods === 1 ? '' : 's'}, so at most ${pods} node${pods === 1 ? '' : 's'} answer${pods === 1 ? 's' : ''}`,
    );
  return notes;
}

/** Node names in a message: enough to see where the pods run, not every node of a big cluster. */
const MAX_NODES = 10;

function endpointSentence(ctx: RuleContext, view: ServiceView): string {
  if (!view.hasSelector && !view.controllerManaged && view.slices.length === 0)
    return 'The Service has no selector and the input gives no Endpoints for it, so which nodes answer depends on endpoints written elsewhere.';
  const { nodes, ready } = readyEndpointNodes(view);
  if (ready === 0)
    return 'The input gives it no ready endpoint; with none anywhere kube-proxy REJECTs the traffic (connection refused) rather than dropping it.';
  const known = ctx.graph.options.nodes;
  const synthesized = view.selected.some((p) => p.synthesized);
  const where =
    nodes.length === 0
      ? `${ready} ready endpoint${ready === 1 ? '' : 's'} with no nodeName`
      : `ready endpoints on ${nodes.length}${known ? ` of the ${known.length} given` : ''} node${nodes.length === 1 && !known ? '' : 's'} (${joinSome(nodes, ', ', MAX_NODES)}${synthesized && !known ? ', where portchain places the workloads' : ''})`;
  const notes = ownerNotes(view);
  return `With the pods the input gives: ${where}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}.`;
}

function balancerSentence(ctx: RuleContext, view: ServiceView): string {
  const hc = ctx.graph.nodePorts.healthCheckNodePorts.find((h) => h.service === view.service);
  const port = hc?.explicit
    ? `healthCheckNodePort ${hc.nodePort}`
    : 'healthCheckNodePort (allocated by the API server)';
  return ` The load balancer sends traffic only to nodes whose ${port} answers 200 (kube-proxy answers 503 on nodes with no ready local endpoint), so traffic through it is steered to those nodes; traffic sent straight to a nodePort is not.`;
}

export const externalTrafficPolicyLocal: Rule = {
  meta: {
    id: 'external-traffic-policy-local',
    severity: 'info',
    description:
      'A NodePort/LoadBalancer Service with externalTrafficPolicy Local: only nodes with a ready local endpoint answer; the others drop the traffic.',
    docs: {
      details:
        "With `externalTrafficPolicy: Local`, kube-proxy keeps the client source IP (no SNAT) but sends external traffic only to endpoints on the node that received it. A node with no ready endpoint of the Service DROPs the packet, so a client that reaches it times out (when the Service has no endpoint at all, kube-proxy REJECTs instead). For type LoadBalancer, kube-proxy answers the Service's `healthCheckNodePort` with 200 only on nodes holding a ready local endpoint, and the cloud load balancer sends traffic only there. The rule explains this on the input: how many nodes hold a ready endpoint of the Service, from the pods' nodeName (a DaemonSet covers every node it runs on, a Deployment at most `replicas` nodes).",
      bad: `kind: Service
metadata: {name: web}
spec:
  type: NodePort
  externalTrafficPolicy: Local   # 1 replica: every other node drops the traffic
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]`,
      good: `kind: Service
metadata: {name: web}
spec:
  type: NodePort                 # Cluster (the default): every node forwards, the client IP is SNATed
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]`,
    },
  },
  check(ctx) {
    for (const view of ctx.graph.services) {
      const spec = view.service.object.spec;
      const type = spec.type ?? 'ClusterIP';
      if (!EXTERNAL_TYPES.has(type) || spec.externalTrafficPolicy !== 'Local') continue;
      const lb = type === 'LoadBalancer';
      ctx.report({
        manifest: view.service,
        field: FieldPath.root('spec', 'externalTrafficPolicy'),
        message:
          `Service ${view.service.name} (${type}) externalTrafficPolicy Local: external traffic keeps the client source IP (no SNAT), ` +
          `but a node forwards it${lb ? ' (from the load balancer or to a nodePort)' : ' to a nodePort'} only to a ready endpoint on that same node; ` +
          'on a node with none, kube-proxy DROPs it and the client times out.' +
          (lb ? balancerSentence(ctx, view) : ' Clients must target the nodes that run a ready pod.') +
          ` ${endpointSentence(ctx, view)}`,
        fix: 'Keep Local only where the pods need the client IP, and send traffic only to nodes with a ready pod (a DaemonSet, or a load balancer that honours healthCheckNodePort); otherwise drop externalTrafficPolicy (Cluster).',
      });
    }
  },
};
