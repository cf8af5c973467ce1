/**
 * Metrics, admin and debug ports published outside the cluster.
 *
 * A NodePort Service opens its nodePorts on every node, a LoadBalancer Service also gets an external address,
 * `externalIPs` make kube-proxy answer on those addresses, and an Ingress publishes its paths through the
 * controller. Metrics (/metrics), profiling (pprof), management (Spring actuator, JMX/Jolokia) and admin APIs
 * (Envoy's admin, the kubelet's) rarely authenticate: they leak internals or accept changes. They belong on a
 * ClusterIP Service, scraped or administered from inside the cluster.
 */
import type { Manifest } from '../model/load.js';
import type { ServicePort } from '../model/types.js';
import type { ServiceView } from '../semantics/graph.js';
import { findPort } from '../semantics/named-ports.js';
import type { Rule, RuleContext } from './rule.js';
import { chainHead, resolveBackend, serviceBackends, servicePortField } from './support/ingress-backends.js';
import { backendsOf, portsField } from './support/service-backends.js';

/**
 * Default ports of metrics, profiling and admin endpoints; only numbers that are (almost) never an application's
 * public port. 8081, 8086, 9000 and 9001 are left out on purpose: many applications serve users there.
 */
export const ADMIN_PORTS: ReadonlyMap<number, string> = new Map([
  [1099, 'the JMX/RMI registry default'],
  [2375, "the Docker daemon's unauthenticated API"],
  [6060, "Go's net/http/pprof convention"],
  [9090, "Prometheus' default"],
  [9091, "the Prometheus Pushgateway's default"],
  [9100, "node_exporter's default"],
  [9113, "nginx-prometheus-exporter's default"],
  [9115, "blackbox_exporter's default"],
  [9121, "redis_exporter's default"],
  [9153, "CoreDNS' metrics port"],
  [9187, "postgres_exporter's default"],
  [9901, "Envoy's admin port in its examples"],
  [10249, "kube-proxy's metrics port"],
  [10250, "the kubelet's API"],
  [10254, "ingress-nginx's metrics and health port"],
  [10255, "the kubelet's read-only port"],
  [10256, "kube-proxy's health port"],
  [15000, "Envoy's admin port in Istio"],
  [15014, "istiod's monitoring port"],
  [15090, "Envoy's Prometheus port in Istio"],
]);

/** Words that mark a port name as metrics/admin/debug, matched as `-`/`_`/`.`-separated tokens. */
const ADMIN_WORDS = new Set([
  'metrics',
  'metric',
  'prometheus',
  'prom',
  'admin',
  'debug',
  'pprof',
  'actuator',
  'management',
  'mgmt',
  'jmx',
  'jolokia',
  'health',
  'healthz',
  'healthcheck',
  'monitoring',
]);

/** Ingress path segments that publish such an endpoint on an ordinary port. */
const ADMIN_PATH_SEGMENTS = new Set(['metrics', 'pprof', 'actuator', 'jolokia']);

function adminWord(name: string | undefined): string | null {
  if (!name) return null;
  const tokens = name.toLowerCase().split(/[-_.]/);
  return tokens.find((t) => ADMIN_WORDS.has(t)) ?? null;
}

/** Why a Service port is a metrics/admin port: its name, its numbers, or the container port it reaches. */
function adminReason(view: ServiceView, sp: ServicePort): string | null {
  const named = adminWord(sp.name);
  if (named) return `its name "${sp.name}"`;
  if (typeof sp.targetPort === 'string' && adminWord(sp.targetPort))
    return `its targetPort "${sp.targetPort}"`;
  const known = ADMIN_PORTS.get(sp.port);
  if (known) return `port ${sp.port}, ${known}`;
  // A numeric targetPort is the pod port whatever the pods declare (FindPort uses it as is).
  const numeric = typeof sp.targetPort === 'number' ? ADMIN_PORTS.get(sp.targetPort) : undefined;
  if (numeric) return `its targetPort ${sp.targetPort}, ${numeric}`;
  for (const { pod } of backendsOf(view)) {
    const r = findPort(pod.pod.spec, sp);
    if (!r.ok) continue;
    const declared =
      r.containerIndex === undefined || r.portIndex === undefined
        ? undefined
        : (r.init ? pod.pod.spec.initContainers : pod.pod.spec.containers)?.[r.containerIndex]?.ports?.[
            r.portIndex
          ];
    if (declared?.name && adminWord(declared.name))
      return `the container port it reaches, "${declared.name}" (${r.port}) of container "${r.container}"`;
    const target = ADMIN_PORTS.get(r.port);
    if (target) return `the pod port it reaches, ${r.port}, ${target}`;
  }
  return null;
}

function annotationSaysInternal(m: Manifest<'Service'>): boolean {
  for (const [k, v] of Object.entries(m.object.metadata.annotations ?? {})) {
    const value = v.toLowerCase();
    if (k.endsWith('load-balancer-internal') && value === 'true') return true;
    if ((k.endsWith('load-balancer-type') || k.endsWith('load-balancer-scheme')) && value === 'internal')
      return true;
  }
  return false;
}

