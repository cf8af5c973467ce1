/**
 * Two pods binding the same port on the same node, or a node-level bind on a nodePort.
 *
 * A hostNetwork pod's processes bind in the node's network namespace, and a hostPort is bound on the node by
 * the CNI portmap plugin. The API server defaults a hostNetwork pod's hostPort to its containerPort
 * (SetDefaults_Pod), so the scheduler's NodePorts filter (pkg/scheduler/framework/plugins/nodeports) places at
 * most one pod per node per hostPort/protocol/hostIP (0.0.0.0 conflicts with every address), and the kubelet's
 * admission rejects a pod bound to a node by `nodeName` whose port is taken. Where the two pods must share a
 * node, one of them stays Pending or is rejected:
 * - a DaemonSet runs on every node it schedules to (without nodeSelector or node affinity: all of them);
 * - a pod's `nodeName` fixes its node (a cluster dump, or a pinned manifest);
 * - other pods go where the scheduler finds the port free: no clash is proven for them.
 * kube-proxy takes every nodePort on every node (its rules forward nodeIP:nodePort to the Service before a local
 * socket sees the traffic; versions that hold node ports open make the bind itself fail).
 */
import type { FieldPath } from '../model/field-path.js';
import type { Manifest } from '../model/load.js';
import type { Container, PodSpec } from '../model/types.js';
import { formatNodePortRange } from '../semantics/node-ports.js';
import type { PodInstance } from '../semantics/workloads.js';
import type { Rule, RuleContext } from './rule.js';
import { backendKeyOf } from './support/service-backends.js';

type Placement =
  | { readonly kind: 'every'; readonly restricted: boolean }
  | { readonly kind: 'node'; readonly node: string }
  | { readonly kind: 'scheduled' };

interface Binding {
  readonly owner: Manifest;
  /** The workload (a cluster dump's pods: their controller), to report once per pair of workloads. */
  readonly workload: string;
  readonly pods: number;
  readonly placement: Placement;
  readonly container: Container;
  readonly hostNetwork: boolean;
  readonly port: number;
  readonly protocol: string;
  readonly hostIP: string;
  /** `...ports[j].containerPort` (hostNetwork) or `...ports[j].hostPort`. */
  readonly field: FieldPath;
}

