/**
 * NetworkPolicy (networking.k8s.io/v1) evaluation: is a connection to (or from) a pod allowed?
 *
 * Sources: kubernetes/website content/en/docs/concepts/services-networking/network-policies.md ("Isolated and
 * Non-isolated Pods", "Behavior of to and from selectors", "Targeting a range of ports") and the NetworkPolicy
 * API docs (staging/src/k8s.io/api/networking/v1/types.go: NetworkPolicySpec, NetworkPolicyPeer,
 * NetworkPolicyPort, IPBlock). Policies are additive: a connection needs the destination's ingress side AND the
 * source's egress side to allow it; each function here evaluates one side.
 *
 * Not modelled: traffic from the pod's own node (always allowed, kubelet probes), hostNetwork pods, and how a
 * CNI treats ipBlock for pod IPs (the docs call ipBlock "cluster-external IPs"; here it matches any peer that
 * has an IP, as most implementations do). Pure functions; nothing is mutated.
 */
import { FieldPath } from '../model/field-path.js';
import { joinSome, MAX_NAMED } from '../model/list-text.js';
import type { Manifest } from '../model/load.js';
import type {
  IPBlock,
  Labels,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  PodSpec,
} from '../model/types.js';
import { matchesLabelSelector } from './selectors.js';

/** The label the API server sets on every Namespace (NamespaceDefaultLabelName, immutable, = the name). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** A namespace's labels as a namespaceSelector sees them, including `kubernetes.io/metadata.name`. */
export function namespaceLabelsOf(namespace: string, labels: Labels = {}): Labels {
  return { ...labels, [NAMESPACE_NAME_LABEL]: namespace };
}

/** The pod whose policies are evaluated: the destination for ingress, the source for egress. */
export interface PolicyPod {
  readonly namespace: string;
  readonly labels: Labels;
  /** Needed to resolve named ports on the ingress side (the target's container ports). */
  readonly podSpec?: PodSpec;
}

/** The other end of the connection. */
export type PolicyPeer =
  | {
      readonly kind: 'pod';
      readonly namespace: string;
      readonly labels: Labels;
      /** The peer namespace's labels (from its Namespace object); `kubernetes.io/metadata.name` is added. */
      readonly namespaceLabels: Labels;
      readonly ip?: string;
      /** Needed to resolve named ports on the egress side (the destination's container ports). */
      readonly podSpec?: PodSpec;
    }
  | { readonly kind: 'external'; readonly ip?: string };

export type PolicyDirection = 'Ingress' | 'Egress';

export interface PeerEvaluation {
  readonly index: number;
  /** `spec.ingress[i].from[j]` / `spec.egress[i].to[j]`. */
  readonly field: FieldPath;
  readonly matched: boolean;
  readonly detail: string;
}

export interface PortEvaluation {
  readonly index: number;
  /** `spec.ingress[i].ports[j]` / `spec.egress[i].ports[j]`. */
  readonly field: FieldPath;
  readonly matched: boolean;
  readonly detail: string;
  /** For a named port: the container ports it resolved to on the destination pod; null when unresolvable. */
  readonly resolved?: readonly number[] | null;
}

export interface RuleEvaluation {
  readonly index: number;
  /** `spec.ingress[i]` / `spec.egress[i]`. */
  readonly field: FieldPath;
  /** No `from`/`to` (or an empty list) matches every peer. */
  readonly allPeers: boolean;
  /** No `ports` (or an empty list) matches every port. */
  readonly allPorts: boolean;
  readonly peerMatched: boolean;
  readonly portMatched: boolean;
  readonly matched: boolean;
  readonly peers: readonly PeerEvaluation[];
  readonly ports: readonly PortEvaluation[];
}

export interface PolicyEvaluation {
  readonly policy: Manifest<'NetworkPolicy'>;
  /** `spec.podSelector` selects the pod (policies only select pods of their own namespace). */
  readonly selectsPod: boolean;
  /** `spec.policyTypes` contains the direction (defaulted: Ingress, plus Egress when egress rules exist). */
  readonly hasPolicyType: boolean;
  /** selectsPod && hasPolicyType: the policy isolates the pod in this direction. */
  readonly isolates: boolean;
  /** The policy isolates the pod and one of its rules allows this connection. */
  readonly matched: boolean;
  readonly rules: readonly RuleEvaluation[];
  readonly detail: string;
}

