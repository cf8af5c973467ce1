import { describe, expect, it } from 'vitest';
import { check } from '../../src/check.js';
import { ingressBackendServiceMissing as rule } from '../../src/rules/ingress-backend-service-missing.js';
import { ruleTable } from '../helpers/rule-tester.js';
import { corpusUnits, readSource } from '../helpers/shared.js';

const frontend = `apiVersion: v1
kind: Service
metadata:
  name: frontend
spec:
  selector:
    app: shop
  ports:
  - port: 80
    targetPort: 8080
---
`;

ruleTable(rule, {
  valid: [
    {
      name: 'the backend Service exists in the namespace',
      yaml: `${frontend}apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
spec:
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: frontend
            port:
              number: 80
`,
    },
    {
      name: 'an Ingress without namespace and a Service in namespace default are in the same namespace (GKE fan-out)',
      yaml: `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  selector: {app: web}
  ports: [{port: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: fanout
spec:
  rules:
  - http:
      paths:
      - {path: /*, pathType: ImplementationSpecific, backend: {service: {name: web, port: {number: 8080}}}}
`,
    },
    {
      name: 'an Ingress in namespace default and a Service without namespace (multi-tls)',
      yaml: `apiVersion: v1
kind: Service
metadata: {name: http-svc}
spec: {selector: {app: http-svc}, ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: foo-tls, namespace: default}
spec:
  rules:
  - host: foo.bar.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: http-svc, port: {number: 80}}}}]}
`,
    },
    {
      name: 'a legacy v1beta1 serviceName that exists',
      yaml: `apiVersion: v1
kind: Service
metadata: {name: web-svc, namespace: emojivoto}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: web-ingress
  namespace: emojivoto
  annotations:
    kubernetes.io/ingress.class: "nginx"
spec:
  rules:
  - host: emojivoto.example.com
    http:
      paths:
      - backend:
          serviceName: web-svc
          servicePort: 80
`,
    },
    {
      name: 'a resource backend names no Service',
      yaml: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: static}
spec:
  defaultBackend:
    resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: static-assets}
`,
    },
  ],
  invalid: [
    {
      name: 'another Service of the namespace offers the port',
      yaml: `${frontend}apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
spec:
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: shop-frontend
            port:
              number: 80
`,
      findings: [
        {
          message:
            'Ingress shop -> Service shop-frontend:80: no Service shop-frontend in namespace default; Service frontend:80 exists',
          line: 24,
          column: 13,
          field: 'spec.rules[0].http.paths[0].backend.service.name',
          fix: 'Set service.name to frontend',
        },
      ],
    },
    {
      name: 'a name one edit away',
      yaml: `${frontend}apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
spec:
  defaultBackend:
    service:
      name: frontnd
      port:
        number: 80
`,
      findings: [
        {
          message:
            'Ingress shop defaultBackend -> Service frontnd:80: no Service frontnd in namespace default; did you mean Service frontend:80? (one edit away)',
          line: 19,
          field: 'spec.defaultBackend.service.name',
          fix: 'Set service.name to frontend',
        },
      ],
    },
    {
      name: 'the Service is in another namespace',
      yaml: `apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: backend
spec:
  selector: {app: api}
  ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: edge
  namespace: frontend
spec:
  rules:
  - host: api.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: api
            port: {number: 80}
`,
      findings: [
        {
          message: [
            'Ingress edge -> Service api:80: no Service api in namespace frontend',
            'Service api exists in namespace backend, but an Ingress may only reference Services in its own namespace',
          ],
          line: 24,
          fix: 'Create the Ingress in namespace backend',
        },
      ],
    },
    {
      name: 'a lone Ingress is partial input: warning',
      yaml: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: tf-serving-ingress
spec:
  rules:
    - http:
        paths:
          - path: /tf
            pathType: Prefix
            backend:
              service:
                name: tf-serving
                port:
                  number: 8501
`,
      findings: [
        {
          severity: 'warning',
          message:
            'Ingress tf-serving-ingress -> Service tf-serving:8501: no Service named tf-serving in the input; if it lives elsewhere, check them together',
          line: 13,
          fix: 'Check the manifests that define Service tf-serving together with this Ingress',
        },
      ],
    },
    {
      name: 'the Ingress file also defines the workload: error',
      yaml: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend:
    service: {name: web, port: {number: 80}}
`,
      findings: [
        {
          message: 'Ingress web defaultBackend -> Service web:80: no Service web in namespace default',
          line: 15,
          fix: 'Create Service web in namespace default',
        },
      ],
    },
    {
      name: 'a cluster dump (live pods) proves the absence',
      yaml: `apiVersion: v1
kind: Pod
metadata: {name: web-0, labels: {app: web}, namespace: prod}
spec: {containers: [{name: web, image: nginx}]}
status: {phase: Running, podIP: 10.0.0.5, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
`,
      findings: [{ message: 'no Service web in namespace shop', line: 11 }],
    },
    {
      name: 'legacy v1beta1 serviceName: the finding points at serviceName as written',
      yaml: `${frontend}apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: shop
spec:
  backend:
    serviceName: fronted
    servicePort: 80
  rules:
  - http:
      paths:
      - path: /api
        backend:
          serviceName: api
          servicePort: 80
`,
      findings: [
        {
          message: ['Ingress shop defaultBackend -> Service fronted:80', 'did you mean Service frontend:80?'],
          line: 18,
          column: 5,
          field: 'spec.backend.serviceName',
          fix: 'Set serviceName to frontend',
        },
        {
          message:
            'Ingress shop -> Service api:80: no Service api in namespace default; Service frontend:80 exists',
          line: 25,
          column: 11,
          field: 'spec.rules[0].http.paths[0].backend.serviceName',
        },
      ],
    },
    {
      name: 'several paths naming the same missing Service give one finding',
      yaml: `${frontend}apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: gateway}
spec:
  rules:
  - http:
      paths:
      - {path: /productpage, pathType: Exact, backend: {service: {name: productpage, port: {number: 9080}}}}
      - {path: /static/, pathType: Prefix, backend: {service: {name: productpage, port: {number: 9080}}}}
      - {path: /login, pathType: Exact, backend: {service: {name: productpage, port: {number: 9080}}}}
`,
      findings: [
        {
          message:
            'Ingress gateway -> Service productpage:9080: no Service productpage in namespace default; 2 other paths of this Ingress name it too',
          line: 19,
        },
      ],
    },
  ],
});

describe('ingress-backend-service-missing across files', () => {
  const ingress = {
    name: 'ingress.yaml',
    text: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: shop}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
`,
  };
  const run = (other: string) =>
    check([ingress, { name: 'other.yaml', text: other }], { rules: [rule] }).findings.map((f) => ({
      severity: f.severity,
      message: f.message,
      file: f.location?.file,
      line: f.location?.line,
    }));

  it('Services of other namespaces only: still partial input (warning)', () => {
    expect(
      run(`apiVersion: v1
kind: Service
metadata: {name: api, namespace: other}
spec: {selector: {app: api}, ports: [{port: 80}]}
`),
    ).toEqual([
      {
        severity: 'warning',
        message:
          'Ingress shop defaultBackend -> Service web:80: no Service named web in the input; if it lives elsewhere, check them together',
        file: 'ingress.yaml',
        line: 5,
      },
    ]);
  });

  it("Services of the Ingress's namespace in another file: error", () => {
    expect(
      run(`apiVersion: v1
kind: Service
metadata: {name: webapp, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
`),
    ).toEqual([
      {
        severity: 'error',
        message:
          'Ingress shop defaultBackend -> Service web:80: no Service web in namespace shop; Service webapp:80 exists',
        file: 'ingress.yaml',
        line: 5,
      },
    ]);
  });
});

