import { describe, expect, it } from 'vitest';
import { check } from '../../src/check.js';
import { ingressBackendNoEndpoints as rule } from '../../src/rules/ingress-backend-no-endpoints.js';
import { ruleTable } from '../helpers/rule-tester.js';
import { corpusUnits, readSource } from '../helpers/shared.js';

// Lines 1-11: Deployment web, pods labelled app=web with container port http = 8080.
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginxinc/nginx-unprivileged:1.27, ports: [{name: http, containerPort: 8080}]}]
---
`;

/** Service web with `spec` (flow YAML) on line 4, then an Ingress whose backend port is on line 10. */
const chain = (spec: string) => `apiVersion: v1
kind: Service
metadata: {name: web}
spec: ${spec}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
`;

ruleTable(rule, {
  valid: [
    {
      name: 'the selected pods resolve the targetPort',
      yaml: deployment + chain('{selector: {app: web}, ports: [{port: 80, targetPort: http}]}'),
    },
    {
      name: 'an ExternalName Service needs no endpoints',
      yaml: chain('{type: ExternalName, externalName: web.example.com, ports: [{port: 80}]}'),
    },
    {
      name: 'a selectorless Service with hand-written Endpoints on the same port name',
      yaml: `${chain('{ports: [{name: http, port: 80}]}')}---
apiVersion: v1
kind: Endpoints
metadata: {name: web}
subsets:
- addresses: [{ip: 192.0.2.10}]
  ports: [{name: http, port: 80}]
`,
    },
    {
      name: 'a port that does not exist is ingress-backend-port-mismatch',
      yaml:
        deployment +
        `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: nope}, ports: [{port: 8080}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
`,
    },
  ],
  invalid: [
    {
      name: 'the selector matches no pod of the workloads given (warning, points at service-selects-nothing)',
      yaml: deployment + chain('{selector: {app: webb}, ports: [{port: 80, targetPort: http}]}'),
      findings: [
        {
          severity: 'warning',
          message:
            'Ingress web defaultBackend -> Service web:80: no ready endpoints behind Service port 80, so the controller answers 503: selector app=webb selects no Pod (see service-selects-nothing)',
          line: 21,
          field: 'spec.defaultBackend.service.port.number',
          fix: 'Fix the selector of Service web (see service-selects-nothing).',
        },
      ],
    },
    {
      name: 'no pod of the namespace in the input at all (info: pods may come from elsewhere)',
      yaml: chain('{selector: {app: web}, ports: [{port: 80}]}'),
      findings: [
        {
          severity: 'info',
          message: 'selector app=web selects no Pod (see service-selects-nothing)',
          line: 10,
        },
      ],
    },
    {
      name: 'the named targetPort resolves in no selected pod (warning, points at target-port-name-unresolved)',
      yaml: deployment + chain('{selector: {app: web}, ports: [{port: 80, targetPort: http-web}]}'),
      findings: [
        {
          severity: 'warning',
          message:
            'no ready endpoints behind Service port 80, so the controller answers 503: targetPort http-web resolves in none of the selected Pods (Deployment web) (see target-port-name-unresolved)',
          line: 21,
          fix: 'Declare a TCP container port named http-web',
        },
      ],
    },
    {
      name: 'a cluster dump whose selected pod is not ready (error)',
      yaml: `apiVersion: v1
kind: Pod
metadata: {name: web-0, labels: {app: web}}
spec: {containers: [{name: web, image: nginx}]}
status: {phase: Running, podIP: 10.0.0.5, conditions: [{type: Ready, status: "False"}]}
---
${chain('{selector: {app: web}, ports: [{port: 80}]}')}`,
      findings: [
        {
          severity: 'error',
          message:
            'no ready endpoints behind Service port 80, so the controller answers 503: none of the 1 selected Pod is a ready endpoint for this port',
          line: 16,
        },
      ],
    },
    {
      name: 'a selectorless Service without hand-written endpoints (info)',
      yaml: chain('{ports: [{port: 80}]}'),
      findings: [
        {
          severity: 'info',
          message:
            'Service web has no selector and the input holds no Endpoints or EndpointSlice for it; assumed they are written out of band',
          line: 10,
        },
      ],
    },
    {
      name: 'hand-written Endpoints whose port name differs from the Service port (error)',
      yaml: `${chain('{ports: [{name: http, port: 80}]}')}---
apiVersion: v1
kind: Endpoints
metadata: {name: web}
subsets:
- addresses: [{ip: 192.0.2.10}]
  ports: [{port: 80}]
`,
      findings: [
        {
          severity: 'error',
          message:
            "the hand-written Endpoints/EndpointSlices of Service web hold no ready endpoint for port 80 (http); their ports must carry the Service port's name (http) and protocol",
          line: 10,
          fix: 'Give the EndpointSlice or Endpoints port the name "http" and protocol TCP',
        },
      ],
    },
    {
      name: 'several paths to the same empty Service port give one finding',
      yaml: `${deployment}apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: webb}, ports: [{port: 80, targetPort: http}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - http:
      paths:
      - {path: /a, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /b, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`,
      findings: [
        {
          severity: 'warning',
          message: [
            'Ingress web -> Service web:80: no ready endpoints',
            '(see service-selects-nothing) (also for 1 other path of this Ingress)',
          ],
          line: 24,
        },
      ],
    },
  ],
});

describe('ingress-backend-no-endpoints on the corpus', () => {
  it('finds nothing (SOURCES.md: every Ingress backend Service selects the pods of its unit)', () => {
    for (const unit of corpusUnits()) {
      const findings = check(unit.files.map(readSource), { rules: [rule] }).findings;
      expect(findings, unit.name).toEqual([]);
    }
  });
});
