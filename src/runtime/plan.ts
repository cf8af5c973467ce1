/**
 * The cluster plan of `portchain up`: a pure reconcile from the resolved graph (and the findings) to what the
 * local data plane runs. Pods get loopback IPs (127.1.x.y, input order), Services clusterIPs (127.96.x.y, as the
 * API server's ClusterIP allocator would), LoadBalancers an address (127.97.x.y, as a cloud controller writes
 * status.loadBalancer.ingress); the /16s are options, and given the previous plan, pods and Services that stay
 * keep their addresses; the one node is 127.0.0.1 with the allocated nodePorts. Endpoints come from the
 * graph's EndpointSlices and listening ports from `graph.listening`; nothing here re-derives them. Objects the
 * API server rejects do not exist, as in the trace engine.
 *
 * One node: every pod of the plan runs on it, so "local" (externalTrafficPolicy / internalTrafficPolicy Local)
 * means "a pod of the plan", and Local and Cluster reach the same ready endpoints. Only an endpoint that names no
 * pod of the plan (a selectorless Service's loopback address) is not local. hostNetwork pods share the node's
 * address (and port space), as they share its network namespace.
 */
import type { Finding } from '../model/finding.js';
import type { Manifest } from '../model/load.js';
import { RejectedObjects } from '../rules/rejection.js';
import type { ResolvedGraph } from '../semantics/graph.js';
import type { PodInstance } from '../semantics/workloads.js';
import { endpointsOf } from '../trace/slices.js';

export const NODE_IP = '127.0.0.1';
const POD_BASE = ((127 << 24) | (1 << 16)) >>> 0;
const CLUSTER_IP_BASE = ((127 << 24) | (96 << 16)) >>> 0;
const LB_BASE = ((127 << 24) | (97 << 16)) >>> 0;

