import { listText } from '../model/list-text.js';
import type { Manifest } from '../model/load.js';
import { workloadKinds } from '../model/types.js';
import type { ResolvedGraph } from '../semantics/graph.js';
import type { Rule } from './rule.js';
import {
  type BackendRef,
  backendPortText,
  chainHead,
  fieldWords,
  oneEditAway,
  resolveBackend,
  serviceBackends,
  serviceNameField,
} from './support/ingress-backends.js';

type Service = Manifest<'Service'>;

/** Services by namespace and by name, built once per check. */
interface ServiceIndex {
  readonly byNamespace: Map<string, Service[]>;
  readonly byName: Map<string, Service[]>;
}

function indexServices(graph: ResolvedGraph): ServiceIndex {
  const byNamespace = new Map<string, Service[]>();
  const byName = new Map<string, Service[]>();
  // In place: a dump repeats Service names across hundreds of namespaces, and copying made this quadratic.
  const push = (m: Map<string, Service[]>, k: string, s: Service) => {
    const list = m.get(k);
    if (list) list.push(s);
    else m.set(k, [s]);
  };
  for (const s of graph.ofKind('Service')) {
    push(byNamespace, s.namespace, s);
    push(byName, s.name, s);
  }
  return { byNamespace, byName };
}

/** Files that define part of an app (a Service, a Pod or a workload): the Ingress there is not alone. */
function appFiles(graph: ResolvedGraph): Set<string> {
  const kinds = new Set<string>(['Service', 'Pod', ...workloadKinds]);
  return new Set(graph.manifests.filter((m) => kinds.has(m.kind)).map((m) => m.source.file));
}

/** Whether a Service offers the backend's port (by name, or by number: never an unnamed port by name). */
function offersPort(s: Service, ref: BackendRef): boolean {
  const want = ref.backend.service?.port;
  return (s.object.spec.ports ?? []).some((p) =>
    want?.name ? p.name === want.name : want?.number !== undefined && p.port === want.number,
  );
}

const portsOf = (s: Service) => (s.object.spec.ports ?? []).map((p) => p.port).join(',');

/** `Service frontend:80`, or `Service frontend (ports 8080)` when it lacks the wanted port. */
function describeCandidate(s: Service, ref: BackendRef): string {
  if (offersPort(s, ref)) return `Service ${s.name}:${backendPortText(ref.backend)}`;
  const ports = portsOf(s);
  return `Service ${s.name} (${ports ? `ports ${ports}` : 'no ports'})`;
}

interface Candidates {
  /** Same name, other namespaces: an Ingress cannot reach them. */
  readonly elsewhere: Service[];
  /** Same namespace, a name one edit away. */
  readonly nearNames: Service[];
  /** Same namespace, another name, offering the wanted port. */
  readonly samePort: Service[];
}

function candidates(ref: BackendRef, index: ServiceIndex): Candidates {
  const ns = ref.ingress.namespace;
  const inNamespace = index.byNamespace.get(ns) ?? [];
  const nearNames = inNamespace.filter((s) => oneEditAway(s.name, ref.serviceName));
  const samePort = inNamespace.filter((s) => !nearNames.includes(s) && offersPort(s, ref));
  const elsewhere = (index.byName.get(ref.serviceName) ?? []).filter((s) => s.namespace !== ns);
  return { elsewhere, nearNames, samePort };
}

function hints(ref: BackendRef, c: Candidates): string[] {
  const out: string[] = [];
  if (c.elsewhere.length > 0) {
    const where = listText(
      c.elsewhere.map((s) => s.namespace),
      10,
    );
    out.push(
      `Service ${ref.serviceName} exists in namespace ${where}, but an Ingress may only reference Services in its own namespace`,
    );
  }
  for (const s of c.nearNames) out.push(`did you mean ${describeCandidate(s, ref)}? (one edit away)`);
  if (c.samePort.length > 0) {
    const shown = c.samePort.slice(0, 3).map((s) => describeCandidate(s, ref).replace(/^Service /, ''));
    const more = c.samePort.length > 3 ? ` (and ${c.samePort.length - 3} more)` : '';
    out.push(
      `Service${shown.length > 1 ? 's' : ''} ${listText(shown)}${more} exist${shown.length > 1 ? '' : 's'}`,
    );
  }
  return out;
}

