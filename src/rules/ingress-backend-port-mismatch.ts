import { listText } from '../model/list-text.js';
import type { Manifest } from '../model/load.js';
import type { ServicePort } from '../model/types.js';
import type { ServiceView } from '../semantics/graph.js';
import type { BackendResolution } from '../semantics/ingress.js';
import { findPort } from '../semantics/named-ports.js';
import type { Report, Rule } from './rule.js';
import {
  type BackendRef,
  chainHead,
  fieldWords,
  oneEditAway,
  ownerText,
  podsByOwner,
  resolveBackend,
  serviceBackends,
  servicePortField,
  servicePortText,
} from './support/ingress-backends.js';

type Service = Manifest<'Service'>;

/** A hint, and the Service port it suggests (for the fix). */
interface Hint {
  readonly text: string;
  readonly port?: ServicePort;
}

const TARGET_PORT_QUIRK =
  'ingress-nginx routes it anyway, since it also matches a Service port by its targetPort, but other controllers answer 503 or 404: per the API it names no port of the Service';

/** A backend `port.number` that is no Service port: is it a targetPort, or a port the pods declare? */
function numberHint(svc: Service, n: number, view: ServiceView | undefined): Hint {
  const ports = svc.object.spec.ports ?? [];
  const byTarget = ports.find((p) => p.targetPort === n);
  if (byTarget)
    return { text: `did you mean Service port ${byTarget.port}? ${n} is its targetPort`, port: byTarget };
  const pods = podsByOwner(view?.selected ?? []);
  // A named targetPort that FindPort resolves to n on a selected pod.
  for (const pod of pods) {
    for (const p of ports) {
      if (typeof p.targetPort !== 'string') continue;
      const r = findPort(pod.pod.spec, p);
      if (r.ok && r.port === n)
        return {
          text: `did you mean Service port ${p.port}? ${n} is the containerPort its targetPort ${p.targetPort} resolves to in ${ownerText(pod)}`,
          port: p,
        };
    }
  }
  for (const pod of pods) {
    if ((pod.pod.spec.containers ?? []).some((c) => (c.ports ?? []).some((cp) => cp.containerPort === n)))
      return {
        text: `${n} is a containerPort of ${ownerText(pod)}, but no port of Service ${svc.name} targets it`,
      };
  }
  return fallbackHint(ports);
}

function fallbackHint(ports: readonly ServicePort[]): Hint {
  const [only] = ports;
  if (!only) return { text: 'the Service has no ports' };
  if (ports.length === 1)
    return { text: `did you mean Service port ${only.port}? It is the Service's only port`, port: only };
  return { text: `its ports are ${listText(ports.map(servicePortText), 10)}` };
}

/** A backend `port.name` that names no Service port: a targetPort name, a typo, or an unnamed port. */
function nameHint(svc: Service, name: string): Hint {
  const ports = svc.object.spec.ports ?? [];
  const byTarget = ports.find((p) => p.targetPort === name);
  if (byTarget)
    return byTarget.name
      ? {
          text: `did you mean port name ${byTarget.name}? ${name} is the targetPort (a container port name) of Service port ${byTarget.port}`,
          port: byTarget,
        }
      : {
          text: `${name} is the targetPort of Service port ${byTarget.port}, which is unnamed: use port.number ${byTarget.port}`,
          port: byTarget,
        };
  const near = ports.find((p) => p.name && oneEditAway(p.name, name));
  if (near) return { text: `did you mean ${near.name}?`, port: near };
  const [only] = ports;
  if (only && ports.length === 1 && !only.name)
    return { text: `the Service's port is unnamed: use port.number ${only.port}`, port: only };
  const named = ports.filter((p) => p.name).map((p) => `${p.name} (${p.port})`);
  const unnamed = ports.filter((p) => !p.name).map((p) => String(p.port));
  const parts = [
    named.length > 0 ? `its port names are ${listText(named, 10)}` : '',
    unnamed.length > 0 ? `unnamed port ${listText(unnamed, 10)} can only be reached with port.number` : '',
  ].filter(Boolean);
  return { text: parts.length > 0 ? parts.join('; ') : 'the Service has no ports' };
}

function fixFor(ref: BackendRef, svc: Service, hint: Hint): string {
  const w = fieldWords(ref);
  const byName = !!ref.backend.service?.port?.name;
  const p = hint.port;
  if (p) {
    if (byName && p.name) return `Set ${w.portName} to ${p.name}.`;
    if (ref.legacy) return `Set ${w.number} to ${p.port}.`;
    if (byName) return `Replace port.name with port.number: ${p.port}.`;
    return `Set ${w.number} to ${p.port}${p.name ? ` (or use port.name: ${p.name})` : ''}.`;
  }
  return `Point the backend at one of the ports of Service ${svc.name}, or add the port to the Service.`;
}

