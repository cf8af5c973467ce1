import type { ServicePort } from '../model/types.js';
import type { ServiceView } from '../semantics/graph.js';
import { findPort } from '../semantics/named-ports.js';
import type { Rule } from './rule.js';
import { backendsOf, chainServices, servicePortRef, targetPortField } from './support/service-backends.js';

/**
 * Where a Service port lands, as a comparable key: the number for a numeric targetPort; for a named one, the
 * number when every selected workload resolves it to the same one, else the name.
 */
function landing(view: ServiceView, sp: ServicePort): { key: string; text: string } {
  const protocol = sp.protocol ?? 'TCP';
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return { key: `${target}/${protocol}`, text: `${target}/${protocol}` };
  const numbers = new Set<number>();
  for (const b of backendsOf(view)) {
    const r = findPort(b.pod.pod.spec, sp);
    numbers.add(r.ok ? r.port : -1);
  }
  const [only] = numbers;
  if (numbers.size === 1 && only !== undefined && only > 0)
    return { key: `${only}/${protocol}`, text: `${only}/${protocol} (${target})` };
  return { key: `name:${target}/${protocol}`, text: `${target}/${protocol}` };
}

const portName = (sp: ServicePort) => `${sp.port}${sp.name ? ` (${sp.name})` : ''}`;

/** Two Service ports reaching one targetPort with one protocol: one listener behind two ports. */
export const duplicateTargetPort: Rule = {
  meta: {
    id: 'duplicate-target-port',
    severity: 'info',
    description: 'Two ports of one Service reach the same targetPort with the same protocol.',
    docs: {
      details:
        'Each Service port is forwarded on its own, so two ports with one targetPort (and protocol) both reach the same listener. That is often intentional: a server that accepts HTTP and TLS on one port behind Service ports 80 and 443 (argocd-server does this), or a legacy port kept for old clients. It is also the mark of a copy-paste slip, where the second port was meant to reach another listener (a metrics or admin port). A named targetPort counts as the number every selected workload resolves it to.',
      bad: `kind: Service
spec:
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: metrics, port: 9090, targetPort: 8080}   # meant 9090?`,
      good: `kind: Service
spec:
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: metrics, port: 9090, targetPort: 9090}`,
    },
  },
  check(ctx) {
    for (const view of chainServices(ctx.graph)) {
      const svc = view.service;
      const ports = svc.object.spec.ports ?? [];
      if (ports.length < 2 || svc.object.spec.type === 'ExternalName') continue;
      const first = new Map<string, ServicePort>();
      ports.forEach((sp, i) => {
        const { key, text } = landing(view, sp);
        const earlier = first.get(key);
        if (!earlier) {
          first.set(key, sp);
          return;
        }
        ctx.report({
          manifest: svc,
          field: targetPortField(i),
          message: `${servicePortRef(svc, sp)} -> targetPort ${text}: the same target as Service port ${portName(earlier)}, so both ports reach one listener; often intentional (one server answering several Service ports, e.g. HTTP and TLS on one port), otherwise a copy-paste slip`,
          fix: `Nothing to do if one listener is meant to serve both ports; otherwise point this port at its own targetPort.`,
        });
      });
    }
  },
};