export interface PolicyVerdict {
  readonly direction: PolicyDirection;
  readonly allowed: boolean;
  /** Some policy isolates the pod in this direction; otherwise everything is allowed. */
  readonly isolated: boolean;
  /** Every policy of the pod's namespace, in input order. */
  readonly policies: readonly PolicyEvaluation[];
  readonly detail: string;
}

/**
 * Ingress side: may `source` connect to `target` on `port`/`protocol`? "A pod is isolated for ingress if there
 * is any NetworkPolicy that both selects the pod and has Ingress in its policyTypes"; then "the only allowed
 * connections into the pod are those from the pod's node and those allowed by the ingress list of some
 * NetworkPolicy that applies to the pod" (network-policies.md).
 */
export function isIngressAllowed(
  policies: readonly Manifest<'NetworkPolicy'>[],
  target: PolicyPod,
  source: PolicyPeer,
  port: number,
  protocol: string,
): PolicyVerdict {
  return evaluate('Ingress', policies, target, source, target.podSpec, port, protocol);
}

/**
 * Egress side: may `source` connect to `destination` on `port`/`protocol`, per the policies selecting the
 * SOURCE pod? Named ports are resolved on the destination pod (`destination.podSpec`).
 */
export function isEgressAllowed(
  policies: readonly Manifest<'NetworkPolicy'>[],
  source: PolicyPod,
  destination: PolicyPeer,
  port: number,
  protocol: string,
): PolicyVerdict {
  const podSpec = destination.kind === 'pod' ? destination.podSpec : undefined;
  return evaluate('Egress', policies, source, destination, podSpec, port, protocol);
}

type Policies = readonly Manifest<'NetworkPolicy'>[];

/**
 * The policies of one namespace, in input order. Callers pass every policy of the input and ask once per pod
 * and port, so the grouping is computed once per policy list (a cluster dump has a policy per app: scanning
 * them all on every question made the NetworkPolicy rule quadratic).
 */
interface NamespacePolicies {
  readonly list: Manifest<'NetworkPolicy'>[];
  /**
   * Which policies may select a pod: a policy whose podSelector is matchLabels only is filed under its first
   * key=value (a pod without that label cannot match it); any other selector is checked for every pod.
   */
  readonly byTerm: Map<string, number[]>;
  readonly always: number[];
  /**
   * What an ingress verdict on a pod of this namespace depends on besides the port: the label keys some
   * podSelector reads, and whether some ingress rule names a port (resolved on the pod's container ports).
   */
  readonly selectedKeys: string[];
  namesPorts: boolean;
}
const byNamespace = new WeakMap<Policies, { length: number; groups: Map<string, NamespacePolicies> }>();
const newGroup = (): NamespacePolicies => ({
  list: [],
  byTerm: new Map(),
  always: [],
  selectedKeys: [],
  namesPorts: false,
});
const EMPTY_GROUP = newGroup();
/** key=value as one map key; NUL cannot occur in a label key. */
const term = (key: string, value: string): string => `${key}\u0000${value}`;

function firstTerm(sel: NetworkPolicy['spec']['podSelector'] | undefined): string | null {
  if (!sel || sel.matchExpressions !== undefined) return null;
  const labels = sel.matchLabels;
  if (!labels) return null;
  for (const k in labels) if (Object.hasOwn(labels, k)) return term(k, labels[k] as string);
  return null;
}

function policiesOf(policies: Policies, namespace: string): NamespacePolicies {
  let cached = byNamespace.get(policies);
  // The length guards against a caller that grows its array between questions.
  if (!cached || cached.length !== policies.length) {
    const groups = new Map<string, NamespacePolicies>();
    for (const p of policies) {
      let g = groups.get(p.namespace);
      if (!g) {
        g = newGroup();
        groups.set(p.namespace, g);
      }
      const sel = p.object.spec.podSelector;
      for (const k of Object.keys(sel?.matchLabels ?? {}))
        if (!g.selectedKeys.includes(k)) g.selectedKeys.push(k);
      for (const e of sel?.matchExpressions ?? [])
        if (!g.selectedKeys.includes(e.key)) g.selectedKeys.push(e.key);
      if ((p.object.spec.ingress ?? []).some((r) => (r.ports ?? []).some((x) => typeof x.port === 'string')))
        g.namesPorts = true;
      const i = g.list.length;
      g.list.push(p);
      const t = firstTerm(p.object.spec.podSelector);
      if (t === null) g.always.push(i);
      else {
        const l = g.byTerm.get(t);
        if (l) l.push(i);
        else g.byTerm.set(t, [i]);
      }
    }
    cached = { length: policies.length, groups };
    byNamespace.set(policies, cached);
  }
  return cached.groups.get(namespace) ?? EMPTY_GROUP;
}