/** The backend port is not a port of the Service (by number or by name). */
function missingPort(
  ref: BackendRef,
  svc: Service,
  res: BackendResolution,
  view: ServiceView | undefined,
): Report {
  const want = ref.backend.service?.port ?? {};
  const nginxRoutes = res.quirks.some((q) => q.kind === 'ingress-nginx-targetport-match');
  if (want.name) {
    const hint = nameHint(svc, want.name);
    const quirk = nginxRoutes ? ` (${TARGET_PORT_QUIRK})` : '';
    return {
      manifest: ref.ingress,
      field: servicePortField(ref),
      message: `${chainHead(ref)}: Service ${svc.name} has no port named ${want.name}; ${hint.text}${quirk}`,
      fix: fixFor(ref, svc, hint),
    };
  }
  const n = want.number as number;
  if (svc.object.spec.type === 'ExternalName') {
    // ingress-nginx externalNamePorts: a number that is no Service port is used as is on the external name.
    return {
      manifest: ref.ingress,
      field: servicePortField(ref),
      message: `${chainHead(ref)}: ExternalName Service ${svc.name} has no port ${n}; ingress-nginx still proxies to ${svc.object.spec.externalName ?? '?'}:${n}, but per the API the backend names no port of the Service and other controllers may refuse it`,
      fix: `Add port ${n} to Service ${svc.name}, so that every controller agrees.`,
      severity: 'warning',
    };
  }
  const hint = numberHint(svc, n, view);
  const quirk = nginxRoutes ? ` (${TARGET_PORT_QUIRK})` : '';
  return {
    manifest: ref.ingress,
    field: servicePortField(ref),
    message: `${chainHead(ref)}: Service ${svc.name} has no port ${n}; ${hint.text}${quirk}`,
    fix: fixFor(ref, svc, hint),
  };
}

/** Both find a port, but ingress-nginx's first-match loop (port, targetPort or name) takes another one. */
function differentPort(ref: BackendRef, svc: Service, res: BackendResolution): Report | null {
  const q = res.quirks.find((k) => k.kind === 'ingress-nginx-different-port');
  const ports = svc.object.spec.ports ?? [];
  const api = res.servicePortIndex;
  const nginx = q ? ports[q.servicePortIndex] : undefined;
  const apiPort = api === undefined ? undefined : ports[api];
  // A non-TCP port picked by ingress-nginx is ingress-backend-not-tcp's finding.
  if (!q || !nginx || !apiPort || (nginx.protocol ?? 'TCP') !== 'TCP') return null;
  return {
    manifest: ref.ingress,
    field: servicePortField(ref),
    message: `${chainHead(ref)}: per the API this is Service port spec.ports[${api}] ${servicePortText(apiPort)}, but ingress-nginx takes the first Service port whose port, targetPort or name equals it: spec.ports[${q.servicePortIndex}] ${servicePortText(nginx)}`,
    fix: `Make no port of Service ${svc.name} reuse another port's number or targetPort, so that ingress-nginx and the API pick the same port.`,
    severity: 'warning',
  };
}

/** The backend's `port.number` / `port.name` (v1beta1 `servicePort`) is not a port of the Service. */
export const ingressBackendPortMismatch: Rule = {
  meta: {
    id: 'ingress-backend-port-mismatch',
    severity: 'error',
    description:
      "An Ingress backend port is not a port of the Service (it names a Service's `port`, never its targetPort); the controller answers 503.",
    docs: {
      details:
        'networking/v1 ServiceBackendPort: `number` is "the numerical port number (e.g. 80) on the Service" and `name` "the name of the port on the Service"; neither is a targetPort or a containerPort. A backend that names no Service port gets no endpoints, and ingress-nginx answers 503 (other controllers 503 or 404). Hints say when the number is the Service port\'s targetPort (or the containerPort a named targetPort resolves to), and when a name is a targetPort name, a typo, or meant for an unnamed port (use `port.number`). An unnamed Service port never matches a backend by name. ingress-nginx also matches a backend number against a Service port\'s targetPort, so it routes some of these anyway: they are still wrong per the API and break on other controllers. When the API and ingress-nginx\'s first-match loop pick different Service ports, a warning says so. An ExternalName Service without the port is a warning: ingress-nginx proxies to the external name on that number.',
      bad: `kind: Service
metadata: {name: books}
spec: {selector: {app: books}, ports: [{name: http, port: 8080, targetPort: 3005}]}
---
kind: Ingress
metadata: {name: books}
spec:
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: books, port: {number: 3005}}}`,
      good: `kind: Ingress
metadata: {name: books}
spec:
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: books, port: {number: 8080}}}`,
    },
  },
  check(ctx) {
    const graph = ctx.graph;
    for (const ref of serviceBackends(graph)) {
      const res = resolveBackend(graph, ref);
      const svc = res.service;
      if (!svc) continue;
      const report =
        !res.ok && res.reason === 'port-not-found'
          ? missingPort(ref, svc, res, graph.service(svc.namespace, svc.name))
          : differentPort(ref, svc, res);
      if (report) ctx.report(report);
    }
  },
};
