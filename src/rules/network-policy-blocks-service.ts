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
import type { FieldPath } from '../model/field-path.js';
import { joinSome } from '../model/list-text.js';
import type { Manifest } from '../model/load.js';
import type { LabelSelector, NetworkPolicyPeer, ServicePort } from '../model/types.js';
import type { ServiceView } from '../semantics/graph.js';
import { effectiveIngressClass } from '../semantics/ingress.js';
import { findPort } from '../semantics/named-ports.js';
import {
  type IngressIsolation as Isolation,
  ingressIsolation,
  ingressVerdictKey,
  NAMESPACE_NAME_LABEL,
  type PolicyPod,
} from '../semantics/network-policy.js';
import { matchesLabelSelector } from '../semantics/selectors.js';
import type { PodInstance } from '../semantics/workloads.js';
import type { Rule, RuleContext } from './rule.js';
import { chainHead, resolveBackend, serviceBackends, servicePortField } from './support/ingress-backends.js';
import { type Backend, backendsOf, portsField } from './support/service-backends.js';

/** The namespace the ingress controller runs in when `ingressNamespace` is not given (ingress-nginx's). */
export const DEFAULT_INGRESS_NAMESPACE = 'ingress-nginx';

/**
 * Ingress classes served by a cloud load balancer that reaches pods from outside the cluster (GKE, AWS Load
 * Balancer Controller, Azure Application Gateway): no in-cluster controller namespace to admit.
 */
const EXTERNAL_INGRESS_CLASSES = new Set(['gce', 'gce-internal', 'alb', 'azure/application-gateway']);

type Policies = readonly Manifest<'NetworkPolicy'>[];

/** The backends NetworkPolicy governs: hostNetwork pods are left out. */
const governed = (view: ServiceView): Backend[] =>
  backendsOf(view).filter((b) => !b.pod.pod.spec.hostNetwork);

const policyPod = (p: PodInstance): PolicyPod => ({
  namespace: p.namespace,
  labels: p.pod.metadata.labels ?? {},
  podSpec: p.pod.spec,
});

/**
 * Ingress side of one pod on one port, reduced to the isolating policies (the peer does not matter for the
 * questions asked). Every Service port and Ingress backend reaching a pod asks, and pods of one workload get the
 * same answer, so answers are kept per `ingressVerdictKey` for one run of the rule.
 */
type VerdictOn = (pod: PodInstance, port: number, protocol: string) => Isolation;
function verdicts(policies: Policies): VerdictOn {
  // Answers by port/protocol, one table per verdict key, shared by the pods with that key.
  const byKey = new Map<string, Map<string, Isolation>>();
  const pods = new Map<PodInstance, { target: PolicyPod; answers: Map<string, Isolation> }>();
  return (pod, port, protocol) => {
    let p = pods.get(pod);
    if (!p) {
      const target = policyPod(pod);
      const key = ingressVerdictKey(policies, target);
      let answers = byKey.get(key);
      if (!answers) {
        answers = new Map();
        byKey.set(key, answers);
      }
      p = { target, answers };
      pods.set(pod, p);
    }
    const on = `${port}/${protocol}`;
    let v = p.answers.get(on);
    if (!v) {
      v = ingressIsolation(policies, p.target, { kind: 'external' }, port, protocol);
      p.answers.set(on, v);
    }
    return v;
  };
}

