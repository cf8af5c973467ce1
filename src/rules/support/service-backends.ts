/**
 * Shared reading of the Service -> Pods -> container ports links for the Service rules: the distinct pod
 * templates ("backends") a Service selects, the ports their serving containers declare, and the wording
 * every message uses. Pure helpers over the resolved graph; nothing here re-derives a semantic.
 */
import { FieldPath } from '../../model/field-path.js';
import type { Manifest } from '../../model/load.js';
import type { Container, PodSpec, ServicePort } from '../../model/types.js';
import type { ResolvedGraph, ServiceView } from '../../semantics/graph.js';
import type { PodInstance } from '../../semantics/workloads.js';

/** One distinct pod template a Service selects: a workload's replicas share one spec, so they are one backend. */
export interface Backend {
  readonly key: string;
  /** "Deployment web", "StatefulSet db", "Pod web-0", "ReplicaSet web-5d8f" (pods of a cluster dump). */
  readonly label: string;
  readonly pods: readonly PodInstance[];
  /** A representative pod (all pods of a backend share the container ports). */
  readonly pod: PodInstance;
}

/**
 * Pods synthesised from a workload are grouped by that workload. Pods from the input (a cluster dump) are
 * grouped by their controller ownerReference, so 50 replicas of a ReplicaSet give one finding, not 50.
 */
function groupOf(p: PodInstance): { key: string; label: string } {
  // Asked per pod by several rules: computed once per pod (a PodInstance is never changed).
  let g = groups.get(p);
  if (!g) {
    g = computeGroup(p);
    groups.set(p, g);
  }
  return g;
}
const groups = new WeakMap<PodInstance, { key: string; label: string }>();

function computeGroup(p: PodInstance): { key: string; label: string } {
  if (p.synthesized) {
    return {
      key: `${p.owner.kind}/${p.namespace}/${p.owner.name}`,
      label: `${p.owner.kind} ${p.owner.name}`,
    };
  }
  const ctl = p.pod.metadata.ownerReferences?.find((r) => r.controller && r.kind && r.name);
  if (ctl) return { key: `${ctl.kind}/${p.namespace}/${ctl.name}`, label: `${ctl.kind} ${ctl.name}` };
  return { key: `Pod/${p.namespace}/${p.name}`, label: `Pod ${p.name}` };
}

const chainCache = new WeakMap<ResolvedGraph, readonly ServiceView[]>();

/**
 * The Services whose chain is worth following: a Service that could not be decoded is refused by the API
 * server (api-decode reports it), so nothing downstream of it exists.
 */
export function chainServices(graph: ResolvedGraph): readonly ServiceView[] {
  let list = chainCache.get(graph);
  if (!list) {
    list = graph.services.filter((v) => !v.service.decodeFailed);
    chainCache.set(graph, list);
  }
  return list;
}

/** By the list of selected pods: Services with the same selector share it (PodIndex.select), and so this. */
const backendCache = new WeakMap<readonly PodInstance[], readonly Backend[]>();

/** The distinct backends of a Service, in input order; computed once per pod list and shared by the rules. */
export function backendsOf(view: ServiceView): readonly Backend[] {
  const cached = backendCache.get(view.selected);
  if (cached) return cached;
  const byKey = new Map<string, { key: string; label: string; pods: PodInstance[] }>();
  for (const p of view.selected) {
    const g = groupOf(p);
    const entry = byKey.get(g.key);
    if (entry) entry.pods.push(p);
    else byKey.set(g.key, { ...g, pods: [p] });
  }
  const out = [...byKey.values()].map((b) => ({ ...b, pod: b.pods[0] as PodInstance }));
  backendCache.set(view.selected, out);
  return out;
}

/**
 * What a rule works out for a list of backends and a target (a key of the rule's own), kept for the other
 * Services with that list: Services that select the same pods share one list (backendsOf, PodIndex.select),
 * so a thousand of them over the same workloads cost one computation per target, not one per Service.
 */
export function perBackends<T>(): (backends: readonly Backend[], key: string, compute: () => T) => T {
  const byList = new Map<readonly Backend[], Map<string, T>>();
  return (backends, key, compute) => {
    let byKey = byList.get(backends);
    if (!byKey) {
      byKey = new Map();
      byList.set(backends, byKey);
    }
    if (byKey.has(key)) return byKey.get(key) as T;
    const value = compute();
    byKey.set(key, value);
    return value;
  };
}

/** The backend key of one pod (to group ServiceView.unresolved and similar per-pod lists). */
export function backendKeyOf(p: PodInstance): string {
  return groupOf(p).key;
}

/** How messages name the backend of one pod: "Deployment web", "ReplicaSet web-5d8f", "Pod web-0". */
export function backendLabelOf(p: PodInstance): string {
  return groupOf(p).label;
}

export interface DeclaredPort {
  readonly container: string;
  readonly name?: string;
  readonly port: number;
  readonly protocol: string;
}

/**
 * The ports of the containers that can serve a Service: spec.containers, then native sidecars (init
 * containers with restartPolicy Always), as FindPort searches them. Plain init and ephemeral containers
 * never serve.
 */
