/** Shared inputs of the test/topology-*.test.ts files. */
import { check } from '../src/check.js';
import type { Finding } from '../src/model/finding.js';
import { buildTopology } from '../src/topology/build.js';
import type { Topology } from '../src/topology/model.js';

export const XSS = '<script>alert(1)</script>';

/**
 * Ingress shop -> Service web (80 -> http, 9100) -> Deployment web (2 pods) -> nginx and exporter, plus a
 * backend to a missing Service. `odd` goes into a label value, an annotation and the Ingress host.
 */
export function shopYaml(odd = 'shop'): string {
  const q = JSON.stringify(odd);
  return `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: ${q}}}
    spec:
      containers:
      - name: nginx
        image: nginxinc/nginx-unprivileged:1.27
        ports:
        - {name: http, containerPort: 8080}
      - name: exporter
        image: prom/node-exporter:v1.8.2
        ports:
        - {name: metrics, containerPort: 9100}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  annotations: {note: ${q}}
spec:
  selector: {app: web, tier: ${q}}
  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: metrics, port: 9100, targetPort: 9100}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: ${q}
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
`;
}

export function finding(o: Partial<Finding> & Pick<Finding, 'object' | 'field'>): Finding {
  return {
    rule: 'test-rule',
    severity: 'error',
    message: 'broken',
    location: { file: 'case.yaml', line: 1, column: 1 },
    ...o,
  };
}

/** A targetPort error on port 1 (metrics), an Ingress path warning and an info on the Service. */
export function shopFindings(message = 'broken'): Finding[] {
  const svc = { apiVersion: 'v1', kind: 'Service', namespace: 'shop', name: 'web' };
  return [
    finding({ object: svc, field: 'spec.ports[1].targetPort', message }),
    finding({
      object: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'shop', name: 'shop' },
      field: 'spec.rules[0].http.paths[1].backend',
      severity: 'warning',
      message: `no Service api ${message}`,
    }),
    finding({ object: svc, field: null, severity: 'info', message: 'a note' }),
  ];
}

/** The shop topology, with no rule run and the given findings attached. */
export function shopTopology(odd = 'shop', findings: Finding[] = shopFindings()): Topology {
  const r = check([{ name: 'case.yaml', text: shopYaml(odd) }], { rules: [] });
  return buildTopology(r.graph, findings);
}
