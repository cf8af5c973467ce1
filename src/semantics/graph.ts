/**
 * The resolved graph: every semantic derived once from the loaded objects (pods from workloads, the selector
 * index, endpoints per Service, node ports, ingress routes). Rules, trace, graph drawing and the data plane
 * read it; none of them re-derives a semantic.
 */

import type { ImageKnowledge } from '../knowledge/images.js';
import type { Manifest } from '../model/load.js';
import type { Container, EndpointSlice, Kind, Labels } from '../model/types.js';
import {
  type ExcludedPod,
  endpointInclusion,
  type Inclusion,
  mirrorEndpoints,
  slicesOf,
  type UnresolvedPort,
} from './endpoints.js';
import { type IngressBackendEnv, type IngressRouteTable, ingressRoutes } from './ingress.js';
import {
  type ConfigLookup,
  configLookupFor,
  inferListening,
  type ListeningInference,
  type ObservedPodSockets,
  observedListening,
} from './listening.js';
import { namespaceLabelsOf } from './network-policy.js';
import { allocateNodePorts, DEFAULT_NODE_PORT_RANGE, type NodePortRange } from './node-ports.js';
import { PodIndex } from './selectors.js';
import { type PodInstance, podsFromManifests } from './workloads.js';

export interface ServiceView {
  readonly service: Manifest<'Service'>;
  /** Pods its selector picks in its namespace (empty without a selector). */
  readonly selected: readonly PodInstance[];
  readonly hasSelector: boolean;
  /** False for ExternalName and selectorless Services: the EndpointSlice controller leaves them alone. */
  readonly controllerManaged: boolean;
  /** Computed by the controller, or mirrored from hand-written Endpoints / given EndpointSlices. */
  readonly slices: readonly EndpointSlice[];
  /** Selected pods that got no endpoint, and why. */
  readonly excluded: readonly ExcludedPod[];
  /** Service ports FindPort could not resolve on a selected pod. */
  readonly unresolved: readonly UnresolvedPort[];
  /** Ready endpoints per Service port index (ready condition true, the port present in the slice). */
  readonly readyByPort: readonly number[];
}

export interface GraphOptions {
  readonly nodePortRange?: NodePortRange;
  readonly nodes?: readonly string[];
  readonly maxEndpointsPerSlice?: number;
  /** Image knowledge from the configuration, consulted before the built-in knowledge base. */
  readonly extraImages?: readonly ImageKnowledge[];
  /** Where the ingress controller runs (NetworkPolicy rules ask whether it may reach a backend). */
  readonly ingressNamespace?: string;
  /**
   * What a kubelet observed: a pod's Ready condition as its probes say (undefined: as the input says). The
   * EndpointSlices then follow it as the endpoint controllers follow status (`portchain up`'s prober).
   */
  readonly podReady?: (namespace: string, name: string) => boolean | undefined;
  /**
   * What `--probe` read in a running pod's network namespace (undefined: not probed). Its sockets replace the
   * inference of where that pod's containers listen (listening.ts observedListening).
   */
  readonly observedListening?: (namespace: string, name: string) => ObservedPodSockets | undefined;
}

/** The pods with their Ready condition replaced where `podReady` says otherwise. */
function withReadiness(pods: PodInstance[], podReady: GraphOptions['podReady']): PodInstance[] {
  if (!podReady) return pods;
  return pods.map((p) => {
    const ready = podReady(p.namespace, p.name);
    if (ready === undefined) return p;
    const status = p.pod.status ?? {};
    const others = (status.conditions ?? []).filter(
      (c) => c.type !== 'Ready' && c.type !== 'ContainersReady',
    );
    const value = ready ? 'True' : 'False';
    const conditions = [
      ...others,
      { type: 'ContainersReady', status: value },
      { type: 'Ready', status: value },
    ];
    return { ...p, pod: { ...p.pod, status: { ...status, conditions } } };
  });
}

export interface ResolvedGraph {
  readonly manifests: readonly Manifest[];
  readonly pods: readonly PodInstance[];
  readonly podIndex: PodIndex;
  readonly services: readonly ServiceView[];
  readonly nodePorts: ReturnType<typeof allocateNodePorts>;
  /** Every Ingress's routes, whatever its class (rules decide what a class means to them). */
  readonly ingress: IngressRouteTable;
  readonly ingressEnv: IngressBackendEnv;
  /** True when the input holds real Pods with status (a cluster dump): absence then proves something. */
  readonly hasLivePods: boolean;
  readonly options: Required<Pick<GraphOptions, 'nodePortRange'>> & GraphOptions;
  ofKind<K extends Kind>(kind: K): readonly Manifest<K>[];
  /** A Service by namespace and name. */
  service(namespace: string, name: string): ServiceView | undefined;
  /** The labels of a namespace, as the API server sets them (kubernetes.io/metadata.name included). */
  namespaceLabels(namespace: string): Labels;
  /** ConfigMaps and Secrets of a namespace, for env resolution. */
  config(namespace: string): ConfigLookup;
  /**
   * Where the process of a container really listens (image knowledge, flags, env), computed once per
   * container spec: pods of one workload share the answer.
   */
  listening(pod: PodInstance, container: Container): ListeningInference;
}

