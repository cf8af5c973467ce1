/**
 * The smallest ingress set-up the ingress controller's tests route through: one Ingress (host a.example.com,
 * path / Prefix -> Service a port 80) whose Service has a single endpoint the test names.
 */
import { loadText, type Manifest } from '../../src/model/load.js';
import { type IngressController, startIngressController } from '../../src/runtime/ingress-controller.js';
import { ingressRoutes } from '../../src/semantics/ingress.js';

const ONE_ROUTE_INGRESS = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i, namespace: ns}
spec:
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}
`;

/** A controller on `host` (a free port) routing a.example.com/ to `target`; the caller closes it. */
export function oneRouteController(
  target: { ip: string; port: number },
  host: string,
): Promise<IngressController> {
  const table = ingressRoutes(
    loadText({ name: 'i.yaml', text: ONE_ROUTE_INGRESS }).manifests as Manifest<'Ingress'>[],
  );
  return startIngressController(
    {
      routes: () => table,
      endpoints: () => ({ status: 'ok', service: 'a', targets: [target] }),
    },
    { host, port: 0 },
  );
}
