/**
 * Kubernetes Events for what `up` does, in the wording the real components use, so `kubectl describe pod`
 * and `kubectl get events` read as against a cluster:
 * - the scheduler: `Scheduled`, "Successfully assigned NS/POD to NODE" (pkg/scheduler/schedule_one.go);
 * - the kubelet per container: `Pulled` "Container image "X" already present on machine" (every image here is
 *   local: pkg/kubelet/images/image_manager.go), `Created` "Created container: C", `Started` "Started container C"
 *   (pkg/kubelet/kuberuntime/kuberuntime_container.go), reasons from pkg/kubelet/events/event.go;
 * - the prober: Warning `Unhealthy` "Readiness probe failed: ..." (pkg/kubelet/prober/prober.go), the cause
 *   phrased as Go's net/http and probe/http phrase it;
 * - the service controller, for LoadBalancer Services only: `EnsuringLoadBalancer`, `EnsuredLoadBalancer`
 *   (staging/src/k8s.io/cloud-provider/controllers/service/controller.go).
 */
import type { ContainerPort, Probe } from '../model/types.js';
import type { ClusterPlan } from '../runtime/plan.js';
import { httpProbe, type ProbeOutcome, resolveProbePort, tcpProbe } from '../runtime/probes.js';
import type { ResolvedGraph } from '../semantics/graph.js';
import type { JsonObject } from './json.js';

/** The one node's name (the scheduler's binding writes it into spec.nodeName). */
export const NODE_NAME = 'node-1';

export interface InvolvedObject {
  readonly kind: 'Pod' | 'Service';
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
  /** `spec.containers{NAME}` for a container's events, as the kubelet's references say. */
  readonly fieldPath?: string;
}

export interface EventSource {
  readonly component: string;
  readonly host?: string;
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

const KUBELET: EventSource = { component: 'kubelet', host: NODE_NAME };
const SCHEDULER: EventSource = { component: 'default-scheduler' };
const SERVICE_CONTROLLER: EventSource = { component: 'service-controller' };

/** The events recorded so far (core/v1 Event objects), kept in order. */
export class EventRecorder {
  private readonly events: JsonObject[] = [];
  private seq = 0;
  /** Per pod: what its containers were when their start was recorded (a changed spec restarts them). */
  private readonly started = new Map<string, string>();
  private readonly balanced = new Set<string>();
  private readonly notReady = new Set<string>();

  list(): JsonObject[] {
    return this.events;
  }