const key = (ns: string, name: string) => `${ns}/${name}`;

function readyByPort(service: Manifest<'Service'>, slices: readonly EndpointSlice[]): number[] {
  const ports = service.object.spec.ports ?? [];
  return ports.map((p) => {
    let n = 0;
    for (const s of slices) {
      const has = (s.ports ?? []).some(
        (sp) => (sp.name ?? '') === (p.name ?? '') && (sp.protocol ?? 'TCP') === p.protocol,
      );
      if (!has) continue;
      for (const e of s.endpoints) if (e.conditions?.ready !== false) n++;
    }
    return n;
  });
}

/** What a view keeps of the per-pod pass: the included pods are needed only for the slices. */
type InclusionSummary = Pick<Inclusion, 'controllerManaged' | 'excluded' | 'unresolved'>;

/** Everything of a Service that endpointInclusion reads, besides the pods it selects. */
function inclusionKey(svc: Manifest<'Service'>): string {
  const spec = svc.object.spec;
  return JSON.stringify([
    spec.type,
    spec.clusterIP === 'None',
    spec.publishNotReadyAddresses === true,
    (spec.ports ?? []).map((p) => [p.name, p.port, p.targetPort, p.protocol, p.appProtocol]),
  ]);
}

/**
 * A ServiceView whose EndpointSlices (an object per endpoint, most of resolving's work and memory) are
 * built when first asked for: `check` asks for them only for the Services a rule looks at closely, and
 * `endpoints`, `graph`, `trace` and `up` for all of them, as before.
 */
class LazyServiceView implements ServiceView {
  #slices: readonly EndpointSlice[] | undefined;
  #readyByPort: readonly number[] | undefined;
  /** Builds the slices once; dropped then. */
  #build: (() => readonly EndpointSlice[]) | undefined;
  readonly controllerManaged: boolean;
  readonly excluded: readonly ExcludedPod[];
  readonly unresolved: readonly UnresolvedPort[];

  constructor(
    readonly service: Manifest<'Service'>,
    readonly selected: readonly PodInstance[],
    readonly hasSelector: boolean,
    pods: InclusionSummary,
    build: () => readonly EndpointSlice[],
  ) {
    this.controllerManaged = pods.controllerManaged;
    this.excluded = pods.excluded;
    this.unresolved = pods.unresolved;
    this.#build = build;
  }

  get slices(): readonly EndpointSlice[] {
    if (this.#slices === undefined) {
      this.#slices = (this.#build as () => readonly EndpointSlice[])();
      this.#build = undefined;
    }
    return this.#slices;
  }

  get readyByPort(): readonly number[] {
    this.#readyByPort ??= readyByPort(this.service, this.slices);
    return this.#readyByPort;
  }
}

