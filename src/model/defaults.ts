/**
 * Defaulting as the API server applies it before validation (pkg/apis/core/v1/defaults.go,
 * pkg/apis/networking/v1/defaults.go, the generated `+default` markers) plus the Service registry's
 * normalisation of clusterIP into clusterIPs. Each function mutates the decoded copy it is given.
 */
import type {
  Container,
  CronJob,
  EndpointSlice,
  Endpoints,
  Job,
  KindMap,
  NetworkPolicy,
  Pod,
  PodSpec,
  Probe,
  Service,
} from './types.js';

export const DEFAULT_SESSION_AFFINITY_TIMEOUT = 10800;

/** `pkg/api/service/util.go` ExternallyAccessible. */
export function isExternallyAccessible(svc: Service): boolean {
  const t = svc.spec.type;
  return (
    t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && (svc.spec.externalIPs?.length ?? 0) > 0)
  );
}

export function defaultService(svc: Service): void {
  const spec = svc.spec;
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') {
    delete spec.sessionAffinityConfig;
  } else if (spec.sessionAffinity === 'ClientIP') {
    if (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined) {
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_SESSION_AFFINITY_TIMEOUT } };
    }
  }
  if (!spec.type) spec.type = 'ClusterIP';
  for (const port of spec.ports ?? []) {
    if (!port.protocol) port.protocol = 'TCP';
    // targetPort int 0, string "" or absent all become int(port).
    if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '') {
      port.targetPort = port.port;
    }
  }
  if (!spec.externalTrafficPolicy && isExternallyAccessible(svc)) spec.externalTrafficPolicy = 'Cluster';
  if (
    spec.internalTrafficPolicy === undefined &&
    (spec.type === 'ClusterIP' || spec.type === 'NodePort' || spec.type === 'LoadBalancer')
  ) {
    spec.internalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined) {
    spec.allocateLoadBalancerNodePorts = true;
  }
  // The registry (beginCreate) keeps clusterIP and clusterIPs in step before validation.
  if (spec.clusterIP && !(spec.clusterIPs && spec.clusterIPs.length > 0)) spec.clusterIPs = [spec.clusterIP];
  else if (!spec.clusterIP && spec.clusterIPs && spec.clusterIPs.length > 0)
    spec.clusterIP = spec.clusterIPs[0];
}

function defaultProbe(probe: Probe | undefined): void {
  if (!probe) return;
  // Generated defaulting replaces 0 as well as absent values.
  probe.timeoutSeconds ||= 1;
  probe.periodSeconds ||= 10;
  probe.successThreshold ||= 1;
  probe.failureThreshold ||= 3;
  if (probe.httpGet) {
    if (!probe.httpGet.path) probe.httpGet.path = '/';
    if (!probe.httpGet.scheme) probe.httpGet.scheme = 'HTTP';
  }
}

function defaultContainer(c: Container): void {
  for (const p of c.ports ?? []) if (!p.protocol) p.protocol = 'TCP';
  for (const h of [c.lifecycle?.postStart, c.lifecycle?.preStop]) {
    if (h?.httpGet) {
      h.httpGet.path ||= '/';
      h.httpGet.scheme ||= 'HTTP';
    }
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
}

/** Containers in pods and in pod templates alike. */
export function defaultPodSpec(spec: PodSpec): void {
  spec.containers ??= [];
  for (const c of spec.containers) defaultContainer(c);
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c);
}

/** SetDefaults_Pod: Pod objects only, never templates (defaultHostNetworkPorts). */
export function defaultPod(pod: Pod): void {
  pod.spec ??= { containers: [] };
  defaultPodSpec(pod.spec);
  if (pod.spec.hostNetwork) {
    for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
      for (const p of c.ports ?? []) if (!p.hostPort) p.hostPort = p.containerPort;
    }
  }
}

export function defaultNetworkPolicy(np: NetworkPolicy): void {
  np.spec ??= { podSelector: {} };
  np.spec.podSelector ??= {};
  for (const rule of [...(np.spec.ingress ?? []), ...(np.spec.egress ?? [])]) {
    for (const p of rule.ports ?? []) p.protocol ??= 'TCP';
  }
  if (!np.spec.policyTypes || np.spec.policyTypes.length === 0) {
    np.spec.policyTypes = ['Ingress'];
    if ((np.spec.egress?.length ?? 0) > 0) np.spec.policyTypes.push('Egress');
  }
}

function defaultJobSpec(spec: Job['spec']): void {
  spec.parallelism ??= 1;
  spec.completions ??= 1;
  spec.template ??= { spec: { containers: [] } };
  spec.template.spec ??= { containers: [] };
  defaultPodSpec(spec.template.spec);
}

type Defaulter<K extends keyof KindMap> = (o: KindMap[K]) => void;

const templated = (
  o: { spec: { replicas?: number; template?: { spec: PodSpec } } },
  replicas: boolean,
): void => {
  o.spec ??= {};
  if (replicas) o.spec.replicas ??= 1;
  if (o.spec.template) {
    o.spec.template.spec ??= { containers: [] };
    defaultPodSpec(o.spec.template.spec);
  }
};

const defaulters: { [K in keyof KindMap]?: Defaulter<K> } = {
  Service: (s) => {
    s.spec ??= {};
    defaultService(s);
  },
  Pod: defaultPod,
  Deployment: (d) => templated(d, true),
  ReplicaSet: (d) => templated(d, true),
  StatefulSet: (d) => templated(d, true),
  DaemonSet: (d) => templated(d as never, false),
  ReplicationController: (rc) => {
    templated(rc as never, true);
    // SetDefaults_ReplicationController: selector and labels come from the template when absent.
    const labels = rc.spec.template?.metadata?.labels;
    if (labels && (!rc.spec.selector || Object.keys(rc.spec.selector).length === 0))
      rc.spec.selector = { ...labels };
  },
  Job: (j: Job) => {
    j.spec ??= { template: { spec: { containers: [] } } };
    defaultJobSpec(j.spec);
  },
  CronJob: (cj: CronJob) => {
    cj.spec ??= { jobTemplate: { spec: { template: { spec: { containers: [] } } } } };
    cj.spec.jobTemplate ??= { spec: { template: { spec: { containers: [] } } } };
    cj.spec.jobTemplate.spec ??= { template: { spec: { containers: [] } } };
    defaultJobSpec(cj.spec.jobTemplate.spec);
  },
  NetworkPolicy: defaultNetworkPolicy,
  Endpoints: (e: Endpoints) => {
    for (const s of e.subsets ?? []) for (const p of s.ports ?? []) p.protocol ??= 'TCP';
  },
  EndpointSlice: (e: EndpointSlice) => {
    e.endpoints ??= [];
    for (const p of e.ports ?? []) p.protocol ??= 'TCP';
  },
  Ingress: (i) => {
    i.spec ??= {};
  },
};

/** Applies the API server's defaults for `kind` to a decoded object, in place. */
export function applyDefaults<K extends keyof KindMap>(kind: K, object: KindMap[K]): void {
  object.metadata ??= {};
  const d = defaulters[kind] as Defaulter<K> | undefined;
  d?.(object);
}
