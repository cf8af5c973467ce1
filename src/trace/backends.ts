/**
 * From a Service port to the processes: which endpoints the proxy may use (kube-proxy's CategorizeEndpoints,
 * traffic policies; ingress-nginx's ready endpoints), then per backend workload the NetworkPolicy verdict, the
 * container and the port the process really binds. Everything is read from the graph: endpoints from its
 * slices, policies through isIngressAllowed/isEgressAllowed, ports through findPort and graph.listening.
 */
import { FieldPath } from '../model/field-path.js';
import { joinSome, MAX_NAMED } from '../model/list-text.js';
import type { Manifest } from '../model/load.js';
import type { Container, ServicePort } from '../model/types.js';
import type { ServiceView } from '../semantics/graph.js';
import type { ListeningEvidence, ListeningInference } from '../semantics/listening.js';
import { findPort } from '../semantics/named-ports.js';
import {
  isEgressAllowed,
  isIngressAllowed,
  NAMESPACE_NAME_LABEL,
  type PolicyVerdict,
} from '../semantics/network-policy.js';
import { matchesLabelSelector } from '../semantics/selectors.js';
import type { PodInstance } from '../semantics/workloads.js';
import type { Anchor, TraceBuilder } from './builder.js';
import type { Client, TraceContext } from './context.js';
import type { HopStatus } from './model.js';
import type { EndpointInfo } from './slices.js';

/**
 * How traffic reaches the endpoints. ingress: the controller reads ready endpoints and connects to them
 * itself; cluster: a clusterIP (internalTrafficPolicy); external: a nodePort or externalIP
 * (externalTrafficPolicy); load-balancer: the same, behind a health-checking load balancer.
 */
export type TrafficPath = 'ingress' | 'cluster' | 'external' | 'load-balancer';