/**
 * A key that is equal for two pods exactly when `isIngressAllowed(policies, pod, peer, port, protocol)` gives
 * them equal verdicts for every peer, port and protocol: the namespace, the values (or absence) of the labels
 * the namespace's podSelectors read, and the pod's named container ports when some ingress rule names a port.
 * Pods of one workload share it, so callers asking about every pod of a cluster can ask once per workload.
 */
export function ingressVerdictKey(policies: Policies, pod: PolicyPod): string {
  const g = policiesOf(policies, pod.namespace);
  const parts: (string | null)[] = [pod.namespace];
  for (const k of g.selectedKeys) parts.push(Object.hasOwn(pod.labels, k) ? (pod.labels[k] as string) : null);
  if (g.namesPorts) {
    const spec = pod.podSpec;
    for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])])
      for (const cp of c.ports ?? [])
        if (cp.name)
          parts.push(`${cp.name}/${cp.protocol ?? 'TCP'}/${cp.containerPort}/${c.restartPolicy ?? ''}`);
    if (!spec) parts.push(null);
  }
  return JSON.stringify(parts);
}

/**
 * Which of a namespace's policies may select a pod with these labels, as ascending indexes into `g.list` (the
 * rest certainly do not).
 */
function candidates(g: NamespacePolicies, labels: Labels): number[] {
  const out = g.always.slice();
  if (g.byTerm.size > 0) {
    for (const k in labels) {
      if (!Object.hasOwn(labels, k)) continue;
      const l = g.byTerm.get(term(k, labels[k] as string));
      if (l) for (const i of l) out.push(i);
    }
  }
  // Each policy is filed once (under its first term or as `always`), so the indexes are distinct.
  return out.sort((a, b) => a - b);
}

/** Field paths of a policy's rules, peers and ports, built once per policy and direction (they never change). */
interface RuleFields {
  readonly rule: FieldPath;
  readonly peers: FieldPath[];
  readonly ports: FieldPath[];
}
const fieldCache = new WeakMap<Manifest<'NetworkPolicy'>, Partial<Record<PolicyDirection, RuleFields[]>>>();
function ruleFields(
  policy: Manifest<'NetworkPolicy'>,
  direction: PolicyDirection,
  i: number,
  peerCount: number,
  portCount: number,
): RuleFields {
  let byDirection = fieldCache.get(policy);
  if (!byDirection) {
    byDirection = {};
    fieldCache.set(policy, byDirection);
  }
  let list = byDirection[direction];
  if (!list) {
    list = [];
    byDirection[direction] = list;
  }
  let f = list[i];
  if (!f || f.peers.length !== peerCount || f.ports.length !== portCount) {
    const rule = FieldPath.root('spec', direction === 'Ingress' ? 'ingress' : 'egress').index(i);
    const peerKey = direction === 'Ingress' ? 'from' : 'to';
    const peers: FieldPath[] = [];
    for (let j = 0; j < peerCount; j++) peers.push(rule.child(peerKey).index(j));
    const ports: FieldPath[] = [];
    for (let j = 0; j < portCount; j++) ports.push(rule.child('ports').index(j));
    f = { rule, peers, ports };
    list[i] = f;
  }
  return f;
}

/** `spec.policyTypes` lists the direction (unset: Ingress, as the API server defaults it without egress rules). */
const hasPolicyType = (policy: Manifest<'NetworkPolicy'>, direction: PolicyDirection): boolean =>
  (policy.object.spec.policyTypes ?? ['Ingress']).includes(direction);

/**
 * The evaluation of a policy that does not select the pod depends on the policy and direction alone; a
 * namespace with a policy per app asks it of every other app's pods, so it is made once (it is never changed).
 */
const notSelectingCache = new WeakMap<
  Manifest<'NetworkPolicy'>,
  Partial<Record<PolicyDirection, PolicyEvaluation>>
>();
function notSelecting(policy: Manifest<'NetworkPolicy'>, direction: PolicyDirection): PolicyEvaluation {
  let byDirection = notSelectingCache.get(policy);
  if (!byDirection) {
    byDirection = {};
    notSelectingCache.set(policy, byDirection);
  }
  let e = byDirection[direction];
  if (!e) {
    e = {
      policy,
      selectsPod: false,
      hasPolicyType: hasPolicyType(policy, direction),
      isolates: false,
      matched: false,
      rules: [],
      detail: 'spec.podSelector does not select the pod',
    };
    byDirection[direction] = e;
  }
  return e;
}

