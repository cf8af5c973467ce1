/**
 * NetworkPolicies that cut the Service -> pod link.
 *
 * A pod selected by a NetworkPolicy with policyType Ingress is isolated: only connections some policy's ingress
 * rule allows get in (network-policies.md). Policies see the packet after kube-proxy's DNAT, i.e. on the pod's
 * port (the Service's targetPort, resolved per pod by FindPort), never on the Service `port`. Three findings:
 * - no rule of any policy allows the resolved target port, from any peer: nothing can use the Service port;
 * - a rule allows the Service `port` number (or the Service port's name) where the pods listen on another port:
 *   the usual "wrote the Service port instead of the targetPort" mistake;
 * - an Ingress routes to the Service but no rule allowing the target port admits the ingress controller's
 *   namespace (option `ingressNamespace`, default `ingress-nginx`).
 * hostNetwork pods are skipped: NetworkPolicy does not govern them (the docs call it undefined).
 */
import { FieldPath } from '../model/field-path.js';
import type { Manifest } from '../model/load.js';
import type { LabelSelector, NetworkPolicyPeer, ServicePort } from '../model/types.js';
import type { ResolvedGraph, ServiceView } from '../semantics/graph.js';
import { effectiveIngressClass } from '../semantics/ingress.js';
import { findPort } from '../semantics/named-ports.js';
import {
  isIngressAllowed,
  NAMESPACE_NAME_LABEL,
  type PolicyPod,
  type PolicyVerdict,
} from '../semantics/network-policy.js';
import { matchesLabelSelector } from '../semantics/selectors.js';
import type { PodInstance } from '../semantics/workloads.js';
import type { Rule, RuleContext } from './rule.js';

/** The namespace the ingress controller runs in when `ingressNamespace` is not given (ingress-nginx's). */
export const DEFAULT_INGRESS_NAMESPACE = 'ingress-nginx';

/**
 * Ingress classes served by a cloud load balancer that reaches pods from outside the cluster (GKE, AWS Load
 * Balancer Controller, Azure Application Gateway): no in-cluster controller namespace to admit.
 */
const EXTERNAL_INGRESS_CLASSES = new Set(['gce', 'gce-internal', 'alb', 'azure/application-gateway']);

function ingressNamespaceOf(graph: ResolvedGraph): string {
  const v = (graph.options as { readonly ingressNamespace?: unknown }).ingressNamespace;
  return typeof v === 'string' && v !== '' ? v : DEFAULT_INGRESS_NAMESPACE;
}

function firstPodPerOwner(pods: readonly PodInstance[]): PodInstance[] {
  const seen = new Set<PodInstance['owner']>();
  return pods.filter((p) => !p.pod.spec.hostNetwork && (seen.has(p.owner) ? false : (seen.add(p.owner), true)));
}

const policyPod = (p: PodInstance): PolicyPod => ({
  namespace: p.namespace,
  labels: p.pod.metadata.labels ?? {},
  podSpec: p.pod.spec,
});

