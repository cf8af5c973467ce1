/**
 * `portchain up`, the engine: check the sources, plan the cluster, start the simulated pods, the kube-proxy,
 * and (when asked) the cluster DNS and the ingress controller, all on loopback. The command and the tests use
 * this; nothing here prints.
 */
import { type CheckOptions, check } from '../check.js';
import type { ImageCommand } from '../config/config.js';
import type { Finding } from '../model/finding.js';
import type { SourceText } from '../model/load.js';
import type { IngressBackend } from '../model/types.js';
import { RejectedObjects } from '../rules/rejection.js';
import type { ResolvedGraph } from '../semantics/graph.js';
import {
  type IngressBackendEnv,
  type IngressRouteTable,
  ingressRoutes,
  resolveIngressBackend,
} from '../semantics/ingress.js';
import { clusterDnsRecords, type DnsService, startDnsServer } from './dns.js';
import { type PodChanges, type ReconcilingPods, type RunningPods, startPods } from './images/run.js';
import { type IngressBackends, type IngressEndpoints, startIngressController } from './ingress-controller.js';
import type { KubeProxy } from './kube-proxy.js';
import { type NetnsIsolation, startNetnsIsolation } from './netns.js';
import { type ClusterPlan, type PlanAddressBase, type PlanService, planCluster } from './plan.js';
import { type ProxyMode, type ProxyOptions, startProxy } from './proxy-mode.js';
import type { IngressPathTraffic } from './stats.js';

export interface UpOptions extends CheckOptions, ProxyOptions {
  /** userspace (default): relays in this process; iptables, nftables: DNAT rules in the kernel (root). */
  readonly proxyMode?: ProxyMode;
  /** Where pod, clusterIP and LoadBalancer addresses are allocated (see PlanOptions.addressBase). */
  readonly addressBase?: PlanAddressBase;
  /** Ports below 1024 are bound at port + offset (see PlanOptions). */
  readonly lowPortOffset?: number;
  /** Where the ingress controller listens; absent: none. */
  readonly ingress?: {
    readonly host: string;
    readonly port: number;
    readonly ingressClass?: string | null;
    /** Used (with a note) when binding `port` is not permitted (EACCES: a port below 1024 without root). */
    readonly fallbackPort?: number;
  };
  /** Where the cluster DNS listens (UDP and TCP); absent: none. */
  readonly dns?: { readonly host: string; readonly port: number; readonly clusterDomain?: string };
  /** What reading the inputs already found, and their order (as check()). */
  readonly read?: { readonly findings: readonly Finding[]; readonly order: readonly string[] };
  /** `.portchain.yaml` `images:` as a mapping: local commands run for these images. */
  readonly imageCommands?: Readonly<Record<string, ImageCommand>>;
  /** `netns`: each pod running a local command gets its own network namespace (root and iproute2). */
  readonly isolation?: 'none' | 'netns';
  /** Prefix of network namespace and interface names (default `pc-`). */
  readonly netnsPrefix?: string;
  /** Probe seconds are multiplied by this (default 1; tests speed time up). */
  readonly probeTimeScale?: number;
  /** terminationGracePeriodSeconds is capped at this when a local command is stopped (default 5). */
  readonly maxGraceSeconds?: number;
  /** The kubelet's first crash back-off for an exited local command (default 10 s; tests shorten it). */
  readonly restartBackoffMs?: number;
  /** After a reconcile that probes (or an exiting local command) caused: the endpoints followed readiness. */
  readonly onReadiness?: (r: Reconciled) => void;
}

