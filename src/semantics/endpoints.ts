/**
 * The endpoint controllers as pure functions: the EndpointSlice controller (k8s.io/endpointslice reconciler.go,
 * utils.go), the EndpointSliceMirroring controller (pkg/controller/endpointslicemirroring) and the legacy
 * Endpoints controller (pkg/controller/endpoint, pkg/api/v1/endpoints/util.go#RepackSubsets).
 */
import { compactArray } from '../model/compact-array.js';
import type { Manifest } from '../model/load.js';
import type {
  Endpoint,
  EndpointAddress,
  EndpointPort,
  EndpointSlice,
  EndpointSlicePort,
  EndpointSubset,
  Endpoints,
  Labels,
  ObjectMeta,
  Pod,
  Service,
} from '../model/types.js';
import { findPort } from './named-ports.js';
import { nameSuffixer, type PodInstance } from './workloads.js';

export const ENDPOINTSLICE_CONTROLLER = 'endpointslice-controller.k8s.io';
export const ENDPOINTSLICE_MIRRORING_CONTROLLER = 'endpointslicemirroring-controller.k8s.io';
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
export const LABEL_SKIP_MIRROR = 'endpointslice.kubernetes.io/skip-mirror';
/** `--max-endpoints-per-slice` default (pkg/controller/endpointslice/config/v1alpha1/defaults.go). */
export const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;
/** `--mirroring-max-endpoints-per-subset` default. */
export const DEFAULT_MAX_ENDPOINTS_PER_SUBSET = 1000;
/** Legacy Endpoints capacity (endpoints_controller.go maxCapacity). */
export const MAX_ENDPOINTS_CAPACITY = 1000;

export type AddressType = 'IPv4' | 'IPv6';

// ---- shared pod predicates (k8s.io/endpointslice/util/controller_utils.go) ----

/** `IsPodReady`: the Ready condition is True; a missing condition means not ready. */
export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * `ShouldPodBeInEndpoints`: not Succeeded/Failed, has an IP, and not terminating unless `includeTerminating`
 * (true for EndpointSlices, `publishNotReadyAddresses` for legacy Endpoints).
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!pod.status?.podIP && (pod.status?.podIPs?.length ?? 0) === 0) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** `ShouldSetHostname`: pod.spec.hostname is set and pod.spec.subdomain names the Service (same namespace). */
export function shouldSetHostname(pod: Pod, service: Manifest<'Service'>, podNamespace: string): boolean {
  return !!pod.spec.hostname && pod.spec.subdomain === service.name && podNamespace === service.namespace;
}

/** `isServiceIPSet`: clusterIP is neither "None" nor empty. */
export function isServiceIPSet(svc: Service): boolean {
  return !!svc.spec.clusterIP && svc.spec.clusterIP !== 'None';
}

/**
 * Whether the EndpointSlice and Endpoints controllers manage this Service (`syncService`): not ExternalName,
 * and a selector. `selector: {}` cannot be stored apart from no selector (omitempty), so it counts as none.
 */
export function isControllerManaged(svc: Service): boolean {
  if (svc.spec.type === 'ExternalName') return false;
  return !!svc.spec.selector && Object.keys(svc.spec.selector).length > 0;
}

const isIPv6 = (ip: string): boolean => ip.includes(':');

/** Pod IPs; the API server keeps podIP and podIPs[0] equal, so a manifest with only podIP counts as both. */
function podIPs(pod: Pod): string[] {
  const status = pod.status;
  const listed = status?.podIPs;
  if (listed && listed.length > 0) {
    const list: string[] = [];
    for (const p of listed) if (p.ip) list.push(p.ip);
    if (list.length > 0) return list;
  }
  return status?.podIP ? [status.podIP] : [];
}

/**
 * `getAddressTypesForService`: one set of slices per family in spec.ipFamilies. Without ipFamilies (a
 * manifest, not an API object) the API server would have written them: the clusterIPs' families, else the
 * cluster's primary family, taken to be IPv4 (single-stack).
 */
