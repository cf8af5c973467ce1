/**
 * Ingress (networking.k8s.io/v1) routing as the API defines it and ingress-nginx implements it: which Ingresses
 * a controller serves (IngressClass), which rule or default backend a request reaches (host, then path), and
 * what the backend's Service port means (ServiceBackendPort: a Service port, never a targetPort).
 *
 * Sources: kubernetes/website content/en/docs/concepts/services-networking/ingress.md (host and path tables,
 * default backend), the networking/v1 API docs (IngressSpec, ServiceBackendPort),
 * kubernetes-sigs/ingress-controller-conformance features/*.feature, kubernetes/ingress-nginx
 * internal/ingress/controller/controller.go (createServers, serviceEndpoints) and store.go (GetIngressClass),
 * kubernetes/kubernetes plugin/pkg/admission/network/defaultingressclass/admission.go.
 *
 * Everything here is pure: no I/O, no mutation of the manifests.
 */
import { FieldPath } from '../model/field-path.js';
import type { Manifest } from '../model/load.js';
import type { IngressBackend, ServicePort } from '../model/types.js';

// ---------------------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------------------

export type IngressPathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

/** One `spec.rules[i].http.paths[j]` of a served Ingress. */
export interface IngressRoute {
  readonly ingress: Manifest<'Ingress'>;
  /** Lower-cased `rules[i].host`; null when the rule has no host (it applies to any host). */
  readonly host: string | null;
  /** As written; an empty ImplementationSpecific path is `/` (ingress-nginx rootLocation). */
  readonly path: string;
  readonly pathType: IngressPathType;
  readonly backend: IngressBackend;
  /** `spec.rules[i].http.paths[j]`. */
  readonly field: FieldPath;
  readonly ruleIndex: number;
  readonly pathIndex: number;
  /** Position in the merged table (Ingress input order, then rule, then path): the final tie-break. */
  readonly order: number;
}

/** `spec.defaultBackend` of a served Ingress (`spec.backend` when written as v1beta1). */
export interface IngressDefaultBackend {
  readonly ingress: Manifest<'Ingress'>;
  readonly backend: IngressBackend;
  readonly field: FieldPath;
  /** Index of the Ingress among the served ones (input order). */
  readonly order: number;
}

/** A rule that names a host, with or without paths: a host with no `http` still claims that host. */
export interface IngressHostRule {
  readonly ingress: Manifest<'Ingress'>;
  readonly host: string;
  readonly ruleIndex: number;
  /** `spec.rules[i].host`. */
  readonly field: FieldPath;
}

/** An Ingress the controller does not serve, and why. */
export interface IngressExclusion {
  readonly ingress: Manifest<'Ingress'>;
  /** The class the Ingress ends up with (field, annotation or admission default), null when none. */
  readonly className: string | null;
  readonly classSource: IngressClassSource;
  readonly reason: 'ingress-class' | 'no-class';
  readonly detail: string;
}

/** A path the API server would have rejected (no or unknown pathType, relative path); never routed. */
export interface IngressInvalidPath {
  readonly ingress: Manifest<'Ingress'>;
  readonly field: FieldPath;
  readonly detail: string;
}

export interface IngressRouteTable {
  /** The served Ingresses, in input order (= age order: oldest first). */
  readonly ingresses: readonly Manifest<'Ingress'>[];
  readonly routes: readonly IngressRoute[];
  readonly defaultBackends: readonly IngressDefaultBackend[];
  readonly hosts: readonly IngressHostRule[];
  readonly excluded: readonly IngressExclusion[];
  readonly invalid: readonly IngressInvalidPath[];
}

export interface IngressRoutesOptions {
  /**
   * The class the controller serves (ingress-nginx `--ingress-class`, matched against `ingressClassName` and
   * against the legacy `kubernetes.io/ingress.class` annotation). null/undefined: no filtering at all.
   */
  readonly ingressClass?: string | null;
  /**
   * The cluster's default IngressClass name. undefined: derived from `classes`; null: there is none.
   */
  readonly defaultClassName?: string | null;
  /** IngressClass objects, to find the default class (`ingressclass.kubernetes.io/is-default-class`). */
  readonly classes?: readonly Manifest<'IngressClass'>[];
  /**
   * Whether an Ingress that ends up with no class at all is served (ingress-nginx
   * `--watch-ingress-without-class`). Default: true when neither `classes` nor `defaultClassName` was given
   * (no class information: assume it is served), false otherwise.
   */
  readonly withoutClass?: boolean;
}