export interface Up {
  readonly plan: ClusterPlan;
  readonly graph: ResolvedGraph;
  readonly findings: readonly Finding[];
  readonly pods: RunningPods;
  readonly kubeProxy: KubeProxy;
  readonly ingress: { readonly host: string; readonly port: number } | null;
  /** The ingress controller's traffic per Ingress path (empty without an ingress controller). */
  ingressTraffic(): { readonly paths: readonly IngressPathTraffic[]; readonly unmatched: number };
  readonly dns: { readonly host: string; readonly port: number } | null;
  /** Everything worth telling the user: plan notes, images not simulated, listeners that did not open. */
  readonly notes: readonly string[];
  /**
   * Checks and plans `sources` again and applies the new plan live (the fields above then read it): pods and
   * Services that stay keep their addresses, unchanged pods keep running, kube-proxy swaps only the listeners
   * that changed, the ingress controller and the DNS answer from the new plan on their next request.
   */
  reconcile(
    sources: readonly SourceText[],
    read?: { readonly findings: readonly Finding[]; readonly order: readonly string[] },
  ): Promise<Reconciled>;
  close(): Promise<void>;
}

export interface Reconciled {
  /** One short phrase per change (`pod a/b restarted`, `Service a/web: 80/TCP → 1 ready`...); empty: none. */
  readonly changes: readonly string[];
  readonly pods: PodChanges;
}

const endpointSummary = (s: PlanService) =>
  s.ports
    .map((p) => `${p.port}/${p.protocol} → ${p.endpoints.filter((e) => e.ready).length} ready`)
    .join(', ');
const serviceKey = (s: PlanService) =>
  JSON.stringify([s.type, s.clusterIP, s.loadBalancerIP, s.externalName, s.sessionAffinity, s.ports]);

/** What changed between two plans, for Services (pods are reported by the kubelet). */
function serviceChanges(before: ClusterPlan, after: ClusterPlan): string[] {
  const out: string[] = [];
  const old = new Map(before.services.map((s) => [`${s.namespace}/${s.name}`, s]));
  for (const s of after.services) {
    const name = `${s.namespace}/${s.name}`;
    const was = old.get(name);
    old.delete(name);
    if (!was) out.push(`Service ${name} added (${endpointSummary(s)})`);
    else if (serviceKey(was) !== serviceKey(s)) out.push(`Service ${name} updated (${endpointSummary(s)})`);
  }
  for (const name of old.keys()) out.push(`Service ${name} removed`);
  return out;
}

/** The Services as the DNS module reads them: A records for clusterIPs, pod IPs for headless ones. */
export function dnsServices(plan: ClusterPlan): DnsService[] {
  return plan.services.map((s: PlanService): DnsService => {
    const ready = [...new Set(s.ports.flatMap((p) => p.endpoints.filter((e) => e.ready).map((e) => e.ip)))];
    const headless = s.clusterIP === null && s.externalName === null;
    const ports = s.ports.map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      // A headless Service announces the endpoint port (the resolved targetPort).
      port: headless ? (p.endpoints[0]?.port ?? p.port) : p.port,
      protocol: p.protocol,
    }));
    return {
      name: s.name,
      namespace: s.namespace,
      clusterIP: s.clusterIP ?? (headless ? 'None' : null),
      headless,
      readyPodIPs: ready,
      ...(s.externalName ? { externalName: s.externalName } : {}),
      ports,
    };
  });
}

/** The ingress controller's view: routes without rejected Ingresses, backends resolved as trace resolves them. */
function ingressBackends(
  graph: ResolvedGraph,
  findings: readonly Finding[],
  plan: ClusterPlan,
  cls: string | null,
) {
  const rejected = new RejectedObjects(findings);
  const all = graph.ofKind('Ingress');
  const accepted = all.filter((i) => !rejected.has(i));
  const classes = graph.ofKind('IngressClass');
  const table: IngressRouteTable =
    !cls && accepted.length === all.length
      ? graph.ingress
      : ingressRoutes(accepted, cls ? { ingressClass: cls, ...(classes.length > 0 ? { classes } : {}) } : {});
  const planned = (ns: string, name: string) =>
    plan.services.find((s) => s.namespace === ns && s.name === name);
  const env: IngressBackendEnv = {
    service: (ns, name) => (planned(ns, name) ? graph.ingressEnv.service(ns, name) : undefined),
    readyEndpoints: (svc, i) =>
      planned(svc.namespace, svc.name)?.ports[i]?.endpoints.filter((e) => e.ready).length ?? 0,
  };
  return {
    routes: () => table,
    endpoints: (ingressNamespace: string, backend: IngressBackend): IngressEndpoints => {
      const r = resolveIngressBackend(ingressNamespace, backend, env);
      if (!r.ok) return { status: 'unresolved', detail: r.detail };
      const s = planned(r.service.namespace, r.service.name);
      const port = s?.ports[r.servicePortIndex];
      const targets = (port?.endpoints ?? [])
        .filter((e) => e.ready)
        .map((e) => ({ ip: e.ip, port: e.dialPort }));
      if (targets.length === 0)
        return { status: 'unresolved', detail: `Service ${r.service.name} has no ready endpoint` };
      return {
        status: 'ok',
        targets,
        service: `${r.service.namespace}/${r.service.name}:${port?.port ?? ''}`,
      };
    },
  };
}

