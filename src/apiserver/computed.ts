/**
 * What controllers and the kubelet would write, derived from the running `up` (its graph and plan) by the
 * semantic core: the pods of the workloads, pod status, EndpointSlices and Endpoints (with the pods' loopback
 * addresses, where the data plane really answers), Service clusterIPs and load-balancer status, workload
 * replica counts. Nothing here re-derives a semantic: it renders graph and plan as API objects.
 */

import { createHash } from 'node:crypto';
import type { Finding } from '../model/finding.js';
import type { PodTemplateSpec } from '../model/types.js';
import { RejectedObjects } from '../rules/rejection.js';
import type { ContainerRunState } from '../runtime/images/run.js';
import type { ClusterPlan } from '../runtime/plan.js';
import { isPodReady, legacyEndpoints } from '../semantics/endpoints.js';
import type { ResolvedGraph } from '../semantics/graph.js';
import { type PodInstance, podTemplateHash } from '../semantics/workloads.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json.js';

export interface UpView {
  readonly graph: ResolvedGraph;
  readonly plan: ClusterPlan;
  readonly findings: readonly Finding[];
  /** The kubelet's readiness of a pod when it decides it (RunningPods.ready). */
  readonly ready?: (namespace: string, pod: string) => boolean | undefined;
  /** Restarts and crash back-off of a container `up` runs (RunningPods.containerStatus). */
  readonly container?: (namespace: string, pod: string, container: string) => ContainerRunState | undefined;
}

const asJson = (v: unknown): JsonObject => JSON.parse(JSON.stringify(v ?? {})) as JsonObject;

/** graph pod IP (10.244.x.y) -> the loopback IP the plan gave that pod. */
function ipMap(plan: ClusterPlan): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of plan.pods) if (p.clusterPodIP) m.set(p.clusterPodIP, p.ip);
  return m;
}

function podStatus(p: PodInstance, up: UpView, startedAt: string): JsonObject {
  const plan = up.plan;
  const planned = plan.pods.find((x) => x.namespace === p.namespace && x.name === p.name);
  const ready = up.ready?.(p.namespace, p.name) ?? isPodReady(p.pod);
  const ip = planned?.ip ?? p.pod.status?.podIP ?? '';
  const containers = p.pod.spec.containers ?? [];
  const runs = containers.map((c) => up.container?.(p.namespace, p.name, c.name));
  // Every container down for good: the pod's phase ends (Succeeded when each exited 0), as the kubelet's.
  const ended = runs.length > 0 && runs.every((r) => r?.terminated !== undefined);
  const phase = ended
    ? runs.every((r) => r?.terminated?.exitCode === 0)
      ? 'Succeeded'
      : 'Failed'
    : (p.pod.status?.phase ?? 'Running');
  return {
    phase,
    ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
    hostIP: plan.node,
    hostIPs: [{ ip: plan.node }],
    startTime: startedAt,
    conditions: (p.pod.status?.conditions ?? []).map((c) => ({
      type: c.type,
      status: (c.type === 'Ready' || c.type === 'ContainersReady') && !ready ? 'False' : c.status,
    })),
    containerStatuses: containers.map((c, i): JsonObject => {
      const run = runs[i];
      const state: JsonObject = run?.waiting
        ? { waiting: { reason: run.waiting.reason, message: run.waiting.message } }
        : run?.terminated
          ? { terminated: { ...run.terminated, startedAt } }
          : { running: { startedAt } };
      return {
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        ready: ready && !run?.waiting && !run?.terminated,
        restartCount: run?.restartCount ?? 0,
        started: !run?.waiting && !run?.terminated,
        state,
      };
    }),
  };
}

