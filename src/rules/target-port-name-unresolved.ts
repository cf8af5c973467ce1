import { listText } from '../model/list-text.js';
import type { ServicePort } from '../model/types.js';
import { isValidPortName } from '../model/validation/names.js';
import type { UnresolvedPort } from '../semantics/endpoints.js';
import type { ServiceView } from '../semantics/graph.js';
import { findPort } from '../semantics/named-ports.js';
import type { Rule } from './rule.js';
import { type Remark, remarksText } from './support/remarks.js';
import {
  type Backend,
  backendKeyOf,
  backendsOf,
  chainServices,
  declaredPorts,
  editDistance,
  servicePortRef,
  targetPortField,
} from './support/service-backends.js';

const capitalize = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);

/** A similar port name: a typo away, or one name a dash-separated part of the other (`http` / `http-web`). */
function similarName(a: string, b: string): boolean {
  if (a === b) return false;
  if (editDistance(a, b, 2) <= 2) return true;
  return b.split('-').includes(a) || a.split('-').includes(b);
}

interface Suggestion {
  readonly notes: readonly (Remark | string)[];
  /** The targetPort value that was probably meant. */
  readonly meant?: string;
}

/**
 * What the lacking workload declares that was probably meant: the same name with another protocol or in a
 * container FindPort never searches, a port of the right protocol at the number the name means elsewhere
 * (or at the Service port), a similar name.
 */
function suggestion(
  b: Backend,
  sp: ServicePort,
  name: string,
  numbersElsewhere: readonly number[],
  partial: boolean,
): Suggestion {
  const protocol = sp.protocol ?? 'TCP';
  const spec = b.pod.pod.spec;
  const label = b.label;
  const notes: (Remark | string)[] = [];
  for (const c of spec.initContainers ?? []) {
    if (c.restartPolicy !== 'Always' && (c.ports ?? []).some((p) => p.name === name))
      notes.push({
        label,
        say: (who) =>
          `init container ${c.name} of ${who} defines ${name}, but only native sidecars (restartPolicy: Always) serve`,
      });
  }
  const ports = declaredPorts(spec);
  if (ports.length === 0)
    return {
      notes: [
        ...notes,
        { label, say: (who, several) => `${who} declare${several ? '' : 's'} no container ports at all` },
      ],
    };
  const otherProto = ports.filter((d) => d.name === name && d.protocol !== protocol);
  for (const d of otherProto)
    notes.push({
      label,
      say: (who) => `container ${d.container} of ${who} defines ${name} as ${d.port}/${d.protocol}`,
    });
  const right = ports.filter((d) => d.protocol === protocol);
  const numbers = new Set([...numbersElsewhere, ...otherProto.map((d) => d.port), sp.port]);
  const meant =
    right.find((d) => numbers.has(d.port)) ??
    right.find((d) => d.name !== undefined && similarName(name, d.name));
  if (!meant) return { notes };
  const value = meant.name ?? String(meant.port);
  const declared = `${meant.port}/${protocol}${meant.name ? ` as ${meant.name}` : ' unnamed'}`;
  // With other workloads resolving the name, changing targetPort would break them: name this port instead.
  if (partial) {
    notes.push({
      label,
      say: (who) => `container ${meant.container} of ${who} declares ${declared}; name it ${name}`,
    });
    return { notes };
  }
  notes.push(
    `did you mean targetPort: ${value}? (container ${meant.container} declares ${meant.port}/${protocol}${meant.name ? ` as ${meant.name}` : ''})`,
  );
  return { notes, meant: value };
}

/** A Service port's finding, from after the Service port on (`-> targetPort http -> ...`). */
interface Unresolved {
  readonly index: number;
  readonly message: string;
  readonly fix: string;
}

