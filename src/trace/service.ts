/**
 * Targets that reach a Service without an Ingress: its DNS name or clusterIP (kube-proxy, internalTrafficPolicy),
 * an externalIP or nodePort (externalTrafficPolicy), its load balancer. Headless and ExternalName Services are
 * not routed: DNS answers instead (the pod IPs, a CNAME), and the trace says what it returns.
 */
import { FieldPath } from '../model/field-path.js';
import { joinSome, MAX_NAMED } from '../model/list-text.js';
import type { Manifest } from '../model/load.js';
import type { Protocol, ServicePort } from '../model/types.js';
import type { ServiceView } from '../semantics/graph.js';
import { cidrContains } from '../semantics/network-policy.js';
import { followEndpoints, portText, type TrafficPath } from './backends.js';
import type { Anchor, TraceBuilder } from './builder.js';
import type { Client, TraceContext } from './context.js';
import { type PortRef, TargetError, type TraceTarget } from './target.js';

const SERVICE_FIELDS = [
  'selector',
  'internalTrafficPolicy',
  'externalTrafficPolicy',
  'publishNotReadyAddresses',
  'sessionAffinity',
  'ipFamilies',
  'ipFamilyPolicy',
];
const ADDRESS_FIELDS = ['type', 'clusterIP', 'clusterIPs', 'externalIPs', 'externalName'];

/** The Service port link owns the port entry and what decides its endpoints. */
export function servicePortAnchors(svc: Manifest<'Service'>, index: number | null): Anchor[] {
  return [
    {
      manifest: svc,
      field: index === null ? FieldPath.root('spec', 'ports') : FieldPath.root('spec', 'ports').index(index),
    },
    ...SERVICE_FIELDS.map((f) => ({ manifest: svc, field: FieldPath.root('spec', f) })),
  ];
}

/** The address link owns the object as a whole and how it is addressed. */
export function serviceAddressAnchors(svc: Manifest<'Service'>): Anchor[] {
  return [
    { manifest: svc },
    { manifest: svc, field: FieldPath.root('metadata') },
    ...ADDRESS_FIELDS.map((f) => ({ manifest: svc, field: FieldPath.root('spec', f) })),
  ];
}

export const serviceName = (svc: Manifest<'Service'>) => `Service ${svc.namespace}/${svc.name}`;
const dnsName = (svc: { namespace: string; name: string }) =>
  `${svc.name}.${svc.namespace}.svc.cluster.local`;
const typeOf = (svc: Manifest<'Service'>) => svc.object.spec.type ?? 'ClusterIP';
const isHeadless = (svc: Manifest<'Service'>) => svc.object.spec.clusterIP === 'None';

type PortLookup = { readonly index: number | null } | { readonly problem: string };

/**
 * The Service port a client dials: by number and protocol, or by name; none named: the only port (or the only
 * one of that protocol). Several candidates is a usage error: the user must say which.
 */
export function lookupServicePort(
  svc: Manifest<'Service'>,
  ref: PortRef,
  protocol: Protocol,
  raw: string,
  /** The pod ports a Service port reaches (its targetPort resolved per pod), for the hint. */
  reaches: (index: number) => readonly number[] = () => [],
): PortLookup {
  const ports = svc.object.spec.ports ?? [];
  const proto = (p: ServicePort) => p.protocol ?? 'TCP';
  const list = ports.map(portText).join(', ') || 'no ports';
  if (ref === null) {
    if (ports.length === 0) return { index: null };
    const same = ports.map((p, i) => ({ p, i })).filter((x) => proto(x.p) === protocol);
    if (ports.length === 1 || same.length === 1) {
      const only = ports.length === 1 ? 0 : (same[0]?.i as number);
      const p = ports[only] as ServicePort;
      if (proto(p) !== protocol)
        return { problem: `${serviceName(svc)} has only port ${portText(p)}, not ${protocol}` };
      return { index: only };
    }
    throw new TargetError(
      `${raw}: ${serviceName(svc)} has ${ports.length} ports (${list}); name one, e.g. ${raw}:${ports[0]?.name ?? ports[0]?.port}`,
    );
  }
  if (typeof ref === 'number') {
    const i = ports.findIndex((p) => p.port === ref && proto(p) === protocol);
    if (i >= 0) return { index: i };
    const other = ports.find((p) => p.port === ref);
    if (other)
      return { problem: `${serviceName(svc)} offers port ${ref} over ${proto(other)} only, not ${protocol}` };
    const target = ports.findIndex((p, j) => p.targetPort === ref || reaches(j).includes(ref));
    const tp = ports[target];
    if (tp)
      return {
        problem: `${serviceName(svc)} has no port ${ref}: ${ref} is the targetPort of Service port ${portText(tp)}${tp.targetPort !== ref ? ` (targetPort ${tp.targetPort} resolves to ${ref})` : ''}; clients dial the Service port, kube-proxy translates it`,
      };
    return { problem: `${serviceName(svc)} has no port ${ref}/${protocol} (it has ${list})` };
  }
  const i = ports.findIndex((p) => p.name === ref);
  const p = ports[i];
  if (!p) return { problem: `${serviceName(svc)} has no port named "${ref}" (it has ${list})` };
  if (proto(p) !== protocol)
    return { problem: `${serviceName(svc)} port "${ref}" is ${proto(p)}, not ${protocol}` };
  return { index: i };
}