function ipv4(v: number): string {
  const n = v >>> 0;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
function parseIpv4(ip: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}
const inSlash16 = (ip: string, base: number) => {
  const v = parseIpv4(ip);
  return v !== null && v >>> 16 === base >>> 16;
};

export interface PlanBind {
  readonly port: number;
  /** The port really bound: `port`, or `port + lowPortOffset` for ports below 1024 when an offset is set. */
  readonly listenPort: number;
  readonly protocol: string;
  /** The pod loopback IP the simulated process binds. */
  readonly host: string;
}

/** A declared containerPort (documentation only, but port-forward and named targetPorts look names up here). */
export interface PlanContainerPort {
  readonly name: string | null;
  readonly containerPort: number;
  readonly protocol: string;
}

export interface PlanContainer {
  readonly name: string;
  readonly image: string;
  /** The image knowledge id (`nginx`, `node-exporter`...), null when the image is not known. */
  readonly imageId: string | null;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Where the process listens (graph.listening), on the pod's loopback IP. */
  readonly binds: readonly PlanBind[];
  /** Ports the process binds on localhost only: unreachable from outside the pod, so not bound here. */
  readonly localOnly: readonly number[];
  /** spec.containers[].ports as written. */
  readonly ports: readonly PlanContainerPort[];
}

export interface PlanPod {
  readonly namespace: string;
  readonly name: string;
  /** The loopback address standing for the pod IP (the node's address for a hostNetwork pod). */
  readonly ip: string;
  /** spec.hostNetwork: the pod's processes bind on the node address, in the node's port space. */
  readonly hostNetwork?: boolean;
  /** status.phase as given (a cluster dump), else Running: every pod of the plan runs its processes. */
  readonly phase?: string;
  /** The pod IP in the graph (the EndpointSlices' address). */
  readonly clusterPodIP: string | null;
  readonly containers: readonly PlanContainer[];
}

export interface PlanEndpoint {
  readonly pod: string | null;
  readonly ip: string;
  readonly port: number;
  /** The port the proxy dials (see PlanBind.listenPort). */
  readonly dialPort: number;
  readonly ready: boolean;
  /** On the one node: true for every pod of the plan; false for an address that names no pod of the plan. */
  readonly local?: boolean;
}

export interface PlanServicePort {
  readonly name: string;
  readonly protocol: string;
  readonly port: number;
  /** spec.ports[].targetPort as written (a number or a port name; the port itself when omitted). */
  readonly targetPort?: number | string;
  /** The port the clusterIP and LB listeners bind (see PlanBind.listenPort). */
  readonly listenPort: number;
  readonly nodePort: number | null;
  readonly endpoints: readonly PlanEndpoint[];
  /**
   * A Local traffic policy with ready endpoints but none local: kube-proxy DROPs that traffic ("has no local
   * endpoints", pkg/proxy/iptables/proxier.go), the client times out. `internal`: clusterIP traffic
   * (internalTrafficPolicy); `external`: nodePort, externalIP and load balancer traffic (externalTrafficPolicy).
   * With no ready endpoint at all, both stay false: that is REJECT (connection refused), whatever the policy.
   */
  readonly noLocalEndpoints?: { readonly internal: boolean; readonly external: boolean };
}

export interface PlanService {
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  /** Null for headless and ExternalName Services (kube-proxy ignores them). */
  readonly clusterIP: string | null;
  readonly loadBalancerIP: string | null;
  /** ExternalName Services: the DNS alias (no clusterIP, no endpoints, nothing listens). */
  readonly externalName: string | null;
  readonly sessionAffinity: 'None' | 'ClientIP';
  /** sessionAffinityConfig.clientIP.timeoutSeconds (default 10800, 3 hours). */
  readonly affinityTimeoutSeconds: number;
  /** spec.internalTrafficPolicy (clusterIP traffic), default Cluster. */
  readonly internalTrafficPolicy?: 'Cluster' | 'Local';
  /** spec.externalTrafficPolicy (nodePort, externalIP and load balancer traffic), default Cluster. */
  readonly externalTrafficPolicy?: 'Cluster' | 'Local';
  /** The pods of the plan its selector picks, in input order (port-forward svc/NAME attaches to one of them). */
  readonly selectedPods?: readonly string[];
  readonly ports: readonly PlanServicePort[];
}

export interface PlanAddressBase {
  /** The /16 pods' loopback IPs come from (default 127.1.0.0). */
  readonly pods?: string;
  /** The /16 standing for the service CIDR (default 127.96.0.0). */
  readonly services?: string;
  /** The /16 LoadBalancer addresses come from (default 127.97.0.0). */
  readonly loadBalancers?: string;
  /** The node's address, where node ports listen (default 127.0.0.1). */
  readonly node?: string;
}

export interface PlanOptions {
  /** Where addresses are allocated (two `up`s on one machine must not share them). */
  readonly addressBase?: PlanAddressBase;
  /**
   * The plan running now: pods and Services that stay keep their addresses (the API server never changes the
   * clusterIP of an existing Service; a kubelet keeps a running pod's IP), new ones get free addresses.
   */
  readonly previous?: ClusterPlan;
  /**
   * Ports below 1024 are bound at `port + lowPortOffset` (default 0: as written). Binding them needs root or
   * CAP_NET_BIND_SERVICE; the offset keeps every link of the chain consistent without.
   */
  readonly lowPortOffset?: number;
}

export interface ClusterPlan {
  readonly lowPortOffset: number;
  /** The /16 bases the addresses came from (see PlanOptions.addressBase). */
  readonly addressBase?: Required<PlanAddressBase>;
  readonly node: string;
  readonly pods: readonly PlanPod[];
  readonly services: readonly PlanService[];
  /** What the plan changed or left out, one sentence each (replaced clusterIPs, rejected objects...). */
  readonly notes: readonly string[];
}

const LOCALHOST = new Set(['127.0.0.1', 'localhost', '::1']);

function planPod(graph: ResolvedGraph, p: PodInstance, ip: string, shift: (n: number) => number): PlanPod {
  const containers: PlanContainer[] = [];
  for (const c of p.pod.spec.containers ?? []) {
    const l = graph.listening(p, c);
    const binds: PlanBind[] = [];
    const localOnly: number[] = [];
    for (const e of l.ports) {
      if (e.host && LOCALHOST.has(e.host)) localOnly.push(e.port);
      else binds.push({ port: e.port, listenPort: shift(e.port), protocol: e.protocol, host: ip });
    }
    const env: Record<string, string> = {};
    for (const v of c.env ?? []) if (typeof v.value === 'string') env[v.name] = v.value;
    containers.push({
      name: c.name,
      image: c.image ?? '',
      imageId: l.image?.id ?? null,
      args: [...(c.command ?? []), ...(c.args ?? [])],
      env,
      binds,
      localOnly,
      ports: (c.ports ?? []).flatMap((cp) =>
        cp.containerPort === undefined
          ? []
          : [
              {
                name: cp.name ?? null,
                containerPort: cp.containerPort,
                protocol: cp.protocol ?? 'TCP',
              },
            ],
      ),
    });
  }
  return {
    namespace: p.namespace,
    name: p.name,
    ip,
    hostNetwork: p.pod.spec.hostNetwork === true,
    phase: p.pod.status?.phase ?? 'Running',
    clusterPodIP: p.pod.status?.podIP ?? null,
    containers,
  };
}

/**
 * hostNetwork pods share the node's port space: the first pod (input order) to bind a port/protocol keeps it,
 * a later one cannot bind it (its process would fail with EADDRINUSE; the scheduler keeps it Pending when the
 * port is a declared hostPort). The later binds are left out, with a note.
 */
function hostNetworkClashes(pods: PlanPod[], notes: string[]): PlanPod[] {
  const owner = new Map<string, string>();
  return pods.map((pod) => {
    if (!pod.hostNetwork) return pod;
    const who = `${pod.namespace}/${pod.name}`;
    const containers = pod.containers.map((c) => ({
      ...c,
      binds: c.binds.filter((b) => {
        const key = `${b.listenPort}/${b.protocol}`;
        const first = owner.get(key);
        if (first === undefined || first === who) {
          owner.set(key, who);
          return true;
        }
        notes.push(
          `Pod ${who} (hostNetwork) container ${c.name}: port ${b.port}/${b.protocol} on the node ${pod.ip} is already bound by hostNetwork Pod ${first}; on one node only one of them can bind it, so ${who} does not listen there`,
        );
        return false;
      }),
    }));
    return { ...pod, containers };
  });
}

/** Builds the plan. Pure: the same graph and findings give the same plan. */
export function planCluster(
  graph: ResolvedGraph,
  findings: readonly Finding[],
  options: PlanOptions = {},
): ClusterPlan {
  const lowPortOffset = options.lowPortOffset ?? 0;
  const addressBase: Required<PlanAddressBase> = {
    pods: options.addressBase?.pods ?? ipv4(POD_BASE),
    services: options.addressBase?.services ?? ipv4(CLUSTER_IP_BASE),
    loadBalancers: options.addressBase?.loadBalancers ?? ipv4(LB_BASE),
    node: options.addressBase?.node ?? NODE_IP,
  };
  const base = (ip: string, what: string) => {
    const v = parseIpv4(ip);
    if (v === null || v >>> 24 !== 127) throw new Error(`${what} address base ${ip}: not in 127.0.0.0/8`);
    return ((v >>> 16) << 16) >>> 0;
  };
  // The node address is where node ports listen: outside loopback they would answer on every interface.
  base(addressBase.node, 'node');
  const podBase = base(addressBase.pods, 'pod');
  const clusterIpBase = base(addressBase.services, 'service');
  const lbBase = base(addressBase.loadBalancers, 'load balancer');
  const cidr = `${ipv4(clusterIpBase)}/16`;
  const prev = options.previous;
  const prevPodIp = new Map(
    (prev?.pods ?? []).filter((p) => !p.hostNetwork).map((p) => [`${p.namespace}/${p.name}`, p.ip]),
  );
  const prevSvc = new Map((prev?.services ?? []).map((s) => [`${s.namespace}/${s.name}`, s]));
  const shift = (n: number) => (n < 1024 ? n + lowPortOffset : n);
  const rejected = new RejectedObjects(findings);
  const gone = (m: Manifest) => rejected.has(m);
  const notes: string[] = [];

  const pods: PlanPod[] = [];
  const podByName = new Map<string, PlanPod>();
  const kept = graph.pods.filter((p, i) => {
    if (gone(p.owner)) return false; // a rejected workload creates no pod
    const key = `${p.namespace}/${p.name}`;
    return graph.pods.findIndex((q) => `${q.namespace}/${q.name}` === key) === i; // the same pod given twice
  });
  const podIpsTaken = new Set(kept.map((p) => prevPodIp.get(`${p.namespace}/${p.name}`)).filter((x) => x));
  let nextPod = podBase + 1;
  for (const p of kept) {
    const key = `${p.namespace}/${p.name}`;
    // A hostNetwork pod has the node's IP (the kubelet reports status.podIP = status.hostIP).
    let ip = p.pod.spec.hostNetwork === true ? addressBase.node : prevPodIp.get(key);
    if (!ip) {
      while (podIpsTaken.has(ipv4(nextPod))) nextPod++;
      ip = ipv4(nextPod++);
      podIpsTaken.add(ip);
    }
    pods.push(planPod(graph, p, ip, shift));
  }
  pods.splice(0, pods.length, ...hostNetworkClashes(pods, notes));
  for (const p of pods) podByName.set(`${p.namespace}/${p.name}`, p);

  const services: PlanService[] = [];
  const taken = new Set<number>();
  const views = graph.services.filter((v) => !gone(v.service));
  // First pass: honour clusterIPs the manifests ask for inside the service CIDR (the API server honours a
  // requested spec.clusterIP inside its service CIDR), and keep those of Services already running.
  for (const v of views) {
    const asked = v.service.object.spec.clusterIP;
    if (asked && inSlash16(asked, clusterIpBase)) taken.add(parseIpv4(asked) ?? 0);
    const was = prevSvc.get(`${v.service.namespace}/${v.service.name}`)?.clusterIP;
    if (was) taken.add(parseIpv4(was) ?? 0);
  }
  const lbTaken = new Set(
    views
      .map((v) => prevSvc.get(`${v.service.namespace}/${v.service.name}`)?.loadBalancerIP)
      .filter((x) => x),
  );
  let nextCluster = clusterIpBase + 1;
  let nextLb = lbBase + 1;
  const allocLb = () => {
    while (lbTaken.has(ipv4(nextLb))) nextLb++;
    lbTaken.add(ipv4(nextLb));
    return ipv4(nextLb++);
  };
  const allocCluster = () => {
    while (taken.has(nextCluster)) nextCluster++;
    taken.add(nextCluster);
    return ipv4(nextCluster++);
  };
  const honoured = new Set<string>();
  const planned = new Set<string>();
  for (const v of views) {
    const svc = v.service;
    const spec = svc.object.spec;
    const type = spec.type ?? 'ClusterIP';
    const where = `Service ${svc.namespace}/${svc.name}`;
    // One object per namespace and name: a second one in the input is the same object applied again.
    if (planned.has(`${svc.namespace}/${svc.name}`)) {
      notes.push(`${where}: given twice; the first one runs`);
      continue;
    }
    planned.add(`${svc.namespace}/${svc.name}`);
    if (type === 'ExternalName') {
      services.push({
        namespace: svc.namespace,
        name: svc.name,
        type,
        clusterIP: null,
        loadBalancerIP: null,
        externalName: spec.externalName ?? null,
        sessionAffinity: 'None',
        affinityTimeoutSeconds: 10800,
        internalTrafficPolicy: 'Cluster',
        externalTrafficPolicy: 'Cluster',
        ports: [],
      });
      continue;
    }
    let clusterIP: string | null;
    const asked = spec.clusterIP;
    const was = prevSvc.get(`${svc.namespace}/${svc.name}`);
    if (asked === 'None') clusterIP = null;
    else if (was?.clusterIP && (!asked || asked === was.clusterIP) && !honoured.has(was.clusterIP)) {
      clusterIP = was.clusterIP;
      honoured.add(was.clusterIP);
    } else if (asked && inSlash16(asked, clusterIpBase) && !honoured.has(asked)) {
      clusterIP = asked;
      honoured.add(asked);
    } else {
      clusterIP = allocCluster();
      if (asked && asked !== '')
        notes.push(`${where}: clusterIP ${asked} is outside ${cidr} (or taken); it runs on ${clusterIP}`);
    }
    const loadBalancerIP = type === 'LoadBalancer' ? (was?.loadBalancerIP ?? allocLb()) : null;
    // kube-proxy captures externalIPs on every node. The API server refuses a loopback one (ValidateNonSpecialIP),
    // so none can be bound here: each is said once, and reaching the Service goes through its other addresses.
    for (const ip of spec.externalIPs ?? [])
      notes.push(
        `${where}: externalIP ${ip} is not bound: a cluster's kube-proxy captures it on the node, but a loopback stand-in would be a different address (reach the Service through its clusterIP, nodePort or load balancer)`,
      );
    const internalTrafficPolicy = spec.internalTrafficPolicy === 'Local' ? 'Local' : 'Cluster';
    const externalTrafficPolicy = spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster';
    const ports: PlanServicePort[] = (spec.ports ?? []).map((sp, i) => {
      const alloc = graph.nodePorts.allocations.find((a) => a.service === svc && a.portIndex === i);
      const endpoints: PlanEndpoint[] = [];
      for (const e of endpointsOf(v, sp, () => undefined)) {
        if (e.port === null) continue;
        const ns = e.pod?.namespace ?? svc.namespace;
        const pod = e.podName ? podByName.get(`${ns}/${e.podName}`) : undefined;
        // An address naming no pod of the plan: a loopback address is reachable as written, others are not.
        const ip = pod?.ip ?? (e.ip.startsWith('127.') ? e.ip : null);
        if (!ip) {
          notes.push(`${where}: endpoint ${e.ip}:${e.port} names no pod of the input; it is left out`);
          continue;
        }
        endpoints.push({
          pod: pod?.name ?? e.podName,
          ip,
          port: e.port,
          dialPort: shift(e.port),
          ready: e.ready,
          local: pod !== undefined,
        });
      }
      // kube-proxy's CategorizeEndpoints: with a Local policy only local ready endpoints are used; ready ones
      // elsewhere and none here: DROP. Every pod of the plan is local, so this takes an endpoint naming no pod.
      const ready = endpoints.filter((e) => e.ready);
      const dropsLocal = ready.length > 0 && !ready.some((e) => e.local);
      const noLocalEndpoints = {
        internal: internalTrafficPolicy === 'Local' && dropsLocal,
        external: externalTrafficPolicy === 'Local' && dropsLocal,
      };
      const portName = `${where} port ${sp.port}/${sp.protocol ?? 'TCP'}`;
      if (noLocalEndpoints.internal)
        notes.push(
          `${portName}: internalTrafficPolicy Local and no ready endpoint on this node (every pod of the input runs here; the ready endpoints name no pod): kube-proxy drops clusterIP traffic, clients time out`,
        );
      if (noLocalEndpoints.external && type !== 'ClusterIP')
        notes.push(
          `${portName}: externalTrafficPolicy Local and no ready endpoint on this node: kube-proxy drops nodePort and load balancer traffic, clients time out`,
        );
      return {
        name: sp.name ?? '',
        protocol: sp.protocol ?? 'TCP',
        port: sp.port,
        targetPort: sp.targetPort ?? sp.port,
        listenPort: shift(sp.port),
        nodePort: type === 'NodePort' || type === 'LoadBalancer' ? (alloc?.nodePort ?? null) : null,
        endpoints,
        noLocalEndpoints,
      };
    });
    services.push({
      namespace: svc.namespace,
      name: svc.name,
      type,
      clusterIP,
      loadBalancerIP,
      externalName: null,
      sessionAffinity: spec.sessionAffinity === 'ClientIP' ? 'ClientIP' : 'None',
      affinityTimeoutSeconds: spec.sessionAffinityConfig?.clientIP?.timeoutSeconds || 10800,
      internalTrafficPolicy,
      externalTrafficPolicy,
      selectedPods: v.selected
        .map((p) => podByName.get(`${p.namespace}/${p.name}`)?.name)
        .filter((n): n is string => n !== undefined),
      ports,
    });
  }
  for (const m of graph.manifests)
    if (gone(m))
      notes.push(
        `${m.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name}: rejected by the API server, so it does not run`,
      );
  return { node: addressBase.node, lowPortOffset, addressBase, pods, services, notes };
}