export function serviceAddressTypes(svc: Service): AddressType[] {
  const fams = (svc.spec.ipFamilies ?? []).filter((f): f is AddressType => f === 'IPv4' || f === 'IPv6');
  if (fams.length > 0) return [...new Set(fams)];
  const ips = (svc.spec.clusterIPs ?? [svc.spec.clusterIP ?? '']).filter((ip) => ip && ip !== 'None');
  if (ips.length > 0) return [...new Set(ips.map((ip): AddressType => (isIPv6(ip) ? 'IPv6' : 'IPv4')))];
  return ['IPv4'];
}

// ---- EndpointSlice controller ----

/**
 * `getEndpointPorts`: for each Service port, FindPort on this pod; a port that does not resolve is skipped for
 * this pod only. A headless Service without ports gives an empty list.
 */
export function endpointPortsForPod(
  svc: Service,
  pod: Pod,
  onUnresolved?: (portIndex: number, reason: string) => void,
): EndpointSlicePort[] {
  const out: EndpointSlicePort[] = [];
  (svc.spec.ports ?? []).forEach((sp, i) => {
    const r = findPort(pod.spec, sp);
    if (!r.ok) {
      onUnresolved?.(i, r.reason);
      return;
    }
    const port: EndpointSlicePort = { name: sp.name ?? '', port: r.port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol !== undefined) port.appProtocol = sp.appProtocol;
    out.push(port);
  });
  return out;
}

/** `podToEndpoint`: serving = Ready, terminating = deletionTimestamp, ready = publishNotReady || (serving && !terminating). */
function podToEndpoint(p: PodInstance, svc: Manifest<'Service'>, addressType: AddressType): Endpoint {
  const pod = p.pod;
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  const ready = !!svc.object.spec.publishNotReadyAddresses || (serving && !terminating);
  // Objects written whole, arrays at their size: a slice of every ready pod lives for the whole run.
  const uid = pod.metadata.uid;
  const targetRef: NonNullable<Endpoint['targetRef']> = uid
    ? { kind: 'Pod', namespace: p.namespace, name: p.name, uid }
    : { kind: 'Pod', namespace: p.namespace, name: p.name };
  const v6 = addressType === 'IPv6';
  const addresses = compactArray(podIPs(pod).filter((ip) => isIPv6(ip) === v6));
  const conditions = { ready, serving, terminating };
  const nodeName = pod.spec.nodeName;
  const ep: Endpoint = nodeName
    ? { addresses, conditions, targetRef, nodeName }
    : { addresses, conditions, targetRef };
  if (shouldSetHostname(pod, svc, p.namespace)) ep.hostname = pod.spec.hostname as string;
  return ep;
}

/** `hashEndpoint`: addresses, hostname and the target pod identify an endpoint. */
const endpointKey = (ep: Endpoint): string =>
  JSON.stringify([
    ep.addresses.length === 1 ? ep.addresses : [...ep.addresses].sort(),
    ep.hostname ?? '',
    ep.targetRef?.namespace,
    ep.targetRef?.name,
  ]);

/** `setEndpointSliceLabels`: the Service's labels except reserved ones, plus service-name, managed-by, headless. */
function sliceLabels(svc: Manifest<'Service'>): Labels {
  const labels: Labels = {};
  for (const [k, v] of Object.entries(svc.object.metadata.labels ?? {})) {
    if (k !== LABEL_SERVICE_NAME && k !== LABEL_MANAGED_BY && k !== LABEL_HEADLESS) labels[k] = v;
  }
  if (!isServiceIPSet(svc.object)) labels[LABEL_HEADLESS] = '';
  labels[LABEL_SERVICE_NAME] = svc.name;
  labels[LABEL_MANAGED_BY] = ENDPOINTSLICE_CONTROLLER;
  return labels;
}