/** The pod ports each Service port reaches, from its endpoints. */
const reaches =
  (ctx: TraceContext, view: ServiceView) =>
  (index: number): number[] => {
    const sp = view.service.object.spec.ports?.[index];
    return sp ? ctx.endpoints(view, sp).flatMap((e) => (e.port === null ? [] : [e.port])) : [];
  };

/** A Service that is missing or rejected ends the trace at the address hop. */
function missingService(
  ctx: TraceContext,
  out: TraceBuilder,
  ns: string,
  name: string,
  what: string,
): ServiceView | undefined {
  const view = ctx.graph.service(ns, name);
  if (!view) {
    const elsewhere = ctx.graph.services
      .filter((v) => v.service.name === name)
      .map((v) => v.service.namespace);
    const hop = out.add({
      kind: 'address',
      status: 'broken',
      depth: 0,
      summary: `no Service ${name} in namespace ${ns}: ${what} does not resolve`,
      details:
        elsewhere.length > 0
          ? [`a Service ${name} exists in namespace ${elsewhere.join(', ')} (-n or NAME.NAMESPACE)`]
          : [],
    });
    out.conclude('not-routed', hop, `no Service ${ns}/${name}`);
    return undefined;
  }
  const rejection = ctx.rejectionText(view.service);
  if (rejection) {
    const hop = out.add({
      kind: 'address',
      status: 'broken',
      depth: 0,
      summary: `${serviceName(view.service)} is rejected by the API server: ${what} does not exist`,
      details: [rejection],
      at: { manifest: view.service },
      anchors: [{ manifest: view.service, any: true }],
    });
    out.conclude('not-routed', hop, rejection);
    return undefined;
  }
  return view;
}

interface ThroughService {
  readonly view: ServiceView;
  readonly port: PortLookup;
  readonly path: TrafficPath;
  readonly client: Client;
  readonly node: string | null;
}

/** The Service port hop, then its endpoints and what stands behind them. */
function throughService(ctx: TraceContext, out: TraceBuilder, args: ThroughService): void {
  const svc = args.view.service;
  if ('problem' in args.port) {
    const hop = out.add({
      kind: 'service-port',
      status: 'broken',
      depth: 0,
      summary: args.port.problem,
      details: [
        args.path === 'cluster'
          ? 'kube-proxy has no rule for that port of the clusterIP (iptables: the packet goes unanswered and the client times out; nftables: rejected)'
          : 'kube-proxy has no rule for that port: nothing answers',
      ],
      at: { manifest: svc, field: FieldPath.root('spec', 'ports') },
      anchors: servicePortAnchors(svc, null),
    });
    out.conclude('not-routed', hop, args.port.problem);
    return;
  }
  const index = args.port.index;
  const sp = index === null ? undefined : svc.object.spec.ports?.[index];
  const details: string[] = [];
  const spec = svc.object.spec;
  if (args.path === 'cluster' && spec.internalTrafficPolicy === 'Local')
    details.push("internalTrafficPolicy Local: only endpoints on the client's node are used");
  if (spec.sessionAffinity === 'ClientIP')
    details.push('sessionAffinity ClientIP: a client keeps its endpoint');
  const hop = out.add({
    kind: 'service-port',
    status: 'ok',
    depth: 0,
    summary: sp
      ? `${serviceName(svc)} port ${portText(sp)} -> targetPort ${sp.targetPort ?? sp.port}`
      : `${serviceName(svc)} (no ports)`,
    details,
    at: {
      manifest: svc,
      field: index === null ? FieldPath.root('spec') : FieldPath.root('spec', 'ports').index(index),
    },
    anchors: servicePortAnchors(svc, index),
  });
  followEndpoints(ctx, out, {
    view: args.view,
    portIndex: index,
    path: args.path,
    client: args.client,
    node: args.node,
    serviceHop: hop,
  });
}

