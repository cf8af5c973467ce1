/**
 * Resolving a Service targetPort (or a probe port) against a pod's containers, exactly as Kubernetes does.
 */
import type { Container, IntOrString, PodSpec } from '../model/types.js';

export type PortResolution =
  | {
      ok: true;
      port: number;
      /** The container that declares the port, if any does (a numeric targetPort need not be declared). */
      container?: string;
      /** Index in spec.containers, or in spec.initContainers when `init` is true. */
      containerIndex?: number;
      portIndex?: number;
      /** The port belongs to a sidecar (an init container with restartPolicy Always). */
      init?: boolean;
    }
  | { ok: false; reason: string };

const DEFAULT_PROTOCOL = 'TCP';

interface Declared {
  container: Container;
  containerIndex: number;
  portIndex: number;
  init: boolean;
}

/** spec.containers, then native sidecars (init containers with restartPolicy Always), in spec order. */
function* servingPorts(
  spec: PodSpec,
): Generator<Declared & { name?: string; port: number; protocol: string }> {
  const groups: [readonly Container[], boolean][] = [
    [spec.containers ?? [], false],
    [spec.initContainers ?? [], true],
  ];
  for (const [containers, init] of groups) {
    for (let ci = 0; ci < containers.length; ci++) {
      const c = containers[ci] as Container;
      if (init && c.restartPolicy !== 'Always') continue;
      const ports = c.ports ?? [];
      for (let pi = 0; pi < ports.length; pi++) {
        const p = ports[pi];
        if (!p || p.containerPort === undefined) continue;
        yield {
          container: c,
          containerIndex: ci,
          portIndex: pi,
          init,
          name: p.name,
          port: p.containerPort,
          protocol: p.protocol ?? DEFAULT_PROTOCOL,
        };
      }
    }
  }
}

function found(d: Declared, port: number): PortResolution {
  const r: PortResolution = {
    ok: true,
    port,
    container: d.container.name,
    containerIndex: d.containerIndex,
    portIndex: d.portIndex,
  };
  if (d.init) r.init = true;
  return r;
}

/** Why a name did not resolve, in FindPort's words plus what the pod does declare. */
function notFound(spec: PodSpec, name: string, protocol: string): PortResolution {
  const hints: string[] = [];
  for (const d of servingPorts(spec)) {
    if (d.name === name) hints.push(`container "${d.container.name}" declares "${name}" as ${d.protocol}`);
  }
  for (const c of spec.initContainers ?? []) {
    if (c.restartPolicy === 'Always') continue;
    if ((c.ports ?? []).some((p) => p.name === name))
      hints.push(`init container "${c.name}" declares "${name}" but is not a sidecar (restartPolicy Always)`);
  }
  for (const c of spec.ephemeralContainers ?? []) {
    if ((c.ports ?? []).some((p) => p.name === name))
      hints.push(`ephemeral container "${c.name}" declares "${name}" but is never searched`);
  }
  const base = `no suitable port for manifest: no container port named "${name}" with protocol ${protocol}`;
  return { ok: false, reason: hints.length > 0 ? `${base} (${hints.join('; ')})` : base };
}

/**
 * `FindPort` (k8s.io/endpointslice/utils.go; the same code in pkg/api/v1/pod/util.go):
 * a numeric targetPort is used as is, declared or not (the declaring container is reported when there is one);
 * a name is looked up in spec.containers in order, each container's ports in order, matching name AND protocol,
 * then in init containers with restartPolicy Always. Ephemeral and plain init containers are never searched.
 * An absent targetPort means `port` (API defaulting).
 */
export function findPort(
  spec: PodSpec,
  servicePort: { targetPort?: IntOrString; port: number; protocol?: string },
): PortResolution {
  const protocol = servicePort.protocol || DEFAULT_PROTOCOL;
  const target = servicePort.targetPort ?? servicePort.port;
  const numeric = typeof target === 'number';
  // servingPorts' order, as plain loops: this runs for every pod and Service port of a cluster dump.
  for (let g = 0; g < 2; g++) {
    const init = g === 1;
    const containers = (init ? spec.initContainers : spec.containers) ?? [];
    for (let ci = 0; ci < containers.length; ci++) {
      const c = containers[ci] as Container;
      if (init && c.restartPolicy !== 'Always') continue;
      const ports = c.ports;
      if (!ports) continue;
      for (let pi = 0; pi < ports.length; pi++) {
        const p = ports[pi];
        if (!p || p.containerPort === undefined) continue;
        if (
          (numeric ? p.containerPort !== target : p.name !== target) ||
          (p.protocol ?? DEFAULT_PROTOCOL) !== protocol
        )
          continue;
        return found({ container: c, containerIndex: ci, portIndex: pi, init }, p.containerPort);
      }
    }
  }
  if (numeric) return { ok: true, port: target };
  return notFound(spec, target, protocol);
}

/**
 * A container port by name, for probes and lifecycle hooks. With `containerName`, only that container is
 * searched and any protocol matches unless one is given: the kubelet's `findPortByName` (pkg/probe/util.go,
 * used by ResolveContainerPort) looks only at the probed container. Without it, the pod is searched in
 * FindPort's order (containers, then sidecars).
 */
export function findContainerPortByName(
  spec: PodSpec,
  name: string,
  protocol?: string,
  containerName?: string,
): PortResolution {
  if (containerName !== undefined) {
    const all: [readonly Container[], boolean][] = [
      [spec.containers ?? [], false],
      [spec.initContainers ?? [], true],
    ];
    for (const [containers, init] of all) {
      const ci = containers.findIndex((c) => c.name === containerName);
      const c = containers[ci];
      if (!c) continue;
      const pi = (c.ports ?? []).findIndex(
        (p) => p.name === name && (protocol === undefined || (p.protocol ?? DEFAULT_PROTOCOL) === protocol),
      );
      const p = c.ports?.[pi];
      if (!p || p.containerPort === undefined) return { ok: false, reason: `port ${name} not found` };
      return found({ container: c, containerIndex: ci, portIndex: pi, init }, p.containerPort);
    }
    return { ok: false, reason: `container "${containerName}" not found` };
  }
  for (const d of servingPorts(spec)) {
    if (d.name === name && (protocol === undefined || d.protocol === protocol)) return found(d, d.port);
  }
  return { ok: false, reason: `port ${name} not found` };
}
