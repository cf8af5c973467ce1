import { listText } from '../model/list-text.js';
import type { ContainerPort } from '../model/types.js';
import { observedDoubts } from '../semantics/listening.js';
import type { Rule, RuleContext } from './rule.js';
import {
  type ContainerRef,
  containerLabel,
  doubts,
  isLoopback,
  type KnownListening,
  knownListening,
  listeningPortsText,
  moveHint,
  portText,
  reachablePorts,
  reasonsText,
  servingContainerRefs,
  surenessText,
  type Workload,
  workloadsOf,
} from './support/listening-view.js';

function report(
  ctx: RuleContext,
  w: Workload,
  ref: ContainerRef,
  k: KnownListening,
  p: ContainerPort,
  j: number,
) {
  const port = p.containerPort as number;
  const protocol = p.protocol ?? 'TCP';
  const name = k.inference.image?.id ?? ref.container.name;
  const seen = k.inference.observed;
  const certain = seen ? seen.ready : k.trust === 'certain';
  const why = seen ? observedDoubts(k.inference) : doubts(k, ref);
  // Observed (--probe): the pod's sockets, shared by its containers; else where the image is expected to listen.
  const listens = seen
    ? `nothing in pod ${seen.pod} listens on ${portText(port, protocol)}: it is observed listening on ${listeningPortsText(k)} (--probe: /proc/net of its network namespace)`
    : `${name} keeps listening on ${listeningPortsText(k)}${reasonsText(k)}`;
  const ports = reachablePorts(k, protocol);
  const only = ports.length === 1 ? ports[0] : undefined;
  const current =
    only !== undefined ? k.inference.ports.find((e) => e.port === only && !isLoopback(e)) : undefined;
  const set =
    only !== undefined
      ? `Set containerPort: ${only} (where ${name} listens)`
      : ports.length > 0
        ? `Declare the ports ${name} listens on (${listText(ports.map(String))})`
        : 'Remove the containerPort';
  ctx.report({
    manifest: w.pod.owner,
    field: ref.path.child('ports').index(j).child('containerPort'),
    message:
      `${w.label}, container ${containerLabel(ref.container)}: containerPort ${portText(port, protocol)}${p.name ? ` (${p.name})` : ''} ` +
      `is documentation only: ${listens}` +
      `${surenessText(certain, why)}; a Service or probe that follows this port reaches nothing`,
    fix: `${set}, or ${moveHint(ctx.graph, w.pod, ref, k, current, port)}.`,
    ...(certain ? {} : { severity: 'info' as const }),
  });
}

/** containerPorts that contradict where the container's process is known to listen. */
export const containerPortNotListening: Rule = {
  meta: {
    id: 'container-port-not-listening',
    severity: 'warning',
    description:
      'A container declares only ports its process does not listen on: containerPort is documentation only and moves nothing.',
    docs: {
      details:
        "containerPort does not open, move or forward anything (\"Not specifying a port here DOES NOT prevent that port from being exposed\"): the process binds what its image, flags and environment say. A declaration that contradicts the process misleads readers, named targetPorts and probes that follow it. The rule fires only when portchain knows every port the process binds (known image, readable command and environment, no config file replaced by a volume) and none of the container's declared ports is among them. When some declared ports match and others do not (Grafana's optional gossip and profiling ports, Jaeger's query gRPC port), the extra ones are taken as optional features portchain's knowledge may not list, and nothing is reported. Images portchain does not know (sidecars, in-house apps) are never reported. Info instead of warning when the listening ports are inferred rather than certain (an image taken from a mirror, a port set in a shell script).",
      bad: `containers:
- name: nginx
  image: nginx:1.27        # listens on 80
  ports:
  - containerPort: 8080    # documentation only`,
      good: `containers:
- name: nginx
  image: nginx:1.27
  ports:
  - containerPort: 80`,
    },
  },
  check(ctx) {
    for (const w of workloadsOf(ctx.graph.pods)) {
      for (const ref of servingContainerRefs(w.pod)) {
        const k = knownListening(ctx.graph, w.pod, ref);
        if (k?.agreement !== 'contradicts') continue;
        (ref.container.ports ?? []).forEach((p, j) => {
          if (p.containerPort !== undefined) report(ctx, w, ref, k, p, j);
        });
      }
    }
  },
};