/** ExternalName and headless Services: DNS answers, kube-proxy does not route. */
function notRouted(
  ctx: TraceContext,
  out: TraceBuilder,
  view: ServiceView,
  port: PortLookup,
  dialed: string,
): boolean {
  const svc = view.service;
  const spec = svc.object.spec;
  if (spec.type === 'ExternalName') {
    const hop = out.add({
      kind: 'address',
      status: 'unknown',
      depth: 0,
      summary: `${dnsName(svc)} is a CNAME to ${spec.externalName ?? '(none)'} (type ExternalName): no clusterIP, no proxying; the client connects to ${spec.externalName ?? '?'}${dialed ? `:${dialed}` : ''} itself`,
      details: ['the trace cannot follow a name outside the cluster'],
      at: { manifest: svc, field: FieldPath.root('spec', 'externalName') },
      anchors: [...serviceAddressAnchors(svc), ...servicePortAnchors(svc, null)],
    });
    out.conclude('not-routed', hop, `ExternalName: DNS answers CNAME ${spec.externalName ?? ''}`);
    return true;
  }
  if (!isHeadless(svc)) return false;
  const index = 'index' in port ? port.index : null;
  const sp = index === null ? null : (spec.ports?.[index] ?? null);
  const ips = [
    ...new Set(
      ctx
        .endpoints(view, sp)
        .filter((e) => e.ready)
        .map((e) => e.ip),
    ),
  ];
  const hop = out.add({
    kind: 'address',
    status: 'unknown',
    depth: 0,
    summary: `${dnsName(svc)} is headless (clusterIP None): DNS returns the pod IPs ${ips.length > 0 ? joinSome(ips, ', ', MAX_NAMED) : '(none: no ready endpoint)'} and the client dials them${dialed ? ` on port ${dialed}` : ''} itself; kube-proxy does not route it`,
    details: [
      ...(sp && sp.targetPort !== undefined && sp.targetPort !== sp.port
        ? [
            `no translation: a client dialing ${sp.port} reaches pod port ${sp.port}, not the targetPort ${sp.targetPort}`,
          ]
        : []),
      ...(spec.publishNotReadyAddresses
        ? ['publishNotReadyAddresses: DNS includes pods that are not ready']
        : []),
    ],
    at: { manifest: svc, field: FieldPath.root('spec', 'clusterIP') },
    anchors: [...serviceAddressAnchors(svc), ...servicePortAnchors(svc, index)],
  });
  followEndpoints(ctx, out, {
    view,
    portIndex: index,
    path: 'cluster',
    client: ctx.client(svc.namespace),
    node: null,
    serviceHop: hop,
    listOnly: true,
  });
  out.conclude(
    'not-routed',
    hop,
    `headless Service: DNS returns the pod IPs${ips.length > 0 ? ` ${joinSome(ips, ', ', MAX_NAMED)}` : ''}`,
  );
  return true;
}

const clientHop = (out: TraceBuilder, client: Client, to: string) => {
  out.from = client.label;
  return out.add({ kind: 'client', status: 'ok', depth: 0, summary: `${client.label} -> ${to}` });
};

/** A ClusterIP or DNS name is virtual: only pods and nodes reach it. */
function outsideCluster(out: TraceBuilder, client: Client, hop: number): void {
  if (client.inCluster) return;
  const h = out.hops[hop];
  if (h) {
    h.status = 'broken';
    h.details.push(
      "a Service's cluster DNS name and clusterIP are virtual: only pods and nodes of the cluster reach them",
    );
  }
  out.conclude('not-routed', hop, 'a clusterIP is not reachable from outside the cluster');
}

