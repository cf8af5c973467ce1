/**
 * The port-using handlers of a container (probes and lifecycle hooks) and what a failing one costs, in the
 * kubelet's terms. Shared by probe-port-unresolved and probe-port-not-listening.
 */
import type { FieldPath } from '../../model/field-path.js';
import { listText } from '../../model/list-text.js';
import type { Manifest } from '../../model/load.js';
import type { IntOrString, LifecycleHandler, ProbeHandler } from '../../model/types.js';
import type { ContainerRef } from './listening-view.js';
import { serviceRef } from './service-backends.js';

export type HandlerKind = 'readinessProbe' | 'livenessProbe' | 'startupProbe' | 'postStart' | 'preStop';

export interface PortHandler {
  readonly kind: HandlerKind;
  readonly action: 'httpGet' | 'tcpSocket' | 'grpc';
  readonly port: IntOrString;
  /** httpGet.host / tcpSocket.host: the handler connects elsewhere than the pod IP. */
  readonly host?: string;
  /** `spec.template.spec.containers[0].readinessProbe.httpGet.port` on the owner. */
  readonly field: FieldPath;
  /** `readinessProbe.httpGet.port`, relative to the container, for messages. */
  readonly name: string;
}

const PROBES = ['readinessProbe', 'livenessProbe', 'startupProbe'] as const;
const HOOKS = ['postStart', 'preStop'] as const;

function actions(
  h: ProbeHandler | LifecycleHandler,
  kind: HandlerKind,
  base: FieldPath,
  prefix: string,
  lifecycle: boolean,
): PortHandler[] {
  const out: PortHandler[] = [];
  const add = (action: PortHandler['action'], port: IntOrString | undefined, host?: string) => {
    if (port === undefined) return;
    out.push({
      kind,
      action,
      port,
      ...(host ? { host } : {}),
      field: base.child(action, 'port'),
      name: `${prefix}.${action}.port`,
    });
  };
  if (h.httpGet) add('httpGet', h.httpGet.port, h.httpGet.host);
  // tcpSocket is not supported as a lifecycle handler (the hook fails whatever the port): not a port question.
  if (h.tcpSocket && !lifecycle) add('tcpSocket', h.tcpSocket.port, h.tcpSocket.host);
  if ('grpc' in h && h.grpc) add('grpc', h.grpc.port);
  return out;
}

/** Every probe and lifecycle hook of the container that connects to a port. */
export function portHandlers(ref: ContainerRef): PortHandler[] {
  const c = ref.container;
  const out: PortHandler[] = [];
  for (const kind of PROBES) {
    const p = c[kind];
    if (p) out.push(...actions(p, kind, ref.path.child(kind), kind, false));
  }
  for (const kind of HOOKS) {
    const h = c.lifecycle?.[kind];
    if (h) out.push(...actions(h, kind, ref.path.child('lifecycle', kind), `lifecycle.${kind}`, true));
  }
  return out;
}

/** What happens when this handler can never succeed, in the order the kubelet makes it happen. */
export function consequence(kind: HandlerKind, services: readonly Manifest<'Service'>[]): string {
  const endpoints =
    services.length > 0
      ? `${listText(services.map((s) => `Service ${serviceRef(s)}`))} ${services.length > 1 ? 'get' : 'gets'} no ready endpoint from it`
      : 'no Service can get a ready endpoint from it';
  switch (kind) {
    case 'readinessProbe':
      return `the readiness probe never succeeds -> the container never becomes Ready -> the pod is never Ready -> ${endpoints}`;
    case 'livenessProbe':
      return 'the liveness probe fails every time -> after failureThreshold failures the kubelet kills the container and restarts it, over and over (CrashLoopBackOff)';
    case 'startupProbe':
      return `the startup probe never succeeds -> the kubelet kills and restarts the container after failureThreshold failures, and its liveness and readiness probes never start -> the pod is never Ready -> ${endpoints}`;
    case 'postStart':
      return 'the postStart hook fails (FailedPostStartHook) -> the kubelet kills the container right after it starts, so it never serves';
    case 'preStop':
      return 'the preStop hook fails (FailedPreStopHook) -> the container is stopped without its graceful-shutdown step';
  }
}

/** A failing preStop hook costs a graceful shutdown, not the chain: it is reported one step lower. */
export function handlerSeverity<S extends string>(kind: HandlerKind, normal: S, lower: S): S {
  return kind === 'preStop' ? lower : normal;
}