describe('ingress-backend-service-missing on the corpus', () => {
  it('finds nothing in any analysis unit (SOURCES.md: every Ingress backend Service exists)', () => {
    for (const unit of corpusUnits()) {
      const findings = check(unit.files.map(readSource), { rules: [rule] }).findings;
      expect(findings, unit.name).toEqual([]);
    }
  });

  it('an Ingress file loaded without its unit is partial input: warnings, never errors', () => {
    const got: string[] = [];
    for (const unit of corpusUnits()) {
      for (const file of unit.files) {
        for (const f of check([readSource(file)], { rules: [rule] }).findings) {
          expect(f.severity).toBe('warning');
          got.push(`${file.split('/').pop()}:${f.location?.line} ${f.message.split(':')[0]}`);
        }
      }
    }
    expect(got).toEqual([
      'training__traffic-split__nginx-ing.yaml:18 Ingress web-ingress -> Service web-svc',
      'networking__load-balancing__fanout-ingress.yaml:29 Ingress fanout-ingress -> Service web',
      'networking__load-balancing__fanout-ingress.yaml:36 Ingress fanout-ingress -> Service web2',
      'samples__bookinfo__platform__kube__bookinfo-ingress.yaml:32 Ingress gateway -> Service productpage',
      'AI__model-serving-tensorflow__ingress.yaml:15 Ingress tf-serving-ingress -> Service tf-serving',
      'docs__examples__docker-registry__ingress-without-tls.yaml:20 Ingress docker-registry -> Service docker-registry',
      'examples__ingress-resources__complete-example__cafe-ingress.yaml:19 Ingress cafe-ingress -> Service tea-svc',
      'examples__ingress-resources__complete-example__cafe-ingress.yaml:26 Ingress cafe-ingress -> Service coffee-svc',
    ]);
  });
});
