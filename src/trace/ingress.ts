/**
 * A URL through the Ingresses: which rule (or defaultBackend) takes the request and why, what else was
 * considered, the backend Service port it names, and the answer ingress-nginx gives (404, 503, or the
 * endpoints, which it reaches itself, without kube-proxy). Matching, resolution and the status come from
 * semantics/ingress.ts.
 */
import { FieldPath } from '../model/field-path.js';
import type { Manifest } from '../model/load.js';
import type { IngressBackend, ServicePort } from '../model/types.js';
import {
  type BackendResolution,
  type IngressMatch,
  type IngressRouteTable,
  ingressResponseStatus,
  ingressRoutes,
  matchIngressRequest,
  resolveIngressBackend,
} from '../semantics/ingress.js';
import { followEndpoints, portText } from './backends.js';
import type { Anchor, TraceBuilder } from './builder.js';
import type { TraceContext } from './context.js';
import type { TraceBackend } from './model.js';
import { serviceAddressAnchors, serviceName, servicePortAnchors } from './service.js';
import type { TraceTarget } from './target.js';

type UrlTarget = Extract<TraceTarget, { kind: 'url' }>;

/** The routes the controller serves: rejected Ingresses do not exist; `--ingress-class` filters by class. */
function routeTable(ctx: TraceContext): IngressRouteTable {
  const all = ctx.graph.ofKind('Ingress');
  const accepted = all.filter((i) => !ctx.rejected(i));
  const cls = ctx.options.ingressClass;
  if (!cls && accepted.length === all.length) return ctx.graph.ingress;
  const classes = ctx.graph.ofKind('IngressClass');
  return ingressRoutes(
    accepted,
    cls ? { ingressClass: cls, ...(classes.length > 0 ? { classes } : {}) } : {},
  );
}

const ingressName = (m: Manifest<'Ingress'>) => `Ingress ${m.namespace}/${m.name}`;
const hostText = (h: string) => (h === '' ? '(no host)' : h);

/** What else was considered and why it lost; rules of other hosts are counted, not listed. */
function consideredDetails(match: IngressMatch): string[] {
  const out: string[] = [];
  let otherHosts = 0;
  for (const c of match.considered) {
    if (c.selected) continue;
    if (c.reason === 'host-mismatch') {
      otherHosts++;
      continue;
    }
    const what = c.route
      ? `${ingressName(c.route.ingress)} ${c.route.field.toString()} (${c.route.host ?? '*'} ${c.route.pathType} ${c.route.path})`
      : c.defaultBackend
        ? `${ingressName(c.defaultBackend.ingress)} ${c.defaultBackend.field.toString()}`
        : 'a route';
    out.push(`not ${what}: ${c.detail}`);
  }
  if (otherHosts > 0)
    out.push(`${otherHosts} rule${otherHosts === 1 ? '' : 's'} of other hosts did not match`);
  for (const q of match.quirks) out.push(`ingress-nginx: ${q.detail}`);
  return out;
}

/** Ingresses left out (class, API rejection) that could otherwise have taken this host. */
function leftOut(
  ctx: TraceContext,
  table: IngressRouteTable,
  host: string,
): { details: string[]; anchors: Anchor[] } {
  const fits = (ing: Manifest<'Ingress'>) => {
    const rules = ing.object.spec?.rules ?? [];
    return (
      rules.length === 0 ||
      rules.some((r) => !r.host || r.host.toLowerCase() === host || r.host.startsWith('*.'))
    );
  };
  const details: string[] = [];
  const anchors: Anchor[] = [];
  for (const x of table.excluded)
    if (fits(x.ingress)) details.push(`${ingressName(x.ingress)} is not served: ${x.detail}`);
  for (const ing of ctx.graph.ofKind('Ingress')) {
    const text = ctx.rejectionText(ing);
    if (text && fits(ing)) {
      details.push(text);
      anchors.push({ manifest: ing, any: true });
    }
  }
  for (const inv of table.invalid)
    if (fits(inv.ingress))
      details.push(`${ingressName(inv.ingress)} ${inv.field.toString()}: ${inv.detail} (never routed)`);
  return { details, anchors };
}