export interface FollowInput {
  readonly view: ServiceView;
  /** null: a headless Service without ports. */
  readonly portIndex: number | null;
  readonly path: TrafficPath;
  readonly client: Client;
  /** The node a nodePort is addressed on, when the target names one. */
  readonly node: string | null;
  /** The Service port hop, where "no usable endpoint" breaks. */
  readonly serviceHop: number;
  /** List the endpoints only (headless: the client dials them itself); no verdict. */
  readonly listOnly?: boolean;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const LOOPBACK = /^(127\.|localhost$|::1$|\[::1\]$)/;

export const portText = (sp: ServicePort) =>
  `${sp.name ? `${sp.name} ` : ''}${sp.port}/${sp.protocol ?? 'TCP'}`;

// ---------------------------------------------------------------------------------------------------------
// Which endpoints receive traffic

interface Usability {
  readonly usable: boolean;
  readonly why: string;
}

interface Selection {
  readonly usable: readonly EndpointInfo[];
  readonly judged: Map<EndpointInfo, Usability>;
  /** Why nothing is usable: the verdict and the sentence for the Service hop. */
  readonly failure?: { readonly verdict: 'refused' | 'dropped' | '503' | 'unknown'; readonly reason: string };
  readonly notes: string[];
}

/** How a refused connection shows: a TCP reset, or ICMP port unreachable for UDP. */
function refusal(input: FollowInput): string {
  const sp = input.portIndex === null ? undefined : input.view.service.object.spec.ports?.[input.portIndex];
  return (sp?.protocol ?? 'TCP') === 'UDP' ? 'ICMP port unreachable' : 'connection refused';
}

function localPolicy(input: FollowInput): 'internal' | 'external' | null {
  const spec = input.view.service.object.spec;
  if (input.path === 'cluster') return spec.internalTrafficPolicy === 'Local' ? 'internal' : null;
  if (input.path === 'ingress') return null;
  // Pod-originated traffic to a nodePort or load balancer is short-circuited to the cluster endpoints.
  if (input.client.pod) return null;
  return spec.externalTrafficPolicy === 'Local' ? 'external' : null;
}

/**
 * kube-proxy's CategorizeEndpoints: the ready endpoints, else the serving-and-terminating ones; with a Local
 * policy, those of the node the traffic is on. No usable endpoint anywhere: REJECT (connection refused);
 * endpoints elsewhere but none on this node: DROP. ingress-nginx uses ready endpoints only.
 */
function select(ctx: TraceContext, input: FollowInput, eps: readonly EndpointInfo[]): Selection {
  const judged = new Map<EndpointInfo, Usability>();
  const notes: string[] = [];
  const alive = eps.filter((e) => !ctx.podGone(e.pod));
  for (const e of eps) {
    if (ctx.podGone(e.pod))
      judged.set(e, {
        usable: false,
        why: `${ctx.rejectionText(e.pod?.owner as Manifest)}; the pod never runs`,
      });
  }
  const ready = alive.filter((e) => e.ready);
  const fallback = input.path === 'ingress' ? [] : alive.filter((e) => e.serving && e.terminating);
  const cluster = ready.length > 0 ? ready : fallback;
  const who = input.path === 'ingress' ? 'ingress-nginx' : 'kube-proxy';
  for (const e of alive) {
    if (cluster.includes(e)) continue;
    judged.set(e, {
      usable: false,
      why: e.terminating
        ? e.serving
          ? 'terminating (still serving): used only when no endpoint is ready'
          : 'terminating and not serving'
        : `not ready: ${who} sends it nothing`,
    });
  }
  const policy = localPolicy(input);
  let usable: EndpointInfo[] = cluster;
  let failure: Selection['failure'];
  if (cluster.length === 0) {
    const selectorless = !input.view.hasSelector && input.view.service.object.spec.type !== 'ExternalName';
    if (input.path === 'ingress') {
      failure = {
        verdict: '503',
        reason: 'no ready endpoint: ingress-nginx answers 503 Service Unavailable',
      };
    } else if (selectorless && eps.length === 0 && !ctx.graph.hasLivePods) {
      failure = {
        verdict: 'unknown',
        reason:
          'the Service has no selector and the input holds no Endpoints or EndpointSlices for it: its endpoints are managed elsewhere, or there are none (kube-proxy then rejects: connection refused)',
      };
    } else {
      failure = {
        verdict: 'refused',
        reason: `no usable endpoint: kube-proxy REJECTs traffic to this port ("has no endpoints"): ${refusal(input)}`,
      };
    }
  } else if (policy) {
    const field = policy === 'internal' ? 'internalTrafficPolicy' : 'externalTrafficPolicy';
    const local = (node: string) => {
      const r = ready.filter((e) => e.node === node);
      return r.length > 0 ? r : fallback.filter((e) => e.node === node);
    };
    let nodes: string[];
    if (input.path === 'load-balancer') {
      // The health check (healthCheckNodePort) answers 200 only on nodes with a local ready endpoint.
      nodes = ctx.nodes().filter((n) => ready.some((e) => e.node === n));
      notes.push(
        nodes.length > 0
          ? `${field} Local: the load balancer's health check (healthCheckNodePort) passes on ${joinSome(nodes, ', ', MAX_NAMED)} only, so traffic enters there and keeps the client's address`
          : `${field} Local: no node has a ready local endpoint, so the health check fails everywhere`,
      );
    } else {
      nodes =
        input.path === 'cluster'
          ? input.client.node
            ? [input.client.node]
            : ctx.nodes()
          : input.node
            ? [input.node]
            : ctx.nodes();
    }
    const missing = nodes.filter((n) => local(n).length === 0);
    usable = [...new Set(nodes.flatMap(local))];
    for (const e of cluster) {
      if (!usable.includes(e))
        judged.set(e, {
          usable: false,
          why: `on ${e.node ?? 'an unknown node'}: ${field} Local keeps traffic on the node it reaches (${joinSome(nodes, ', ', MAX_NAMED) || 'none'})`,
        });
    }
    if (nodes.length === 0 || missing.length > 0) {
      const where = nodes.length === 0 ? 'on any node' : `on ${joinSome(missing, ', ', MAX_NAMED)}`;
      failure = {
        verdict: 'dropped',
        reason: `${field} Local and no local endpoint ${where}: kube-proxy DROPs the traffic there ("has no local endpoints"); the client times out`,
      };
      if (usable.length > 0)
        notes.push(
          `traffic entering on ${joinSome(
            nodes.filter((n) => !missing.includes(n)),
            ', ',
            MAX_NAMED,
          )} reaches a local endpoint`,
        );
    } else if (policy === 'external') {
      notes.push(`${field} Local: no SNAT, the pods see the client's address`);
    }
  } else if (input.path === 'external' || input.path === 'load-balancer') {
    notes.push(
      input.view.service.object.spec.externalTrafficPolicy === 'Local'
        ? 'externalTrafficPolicy Local does not apply to traffic from a pod: kube-proxy sends it to any endpoint'
        : 'externalTrafficPolicy Cluster: any node forwards to any endpoint, SNAT hides the client address',
    );
  }
  for (const e of usable) {
    if (!judged.has(e))
      judged.set(e, {
        usable: true,
        why: e.ready ? 'ready' : 'terminating but serving: used because no endpoint is ready',
      });
  }
  return { usable, judged, ...(failure ? { failure } : {}), notes };
}

// ---------------------------------------------------------------------------------------------------------
// Backends: the workloads behind the endpoints

interface Group {
  readonly key: string;
  readonly label: string;
  readonly owner: Manifest | null;
  readonly sample: PodInstance | null;
  readonly endpoints: EndpointInfo[];
  readonly unresolved: { pod: PodInstance; reason: string }[];
}

/**
 * Replicas of one workload share one spec: one backend per workload, per controller for a cluster dump, and
 * bare Pods with the same containers together.
 */
function groupKey(p: PodInstance | null): { key: string; label: string; owner: Manifest | null } {
  if (!p) return { key: '-', label: 'addresses that name no pod of the input', owner: null };
  if (p.synthesized)
    return {
      key: `${p.owner.kind}/${p.owner.name}`,
      label: `${p.owner.kind} ${p.owner.name}`,
      owner: p.owner,
    };
  const ctl = p.pod.metadata.ownerReferences?.find((r) => r.controller && r.kind && r.name);
  if (ctl) return { key: `${ctl.kind}/${ctl.name}`, label: `${ctl.kind} ${ctl.name}`, owner: p.owner };
  const spec = p.pod.spec;
  const containers = JSON.stringify([spec.containers, spec.initContainers ?? []]);
  return { key: `Pod/${containers}`, label: `Pod ${p.name}`, owner: p.owner };
}

function groups(input: FollowInput, eps: readonly EndpointInfo[]): Group[] {
  const out = new Map<string, Group>();
  const get = (p: PodInstance | null, port: number | null) => {
    const g = groupKey(p);
    const key = `${g.key}|${port ?? ''}`;
    let entry = out.get(key);
    if (!entry) {
      entry = { ...g, key, sample: p, endpoints: [], unresolved: [] };
      out.set(key, entry);
    }
    return entry;
  };
  for (const e of eps) get(e.pod, e.port).endpoints.push(e);
  // Bare Pods grouped by their containers: name them all (the first one's manifest stands for the group).
  for (const [key, g] of out) {
    const names = [...new Set([...g.endpoints.map((e) => e.pod), ...g.unresolved.map((u) => u.pod)])]
      .filter((p): p is PodInstance => !!p && !p.synthesized && g.label.startsWith('Pod '))
      .map((p) => p.name);
    if (names.length > 1)
      out.set(key, {
        ...g,
        label: `${names.length} Pods with the same containers (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''})`,
      });
  }
  if (input.portIndex !== null) {
    for (const u of input.view.unresolved)
      if (u.portIndex === input.portIndex) get(u.pod, null).unresolved.push({ pod: u.pod, reason: u.reason });
  }
  for (const x of input.view.excluded) get(x.pod, null).unresolved.push({ pod: x.pod, reason: x.reason });
  return [...out.values()];
}

function backendAnchors(owner: Manifest | null, sample: PodInstance | null): Anchor[] {
  if (!owner || !sample) return [];
  return [
    { manifest: owner },
    { manifest: owner, field: FieldPath.root('spec', 'selector') },
    { manifest: owner, field: FieldPath.root('spec', 'replicas') },
    { manifest: owner, field: FieldPath.root('metadata') },
    {
      manifest: owner,
      field: sample.synthesized ? FieldPath.root('spec', 'template', 'metadata') : FieldPath.root('status'),
    },
    { manifest: owner, field: sample.specPath },
  ];
}

// ---------------------------------------------------------------------------------------------------------
// NetworkPolicy

/** Would another peer of the same description be admitted? Then the verdict depends on what we do not know. */
function dependsOnPeer(ctx: TraceContext, v: PolicyVerdict, client: Client): boolean {
  const peer = client.peer;
  for (const e of v.policies) {
    if (!e.isolates) continue;
    for (const r of e.rules) {
      if (!r.portMatched) continue;
      const spec = e.policy.object.spec;
      const written = v.direction === 'Ingress' ? spec.ingress?.[r.index]?.from : spec.egress?.[r.index]?.to;
      for (const p of written ?? []) {
        if (p.ipBlock) {
          if (peer.kind === 'external' && !peer.ip) return true;
          continue;
        }
        if (peer.kind !== 'pod' || v.direction !== 'Ingress') continue;
        let nsOk: boolean;
        if (p.namespaceSelector === undefined) nsOk = e.policy.namespace === peer.namespace;
        else {
          nsOk = matchesLabelSelector(p.namespaceSelector, ctx.graph.namespaceLabels(peer.namespace));
          const known = ctx.graph.ofKind('Namespace').some((n) => n.name === peer.namespace);
          const keys = [
            ...Object.keys(p.namespaceSelector.matchLabels ?? {}),
            ...(p.namespaceSelector.matchExpressions ?? []).map((x) => x.key),
          ];
          if (!nsOk && !known && keys.some((k) => k !== NAMESPACE_NAME_LABEL)) return true;
        }
        if (nsOk && p.podSelector !== undefined && client.labelsUnknown) return true;
      }
    }
  }
  return false;
}

function policyHop(
  ctx: TraceContext,
  out: TraceBuilder,
  pod: PodInstance,
  port: number,
  protocol: string,
  client: Client,
): HopStatus {
  if (pod.pod.spec.hostNetwork) {
    out.add({
      kind: 'network-policy',
      status: 'ok',
      depth: 2,
      summary: 'NetworkPolicy: a hostNetwork pod is not governed by NetworkPolicy',
    });
    return 'ok';
  }
  const target = { namespace: pod.namespace, labels: pod.pod.metadata.labels ?? {}, podSpec: pod.pod.spec };
  const ingress = isIngressAllowed(ctx.policies, target, client.peer, port, protocol);
  const egress = client.pod
    ? isEgressAllowed(
        ctx.policies,
        {
          namespace: client.pod.namespace,
          labels: client.pod.pod.metadata.labels ?? {},
          podSpec: client.pod.pod.spec,
        },
        ctx.podPeer(pod),
        port,
        protocol,
      )
    : null;
  const verdicts = [ingress, ...(egress ? [egress] : [])];
  const denied = verdicts.filter((v) => !v.allowed);
  const isolating = verdicts.flatMap((v) => v.policies.filter((e) => e.isolates).map((e) => e.policy));
  const anchors: Anchor[] = isolating.flatMap((m) => [
    { manifest: m },
    { manifest: m, field: FieldPath.root('spec') },
  ]);
  const details = verdicts.flatMap((v) =>
    v.policies
      .filter((e) => e.isolates)
      .map((e) => `${v.direction} ${e.policy.namespace}/${e.policy.name}: ${e.detail}`),
  );
  const first = denied[0];
  if (!first) {
    const text = ingress.isolated ? ingress.detail : 'no NetworkPolicy isolates the pod for ingress';
    out.add({
      kind: 'network-policy',
      status: 'ok',
      depth: 2,
      summary: `NetworkPolicy: ${text}${egress?.isolated ? `; egress of the client: ${egress.detail}` : ''}`,
      details,
      anchors,
      ...(isolating[0] ? { at: { manifest: isolating[0] } } : {}),
    });
    return 'ok';
  }
  const unsure = denied.every((v) => dependsOnPeer(ctx, v, client));
  const status: HopStatus = unsure ? 'unknown' : 'broken';
  const blocker = first.policies.find((e) => e.isolates)?.policy;
  const side = first.direction === 'Ingress' ? `${client.label} -> ${pod.name}` : `egress of ${client.label}`;
  out.add({
    kind: 'network-policy',
    status,
    depth: 2,
    summary: `NetworkPolicy ${unsure ? 'may drop' : 'drops'} ${side} ${port}/${protocol}: ${first.detail}`,
    details: [
      ...details,
      ...(unsure
        ? [
            client.peer.kind === 'external'
              ? 'a rule admits an ipBlock: pass --from external/IP to evaluate it'
              : "a rule admits pods by label, and this client's labels are not known: pass --from pod/NAME",
          ]
        : []),
    ],
    anchors,
    ...(blocker ? { at: { manifest: blocker, field: FieldPath.root('spec', 'podSelector') } } : {}),
  });
  return status;
}

// ---------------------------------------------------------------------------------------------------------
// Container and process

interface Serving {
  readonly container: Container;
  readonly field: FieldPath;
  readonly listening: ListeningInference;
}

/** spec.containers, then native sidecars (init containers with restartPolicy Always): those that can serve. */
function servingContainers(ctx: TraceContext, pod: PodInstance): Serving[] {
  const spec = pod.pod.spec;
  const out: Serving[] = [];
  (spec.containers ?? []).forEach((c, i) => {
    out.push({
      container: c,
      field: pod.specPath.child('containers').index(i),
      listening: ctx.graph.listening(pod, c),
    });
  });
  (spec.initContainers ?? []).forEach((c, i) => {
    if (c.restartPolicy === 'Always')
      out.push({
        container: c,
        field: pod.specPath.child('initContainers').index(i),
        listening: ctx.graph.listening(pod, c),
      });
  });
  return out;
}

const containerLabel = (c: Container) => `container ${c.name}${c.image ? ` (${c.image})` : ''}`;
const evidenceText = (e: ListeningEvidence) =>
  `${e.host ? `${e.host}:` : ''}${e.port}/${e.protocol} (${e.confidence}: ${e.because})`;

/** ConfigMaps and Secrets the container's environment reads: findings on them belong to the process hop. */
function configAnchors(ctx: TraceContext, pod: PodInstance, c: Container): Anchor[] {
  const names = new Set<string>();
  for (const e of c.env ?? []) {
    if (e.valueFrom?.configMapKeyRef?.name) names.add(`ConfigMap/${e.valueFrom.configMapKeyRef.name}`);
    if (e.valueFrom?.secretKeyRef?.name) names.add(`Secret/${e.valueFrom.secretKeyRef.name}`);
  }
  for (const e of c.envFrom ?? []) {
    if (e.configMapRef?.name) names.add(`ConfigMap/${e.configMapRef.name}`);
    if (e.secretRef?.name) names.add(`Secret/${e.secretRef.name}`);
  }
  const out: Anchor[] = [];
  for (const m of [...ctx.graph.ofKind('ConfigMap'), ...ctx.graph.ofKind('Secret')]) {
    if (m.namespace === pod.namespace && names.has(`${m.kind}/${m.name}`))
      out.push({ manifest: m, any: true });
  }
  return out;
}

function containerAndProcess(
  ctx: TraceContext,
  out: TraceBuilder,
  pod: PodInstance,
  sp: ServicePort,
  port: number,
  targetPortField: Anchor | null,
): HopStatus {
  const protocol = sp.protocol ?? 'TCP';
  const serving = servingContainers(ctx, pod);
  const declared = findPort(pod.pod.spec, sp);
  const declaredIn =
    declared.ok && declared.containerIndex !== undefined
      ? serving.find(
          (s) =>
            s.field.toString() ===
            pod.specPath
              .child(declared.init ? 'initContainers' : 'containers')
              .index(declared.containerIndex as number)
              .toString(),
        )
      : undefined;
  const order = declaredIn ? [declaredIn, ...serving.filter((s) => s !== declaredIn)] : serving;
  let hit: { s: Serving; e: ListeningEvidence } | undefined;
  for (const s of order) {
    const e = s.listening.ports.find((x) => x.port === port && x.protocol === protocol);
    if (e) {
      hit = { s, e };
      break;
    }
  }
  const owner = pod.owner;

  // The container: the one declaring the port, else the one whose process binds it.
  const chosen = declaredIn ?? hit?.s;
  if (declaredIn && declared.ok && declared.portIndex !== undefined) {
    const cp = declaredIn.container.ports?.[declared.portIndex];
    const named = typeof sp.targetPort === 'string';
    out.add({
      kind: 'container',
      status: 'ok',
      depth: 2,
      summary: `${containerLabel(declaredIn.container)} declares containerPort ${port}/${protocol}${cp?.name ? ` "${cp.name}"` : ''}`,
      details: [
        named
          ? `targetPort "${sp.targetPort}" resolves to ${port} in this pod (FindPort: name and protocol)`
          : 'containerPort is documentation only: what counts is the port the process binds',
      ],
      at: { manifest: owner, field: declaredIn.field.child('ports').index(declared.portIndex) },
      anchors: [{ manifest: owner, field: declaredIn.field }],
    });
  } else if (chosen) {
    out.add({
      kind: 'container',
      status: 'ok',
      depth: 2,
      summary: `${containerLabel(chosen.container)} (declares no containerPort ${port}/${protocol}; containerPort is documentation only)`,
      at: { manifest: owner, field: chosen.field },
    });
  } else {
    out.add({
      kind: 'container',
      status: 'unknown',
      depth: 2,
      summary: `no container declares ${port}/${protocol} (containerPort is documentation only): which one serves it is not known`,
      at: { manifest: owner, field: pod.specPath.child('containers') },
      anchors: serving.map((s) => ({ manifest: owner, field: s.field })),
    });
  }

  // The process.
  // The Service's targetPort decides which pod port is reached: a finding there is about this link.
  const processAnchors = (s: Serving): Anchor[] => [
    ...['image', 'command', 'args', 'env', 'envFrom'].map((f) => ({
      manifest: owner,
      field: s.field.child(f),
    })),
    ...configAnchors(ctx, pod, s.container),
    ...(targetPortField ? [targetPortField] : []),
  ];
  if (hit) {
    const loopback = hit.e.host !== undefined && LOOPBACK.test(hit.e.host);
    const status: HopStatus = loopback ? 'broken' : hit.e.confidence === 'unknown' ? 'unknown' : 'ok';
    out.add({
      kind: 'process',
      status,
      depth: 2,
      summary: loopback
        ? `the process of ${hit.s.container.name} binds ${hit.e.host}:${port}/${protocol} only: connections to the pod IP are refused`
        : `the process of ${hit.s.container.name} listens on ${port}/${protocol} (${hit.e.confidence})`,
      details: [hit.e.because, ...hit.s.listening.notes],
      at: { manifest: owner, field: hit.e.field ? hit.s.field.concat(hit.e.field) : hit.s.field },
      anchors: processAnchors(hit.s),
    });
    return status;
  }
  const known = serving.filter((s) => s.listening.ports.length > 0);
  const complete =
    known.length > 0 &&
    serving.every((s) => s.listening.complete && s.listening.ports.every((p) => p.confidence !== 'unknown'));
  const listing = known.map(
    (s) => `${s.container.name} listens on ${s.listening.ports.map(evidenceText).join(', ')}`,
  );
  const shown = chosen ?? known[0] ?? serving[0];
  const firstEvidence = shown?.listening.ports[0];
  out.add({
    kind: 'process',
    status: complete ? 'broken' : 'unknown',
    depth: 2,
    summary: complete
      ? `process: nothing listens on ${port}/${protocol}: ${known
          .map(
            (s) =>
              `${s.container.name} listens on ${s.listening.ports.map((p) => `${p.port}/${p.protocol}`).join(', ')}`,
          )
          .join('; ')}`
      : `not known whether a process listens on ${port}/${protocol}${known.length > 0 ? ` (${known.map((s) => `${s.container.name}: ${s.listening.ports.map((p) => `${p.port}/${p.protocol}`).join(', ')}`).join('; ')})` : ''}`,
    details: [
      ...listing,
      ...serving.flatMap((s) => s.listening.notes.map((n) => `${s.container.name}: ${n}`)),
    ],
    ...(shown
      ? {
          at: {
            manifest: owner,
            field: firstEvidence?.field ? shown.field.concat(firstEvidence.field) : shown.field,
          },
        }
      : {}),
    anchors: serving.flatMap(processAnchors),
  });
  return complete ? 'broken' : 'unknown';
}

// ---------------------------------------------------------------------------------------------------------
// The walk

const endpointText = (e: EndpointInfo) =>
  `${e.ip}${e.port !== null ? `:${e.port}` : ''}${e.podName ? ` pod ${e.podName}` : ''}${e.node ? ` on ${e.node}` : ''}`;

/** Appends the backends, endpoints, policies, containers and processes behind a Service port; concludes. */
export function followEndpoints(ctx: TraceContext, out: TraceBuilder, input: FollowInput): void {
  const sp =
    input.portIndex === null ? null : (input.view.service.object.spec.ports?.[input.portIndex] ?? null);
  const eps = ctx.endpoints(input.view, sp);
  out.endpoints = eps.map((e) => ({
    pod: e.podName,
    ip: e.ip,
    port: e.port,
    ready: e.ready,
    serving: e.serving,
    terminating: e.terminating,
    node: e.node,
  }));
  const selection = select(ctx, input, eps);
  const serviceHop = out.hops[input.serviceHop];
  if (serviceHop) serviceHop.details.push(...selection.notes);
  if (!input.listOnly && selection.failure && serviceHop) {
    serviceHop.status = selection.failure.verdict === 'unknown' ? 'unknown' : 'broken';
    serviceHop.details.push(selection.failure.reason);
  }
  const all = groups(input, eps);
  if (all.length === 0 && !input.listOnly) {
    const view = input.view;
    const why = !view.hasSelector
      ? 'the Service has no selector: its endpoints come from hand-written Endpoints or EndpointSlices, and the input has none'
      : `its selector ${Object.entries(view.service.object.spec.selector ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(',')} matches no pod (or workload) of namespace ${view.service.namespace} in the input`;
    serviceHop?.details.push(why);
    if (view.hasSelector && !ctx.graph.hasLivePods)
      serviceHop?.details.push(
        'as far as the input shows: pods created elsewhere (an operator, another file) would give it endpoints',
      );
  }

  const failures: { hop: number; verdict: 'dropped' | 'refused' | 'unknown'; reason: string }[] = [];
  for (const g of all) {
    const usable = g.endpoints.filter((e) => selection.usable.includes(e));
    const status: HopStatus = input.listOnly || usable.length > 0 ? 'ok' : 'broken';
    const ready = g.endpoints.filter((e) => e.ready).length;
    const counts = [
      g.endpoints.length === 0 ? 'no endpoint' : `${ready}/${plural(g.endpoints.length, 'endpoint')} ready`,
      ...(g.unresolved.length > 0
        ? [`${plural(g.unresolved.length, 'pod')} without an endpoint for this port`]
        : []),
    ].join(', ');
    out.add({
      kind: 'backend',
      status,
      depth: 1,
      summary: `${g.label}: ${counts}`,
      ...(g.owner ? { at: { manifest: g.owner } } : {}),
      anchors: backendAnchors(g.owner, g.sample),
    });
    for (const e of g.endpoints) {
      const j = selection.judged.get(e);
      // Listed only (headless): DNS answers with the ready addresses.
      const ok = input.listOnly ? e.ready : !!j?.usable;
      const why = input.listOnly
        ? e.ready
          ? 'ready, in DNS'
          : 'not ready: DNS leaves it out'
        : (j?.why ?? (e.ready ? 'ready' : 'not ready'));
      out.add({
        kind: 'endpoint',
        status: ok ? 'ok' : 'broken',
        depth: 2,
        summary: `${endpointText(e)}: ${why}`,
      });
    }
    for (const u of g.unresolved) {
      const forPort = sp
        ? `Service port ${portText(sp)} -> targetPort ${sp.targetPort ?? sp.port}`
        : 'the Service';
      // A targetPort that does not resolve in these pods: findings at it belong here first.
      const anchors: Anchor[] =
        input.portIndex === null
          ? []
          : [
              {
                manifest: input.view.service,
                field: FieldPath.root('spec', 'ports').index(input.portIndex).child('targetPort'),
                boost: 1,
              },
            ];
      out.add({
        kind: 'endpoint',
        status: 'broken',
        depth: 2,
        summary: `pod ${u.pod.name}: no endpoint for ${forPort}: ${u.reason}`,
        anchors,
      });
    }
    const sample = usable.find((e) => e.pod)?.pod;
    if (input.listOnly || !sp || usable.length === 0) continue;
    const port = usable[0]?.port ?? null;
    if (!sample || port === null) {
      out.add({
        kind: 'container',
        status: 'unknown',
        depth: 2,
        summary: `${joinSome(
          usable.map((e) => e.ip),
          ', ',
          MAX_NAMED,
        )} names no pod of the input: what listens there is not known`,
        details: ['hand-written endpoints may point outside the cluster; the trace ends at the address'],
      });
      continue;
    }
    if (ctx.policies.length > 0) {
      const p = policyHop(ctx, out, sample, port, sp.protocol ?? 'TCP', input.client);
      const hop = out.hops.length - 1;
      if (p === 'broken')
        failures.push({
          hop,
          verdict: 'dropped',
          reason: `a NetworkPolicy drops the connection to ${g.label}`,
        });
      else if (p === 'unknown')
        failures.push({
          hop,
          verdict: 'unknown',
          reason: `whether a NetworkPolicy admits the client to ${g.label} is not known`,
        });
    }
    const targetPort: Anchor | null =
      input.portIndex === null
        ? null
        : {
            manifest: input.view.service,
            field: FieldPath.root('spec', 'ports').index(input.portIndex).child('targetPort'),
          };
    const proc = containerAndProcess(ctx, out, sample, sp, port, targetPort);
    if (proc === 'broken') {
      const via =
        input.path === 'ingress'
          ? 'ingress-nginx gets a reset and answers 502 Bad Gateway'
          : 'connection refused';
      failures.push({
        hop: out.hops.length - 1,
        verdict: 'refused',
        reason: `no process of ${g.label} listens on ${port}/${sp.protocol ?? 'TCP'}: the pod's kernel resets the connection (${via})`,
      });
    }
  }
  if (input.listOnly) return;
  if (selection.failure) {
    const f = selection.failure;
    out.conclude(f.verdict, input.serviceHop, f.reason);
    return;
  }
  const worst =
    failures.find((f) => f.verdict !== 'unknown') ?? failures.find((f) => f.verdict === 'unknown');
  if (worst) out.conclude(worst.verdict, worst.hop, worst.reason);
  else out.conclude('delivered', null, 'delivered');
}
