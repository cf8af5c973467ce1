import type { Manifest } from '../model/load.js';
import type { IngressBackend } from '../model/types.js';
import type { ResolvedGraph } from '../semantics/graph.js';
import { defaultIngressClassName, effectiveIngressClass, type IngressRoute } from '../semantics/ingress.js';
import type { Rule } from './rule.js';

/** What a route sends traffic to: the Service (in the Ingress's namespace) and port, or a resource. */
function backendKey(ingress: Manifest<'Ingress'>, b: IngressBackend): string {
  if (b.service) {
    const p = b.service.port;
    return `svc:${ingress.namespace}/${b.service.name ?? ''}:${p?.name ? p.name : String(p?.number ?? '')}`;
  }
  const r = b.resource;
  return `res:${ingress.namespace}/${r?.apiGroup ?? ''}/${r?.kind ?? ''}/${r?.name ?? ''}`;
}

function backendText(b: IngressBackend): string {
  if (b.service) {
    const p = b.service.port;
    return `Service ${b.service.name ?? '?'}:${p?.name ? p.name : String(p?.number ?? '?')}`;
  }
  return `${b.resource?.kind ?? 'resource'} ${b.resource?.name ?? '?'}`;
}

function ingressText(route: IngressRoute, other: IngressRoute): string {
  if (route.ingress === other.ingress) return `${route.field.toString()} of the same Ingress`;
  const ns = route.ingress.namespace === other.ingress.namespace ? '' : `${route.ingress.namespace}/`;
  return `Ingress ${ns}${route.ingress.name} (${route.field.toString()})`;
}

/** What ingress-nginx does with the duplicate location: the first one defined stays ("already defined"). */
function winner(oldest: IngressRoute, r: IngressRoute): string {
  if (oldest.ingress === r.ingress) return 'ingress-nginx keeps the first one';
  return `ingress-nginx merges the Ingresses and the oldest wins: ${oldest.ingress.name}, by input order`;
}

/**
 * Routes grouped by what a controller would see as one location: the Ingress class (different classes are
 * served by different controllers), host (null = any host), path and pathType, in table order (= age).
 */
function groupRoutes(graph: ResolvedGraph): IngressRoute[][] {
  const defaultClass = defaultIngressClassName(graph.ofKind('IngressClass'));
  const groups = new Map<string, IngressRoute[]>();
  for (const r of graph.ingress.routes) {
    const cls = effectiveIngressClass(r.ingress, defaultClass).className ?? '';
    const key = JSON.stringify([cls, r.host, r.path, r.pathType]);
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}

/** Two Ingress paths claim the same host, path and pathType: which backend gets the traffic is up to the controller. */
export const ingressPathConflict: Rule = {
  meta: {
    id: 'ingress-path-conflict',
    severity: 'warning',
    description:
      'Two Ingress paths (in one Ingress or several) claim the same host, path and pathType with different backends; which one wins is controller-specific.',
    docs: {
      details:
        'The Ingress API does not say which of two identical paths wins. ingress-nginx merges every Ingress of a class into one server per host and keeps the oldest Ingress (creationTimestamp) for a host, path and pathType it has already defined; other controllers may take the newest, reject one, or load-balance. portchain takes input order as age. Only Ingresses of the same class (spec.ingressClassName, the kubernetes.io/ingress.class annotation, or the default IngressClass) are compared: different classes are served by different controllers. The finding is on the younger path and names the older one. Two identical paths with the same backend are only redundant (info).',
      bad: `kind: Ingress
metadata: {name: shop}
spec:
  rules:
  - host: shop.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
---
kind: Ingress
metadata: {name: shop-v2}
spec:
  rules:
  - host: shop.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web-v2, port: {number: 80}}}}]}`,
      good: `kind: Ingress
metadata: {name: shop-v2}
spec:
  rules:
  - host: shop.example.com
    http: {paths: [{path: /v2, pathType: Prefix, backend: {service: {name: web-v2, port: {number: 80}}}}]}`,
    },
  },
  check(ctx) {
    for (const group of groupRoutes(ctx.graph)) {
      const [oldest] = group as [IngressRoute];
      for (const r of group.slice(1)) {
        const where = `${r.host ?? '(any host)'} ${r.path} (${r.pathType})`;
        const same = backendKey(r.ingress, r.backend) === backendKey(oldest.ingress, oldest.backend);
        const head = `Ingress ${r.ingress.name} -> ${where}`;
        ctx.report(
          same
            ? {
                manifest: r.ingress,
                field: r.field.child('path'),
                message: `${head}: also defined by ${ingressText(oldest, r)} with the same backend ${backendText(r.backend)}; the duplicate is redundant`,
                fix: 'Remove one of the two identical paths.',
                severity: 'info',
              }
            : {
                manifest: r.ingress,
                field: r.field.child('path'),
                message: `${head} -> ${backendText(r.backend)}: ${ingressText(oldest, r)} already claims it for ${backendText(oldest.backend)}; which backend gets the traffic is controller-specific (${winner(oldest, r)})`,
                fix: 'Give each backend its own path or host, or remove one of the two paths.',
              },
        );
      }
    }
  },
};