export async function startUp(sources: readonly SourceText[], options: UpOptions = {}): Promise<Up> {
  // The kubelet's readiness (probes, local commands) becomes the pods' Ready condition in the semantic core,
  // so EndpointSlices, kube-proxy, the ingress controller and DNS follow it as they follow status in a cluster.
  let kubelet: ReconcilingPods | undefined;
  const checkOptions: UpOptions = { ...options, podReady: (ns, name) => kubelet?.ready(ns, name) };
  let result = check(sources, checkOptions, options.read);
  let lastSources = sources;
  let lastRead = options.read;
  const planOptions = {
    ...(options.lowPortOffset !== undefined ? { lowPortOffset: options.lowPortOffset } : {}),
    ...(options.addressBase ? { addressBase: options.addressBase } : {}),
  };
  let plan = planCluster(result.graph, result.findings, planOptions);
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c();
    closers.length = 0;
  };
  // Reconciles run one at a time (a watch edit and a probe may ask together); the first waits for setup.
  let setupDone: () => void = () => undefined;
  let chain: Promise<unknown> = new Promise<void>((r) => {
    setupDone = r;
  });
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const r = chain.then(f);
    chain = r.catch(() => undefined);
    return r;
  };
  let closed = false;
  const readinessChanges: string[] = [];
  let probeReconcile: (() => Promise<Reconciled>) | null = null;
  let scheduled = false;
  const onPodReadiness = (pod: string, ready: boolean, why: string) => {
    readinessChanges.push(`pod ${pod} ${ready ? 'ready' : 'not ready'} (${why})`);
    if (scheduled || closed) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void serial(async () => {
        if (closed || !probeReconcile) return;
        const r = await probeReconcile();
        options.onReadiness?.(r);
      }).catch(() => undefined);
    });
  };
  try {
    const domain = options.dns?.clusterDomain ?? 'cluster.local';
    let records = clusterDnsRecords(dnsServices(plan), domain);
    let netns: NetnsIsolation | undefined;
    if (options.isolation === 'netns') {
      netns = await startNetnsIsolation(options.netnsPrefix ? { prefix: options.netnsPrefix } : {});
      const isolation = netns;
      closers.push(() => isolation.close());
    }
    const pods = await startPods(plan, {
      clusterDns: () => records,
      graph: () => result.graph,
      ...(options.imageCommands ? { imageCommands: options.imageCommands } : {}),
      ...(netns ? { netns } : {}),
      ...(options.probeTimeScale !== undefined ? { probeTimeScale: options.probeTimeScale } : {}),
      ...(options.maxGraceSeconds !== undefined ? { maxGraceSeconds: options.maxGraceSeconds } : {}),
      ...(options.restartBackoffMs !== undefined ? { restartBackoffMs: options.restartBackoffMs } : {}),
      onReadiness: onPodReadiness,
    });
    closers.push(() => pods.close());
    kubelet = pods;
    // The first probes (those without an initial delay) decide the endpoints the proxies start with.
    await pods.settled();
    if (plan.pods.some((p) => pods.ready(p.namespace, p.name) !== undefined)) {
      result = check(sources, checkOptions, options.read);
      plan = planCluster(result.graph, result.findings, { ...planOptions, previous: plan });
      records = clusterDnsRecords(dnsServices(plan), domain);
    }
    readinessChanges.length = 0;
    const kubeProxy = await startProxy(options.proxyMode ?? 'userspace', plan, options);
    closers.push(() => kubeProxy.close());
    let dns: Up['dns'] = null;
    if (options.dns) {
      const server = await startDnsServer(() => records, { host: options.dns.host, port: options.dns.port });
      closers.push(() => server.close());
      dns = server.address;
    }
    let ingress: Up['ingress'] = null;
    const extraNotes: string[] = [];
    const ingressClass = options.ingress?.ingressClass ?? null;
    let current = ingressBackends(result.graph, result.findings, plan, ingressClass);
    // The controller asks per request, so it always reads the plan running now.
    const backends: IngressBackends = {
      routes: () => current.routes(),
      endpoints: (ns, backend) => current.endpoints(ns, backend),
    };
    let ingressStats: (() => { paths: readonly IngressPathTraffic[]; unmatched: number }) | null = null;
    if (options.ingress) {
      const o = options.ingress;
      let controller: Awaited<ReturnType<typeof startIngressController>>;
      try {
        controller = await startIngressController(backends, { host: o.host, port: o.port });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EACCES' || o.fallbackPort === undefined) throw e;
        extraNotes.push(
          `ingress: binding ${o.host}:${o.port} is not permitted; the ingress controller listens on ${o.fallbackPort}`,
        );
        controller = await startIngressController(backends, { host: o.host, port: o.fallbackPort });
      }
      closers.push(() => controller.close());
      ingress = controller.address;
      ingressStats = () => controller.stats();
    }
    const apply = async (
      next: readonly SourceText[],
      read: { readonly findings: readonly Finding[]; readonly order: readonly string[] } | undefined,
    ): Promise<Reconciled> => {
      lastSources = next;
      lastRead = read;
      const readiness = readinessChanges.splice(0);
      let r = check(next, checkOptions, read);
      let p = planCluster(r.graph, r.findings, { ...planOptions, previous: plan });
      const before = plan;
      result = r;
      const podChanges = await pods.update(p);
      // Pods (re)started just now are judged by their new probes and processes, not by the ones they replace.
      const fresh = [...podChanges.started, ...podChanges.restarted];
      if (
        fresh.some((n) => pods.ready(n.slice(0, n.indexOf('/')), n.slice(n.indexOf('/') + 1)) !== undefined)
      ) {
        r = check(next, checkOptions, read);
        p = planCluster(r.graph, r.findings, { ...planOptions, previous: p });
        result = r;
        await pods.update(p);
      }
      records = clusterDnsRecords(dnsServices(p), domain);
      current = ingressBackends(r.graph, r.findings, p, ingressClass);
      await kubeProxy.update(p);
      // Read through `up.plan` only once kube-proxy carries it: what the plan says is then what answers.
      plan = p;
      const changes = [
        ...readiness,
        ...podChanges.stopped.map((n) => `pod ${n} stopped`),
        ...podChanges.restarted.map((n) => `pod ${n} restarted`),
        ...podChanges.started.map((n) => `pod ${n} started`),
        ...serviceChanges(before, p),
      ];
      return { changes, pods: podChanges };
    };
    const reconcile: Up['reconcile'] = (next, read) => serial(() => apply(next, read));
    probeReconcile = () => apply(lastSources, lastRead);
    setupDone();
    return {
      get plan() {
        return plan;
      },
      get graph() {
        return result.graph;
      },
      get findings() {
        return result.findings;
      },
      pods,
      kubeProxy,
      ingress,
      ingressTraffic: () => ingressStats?.() ?? { paths: [], unmatched: 0 },
      dns,
      get notes() {
        return [...plan.notes, ...pods.notes, ...kubeProxy.problems, ...extraNotes];
      },
      reconcile,
      close: async () => {
        closed = true;
        await chain;
        await closeAll();
      },
    };
  } catch (e) {
    closed = true;
    setupDone();
    await closeAll();
    throw e;
  }
}