function fixFor(ref: BackendRef, c: Candidates, partial: boolean): string {
  const ns = ref.ingress.namespace;
  const words = fieldWords(ref);
  const only = [...c.nearNames, ...c.samePort];
  if (c.elsewhere.length > 0 && only.length === 0)
    return `Create the Ingress in namespace ${c.elsewhere[0]?.namespace}, beside Service ${ref.serviceName} (a backend cannot name another namespace), or add the Service to namespace ${ns}.`;
  if (only.length === 1)
    return `Set ${words.name} to ${only[0]?.name}, or create Service ${ref.serviceName} in namespace ${ns}.`;
  if (partial)
    return `Check the manifests that define Service ${ref.serviceName} together with this Ingress, or correct ${words.name}.`;
  return `Create Service ${ref.serviceName} in namespace ${ns}, or set ${words.name} to an existing Service of that namespace.`;
}

/** The Service an Ingress backend names does not exist in the Ingress's namespace. */
export const ingressBackendServiceMissing: Rule = {
  meta: {
    id: 'ingress-backend-service-missing',
    severity: 'error',
    description:
      "An Ingress backend names a Service that is not in the Ingress's namespace; the controller answers 503.",
    docs: {
      details:
        "An Ingress backend (`rules[].http.paths[].backend`, `defaultBackend`, or v1beta1 `serviceName`) names a Service in the Ingress's own namespace: IngressServiceBackend has no namespace field. When that Service does not exist, ingress-nginx keeps the location with no endpoints and answers 503. The finding is an error when the input holds Services of that namespace, the Ingress's file also defines Services or workloads, the same name exists in another namespace, or the input is a cluster dump. A lone Ingress with no Service of its namespace in the input is partial input: the finding is then a warning, since the Service may be defined elsewhere. Hints: the same name in another namespace, a name one edit away, a Service offering the same port.",
      bad: `kind: Service
metadata: {name: frontend}
spec: {selector: {app: shop}, ports: [{port: 80, targetPort: 8080}]}
---
kind: Ingress
metadata: {name: shop}
spec:
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: shop-frontend, port: {number: 80}}}`,
      good: `kind: Ingress
metadata: {name: shop}
spec:
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: frontend, port: {number: 80}}}`,
    },
  },
  check(ctx) {
    const graph = ctx.graph;
    // One finding per Ingress and Service:port, at the first path that names it.
    const groups = new Map<string, { ref: BackendRef; count: number }>();
    for (const ref of serviceBackends(graph)) {
      const res = resolveBackend(graph, ref);
      if (res.ok || res.reason !== 'service-not-found') continue;
      const key = `${ref.ingress.namespace}/${ref.ingress.name}|${ref.serviceName}:${backendPortText(ref.backend)}`;
      const g = groups.get(key);
      if (g) g.count++;
      else groups.set(key, { ref, count: 1 });
    }
    if (groups.size === 0) return;
    const index = indexServices(graph);
    const files = appFiles(graph);
    for (const { ref, count } of groups.values()) {
      const ns = ref.ingress.namespace;
      const c = candidates(ref, index);
      // Proof that the Service should be here: a cluster dump, Services of that namespace, the app in the
      // Ingress's own file, or the Service itself in the wrong namespace.
      const proven =
        graph.hasLivePods ||
        (index.byNamespace.get(ns)?.length ?? 0) > 0 ||
        files.has(ref.ingress.source.file) ||
        c.elsewhere.length > 0;
      const what = proven
        ? `no Service ${ref.serviceName} in namespace ${ns}`
        : `no Service named ${ref.serviceName} in the input; if it lives elsewhere, check them together`;
      const also =
        count > 1 ? [`${count - 1} other path${count > 2 ? 's' : ''} of this Ingress name it too`] : [];
      ctx.report({
        manifest: ref.ingress,
        field: serviceNameField(ref),
        message: [`${chainHead(ref)}: ${what}`, ...hints(ref, c), ...also].join('; '),
        fix: fixFor(ref, c, !proven),
        severity: proven ? 'error' : 'warning',
      });
    }
  },
};