const selectorText = (view: ServiceView) =>
  Object.entries(view.service.object.spec.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** `Service web:80`, or `Service web:metrics` for a named port of a multi-port Service. */
const serviceLink = (view: ServiceView, sp: ServicePort) =>
  `Service ${view.service.name}:${sp.name && (view.service.object.spec.ports?.length ?? 0) > 1 ? sp.name : sp.port}`;

const isolatingNames = (v: Isolation) => v.isolating.map((e) => e.policy.name);

/** Names listed in a message (policies, workloads, rules): a few, then how many more. */
const MAX_NAMES = 5;

const policiesText = (names: readonly string[]) =>
  `NetworkPolic${names.length === 1 ? 'y' : 'ies'} ${joinSome(names, ', ', MAX_NAMES)} isolate${names.length === 1 ? 's' : ''}`;

/** Some rule of an isolating policy allows the port from some peer (a rule with peers allows some sources). */
const someRuleAllowsPort = (v: Isolation) => v.isolating.some((e) => e.rules.some((r) => r.portMatched));

// ---- the Service-port mistake ----

interface Mistake {
  readonly policy: Manifest<'NetworkPolicy'>;
  /** `spec.ingress[i].ports[j]`. */
  readonly field: FieldPath;
  /** The port name written, or null for a number. */
  readonly name: string | null;
}

/**
 * Policy port entries that match the Service `port` (where no process is known to listen) or name the Service
 * port (a name no container port has), in a rule of an isolating policy that does not allow `target`, the port
 * the pod listens on.
 */
function servicePortMistakes(
  verdictOn: VerdictOn,
  sp: ServicePort,
  pod: PodInstance,
  target: number,
  listening: ReadonlySet<string>,
): Mistake[] {
  const proto = sp.protocol ?? 'TCP';
  const numericSuspect = sp.port !== target && !listening.has(`${sp.port}/${proto}`);
  if (!numericSuspect && !sp.name) return [];
  const onTarget = verdictOn(pod, target, proto);
  const onServicePort = verdictOn(pod, sp.port, proto);
  const out: Mistake[] = [];
  onServicePort.isolating.forEach((e, pi) => {
    e.rules.forEach((r, ri) => {
      if (r.allPorts || onTarget.isolating[pi]?.rules[ri]?.portMatched) return;
      for (const p of r.ports) {
        const written = e.policy.object.spec.ingress?.[r.index]?.ports?.[p.index];
        if (!written || (written.protocol ?? 'TCP') !== proto) continue;
        const name = typeof written.port === 'string' ? written.port : null;
        const hit =
          name !== null
            ? name === sp.name && (p.resolved?.length ?? 0) === 0
            : numericSuspect && written.endPort === undefined && p.matched;
        if (hit) out.push({ policy: e.policy, field: p.field, name });
      }
    });
  });
  return out;
}

function reportMistake(ctx: RuleContext, m: Mistake, view: ServiceView, sp: ServicePort, target: number) {
  const proto = sp.protocol ?? 'TCP';
  const what = m.name === null ? `${proto} ${sp.port}` : `port "${m.name}"`;
  const why =
    m.name === null
      ? `NetworkPolicy allows ${sp.port} but the pods listen on ${target}: policies apply to pod ports, after the Service's translation`
      : `"${m.name}" is the Service port's name, and no container of the pods declares a port named "${m.name}": policies name container ports, after the Service's translation to ${target}`;
  ctx.report({
    manifest: m.policy,
    field: m.field.child('port'),
    message: `NetworkPolicy ${m.policy.name} ${m.field.toString()} allows ${what}, the port of ${serviceLink(view, sp)}, not of pods ${selectorText(view)}: ${why}; the peers of this rule cannot reach the Service`,
    fix: `Allow port ${target} (the targetPort the pods listen on) instead of ${m.name === null ? sp.port : `"${m.name}"`}.`,
  });
}

/** Per backend, every port/protocol some Service resolves to on it, and every declared one: real listeners. */
function listeningPorts(ctx: RuleContext): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const view of ctx.graph.services) {
    for (const b of governed(view)) {
      let set = out.get(b.key);
      if (!set) {
        const spec = b.pod.pod.spec;
        set = new Set<string>();
        for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])])
          for (const p of c.ports ?? []) set.add(`${p.containerPort}/${p.protocol ?? 'TCP'}`);
        out.set(b.key, set);
      }
      for (const sp of view.service.object.spec.ports ?? []) {
        const r = findPort(b.pod.pod.spec, sp);
        if (r.ok) set.add(`${r.port}/${sp.protocol ?? 'TCP'}`);
      }
    }
  }
  return out;
}

// ---- no source may reach the Service port ----

interface Blocked {
  readonly target: number;
  readonly policies: readonly string[];
  readonly backends: Backend[];
}