export function traceService(
  ctx: TraceContext,
  out: TraceBuilder,
  t: Extract<TraceTarget, { kind: 'service' }>,
): void {
  const ns = t.namespace ?? ctx.options.defaultNamespace;
  const client = ctx.client(ns);
  const proto = ctx.options.protocol;
  const dns = dnsName({ namespace: ns, name: t.name });
  const start = clientHop(out, client, `${dns}${t.port !== null ? `:${t.port}` : ''}/${proto}`);
  outsideCluster(out, client, start);
  const view = missingService(ctx, out, ns, t.name, dns);
  if (!view) return;
  const svc = view.service;
  const port = lookupServicePort(svc, t.port, proto, t.raw, reaches(ctx, view));
  if (notRouted(ctx, out, view, port, t.port !== null ? String(t.port) : '')) return;
  const ip = svc.object.spec.clusterIP;
  out.add({
    kind: 'address',
    status: 'ok',
    depth: 0,
    summary: `${dns} -> clusterIP ${ip ?? '(allocated when the Service is created)'} of ${serviceName(svc)} (type ${typeOf(svc)})`,
    at: { manifest: svc, ...(ip ? { field: FieldPath.root('spec', 'clusterIP') } : {}) },
    anchors: serviceAddressAnchors(svc),
  });
  throughService(ctx, out, { view, port, path: 'cluster', client, node: null });
}

export function traceIp(ctx: TraceContext, out: TraceBuilder, t: Extract<TraceTarget, { kind: 'ip' }>): void {
  const proto = ctx.options.protocol;
  const has = (list: readonly (string | undefined)[] | undefined) =>
    (list ?? []).some((x) => x?.toLowerCase() === t.ip);
  const views = ctx.graph.services.filter((v) => !ctx.rejected(v.service));
  const byCluster = views.find(
    (v) => has(v.service.object.spec.clusterIPs) || has([v.service.object.spec.clusterIP]),
  );
  const byExternal = views.find((v) => has(v.service.object.spec.externalIPs));
  const byLb = views.find(
    (v) =>
      has(v.service.object.status?.loadBalancer?.ingress?.map((i) => i.ip)) ||
      has([v.service.object.spec.loadBalancerIP]),
  );
  if (byCluster) {
    const svc = byCluster.service;
    const client = ctx.client(svc.namespace);
    const start = clientHop(out, client, `${t.ip}:${t.port}/${proto}`);
    outsideCluster(out, client, start);
    out.add({
      kind: 'address',
      status: 'ok',
      depth: 0,
      summary: `${t.ip} is the clusterIP of ${serviceName(svc)} (type ${typeOf(svc)})`,
      at: {
        manifest: svc,
        field: FieldPath.root('spec', svc.object.spec.clusterIP === t.ip ? 'clusterIP' : 'clusterIPs'),
      },
      anchors: serviceAddressAnchors(svc),
    });
    const port = lookupServicePort(svc, t.port, proto, t.raw, reaches(ctx, byCluster));
    throughService(ctx, out, { view: byCluster, port, path: 'cluster', client, node: null });
    return;
  }
  if (byExternal || byLb) {
    const view = (byExternal ?? byLb) as ServiceView;
    const svc = view.service;
    const client = ctx.client(null);
    clientHop(out, client, `${t.ip}:${t.port}/${proto}`);
    const external = !!byExternal;
    out.add({
      kind: 'address',
      status: 'ok',
      depth: 0,
      summary: external
        ? `${t.ip} is an externalIP of ${serviceName(svc)}: kube-proxy captures ${t.ip}:${t.port} on every node`
        : `${t.ip} is the load balancer address of ${serviceName(svc)}`,
      at: { manifest: svc, field: FieldPath.root(...(external ? ['spec', 'externalIPs'] : ['status'])) },
      anchors: serviceAddressAnchors(svc),
    });
    const port = lookupServicePort(svc, t.port, proto, t.raw, reaches(ctx, view));
    throughService(ctx, out, {
      view,
      port,
      path: external ? 'external' : 'load-balancer',
      client,
      node: null,
    });
    return;
  }
  const client = ctx.client(null);
  clientHop(out, client, `${t.ip}:${t.port}/${proto}`);
  const hop = out.add({
    kind: 'address',
    status: 'broken',
    depth: 0,
    summary: `no Service in the input has ${t.ip} as clusterIP, externalIP or load balancer address`,
    details: [
      'clusterIPs are allocated at creation unless spec.clusterIP names one; give the Service address as svc/NAME.NAMESPACE:PORT',
    ],
  });
  out.conclude('not-routed', hop, `no Service has address ${t.ip}`);
}

