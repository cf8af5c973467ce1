/**
 * The API server's validation of port-related fields, per kind, on the defaulted object: what a create with
 * no allocation would be told (the upstream unit-test view). Service allocation, which runs before validation
 * on a real create, lives in src/semantics/node-ports.ts.
 */
import type { FieldError } from '../field-error.js';
import type { Manifest } from '../load.js';
import { type KindMap, type WorkloadKind, workloadKinds } from '../types.js';
import { validateIngress } from './ingress.js';
import { validateNetworkPolicy } from './network-policy.js';
import { validatePod } from './pod.js';
import { validateService } from './service.js';
import { validateWorkload } from './workloads.js';

export { validateIngress, validateIngressBackend } from './ingress.js';
export { isValidCIDR, isValidIP, parseCIDRSloppy, parseIPSloppy, validateNonSpecialIP } from './ip.js';
export { validateObjectMeta } from './metadata.js';
export * from './names.js';
export { validateNetworkPolicy, validateNetworkPolicyPort } from './network-policy.js';
export { validateContainerPorts, validatePod, validatePodSpec, validatePodTemplateSpec } from './pod.js';
export { isHeadless, needsHealthCheck, validateService } from './service.js';
export { podTemplateOf, templatePaths, validateTemplateAsPod, validateWorkload } from './workloads.js';

const isWorkload = (kind: string): kind is WorkloadKind =>
  (workloadKinds as readonly string[]).includes(kind);

/** Validates one manifest as the API server would on create; kinds without port rules give []. */
export function validateObject(m: Manifest): FieldError[] {
  const o = m.object;
  switch (m.kind) {
    case 'Service':
      return validateService(o as KindMap['Service'], m.namespace);
    case 'Pod':
      return validatePod(o as KindMap['Pod'], m.namespace);
    case 'Ingress':
      return validateIngress(o as KindMap['Ingress'], m.namespace);
    case 'NetworkPolicy':
      return validateNetworkPolicy(o as KindMap['NetworkPolicy'], m.namespace);
    default:
      if (isWorkload(m.kind)) return validateWorkload(m.kind, o as KindMap[WorkloadKind], m.namespace);
      return [];
  }
}