/** `newEndpointSlice`: generateName `<svc>-`, owned by the Service; the name stands in for the generated one. */
function newSlice(
  svc: Manifest<'Service'>,
  name: string,
  addressType: AddressType,
  ports: EndpointSlicePort[],
  endpoints: Endpoint[],
): EndpointSlice {
  const ownerRef: NonNullable<ObjectMeta['ownerReferences']>[number] = {
    apiVersion: 'v1',
    kind: 'Service',
    name: svc.name,
    controller: true,
  };
  if (svc.object.metadata.uid) ownerRef.uid = svc.object.metadata.uid;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      generateName: `${svc.name}-`,
      namespace: svc.namespace,
      labels: sliceLabels(svc),
      ownerReferences: [ownerRef],
    },
    addressType,
    endpoints,
    ports,
  };
}

export interface ExcludedPod {
  readonly pod: PodInstance;
  readonly reason: string;
}
export interface UnresolvedPort {
  readonly pod: PodInstance;
  /** Index in the Service's spec.ports. */
  readonly portIndex: number;
  readonly reason: string;
}

export interface EndpointSlicesResult {
  /** False for ExternalName and selectorless Services: the controller creates nothing for them. */
  controllerManaged: boolean;
  slices: EndpointSlice[];
  /** Selected pods that got no endpoint, and why (terminal phase, no IP, unknown node). */
  excluded: ExcludedPod[];
  /** Service ports FindPort could not resolve on a pod (the port is left out of that pod's slice only). */
  unresolved: UnresolvedPort[];
}

export interface EndpointSlicesOptions {
  /** `--max-endpoints-per-slice`, default 100. */
  readonly maxEndpointsPerSlice?: number;
  /**
   * Known nodes. When given, a pod on another node is skipped (unless publishNotReadyAddresses), as the
   * controller does when the Node is not found. Without it every node is taken to exist.
   */
  readonly nodes?: readonly string[];
}

/** A pod that gets an endpoint, with its resolved ports. */
export interface IncludedPod {
  readonly pod: PodInstance;
  readonly ports: EndpointSlicePort[];
}

/** Which selected pods get an endpoint (with their ports), which do not and why, and unresolved ports. */
export interface Inclusion {
  readonly controllerManaged: boolean;
  readonly included: IncludedPod[];
  readonly excluded: ExcludedPod[];
  readonly unresolved: UnresolvedPort[];
}

/**
 * The controller's per-pod pass for `service`: which selected pods get an endpoint and with which ports
 * (these do not depend on the address type), which get none and why, which ports do not resolve.
 */
export function endpointInclusion(
  service: Manifest<'Service'>,
  selected: readonly PodInstance[],
  options: EndpointSlicesOptions = {},
): Inclusion {
  const svc = service.object;
  if (!isControllerManaged(svc))
    return { controllerManaged: false, included: [], excluded: [], unresolved: [] };
  const included: IncludedPod[] = [];
  const excluded: ExcludedPod[] = [];
  const unresolved: UnresolvedPort[] = [];
  const nodes = options.nodes ? new Set(options.nodes) : null;
  const headlessNoPorts = (svc.spec.ports?.length ?? 0) === 0 && svc.spec.clusterIP === 'None';
  for (const p of selected) {
    if (!shouldPodBeInEndpoints(p.pod, true)) {
      excluded.push({ pod: p, reason: exclusionReason(p.pod) });
      continue;
    }
    if (nodes && !nodes.has(p.pod.spec.nodeName ?? '') && !svc.spec.publishNotReadyAddresses) {
      excluded.push({ pod: p, reason: `node "${p.pod.spec.nodeName ?? ''}" not found` });
      continue;
    }
    const ports = headlessNoPorts
      ? []
      : endpointPortsForPod(svc, p.pod, (portIndex, reason) =>
          unresolved.push({ pod: p, portIndex, reason }),
        );
    included.push({ pod: p, ports });
  }
  return { controllerManaged: true, included, excluded, unresolved };
}

/**
 * The EndpointSlices the controller would write for `service` from scratch (`Reconciler.reconcile` with no
 * existing slices), given the pods its selector picks in its namespace (PodIndex.select). Pods are grouped by
 * their resolved port list (`NewPortMapKey`), each group filled into slices of at most maxEndpointsPerSlice;
 * with no endpoint at all an address type gets one placeholder slice with no ports and no endpoints.
 */