function ingressHop(
  ctx: TraceContext,
  out: TraceBuilder,
  table: IngressRouteTable,
  match: IngressMatch,
): number {
  const { host, path, selectedHost, hostMatch } = match.request;
  const request = `${hostText(host)}${path}`;
  const extra = leftOut(ctx, table, host);
  const details = [...consideredDetails(match), ...extra.details];
  const ing = match.ingress;
  const common = (m: Manifest<'Ingress'>): Anchor[] => [
    { manifest: m },
    { manifest: m, field: FieldPath.root('metadata') },
    { manifest: m, field: FieldPath.root('spec', 'ingressClassName') },
  ];
  if (match.via === 'rule' && match.route && ing) {
    const r = match.route;
    const how =
      hostMatch === 'exact'
        ? `host ${r.host}`
        : hostMatch === 'wildcard'
          ? `wildcard host ${r.host} fits ${host}`
          : 'a rule for any host';
    return out.add({
      kind: 'ingress',
      status: 'ok',
      depth: 0,
      summary: `${ingressName(ing)} ${r.field.toString()}: ${how}, ${r.pathType} ${r.path} matches ${path}`,
      details,
      at: { manifest: ing, field: r.field },
      anchors: [
        ...common(ing),
        { manifest: ing, field: FieldPath.root('spec', 'rules').index(r.ruleIndex).child('host') },
        { manifest: ing, field: r.field },
        ...extra.anchors,
      ],
    });
  }
  if (match.via === 'ingressDefaultBackend' && match.defaultBackend && ing) {
    return out.add({
      kind: 'ingress',
      status: 'ok',
      depth: 0,
      summary: `no rule matches ${request}: ${ingressName(ing)} ${match.defaultBackend.field.toString()} takes it`,
      details,
      at: { manifest: ing, field: match.defaultBackend.field },
      anchors: [...common(ing), ...extra.anchors],
    });
  }
  const claimed = selectedHost !== null ? table.hosts.filter((h) => h.host === selectedHost) : [];
  const first = claimed[0];
  const none = table.ingresses.length === 0;
  return out.add({
    kind: 'ingress',
    status: 'broken',
    depth: 0,
    summary: none
      ? `no Ingress${ctx.options.ingressClass ? ` of class ${ctx.options.ingressClass}` : ''} in the input: the controller's default backend answers 404`
      : `no Ingress rule matches ${request} and no defaultBackend applies: the controller's default backend answers 404`,
    details: [
      ...(selectedHost !== null
        ? [
            `host ${selectedHost} claims the request (${hostMatch}); its unmatched paths do not fall back to other hosts' rules`,
          ]
        : []),
      ...details,
    ],
    ...(first ? { at: { manifest: first.ingress, field: first.field } } : {}),
    anchors: [
      ...claimed.flatMap((h) => [...common(h.ingress), { manifest: h.ingress, field: h.field }]),
      ...extra.anchors,
    ],
  });
}

function backendJson(match: IngressMatch, b: IngressBackend, ns: string): TraceBackend {
  const viaDefaultBackend = match.via === 'ingressDefaultBackend';
  const port = b.service?.port;
  return {
    service: b.service?.name ? { namespace: ns, name: b.service.name } : null,
    port: port?.name ? { name: port.name } : port?.number !== undefined ? { number: port.number } : null,
    viaDefaultBackend,
    ...(b.resource ? { resource: b.resource } : {}),
  };
}

/** The field of the backend that a failed resolution points at. */
function failureField(base: FieldPath, b: IngressBackend, r: BackendResolution): FieldPath {
  if (b.resource) return base.child('resource');
  if (r.ok) return base.child('service');
  if (r.reason === 'service-not-found') return base.child('service', 'name');
  if (r.reason === 'port-not-found') {
    const p = b.service?.port;
    return p?.name
      ? base.child('service', 'port', 'name')
      : p?.number !== undefined
        ? base.child('service', 'port', 'number')
        : base.child('service', 'port');
  }
  return base.child('service');
}

