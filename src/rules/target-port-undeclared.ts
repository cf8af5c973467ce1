import { listText } from '../model/list-text.js';
import type { PodSpec, Probe } from '../model/types.js';
import { isValidPortNum } from '../model/validation/names.js';
import type { Rule } from './rule.js';
import { type Remark, remarksText } from './support/remarks.js';
import {
  type Backend,
  backendsOf,
  chainServices,
  declaredPorts,
  perBackends,
  servicePortRef,
  servingContainers,
  targetPortField,
  targetPortText,
} from './support/service-backends.js';

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;

function probePort(p: Probe): { how: string; port: number } | null {
  if (typeof p.tcpSocket?.port === 'number') return { how: 'tcpSocket', port: p.tcpSocket.port };
  if (typeof p.httpGet?.port === 'number') return { how: 'httpGet', port: p.httpGet.port };
  if (typeof p.grpc?.port === 'number') return { how: 'grpc', port: p.grpc.port };
  return null;
}

/**
 * A probe of a serving container on this very number: the kubelet connects to the pod IP and port, so a
 * passing probe shows that the process listens there, declared or not.
 */
function probeProof(spec: PodSpec, port: number): string | null {
  for (const c of servingContainers(spec)) {
    for (const kind of PROBES) {
      const probe = c[kind];
      const p = probe ? probePort(probe) : null;
      if (p && p.port === port)
        return `the ${kind.replace('Probe', '')} probe of container ${c.name} (${p.how} ${port})`;
    }
  }
  return null;
}

/** What the pods do declare, to suggest the port that was probably meant. */
function declaredHint(b: Backend, protocol: string): Remark {
  const declared = declaredPorts(b.pod.pod.spec);
  const declares = (several: boolean) => (several ? 'declare' : 'declares');
  const label = b.label;
  if (declared.length === 0)
    return { label, say: (who, several) => `${who} ${declares(several)} no container ports at all` };
  const nums = [...new Set(declared.filter((d) => d.protocol === protocol).map((d) => d.port))];
  if (nums.length === 0)
    return { label, say: (who, several) => `${who} ${declares(several)} no ${protocol} container port` };
  return nums.length === 1
    ? {
        label,
        say: (who, several) =>
          `${who} ${declares(several)} only ${nums[0]} (did you mean targetPort: ${nums[0]}?)`,
      }
    : { label, say: (who, several) => `${who} ${declares(several)} ${listText(nums.map(String))}` };
}

/** What a numeric target says of the backends that do not declare it, apart from the Service's own words. */
interface Undeclared {
  /** The workloads lacking the port, listed. */
  readonly lacking: string;
  /** The rest of the message, after `<chain> -> <lacking>: `. */
  readonly finding: string;
  /** A probe of every lacking workload uses the port, so the process is known to listen there. */
  readonly proven: boolean;
}

/** Undeclared of `backends` for `target`/`proto`, or null when every backend declares it. */
function undeclared(backends: readonly Backend[], target: number, proto: string): Undeclared | null {
  const lacking = backends.filter((b) => !declaredPorts(b.pod.pod.spec).some((d) => d.port === target));
  if (lacking.length === 0) return null;
  const proofs = lacking.map((b) => probeProof(b.pod.pod.spec, target));
  const proven = proofs.every((p) => p !== null);
  // Replicas of one template give the same proof: each is named once.
  const shown = proven ? [...new Set(proofs as string[])] : [];
  const lacks = new Set(lacking);
  const declaring = backends.filter((b) => !lacks.has(b));
  const partial =
    declaring.length > 0
      ? ` (${listText(declaring.map((b) => b.label))} ${declaring.length > 1 ? 'declare' : 'declares'} it)`
      : '';
  const finding = proven
    ? `no container declares containerPort ${target}${partial}, but ${listText(shown)} ${shown.length > 1 ? 'show' : 'shows'} the process listens there; it routes: containerPort is documentation only`
    : `no container declares containerPort ${target}${partial}; it still routes: containerPort is documentation only; if nothing listens on ${target}, connections are refused. ${remarksText(lacking.map((b) => declaredHint(b, proto))).join('; ')}`;
  return { lacking: listText(lacking.map((b) => b.label)), finding, proven };
}

/** A numeric targetPort that no container of the selected pods declares: it routes, but nothing proves a listener. */
export const targetPortUndeclared: Rule = {
  meta: {
    id: 'target-port-undeclared',
    severity: 'warning',
    description: 'A numeric targetPort is declared by no container of the selected pods (any protocol).',
    docs: {
      details:
        'A numeric targetPort is used as is: the EndpointSlice controller does not check it against the containers (FindPort), and containerPort is documentation only ("Not specifying a port here DOES NOT prevent that port from being exposed"). So the Service routes to that port, and if nothing listens there every connection is refused. An undeclared port is often a typo or a stale number; declaring it makes the chain checkable. Evaluated per Service port over every distinct workload the Service selects, so a workload that lacks the port is named even when others declare it. When a liveness, readiness or startup probe of the pod uses that number, the kubelet proves the process listens there, and the finding is info. A number declared only with another protocol is service-port-protocol-mismatch.',
      bad: `kind: Deployment
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        ports: [{containerPort: 8080}]
---
kind: Service
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]`,
      good: `kind: Service
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]`,
    },
  },
  check(ctx) {
    // What a target says of a list of backends does not depend on the Service: worked out once per list
    // (shared by Services that select the same pods) and target, then worded for each Service.
    const said = perBackends<Undeclared | null>();
    for (const view of chainServices(ctx.graph)) {
      if (!view.controllerManaged || view.selected.length === 0) continue;
      const svc = view.service;
      const backends = backendsOf(view);
      (svc.object.spec.ports ?? []).forEach((sp, i) => {
        const target = sp.targetPort ?? sp.port;
        if (typeof target !== 'number' || isValidPortNum(target).length > 0) return;
        const proto = sp.protocol ?? 'TCP';
        const u = said(backends, `${target}/${proto}`, () => undeclared(backends, target, proto));
        if (!u) return;
        ctx.report({
          manifest: svc,
          field: targetPortField(i),
          message: `${servicePortRef(svc, sp)} -> ${targetPortText(svc, i, sp)} -> ${u.lacking}: ${u.finding}`,
          fix: `Declare containerPort ${target} on the container that listens there (or point targetPort at a declared port), so the chain is explicit.`,
          ...(u.proven ? { severity: 'info' as const } : {}),
        });
      });
    }
  },
};