const selectorText = (view: ServiceView) =>
  Object.entries(view.service.object.spec.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

const servicePortText = (view: ServiceView, sp: ServicePort) =>
  `Service ${view.service.name}:${sp.name && (view.service.object.spec.ports?.length ?? 0) > 1 ? sp.name : sp.port}`;

const isolating = (v: PolicyVerdict) => v.policies.filter((e) => e.isolates).map((e) => e.policy.name);

/** Some rule of an isolating policy allows the port from some peer (a rule with peers allows some sources). */
const someRuleAllowsPort = (v: PolicyVerdict) => v.policies.some((e) => e.isolates && e.rules.some((r) => r.portMatched));

interface Blocked {
  readonly target: number;
  readonly policies: readonly string[];
  readonly owners: PodInstance[];
}

/**
 * The Service-port mistake on one pod: an isolating policy's rule with a port entry that matches the Service
 * `port` (no process is known to listen there) or names the Service port (no container port has that name),
 * and which does not allow `target`, the port the pod listens on. Returns whether one was found.
 */
function servicePortMistakes(
  ctx: RuleContext,
  policies: readonly Manifest<'NetworkPolicy'>[],
  view: ServiceView,
  sp: ServicePort,
  pod: PodInstance,
  target: number,
  listening: ReadonlySet<string>,
  reported: Set<string>,
): boolean {
  const proto = sp.protocol ?? 'TCP';
  const numericSuspect = sp.port !== target && !listening.has(`${sp.port}/${proto}`);
  if (!numericSuspect && !sp.name) return false;
  const onTarget = isIngressAllowed(policies, policyPod(pod), { kind: 'external' }, target, proto);
  const onServicePort = isIngressAllowed(policies, policyPod(pod), { kind: 'external' }, sp.port, proto);
  let found = false;
  onServicePort.policies.forEach((e, pi) => {
    if (!e.isolates) return;
    e.rules.forEach((r, ri) => {
      if (r.allPorts || onTarget.policies[pi]?.rules[ri]?.portMatched) return;
      for (const p of r.ports) {
        const written = e.policy.object.spec.ingress?.[r.index]?.ports?.[p.index];
        if ((written?.protocol ?? 'TCP') !== proto) continue;
        const named = typeof written?.port === 'string';
        const hit = named
          ? written?.port === sp.name && (p.resolved?.length ?? 0) === 0
          : numericSuspect && written?.endPort === undefined && p.matched;
        if (!hit) continue;
        found = true;
        const key = `${e.policy.namespace}/${e.policy.name}|${p.field.toString()}|${view.service.name}`;
        if (reported.has(key)) continue;
        reported.add(key);
        reportMistake(ctx, e.policy, p.field, view, sp, target, named ? String(written?.port) : null);
      }
    });
  });
  return found;
}

function reportMistake(
  ctx: RuleContext,
  policy: Manifest<'NetworkPolicy'>,
  field: FieldPath,
  view: ServiceView,
  sp: ServicePort,
  target: number,
  name: string | null,
): void {
  const proto = sp.protocol ?? 'TCP';
  const what = name === null ? `${proto} ${sp.port}` : `port "${name}"`;
  const why =
    name === null
      ? `NetworkPolicy allows ${sp.port} but the pods listen on ${target}: policies apply to pod ports, after the Service's translation`
      : `"${name}" is the Service port's name, and no container of the pods declares a port named "${name}": policies name container ports, after the Service's translation to ${target}`;
  ctx.report({
    manifest: policy,
    field: field.child('port'),
    message: `NetworkPolicy ${policy.name} ${field.toString()} allows ${what}, the port of ${servicePortText(view, sp)}, not of pods ${selectorText(view)}: ${why}; the peers of this rule cannot reach the Service`,
    fix: `Allow port ${target} (the targetPort the pods listen on) instead of ${name === null ? sp.port : `"${name}"`}.`,
  });
}

/** Every port/protocol some Service resolves to on each workload: ports a process is known to listen on. */
function listeningPorts(graph: ResolvedGraph): Map<PodInstance['owner'], Set<string>> {
  const out = new Map<PodInstance['owner'], Set<string>>();
  for (const view of graph.services) {
    for (const pod of firstPodPerOwner(view.selected)) {
      const set = out.get(pod.owner) ?? new Set<string>();
      out.set(pod.owner, set);
      for (const sp of view.service.object.spec.ports ?? []) {
        const r = findPort(pod.pod.spec, sp);
        if (r.ok) set.add(`${r.port}/${sp.protocol ?? 'TCP'}`);
      }
    }
  }
  return out;
}

function declaresPort(pod: PodInstance, port: number, proto: string): boolean {
  const spec = pod.pod.spec;
  return [...(spec.containers ?? []), ...(spec.initContainers ?? [])].some((c) =>
    (c.ports ?? []).some((p) => p.containerPort === port && (p.protocol ?? 'TCP') === proto),
  );
}

function checkServices(ctx: RuleContext, policies: readonly Manifest<'NetworkPolicy'>[]): void {
  const listening = listeningPorts(ctx.graph);
  const reported = new Set<string>();
  for (const view of ctx.graph.services) {
    if (!view.hasSelector || view.service.object.spec.type === 'ExternalName') continue;
    const owners = firstPodPerOwner(view.selected);
    (view.service.object.spec.ports ?? []).forEach((sp, i) => {
      const proto = sp.protocol ?? 'TCP';
      const blocked = new Map<string, Blocked>();
      for (const pod of owners) {
        const res = findPort(pod.pod.spec, sp);
        if (!res.ok) continue;
        const verdict = isIngressAllowed(policies, policyPod(pod), { kind: 'external' }, res.port, proto);
        if (!verdict.isolated) continue;
        const known = new Set(listening.get(pod.owner) ?? []);
        if (declaresPort(pod, sp.port, proto)) known.add(`${sp.port}/${proto}`);
        const mistake = servicePortMistakes(ctx, policies, view, sp, pod, res.port, known, reported);
        if (mistake || someRuleAllowsPort(verdict)) continue;
        const names = isolating(verdict);
        const key = `${res.port}|${names.join(',')}`;
        const b = blocked.get(key) ?? { target: res.port, policies: names, owners: [] };
        b.owners.push(pod);
        blocked.set(key, b);
      }
      for (const b of blocked.values()) reportBlocked(ctx, view, sp, i, b);
    });
  }
}

function reportBlocked(ctx: RuleContext, view: ServiceView, sp: ServicePort, i: number, b: Blocked): void {
  const proto = sp.protocol ?? 'TCP';
  const owners = b.owners.map((p) => `${p.owner.kind} ${p.owner.name}`).join(', ');
  const live = ctx.graph.hasLivePods;
  const policies = `NetworkPolic${b.policies.length === 1 ? 'y' : 'ies'} ${b.policies.join(', ')}`;
  ctx.report({
    manifest: view.service,
    field: FieldPath.root('spec', 'ports').index(i),
    severity: live ? 'error' : 'warning',
    message: `no source may reach ${servicePortText(view, sp)} -> pods ${selectorText(view)} (${owners}) port ${b.target}: ${policies} isolate${b.policies.length === 1 ? 's' : ''} them and no rule allows ${proto} ${b.target}${live ? '' : ' (in the policies the input gives)'}`,
    fix: `Add an ingress rule allowing ${proto} ${b.target} from the clients of the Service to a policy selecting these pods.`,
  });
}

// ---- Ingress controller namespace ----

type Tri = 'yes' | 'no' | 'unknown';

function selectorKeys(sel: LabelSelector): string[] {
  return [...Object.keys(sel.matchLabels ?? {}), ...(sel.matchExpressions ?? []).map((e) => e.key)];
}

/**
 * Whether a peer may admit a pod of `ns` whose labels are unknown (or among `pods`): the namespace part is
 * decided by the Namespace's labels when the input has it, else only a selector on kubernetes.io/metadata.name
 * decides; the pod part by the controller pods when the input has them.
 */
function peerMayAdmit(
  peer: NetworkPolicyPeer,
  policyNamespace: string,
  ns: string,
  nsLabels: Record<string, string>,
  nsKnown: boolean,
  pods: readonly PodInstance[],
): boolean {
  if (peer.ipBlock) return true; // the controller pod's IP is unknown to the policy author's CIDRs
  let nsMatch: Tri;
  if (peer.namespaceSelector === undefined) nsMatch = policyNamespace === ns ? 'yes' : 'no';
  else if (matchesLabelSelector(peer.namespaceSelector, nsLabels)) nsMatch = 'yes';
  else if (!nsKnown && selectorKeys(peer.namespaceSelector).some((k) => k !== NAMESPACE_NAME_LABEL))
    nsMatch = 'unknown';
  else nsMatch = 'no';
  if (nsMatch === 'no') return false;
  if (peer.podSelector === undefined || pods.length === 0) return true;
  const sel = peer.podSelector;
  return pods.some((p) => matchesLabelSelector(sel, p.pod.metadata.labels ?? {}));
}

function controllerMayReach(
  ctx: RuleContext,
  verdict: PolicyVerdict,
  ns: string,
): { admitted: boolean; allowing: string[] } {
  const nsLabels = ctx.graph.namespaceLabels(ns);
  const nsKnown = ctx.graph.ofKind('Namespace').some((n) => n.name === ns);
  const pods = ctx.graph.podIndex.inNamespace(ns);
  const allowing: string[] = [];
  for (const e of verdict.policies) {
    if (!e.isolates) continue;
    for (const r of e.rules) {
      if (!r.portMatched) continue;
      allowing.push(`${e.policy.name} ${r.field.toString()}`);
      if (r.allPeers) return { admitted: true, allowing };
      const peers = e.policy.object.spec.ingress?.[r.index]?.from ?? [];
      if (peers.some((p) => peerMayAdmit(p, e.policy.namespace, ns, nsLabels, nsKnown, pods)))
        return { admitted: true, allowing };
    }
  }
  return { admitted: false, allowing };
}

interface IngressBackendRef {
  readonly ingress: Manifest<'Ingress'>;
  readonly serviceName: string;
  readonly port: { name?: string; number?: number };
  readonly field: FieldPath;
}

function ingressBackends(graph: ResolvedGraph): IngressBackendRef[] {
  const out: IngressBackendRef[] = [];
  const table = graph.ingress;
  for (const r of [...table.routes, ...table.defaultBackends]) {
    const svc = r.backend.service;
    if (!svc?.name || !svc.port) continue;
    const field = 'path' in r ? r.field.child('backend') : r.field;
    out.push({ ingress: r.ingress, serviceName: svc.name, port: svc.port, field });
  }
  return out;
}

function checkIngresses(ctx: RuleContext, policies: readonly Manifest<'NetworkPolicy'>[]): void {
  const ns = ingressNamespaceOf(ctx.graph);
  const reported = new Set<string>();
  for (const ref of ingressBackends(ctx.graph)) {
    const cls = effectiveIngressClass(ref.ingress, null).className;
    if (cls !== null && EXTERNAL_INGRESS_CLASSES.has(cls)) continue;
    const view = ctx.graph.service(ref.ingress.namespace, ref.serviceName);
    if (!view?.hasSelector) continue;
    const ports = view.service.object.spec.ports ?? [];
    const i = ports.findIndex((p) =>
      ref.port.name ? p.name === ref.port.name : ref.port.number !== undefined && p.port === ref.port.number,
    );
    const sp = ports[i];
    if (!sp) continue;
    const proto = sp.protocol ?? 'TCP';
    for (const pod of firstPodPerOwner(view.selected)) {
      const res = findPort(pod.pod.spec, sp);
      if (!res.ok) continue;
      const verdict = isIngressAllowed(policies, policyPod(pod), { kind: 'external' }, res.port, proto);
      // Not isolated: open. No rule on the port at all: the Service finding already says so.
      if (!verdict.isolated || !someRuleAllowsPort(verdict)) continue;
      const { admitted, allowing } = controllerMayReach(ctx, verdict, ns);
      const key = `${ref.ingress.namespace}/${ref.ingress.name}|${view.service.name}|${i}|${pod.owner.kind}/${pod.owner.name}`;
      if (admitted || reported.has(key)) continue;
      reported.add(key);
      ctx.report({
        manifest: ref.ingress,
        field: ref.field.child('service', 'port'),
        message: `Ingress ${ref.ingress.name} -> ${servicePortText(view, sp)} -> pods ${selectorText(view)} (${pod.owner.kind} ${pod.owner.name}) port ${res.port}: the ingress controller's namespace ${ns} may not reach them: ${isolating(verdict).join(', ')} isolate${isolating(verdict).length === 1 ? 's' : ''} the pods and the rules allowing ${proto} ${res.port} (${allowing.join('; ')}) admit no pod of namespace ${ns} (assumed to run the ingress controller; option ingressNamespace)`,
        fix: `Allow ${proto} ${res.port} from the ingress controller (a namespaceSelector on kubernetes.io/metadata.name: ${ns}) in a policy selecting these pods.`,
      });
    }
  }
}

export const networkPolicyBlocksService: Rule = {
  meta: {
    id: 'network-policy-blocks-service',
    severity: 'warning',
    description:
      "NetworkPolicies isolate a Service's pods and allow no source (or not the ingress controller) on the pod port the Service targets.",
    docs: {
      details:
        "A NetworkPolicy with policyType Ingress isolates the pods it selects: only connections some policy's ingress rule allows get in. Policies match the packet on the pod's port, after kube-proxy's translation: the Service's targetPort resolved per pod (FindPort), never the Service `port`. For every Service port and every workload it selects, portchain resolves the target port and asks whether any rule of the policies isolating those pods allows it from any peer (a rule with peers counts as allowing some sources; numeric ports, endPort ranges and named ports are matched as the API defines). None: nothing can use that Service port (an error in a cluster dump, where the input holds every policy; a warning otherwise). A rule allowing the Service `port` (or the Service port's name) instead of the pods' port is reported at that policy port, the usual cause. When an Ingress routes to the Service, the rules allowing the port must admit the ingress controller's namespace (`ingressNamespace`, default ingress-nginx; cloud classes gce, gce-internal, alb and azure/application-gateway are skipped); a namespaceSelector on labels the input does not show is given the benefit of the doubt. hostNetwork pods are skipped: NetworkPolicy does not govern them.",
      bad: `kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
kind: NetworkPolicy
metadata: {name: web}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{port: 80}]     # the Service port: the pods listen on 8080`,
      good: `kind: NetworkPolicy
metadata: {name: web}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{port: 8080}]`,
    },
  },
  check(ctx) {
    const policies = ctx.graph.ofKind('NetworkPolicy');
    if (policies.length === 0) return;
    checkServices(ctx, policies);
    checkIngresses(ctx, policies);
  },
};