function rawAt(m: Manifest, keys: readonly (string | number)[]): unknown {
  let v: unknown = m.raw;
  for (const k of keys) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

const isNonEmpty = (v: unknown) => typeof v === 'object' && v !== null && Object.keys(v).length > 0;

/** Where a workload's pods run, from what is written (raw), not from portchain's own placement. */
function placementOf(pod: PodInstance): Placement {
  const spec = pod.specPath.keys();
  const nodeName = rawAt(pod.owner, [...spec, 'nodeName']);
  if (typeof nodeName === 'string' && nodeName !== '') return { kind: 'node', node: nodeName };
  // A Pod from a cluster dump was placed by the scheduler: spec.nodeName is then its node.
  if (pod.owner.kind === 'Pod' && pod.pod.status?.phase && pod.pod.spec.nodeName)
    return { kind: 'node', node: pod.pod.spec.nodeName };
  if (pod.owner.kind === 'DaemonSet') {
    const restricted =
      isNonEmpty(rawAt(pod.owner, [...spec, 'nodeSelector'])) ||
      isNonEmpty(rawAt(pod.owner, [...spec, 'affinity', 'nodeAffinity']));
    return { kind: 'every', restricted };
  }
  return { kind: 'scheduled' };
}

/** The pod binds some port on its node: hostNetwork, or a hostPort (what bindingsOf looks at, cheaply). */
function bindsHostPort(spec: PodSpec): boolean {
  if (spec.hostNetwork === true) return true;
  for (const list of [spec.containers, spec.initContainers])
    for (const c of list ?? []) for (const p of c.ports ?? []) if (p.hostPort) return true;
  return false;
}

function bindingsOf(pod: PodInstance, pods: number): Binding[] {
  const spec: PodSpec = pod.pod.spec;
  const hostNetwork = spec.hostNetwork === true;
  // Only pods binding a host port have a placement worth finding (a dump's pods mostly bind none).
  let placement: Placement | undefined;
  const out: Binding[] = [];
  const groups = [
    ['containers', spec.containers ?? [], false],
    ['initContainers', spec.initContainers ?? [], true],
  ] as const;
  for (const [key, list, init] of groups) {
    list.forEach((container, i) => {
      // Plain init containers run alone, before the others: only native sidecars run alongside.
      if (init && container.restartPolicy !== 'Always') return;
      (container.ports ?? []).forEach((p, j) => {
        const port = hostNetwork ? (p.hostPort ?? p.containerPort) : p.hostPort;
        if (!port) return;
        placement ??= placementOf(pod);
        const base = pod.specPath.child(key).index(i).child('ports').index(j);
        out.push({
          owner: pod.owner,
          workload: backendKeyOf(pod),
          pods,
          placement,
          container,
          hostNetwork,
          port,
          protocol: p.protocol ?? 'TCP',
          hostIP: hostNetwork || !p.hostIP || p.hostIP === '0.0.0.0' ? '' : p.hostIP,
          field: base.child(hostNetwork ? 'containerPort' : 'hostPort'),
        });
      });
    });
  }
  return out;
}

const describeBinding = (b: Binding) =>
  `${b.owner.kind} ${b.owner.name} container "${b.container.name}" ${b.hostNetwork ? `port ${b.port}/${b.protocol} (hostNetwork)` : `hostPort ${b.hostIP ? `${b.hostIP}:` : ''}${b.port}/${b.protocol}`}`;

/** Where two bindings must share a node, and whether the input proves it (error) or only allows it. */
function shared(a: Placement, b: Placement): { where: string; proven: boolean } | null {
  if (a.kind === 'every' && b.kind === 'every') {
    const proven = !a.restricted && !b.restricted;
    return { where: proven ? 'on every node' : 'on every node both DaemonSets run on', proven };
  }
  if (a.kind === 'every' || b.kind === 'every') {
    const ds = (a.kind === 'every' ? a : b) as { restricted: boolean };
    const other = a.kind === 'every' ? b : a;
    if (other.kind === 'node') return { where: `on node ${other.node}`, proven: !ds.restricted };
    return {
      where: ds.restricted
        ? 'on every node the DaemonSet runs on, so the other pods must find a node without it'
        : 'on every node, so the other pods find no node with the port free',
      proven: !ds.restricted,
    };
  }
  if (a.kind === 'node' && b.kind === 'node' && a.node === b.node)
    return { where: `on node ${a.node}`, proven: true };
  return null;
}

const ownerKey = (m: Manifest) => `${m.kind}/${m.namespace}/${m.name}`;

const overlap = (a: Binding, b: Binding) => a.hostIP === '' || b.hostIP === '' || a.hostIP === b.hostIP;

function reportClashes(ctx: RuleContext, bindings: readonly Binding[]): void {
  const byPort = new Map<string, Binding[]>();
  const reported = new Set<string>();
  for (const b of bindings) {
    const key = `${b.port}/${b.protocol}`;
    const earlier = byPort.get(key) ?? [];
    byPort.set(key, [...earlier, b]);
    // One workload pinned to one node with several pods clashes with itself.
    if (b.placement.kind === 'node' && b.pods > 1 && !reported.has(`${ownerKey(b.owner)}|self|${key}`)) {
      reported.add(`${ownerKey(b.owner)}|self|${key}`);
      ctx.report({
        manifest: b.owner,
        field: b.field,
        severity: 'error',
        message: `${describeBinding(b)}: its ${b.pods} pods are all bound to node ${b.placement.node} by nodeName, and only one process can bind ${key} there: the kubelet rejects the others`,
        fix: 'Drop nodeName (let the scheduler spread the pods) or run one replica.',
      });
    }
    for (const a of earlier) {
      if (a.owner === b.owner || !overlap(a, b)) continue;
      const s = shared(a.placement, b.placement);
      const pair = `${a.workload}|${b.workload}|${key}`;
      if (!s || reported.has(pair)) continue;
      reported.add(pair);
      ctx.report({
        manifest: b.owner,
        field: b.field,
        severity: s.proven ? 'error' : 'warning',
        message: `${describeBinding(b)} clashes with ${describeBinding(a)} ${s.where}: only one process can bind ${key} in a node's network namespace, so one of the two pods stays Pending (the scheduler's NodePorts filter), is rejected by the kubelet, or fails to bind`,
        fix: `Move one of the two to another port, or keep them on disjoint nodes (nodeSelector).`,
      });
    }
  }
}

function reportNodePorts(ctx: RuleContext, bindings: readonly Binding[]): void {
  const explicit = new Map<string, { service: Manifest<'Service'>; what: string }>();
  for (const a of ctx.graph.nodePorts.allocations) {
    if (!a.explicit) continue;
    const p = a.service.object.spec.ports?.[a.portIndex];
    const proto = p?.protocol ?? 'TCP';
    explicit.set(`${a.nodePort}/${proto}`, {
      service: a.service,
      what: `nodePort ${a.nodePort} (port ${p?.port ?? '?'})`,
    });
  }
  for (const h of ctx.graph.nodePorts.healthCheckNodePorts) {
    if (h.explicit)
      explicit.set(`${h.nodePort}/TCP`, { service: h.service, what: `healthCheckNodePort ${h.nodePort}` });
  }
  const range = ctx.graph.options.nodePortRange;
  const seen = new Set<string>();
  for (const b of bindings) {
    const key = `${b.port}/${b.protocol}`;
    const dedupe = `${b.workload}|${key}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    const taken = explicit.get(key);
    if (taken) {
      ctx.report({
        manifest: b.owner,
        field: b.field,
        message: `${describeBinding(b)} clashes with Service ${taken.service.name}'s ${taken.what}: kube-proxy takes ${key} on every node for that Service (its rules forward nodeIP:${b.port} to the Service before a local socket sees it, and versions that hold node ports open make the bind fail)`,
        fix: `Move the pod to a port outside the node-port range ${formatNodePortRange(range)}, or give Service ${taken.service.name} another nodePort.`,
      });
      continue;
    }
    if (b.port >= range.base && b.port < range.base + range.size) {
      ctx.report({
        manifest: b.owner,
        field: b.field,
        severity: 'info',
        message: `${describeBinding(b)} is inside the node-port range ${formatNodePortRange(range)}: the API server may allocate ${b.port} as a nodePort to any NodePort or LoadBalancer Service, after which kube-proxy takes it on every node`,
        fix: `Use a port outside ${formatNodePortRange(range)} for processes that bind on the node.`,
      });
    }
  }
}

