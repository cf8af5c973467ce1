/**
 * Defaulting as the API server applies it before validation (pkg/apis/core/v1/defaults.go,
 * pkg/apis/networking/v1/defaults.go, the generated `+default` markers) plus the Service registry's
 * normalisation of clusterIP into clusterIPs. Each function returns its object with the defaults set,
 * copying only what it changes.
 */
import { merged } from './merged.js';
import type {
  Container,
  CronJob,
  EndpointSlice,
  Endpoints,
  HTTPGetAction,
  Job,
  KindMap,
  NetworkPolicy,
  NetworkPolicyPort,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ReplicationController,
  Service,
  ServiceSpec,
} from './types.js';

export const DEFAULT_SESSION_AFFINITY_TIMEOUT = 10800;

/** `pkg/api/service/util.go` ExternallyAccessible. */
export function isExternallyAccessible(svc: Service): boolean {
  const t = svc.spec.type;
  return (
    t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && (svc.spec.externalIPs?.length ?? 0) > 0)
  );
}

/**
 * `o` with `changes` set, copied once: keys it has keep their place and new ones go last, as assignment
 * would leave them. `o` itself when every change is already there. Undefined changes are left out.
 */
function withFields<T extends object>(o: T, changes: Partial<T>): T {
  let out: T | null = null;
  for (const k in changes) {
    const v = changes[k];
    if (v === undefined || v === o[k]) continue;
    out ??= merged<T>(o);
    out[k] = v as T[typeof k];
  }
  return out ?? o;
}

/**
 * `list` with `f` applied to each entry: the same array when `f` returns every entry as it was, else an
 * exact-size copy (kept lists live as long as the run; see compact-array.ts).
 */
function mapSame<T>(list: T[] | undefined, f: (x: T) => T): T[] | undefined {
  if (!list) return list;
  let out: T[] | null = null;
  for (let i = 0; i < list.length; i++) {
    const x = list[i] as T;
    const y = f(x);
    if (y === x) continue;
    out ??= list.slice();
    out[i] = y;
  }
  return out ?? list;
}

/** A port with a protocol: `||` for fields whose zero value ("") Go defaults too, `??` for pointers. */
const withProtocol = <P extends { protocol?: string }>(p: P): P =>
  p.protocol ? p : withFields(p, { protocol: 'TCP' } as Partial<P>);
const withProtocolIfUnset = <P extends { protocol?: string }>(p: P): P =>
  p.protocol !== undefined ? p : withFields(p, { protocol: 'TCP' } as Partial<P>);

function defaultServiceSpec(spec: ServiceSpec): ServiceSpec {
  // A Service's defaults depend on each other in order (type, then the traffic policies), so they are set
  // on a copy as Go sets them; the copy is kept only if something changed. Services are few.
  const s = merged<ServiceSpec>(spec);
  if (!s.sessionAffinity) s.sessionAffinity = 'None';
  if (s.sessionAffinity === 'None') {
    delete s.sessionAffinityConfig;
  } else if (s.sessionAffinity === 'ClientIP') {
    if (s.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined) {
      s.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_SESSION_AFFINITY_TIMEOUT } };
    }
  }
  if (!s.type) s.type = 'ClusterIP';
  s.ports = mapSame(s.ports, (port) =>
    withFields(withProtocol(port), {
      // targetPort int 0, string "" or absent all become int(port).
      targetPort:
        port.targetPort === undefined || port.targetPort === 0 || port.targetPort === ''
          ? port.port
          : undefined,
    }),
  );
  if (s.ports === undefined) delete s.ports;
  if (!s.externalTrafficPolicy && isExternallyAccessible({ spec: s } as Service))
    s.externalTrafficPolicy = 'Cluster';
  if (
    s.internalTrafficPolicy === undefined &&
    (s.type === 'ClusterIP' || s.type === 'NodePort' || s.type === 'LoadBalancer')
  ) {
    s.internalTrafficPolicy = 'Cluster';
  }
  if (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts === undefined) {
    s.allocateLoadBalancerNodePorts = true;
  }
  // The registry (beginCreate) keeps clusterIP and clusterIPs in step before validation.
  if (s.clusterIP && !(s.clusterIPs && s.clusterIPs.length > 0)) s.clusterIPs = [s.clusterIP];
  else if (!s.clusterIP && s.clusterIPs && s.clusterIPs.length > 0) s.clusterIP = s.clusterIPs[0];
  return sameFields(s, spec) ? spec : s;
}