export function traceUrl(ctx: TraceContext, out: TraceBuilder, t: UrlTarget): void {
  const client = ctx.client(null);
  out.from = client.label;
  out.add({
    kind: 'client',
    status: 'ok',
    depth: 0,
    summary: `${client.label} -> ${t.scheme.toUpperCase()} ${t.raw}${t.host === '' ? ' (no Host a rule could match: a request to a bare IP)' : ` (Host: ${t.host})`}`,
    ...(client.inCluster
      ? { details: ['NetworkPolicies between the client and the ingress controller are not evaluated'] }
      : {}),
  });
  const table = routeTable(ctx);
  const match = matchIngressRequest(table, { host: t.host, path: t.path });
  const hop = ingressHop(ctx, out, table, match);
  const b = match.backend;
  const ing = match.ingress;
  if (!b || !ing || match.via === 'controllerDefaultBackend') {
    out.conclude('404', hop, 'no Ingress rule and no defaultBackend match: 404 from the controller');
    return;
  }
  out.backend = backendJson(match, b, ing.namespace);
  const resolution = resolveIngressBackend(ing.namespace, b, ctx.ingressEnv);
  const status = ingressResponseStatus(match, resolution);
  const base = match.route ? match.route.field.child('backend') : (match.defaultBackend?.field as FieldPath);
  const wanted = b.service
    ? `Service ${b.service.name ?? '?'} port ${b.service.port?.name ? `"${b.service.port.name}"` : (b.service.port?.number ?? '?')}`
    : `resource ${b.resource?.kind ?? '?'} ${b.resource?.name ?? '?'}`;
  const unresolved = !resolution.ok && resolution.reason !== 'no-ready-endpoints';
  const details: string[] = resolution.quirks.map((q) => `ingress-nginx: ${q.detail}`);
  const anchors: Anchor[] = [{ manifest: ing, field: base }];
  if (!resolution.ok && resolution.reason === 'service-not-found' && b.service?.name) {
    const named = ctx.graph.service(ing.namespace, b.service.name);
    const text = named ? ctx.rejectionText(named.service) : undefined;
    if (named && text) {
      details.push(text);
      anchors.push({ manifest: named.service, any: true });
    }
    const elsewhere = ctx.graph.services.filter(
      (v) => v.service.name === b.service?.name && v.service.namespace !== ing.namespace,
    );
    if (elsewhere.length > 0)
      details.push(
        `a Service ${b.service.name} exists in namespace ${elsewhere.map((v) => v.service.namespace).join(', ')}: an Ingress backend must be in the Ingress's namespace`,
      );
  }
  if (unresolved) details.unshift(resolution.detail);
  const backendHop = out.add({
    kind: 'ingress-backend',
    status: unresolved ? 'broken' : 'ok',
    depth: 0,
    summary: `-> ${wanted} in namespace ${ing.namespace}${resolution.ok || !unresolved ? '' : `: ${status === 404 ? 'not a Service' : 'unresolved'}`}`,
    details,
    at: { manifest: ing, field: unresolved ? failureField(base, b, resolution) : base.child('service') },
    anchors,
  });
  if (unresolved) {
    const reason =
      status === 404
        ? `${resolution.detail} (404)`
        : `${resolution.detail}: ingress-nginx answers 503 Service Temporarily Unavailable`;
    out.conclude(status === 404 ? '404' : '503', backendHop, reason);
    return;
  }
  const svc = resolution.service as Manifest<'Service'>;
  const index = resolution.servicePortIndex as number;
  const sp = resolution.servicePort as ServicePort;
  const view = ctx.graph.service(svc.namespace, svc.name);
  if (resolution.ok && resolution.externalName !== undefined) {
    const h = out.add({
      kind: 'service-port',
      status: 'ok',
      depth: 0,
      summary: `${serviceName(svc)} is type ExternalName: ingress-nginx proxies to ${resolution.externalName}:${sp.port}`,
      details: ['the trace does not follow a name outside the cluster'],
      at: { manifest: svc, field: FieldPath.root('spec', 'externalName') },
      anchors: [...serviceAddressAnchors(svc), ...servicePortAnchors(svc, index)],
    });
    out.conclude('delivered', h, 'proxied to the ExternalName');
    return;
  }
  const serviceHop = out.add({
    kind: 'service-port',
    status: 'ok',
    depth: 0,
    summary: `${serviceName(svc)} port ${portText(sp)} -> targetPort ${sp.targetPort ?? sp.port}`,
    details: [
      "ingress-nginx reads this port's EndpointSlices and connects to the pods itself (no clusterIP, no kube-proxy)",
    ],
    at: { manifest: svc, field: FieldPath.root('spec', 'ports').index(index) },
    anchors: [...serviceAddressAnchors(svc), ...servicePortAnchors(svc, index)],
  });
  if (view) {
    followEndpoints(ctx, out, {
      view,
      portIndex: index,
      path: 'ingress',
      client: ctx.ingressController(),
      node: null,
      serviceHop,
    });
  }
  if (status === 503) out.conclude('503', serviceHop, 'no ready endpoint: ingress-nginx answers 503');
}