export function traceNodePort(
  ctx: TraceContext,
  out: TraceBuilder,
  t: Extract<TraceTarget, { kind: 'node-port' }>,
): void {
  const proto = ctx.options.protocol;
  const nodes = ctx.nodes();
  if (t.node !== null && !nodes.includes(t.node))
    throw new TargetError(`${t.raw}: no node ${t.node} (nodes: ${joinSome(nodes, ', ', MAX_NAMED)})`);
  const client = ctx.client(null);
  clientHop(out, client, `${t.node ?? 'any node'}:${t.port}/${proto}`);
  const allocations = ctx.graph.nodePorts.allocations.filter(
    (a) => a.nodePort === t.port && !ctx.rejected(a.service),
  );
  const protoOf = (svc: Manifest<'Service'>, i: number) => svc.object.spec.ports?.[i]?.protocol ?? 'TCP';
  const hit = allocations.find((a) => protoOf(a.service, a.portIndex) === proto);
  // Services that asked for this port and did not get it: rejected, or beaten by an earlier one.
  const claimants = ctx.graph
    .ofKind('Service')
    .filter((s) => s !== hit?.service && (s.object.spec.ports ?? []).some((p) => p.nodePort === t.port));
  const claimDetails = claimants.map(
    (s) => ctx.rejectionText(s) ?? `${serviceName(s)} also asks for nodePort ${t.port}`,
  );
  const claimAnchors: Anchor[] = claimants.map((s) => ({ manifest: s, any: true }));
  if (!hit) {
    const other = allocations[0];
    const hop = out.add({
      kind: 'address',
      status: 'broken',
      depth: 0,
      summary: `no Service holds nodePort ${t.port}/${proto}: nothing on the nodes answers it`,
      details: [
        ...(other
          ? [
              `${serviceName(other.service)} holds nodePort ${t.port} for ${protoOf(other.service, other.portIndex)}, not ${proto}`,
            ]
          : []),
        ...claimDetails,
      ],
      anchors: claimAnchors,
    });
    out.conclude('not-routed', hop, `no Service holds nodePort ${t.port}/${proto}`);
    return;
  }
  const svc = hit.service;
  const view = ctx.graph.services.find((v) => v.service === svc) as ServiceView;
  const portField = FieldPath.root('spec', 'ports').index(hit.portIndex);
  const sp = svc.object.spec.ports?.[hit.portIndex] as ServicePort;
  out.add({
    kind: 'address',
    status: 'ok',
    depth: 0,
    summary: `nodePort ${t.port}/${proto} on ${t.node ?? `every node (${joinSome(nodes, ', ', MAX_NAMED)})`} -> ${serviceName(svc)} (type ${typeOf(svc)}) port ${portText(sp)}`,
    details: [
      hit.explicit
        ? `spec.ports[${hit.portIndex}].nodePort asks for ${t.port}`
        : `${t.port} is the port portchain allocates; a real cluster picks a random free port (kubectl get svc ${svc.name} shows it)`,
      ...claimDetails,
    ],
    at: { manifest: svc, field: hit.explicit ? portField.child('nodePort') : portField },
    anchors: [
      ...serviceAddressAnchors(svc),
      { manifest: svc, field: portField.child('nodePort') },
      { manifest: svc, field: FieldPath.root('spec', 'externalTrafficPolicy') },
      ...claimAnchors,
    ],
  });
  throughService(ctx, out, { view, port: { index: hit.portIndex }, path: 'external', client, node: t.node });
}