function evaluate(
  direction: PolicyDirection,
  policies: readonly Manifest<'NetworkPolicy'>[],
  subject: PolicyPod,
  peer: PolicyPeer,
  destinationSpec: PodSpec | undefined,
  port: number,
  rawProtocol: string,
): PolicyVerdict {
  const protocol = rawProtocol.toUpperCase();
  const evaluations: PolicyEvaluation[] = [];
  const group = policiesOf(policies, subject.namespace);
  const maySelect = candidates(group, subject.labels);
  let next = 0;
  for (let pi = 0; pi < group.list.length; pi++) {
    const policy = group.list[pi] as Manifest<'NetworkPolicy'>;
    const candidate = maySelect[next] === pi;
    if (candidate) next++;
    // podSelector is required; {} selects every pod of the namespace.
    if (!candidate || !matchesLabelSelector(policy.object.spec.podSelector ?? {}, subject.labels)) {
      evaluations.push(notSelecting(policy, direction));
      continue;
    }
    evaluations.push(selecting(policy, direction, peer, destinationSpec, port, protocol));
  }
  const isolated = evaluations.some((e) => e.isolates);
  const allowedBy = evaluations.filter((e) => e.matched);
  const allowed = !isolated || allowedBy.length > 0;
  const dir = direction.toLowerCase();
  const detail = !isolated
    ? `no NetworkPolicy selects the pod for ${dir}: all ${dir} traffic is allowed`
    : allowed
      ? `allowed by ${policyNames(allowedBy)}`
      : `the pod is isolated for ${dir} by ${policyNames(evaluations.filter((e) => e.isolates))} and no rule allows ${port}/${protocol} ${direction === 'Ingress' ? 'from' : 'to'} this peer`;
  return { direction, allowed, isolated, policies: evaluations, detail };
}

/** `ns/a, ns/b`: the policies a verdict names, a few of them at most. */
const policyNames = (list: readonly { policy: Manifest<'NetworkPolicy'> }[]) =>
  joinSome(
    list.map((e) => `${e.policy.namespace}/${e.policy.name}`),
    ', ',
    MAX_NAMED,
  );

/** The evaluation of a policy whose podSelector selects the pod. */
function selecting(
  policy: Manifest<'NetworkPolicy'>,
  direction: PolicyDirection,
  peer: PolicyPeer,
  destinationSpec: PodSpec | undefined,
  port: number,
  protocol: string,
): PolicyEvaluation {
  const spec = policy.object.spec;
  const isolates = hasPolicyType(policy, direction);
  const list = direction === 'Ingress' ? (spec.ingress ?? []) : (spec.egress ?? []);
  const key = direction === 'Ingress' ? 'ingress' : 'egress';
  const rules: RuleEvaluation[] = isolates
    ? list.map((rule, i) => {
        const peersList =
          direction === 'Ingress'
            ? (rule as { from?: NetworkPolicyPeer[] }).from
            : (rule as { to?: NetworkPolicyPeer[] }).to;
        return evaluateRule(
          i,
          ruleFields(policy, direction, i, peersList?.length ?? 0, rule.ports?.length ?? 0),
          peersList,
          rule.ports,
          policy.namespace,
          peer,
          destinationSpec,
          port,
          protocol,
        );
      })
    : [];
  const matched = isolates && rules.some((r) => r.matched);
  const detail = !isolates
    ? `spec.policyTypes has no ${direction}: the policy does not isolate the pod for ${direction.toLowerCase()}`
    : list.length === 0
      ? `selects the pod for ${direction.toLowerCase()} and has no ${key} rules: denies everything`
      : matched
        ? `spec.${key}[${rules.findIndex((r) => r.matched)}] allows the connection`
        : `no spec.${key} rule allows the connection`;
  return { policy, selectsPod: true, hasPolicyType: isolates, isolates, matched, rules, detail };
}

/** The ingress side of `target` reduced to the policies isolating it: what a caller asking only that reads. */
export interface IngressIsolation {
  readonly isolated: boolean;
  /** The evaluations of the policies isolating the pod for ingress, in input order. */
  readonly isolating: readonly PolicyEvaluation[];
}

