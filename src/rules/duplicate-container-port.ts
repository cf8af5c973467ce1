/**
 * The same port declared twice in one pod.
 *
 * Containers of a pod share one network namespace (the node's, with hostNetwork), so two containers cannot
 * both bind the same port/protocol: the second process fails with "address already in use". The API server
 * accepts it and only warns (pkg/api/pod/warnings.go: "duplicate port definition with ..."). The same port
 * name in two containers is accepted too, with the warning "duplicate port name ... services and probes that
 * select ports by name will use ...": FindPort searches containers in order, so the first declaration wins.
 * Only containers and native sidecars (init containers with restartPolicy Always) run side by side; plain init
 * containers run one at a time before them and are left out.
 */
import type { FieldPath } from '../model/field-path.js';
import type { Container, ContainerPort, PodSpec } from '../model/types.js';
import type { PodInstance } from '../semantics/workloads.js';
import type { Rule, RuleContext } from './rule.js';
import { backendKeyOf } from './support/service-backends.js';

interface Declared {
  readonly container: Container;
  readonly containerIndex: number;
  readonly sidecar: boolean;
  readonly port: ContainerPort;
  /** `<specPath>.containers[i].ports[j]`. */
  readonly path: FieldPath;
}

/** Ports of the containers that run together: spec.containers, then native sidecars, in spec order. */
function concurrentPorts(spec: PodSpec, specPath: FieldPath): Declared[] {
  const out: Declared[] = [];
  const groups = [
    ['containers', spec.containers ?? [], false],
    ['initContainers', spec.initContainers ?? [], true],
  ] as const;
  for (const [key, list, init] of groups) {
    list.forEach((container, i) => {
      if (init && container.restartPolicy !== 'Always') return;
      (container.ports ?? []).forEach((port, j) => {
        if (port.containerPort === undefined) return;
        const path = specPath.child(key).index(i).child('ports').index(j);
        out.push({ container, containerIndex: i, sidecar: init, port, path });
      });
    });
  }
  return out;
}

/** One pod per workload (a cluster dump's pods per controller): replicas share one spec. */
function onePodPerWorkload(pods: readonly PodInstance[]): PodInstance[] {
  const seen = new Set<string>();
  const out: PodInstance[] = [];
  for (const p of pods) {
    const key = backendKeyOf(p);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

const label = (d: Declared) =>
  `${d.sidecar ? 'sidecar' : 'container'} "${d.container.name}" (${d.path.toString()}${d.port.name ? ` "${d.port.name}"` : ''})`;

/** Same container, different non-zero hostPort or hostIP: one container port published twice on the node. */
function publishedTwice(a: ContainerPort, b: ContainerPort): boolean {
  return !!a.hostPort && !!b.hostPort && (a.hostPort !== b.hostPort || (a.hostIP ?? '') !== (b.hostIP ?? ''));
}

function checkPorts(ctx: RuleContext, pod: PodInstance, declared: readonly Declared[]): void {
  const seen = new Map<string, Declared[]>();
  const who = `${pod.owner.kind} ${pod.owner.name}`;
  for (const d of declared) {
    const proto = d.port.protocol ?? 'TCP';
    const key = `${d.port.containerPort}/${proto}`;
    const earlier = seen.get(key) ?? [];
    seen.set(key, [...earlier, d]);
    const otherContainer = earlier.find((e) => e.container !== d.container);
    if (otherContainer) {
      const ns = pod.pod.spec.hostNetwork
        ? "the node's network namespace (hostNetwork)"
        : 'one network namespace';
      ctx.report({
        manifest: pod.owner,
        field: d.path.child('containerPort'),
        message: `${who}: ${label(d)} and ${label(otherContainer)} both declare ${key}: the containers of a pod share ${ns}, so only one process can bind ${key} and the other fails with "address already in use" (the API server only warns: duplicate port definition with ${otherContainer.path.toString()})`,
        fix: `Give one of the two containers another port, or drop the declaration from the container that does not listen on ${key}.`,
      });
      continue;
    }
    const same = earlier.find((e) => !publishedTwice(e.port, d.port));
    // The same name twice in one container is a validation error (Duplicate), reported by api-validation.
    if (!same || (same.port.name && same.port.name === d.port.name)) continue;
    ctx.report({
      manifest: pod.owner,
      field: d.path.child('containerPort'),
      severity: 'info',
      message: `${who}: ${label(d)} declares ${key} again (already ${same.path.toString()}${same.port.name ? ` "${same.port.name}"` : ''}): one process binds it once, so both entries name the same listener (the API server warns: duplicate port definition with ${same.path.toString()})${d.port.name && same.port.name ? `; a Service targeting "${d.port.name}" reaches the same socket as "${same.port.name}", so if "${d.port.name}" was meant to be another port, its number is wrong` : ''}`,
      fix: 'Declare each port once per container, or correct the number of the entry meant for another port.',
    });
  }
}

function checkNames(ctx: RuleContext, pod: PodInstance, declared: readonly Declared[]): void {
  const first = new Map<string, Declared>();
  const who = `${pod.owner.kind} ${pod.owner.name}`;
  for (const d of declared) {
    const name = d.port.name;
    if (!name) continue;
    const proto = d.port.protocol ?? 'TCP';
    const key = `${name}/${proto}`;
    const earlier = first.get(key);
    if (!earlier) {
      first.set(key, d);
      continue;
    }
    // Same container: a validation error; same number: the port finding above already covers it.
    if (earlier.container === d.container || earlier.port.containerPort === d.port.containerPort) continue;
    ctx.report({
      manifest: pod.owner,
      field: d.path.child('name'),
      severity: 'info',
      message: `${who}: port name "${name}" (${proto}) is declared by ${label(earlier)} as ${earlier.port.containerPort} and again by ${label(d)} as ${d.port.containerPort}: services and probes that select ports by name will use the first container (the API server's warning; Services resolve names with FindPort, which searches containers in order, while a probe looks only in its own container), so a Service targetPort "${name}" never reaches ${d.port.containerPort}`,
      fix: `Give the port of container "${d.container.name}" its own name, and target that name where ${d.port.containerPort} is meant.`,
    });
  }
}

export const duplicateContainerPort: Rule = {
  meta: {
    id: 'duplicate-container-port',
    severity: 'warning',
    description:
      'Two containers of one pod declare the same containerPort/protocol (only one can bind it), or the same port name (the first wins).',
    docs: {
      details:
        'All containers of a pod share one network namespace, so a port/protocol can be bound by one process only: when two containers (or a container and a native sidecar) declare the same containerPort, one of them cannot listen there. The API server accepts the pod and only warns ("duplicate port definition"). The same port declared twice in ONE container is reported as info: its one process binds it once, but a second entry with another name usually means a number was copied and not changed. The same port name in two containers is info too: Services (FindPort), NetworkPolicies and the API\'s own warning ("services and probes that select ports by name will use" the first) resolve it to the first container. Plain init containers run alone before the others and are not compared.',
      bad: `containers:
- name: app
  ports: [{containerPort: 8080}]
- name: metrics-proxy
  ports: [{containerPort: 8080}]    # cannot bind: app has it`,
      good: `containers:
- name: app
  ports: [{containerPort: 8080}]
- name: metrics-proxy
  ports: [{containerPort: 9090}]`,
    },
  },
  check(ctx) {
    for (const pod of onePodPerWorkload(ctx.graph.pods)) {
      const declared = concurrentPorts(pod.pod.spec, pod.specPath);
      checkPorts(ctx, pod, declared);
      checkNames(ctx, pod, declared);
    }
  },
};
