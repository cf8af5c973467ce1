import { listText } from '../model/list-text.js';
import type { ServicePort } from '../model/types.js';
import { findPort } from '../semantics/named-ports.js';
import type { Rule } from './rule.js';
import {
  type Backend,
  backendsOf,
  chainServices,
  perBackends,
  servicePortRef,
  targetPortField,
} from './support/service-backends.js';

/** The workloads (labels) under each number the named target port resolves to. */
function numbersOf(backends: readonly Backend[], sp: ServicePort): Map<number, string[]> {
  const byNumber = new Map<number, string[]>();
  for (const b of backends) {
    const r = findPort(b.pod.pod.spec, sp);
    if (!r.ok) continue; // target-port-name-unresolved reports it
    // Appended, not copied: a Service over a thousand workloads copied a growing list per workload.
    const who = byNumber.get(r.port);
    if (who) who.push(b.label);
    else byNumber.set(r.port, [b.label]);
  }
  return byNumber;
}

/** One named targetPort, several numbers: legal (resolved per pod), sometimes intended, worth knowing. */
export const targetPortNameInconsistent: Rule = {
  meta: {
    id: 'target-port-name-inconsistent',
    severity: 'info',
    description: 'A named targetPort resolves to different port numbers in different selected workloads.',
    docs: {
      details:
        'Kubernetes resolves a named targetPort per pod, so one Service port may reach 8080 in one workload and 9090 in another: "This works even if there is a mixture of Pods in the Service using a single configured name, with the same network protocol available via different port numbers" (Service docs). The EndpointSlice controller then writes one slice per distinct port number. It is legal and sometimes intended (a port migration, two implementations behind one name); it is also how a wrong number in one workload hides. Anything that assumes one number (a NetworkPolicy port, a sidecar, a scrape config) must cover each.',
      bad: `# Deployment a: ports [{name: http, containerPort: 8080}]
# Deployment b: ports [{name: http, containerPort: 9090}]
kind: Service
spec:
  selector: {tier: web}   # selects a and b
  ports: [{port: 80, targetPort: http}]`,
      good: `# Deployment a: ports [{name: http, containerPort: 8080}]
# Deployment b: ports [{name: http, containerPort: 8080}]
kind: Service
spec:
  selector: {tier: web}
  ports: [{port: 80, targetPort: http}]`,
    },
  },
  check(ctx) {
    // Services with the same selector share one list of backends (backendsOf): the numbers a name resolves
    // to are found once per list, name and protocol.
    const resolved = perBackends<Map<number, string[]>>();
    for (const view of chainServices(ctx.graph)) {
      if (!view.controllerManaged || view.selected.length === 0) continue;
      const svc = view.service;
      const ports = svc.object.spec.ports ?? [];
      if (!ports.some((sp) => typeof sp.targetPort === 'string')) continue;
      const backends = backendsOf(view);
      if (backends.length < 2) continue;
      ports.forEach((sp, i) => {
        if (typeof sp.targetPort !== 'string') return;
        const byNumber = resolved(backends, `${sp.protocol ?? ''} ${sp.targetPort}`, () =>
          numbersOf(backends, sp),
        );
        if (byNumber.size < 2) return;
        const parts = [...byNumber].map(([n, who]) => `${n} in ${listText(who)}`);
        ctx.report({
          manifest: svc,
          field: targetPortField(i),
          message: `${servicePortRef(svc, sp)} -> targetPort ${sp.targetPort} resolves to ${listText(parts, 4)}: legal, since Kubernetes resolves the name per pod (one EndpointSlice per number), and sometimes intended; anything that assumes one number for this port (a NetworkPolicy, a scrape config) must allow each`,
          fix: 'Nothing to do if the workloads listen on different numbers on purpose; otherwise give the named port the same containerPort everywhere.',
        });
      });
    }
  },
};