/**
 * `isIngressAllowed(...).policies` filtered to the isolating policies, without evaluating the others: in a
 * namespace with a policy per app, a full verdict is O(apps) while only the few selecting the pod matter.
 */
export function ingressIsolation(
  policies: readonly Manifest<'NetworkPolicy'>[],
  target: PolicyPod,
  source: PolicyPeer,
  port: number,
  protocol: string,
): IngressIsolation {
  const group = policiesOf(policies, target.namespace);
  const isolating: PolicyEvaluation[] = [];
  for (const pi of candidates(group, target.labels)) {
    const policy = group.list[pi] as Manifest<'NetworkPolicy'>;
    if (!hasPolicyType(policy, 'Ingress')) continue;
    if (!matchesLabelSelector(policy.object.spec.podSelector ?? {}, target.labels)) continue;
    isolating.push(selecting(policy, 'Ingress', source, target.podSpec, port, protocol.toUpperCase()));
  }
  return { isolated: isolating.length > 0, isolating };
}

function evaluateRule(
  index: number,
  fields: RuleFields,
  peerList: readonly NetworkPolicyPeer[] | undefined,
  portList: readonly NetworkPolicyPort[] | undefined,
  policyNamespace: string,
  peer: PolicyPeer,
  destinationSpec: PodSpec | undefined,
  port: number,
  protocol: string,
): RuleEvaluation {
  // "If this field is empty or missing, this rule matches all sources/destinations" (types.go).
  const allPeers = !peerList || peerList.length === 0;
  const peers = (peerList ?? []).map((p, j) => {
    const r = peerMatches(p, policyNamespace, peer);
    return { index: j, field: fields.peers[j] as FieldPath, ...r };
  });
  // "If this field is empty or missing, this rule matches all ports" (types.go).
  const allPorts = !portList || portList.length === 0;
  const ports = (portList ?? []).map((p, j) => ({
    index: j,
    field: fields.ports[j] as FieldPath,
    ...portMatches(p, destinationSpec, port, protocol),
  }));
  const peerMatched = allPeers || peers.some((p) => p.matched);
  const portMatched = allPorts || ports.some((p) => p.matched);
  return {
    index,
    field: fields.rule,
    allPeers,
    allPorts,
    peerMatched,
    portMatched,
    matched: peerMatched && portMatched,
    peers,
    ports,
  };
}

/**
 * NetworkPolicyPeer. podSelector alone: pods of the policy's namespace. namespaceSelector alone: all pods of
 * the selected namespaces. Both in ONE peer: pods matching podSelector in namespaces matching
 * namespaceSelector (AND; as separate list items they are OR). ipBlock: CIDR minus `except`, exclusive with
 * the selectors (validation: "may not specify both ipBlock and another peer").
 */
function peerMatches(
  p: NetworkPolicyPeer,
  policyNamespace: string,
  peer: PolicyPeer,
): { matched: boolean; detail: string } {
  const hasSelectors = p.podSelector !== undefined || p.namespaceSelector !== undefined;
  if (p.ipBlock) {
    if (hasSelectors) return { matched: false, detail: 'invalid peer: ipBlock together with a selector' };
    if (!peer.ip) return { matched: false, detail: 'ipBlock: the peer has no known IP' };
    return ipBlockMatches(p.ipBlock, peer.ip);
  }
  if (!hasSelectors) return { matched: false, detail: 'invalid peer: must specify a peer' };
  if (peer.kind !== 'pod')
    return { matched: false, detail: 'selectors only match pods, and the peer is external' };
  if (p.namespaceSelector !== undefined) {
    const nsLabels = namespaceLabelsOf(peer.namespace, peer.namespaceLabels);
    if (!matchesLabelSelector(p.namespaceSelector, nsLabels))
      return { matched: false, detail: `namespaceSelector does not select namespace ${peer.namespace}` };
  } else if (peer.namespace !== policyNamespace) {
    return {
      matched: false,
      detail: `podSelector alone selects pods of the policy's namespace ${policyNamespace}, not ${peer.namespace}`,
    };
  }
  if (p.podSelector !== undefined && !matchesLabelSelector(p.podSelector, peer.labels))
    return { matched: false, detail: 'podSelector does not select the pod' };
  const what =
    p.podSelector !== undefined && p.namespaceSelector !== undefined
      ? 'namespaceSelector and podSelector (AND) select the pod'
      : p.namespaceSelector !== undefined
        ? `namespaceSelector selects namespace ${peer.namespace}`
        : 'podSelector selects the pod in the policy namespace';
  return { matched: true, detail: what };
}

