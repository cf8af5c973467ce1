/**
 * What the ingress-backend-* rules share: every Service backend an Ingress writes (rule paths and the default
 * backend, v1 or v1beta1), the exact field each part was written at, and the chain wording of findings.
 * Matching and resolution stay in src/semantics/ingress.ts; this only walks graph.ingress.
 */
import type { FieldPath } from '../../model/field-path.js';
import type { Manifest } from '../../model/load.js';
import type { IngressBackend, ServicePort } from '../../model/types.js';
import { validateIngressBackend } from '../../model/validation/index.js';
import type { ResolvedGraph } from '../../semantics/graph.js';
import { type BackendResolution, type IngressRoute, resolveIngressBackend } from '../../semantics/ingress.js';
import type { PodInstance } from '../../semantics/workloads.js';

/** One Service backend of an Ingress, where it was written. */
export interface BackendRef {
  readonly ingress: Manifest<'Ingress'>;
  readonly backend: IngressBackend;
  /** `spec.rules[i].http.paths[j].backend`, `spec.defaultBackend`, or v1beta1 `spec.backend`. */
  readonly field: FieldPath;
  /** Written as v1beta1 `serviceName`/`servicePort` (the loader converted it to the v1 shape). */
  readonly legacy: boolean;
  /** The rule path; null for the default backend. */
  readonly route: IngressRoute | null;
  readonly serviceName: string;
}

/** The value written at `path` in a manifest as written (plain JSON). */
function rawAt(raw: unknown, path: FieldPath): unknown {
  let node = raw;
  for (const k of path.keys()) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[k];
  }
  return node;
}

function isLegacyBackend(ingress: Manifest<'Ingress'>, field: FieldPath): boolean {
  const raw = rawAt(ingress.raw, field);
  return typeof raw === 'object' && raw !== null && ('serviceName' in raw || 'servicePort' in raw);
}

/**
 * Every Service backend of every Ingress, rule paths first, then default backends, in input order. Backends
 * the API server rejects (no name, name and number both set...) are left to api-validation; resource backends
 * name no Service. Paths without a valid pathType are not routes (graph.ingress.invalid) and are skipped too.
 */
export function serviceBackends(graph: ResolvedGraph): BackendRef[] {
  const out: BackendRef[] = [];
  const add = (
    ingress: Manifest<'Ingress'>,
    backend: IngressBackend,
    field: FieldPath,
    route: IngressRoute | null,
  ) => {
    const name = backend.service?.name;
    if (!name || validateIngressBackend(backend, field).length > 0) return;
    out.push({ ingress, backend, field, legacy: isLegacyBackend(ingress, field), route, serviceName: name });
  };
  for (const r of graph.ingress.routes) add(r.ingress, r.backend, r.field.child('backend'), r);
  for (const d of graph.ingress.defaultBackends) add(d.ingress, d.backend, d.field, null);
  return out;
}

/** `...backend.service.name`, or `...backend.serviceName` as written in v1beta1. */
export function serviceNameField(ref: BackendRef): FieldPath {
  return ref.legacy ? ref.field.child('serviceName') : ref.field.child('service', 'name');
}

/** `...backend.service.port.name|number`, or `...backend.servicePort` as written in v1beta1. */
export function servicePortField(ref: BackendRef): FieldPath {
  if (ref.legacy) return ref.field.child('servicePort');
  return ref.field.child('service', 'port', ref.backend.service?.port?.name ? 'name' : 'number');
}

/** The field names to use in a fix sentence, as the user wrote them. */
export function fieldWords(ref: BackendRef): { name: string; number: string; portName: string } {
  return ref.legacy
    ? { name: 'serviceName', number: 'servicePort', portName: 'servicePort' }
    : { name: 'service.name', number: 'port.number', portName: 'port.name' };
}

/** The backend port as written: `80` or `http`. */
export function backendPortText(backend: IngressBackend): string {
  const p = backend.service?.port;
  return p?.name ? p.name : String(p?.number ?? '?');
}

/** `Ingress shop -> Service web:80` (`Ingress shop defaultBackend -> ...` for the default backend). */
export function chainHead(ref: BackendRef): string {
  const where = ref.route ? '' : ' defaultBackend';
  return `Ingress ${ref.ingress.name}${where} -> Service ${ref.serviceName}:${backendPortText(ref.backend)}`;
}

/** The backend resolved as the API defines it (resolveIngressBackend, in the Ingress's namespace). */
export function resolveBackend(graph: ResolvedGraph, ref: BackendRef): BackendResolution {
  return resolveIngressBackend(ref.ingress.namespace, ref.backend, graph.ingressEnv);
}

/** `8080 (http)`, or `8080` for an unnamed port; the protocol only when it is not TCP. */
export function servicePortText(p: ServicePort): string {
  const proto = (p.protocol ?? 'TCP') === 'TCP' ? '' : `/${p.protocol}`;
  return `${p.port}${proto}${p.name ? ` (${p.name})` : ''}`;
}

/** `Deployment web`, `Pod web-0`: the object that defines a pod's spec. */
export function ownerText(pod: PodInstance): string {
  return `${pod.owner.kind} ${pod.owner.name}`;
}

/** One pod per owner: pods synthesised from one workload share one spec. */
export function podsByOwner(pods: readonly PodInstance[]): PodInstance[] {
  const seen = new Set<Manifest>();
  const out: PodInstance[] = [];
  for (const p of pods) {
    if (seen.has(p.owner)) continue;
    seen.add(p.owner);
    out.push(p);
  }
  return out;
}

/** Optimal-string-alignment distance is exactly 1: one insertion, deletion, substitution or transposition. */
export function oneEditAway(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true; // substitution
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // transposition
  }
  const [long, short] = a.length > b.length ? [a, b] : [b, a];
  return long.slice(i + 1) === short.slice(i);
}