/** The legacy class annotation, deprecated but still honoured by controllers (IngressSpec.ingressClassName doc). */
export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
/** networking/v1 AnnotationIsDefaultIngressClass. */
export const DEFAULT_INGRESS_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

/**
 * The default IngressClass the DefaultIngressClass admission plugin would assign: among classes annotated
 * `is-default-class: "true"`, the newest (creationTimestamp), ties broken by name ascending (getDefaultClass;
 * releases before 1.28 rejected the Ingress instead when there were several). A missing timestamp counts as
 * the zero time, i.e. oldest.
 */
export function defaultIngressClassName(classes: readonly Manifest<'IngressClass'>[]): string | null {
  const defaults = classes.filter(
    (c) => c.object.metadata.annotations?.[DEFAULT_INGRESS_CLASS_ANNOTATION] === 'true',
  );
  const time = (c: Manifest<'IngressClass'>) => {
    const t = Date.parse(c.object.metadata.creationTimestamp ?? '');
    return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
  };
  defaults.sort((a, b) => {
    const ta = time(a);
    const tb = time(b);
    if (ta !== tb) return tb - ta;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  return defaults[0]?.name ?? null;
}

export type IngressClassSource = 'field' | 'annotation' | 'default' | 'none';

/**
 * The class an Ingress ends up with: `spec.ingressClassName`, else the legacy annotation, else (admission
 * time, only when neither is set) the cluster default class. The API server rejects both set at once.
 */
export function effectiveIngressClass(
  ingress: Manifest<'Ingress'>,
  defaultClassName: string | null,
): { className: string | null; source: IngressClassSource } {
  const field = ingress.object.spec?.ingressClassName;
  if (field) return { className: field, source: 'field' };
  const annotation = ingress.object.metadata.annotations?.[INGRESS_CLASS_ANNOTATION];
  if (annotation !== undefined) return { className: annotation, source: 'annotation' };
  if (defaultClassName) return { className: defaultClassName, source: 'default' };
  return { className: null, source: 'none' };
}

const PATH_TYPES: ReadonlySet<string> = new Set(['Exact', 'Prefix', 'ImplementationSpecific']);

/** The field a default backend was written at: `spec.backend` in a v1beta1 manifest. */
function defaultBackendField(ingress: Manifest<'Ingress'>): FieldPath {
  const spec = ingress.raw.spec;
  const legacy =
    typeof spec === 'object' && spec !== null && 'backend' in spec && !('defaultBackend' in spec);
  return FieldPath.root('spec', legacy ? 'backend' : 'defaultBackend');
}

/**
 * Flattens the Ingresses a controller serves into routes, default backends and host claims.
 *
 * Class filtering (only when `options.ingressClass` is set): an Ingress is served when its class (see
 * effectiveIngressClass) equals the controller's. An Ingress with no class and no annotation was given the
 * default class at admission, so the controller that is the default class takes it; when no default class is
 * known it has no class, and is served only with `withoutClass` (true when no class information was given).
 * Class names are compared by name; an IngressClass's `spec.controller` is not modelled.
 *
 * Merging: rules of every served Ingress are kept in one table (ingress-nginx builds one nginx server per
 * host from all Ingresses, across namespaces). Input order stands for age: ingress-nginx sorts Ingresses by
 * creationTimestamp, and on the same host, path and pathType the oldest wins ("already defined").
 */
export function ingressRoutes(
  ingresses: readonly Manifest<'Ingress'>[],
  options: IngressRoutesOptions = {},
): IngressRouteTable {
  const controllerClass = options.ingressClass ?? null;
  const classInfo = options.defaultClassName !== undefined || options.classes !== undefined;
  const defaultClass =
    options.defaultClassName !== undefined
      ? options.defaultClassName
      : defaultIngressClassName(options.classes ?? []);
  const withoutClass = options.withoutClass ?? !classInfo;

  const served: Manifest<'Ingress'>[] = [];
  const excluded: IngressExclusion[] = [];
  for (const ing of ingresses) {
    if (controllerClass === null) {
      served.push(ing);
      continue;
    }
    const { className, source } = effectiveIngressClass(ing, defaultClass);
    if (className === null) {
      if (withoutClass) served.push(ing);
      else
        excluded.push({
          ingress: ing,
          className,
          classSource: source,
          reason: 'no-class',
          detail: `Ingress has no class (no ingressClassName, no ${INGRESS_CLASS_ANNOTATION} annotation, no default IngressClass); the controller for class "${controllerClass}" ignores it unless it watches Ingresses without class`,
        });
    } else if (className === controllerClass) served.push(ing);
    else
      excluded.push({
        ingress: ing,
        className,
        classSource: source,
        reason: 'ingress-class',
        detail: `Ingress class "${className}" (${source === 'default' ? 'default class assigned at admission' : source === 'field' ? 'spec.ingressClassName' : `annotation ${INGRESS_CLASS_ANNOTATION}`}) is not the controller's class "${controllerClass}"`,
      });
  }

  const routes: IngressRoute[] = [];
  const defaultBackends: IngressDefaultBackend[] = [];
  const hosts: IngressHostRule[] = [];
  const invalid: IngressInvalidPath[] = [];
  served.forEach((ing, ingIndex) => {
    const spec = ing.object.spec ?? {};
    if (spec.defaultBackend) {
      defaultBackends.push({
        ingress: ing,
        backend: spec.defaultBackend,
        field: defaultBackendField(ing),
        order: ingIndex,
      });
    }
    (spec.rules ?? []).forEach((rule, ruleIndex) => {
      const ruleField = FieldPath.root('spec', 'rules').index(ruleIndex);
      const host = rule.host ? rule.host.toLowerCase() : null;
      if (host !== null) hosts.push({ ingress: ing, host, ruleIndex, field: ruleField.child('host') });
      (rule.http?.paths ?? []).forEach((p, pathIndex) => {
        const field = ruleField.child('http', 'paths').index(pathIndex);
        const pathType = p.pathType;
        if (pathType === undefined || !PATH_TYPES.has(pathType)) {
          invalid.push({
            ingress: ing,
            field: field.child('pathType'),
            detail:
              pathType === undefined
                ? 'pathType must be specified'
                : `unsupported pathType "${pathType}" (Exact, ImplementationSpecific, Prefix)`,
          });
          return;
        }
        let path = p.path ?? '';
        // ImplementationSpecific may be empty (validation.go); ingress-nginx reads "" as rootLocation "/".
        if (pathType === 'ImplementationSpecific' && path === '') path = '/';
        if (!path.startsWith('/')) {
          invalid.push({ ingress: ing, field: field.child('path'), detail: 'must be an absolute path' });
          return;
        }
        routes.push({
          ingress: ing,
          host,
          path,
          pathType: pathType as IngressPathType,
          backend: p.backend ?? {},
          field,
          ruleIndex,
          pathIndex,
          order: routes.length,
        });
      });
    });
  });
  return { ingresses: served, routes, defaultBackends, hosts, excluded, invalid };
}

// ---------------------------------------------------------------------------------------------------------
// Host and path matching
// ---------------------------------------------------------------------------------------------------------

/**
 * The Host header as a server name: lower-cased, port stripped (`foo:80`, `[::1]:80`), trailing dot removed
 * (nginx ngx_http_validate_host). An empty result means a request without a usable host (e.g. a bare IP
 * request with no Host header); it can only reach host-less rules.
 */
export function normalizeRequestHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(1, end);
  }
  const colon = h.indexOf(':');
  if (colon >= 0 && colon === h.lastIndexOf(':')) h = h.slice(0, colon);
  while (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/**
 * `*.foo.com` matches exactly one extra leading label: `bar.foo.com`, not `baz.bar.foo.com` nor `foo.com`
 * (ingress.md "Hostname wildcards" table, conformance host_rules.feature).
 */
export function wildcardHostMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1);
  if (!host.endsWith(suffix)) return false;
  const label = host.slice(0, host.length - suffix.length);
  return label.length > 0 && !label.includes('.');
}