/**
 * NetworkPolicyPort: `protocol` (defaulted TCP) must match; no `port` = every port of that protocol; a number
 * with `endPort` is the inclusive range port..endPort; a name is resolved on the destination pod's container
 * ports with the same name and protocol (containers, then native sidecars).
 */
function portMatches(
  p: NetworkPolicyPort,
  destinationSpec: PodSpec | undefined,
  port: number,
  protocol: string,
): { matched: boolean; detail: string; resolved?: readonly number[] | null } {
  const proto = p.protocol ?? 'TCP';
  if (proto !== protocol) return { matched: false, detail: `protocol ${proto} is not ${protocol}` };
  if (p.port === undefined) return { matched: true, detail: `every ${proto} port` };
  if (typeof p.port === 'number') {
    if (p.endPort !== undefined) {
      const matched = port >= p.port && port <= p.endPort;
      return {
        matched,
        detail: `${proto} ${p.port}-${p.endPort} ${matched ? 'includes' : 'excludes'} ${port}`,
      };
    }
    const matched = port === p.port;
    return { matched, detail: `${proto} ${p.port}${matched ? '' : ` is not ${port}`}` };
  }
  const name = p.port;
  if (!destinationSpec)
    return {
      matched: false,
      detail: `named port "${name}": the destination pod's spec is unknown`,
      resolved: null,
    };
  const resolved = namedContainerPorts(destinationSpec, name, proto);
  if (resolved.length === 0)
    return {
      matched: false,
      detail: `named port "${name}" (${proto}) is not declared by the destination pod's containers`,
      resolved,
    };
  const matched = resolved.includes(port);
  return {
    matched,
    detail: `named port "${name}" resolves to ${resolved.join(', ')}${matched ? '' : `, not ${port}`}`,
    resolved,
  };
}

function namedContainerPorts(spec: PodSpec, name: string, protocol: string): number[] {
  const out: number[] = [];
  const containers = [
    ...(spec.containers ?? []),
    ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
  for (const c of containers) {
    for (const cp of c.ports ?? []) {
      if (
        cp.name === name &&
        (cp.protocol ?? 'TCP') === protocol &&
        cp.containerPort !== undefined &&
        !out.includes(cp.containerPort)
      )
        out.push(cp.containerPort);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// IP blocks
// ---------------------------------------------------------------------------------------------------------

interface ParsedIP {
  readonly v6: boolean;
  readonly value: bigint;
}

function parseIPv4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseIPv6(s: string): bigint | null {
  let text = s;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    text = `${text.slice(0, lastColon + 1)}${((v4 >> 16n) & 0xffffn).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? (halves[0] as string).split(':') : [];
  const tail = halves.length === 2 && halves[1] ? (halves[1] as string).split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(Number.parseInt(g, 16));
  }
  return v;
}

function parseIP(s: string): ParsedIP | null {
  if (s.includes(':')) {
    const v = parseIPv6(s);
    return v === null ? null : { v6: true, value: v };
  }
  const v = parseIPv4(s);
  return v === null ? null : { v6: false, value: v };
}

/** Whether `ip` lies in `cidr` (same address family; an invalid CIDR or IP contains nothing). */
export function cidrContains(cidr: string, ip: string): boolean {
  const slash = cidr.indexOf('/');
  if (slash < 0) return false;
  const base = parseIP(cidr.slice(0, slash));
  const addr = parseIP(ip);
  const bitsText = cidr.slice(slash + 1);
  if (!base || !addr || base.v6 !== addr.v6 || !/^\d{1,3}$/.test(bitsText)) return false;
  const width = base.v6 ? 128 : 32;
  const bits = Number(bitsText);
  if (bits > width) return false;
  const shift = BigInt(width - bits);
  return base.value >> shift === addr.value >> shift;
}

/** IPBlock: inside `cidr` and inside none of the `except` CIDRs. */
function ipBlockMatches(block: IPBlock, ip: string): { matched: boolean; detail: string } {
  if (!cidrContains(block.cidr, ip)) return { matched: false, detail: `${ip} is not in ${block.cidr}` };
  const except = (block.except ?? []).find((e) => cidrContains(e, ip));
  if (except) return { matched: false, detail: `${ip} is in ${block.cidr} but excepted by ${except}` };
  return { matched: true, detail: `${ip} is in ${block.cidr}` };
}