/** How a Service is reachable from outside the cluster, or null for a ClusterIP-only Service. */
function exposure(m: Manifest<'Service'>): { how: string; restricted: string | null } | null {
  const spec = m.object.spec;
  const type = spec.type ?? 'ClusterIP';
  if (type === 'LoadBalancer') {
    const restricted =
      (spec.loadBalancerSourceRanges ?? []).length > 0
        ? `loadBalancerSourceRanges ${(spec.loadBalancerSourceRanges ?? []).join(', ')}`
        : annotationSaysInternal(m)
          ? 'an internal load balancer (annotation)'
          : null;
    const nodePorts = spec.allocateLoadBalancerNodePorts === false ? '' : " and on every node's nodePort";
    return { how: `on the load balancer${nodePorts}`, restricted };
  }
  if (type === 'NodePort') return { how: "on every node's nodePort", restricted: null };
  if ((spec.externalIPs ?? []).length > 0)
    return { how: `on externalIPs ${(spec.externalIPs ?? []).join(', ')}`, restricted: null };
  return null;
}

const RISK =
  'metrics, profiling and admin endpoints rarely authenticate, and they leak internals or accept changes';

function checkServices(ctx: RuleContext): void {
  for (const view of ctx.graph.services) {
    const exposed = exposure(view.service);
    if (!exposed) continue;
    const type = view.service.object.spec.type ?? 'ClusterIP';
    (view.service.object.spec.ports ?? []).forEach((sp, i) => {
      const reason = adminReason(view, sp);
      if (!reason) return;
      ctx.report({
        manifest: view.service,
        field: portsField(i),
        ...(exposed.restricted ? { severity: 'info' as const } : {}),
        message: `Service ${view.service.name}:${sp.port} (${type}) publishes a metrics/admin port outside the cluster, ${exposed.how}${exposed.restricted ? ` (limited by ${exposed.restricted})` : ''}: ${reason} marks it as one; ${RISK}`,
        fix: 'Serve this port from a separate ClusterIP Service (scrape or administer it from inside the cluster, or with kubectl port-forward), or put it behind authentication and source ranges.',
      });
    });
  }
}

function checkIngresses(ctx: RuleContext): void {
  for (const ref of serviceBackends(ctx.graph)) {
    const path = ref.route?.path ?? null;
    const res = resolveBackend(ctx.graph, ref);
    const view = res.service ? ctx.graph.service(res.service.namespace, res.service.name) : undefined;
    const reason = view && res.servicePort ? adminReason(view, res.servicePort) : null;
    const where = path === null ? chainHead(ref) : `${chainHead(ref)} (path ${path})`;
    if (reason) {
      ctx.report({
        manifest: ref.ingress,
        field: servicePortField(ref),
        message: `${where} publishes a metrics/admin port through the ingress controller: ${reason} marks it as one; ${RISK}`,
        fix: 'Route the Ingress to the application port only, and keep metrics and admin ports on ClusterIP Services.',
      });
      continue;
    }
    const segment = (path ?? '')
      .toLowerCase()
      .split('/')
      .find((s) => ADMIN_PATH_SEGMENTS.has(s));
    if (segment && ref.route) {
      ctx.report({
        manifest: ref.ingress,
        field: ref.route.field.child('path'),
        message: `${where} publishes a /${segment} endpoint through the ingress controller; ${RISK}`,
        fix: `Remove the ${path} path from the Ingress (scrape or administer it from inside the cluster), or put it behind authentication.`,
      });
    }
  }
}

export const exposedAdminPort: Rule = {
  meta: {
    id: 'exposed-admin-port',
    severity: 'warning',
    description:
      'A metrics, admin or debug port is published outside the cluster by a NodePort/LoadBalancer Service or an Ingress.',
    docs: {
      details:
        "Metrics (/metrics), profiling (pprof), management (Spring actuator, JMX, Jolokia) and admin endpoints (Envoy admin, the kubelet API) rarely authenticate: they reveal internals, and some accept changes or code. A NodePort Service opens its ports on every node, a LoadBalancer also on an external address, externalIPs on those addresses, and an Ingress publishes its paths. A Service port counts as metrics/admin when its name or named targetPort (or the container port it reaches) has a token among metrics, prometheus, prom, admin, debug, pprof, actuator, management, mgmt, jmx, jolokia, health(z), healthcheck, monitoring; or when its port (or the pod port it reaches) is one of these defaults, none of which is an application's usual public port: 1099 (JMX/RMI), 2375 (Docker API), 6060 (pprof), 9090 (Prometheus), 9091 (Pushgateway), 9100, 9113, 9115, 9121, 9153, 9187 (exporters and CoreDNS metrics), 9901, 15000, 15090 (Envoy admin and stats), 15014 (istiod monitoring), 10249, 10250, 10254, 10255, 10256 (kube-proxy, kubelet, ingress-nginx metrics). 8081, 8086, 9000 and 9001 are left out: applications often serve users there. A load balancer limited by loadBalancerSourceRanges or an internal-load-balancer annotation is info. An Ingress path with a segment metrics, pprof, actuator or jolokia is reported too. Ports 80/443 of an ordinary web Service are never reported.",
      bad: `kind: Service
spec:
  type: LoadBalancer
  selector: {app: api}
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: metrics, port: 9090}    # public /metrics`,
      good: `kind: Service
spec:
  type: LoadBalancer
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
kind: Service            # ClusterIP: scraped from inside the cluster
spec:
  selector: {app: api}
  ports: [{name: metrics, port: 9090}]`,
    },
  },
  check(ctx) {
    checkServices(ctx);
    checkIngresses(ctx);
  },
};
