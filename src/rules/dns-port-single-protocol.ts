import { listText } from '../model/list-text.js';
import type { ServicePort } from '../model/types.js';
import type { ServiceView } from '../semantics/graph.js';
import { findPort } from '../semantics/named-ports.js';
import type { Rule } from './rule.js';
import {
  backendsOf,
  chainServices,
  type DeclaredPort,
  declaredPorts,
  portsField,
  serviceRef,
} from './support/service-backends.js';

const DNS_NAMES = new Set(['dns', 'dns-tcp', 'dns-udp']);
const isDnsPort = (sp: ServicePort) => sp.port === 53 || DNS_NAMES.has(sp.name ?? '');

/**
 * Container ports of the selected pods at the number this Service port reaches, declared with `protocol`:
 * the other half of DNS that the pods serve but the Service does not offer.
 */
function servedWith(view: ServiceView, sp: ServicePort, protocol: string): DeclaredPort[] {
  const out: DeclaredPort[] = [];
  for (const b of backendsOf(view)) {
    const r = findPort(b.pod.pod.spec, sp);
    if (!r.ok) continue;
    for (const d of declaredPorts(b.pod.pod.spec))
      if (d.port === r.port && d.protocol === protocol) out.push(d);
  }
  return out;
}

const portText = (d: DeclaredPort) => `${d.name ? `${d.name} ` : ''}(${d.port}/${d.protocol})`;

/** DNS answers that do not fit a UDP packet are retried over TCP (RFC 7766); a DNS Service needs both. */
export const dnsPortSingleProtocol: Rule = {
  meta: {
    id: 'dns-port-single-protocol',
    severity: 'info',
    description: 'A DNS Service port (53, or named dns/dns-tcp) is offered over one protocol only.',
    docs: {
      details:
        '53/UDP and 53/TCP are two Service ports. Resolvers ask over UDP first; an answer too large for a datagram comes back truncated (the TC bit) and the client retries over TCP to the same address and port (RFC 7766 makes TCP support mandatory). A Service offering DNS over UDP only therefore fails exactly the large lookups (many records, DNSSEC), now and then. portchain reports a DNS port offered over UDP only, and one offered over TCP only while the selected containers serve UDP on it too.',
      bad: `kind: Service
spec:
  selector: {app: coredns}
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: dns}`,
      good: `kind: Service
spec:
  selector: {app: coredns}
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: dns}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: dns-tcp}`,
    },
  },
  check(ctx) {
    for (const view of chainServices(ctx.graph)) {
      const svc = view.service;
      if (svc.object.spec.type === 'ExternalName') continue;
      const ports = svc.object.spec.ports ?? [];
      if (!ports.some(isDnsPort)) continue;
      // Protocols offered per Service port number.
      const offered = new Map<number, Set<string>>();
      for (const sp of ports) {
        if (!isDnsPort(sp)) continue;
        const set = offered.get(sp.port) ?? new Set<string>();
        set.add(sp.protocol ?? 'TCP');
        offered.set(sp.port, set);
      }
      const reported = new Set<number>();
      ports.forEach((sp, i) => {
        const protos = offered.get(sp.port);
        if (!protos || reported.has(sp.port) || (protos.has('UDP') && protos.has('TCP'))) return;
        const protocol = sp.protocol ?? 'TCP';
        const head = `Service ${serviceRef(svc)}:${sp.port}${sp.name ? ` (${sp.name})` : ''}`;
        if (protocol === 'UDP') {
          const tcp = servedWith(view, sp, 'TCP');
          const unexposed =
            tcp.length > 0
              ? `, and container port ${listText([...new Set(tcp.map(portText))])} is not exposed`
              : '';
          reported.add(sp.port);
          ctx.report({
            manifest: svc,
            field: portsField(i),
            message: `${head}: DNS port ${sp.port} is offered over UDP only; DNS falls back to TCP for answers that do not fit a datagram (truncated), so those lookups fail${unexposed}`,
            fix: `Add a second port with port: ${sp.port}, protocol: TCP (named e.g. dns-tcp) targeting the TCP listener.`,
          });
        } else if (protocol === 'TCP') {
          const udp = servedWith(view, sp, 'UDP');
          if (udp.length === 0) return;
          reported.add(sp.port);
          ctx.report({
            manifest: svc,
            field: portsField(i),
            message: `${head}: DNS port ${sp.port} is offered over TCP only, although the pods serve it over UDP too (container port ${listText([...new Set(udp.map(portText))])}); resolvers ask over UDP first, so most lookups to this Service fail`,
            fix: `Add a second port with port: ${sp.port}, protocol: UDP targeting the UDP listener.`,
          });
        }
      });
    }
  },
};