  record(
    object: InvolvedObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    source: EventSource,
  ): void {
    const at = now();
    // The recorder names an event OBJECT.<hex unix nanoseconds> (client-go tools/record/event.go).
    const nanos = BigInt(Date.now()) * 1_000_000n + BigInt(this.seq++);
    this.events.push({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${object.name}.${nanos.toString(16)}`, namespace: object.namespace },
      involvedObject: {
        apiVersion: 'v1',
        kind: object.kind,
        namespace: object.namespace,
        name: object.name,
        ...(object.uid ? { uid: object.uid } : {}),
        ...(object.fieldPath ? { fieldPath: object.fieldPath } : {}),
      },
      reason,
      message,
      source: { ...source },
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: source.component,
      reportingInstance: source.host ?? '',
    });
  }

  /**
   * After a reconcile: the pods that started (or restarted with a new spec) since the last call get the
   * scheduler's and the kubelet's start events; new LoadBalancer Services get the service controller's.
   */
  observe(
    plan: ClusterPlan,
    uidOf: (kind: 'Pod' | 'Service', ns: string, name: string) => string | undefined,
  ) {
    const live = new Set<string>();
    for (const p of plan.pods) {
      const key = `${p.namespace}/${p.name}`;
      live.add(key);
      const uid = uidOf('Pod', p.namespace, p.name);
      const signature = JSON.stringify([uid, p.containers.map((c) => [c.name, c.image, c.args, c.env])]);
      const was = this.started.get(key);
      if (was === signature) continue;
      this.started.set(key, signature);
      const pod: InvolvedObject = {
        kind: 'Pod',
        namespace: p.namespace,
        name: p.name,
        ...(uid ? { uid } : {}),
      };
      if (was === undefined || JSON.parse(was)[0] !== uid)
        this.record(
          pod,
          'Normal',
          'Scheduled',
          `Successfully assigned ${p.namespace}/${p.name} to ${NODE_NAME}`,
          SCHEDULER,
        );
      for (const c of p.containers) {
        const ref = { ...pod, fieldPath: `spec.containers{${c.name}}` };
        this.record(
          ref,
          'Normal',
          'Pulled',
          `Container image "${c.image}" already present on machine`,
          KUBELET,
        );
        this.record(ref, 'Normal', 'Created', `Created container: ${c.name}`, KUBELET);
        this.record(ref, 'Normal', 'Started', `Started container ${c.name}`, KUBELET);
      }
    }
    for (const k of [...this.started.keys()]) if (!live.has(k)) this.started.delete(k);
    for (const s of plan.services) {
      const key = `${s.namespace}/${s.name}`;
      if (s.type !== 'LoadBalancer' || this.balanced.has(key)) continue;
      this.balanced.add(key);
      const uid = uidOf('Service', s.namespace, s.name);
      const svc: InvolvedObject = {
        kind: 'Service',
        namespace: s.namespace,
        name: s.name,
        ...(uid ? { uid } : {}),
      };
      this.record(svc, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer', SERVICE_CONTROLLER);
      if (s.loadBalancerIP)
        this.record(svc, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer', SERVICE_CONTROLLER);
    }
  }

  /**
   * Readiness as the kubelet reports it (`ready(ns, pod)`): a pod that turned not ready gets one `Unhealthy`
   * event per failing readiness probe, its cause read by running that probe once more (the same probe code
   * the kubelet simulation runs). Resolves true when it recorded something.
   */
  async observeReadiness(
    plan: ClusterPlan,
    graph: ResolvedGraph,
    ready: (ns: string, pod: string) => boolean | undefined,
    uidOf: (kind: 'Pod', ns: string, name: string) => string | undefined,
  ): Promise<boolean> {
    let recorded = false;
    for (const p of plan.pods) {
      const key = `${p.namespace}/${p.name}`;
      if (ready(p.namespace, p.name) !== false) {
        this.notReady.delete(key);
        continue;
      }
      if (this.notReady.has(key)) continue;
      this.notReady.add(key);
      const spec = graph.pods.find((g) => g.namespace === p.namespace && g.name === p.name)?.pod.spec;
      for (const c of spec?.containers ?? []) {
        const probe = c.readinessProbe;
        if (!probe) continue;
        const cause = await probeFailure(probe, p.ip, c.ports ?? [], plan.lowPortOffset);
        if (cause === null) continue;
        const uid = uidOf('Pod', p.namespace, p.name);
        this.record(
          {
            kind: 'Pod',
            namespace: p.namespace,
            name: p.name,
            ...(uid ? { uid } : {}),
            fieldPath: `spec.containers{${c.name}}`,
          },
          'Warning',
          'Unhealthy',
          `Readiness probe failed: ${cause}`,
          KUBELET,
        );
        recorded = true;
      }
    }
    return recorded;
  }
}

/** Go's net dial error for an outcome's errno (what the kubelet's probe error prints). */
function dialError(target: string, outcome: ProbeOutcome): string {
  if (outcome.detail === 'ECONNREFUSED') return `dial tcp ${target}: connect: connection refused`;
  if (outcome.detail === 'ECONNRESET') return `read tcp ${target}: read: connection reset by peer`;
  if (outcome.detail.startsWith('timeout')) return `dial tcp ${target}: i/o timeout`;
  return `dial tcp ${target}: ${outcome.detail}`;
}

/**
 * One more run of a failing readiness probe; the cause as the prober reports it, or null when it passes now
 * (or is of a kind portchain does not run). Dials the pod's loopback address, low ports at their offset.
 */
async function probeFailure(
  probe: Probe,
  ip: string,
  ports: readonly ContainerPort[],
  offset: number,
): Promise<string | null> {
  const action = probe.httpGet ?? probe.tcpSocket;
  if (!action) return null;
  const port = resolveProbePort(action.port, ports);
  if (port === undefined) return `port ${String(action.port)} not found in the container`;
  const dial = port < 1024 ? port + offset : port;
  const host = action.host ?? ip;
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  const target = `${host}:${dial}`;
  if (probe.httpGet) {
    const outcome = await httpProbe(host, dial, probe.httpGet, timeoutMs);
    if (outcome.ok) return null;
    const code = /^HTTP (\d+)$/.exec(outcome.detail)?.[1];
    // probe/http: a non-2xx/3xx answer; otherwise Go's client error, with the URL it tried.
    if (code) return `HTTP probe failed with statuscode: ${code}`;
    const path = probe.httpGet.path
      ? probe.httpGet.path.startsWith('/')
        ? probe.httpGet.path
        : `/${probe.httpGet.path}`
      : '/';
    const url = `${(probe.httpGet.scheme ?? 'HTTP').toLowerCase()}://${target}${path}`;
    if (outcome.detail.startsWith('timeout'))
      return `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`;
    return `Get "${url}": ${dialError(target, outcome)}`;
  }
  const outcome = await tcpProbe(host, dial, timeoutMs);
  return outcome.ok ? null : dialError(target, outcome);
}
