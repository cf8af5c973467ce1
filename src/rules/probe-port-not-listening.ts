import { listText } from '../model/list-text.js';
import type { Manifest } from '../model/load.js';
import { observedDoubts } from '../semantics/listening.js';
import { findContainerPortByName } from '../semantics/named-ports.js';
import type { Rule, RuleContext } from './rule.js';
import {
  type ContainerRef,
  containerLabel,
  isLoopback,
  type KnownListening,
  knownListening,
  listeningPortsText,
  listensOn,
  moveHint,
  reachablePorts,
  reasonsText,
  servicesByPod,
  servingContainerRefs,
  surenessText,
  type Workload,
  workloadsOf,
} from './support/listening-view.js';
import { consequence, type PortHandler, portHandlers } from './support/probe-handlers.js';

/** The number the kubelet connects to: a number as is, a name through the container's own ports. */
function resolvedPort(ref: ContainerRef, w: Workload, h: PortHandler): { port: number; via: string } | null {
  if (typeof h.port === 'number') return h.port > 0 ? { port: h.port, via: `${h.port}` } : null;
  if (h.port === '') return null;
  const res = findContainerPortByName(w.pod.pod.spec, h.port, undefined, ref.container.name);
  // An unresolved name is probe-port-unresolved's finding.
  return res.ok ? { port: res.port, via: `${h.port} -> containerPort ${res.port}` } : null;
}

function checkHandler(
  ctx: RuleContext,
  w: Workload,
  ref: ContainerRef,
  k: KnownListening,
  h: PortHandler,
  services: readonly Manifest<'Service'>[],
): void {
  if (h.host) return; // it connects to another host, not to this pod's IP
  const target = resolvedPort(ref, w, h);
  if (!target) return;
  // Probes and hooks connect over TCP (gRPC included) to the pod IP (hostNetwork: the node IP).
  const hit = listensOn(k, target.port, 'TCP');
  if (hit.kind === 'yes') return;
  const name = k.inference.image?.id ?? ref.container.name;
  const seen = k.inference.observed;
  // Observed (--probe): the pod's own sockets; else where the image is expected to listen.
  const what = seen
    ? hit.kind === 'loopback'
      ? `pod ${seen.pod} is observed listening on ${hit.evidence.host}:${target.port} only (--probe: /proc/net of its network namespace), and the kubelet connects to the pod IP`
      : `nothing listens on ${target.port}: pod ${seen.pod} is observed listening on ${listeningPortsText(k)} (--probe: /proc/net of its network namespace)`
    : hit.kind === 'loopback'
      ? `${name} binds ${hit.evidence.host}:${target.port} only (${hit.evidence.because}), and the kubelet connects to the pod IP`
      : `nothing listens on ${target.port}: ${name} listens on ${listeningPortsText(k)}${reasonsText(k)}`;
  const why = seen ? observedDoubts(k.inference) : [];
  const ports = reachablePorts(k, 'TCP');
  const only = ports.length === 1 ? ports[0] : undefined;
  const current =
    only !== undefined ? k.inference.ports.find((e) => e.port === only && !isLoopback(e)) : undefined;
  const fix =
    hit.kind === 'loopback'
      ? `Make ${name} listen on all interfaces (0.0.0.0:${target.port}), or probe with exec.`
      : `${only !== undefined ? `Point the probe at ${only}` : ports.length > 0 ? `Point the probe at one of ${listText(ports.map(String))}` : 'Remove the probe'}, or ${moveHint(ctx.graph, w.pod, ref, k, current, target.port)}.`;
  ctx.report({
    manifest: w.pod.owner,
    field: h.field,
    message: `${w.label}, container ${containerLabel(ref.container)}: ${h.name} ${target.via} -> ${what}${surenessText(why.length === 0, why)}; ${consequence(h.kind, services)}`,
    fix,
  });
}

/** A probe or hook whose port the container's process is known not to listen on. */
export const probePortNotListening: Rule = {
  meta: {
    id: 'probe-port-not-listening',
    severity: 'warning',
    description:
      "A probe or lifecycle hook connects to a port the container's process is known not to listen on.",
    docs: {
      details:
        "The kubelet connects to the pod IP at the probe port (a name is resolved among the container's own ports first). Whether that port is declared as a containerPort does not matter: containerPort is documentation only, and probing an undeclared port the process does listen on (CoreDNS health 8080 and ready 8181, ingress-nginx 10254) is fine. What matters is the process: the rule fires only when portchain knows, with certainty, every port it binds (known image, readable command and environment, no config file replaced by a volume) and the probe port is not one of them, or is bound to 127.0.0.1 only. Then every attempt is refused: a readiness probe keeps the pod out of its Services' endpoints, a liveness probe restarts the container over and over. A warning, because the knowledge of the image could be out of date for the tag in use.",
      bad: `containers:
- name: nginx
  image: nginx:1.27          # listens on 80
  readinessProbe:
    tcpSocket: {port: 8080}`,
      good: `containers:
- name: nginx
  image: nginx:1.27
  readinessProbe:
    tcpSocket: {port: 80}`,
    },
  },
  check(ctx) {
    const byPod = servicesByPod(ctx.graph);
    for (const w of workloadsOf(ctx.graph.pods)) {
      const services = byPod.get(w.pod) ?? [];
      for (const ref of servingContainerRefs(w.pod)) {
        const handlers = portHandlers(ref);
        if (handlers.length === 0) continue;
        const k = knownListening(ctx.graph, w.pod, ref);
        // Certain and complete only: a guess about the process does not outweigh the author's probe. Observed
        // sockets count even while the pod is not Ready: a probe on the wrong port is what keeps it so.
        if (!k || (k.trust !== 'certain' && !k.inference.observed)) continue;
        for (const h of handlers) checkHandler(ctx, w, ref, k, h, services);
      }
    }
  },
};