export function computeEndpointSlices(
  service: Manifest<'Service'>,
  selected: readonly PodInstance[],
  options: EndpointSlicesOptions = {},
): EndpointSlicesResult {
  const inclusion = endpointInclusion(service, selected, options);
  const { controllerManaged, excluded, unresolved } = inclusion;
  return { controllerManaged, slices: slicesOf(service, inclusion, options), excluded, unresolved };
}

/** The slices of computeEndpointSlices, from the per-pod pass (endpointInclusion) of the same Service. */
export function slicesOf(
  service: Manifest<'Service'>,
  inclusion: Inclusion,
  options: EndpointSlicesOptions = {},
): EndpointSlice[] {
  const slices: EndpointSlice[] = [];
  if (!inclusion.controllerManaged) return slices;
  const max = Math.max(1, options.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE);
  const suffix = nameSuffixer(`${service.namespace}/${service.name}/EndpointSlice`);
  let n = 0;
  // `NewPortMapKey`, once per pod for every address type: ports always come in Service port order, so the
  // list itself is an order-insensitive key.
  const included = inclusion.included;
  const keys = included.map(({ ports }) => portsKey(ports));
  for (const addressType of serviceAddressTypes(service.object)) {
    const groups = new Map<string, { ports: EndpointSlicePort[]; endpoints: Map<string, Endpoint> }>();
    for (let i = 0; i < included.length; i++) {
      const { pod, ports } = included[i] as IncludedPod;
      const key = keys[i] as string;
      let g = groups.get(key);
      if (!g) {
        g = { ports, endpoints: new Map() };
        groups.set(key, g);
      }
      const ep = podToEndpoint(pod, service, addressType);
      if (ep.addresses.length > 0) g.endpoints.set(endpointKey(ep), ep);
    }
    let created = 0;
    for (const g of groups.values()) {
      const eps = [...g.endpoints.values()];
      for (let i = 0; i < eps.length; i += max) {
        const name = `${service.name}-${suffix(n++)}`;
        const ports = g.ports.map((p) => ({ ...p }));
        slices.push(newSlice(service, name, addressType, ports, eps.slice(i, i + max)));
        created++;
      }
    }
    if (created === 0) slices.push(newSlice(service, `${service.name}-${suffix(n++)}`, addressType, [], []));
  }
  return slices;
}

/** The same string JSON.stringify(ports) gives, for ports as endpointPortsForPod builds them. */
function portsKey(ports: readonly EndpointSlicePort[]): string {
  let out = '[';
  for (let i = 0; i < ports.length; i++) {
    const p = ports[i] as EndpointSlicePort;
    if (i > 0) out += ',';
    out += `{"name":${JSON.stringify(p.name)},"port":${p.port},"protocol":${JSON.stringify(p.protocol)}`;
    if (p.appProtocol !== undefined) out += `,"appProtocol":${JSON.stringify(p.appProtocol)}`;
    out += '}';
  }
  return `${out}]`;
}

function exclusionReason(pod: Pod): string {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return `pod phase is ${phase}`;
  return 'pod has no IP (status.podIP/podIPs unset)';
}

/** A slice is the placeholder the controller keeps for a Service with no endpoints. */
export function isPlaceholderSlice(slice: EndpointSlice): boolean {
  return slice.endpoints.length === 0 && (slice.ports?.length ?? 0) === 0;
}

// ---- EndpointSliceMirroring controller ----