/**
 * The request path as nginx matches it: query string and fragment dropped, percent-decoded, `//` merged and
 * `.`/`..` segments resolved (ngx_http_parse_complex_uri; other controllers may differ). Always absolute.
 */
export function normalizeRequestPath(raw: string): string {
  let p = raw;
  const cut = p.search(/[?#]/);
  if (cut >= 0) p = p.slice(0, cut);
  try {
    p = decodeURIComponent(p);
  } catch {
    // malformed escapes: nginx answers 400; match the text as written
  }
  const trailing = /\/(\.{0,2})$/.test(p) && p !== '';
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  const joined = `/${out.join('/')}`;
  return trailing && joined !== '/' ? `${joined}/` : joined;
}

const elements = (p: string): string[] => p.split('/').filter((s) => s !== '');

/**
 * Whether a rule path matches a (normalised) request path. Exact: case-sensitive equality, `/foo` ≠ `/foo/`.
 * Prefix: element-wise on `/`-separated labels, case-sensitive, trailing slash ignored on both sides
 * (`/foo` matches `/foo`, `/foo/`, `/foo/bar`; `/aaa` does not match `/aaaccc`; `/` matches everything).
 * ImplementationSpecific: treated as Prefix, the meaning ingress-nginx gives it once normalised; see
 * IngressMatchQuirk for the string-prefix location it actually writes.
 */
export function ingressPathMatches(
  pathType: IngressPathType,
  rulePath: string,
  requestPath: string,
): boolean {
  if (pathType === 'Exact') return rulePath === requestPath;
  const rule = elements(rulePath);
  const req = elements(requestPath);
  if (rule.length > req.length) return false;
  return rule.every((e, i) => e === req[i]);
}

/** Path length used for "longest path wins": Prefix-like paths ignore their trailing slash, as they match. */
function effectiveLength(route: IngressRoute): number {
  if (route.pathType === 'Exact') return route.path.length;
  return route.path.length > 1 && route.path.endsWith('/') ? route.path.length - 1 : route.path.length;
}

// ---------------------------------------------------------------------------------------------------------
// Request matching
// ---------------------------------------------------------------------------------------------------------

export interface IngressRequest {
  /** The Host header (may carry a port); "" for a request to a bare IP without one. */
  readonly host: string;
  /** The request target's path; a query string is ignored. */
  readonly path: string;
}

export type IngressVia = 'rule' | 'ingressDefaultBackend' | 'controllerDefaultBackend';

export type IngressLossReason =
  /** The rule's host is not the request's host. */
  | 'host-mismatch'
  /** The rule's host (wildcard or none) also fits, but a more specific host claimed the request. */
  | 'host-shadowed'
  | 'path-mismatch'
  /** The path matches, but a longer matching path won. */
  | 'shorter-path'
  /** Equal length: Exact beats Prefix/ImplementationSpecific. */
  | 'exact-preferred'
  /** Same length and precedence: the older (earlier) route won. */
  | 'earlier-route'
  /** A default backend not used because a rule matched. */
  | 'rule-matched'
  /** A default backend of an Ingress that has no rule for the selected host. */
  | 'other-host'
  /** Another default backend was chosen first (older Ingress). */
  | 'earlier-default-backend';

export interface IngressConsidered {
  readonly kind: 'rule' | 'defaultBackend';
  readonly route?: IngressRoute;
  readonly defaultBackend?: IngressDefaultBackend;
  readonly selected: boolean;
  /** Absent when selected. */
  readonly reason?: IngressLossReason;
  readonly detail: string;
}

/** Where ingress-nginx's actual behaviour departs from the API semantics used for the verdict. */
export interface IngressMatchQuirk {
  readonly kind: 'ingress-nginx-default-backend' | 'ingress-nginx-implementation-specific-prefix';
  readonly detail: string;
  readonly route?: IngressRoute;
}

export interface IngressMatch {
  readonly via: IngressVia;
  readonly route?: IngressRoute;
  readonly defaultBackend?: IngressDefaultBackend;
  /** The backend that receives the request; null = the controller's own default backend (404). */
  readonly backend: IngressBackend | null;
  /** The Ingress whose backend is used (its namespace is where the Service is looked up). */
  readonly ingress: Manifest<'Ingress'> | null;
  readonly request: {
    readonly host: string;
    readonly path: string;
    /** The rule host that claimed the request; null when only host-less rules applied. */
    readonly selectedHost: string | null;
    readonly hostMatch: 'exact' | 'wildcard' | 'none';
  };
  /** Every route and default backend, with why it won or lost (for `trace`). */
  readonly considered: readonly IngressConsidered[];
  readonly quirks: readonly IngressMatchQuirk[];
}

const describeRoute = (r: IngressRoute): string =>
  `${r.ingress.namespace}/${r.ingress.name} ${r.field.toString()} (${r.host ?? '*'} ${r.path} ${r.pathType})`;

/**
 * Routes one request.
 *
 * Host: an exact rule host beats a wildcard one, which beats host-less rules (nginx server_name precedence;
 * ING-73..76). Once a host is claimed, only that host's rules are tried: an unmatched path does not fall back
 * to a wildcard or host-less rule but goes to the default backend (ingress.md wildcard example, ING-55).
 * A host named by a rule without `http` still claims the host.
 *
 * Path: among the claimed host's rules (merged across Ingresses), the longest matching path wins; at equal
 * length Exact beats Prefix/ImplementationSpecific; then the older route (input order) wins.
 *
 * Default backend (precedence: matching rule > Ingress defaultBackend > controller default, 404): when a host
 * was claimed, the defaultBackend of the oldest Ingress with a rule for that host that has one; otherwise the
 * oldest served Ingress's defaultBackend (ingress.md: requests matching no host or path go to the default
 * backend). ingress-nginx is narrower (createServers): a host's unmatched paths use the defaultBackend of the
 * Ingress that first declared the host only, and the catch-all server only takes defaultBackends of Ingresses
 * without rules; such differences are reported in `quirks`.
 */
export function matchIngressRequest(table: IngressRouteTable, request: IngressRequest): IngressMatch {
  const host = normalizeRequestHost(request.host);
  const path = normalizeRequestPath(request.path);

  // 1. The host that claims the request.
  let selectedHost: string | null = null;
  let hostMatch: 'exact' | 'wildcard' | 'none' = 'none';
  if (host !== '') {
    if (table.hosts.some((h) => h.host === host)) {
      selectedHost = host;
      hostMatch = 'exact';
    } else {
      // At most one wildcard fits: it must equal `*.` + the host minus its first label.
      const wildcard = table.hosts.find((h) => wildcardHostMatches(h.host, host));
      if (wildcard) {
        selectedHost = wildcard.host;
        hostMatch = 'wildcard';
      }
    }
  }
  const hostFits = (ruleHost: string | null): boolean =>
    ruleHost === null || ruleHost === host || wildcardHostMatches(ruleHost, host);

  // 2. The rules of that host whose path matches.
  const considered: IngressConsidered[] = [];
  const candidates: IngressRoute[] = [];
  const lost = new Map<IngressRoute, IngressConsidered>();
  for (const r of table.routes) {
    if (r.host !== selectedHost) {
      const shadowed = hostFits(r.host);
      lost.set(r, {
        kind: 'rule',
        route: r,
        selected: false,
        reason: shadowed ? 'host-shadowed' : 'host-mismatch',
        detail: shadowed
          ? `host ${r.host ?? '(any)'} also fits, but ${hostMatch === 'exact' ? 'the exact host' : 'the wildcard host'} ${selectedHost} claimed the request; unmatched paths there do not fall back`
          : `host ${r.host} does not match ${host === '' ? '(no host)' : host}`,
      });
    } else if (!ingressPathMatches(r.pathType, r.path, path)) {
      lost.set(r, {
        kind: 'rule',
        route: r,
        selected: false,
        reason: 'path-mismatch',
        detail: `${r.pathType} ${r.path} does not match ${path}`,
      });
    } else candidates.push(r);
  }
  candidates.sort((a, b) => {
    const byLength = effectiveLength(b) - effectiveLength(a);
    if (byLength !== 0) return byLength;
    const exact = (r: IngressRoute) => (r.pathType === 'Exact' ? 0 : 1);
    const byType = exact(a) - exact(b);
    return byType !== 0 ? byType : a.order - b.order;
  });
  const winner = candidates[0];
  for (const c of candidates.slice(1)) {
    const w = winner as IngressRoute;
    const reason: IngressLossReason =
      effectiveLength(w) > effectiveLength(c)
        ? 'shorter-path'
        : w.pathType === 'Exact' && c.pathType !== 'Exact'
          ? 'exact-preferred'
          : 'earlier-route';
    lost.set(c, {
      kind: 'rule',
      route: c,
      selected: false,
      reason,
      detail:
        reason === 'shorter-path'
          ? `${c.path} matches, but the longer path ${w.path} wins`
          : reason === 'exact-preferred'
            ? `${c.path} (${c.pathType}) matches, but Exact ${w.path} of the same length wins`
            : `${c.path} (${c.pathType}) is also defined by ${describeRoute(w)}, which is older and wins`,
    });
  }
  for (const r of table.routes) {
    if (r === winner)
      considered.push({
        kind: 'rule',
        route: r,
        selected: true,
        detail: `${r.pathType} ${r.path} on ${r.host ?? '(any host)'} matches ${path}`,
      });
    else considered.push(lost.get(r) as IngressConsidered);
  }

  // 3. Default backend when no rule matched.
  const quirks: IngressMatchQuirk[] = [];
  let chosenDefault: IngressDefaultBackend | undefined;
  const hostIngresses =
    selectedHost === null
      ? null
      : new Set(table.hosts.filter((h) => h.host === selectedHost).map((h) => h.ingress));
  if (!winner) {
    chosenDefault = table.defaultBackends.find((d) => hostIngresses === null || hostIngresses.has(d.ingress));
    quirks.push(...defaultBackendQuirks(table, selectedHost, chosenDefault));
  }
  for (const d of table.defaultBackends) {
    if (d === chosenDefault) {
      considered.push({
        kind: 'defaultBackend',
        defaultBackend: d,
        selected: true,
        detail: `no rule matched ${host || '(no host)'}${path}; ${d.ingress.namespace}/${d.ingress.name} ${d.field.toString()} takes it`,
      });
      continue;
    }
    const reason: IngressLossReason = winner
      ? 'rule-matched'
      : hostIngresses !== null && !hostIngresses.has(d.ingress)
        ? 'other-host'
        : 'earlier-default-backend';
    considered.push({
      kind: 'defaultBackend',
      defaultBackend: d,
      selected: false,
      reason,
      detail:
        reason === 'rule-matched'
          ? 'a rule matched, so no default backend is used'
          : reason === 'other-host'
            ? `${d.ingress.namespace}/${d.ingress.name} has no rule for host ${selectedHost}, which claimed the request`
            : 'an older Ingress default backend was chosen',
    });
  }

  // ingress-nginx writes ImplementationSpecific paths as plain nginx prefix locations: `/foo` matches `/foobar`.
  for (const r of table.routes) {
    if (r.host !== selectedHost || r.pathType !== 'ImplementationSpecific') continue;
    if (!ingressPathMatches('Prefix', r.path, path) && path.startsWith(r.path)) {
      quirks.push({
        kind: 'ingress-nginx-implementation-specific-prefix',
        route: r,
        detail: `ingress-nginx matches ImplementationSpecific ${r.path} as a string prefix, so it would also take ${path}`,
      });
    }
  }

  const requestInfo = { host, path, selectedHost, hostMatch };
  if (winner) {
    return {
      via: 'rule',
      route: winner,
      backend: winner.backend,
      ingress: winner.ingress,
      request: requestInfo,
      considered,
      quirks,
    };
  }
  if (chosenDefault) {
    return {
      via: 'ingressDefaultBackend',
      defaultBackend: chosenDefault,
      backend: chosenDefault.backend,
      ingress: chosenDefault.ingress,
      request: requestInfo,
      considered,
      quirks,
    };
  }
  return {
    via: 'controllerDefaultBackend',
    backend: null,
    ingress: null,
    request: requestInfo,
    considered,
    quirks,
  };
}

/** createServers in ingress-nginx controller.go: which defaultBackend nginx would really use. */
function defaultBackendQuirks(
  table: IngressRouteTable,
  selectedHost: string | null,
  chosen: IngressDefaultBackend | undefined,
): IngressMatchQuirk[] {
  const name = (d: IngressDefaultBackend | undefined) =>
    d
      ? `${d.ingress.namespace}/${d.ingress.name} ${d.field.toString()}`
      : "the controller's default backend (404)";
  let nginx: IngressDefaultBackend | undefined;
  if (selectedHost !== null) {
    // The server's root location uses the defaultBackend of the Ingress that first declared the host.
    const owner = table.hosts.find((h) => h.host === selectedHost)?.ingress;
    nginx = table.defaultBackends.find((d) => d.ingress === owner);
  } else {
    // The catch-all server `_` only takes the defaultBackend of an Ingress without rules.
    nginx = table.defaultBackends.find((d) => (d.ingress.object.spec?.rules ?? []).length === 0);
  }
  if (nginx === chosen) return [];
  return [
    {
      kind: 'ingress-nginx-default-backend',
      detail: `ingress-nginx would send this unmatched request to ${name(nginx)}, not ${name(chosen)}`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Backend resolution
// ---------------------------------------------------------------------------------------------------------

export interface IngressBackendEnv {
  service(namespace: string, name: string): Manifest<'Service'> | undefined;
  /** Ready endpoints behind one Service port (EndpointSlice endpoints with ready != false). */
  readyEndpoints(service: Manifest<'Service'>, servicePortIndex: number): number;
}

/** Where ingress-nginx's choice of Service port departs from the API meaning (serviceEndpoints). */
export interface IngressBackendQuirk {
  readonly kind: /** The API finds no such Service port, ingress-nginx still routes (it also matches targetPort). */
    | 'ingress-nginx-targetport-match'
    /** Both find a port, but ingress-nginx's first-match loop picks another one. */
    | 'ingress-nginx-different-port'
    /** ingress-nginx only reads TCP endpoints; this Service port is not TCP. */
    | 'ingress-nginx-non-tcp-port';
  readonly servicePortIndex: number;
  readonly detail: string;
}

export type BackendFailureReason =
  | 'service-not-found'
  | 'port-not-found'
  | 'no-ready-endpoints'
  | 'resource-backend'
  | 'no-backend';

export type BackendResolution =
  | {
      readonly ok: true;
      readonly service: Manifest<'Service'>;
      readonly servicePortIndex: number;
      readonly servicePort: ServicePort;
      readonly readyEndpoints: number;
      /** ExternalName Services: the controller proxies to this name (no endpoints needed). */
      readonly externalName?: string;
      readonly quirks: readonly IngressBackendQuirk[];
    }
  | {
      readonly ok: false;
      readonly reason: BackendFailureReason;
      readonly detail: string;
      readonly service?: Manifest<'Service'>;
      readonly servicePortIndex?: number;
      readonly servicePort?: ServicePort;
      readonly readyEndpoints?: number;
      readonly quirks: readonly IngressBackendQuirk[];
    };

const portLabel = (p: ServicePort, i: number) =>
  `spec.ports[${i}] (${p.name ? `${p.name}: ` : ''}${p.port}/${p.protocol ?? 'TCP'} -> ${p.targetPort ?? p.port})`;

/**
 * ingress-nginx serviceEndpoints: the first Service port whose port, targetPort (`IntOrString.String()`) or
 * name equals the backend port as a string.
 */
function ingressNginxPortIndex(ports: readonly ServicePort[], backendPort: string): number {
  return ports.findIndex(
    (p) =>
      String(p.port) === backendPort ||
      String(p.targetPort ?? p.port) === backendPort ||
      p.name === backendPort,
  );
}

/**
 * networking/v1 ServiceBackendPort: `number` is "the numerical port number (e.g. 80) on the Service", `name`
 * "the name of the port on the Service" — never a targetPort or containerPort. The Service must be in the
 * Ingress's namespace (IngressServiceBackend has no namespace). A name set together with a number (rejected by
 * validation) is looked up by name. With several Service ports of one number (53 TCP and UDP), the TCP one is
 * taken. Then the controller needs ready endpoints for that port (ingress-nginx
 * answers 503 when the Service, the port or ready endpoints are missing: balancer.lua, PR #1513).
 */
export function resolveIngressBackend(
  ingressNamespace: string,
  backend: IngressBackend,
  env: IngressBackendEnv,
): BackendResolution {
  const ref = backend.service;
  if (!ref) {
    if (backend.resource) {
      const r = backend.resource;
      return {
        ok: false,
        reason: 'resource-backend',
        detail: `resource backend ${r.apiGroup ? `${r.apiGroup}/` : ''}${r.kind ?? '?'} ${r.name ?? '?'}: not a Service; ingress-nginx ignores it and uses its default backend`,
        quirks: [],
      };
    }
    return {
      ok: false,
      reason: 'no-backend',
      detail: 'the backend names neither a service nor a resource',
      quirks: [],
    };
  }
  if (!ref.name) return { ok: false, reason: 'no-backend', detail: 'service.name is empty', quirks: [] };
  const service = env.service(ingressNamespace, ref.name);
  if (!service) {
    return {
      ok: false,
      reason: 'service-not-found',
      detail: `Service ${ingressNamespace}/${ref.name} not found (a backend Service must be in the Ingress's namespace)`,
      quirks: [],
    };
  }
  const ports = service.object.spec.ports ?? [];
  const want = ref.port ?? {};
  let index = -1;
  let wanted: string;
  if (want.name) {
    wanted = `port name "${want.name}"`;
    index = ports.findIndex((p) => p.name === want.name);
  } else if (want.number) {
    wanted = `port number ${want.number}`;
    const tcp = ports.findIndex((p) => p.port === want.number && (p.protocol ?? 'TCP') === 'TCP');
    index = tcp >= 0 ? tcp : ports.findIndex((p) => p.port === want.number);
  } else {
    return {
      ok: false,
      reason: 'port-not-found',
      detail: 'the backend sets neither service.port.name nor service.port.number',
      service,
      quirks: [],
    };
  }

  const quirks: IngressBackendQuirk[] = [];
  const nginxIndex = ingressNginxPortIndex(ports, want.name ? want.name : String(want.number));
  const nginxPort = ports[nginxIndex];
  if (nginxPort && index < 0) {
    quirks.push({
      kind: 'ingress-nginx-targetport-match',
      servicePortIndex: nginxIndex,
      detail: `ingress-nginx also matches a Service port by targetPort and would route ${wanted} to ${portLabel(nginxPort, nginxIndex)}; per the API, ${wanted} is not a port of Service ${service.name}`,
    });
  } else if (nginxPort && nginxIndex !== index) {
    quirks.push({
      kind: 'ingress-nginx-different-port',
      servicePortIndex: nginxIndex,
      detail: `ingress-nginx takes the first Service port whose port, targetPort or name equals ${want.name ?? want.number}: ${portLabel(nginxPort, nginxIndex)}`,
    });
  }

  const servicePort = ports[index];
  if (!servicePort) {
    const have = ports.map((p, i) => portLabel(p, i)).join(', ') || 'no ports';
    return {
      ok: false,
      reason: 'port-not-found',
      detail: `Service ${service.namespace}/${service.name} has no ${wanted} (it has ${have}); an Ingress names the Service port, not the targetPort`,
      service,
      quirks,
    };
  }
  const nginxEffective = nginxIndex >= 0 ? nginxIndex : index;
  if ((ports[nginxEffective]?.protocol ?? 'TCP') !== 'TCP') {
    quirks.push({
      kind: 'ingress-nginx-non-tcp-port',
      servicePortIndex: nginxEffective,
      detail:
        'ingress-nginx reads only TCP endpoints of a Service port (getEndpointsFromSlices with ProtocolTCP)',
    });
  }
  const readyEndpoints = env.readyEndpoints(service, index);
  if (service.object.spec.type === 'ExternalName') {
    // ingress-nginx proxies to spec.externalName (serviceEndpoints, externalNamePorts).
    return {
      ok: true,
      service,
      servicePortIndex: index,
      servicePort,
      readyEndpoints,
      externalName: service.object.spec.externalName ?? '',
      quirks,
    };
  }
  if (readyEndpoints <= 0) {
    return {
      ok: false,
      reason: 'no-ready-endpoints',
      detail: `Service ${service.namespace}/${service.name} ${portLabel(servicePort, index)} has no ready endpoints`,
      service,
      servicePortIndex: index,
      servicePort,
      readyEndpoints,
      quirks,
    };
  }
  return { ok: true, service, servicePortIndex: index, servicePort, readyEndpoints, quirks };
}

export type IngressStatus = 200 | 404 | 503;

/**
 * The HTTP status the client sees (ingress-nginx, conformance suite): 404 from the controller's default
 * backend when nothing matched; 200 when the chosen backend resolves to ready endpoints; 503 when the
 * backend's Service or port is missing or has no ready endpoints. A resource backend gives 404: ingress-nginx
 * skips such paths and the request lands on the default backend. `resolution` is that of `match.backend`
 * (resolved in `match.ingress`'s namespace); it is ignored when the backend is null.
 */
export function ingressResponseStatus(
  match: IngressMatch,
  resolution: BackendResolution | null | undefined,
): IngressStatus {
  if (match.backend === null || match.via === 'controllerDefaultBackend') return 404;
  if (!resolution) return 503;
  if (resolution.ok) return 200;
  return resolution.reason === 'resource-backend' ? 404 : 503;
}