/** True when `a` and `b` have the same own keys in the same order, with identical values. */
function sameFields(a: object, b: object): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i] as keyof typeof a;
    if (k !== kb[i] || a[k] !== b[k]) return false;
  }
  return true;
}

function defaultHttpGet<H extends { httpGet?: HTTPGetAction }>(h: H | undefined): H | undefined {
  if (!h?.httpGet) return h;
  const get = h.httpGet;
  return withFields(h, {
    httpGet: withFields(get, { path: get.path || '/', scheme: get.scheme || 'HTTP' }),
  } as Partial<H>);
}

function defaultProbe(probe: Probe | undefined): Probe | undefined {
  if (!probe) return probe;
  // Generated defaulting replaces 0 as well as absent values.
  return defaultHttpGet(
    withFields(probe, {
      timeoutSeconds: probe.timeoutSeconds || 1,
      periodSeconds: probe.periodSeconds || 10,
      successThreshold: probe.successThreshold || 1,
      failureThreshold: probe.failureThreshold || 3,
    }),
  );
}

function defaultContainer(c: Container): Container {
  const lifecycle = c.lifecycle;
  return withFields(c, {
    ports: mapSame(c.ports, withProtocol),
    lifecycle:
      lifecycle &&
      withFields(lifecycle, {
        postStart: defaultHttpGet(lifecycle.postStart),
        preStop: defaultHttpGet(lifecycle.preStop),
      }),
    livenessProbe: defaultProbe(c.livenessProbe),
    readinessProbe: defaultProbe(c.readinessProbe),
    startupProbe: defaultProbe(c.startupProbe),
  });
}

/** Containers in pods and in pod templates alike. */
function defaultPodSpec(spec: PodSpec): PodSpec {
  return withFields(spec, {
    containers: mapSame(spec.containers ?? [], defaultContainer),
    initContainers: mapSame(spec.initContainers, defaultContainer),
    ephemeralContainers: mapSame(spec.ephemeralContainers, defaultContainer),
  });
}

/** defaultHostNetworkPorts: on the host's network a container port is its host port too. */
const withHostPorts = (c: Container): Container =>
  withFields(c, {
    ports: mapSame(c.ports, (p) => (p.hostPort ? p : withFields(p, { hostPort: p.containerPort }))),
  });

/** SetDefaults_Pod: Pod objects only, never templates (defaultHostNetworkPorts). */
function defaultPod(pod: Pod): Pod {
  let spec = defaultPodSpec(pod.spec ?? { containers: [] });
  if (spec.hostNetwork) {
    spec = withFields(spec, {
      containers: mapSame(spec.containers, withHostPorts),
      initContainers: mapSame(spec.initContainers, withHostPorts),
    });
  }
  return withFields(pod, { spec });
}

/** A NetworkPolicy rule whose ports all name a protocol. */
const withRulePorts = <R extends { ports?: NetworkPolicyPort[] }>(r: R): R =>
  withFields(r, { ports: mapSame(r.ports, withProtocolIfUnset) } as Partial<R>);

function defaultNetworkPolicy(np: NetworkPolicy): NetworkPolicy {
  const spec = np.spec ?? { podSelector: {} };
  const egress = mapSame(spec.egress, withRulePorts);
  const noTypes = !spec.policyTypes || spec.policyTypes.length === 0;
  return withFields(np, {
    spec: withFields(spec, {
      podSelector: spec.podSelector ?? {},
      ingress: mapSame(spec.ingress, withRulePorts),
      egress,
      policyTypes: noTypes ? ((egress?.length ?? 0) > 0 ? ['Ingress', 'Egress'] : ['Ingress']) : undefined,
    }),
  });
}

