/**
 * `portchain up`, the engine: check the sources, plan the cluster, start the simulated pods, the kube-proxy,
 * and (when asked) the cluster DNS and the ingress controller, all on loopback. The command and the tests use
 * this; nothing here prints.
 */
import { type CheckOptions, check } from '../check.js';
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
import { type PodChanges, type RunningPods, startPods } from './images/run.js';
import { type IngressBackends, type IngressEndpoints, startIngressController } from './ingress-controller.js';
import { type KubeProxy, type KubeProxyOptions, startKubeProxy } from './kube-proxy.js';
import { type ClusterPlan, type PlanAddressBase, type PlanService, planCluster } from './plan.js';

export interface UpOptions extends CheckOptions, KubeProxyOptions {
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
}

export interface Up {
  readonly plan: ClusterPlan;
  readonly graph: ResolvedGraph;
  readonly findings: readonly Finding[];
  readonly pods: RunningPods;
  readonly kubeProxy: KubeProxy;
  readonly ingress: { readonly host: string; readonly port: number } | null;
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
  let result = check(sources, options, options.read);
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
  try {
    const domain = options.dns?.clusterDomain ?? 'cluster.local';
    let records = clusterDnsRecords(dnsServices(plan), domain);
    const pods = await startPods(plan, () => records);
    closers.push(() => pods.close());
    const kubeProxy = await startKubeProxy(plan, options);
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
    }
    const reconcile: Up['reconcile'] = async (next, read) => {
      const r = check(next, options, read);
      const p = planCluster(r.graph, r.findings, { ...planOptions, previous: plan });
      const before = plan;
      result = r;
      plan = p;
      records = clusterDnsRecords(dnsServices(p), domain);
      current = ingressBackends(r.graph, r.findings, p, ingressClass);
      const podChanges = await pods.update(p);
      await kubeProxy.update(p);
      const changes = [
        ...podChanges.stopped.map((n) => `pod ${n} stopped`),
        ...podChanges.restarted.map((n) => `pod ${n} restarted`),
        ...podChanges.started.map((n) => `pod ${n} started`),
        ...serviceChanges(before, p),
      ];
      return { changes, pods: podChanges };
    };
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
      dns,
      get notes() {
        return [...plan.notes, ...pods.notes, ...kubeProxy.problems, ...extraNotes];
      },
      reconcile,
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
