import type { Severity } from '../model/finding.js';
import { listText } from '../model/list-text.js';
import type { ServicePort } from '../model/types.js';
import type { ResolvedGraph, ServiceView } from '../semantics/graph.js';
import type { BackendResolution } from '../semantics/ingress.js';
import type { Rule } from './rule.js';
import {
  type BackendRef,
  chainHead,
  ownerText,
  podsByOwner,
  resolveBackend,
  serviceBackends,
  servicePortField,
  servicePortText,
} from './support/ingress-backends.js';

/** The rules that report the upstream links themselves; this rule only points at them. */
const SELECTS_NOTHING = 'service-selects-nothing';
const NAME_UNRESOLVED = 'target-port-name-unresolved';

interface Cause {
  readonly severity: Severity;
  readonly text: string;
  readonly fix: string;
}

/** A cluster dump that holds the real pods of this namespace: their absence is proof. */
function liveNamespace(graph: ResolvedGraph, ns: string): boolean {
  return (
    graph.hasLivePods && graph.podIndex.inNamespace(ns).some((p) => !p.synthesized && 'status' in p.owner.raw)
  );
}

const selectorText = (view: ServiceView) =>
  Object.entries(view.service.object.spec.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** Why a selected Service port has no ready endpoint, upstream of the Ingress. */
function cause(graph: ResolvedGraph, view: ServiceView, index: number, port: ServicePort): Cause {
  const ns = view.service.namespace;
  const live = liveNamespace(graph, ns);
  if (!view.hasSelector) {
    if (view.slices.length === 0)
      return {
        severity: 'info',
        text: `Service ${view.service.name} has no selector and the input holds no Endpoints or EndpointSlice for it; assumed they are written out of band`,
        fix: 'Nothing to do if its endpoints are written elsewhere; otherwise give the Service a selector.',
      };
    return {
      severity: 'error',
      text: `the hand-written Endpoints/EndpointSlices of Service ${view.service.name} hold no ready endpoint for port ${servicePortText(port)}; their ports must carry the Service port's name${port.name ? ` (${port.name})` : ' (none)'} and protocol`,
      fix: `Give the EndpointSlice or Endpoints port the name ${port.name ? `"${port.name}"` : '"" (none)'} and protocol ${port.protocol ?? 'TCP'}, with a ready address.`,
    };
  }
  if (view.selected.length === 0) {
    const synthesised = graph.podIndex.inNamespace(ns).some((p) => p.synthesized);
    return {
      severity: live ? 'error' : synthesised ? 'warning' : 'info',
      text: `selector ${selectorText(view)} selects no Pod (see ${SELECTS_NOTHING})`,
      fix: `Fix the selector of Service ${view.service.name} (see ${SELECTS_NOTHING}).`,
    };
  }
  const unresolved = new Set(view.unresolved.filter((u) => u.portIndex === index).map((u) => u.pod));
  if (typeof port.targetPort === 'string' && view.selected.every((p) => unresolved.has(p))) {
    const owners = podsByOwner(view.selected).map(ownerText);
    return {
      severity: live ? 'error' : 'warning',
      text: `targetPort ${port.targetPort} resolves in none of the selected Pods (${listText(owners.slice(0, 3))}) (see ${NAME_UNRESOLVED})`,
      fix: `Declare a ${port.protocol ?? 'TCP'} container port named ${port.targetPort}, or fix spec.ports[${index}].targetPort of Service ${view.service.name} (see ${NAME_UNRESOLVED}).`,
    };
  }
  const n = view.selected.length;
  return {
    severity: live ? 'error' : 'warning',
    text: `none of the ${n} selected Pod${n === 1 ? '' : 's'} is a ready endpoint for this port${view.excluded.length > 0 ? ` (${view.excluded[0]?.reason})` : ''}`,
    fix: 'Make the selected Pods ready (readiness probe, phase Running, an IP).',
  };
}

/** The backend resolves to a Service port, but that port has no ready endpoints: the controller answers 503. */
export const ingressBackendNoEndpoints: Rule = {
  meta: {
    id: 'ingress-backend-no-endpoints',
    severity: 'warning',
    description:
      'An Ingress backend resolves to a Service port that has no ready endpoints; the controller answers 503.',
    docs: {
      details:
        'Ingress controllers read the EndpointSlices of the backend Service port directly (ingress-nginx keeps only endpoints with ready != false) and answer 503 when there is none (ingress-nginx balancer.lua, PR #1513). This rule names the upstream link that leaves the port empty and points at the rule that reports it (service-selects-nothing, target-port-name-unresolved), so the cause is diagnosed once. Error in a cluster dump, where the pods are all there; warning when the pods come from workloads in the input; info when the input holds no pod of that namespace or the Service has no selector and no hand-written endpoints (assumed written out of band). A hand-written Endpoints or EndpointSlice whose port name or protocol differs from the Service port is an error. ExternalName Services need no endpoints. Reported once per Ingress, Service and port.',
      bad: `kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}
---
kind: Service
metadata: {name: web}
spec: {selector: {app: webb}, ports: [{port: 80}]}
---
kind: Ingress
metadata: {name: web}
spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}`,
      good: `kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}`,
    },
  },
  check(ctx) {
    const graph = ctx.graph;
    // One finding per Ingress, Service and port: the fix is upstream, the same for every path.
    const groups = new Map<string, { ref: BackendRef; res: BackendResolution; count: number }>();
    for (const ref of serviceBackends(graph)) {
      const res = resolveBackend(graph, ref);
      if (res.ok || res.reason !== 'no-ready-endpoints' || !res.service) continue;
      const key = `${ref.ingress.namespace}/${ref.ingress.name}|${res.service.name}|${res.servicePortIndex}`;
      const g = groups.get(key);
      if (g) g.count++;
      else groups.set(key, { ref, res, count: 1 });
    }
    for (const { ref, res, count } of groups.values()) {
      const svc = res.service;
      const index = res.servicePortIndex;
      const port = res.servicePort;
      const view = svc ? graph.service(svc.namespace, svc.name) : undefined;
      if (!view || index === undefined || !port) continue;
      const c = cause(graph, view, index, port);
      const others = count - 1;
      const also =
        others > 0 ? ` (also for ${others} other path${others === 1 ? '' : 's'} of this Ingress)` : '';
      ctx.report({
        manifest: ref.ingress,
        field: servicePortField(ref),
        message: `${chainHead(ref)}: no ready endpoints behind Service port ${servicePortText(port)}, so the controller answers 503: ${c.text}${also}`,
        fix: c.fix,
        severity: c.severity,
      });
    }
  },
};
