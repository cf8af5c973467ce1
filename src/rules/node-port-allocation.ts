import { renderFieldError } from '../model/field-error.js';
import type { Rule } from './rule.js';

/** The registry's allocation, which runs before validation: a clash or a port outside the range. */
export const nodePortAllocation: Rule = {
  meta: {
    id: 'node-port-allocation',
    severity: 'error',
    description: 'A nodePort is outside the node-port range or already allocated to another Service port.',
    docs: {
      details:
        'Before validating a Service, the API server allocates its node ports (pkg/registry/core/service/portallocator). A nodePort outside --service-node-port-range (30000-32767 by default) or one already taken by any Service, whatever the protocol, is rejected alone, before any validation error. Ports of one Service with the same `port` number (53/TCP and 53/UDP) share one nodePort. portchain allocates every Service in input order, as creates against an empty cluster, reserving explicit nodePorts first.',
      bad: `kind: Service
metadata: {name: a}
spec: {type: NodePort, ports: [{port: 80, nodePort: 31111}]}
---
kind: Service
metadata: {name: b}
spec: {type: NodePort, ports: [{port: 80, nodePort: 31111}]}`,
      good: `kind: Service
metadata: {name: b}
spec: {type: NodePort, ports: [{port: 80, nodePort: 31112}]}`,
    },
  },
  check(ctx) {
    for (const { service, error } of ctx.graph.nodePorts.errors) {
      ctx.report({
        manifest: service,
        field: error.field,
        message: `Service "${service.name}" is invalid: ${renderFieldError(error)} (allocation, which the API server runs before validation)`,
        reason: error.reason,
      });
    }
  },
};