export function servingContainers(spec: PodSpec): Container[] {
  return [
    ...(spec.containers ?? []),
    ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
}

/**
 * The ports the serving containers declare. Asked per Service port and workload by several rules, so kept per
 * pod spec (which is never changed): 700 Services over the same 700 Deployments asked 490,000 times.
 */
export function declaredPorts(spec: PodSpec): readonly DeclaredPort[] {
  let ports = declaredBySpec.get(spec);
  if (!ports) {
    ports = computeDeclaredPorts(spec);
    declaredBySpec.set(spec, ports);
  }
  return ports;
}
const declaredBySpec = new WeakMap<PodSpec, readonly DeclaredPort[]>();

function computeDeclaredPorts(spec: PodSpec): DeclaredPort[] {
  const out: DeclaredPort[] = [];
  for (const c of servingContainers(spec)) {
    for (const p of c.ports ?? []) {
      if (p.containerPort === undefined) continue;
      const d: DeclaredPort = { container: c.name, port: p.containerPort, protocol: p.protocol ?? 'TCP' };
      out.push(p.name ? { ...d, name: p.name } : d);
    }
  }
  return out;
}

/** `web/frontend` style reference. */
export function serviceRef(svc: Manifest<'Service'>): string {
  return `${svc.namespace}/${svc.name}`;
}

/** The Service end of a chain: `Service shop/web:80/UDP (dns)`; TCP, the default, is left out. */
export function servicePortRef(svc: Manifest<'Service'>, sp: ServicePort): string {
  const proto = sp.protocol && sp.protocol !== 'TCP' ? `/${sp.protocol}` : '';
  const name = sp.name ? ` (${sp.name})` : '';
  return `Service ${serviceRef(svc)}:${sp.port}${proto}${name}`;
}

/** True when `spec.ports[i].targetPort` is written with a value the API server keeps (not absent, 0 or ""). */
export function targetPortWritten(svc: Manifest<'Service'>, i: number): boolean {
  const spec = svc.raw.spec as { ports?: { targetPort?: unknown }[] } | undefined;
  const tp = spec?.ports?.[i]?.targetPort;
  return tp !== undefined && tp !== null && tp !== 0 && tp !== '';
}

/** `targetPort 8080`, or `targetPort 8080 (defaulted to port)` when the field is omitted or 0. */
export function targetPortText(svc: Manifest<'Service'>, i: number, sp: ServicePort): string {
  const tp = sp.targetPort ?? sp.port;
  return targetPortWritten(svc, i) ? `targetPort ${tp}` : `targetPort ${tp} (defaulted to port)`;
}

export const portsField = (i: number): FieldPath => FieldPath.root('spec', 'ports').index(i);
export const targetPortField = (i: number): FieldPath => portsField(i).child('targetPort');

let rows = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

/**
 * Edit distance with adjacent transpositions (optimal string alignment: `wbe` is one edit from `web`), giving
 * up (returning limit + 1) once it exceeds `limit`: enough to spot a typo without paying for long unrelated
 * strings. The common prefix and suffix are skipped and the rows reused, since the selector rules compare a
 * label value with every workload of a namespace.
 */
export function editDistance(a: string, b: string, limit = 2): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let start = 0;
  while (start < a.length && start < b.length && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  const la = endA - start;
  const lb = endB - start;
  if (la === 0 || lb === 0) return Math.min(Math.max(la, lb), limit + 1);
  if ((rows[0] as Int32Array).length <= lb) rows = [0, 1, 2].map(() => new Int32Array(lb + 1));
  let [before, prev, cur] = rows as [Int32Array, Int32Array, Int32Array];
  for (let j = 0; j <= lb; j++) prev[j] = j;
  for (let i = 1; i <= la; i++) {
    cur[0] = i;
    let best = i;
    const ca = a.charCodeAt(start + i - 1);
    for (let j = 1; j <= lb; j++) {
      const cb = b.charCodeAt(start + j - 1);
      let v = Math.min(
        (prev[j] as number) + 1,
        (cur[j - 1] as number) + 1,
        (prev[j - 1] as number) + (ca === cb ? 0 : 1),
      );
      if (i > 1 && j > 1 && ca === b.charCodeAt(start + j - 2) && a.charCodeAt(start + i - 2) === cb)
        v = Math.min(v, (before[j - 2] as number) + 1);
      cur[j] = v;
      if (v < best) best = v;
    }
    // OSA can still drop below the row minimum by one transposition, so give up only past limit + 1.
    if (best > limit + 1) return limit + 1;
    [before, prev, cur] = [prev, cur, before];
  }
  return Math.min(prev[lb] as number, limit + 1);
}

/** A typo: one edit away, or two for values of 8 characters or more (`fronend` vs `frontend`). */
export function isTypo(a: string, b: string): boolean {
  if (a === b) return false;
  const limit = Math.min(a.length, b.length) >= 8 ? 2 : 1;
  return editDistance(a, b, limit) <= limit;
}