function checkServices(ctx: RuleContext, verdictOn: VerdictOn): void {
  const listening = listeningPorts(ctx);
  const reported = new Set<string>();
  for (const view of ctx.graph.services) {
    if (!view.hasSelector || view.service.object.spec.type === 'ExternalName') continue;
    const backends = governed(view);
    (view.service.object.spec.ports ?? []).forEach((sp, i) => {
      const proto = sp.protocol ?? 'TCP';
      const blocked = new Map<string, Blocked>();
      for (const b of backends) {
        const res = findPort(b.pod.pod.spec, sp);
        if (!res.ok) continue; // an unresolved targetPort is the target-port rules' finding
        const verdict = verdictOn(b.pod, res.port, proto);
        if (!verdict.isolated) continue;
        const mistakes = servicePortMistakes(
          verdictOn,
          sp,
          b.pod,
          res.port,
          listening.get(b.key) ?? new Set(),
        );
        for (const m of mistakes) {
          const key = `${m.policy.namespace}/${m.policy.name}|${m.field.toString()}|${view.service.name}|${i}`;
          if (reported.has(key)) continue;
          reported.add(key);
          reportMistake(ctx, m, view, sp, res.port);
        }
        // The mistake explains the blocked link: one finding, at the policy port to change.
        if (mistakes.length > 0 || someRuleAllowsPort(verdict)) continue;
        const names = isolatingNames(verdict);
        const key = `${res.port}|${names.join(',')}`;
        const entry = blocked.get(key) ?? { target: res.port, policies: names, backends: [] };
        entry.backends.push(b);
        blocked.set(key, entry);
      }
      for (const b of blocked.values()) reportBlocked(ctx, view, sp, i, b);
    });
  }
}

function reportBlocked(ctx: RuleContext, view: ServiceView, sp: ServicePort, i: number, b: Blocked): void {
  const proto = sp.protocol ?? 'TCP';
  const live = ctx.graph.hasLivePods;
  ctx.report({
    manifest: view.service,
    field: portsField(i),
    severity: live ? 'error' : 'warning',
    message: `no source may reach ${serviceLink(view, sp)} -> pods ${selectorText(view)} (${joinSome(
      b.backends.map((x) => x.label),
      ', ',
      MAX_NAMES,
    )}) port ${b.target}: ${policiesText(b.policies)} them and no rule allows ${proto} ${b.target}${live ? '' : ' (in the policies the input gives)'}`,
    fix: `Add an ingress rule allowing ${proto} ${b.target} from the Service's clients to a policy selecting these pods.`,
  });
}

// ---- the ingress controller's namespace ----

type Tri = 'yes' | 'no' | 'unknown';

function selectorKeys(sel: LabelSelector): string[] {
  return [...Object.keys(sel.matchLabels ?? {}), ...(sel.matchExpressions ?? []).map((e) => e.key)];
}

interface ControllerSide {
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** The Namespace object is in the input, so its labels are known. */
  readonly known: boolean;
  /** The controller's pods, when the input has pods in that namespace. */
  readonly pods: readonly PodInstance[];
}

/**
 * Whether a peer may admit a pod of the controller's namespace. The namespace part is decided by the
 * Namespace's labels when the input has it, else only a selector on kubernetes.io/metadata.name decides (other
 * labels are unknown: benefit of the doubt); the pod part by the controller's pods when the input has them.
 */
function peerMayAdmit(peer: NetworkPolicyPeer, policyNamespace: string, c: ControllerSide): boolean {
  if (peer.ipBlock) return true; // the controller pod's IP is unknown
  let ns: Tri;
  if (peer.namespaceSelector === undefined) ns = policyNamespace === c.namespace ? 'yes' : 'no';
  else if (matchesLabelSelector(peer.namespaceSelector, c.labels)) ns = 'yes';
  else if (!c.known && selectorKeys(peer.namespaceSelector).some((k) => k !== NAMESPACE_NAME_LABEL))
    ns = 'unknown';
  else ns = 'no';
  if (ns === 'no') return false;
  const sel = peer.podSelector;
  if (sel === undefined || c.pods.length === 0) return true;
  return c.pods.some((p) => matchesLabelSelector(sel, p.pod.metadata.labels ?? {}));
}