/** The pods of the workloads (Pods written through the API are stored, not computed). */
export function workloadPods(up: UpView): JsonObject[] {
  const rejected = new RejectedObjects(up.findings);
  const out: JsonObject[] = [];
  const seen = new Set<string>();
  for (const p of up.graph.pods) {
    if (!p.synthesized || rejected.has(p.owner)) continue;
    const key = `${p.namespace}/${p.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const created = stampOf(p.owner.raw);
    const pod = asJson(p.pod);
    const meta = isJsonObject(pod.metadata) ? pod.metadata : {};
    meta.namespace = p.namespace;
    if (created) meta.creationTimestamp = created;
    pod.metadata = meta;
    pod.status = podStatus(p, up, created ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'));
    out.push(pod);
  }
  return out;
}

const stampOf = (raw: Record<string, unknown>): string | undefined => {
  const m = raw.metadata;
  return isJsonObject(m as JsonValue) && typeof (m as JsonObject).creationTimestamp === 'string'
    ? ((m as JsonObject).creationTimestamp as string)
    : undefined;
};

/** The status the kubelet writes for a Pod stored through the API. */
export function storedPodStatus(
  up: UpView,
  namespace: string,
  name: string,
  startedAt: string,
): JsonObject | null {
  const p = up.graph.pods.find((x) => !x.synthesized && x.namespace === namespace && x.name === name);
  return p ? podStatus(p, up, startedAt) : null;
}

function rewriteAddresses(v: JsonValue, ips: Map<string, string>): JsonValue {
  if (Array.isArray(v)) return v.map((x) => rewriteAddresses(x, ips));
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if ((k === 'addresses' || k === 'notReadyAddresses') && Array.isArray(x))
      out[k] = x.map((a) =>
        typeof a === 'string'
          ? (ips.get(a) ?? a)
          : isJsonObject(a) && typeof a.ip === 'string'
            ? { ...a, ip: ips.get(a.ip) ?? a.ip }
            : a,
      );
    else out[k] = rewriteAddresses(x, ips);
  }
  return out;
}

/** The EndpointSlices of every accepted Service, as the EndpointSlice controller (and mirroring) writes them. */
export function endpointSlices(up: UpView): JsonObject[] {
  const rejected = new RejectedObjects(up.findings);
  const ips = ipMap(up.plan);
  const out: JsonObject[] = [];
  for (const v of up.graph.services) {
    if (rejected.has(v.service)) continue;
    for (const s of v.slices) {
      const slice = rewriteAddresses(asJson(s), ips) as JsonObject;
      const meta = isJsonObject(slice.metadata) ? slice.metadata : {};
      meta.namespace = v.service.namespace;
      const created = stampOf(v.service.raw);
      if (created) meta.creationTimestamp = created;
      slice.metadata = meta;
      out.push(slice);
    }
  }
  return out;
}

/** The Endpoints of every accepted controller-managed Service, as the endpoints controller writes them. */
export function endpoints(up: UpView): JsonObject[] {
  const rejected = new RejectedObjects(up.findings);
  const ips = ipMap(up.plan);
  const out: JsonObject[] = [];
  for (const v of up.graph.services) {
    if (rejected.has(v.service)) continue;
    const ep = legacyEndpoints(v.service, v.selected);
    if (!ep) continue;
    const o = rewriteAddresses(asJson(ep), ips) as JsonObject;
    const meta = isJsonObject(o.metadata) ? o.metadata : {};
    const created = stampOf(v.service.raw);
    if (created) meta.creationTimestamp = created;
    o.metadata = meta;
    if (Array.isArray(o.subsets) && o.subsets.length === 0) delete o.subsets;
    out.push(o);
  }
  return out;
}

/** What the Service registry and the cloud controller write into a Service: clusterIP(s), LB ingress. */
export function serviceAllocations(
  up: UpView,
  namespace: string,
  name: string,
): { clusterIP: string | null; loadBalancerIP: string | null } | null {
  const s = up.plan.services.find((x) => x.namespace === namespace && x.name === name);
  if (!s) return null;
  return { clusterIP: s.clusterIP, loadBalancerIP: s.loadBalancerIP };
}

/** Replica counts a workload controller writes, from the pods the graph derived for it. */
export function workloadStatus(
  up: UpView,
  kind: string,
  namespace: string,
  name: string,
  generation: JsonValue | undefined,
  replicaSetName?: string,
): JsonObject {
  const pods = up.graph.pods.filter(
    (p) => p.synthesized && p.owner.kind === kind && p.owner.namespace === namespace && p.owner.name === name,
  );
  const ready = pods.filter((p) => isPodReady(p.pod)).length;
  const gen: JsonObject = typeof generation === 'number' ? { observedGeneration: generation } : {};
  if (kind === 'DaemonSet')
    return {
      ...gen,
      currentNumberScheduled: pods.length,
      desiredNumberScheduled: pods.length,
      numberAvailable: ready,
      numberMisscheduled: 0,
      numberReady: ready,
      updatedNumberScheduled: pods.length,
    };
  if (kind === 'StatefulSet')
    return {
      ...gen,
      availableReplicas: ready,
      currentReplicas: pods.length,
      readyReplicas: ready,
      replicas: pods.length,
      updatedReplicas: pods.length,
    };
  return {
    ...gen,
    availableReplicas: ready,
    readyReplicas: ready,
    replicas: pods.length,
    updatedReplicas: pods.length,
    conditions: [
      {
        type: 'Available',
        status: ready > 0 || pods.length === 0 ? 'True' : 'False',
        reason: 'MinimumReplicasAvailable',
        message: 'Deployment has minimum availability.',
      },
      {
        type: 'Progressing',
        status: 'True',
        reason: 'NewReplicaSetAvailable',
        message: `ReplicaSet "${replicaSetName ?? name}" has successfully progressed.`,
      },
    ],
  };
}

/** A stable UID for an object the controllers own (the same name gives the same UID on every read). */
export function derivedUid(kind: string, namespace: string, name: string): string {
  const h = createHash('sha1').update(`${kind}/${namespace}/${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function templateHash(d: StoredDeployment): string | undefined {
  const spec = isJsonObject(d.object.spec) ? d.object.spec : {};
  return isJsonObject(spec.template)
    ? podTemplateHash(spec.template as unknown as PodTemplateSpec)
    : undefined;
}

/** The name of the ReplicaSet a Deployment's controller creates for its current template. */
export function replicaSetName(d: StoredDeployment): string | undefined {
  const hash = templateHash(d);
  return hash === undefined ? undefined : `${d.name}-${hash}`;
}

/** A Deployment as stored, for the ReplicaSet its controller creates. */
export interface StoredDeployment {
  readonly namespace: string;
  readonly name: string;
  readonly object: JsonObject;
}

/**
 * The ReplicaSet each Deployment's controller keeps for its current template: `<deployment>-<pod-template-hash>`
 * (the name the pods' ownerReferences carry), with the template's labels plus `pod-template-hash`, the
 * Deployment as controller owner, the revision annotations, and replica counts from the pods the graph
 * derived (pkg/controller/deployment/sync.go getNewReplicaSet). One ReplicaSet: `up` rolls out at once.
 */
export function replicaSets(up: UpView, deployments: readonly StoredDeployment[]): JsonObject[] {
  const out: JsonObject[] = [];
  for (const d of deployments) {
    const spec = isJsonObject(d.object.spec) ? d.object.spec : {};
    const template = isJsonObject(spec.template) ? spec.template : null;
    const hash = templateHash(d);
    if (!template || hash === undefined) continue;
    const name = `${d.name}-${hash}`;
    const pods = up.graph.pods.filter(
      (p) =>
        p.synthesized &&
        p.namespace === d.namespace &&
        p.pod.metadata?.ownerReferences?.some((r) => r.kind === 'ReplicaSet' && r.name === name),
    );
    const ready = pods.filter((p) => isPodReady(p.pod)).length;
    const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const meta = metadataOf(d.object);
    const tmeta = isJsonObject(template.metadata) ? template.metadata : {};
    const labels = { ...(isJsonObject(tmeta.labels) ? tmeta.labels : {}), 'pod-template-hash': hash };
    const selector = isJsonObject(spec.selector) ? spec.selector : {};
    const matchLabels = isJsonObject(selector.matchLabels) ? selector.matchLabels : {};
    const created = typeof meta.creationTimestamp === 'string' ? meta.creationTimestamp : undefined;
    out.push({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: d.namespace,
        uid: derivedUid('ReplicaSet', d.namespace, name),
        ...(created ? { creationTimestamp: created } : {}),
        generation: 1,
        labels,
        annotations: {
          'deployment.kubernetes.io/desired-replicas': String(replicas),
          'deployment.kubernetes.io/max-replicas': String(replicas + Math.ceil(replicas / 4)),
          'deployment.kubernetes.io/revision': '1',
        },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: d.name,
            ...(typeof meta.uid === 'string' ? { uid: meta.uid } : {}),
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        replicas,
        selector: { ...selector, matchLabels: { ...matchLabels, 'pod-template-hash': hash } },
        template: { ...template, metadata: { ...tmeta, labels } },
      },
      status: {
        replicas: pods.length,
        fullyLabeledReplicas: pods.length,
        readyReplicas: ready,
        availableReplicas: ready,
        observedGeneration: 1,
      },
    });
  }
  return out;
}

const metadataOf = (o: JsonObject): JsonObject => (isJsonObject(o.metadata) ? o.metadata : {});