const emptyTemplate = (): PodTemplateSpec => ({ spec: { containers: [] } });

function defaultTemplate(t: PodTemplateSpec): PodTemplateSpec {
  return withFields(t, { spec: defaultPodSpec(t.spec ?? { containers: [] }) });
}

function defaultJobSpec(spec: Job['spec']): Job['spec'] {
  return withFields(spec, {
    parallelism: spec.parallelism ?? 1,
    completions: spec.completions ?? 1,
    template: defaultTemplate(spec.template ?? emptyTemplate()),
  });
}

type Defaulter<K extends keyof KindMap> = (o: KindMap[K]) => KindMap[K];

/** Workloads with a pod template; `replicas`: whether the kind has replicas to default. */
function templated<W extends { spec: { replicas?: number; template?: PodTemplateSpec } }>(
  o: W,
  replicas: boolean,
): W {
  const spec = o.spec ?? {};
  return withFields(o, {
    spec: withFields(spec, {
      replicas: replicas ? (spec.replicas ?? 1) : undefined,
      template: spec.template && defaultTemplate(spec.template),
    }),
  } as Partial<W>);
}

const defaulters: { [K in keyof KindMap]?: Defaulter<K> } = {
  Service: (s) => withFields(s, { spec: defaultServiceSpec(s.spec ?? {}) }),
  Pod: defaultPod,
  Deployment: (d) => templated(d, true),
  ReplicaSet: (d) => templated(d, true),
  StatefulSet: (d) => templated(d, true),
  DaemonSet: (d) => templated(d as never, false),
  ReplicationController: (rc) => {
    const o = templated(rc as ReplicationController, true);
    // SetDefaults_ReplicationController: selector and labels come from the template when absent.
    const labels = o.spec.template?.metadata?.labels;
    const selector = o.spec.selector;
    const empty = (m: object) => Object.keys(m).length === 0;
    if (labels && (!selector || (empty(selector) && !empty(labels))))
      return withFields(o, { spec: withFields(o.spec, { selector: { ...labels } }) });
    return o;
  },
  Job: (j: Job) => withFields(j, { spec: defaultJobSpec(j.spec ?? { template: emptyTemplate() }) }),
  CronJob: (cj: CronJob) => {
    const spec = cj.spec ?? { jobTemplate: { spec: { template: emptyTemplate() } } };
    const jobTemplate = spec.jobTemplate ?? { spec: { template: emptyTemplate() } };
    return withFields(cj, {
      spec: withFields(spec, {
        jobTemplate: withFields(jobTemplate, {
          spec: defaultJobSpec(jobTemplate.spec ?? { template: emptyTemplate() }),
        }),
      }),
    });
  },
  NetworkPolicy: defaultNetworkPolicy,
  Endpoints: (e: Endpoints) =>
    withFields(e, {
      subsets: mapSame(e.subsets, (s) => withFields(s, { ports: mapSame(s.ports, withProtocolIfUnset) })),
    }),
  EndpointSlice: (e: EndpointSlice) =>
    withFields(e, { endpoints: e.endpoints ?? [], ports: mapSame(e.ports, withProtocolIfUnset) }),
  Ingress: (i) => withFields(i, { spec: i.spec ?? {} }),
};

/**
 * The API server's defaults for `kind` applied to a decoded object. Copy on write: the result shares every
 * part defaulting leaves as it was, and no object given is changed (decoding shares the source's own).
 */
export function applyDefaults<K extends keyof KindMap>(kind: K, object: KindMap[K]): KindMap[K] {
  const o = withFields(object, { metadata: object.metadata ?? {} } as Partial<KindMap[K]>);
  const d = defaulters[kind] as Defaulter<K> | undefined;
  return d ? d(o) : o;
}
