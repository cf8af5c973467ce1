import { FieldPath } from '../model/field-path.js';
import type { Manifest } from '../model/load.js';
import type { EndpointSlice } from '../model/types.js';
import { ENDPOINTSLICE_CONTROLLER, LABEL_MANAGED_BY, LABEL_SERVICE_NAME } from '../semantics/endpoints.js';
import type { Rule } from './rule.js';

/** One endpoint of one port, as compared: address, port name, number, protocol, and whether it is ready. */
function entries(slices: readonly EndpointSlice[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const s of slices) {
    const ports = s.ports && s.ports.length > 0 ? s.ports : [{}];
    for (const e of s.endpoints ?? [])
      for (const a of e.addresses ?? [])
        for (const p of ports) {
          const key = `${a}:${p.port ?? '*'}/${p.protocol ?? 'TCP'}${p.name ? ` (${p.name})` : ''}`;
          out.set(key, e.conditions?.ready ?? true);
        }
  }
  return out;
}

const list = (xs: readonly string[]) =>
  xs.length <= 3 ? xs.join(', ') : `${xs.slice(0, 3).join(', ')} and ${xs.length - 3} more`;

/**
 * The EndpointSlices a cluster holds (written by its EndpointSlice controller) against those the Service's
 * selector gives over the cluster's own Pods (src/semantics/endpoints.ts). A difference means the controller
 * lags (or is stuck), or portchain's model is wrong: both are worth knowing before trusting either.
 */
export const endpointsDrift: Rule = {
  meta: {
    id: 'endpoints-drift',
    severity: 'warning',
    description:
      "A Service's EndpointSlices in the cluster differ from what its selector gives over the cluster's Pods.",
    docs: {
      details:
        'Runs when the input holds EndpointSlices managed by the EndpointSlice controller (`portchain check --cluster`, or a dump with `kubectl get -o yaml`). For each Service with a selector, portchain computes the endpoints as the controller would (selector, readiness, FindPort for named targetPorts) from the Pods in the input, and compares address, port, protocol and readiness with the slices the controller wrote. Endpoints only the cluster lists usually mean a controller that lags behind Pod changes; endpoints only portchain computes mean the controller has not caught up, or does not run.',
      bad: `# the cluster's slice still lists a pod that is gone
kind: EndpointSlice
metadata:
  labels: {kubernetes.io/service-name: web, endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io}
endpoints: [{addresses: [10.244.0.9]}]
ports: [{name: http, port: 8080, protocol: TCP}]`,
      good: `# the slice lists exactly the ready pods the selector picks
kind: EndpointSlice
metadata:
  labels: {kubernetes.io/service-name: web, endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io}
endpoints: [{addresses: [10.244.0.3]}]
ports: [{name: http, port: 8080, protocol: TCP}]`,
    },
  },
  check(ctx) {
    const observed = new Map<string, Manifest<'EndpointSlice'>[]>();
    for (const s of ctx.graph.ofKind('EndpointSlice')) {
      const labels = s.object.metadata.labels ?? {};
      const svc = labels[LABEL_SERVICE_NAME];
      if (!svc || labels[LABEL_MANAGED_BY] !== ENDPOINTSLICE_CONTROLLER) continue;
      const k = `${s.namespace}/${svc}`;
      const list = observed.get(k);
      if (list) list.push(s);
      else observed.set(k, [s]);
    }
    if (observed.size === 0) return; // no controller output in the input: nothing to compare with
    const namespaces = new Set([...observed.values()].flat().map((s) => s.namespace));
    for (const view of ctx.graph.services) {
      if (!view.controllerManaged) continue;
      const svc = view.service;
      // Only where the cluster's controller output was read at all (a namespace listed).
      if (!namespaces.has(svc.namespace)) continue;
      const theirs = entries((observed.get(`${svc.namespace}/${svc.name}`) ?? []).map((m) => m.object));
      const ours = entries(view.slices);
      const onlyCluster = [...theirs.keys()].filter((k) => !ours.has(k));
      const onlyComputed = [...ours.keys()].filter((k) => !theirs.has(k));
      const readiness = [...ours.keys()].filter((k) => theirs.has(k) && theirs.get(k) !== ours.get(k));
      if (onlyCluster.length + onlyComputed.length + readiness.length === 0) continue;
      const parts = [
        onlyCluster.length > 0
          ? `the cluster lists ${list(onlyCluster)} that the selector does not give`
          : '',
        onlyComputed.length > 0
          ? `the selector gives ${list(onlyComputed)} that the cluster does not list`
          : '',
        readiness.length > 0 ? `readiness differs for ${list(readiness)}` : '',
      ].filter((p) => p);
      ctx.report({
        manifest: svc,
        field: FieldPath.root('spec', 'selector'),
        message: `EndpointSlices of Service "${svc.name}" drift from its selector: ${parts.join('; ')}`,
        fix: 'Check that the EndpointSlice controller runs and keeps up (kube-controller-manager logs); if it does, the Pods or the Service changed since the slices were written.',
      });
    }
  },
};