/** The findings of `view`'s unresolved named ports, apart from how the Service port is named. */
function unresolvedPorts(view: ServiceView): Unresolved[] {
  const ports = view.service.object.spec.ports ?? [];
  const backends = backendsOf(view);
  // Lacking backends per Service port, from the endpoint computation.
  const lackingByPort = new Map<number, Set<string>>();
  for (const u of view.unresolved) {
    const set = lackingByPort.get(u.portIndex) ?? new Set<string>();
    set.add(backendKeyOf(u.pod));
    lackingByPort.set(u.portIndex, set);
  }
  const out: Unresolved[] = [];
  for (const [i, keys] of lackingByPort) {
    const sp = ports[i];
    if (!sp || typeof sp.targetPort !== 'string') continue;
    const name = sp.targetPort;
    // An invalid name (IANA_SVC_NAME) is rejected by the API server: api-validation reports it.
    if (isValidPortName(name).length > 0) continue;
    const protocol = sp.protocol ?? 'TCP';
    const lacking = backends.filter((b) => keys.has(b.key));
    const resolving = backends.filter((b) => !keys.has(b.key));
    const resolvedTo = resolving.map((b) => {
      const r = findPort(b.pod.pod.spec, sp);
      return r.ok ? r.port : null;
    });
    const numbers = [...new Set(resolvedTo.filter((n): n is number => n !== null))];
    const hints = lacking.map((b) => suggestion(b, sp, name, numbers, resolving.length > 0));
    const notes = remarksText(hints.flatMap((h) => h.notes));
    const meant = [...new Set(hints.map((h) => h.meant).filter((m): m is string => m !== undefined))];
    const who = listText(lacking.map((b) => b.label));
    const scope =
      resolving.length > 0
        ? `those pods get no endpoint for this port, so the Service works only partially: only the pods of ${listText(resolving.map((b) => b.label))} (which define ${name}) receive its traffic`
        : 'those pods get no endpoint for this port, so it has no endpoints and kube-proxy rejects its connections';
    const fix =
      resolving.length > 0
        ? `Name the ${protocol} port \`${name}\` in the containers of ${who} too, as ${listText(resolving.map((b) => b.label))} ${resolving.length > 1 ? 'do' : 'does'}.`
        : meant.length === 1
          ? `Set targetPort: ${meant[0]}, or name the container's ${protocol} port \`${name}\`.`
          : `Point targetPort at a ${protocol} container port the pods define (by name or number), or add a ${protocol} port named \`${name}\` to their container.`;
    out.push({
      index: i,
      message: ` -> targetPort ${name} -> ${who}: no container defines a ${protocol} port named ${name}; ${scope}${notes.length > 0 ? `. ${capitalize(notes.join('; '))}` : ''}`,
      fix,
    });
  }
  return out;
}

/**
 * A named targetPort that some selected workload cannot resolve (FindPort: same name AND protocol, in
 * containers then native sidecars): those pods get no endpoint for that Service port.
 */
export const targetPortNameUnresolved: Rule = {
  meta: {
    id: 'target-port-name-unresolved',
    severity: 'error',
    description:
      "A named targetPort is defined (with the Service port's protocol) by no container of some selected pods.",
    docs: {
      details:
        "The EndpointSlice controller resolves a named targetPort per pod (FindPort): the first container port with that name AND the Service port's protocol, in spec.containers then native sidecars. A pod that has none gets no endpoint for that Service port (only that port; its other ports still work). When every selected workload lacks the name, the port has no endpoints and kube-proxy rejects its connections; when only some lack it, the Service works partially, and only the pods of the workloads that define the name receive traffic: the case peers miss when they check only the first pod. portchain names each workload that lacks the name and suggests the port that was probably meant (the same name with the other protocol, the same number, a similar name).",
      bad: `kind: Deployment
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        ports: [{name: http-web, containerPort: 8080}]
---
kind: Service
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: httpweb}]`,
      good: `kind: Service
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http-web}]`,
    },
  },
  check(ctx) {
    // What the unresolved ports say depends on the pods and the port specs, not on the Service: Services
    // that share their endpoint pass (the same pods and ports) share the list of unresolved ports, and so
    // these findings, worded once and then named for each Service.
    const said = new Map<readonly UnresolvedPort[], readonly Unresolved[]>();
    for (const view of chainServices(ctx.graph)) {
      if (view.unresolved.length === 0) continue;
      const svc = view.service;
      let found = said.get(view.unresolved);
      if (!found) {
        found = unresolvedPorts(view);
        said.set(view.unresolved, found);
      }
      for (const u of found) {
        const sp = (svc.object.spec.ports ?? [])[u.index] as ServicePort;
        ctx.report({
          manifest: svc,
          field: targetPortField(u.index),
          message: `${servicePortRef(svc, sp)}${u.message}`,
          fix: u.fix,
        });
      }
    }
  },
};
