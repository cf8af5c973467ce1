/**
 * The resolved graph: every semantic derived once from the loaded objects (pods from workloads, the selector
 * index, endpoints per Service, node ports). Rules, trace, graph drawing and the data plane read it; none of
 * them re-derives a semantic.
 */
import type { Manifest } from '../model/load.js';
import type { EndpointSlice, Kind } from '../model/types.js';
import { computeEndpointSlices, mirrorEndpoints } from './endpoints.js';
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
}

export interface GraphOptions {
  readonly nodePortRange?: NodePortRange;
  readonly nodes?: readonly string[];
  readonly maxEndpointsPerSlice?: number;
}

export interface ResolvedGraph {
  readonly manifests: readonly Manifest[];
  readonly pods: readonly PodInstance[];
  readonly podIndex: PodIndex;
  readonly services: readonly ServiceView[];
  readonly nodePorts: ReturnType<typeof allocateNodePorts>;
  readonly options: Required<Pick<GraphOptions, 'nodePortRange'>> & GraphOptions;
  ofKind<K extends Kind>(kind: K): readonly Manifest<K>[];
  /** A Service by namespace and name. */
  service(namespace: string, name: string): ServiceView | undefined;
}

const key = (ns: string, name: string) => `${ns}/${name}`;

export function resolveGraph(manifests: readonly Manifest[], options: GraphOptions = {}): ResolvedGraph {
  const byKind = new Map<Kind, Manifest[]>();
  for (const m of manifests) {
    const list = byKind.get(m.kind);
    if (list) list.push(m);
    else byKind.set(m.kind, [m]);
  }
  const ofKind = <K extends Kind>(kind: K) => (byKind.get(kind) ?? []) as Manifest<K>[];

  const pods = podsFromManifests(manifests, options.nodes ? { nodes: options.nodes } : {});
  const podIndex = new PodIndex(pods);

  // Hand-written endpoints for selectorless Services, mirrored as the EndpointSliceMirroring controller does.
  const givenSlices = new Map<string, EndpointSlice[]>();
  for (const s of ofKind('EndpointSlice')) {
    const owner = s.object.metadata.labels?.['kubernetes.io/service-name'];
    if (!owner) continue;
    const k = key(s.namespace, owner);
    givenSlices.set(k, [...(givenSlices.get(k) ?? []), s.object]);
  }
  for (const e of ofKind('Endpoints')) {
    const k = key(e.namespace, e.name);
    if (!givenSlices.has(k)) givenSlices.set(k, mirrorEndpoints(e));
  }

  const services: ServiceView[] = [];
  const byName = new Map<string, ServiceView>();
  for (const svc of ofKind('Service')) {
    const selector = svc.object.spec.selector;
    const hasSelector = !!selector && Object.keys(selector).length > 0;
    const selected = hasSelector ? podIndex.select(svc.namespace, selector) : [];
    const computed = computeEndpointSlices(
      svc,
      selected,
      options.maxEndpointsPerSlice ? { maxEndpointsPerSlice: options.maxEndpointsPerSlice } : {},
    );
    const external = svc.object.spec.type === 'ExternalName';
    const slices = computed.controllerManaged ? computed.slices : external ? [] : (givenSlices.get(key(svc.namespace, svc.name)) ?? []);
    const view: ServiceView = {
      service: svc,
      selected,
      hasSelector,
      controllerManaged: computed.controllerManaged,
      slices,
    };
    services.push(view);
    if (!byName.has(key(svc.namespace, svc.name))) byName.set(key(svc.namespace, svc.name), view);
  }

  const nodePortRange = options.nodePortRange ?? DEFAULT_NODE_PORT_RANGE;
  const nodePorts = allocateNodePorts(ofKind('Service'), nodePortRange);

  return {
    manifests,
    pods,
    podIndex,
    services,
    nodePorts,
    options: { ...options, nodePortRange },
    ofKind,
    service: (ns, name) => byName.get(key(ns, name)),
  };
}

