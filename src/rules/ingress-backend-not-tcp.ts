import type { ServicePort } from '../model/types.js';
import type { BackendResolution } from '../semantics/ingress.js';
import type { Report, Rule } from './rule.js';
import {
  type BackendRef,
  chainHead,
  fieldWords,
  resolveBackend,
  serviceBackends,
  servicePortField,
  servicePortText,
} from './support/ingress-backends.js';

const protocolOf = (p: ServicePort | undefined) => p?.protocol ?? 'TCP';

/** The Service port the API picks is UDP or SCTP: an Ingress carries HTTP, which runs over TCP. */
function apiPortNotTcp(ref: BackendRef, res: BackendResolution): Report | null {
  const p = res.servicePort;
  if (!res.service || res.servicePortIndex === undefined || !p || protocolOf(p) === 'TCP') return null;
  const svc = res.service;
  const tcp = (svc.object.spec.ports ?? []).find((q) => protocolOf(q) === 'TCP');
  return {
    manifest: ref.ingress,
    field: servicePortField(ref),
    message: `${chainHead(ref)}: Service port spec.ports[${res.servicePortIndex}] ${servicePortText(p)} is ${protocolOf(p)}, but an Ingress carries HTTP, which runs over TCP; ingress-nginx reads only TCP endpoints and answers 503`,
    fix: tcp
      ? `Point the backend at a TCP port of Service ${svc.name} (such as ${servicePortText(tcp)}).`
      : `Add a TCP port to Service ${svc.name} for the HTTP traffic and point the backend at it.`,
  };
}

/** The API picks a TCP port, but ingress-nginx's first-match loop lands on a UDP/SCTP port of the same number. */
function nginxPortNotTcp(ref: BackendRef, res: BackendResolution): Report | null {
  const q = res.quirks.find((k) => k.kind === 'ingress-nginx-non-tcp-port');
  if (!q || !res.service || q.servicePortIndex === res.servicePortIndex) return null;
  const p = res.service.object.spec.ports?.[q.servicePortIndex];
  if (!p) return null;
  return {
    manifest: ref.ingress,
    field: servicePortField(ref),
    message: `${chainHead(ref)}: ingress-nginx takes the first Service port whose port, targetPort or name matches, spec.ports[${q.servicePortIndex}] ${servicePortText(p)}, which is ${protocolOf(p)}; it reads only TCP endpoints and answers 503 (other controllers take the TCP port spec.ports[${res.servicePortIndex}])`,
    fix: `Use ${fieldWords(ref).portName} with the name of the TCP port, or list the TCP port of Service ${res.service.name} first.`,
  };
}

/** An Ingress backend whose Service port is UDP or SCTP. */
export const ingressBackendNotTcp: Rule = {
  meta: {
    id: 'ingress-backend-not-tcp',
    severity: 'warning',
    description:
      'An Ingress backend names a UDP or SCTP Service port; HTTP runs over TCP, so the controller gets no TCP endpoint.',
    docs: {
      details:
        'An Ingress routes HTTP(S), which runs over TCP. When the backend Service port is UDP or SCTP (a backend number that exists only as 53/UDP, say), nothing is listening for the proxied TCP connection; ingress-nginx reads only the TCP endpoints of a Service port (getEndpointsFromSlices with ProtocolTCP) and answers 503. With the same number on TCP and UDP the API takes the TCP port, but ingress-nginx takes the first Service port whose port, targetPort or name matches: when that is the UDP one, this rule says so too. Reported once per Ingress, Service and port.',
      bad: `kind: Service
metadata: {name: dns}
spec: {selector: {app: dns}, ports: [{name: dns, port: 53, protocol: UDP}]}
---
kind: Ingress
metadata: {name: dns}
spec: {defaultBackend: {service: {name: dns, port: {number: 53}}}}`,
      good: `kind: Service
metadata: {name: dns}
spec:
  selector: {app: dns}
  ports:
  - {name: dns, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, protocol: TCP}`,
    },
  },
  check(ctx) {
    const seen = new Set<string>();
    for (const ref of serviceBackends(ctx.graph)) {
      const res = resolveBackend(ctx.graph, ref);
      const report = apiPortNotTcp(ref, res) ?? nginxPortNotTcp(ref, res);
      if (!report || !res.service) continue;
      const key = `${ref.ingress.namespace}/${ref.ingress.name}|${res.service.name}|${res.servicePortIndex}`;
      if (seen.has(key)) continue;
      seen.add(key);
      ctx.report(report);
    }
  },
};
