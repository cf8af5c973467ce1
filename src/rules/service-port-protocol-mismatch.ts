import { listText } from '../model/list-text.js';
import { isValidPortNum } from '../model/validation/names.js';
import type { Rule } from './rule.js';
import {
  type Backend,
  backendsOf,
  chainServices,
  type DeclaredPort,
  declaredPorts,
  perBackends,
  servicePortRef,
  targetPortField,
  targetPortText,
} from './support/service-backends.js';

interface Mismatch {
  readonly backend: Backend;
  readonly declared: readonly DeclaredPort[];
}

const describe = (d: DeclaredPort) =>
  `${d.port}/${d.protocol}${d.name ? ` (${d.name})` : ''} in container ${d.container}`;

interface Mismatched {
  /** The message from the workloads on. */
  readonly text: string;
  /** The protocol the workloads declare the number with. */
  readonly other: string;
}

/**
 * The mismatch of `backends` for `target`/`protocol`, apart from the Service's own words: the message from
 * the workloads on, and the protocol to set; null when no workload declares the number only otherwise.
 */
function mismatchOf(backends: readonly Backend[], target: number, protocol: string): Mismatched | null {
  const mismatches: Mismatch[] = [];
  let fine = 0;
  for (const b of backends) {
    const declared = declaredPorts(b.pod.pod.spec).filter((d) => d.port === target);
    if (declared.length === 0) continue;
    if (declared.some((d) => d.protocol === protocol)) fine++;
    else mismatches.push({ backend: b, declared });
  }
  if (mismatches.length === 0) return null;
  const others = [...new Set(mismatches.flatMap((m) => m.declared.map((d) => d.protocol)))];
  const who = listText(mismatches.map((m) => m.backend.label));
  // Replicas of one template declare the same ports: each is named once.
  const what = listText([...new Set(mismatches.flatMap((m) => m.declared.map(describe)))]);
  const effect =
    protocol === 'UDP'
      ? 'its datagrams get ICMP port unreachable'
      : protocol === 'TCP'
        ? 'its connections are refused'
        : 'its associations are refused';
  const partial = fine > 0 ? ' (other selected workloads do declare it)' : '';
  return {
    text: `${who}: the pods declare ${target} only as ${listText(others)} (${what})${partial}; kube-proxy forwards ${protocol} to port ${target}, which the process serves over ${listText(others)} only, so ${effect}`,
    other: others[0] as string,
  };
}

/**
 * A numeric targetPort whose number the selected containers declare only with another protocol. kube-proxy
 * forwards per protocol (a UDP Service port never carries TCP), so the packets reach a port the process
 * serves over the other protocol only. A named targetPort with the wrong protocol does not resolve at all:
 * that is target-port-name-unresolved.
 */
export const servicePortProtocolMismatch: Rule = {
  meta: {
    id: 'service-port-protocol-mismatch',
    severity: 'error',
    description:
      "A Service port's protocol differs from the only protocol the target containers declare for that number.",
    docs: {
      details:
        'kube-proxy programs one rule per (port, protocol): a UDP Service port forwards UDP datagrams to the targetPort, a TCP one TCP connections. When the selected containers declare that number only with the other protocol (53/TCP behind a UDP Service port, 514/UDP behind a TCP one), the traffic arrives on a port the process does not serve over that protocol: TCP connections are refused, UDP datagrams get ICMP port unreachable. portchain reports it when a workload declares the number with the other protocol and never with the right one; a number no container declares at all is target-port-undeclared instead. A named targetPort matches name and protocol together, so there the mismatch makes the port unresolvable (target-port-name-unresolved).',
      bad: `kind: Deployment
spec:
  template:
    metadata: {labels: {app: syslog}}
    spec:
      containers:
      - name: syslog
        ports: [{containerPort: 514, protocol: UDP}]
---
kind: Service
spec:
  selector: {app: syslog}
  ports: [{port: 514, targetPort: 514}]   # protocol defaults to TCP`,
      good: `kind: Service
spec:
  selector: {app: syslog}
  ports: [{port: 514, targetPort: 514, protocol: UDP}]`,
    },
  },
  check(ctx) {
    // What a target says of a list of backends does not depend on the Service: worked out once per list
    // (shared by Services that select the same pods) and target, then worded for each Service.
    const said = perBackends<Mismatched | null>();
    for (const view of chainServices(ctx.graph)) {
      if (!view.controllerManaged || view.selected.length === 0) continue;
      const svc = view.service;
      const backends = backendsOf(view);
      (svc.object.spec.ports ?? []).forEach((sp, i) => {
        const target = sp.targetPort ?? sp.port;
        if (typeof target !== 'number' || isValidPortNum(target).length > 0) return;
        const protocol = sp.protocol ?? 'TCP';
        const m = said(backends, `${target}/${protocol}`, () => mismatchOf(backends, target, protocol));
        if (!m) return;
        ctx.report({
          manifest: svc,
          field: targetPortField(i),
          message: `${servicePortRef(svc, sp)} -> ${targetPortText(svc, i, sp)} -> ${m.text}`,
          fix: `Set protocol: ${m.other} on this Service port (add a second port for ${protocol} if the process really serves both, and declare it on the container).`,
        });
      });
    }
  },
};
