import { renderFieldError } from '../model/field-error.js';
import { isKind } from '../model/load.js';
import { validateObject } from '../model/validation/index.js';
import { serviceValidationErrors } from '../semantics/node-ports.js';
import type { Rule } from './rule.js';

/** The API server's own validation: an object it would reject with 422 Invalid. */
export const apiValidation: Rule = {
  meta: {
    id: 'api-validation',
    severity: 'error',
    description: 'The API server rejects this object (422 Invalid): a port field breaks a validation rule.',
    docs: {
      details:
        "portchain applies the API server's defaulting and then its validation (pkg/apis/core/validation, pkg/apis/networking/validation) to every port-related field, and reports each cause with Kubernetes' field path, cause type and message. `kubectl apply` of such an object fails, so nothing downstream of it exists.",
      bad: `kind: Service
spec:
  ports:
  - name: http
    port: 80
  - port: 443        # two ports: each needs a name
    targetPort: "8443" # quoted: a port name, and names need a letter`,
      good: `kind: Service
spec:
  ports:
  - name: http
    port: 80
  - name: https
    port: 443
    targetPort: 8443`,
    },
  },
  check(ctx) {
    for (const m of ctx.graph.manifests) {
      // The API server stops at decoding: a field it could not decode gives no validation errors.
      if (m.decodeFailed) continue;
      // Services are validated as the registry filled them: allocation (reported by node-port-allocation)
      // runs first and provides the healthCheckNodePort that validation would otherwise miss.
      const errors = isKind(m, 'Service')
        ? serviceValidationErrors(m, ctx.graph.nodePorts)
        : validateObject(m);
      for (const e of errors) {
        ctx.report({
          manifest: m,
          field: e.field,
          message: `${m.kind} "${m.name}" is invalid: ${renderFieldError(e)}`,
          reason: e.reason,
        });
      }
    }
  },
};
