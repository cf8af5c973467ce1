import { apiValidation } from './api-validation.js';
import { containerPortNotListening } from './container-port-not-listening.js';
import { dnsPortSingleProtocol } from './dns-port-single-protocol.js';
import { duplicateContainerPort } from './duplicate-container-port.js';
import { duplicateTargetPort } from './duplicate-target-port.js';
import { endpointsDrift } from './endpoints-drift.js';
import { exposedAdminPort } from './exposed-admin-port.js';
import { externalTrafficPolicyLocal } from './external-traffic-policy-local.js';
import { hostNetworkPortClash } from './host-network-port-clash.js';
import { hostPort } from './host-port.js';
import { ingressBackendNoEndpoints } from './ingress-backend-no-endpoints.js';
import { ingressBackendNotTcp } from './ingress-backend-not-tcp.js';
import { ingressBackendPortMismatch } from './ingress-backend-port-mismatch.js';
import { ingressBackendServiceMissing } from './ingress-backend-service-missing.js';
import { ingressClassMissing } from './ingress-class-missing.js';
import { ingressPathConflict } from './ingress-path-conflict.js';
import { inputFindings } from './input-findings.js';
import { networkPolicyBlocksService } from './network-policy-blocks-service.js';
import { nodePortAllocation } from './node-port-allocation.js';
import { probePortNotListening } from './probe-port-not-listening.js';
import { probePortUnresolved } from './probe-port-unresolved.js';
import type { Rule, RuleMeta } from './rule.js';
import { servicePortProtocolMismatch } from './service-port-protocol-mismatch.js';
import { serviceSelectsNothing } from './service-selects-nothing.js';
import { targetPortNameInconsistent } from './target-port-name-inconsistent.js';
import { targetPortNameUnresolved } from './target-port-name-unresolved.js';
import { targetPortNotListening } from './target-port-not-listening.js';
import { targetPortUndeclared } from './target-port-undeclared.js';

/** Every rule, in chain order: API acceptance, Service -> Pods, process, Ingress, nodes, policy. */
export const registeredRules: readonly Rule[] = [
  apiValidation,
  nodePortAllocation,
  serviceSelectsNothing,
  targetPortNameUnresolved,
  targetPortUndeclared,
  targetPortNameInconsistent,
  servicePortProtocolMismatch,
  dnsPortSingleProtocol,
  duplicateTargetPort,
  targetPortNotListening,
  containerPortNotListening,
  probePortUnresolved,
  probePortNotListening,
  ingressBackendServiceMissing,
  ingressBackendPortMismatch,
  ingressBackendNoEndpoints,
  ingressBackendNotTcp,
  ingressPathConflict,
  ingressClassMissing,
  externalTrafficPolicyLocal,
  exposedAdminPort,
  hostPort,
  duplicateContainerPort,
  hostNetworkPortClash,
  networkPolicyBlocksService,
  endpointsDrift,
];

/** Every finding id portchain can emit, for docs, SARIF and configuration. */
export const allRuleMetas: readonly RuleMeta[] = [...inputFindings, ...registeredRules.map((r) => r.meta)];

export function ruleMeta(id: string): RuleMeta | undefined {
  return allRuleMetas.find((m) => m.id === id);
}