export const hostNetworkPortClash: Rule = {
  meta: {
    id: 'host-network-port-clash',
    severity: 'warning',
    description:
      'Two pods bind the same port on one node (hostNetwork or hostPort), or a pod binds a nodePort kube-proxy owns.',
    docs: {
      details:
        "A hostNetwork pod binds its ports in the node's network namespace, and a hostPort is bound on the node, so two such pods cannot share a node on one port/protocol: the scheduler keeps the second Pending, the kubelet rejects a pod pinned by nodeName, and an undeclared port fails to bind. portchain reports a clash where the input fixes the node: two DaemonSets (every node; an error unless one has a nodeSelector or node affinity), a DaemonSet and any other pod, two pods with the same nodeName (a cluster dump) or a workload pinned to one node with several replicas. Other pods are placed by the scheduler around the taken port, so no clash is proven. A node-level port equal to an explicit nodePort or healthCheckNodePort is a warning: kube-proxy owns that port on every node. A node-level port elsewhere inside the node-port range is info: a Service may be allocated it later.",
      bad: `kind: DaemonSet
metadata: {name: agent-a}
spec: {template: {spec: {hostNetwork: true, containers: [{name: a, ports: [{containerPort: 9100}]}]}}}
---
kind: DaemonSet
metadata: {name: agent-b}
spec: {template: {spec: {hostNetwork: true, containers: [{name: b, ports: [{containerPort: 9100}]}]}}}`,
      good: `kind: DaemonSet
metadata: {name: agent-b}
spec: {template: {spec: {hostNetwork: true, containers: [{name: b, ports: [{containerPort: 9101}]}]}}}`,
    },
  },
  check(ctx) {
    const counts = new Map<Manifest, { pod: PodInstance; n: number }>();
    for (const p of ctx.graph.pods) {
      if (!bindsHostPort(p.pod.spec)) continue;
      const c = counts.get(p.owner);
      if (c) c.n++;
      else counts.set(p.owner, { pod: p, n: 1 });
    }
    const bindings: Binding[] = [];
    for (const { pod, n } of counts.values()) bindings.push(...bindingsOf(pod, n));
    reportClashes(ctx, bindings);
    reportNodePorts(ctx, bindings);
  },
};