export interface MirrorOptions {
  /**
   * The Service of the same name. Mirroring needs one without a selector: null (no such Service) or a Service
   * with a selector mirrors nothing. Undefined skips that check.
   */
  readonly service?: Manifest<'Service'> | null;
  /** `--mirroring-max-endpoints-per-subset`, default 1000. */
  readonly maxEndpointsPerSubset?: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** `netutils.ParseIPSloppy` + family, enough to tell valid from invalid addresses. */
function addressTypeOf(ip: string): AddressType | null {
  const m = IPV4.exec(ip);
  if (m) return m.slice(1).every((o) => Number(o) <= 255) ? 'IPv4' : null;
  return /^[0-9a-fA-F:.]+$/.test(ip) && ip.includes(':') ? 'IPv6' : null;
}

/**
 * The EndpointSliceMirroring controller (`reconciler.reconcile`): a hand-written Endpoints of a selectorless
 * Service becomes one slice per distinct (port list, address family), ports verbatim, `addresses` ready and
 * `notReadyAddresses` not ready (only the ready condition is set), at most maxEndpointsPerSubset per subset.
 * Endpoints labelled skip-mirror or carrying a leader-election annotation are not mirrored.
 */
export function mirrorEndpoints(ep: Manifest<'Endpoints'>, options: MirrorOptions = {}): EndpointSlice[] {
  const obj = ep.object;
  if (obj.metadata.labels?.[LABEL_SKIP_MIRROR] === 'true') return [];
  if (obj.metadata.annotations?.['control-plane.alpha.kubernetes.io/leader'] !== undefined) return [];
  if (options.service === null) return [];
  if (options.service?.object.spec.selector) return [];
  const max = options.maxEndpointsPerSubset ?? DEFAULT_MAX_ENDPOINTS_PER_SUBSET;

  const byKey = new Map<
    string,
    { type: AddressType; ports: EndpointSlicePort[]; endpoints: Map<string, Endpoint> }
  >();
  for (const subset of obj.subsets ?? []) {
    const ports: EndpointSlicePort[] = (subset.ports ?? []).map((p) => {
      const out: EndpointSlicePort = { name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' };
      if (p.appProtocol !== undefined) out.appProtocol = p.appProtocol;
      return out;
    });
    const portKey = JSON.stringify([...ports.map((p) => JSON.stringify(p))].sort());
    let added = 0;
    const add = (a: EndpointAddress, ready: boolean) => {
      if (added >= max) return;
      const type = addressTypeOf(a.ip);
      if (!type) return;
      added++;
      const key = `${type}/${portKey}`;
      let g = byKey.get(key);
      if (!g) {
        g = { type, ports, endpoints: new Map() };
        byKey.set(key, g);
      }
      g.ports = ports;
      const e: Endpoint = { addresses: [a.ip], conditions: { ready } };
      if (a.targetRef) e.targetRef = { ...a.targetRef };
      if (a.nodeName) e.nodeName = a.nodeName;
      if (a.hostname) e.hostname = a.hostname;
      g.endpoints.set(endpointKey(e), e);
    };
    for (const a of subset.addresses ?? []) add(a, true);
    for (const a of subset.notReadyAddresses ?? []) add(a, false);
  }

  const labels: Labels = { ...obj.metadata.labels };
  labels[LABEL_SERVICE_NAME] = ep.name;
  labels[LABEL_MANAGED_BY] = ENDPOINTSLICE_MIRRORING_CONTROLLER;
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj.metadata.annotations ?? {})) {
    if (
      k !== 'endpoints.kubernetes.io/last-change-trigger-time' &&
      k !== 'kubectl.kubernetes.io/last-applied-configuration'
    )
      annotations[k] = v;
  }
  const suffix = nameSuffixer(`${ep.namespace}/${ep.name}/MirroredEndpointSlice`);
  const out: EndpointSlice[] = [];
  let n = 0;
  for (const g of byKey.values()) {
    if (g.endpoints.size === 0) continue;
    const ownerRef: NonNullable<ObjectMeta['ownerReferences']>[number] = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      name: ep.name,
      controller: true,
    };
    if (obj.metadata.uid) ownerRef.uid = obj.metadata.uid;
    out.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${ep.name}-${suffix(n++)}`,
        generateName: `${ep.name}-`,
        namespace: ep.namespace,
        labels: { ...labels },
        annotations: { ...annotations },
        ownerReferences: [ownerRef],
      },
      addressType: g.type,
      endpoints: [...g.endpoints.values()].slice(0, max),
      ports: g.ports,
    });
  }
  return out;
}

// ---- legacy v1 Endpoints controller ----

/** `podToEndpointAddressForService`: the pod IP of the Service's primary family. */
function podToEndpointAddress(svc: Service, p: PodInstance): EndpointAddress | null {
  const pod = p.pod;
  let v6: boolean;
  const fam = svc.spec.ipFamilies?.[0];
  if (fam) v6 = fam === 'IPv6';
  else if (isServiceIPSet(svc)) v6 = isIPv6(svc.spec.clusterIP as string);
  else v6 = isIPv6(podIPs(pod)[0] ?? '');
  const ip = podIPs(pod).find((a) => isIPv6(a) === v6);
  if (!ip) return null;
  const targetRef: NonNullable<EndpointAddress['targetRef']> = {
    kind: 'Pod',
    namespace: p.namespace,
    name: p.name,
  };
  const addr: EndpointAddress = { ip, targetRef };
  if (pod.spec.nodeName) addr.nodeName = pod.spec.nodeName;
  return addr;
}

/**
 * The address identity RepackSubsets uses: IP + pod UID. The target pod's namespace/name stands in for the UID,
 * which manifests rarely carry (in one snapshot both identify the pod).
 */
function addressKey(a: EndpointAddress): string {
  return JSON.stringify([a.ip, a.targetRef?.namespace ?? '', a.targetRef?.name ?? '']);
}

const portKeyOf = (p: EndpointPort) =>
  JSON.stringify([p.name ?? '', p.port, p.protocol ?? '', p.appProtocol ?? null]);
const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface AddrEntry {
  readonly key: string;
  readonly addr: EndpointAddress;
}

/**
 * `RepackSubsets`: expand subsets to (port -> address -> ready), not-ready trumping ready, then merge the ports
 * whose address/readiness sets are identical. Subsets without ports survive through a Port -1 sentinel.
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const allAddrs = new Map<string, AddrEntry>();
  const ports = new Map<string, { port: EndpointPort | null; addrs: Map<string, boolean> }>();
  const map = (entry: AddrEntry, port: EndpointPort | null, ready: boolean) => {
    const existing = allAddrs.get(entry.key) ?? entry;
    allAddrs.set(entry.key, existing);
    const pk = port ? portKeyOf(port) : 'sentinel';
    let p = ports.get(pk);
    if (!p) {
      p = { port, addrs: new Map() };
      ports.set(pk, p);
    }
    const was = p.addrs.get(existing.key);
    if (was === undefined || was) p.addrs.set(existing.key, ready);
  };
  for (const subset of subsets) {
    const entries = (list: EndpointAddress[] | undefined) =>
      (list ?? []).map((addr) => ({ key: addressKey(addr), addr }));
    const r = entries(subset.addresses);
    const nr = entries(subset.notReadyAddresses);
    const portList: (EndpointPort | null)[] =
      (subset.ports?.length ?? 0) > 0 ? (subset.ports as EndpointPort[]) : [null];
    for (const port of portList) {
      for (const e of r) map(e, port, true);
      for (const e of nr) map(e, port, false);
    }
  }
  const groups = new Map<string, { addrs: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, addrs } of ports.values()) {
    const key = JSON.stringify([...addrs.entries()].sort((a, b) => compareStrings(a[0], b[0])));
    let g = groups.get(key);
    if (!g) {
      g = { addrs, ports: [] };
      groups.set(key, g);
    }
    if (port) g.ports.push(port);
  }
  const byIP = (a: string, b: string) =>
    compareStrings((allAddrs.get(a) as AddrEntry).addr.ip, (allAddrs.get(b) as AddrEntry).addr.ip) ||
    compareStrings(a, b);
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const keys = [...g.addrs.keys()].sort(byIP);
    const subset: EndpointSubset = {};
    const readyAddrs = keys.filter((k) => g.addrs.get(k)).map((k) => (allAddrs.get(k) as AddrEntry).addr);
    const notReadyAddrs = keys.filter((k) => !g.addrs.get(k)).map((k) => (allAddrs.get(k) as AddrEntry).addr);
    if (readyAddrs.length > 0) subset.addresses = readyAddrs;
    if (notReadyAddrs.length > 0) subset.notReadyAddresses = notReadyAddrs;
    if (g.ports.length > 0)
      subset.ports = [...g.ports].sort((a, b) => compareStrings(portKeyOf(a), portKeyOf(b)));
    out.push(subset);
  }
  // SortSubsets orders by hash; any stable order will do, so by content.
  const keyed = out.map((subset) => ({ subset, key: JSON.stringify(subset) }));
  return keyed.sort((a, b) => compareStrings(a.key, b.key)).map((k) => k.subset);
}

/**
 * `truncateEndpoints`: past 1000 addresses, keep ready ones first, each subset in proportion to its share
 * (rounded up). Returns whether anything was cut.
 */
function truncateEndpoints(subsets: EndpointSubset[]): boolean {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += s.addresses?.length ?? 0;
    totalNotReady += s.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= MAX_ENDPOINTS_CAPACITY) return false;
  const truncateReady = totalReady > MAX_ENDPOINTS_CAPACITY;
  const max = truncateReady ? MAX_ENDPOINTS_CAPACITY : MAX_ENDPOINTS_CAPACITY - totalReady;
  const numTotal = truncateReady ? totalReady : totalNotReady;
  let canBeAdded = max;
  for (const s of subsets) {
    const inSubset = (truncateReady ? s.addresses?.length : s.notReadyAddresses?.length) ?? 0;
    const toBeAdded = Math.min(Math.ceil((inSubset / numTotal) * max), canBeAdded);
    if (truncateReady) {
      s.addresses = (s.addresses ?? []).slice(0, toBeAdded);
      s.notReadyAddresses = [];
      canBeAdded -= s.addresses.length;
    } else {
      s.notReadyAddresses = (s.notReadyAddresses ?? []).slice(0, toBeAdded);
      canBeAdded -= s.notReadyAddresses.length;
    }
  }
  return true;
}

/**
 * The v1 Endpoints the legacy controller writes (`syncService`), or null when it leaves the Service alone
 * (ExternalName, no selector). Terminating pods count only with publishNotReadyAddresses; a pod is in
 * `addresses` when publishNotReadyAddresses or Ready, else in `notReadyAddresses`; unresolvable ports are
 * skipped for that pod; subsets are then repacked and capped at 1000 addresses.
 */
export function legacyEndpoints(
  service: Manifest<'Service'>,
  selected: readonly PodInstance[],
): Endpoints | null {
  const svc = service.object;
  if (!isControllerManaged(svc)) return null;
  const publishNotReady = !!svc.spec.publishNotReadyAddresses;
  const raw: EndpointSubset[] = [];
  for (const p of selected) {
    if (!shouldPodBeInEndpoints(p.pod, publishNotReady)) continue;
    const addr = podToEndpointAddress(svc, p);
    if (!addr) continue;
    if (shouldSetHostname(p.pod, service, p.namespace)) addr.hostname = p.pod.spec.hostname as string;
    const ready = publishNotReady || isPodReady(p.pod);
    const add = (ports: EndpointPort[]) =>
      raw.push(ready ? { addresses: [addr], ports } : { notReadyAddresses: [addr], ports });
    if ((svc.spec.ports?.length ?? 0) === 0) {
      if (svc.spec.clusterIP === 'None') add([]);
      continue;
    }
    // endpointPortFromServicePort: the slice port and the Endpoints port carry the same fields.
    for (const port of endpointPortsForPod(svc, p.pod)) add([{ ...port, port: port.port as number }]);
  }
  const subsets = repackSubsets(raw);
  const labels: Labels = { ...svc.metadata.labels };
  if (!isServiceIPSet(svc)) labels[LABEL_HEADLESS] = '';
  else delete labels[LABEL_HEADLESS];
  const metadata: ObjectMeta = { name: service.name, namespace: service.namespace, labels };
  if (truncateEndpoints(subsets))
    metadata.annotations = { 'endpoints.kubernetes.io/over-capacity': 'truncated' };
  return { apiVersion: 'v1', kind: 'Endpoints', metadata, subsets };
}
