import { listText } from '../model/list-text.js';
import type { Manifest } from '../model/load.js';
import { isValidPortName } from '../model/validation/names.js';
import { findContainerPortByName } from '../semantics/named-ports.js';
import type { PodInstance } from '../semantics/workloads.js';
import type { Rule, RuleContext } from './rule.js';
import {
  type ContainerRef,
  containerLabel,
  knownListening,
  reachablePorts,
  servicesByPod,
  servingContainerRefs,
  type Workload,
  workloadsOf,
} from './support/listening-view.js';
import { consequence, handlerSeverity, type PortHandler, portHandlers } from './support/probe-handlers.js';
import { isTypo } from './support/service-backends.js';

/** The ports the container does declare, for the message: `metrics (9090), admin (8081)`. */
function ownPortsText(ref: ContainerRef): string {
  const ports = (ref.container.ports ?? []).filter((p) => p.containerPort !== undefined);
  if (ports.length === 0) return 'it declares no ports';
  const named = ports.filter((p) => p.name);
  if (named.length === 0)
    return `it declares only unnamed ports (${listText(ports.map((p) => String(p.containerPort)))})`;
  return `it declares ${listText(named.map((p) => `${p.name} (${p.containerPort})`))}`;
}

/** Other containers of the pod that declare the name: the kubelet never looks there. */
function elsewhere(pod: PodInstance, ref: ContainerRef, name: string): { text: string; port?: number } {
  for (const other of servingContainerRefs(pod)) {
    if (other.container === ref.container) continue;
    const p = (other.container.ports ?? []).find((x) => x.name === name && x.containerPort !== undefined);
    if (p)
      return {
        text: `; container ${other.container.name} declares ${name} (${p.containerPort}), but the kubelet does not look in other containers`,
        port: p.containerPort,
      };
  }
  return { text: '' };
}

function fixFor(
  ctx: RuleContext,
  w: Workload,
  ref: ContainerRef,
  name: string,
  other: number | undefined,
): string {
  const typo = (ref.container.ports ?? []).find((p) => p.name && isTypo(name, p.name));
  if (typo?.name)
    return `Use the name ${typo.name} (a port of container ${ref.container.name}), or declare ${name} on it.`;
  if (other !== undefined)
    return `Use the number ${other} in the probe (a probe may reach any port of the pod IP), or declare ${name} on container ${ref.container.name}.`;
  const k = knownListening(ctx.graph, w.pod, ref);
  const ports = k ? reachablePorts(k, 'TCP') : [];
  const number =
    ports.length === 1 ? `${ports[0]} (where ${k?.inference.image?.id ?? 'the process'} listens)` : '<port>';
  return `Declare the port on container ${ref.container.name} (ports: [{name: ${name}, containerPort: ${number}}]), or give the probe the port number.`;
}

function checkHandler(
  ctx: RuleContext,
  w: Workload,
  ref: ContainerRef,
  h: PortHandler,
  services: readonly Manifest<'Service'>[],
): void {
  if (typeof h.port !== 'string' || h.port === '') return;
  // A malformed name (or a quoted number) is rejected by the API server: api-validation reports it.
  if (isValidPortName(h.port).length > 0) return;
  // The kubelet resolves the name among the probed container's own ports only, any protocol
  // (pkg/probe/util.go findPortByName; pkg/kubelet/lifecycle/handlers.go resolvePort).
  const spec = w.pod.pod.spec;
  const res = findContainerPortByName(spec, h.port, undefined, ref.container.name);
  if (res.ok) return;
  const other = elsewhere(w.pod, ref, h.port);
  const kubelet = h.kind.endsWith('Probe')
    ? `every probe errors (the kubelet: port "${h.port}" not found; older kubelets: strconv.Atoi: parsing "${h.port}": invalid syntax)`
    : `the hook cannot run (the kubelet: couldn't find port: ${h.port})`;
  const severity = handlerSeverity(h.kind, 'error' as const, 'warning' as const);
  ctx.report({
    manifest: w.pod.owner,
    field: h.field,
    message:
      `${w.label}, container ${containerLabel(ref.container)}: ${h.name} "${h.port}" names no port of container ${ref.container.name} ` +
      `(${ownPortsText(ref)}${other.text}); the kubelet resolves a probe's port name only among the probed container's own ports, so ` +
      `${kubelet} -> ${consequence(h.kind, services)}`,
    fix: fixFor(ctx, w, ref, h.port, other.port),
    severity,
  });
}

/** A probe or lifecycle hook whose named port the probed container does not define: it can never succeed. */
export const probePortUnresolved: Rule = {
  meta: {
    id: 'probe-port-unresolved',
    severity: 'error',
    description:
      'A probe or lifecycle hook names a port its own container does not define, so the kubelet can never run it.',
    docs: {
      details:
        'The API server accepts any well-formed port name in httpGet.port or tcpSocket.port: the kubelet resolves it when it probes, and only among the ports of the probed container (pkg/probe/util.go `findPortByName`; lifecycle hooks: pkg/kubelet/lifecycle/handlers.go), whatever their protocol. A name declared by another container of the pod does not count. An unresolved name makes every attempt error ("port \\"service\\" not found"; older kubelets: "strconv.Atoi: parsing \\"service\\": invalid syntax", the grafana helm-charts #4064 breakage), and an errored probe counts as a failure: a readiness probe never succeeds, so the pod is never Ready and its Services get no ready endpoints; a liveness probe restarts the container over and over; a startup probe does both; a postStart hook kills the container. A preStop hook only loses its graceful-shutdown step, so it is a warning.',
      bad: `containers:
- name: grafana
  image: grafana/grafana:12.1.1
  ports: [{name: grafana, containerPort: 3000}]
  readinessProbe:
    httpGet: {path: /api/health, port: service}`,
      good: `containers:
- name: grafana
  image: grafana/grafana:12.1.1
  ports: [{name: grafana, containerPort: 3000}]
  readinessProbe:
    httpGet: {path: /api/health, port: grafana}`,
    },
  },
  check(ctx) {
    const byPod = servicesByPod(ctx.graph);
    for (const w of workloadsOf(ctx.graph.pods)) {
      const services = byPod.get(w.pod) ?? [];
      for (const ref of servingContainerRefs(w.pod)) {
        for (const h of portHandlers(ref)) checkHandler(ctx, w, ref, h, services);
      }
    }
  },
};