export function resolveGraph(manifests: readonly Manifest[], options: GraphOptions = {}): ResolvedGraph {
  const byKind = new Map<Kind, Manifest[]>();
  for (const m of manifests) {
    const list = byKind.get(m.kind);
    if (list) list.push(m);
    else byKind.set(m.kind, [m]);
  }
  const ofKind = <K extends Kind>(kind: K) => (byKind.get(kind) ?? []) as Manifest<K>[];

  const pods = withReadiness(
    podsFromManifests(manifests, options.nodes ? { nodes: options.nodes } : {}),
    options.podReady,
  );
  const podIndex = new PodIndex(pods);

  const serviceManifests = new Map<string, Manifest<'Service'>>();
  for (const s of ofKind('Service'))
    if (!serviceManifests.has(key(s.namespace, s.name))) serviceManifests.set(key(s.namespace, s.name), s);

  // Hand-written endpoints for selectorless Services: given EndpointSlices, or Endpoints mirrored as the
  // EndpointSliceMirroring controller does.
  const givenSlices = new Map<string, EndpointSlice[]>();
  for (const s of ofKind('EndpointSlice')) {
    const owner = s.object.metadata.labels?.['kubernetes.io/service-name'];
    if (!owner) continue;
    const k = key(s.namespace, owner);
    const list = givenSlices.get(k);
    if (list) list.push(s.object);
    else givenSlices.set(k, [s.object]);
  }
  for (const e of ofKind('Endpoints')) {
    const k = key(e.namespace, e.name);
    if (!givenSlices.has(k))
      givenSlices.set(k, mirrorEndpoints(e, { service: serviceManifests.get(k) ?? null }));
  }

  const services: ServiceView[] = [];
  const byName = new Map<string, ServiceView>();
  const sliceOptions = {
    ...(options.maxEndpointsPerSlice ? { maxEndpointsPerSlice: options.maxEndpointsPerSlice } : {}),
    ...(options.nodes ? { nodes: options.nodes } : {}),
  };
  // Services with the same selector share their list of pods (PodIndex.select), and those with the same
  // ports as well share the per-pod pass: 5,000 Services over the same 10,000 pods ran it 5,000 times. Only
  // what the views keep is remembered, and only while they are built.
  const passes = new Map<readonly PodInstance[], Map<string, InclusionSummary>>();
  for (const svc of ofKind('Service')) {
    const selector = svc.object.spec.selector;
    const hasSelector = !!selector && Object.keys(selector).length > 0;
    const selected = hasSelector ? podIndex.select(svc.namespace, selector) : [];
    let bySpec = passes.get(selected);
    if (!bySpec) {
      bySpec = new Map();
      passes.set(selected, bySpec);
    }
    const spec = inclusionKey(svc);
    let pods = bySpec.get(spec);
    if (!pods) {
      const { controllerManaged, excluded, unresolved } = endpointInclusion(svc, selected, sliceOptions);
      pods = { controllerManaged, excluded, unresolved };
      bySpec.set(spec, pods);
    }
    const external = svc.object.spec.type === 'ExternalName';
    const given = givenSlices.get(key(svc.namespace, svc.name)) ?? [];
    // The slices' own pass over the pods runs again if they are asked for: holding every Service's per-pod
    // pass until then cost more memory (20 MB at 1x) than running it twice for the few that are.
    const managed = pods.controllerManaged;
    const view = new LazyServiceView(svc, selected, hasSelector, pods, () =>
      managed
        ? slicesOf(svc, endpointInclusion(svc, selected, sliceOptions), sliceOptions)
        : external
          ? []
          : given,
    );
    services.push(view);
    if (!byName.has(key(svc.namespace, svc.name))) byName.set(key(svc.namespace, svc.name), view);
  }

  const nodePortRange = options.nodePortRange ?? DEFAULT_NODE_PORT_RANGE;
  const nodePorts = allocateNodePorts(ofKind('Service'), nodePortRange);

  const ingressEnv: IngressBackendEnv = {
    service: (ns, name) => serviceManifests.get(key(ns, name)),
    readyEndpoints: (svc, portIndex) => byName.get(key(svc.namespace, svc.name))?.readyByPort[portIndex] ?? 0,
  };
  const namespaceLabels = new Map(ofKind('Namespace').map((n) => [n.name, n.object.metadata.labels ?? {}]));
  const configs = new Map<string, ConfigLookup>();
  // ConfigMaps then Secrets, grouped by namespace once: a dump has hundreds of namespaces, each asked for.
  const configSources = new Map<string, Manifest[]>();
  for (const m of [...ofKind('ConfigMap'), ...ofKind('Secret')]) {
    const list = configSources.get(m.namespace);
    if (list) list.push(m);
    else configSources.set(m.namespace, [m]);
  }
  const config = (ns: string): ConfigLookup => {
    let c = configs.get(ns);
    if (!c) {
      c = configLookupFor(ns, configSources.get(ns) ?? []);
      configs.set(ns, c);
    }
    return c;
  };
  // Keyed by the container object: synthesised pods of one workload share their template's containers.
  const listeningMemo = new WeakMap<Container, ListeningInference>();
  const listening = (pod: PodInstance, container: Container): ListeningInference => {
    let l = listeningMemo.get(container);
    if (!l) {
      l = inferListening(container, config(pod.namespace), options.extraImages);
      listeningMemo.set(container, l);
    }
    const seen = options.observedListening?.(pod.namespace, pod.name);
    return seen ? observedListening(l, seen) : l;
  };

  return {
    manifests,
    pods,
    podIndex,
    services,
    nodePorts,
    ingress: ingressRoutes(ofKind('Ingress'), { ingressClass: null }),
    ingressEnv,
    hasLivePods: ofKind('Pod').some((p) => p.object.status?.phase !== undefined),
    options: { ...options, nodePortRange },
    ofKind,
    service: (ns, name) => byName.get(key(ns, name)),
    namespaceLabels: (ns) => namespaceLabelsOf(ns, namespaceLabels.get(ns)),
    config,
    listening,
  };
}