/** The rules allowing the port, and whether one of them may admit the controller. */
function controllerMayReach(verdict: Isolation, c: ControllerSide): { admitted: boolean; rules: string[] } {
  const rules: string[] = [];
  let admitted = false;
  for (const e of verdict.isolating) {
    for (const r of e.rules) {
      if (!r.portMatched) continue;
      rules.push(`${e.policy.name} ${r.field.toString()}`);
      const peers = e.policy.object.spec.ingress?.[r.index]?.from ?? [];
      if (r.allPeers || peers.some((p) => peerMayAdmit(p, e.policy.namespace, c))) admitted = true;
    }
  }
  return { admitted, rules };
}

function checkIngresses(ctx: RuleContext, verdictOn: VerdictOn): void {
  const namespace = ctx.graph.options.ingressNamespace || DEFAULT_INGRESS_NAMESPACE;
  const controller: ControllerSide = {
    namespace,
    labels: ctx.graph.namespaceLabels(namespace),
    known: ctx.graph.ofKind('Namespace').some((n) => n.name === namespace),
    pods: ctx.graph.podIndex.inNamespace(namespace),
  };
  const reported = new Set<string>();
  for (const ref of serviceBackends(ctx.graph)) {
    const cls = effectiveIngressClass(ref.ingress, null).className;
    if (cls !== null && EXTERNAL_INGRESS_CLASSES.has(cls)) continue;
    const res = resolveBackend(ctx.graph, ref);
    const sp = res.servicePort;
    const view = res.service ? ctx.graph.service(res.service.namespace, res.service.name) : undefined;
    if (!sp || !view?.hasSelector) continue;
    const proto = sp.protocol ?? 'TCP';
    for (const b of governed(view)) {
      const target = findPort(b.pod.pod.spec, sp);
      if (!target.ok) continue;
      const verdict = verdictOn(b.pod, target.port, proto);
      // Not isolated: open. No rule on the port at all: the Service finding already says so.
      if (!verdict.isolated || !someRuleAllowsPort(verdict)) continue;
      const { admitted, rules } = controllerMayReach(verdict, controller);
      const key = `${ref.ingress.namespace}/${ref.ingress.name}|${view.service.name}|${res.servicePortIndex}|${b.key}`;
      if (admitted || reported.has(key)) continue;
      reported.add(key);
      const names = isolatingNames(verdict);
      ctx.report({
        manifest: ref.ingress,
        field: servicePortField(ref),
        message: `${chainHead(ref)} -> pods ${selectorText(view)} (${b.label}) port ${target.port}: the ingress controller's namespace ${namespace} may not reach them: ${policiesText(names)} the pods and the rules allowing ${proto} ${target.port} (${joinSome(rules, '; ', MAX_NAMES)}) admit no pod of namespace ${namespace} (assumed to run the ingress controller; option ingressNamespace)`,
        fix: `Allow ${proto} ${target.port} from the ingress controller (a namespaceSelector on ${NAMESPACE_NAME_LABEL}: ${namespace}) in a policy selecting these pods.`,
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
        "A NetworkPolicy with policyType Ingress isolates the pods it selects: only connections some policy's ingress rule allows get in. Policies match the packet on the pod's port, after kube-proxy's translation: the Service's targetPort resolved per pod (FindPort), never the Service `port`. For every Service port and every workload it selects, portchain resolves the target port and asks whether any rule of the policies isolating those pods allows it from any peer (a rule with peers counts as allowing some sources; numeric ports, endPort ranges and named ports are matched as the API defines). None: nothing can use that Service port (an error in a cluster dump, where the input holds every policy; a warning otherwise, as a policy elsewhere could allow it). A rule allowing the Service `port` (or the Service port's name) instead of the pods' port is reported at that policy port, the usual cause, and then replaces the Service finding. When an Ingress routes to the Service, the rules allowing the port must admit the ingress controller's namespace (`ingressNamespace`, default ingress-nginx; cloud classes gce, gce-internal, alb and azure/application-gateway are skipped); a namespaceSelector on labels the input does not show gets the benefit of the doubt. hostNetwork pods are skipped: NetworkPolicy does not govern them.",
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
    const verdictOn = verdicts(policies);
    checkServices(ctx, verdictOn);
    checkIngresses(ctx, verdictOn);
  },
};