export function traceLoadBalancer(
  ctx: TraceContext,
  out: TraceBuilder,
  t: Extract<TraceTarget, { kind: 'load-balancer' }>,
): void {
  const ns = t.namespace ?? ctx.options.defaultNamespace;
  const proto = ctx.options.protocol;
  const client = ctx.client(null);
  clientHop(
    out,
    client,
    `load balancer of Service ${ns}/${t.name}${t.port !== null ? `:${t.port}` : ''}/${proto}`,
  );
  const view = missingService(ctx, out, ns, t.name, `the load balancer of ${ns}/${t.name}`);
  if (!view) return;
  const svc = view.service;
  const spec = svc.object.spec;
  if (spec.type !== 'LoadBalancer') {
    const hop = out.add({
      kind: 'address',
      status: 'broken',
      depth: 0,
      summary: `${serviceName(svc)} is type ${typeOf(svc)}: it has no load balancer`,
      at: { manifest: svc, field: FieldPath.root('spec', 'type') },
      anchors: serviceAddressAnchors(svc),
    });
    out.conclude('not-routed', hop, `${serviceName(svc)} is not type LoadBalancer`);
    return;
  }
  const port = lookupServicePort(svc, t.port, proto, t.raw, reaches(ctx, view));
  const index = 'index' in port ? port.index : null;
  const addresses = (svc.object.status?.loadBalancer?.ingress ?? [])
    .map((i) => i.ip ?? i.hostname)
    .filter(Boolean);
  const allocation = ctx.graph.nodePorts.allocations.find((a) => a.service === svc && a.portIndex === index);
  const details: string[] = [];
  if (addresses.length === 0)
    details.push(
      'no address in status.loadBalancer: the cloud controller (or MetalLB...) assigns it once the Service exists',
    );
  if (spec.loadBalancerClass) details.push(`implemented by loadBalancerClass ${spec.loadBalancerClass}`);
  if (allocation)
    details.push(
      `the load balancer forwards to nodePort ${allocation.nodePort} on the nodes (or to the VIP kube-proxy captures)${allocation.explicit ? '' : `; ${allocation.nodePort} is the port portchain allocates, a real cluster picks a random free one`}`,
    );
  else if (spec.allocateLoadBalancerNodePorts === false)
    details.push(
      'allocateLoadBalancerNodePorts false and no nodePort: only a load balancer that reaches pod IPs itself can deliver',
    );
  let status: 'ok' | 'broken' = 'ok';
  const ranges = spec.loadBalancerSourceRanges ?? [];
  const clientIp = client.peer.kind === 'external' ? client.peer.ip : undefined;
  if (ranges.length > 0) {
    if (clientIp && !ranges.some((r) => cidrContains(r, clientIp))) {
      status = 'broken';
      details.push(
        `loadBalancerSourceRanges ${ranges.join(', ')} do not include ${clientIp}: the traffic is dropped`,
      );
    } else
      details.push(
        `loadBalancerSourceRanges ${ranges.join(', ')} filter the client address${clientIp ? '' : ' (pass --from external/IP to check yours)'}`,
      );
  }
  const hop = out.add({
    kind: 'address',
    status,
    depth: 0,
    summary: `load balancer ${addresses.length > 0 ? addresses.join(', ') : `of ${serviceName(svc)}`}${index !== null ? ` port ${portText(svc.object.spec.ports?.[index] as ServicePort)}` : ''}${allocation ? ` -> nodePort ${allocation.nodePort} on every node` : ''}`,
    details,
    at: { manifest: svc, field: FieldPath.root('spec', 'type') },
    anchors: [
      ...serviceAddressAnchors(svc),
      ...[
        'loadBalancerClass',
        'loadBalancerIP',
        'loadBalancerSourceRanges',
        'allocateLoadBalancerNodePorts',
        'healthCheckNodePort',
        'externalTrafficPolicy',
      ].map((f) => ({ manifest: svc, field: FieldPath.root('spec', f) })),
      ...(index !== null
        ? [{ manifest: svc, field: FieldPath.root('spec', 'ports').index(index).child('nodePort') }]
        : []),
    ],
  });
  if (status === 'broken') out.conclude('dropped', hop, 'loadBalancerSourceRanges exclude the client');
  throughService(ctx, out, { view, port, path: 'load-balancer', client, node: null });
}
