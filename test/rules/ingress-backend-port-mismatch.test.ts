import { describe, expect, it } from 'vitest';
import { check } from '../../src/check.js';
import { ingressBackendPortMismatch as rule } from '../../src/rules/ingress-backend-port-mismatch.js';
import { ruleTable } from '../helpers/rule-tester.js';
import { corpusUnits, readSource } from '../helpers/shared.js';

// Lines 1-26: Deployment books (container port http = 3005) and Service books 8080 -> 3005.
const books = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: books
spec:
  selector:
    matchLabels: {app: books}
  template:
    metadata:
      labels: {app: books}
    spec:
      containers:
      - name: audiobookshelf
        image: ghcr.io/advplyr/audiobookshelf:2.19.5
        ports:
        - {name: http, containerPort: 3005}
---
apiVersion: v1
kind: Service
metadata:
  name: books
spec:
  selector: {app: books}
  ports:
  - {name: http, port: 8080, targetPort: 3005}
---
`;

/** An Ingress whose default backend is `backend` (flow YAML); the backend port is on line 35 after `books`. */
const ingress = (backend: string) => `${books}apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: books
spec:
  defaultBackend:
    service:
      name: books
      port: ${backend}
`;

ruleTable(rule, {
  valid: [
    { name: 'port.number is the Service port', yaml: ingress('{number: 8080}') },
    { name: 'port.name is the Service port name', yaml: ingress('{name: http}') },
    {
      name: 'legacy servicePort by number and by name',
      yaml: `${books}apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata: {name: books}
spec:
  rules:
  - http:
      paths:
      - {path: /a, backend: {serviceName: books, servicePort: 8080}}
      - {path: /b, backend: {serviceName: books, servicePort: http}}
`,
    },
    {
      name: 'ExternalName Service with the port',
      yaml: `apiVersion: v1
kind: Service
metadata: {name: backup-svc}
spec: {type: ExternalName, externalName: coffee.example.com, ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: cafe}
spec:
  defaultBackend: {service: {name: backup-svc, port: {number: 80}}}
`,
    },
    {
      name: 'a UDP port ingress-nginx would pick is ingress-backend-not-tcp, not a port mismatch',
      yaml: `apiVersion: v1
kind: Service
metadata: {name: dns}
spec:
  selector: {app: dns}
  ports:
  - {name: dns, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, protocol: TCP}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: dns}
spec:
  defaultBackend: {service: {name: dns, port: {number: 53}}}
`,
    },
    {
      name: 'a missing Service is ingress-backend-service-missing',
      yaml: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: books}
spec:
  defaultBackend: {service: {name: books, port: {number: 3005}}}
`,
    },
  ],
  invalid: [
    {
      name: 'port.number is the targetPort (ingress-nginx still routes it)',
      yaml: ingress('{number: 3005}'),
      findings: [
        {
          message: [
            'Ingress books defaultBackend -> Service books:3005: Service books has no port 3005; did you mean Service port 8080? 3005 is its targetPort',
            'ingress-nginx routes it anyway, since it also matches a Service port by its targetPort, but other controllers answer 503 or 404',
          ],
          line: 35,
          column: 14,
          field: 'spec.defaultBackend.service.port.number',
          fix: 'Set port.number to 8080 (or use port.name: http).',
        },
      ],
    },
    {
      name: 'port.number is the containerPort a named targetPort resolves to',
      yaml: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginxinc/nginx-unprivileged:1.27
        ports: [{name: http-web, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http-web}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: web.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 8080
`,
      findings: [
        {
          message:
            'Ingress web -> Service web:8080: Service web has no port 8080; did you mean Service port 80? 8080 is the containerPort its targetPort http-web resolves to in Deployment web',
          line: 35,
          field: 'spec.rules[0].http.paths[0].backend.service.port.number',
          fix: 'Set port.number to 80.',
        },
      ],
    },
    {
      name: 'a containerPort that no Service port targets',
      yaml: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx, ports: [{containerPort: 80}, {name: metrics, containerPort: 9113}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: web, port: {number: 9113}}}
`,
      findings: [
        {
          message: '9113 is a containerPort of Deployment web, but no port of Service web targets it',
          line: 21,
          fix: 'Point the backend at one of the ports of Service web, or add the port to the Service.',
        },
      ],
    },
    {
      name: 'an unnamed Service port never matches another number (no empty-name equality)',
      yaml: `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: web, port: {number: 81}}}
`,
      findings: [
        {
          message:
            "Ingress web defaultBackend -> Service web:81: Service web has no port 81; did you mean Service port 80? It is the Service's only port",
          line: 10,
          fix: 'Set port.number to 80.',
        },
      ],
    },
    {
      name: 'several ports: they are listed',
      yaml: `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: dns, port: 53, protocol: UDP}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: web, port: {number: 81}}}
`,
      findings: [
        { message: 'Service web has no port 81; its ports are 80 (http) and 53/UDP (dns)', line: 14 },
      ],
    },
    {
      name: "port.name on the Service's unnamed port",
      yaml: `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend:
    service:
      name: web
      port:
        name: http
`,
      findings: [
        {
          message:
            "Ingress web defaultBackend -> Service web:http: Service web has no port named http; the Service's port is unnamed: use port.number 80",
          line: 14,
          column: 9,
          field: 'spec.defaultBackend.service.port.name',
          fix: 'Replace port.name with port.number: 80.',
        },
      ],
    },
    {
      name: 'port.name is the named targetPort, not the Service port name',
      yaml: `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: web, port: 80, targetPort: http}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: web, port: {name: http}}}
`,
      findings: [
        {
          message: [
            'Service web has no port named http; did you mean port name web? http is the targetPort (a container port name) of Service port 80',
            'ingress-nginx routes it anyway',
          ],
          line: 10,
          fix: 'Set port.name to web.',
        },
      ],
    },
    {
      name: 'port.name with a typo',
      yaml: `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports:
  - {name: https, port: 443, targetPort: 8443}
  - {name: http, port: 80, targetPort: 8080}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: web, port: {name: htp}}}
`,
      findings: [
        {
          message: 'Service web has no port named htp; did you mean http?',
          line: 14,
          fix: 'Set port.name to http.',
        },
      ],
    },
    {
      name: 'legacy servicePort: the finding points at servicePort as written',
      yaml: `${books}apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: books}
spec:
  rules:
  - host: books.example.com
    http:
      paths:
      - backend:
          serviceName: books
          servicePort: 3005
`,
      findings: [
        {
          message:
            'Ingress books -> Service books:3005: Service books has no port 3005; did you mean Service port 8080?',
          line: 37,
          column: 11,
          field: 'spec.rules[0].http.paths[0].backend.servicePort',
          fix: 'Set servicePort to 8080.',
        },
      ],
    },
    {
      name: 'ExternalName Service without the port: ingress-nginx passes the number through (warning)',
      yaml: `apiVersion: v1
kind: Service
metadata: {name: backup-svc}
spec: {type: ExternalName, externalName: coffee-backup-svc.external-ns.svc.cluster.local}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: cafe}
spec:
  defaultBackend: {service: {name: backup-svc, port: {number: 80}}}
`,
      findings: [
        {
          severity: 'warning',
          message:
            'ExternalName Service backup-svc has no port 80; ingress-nginx still proxies to coffee-backup-svc.external-ns.svc.cluster.local:80',
          line: 10,
        },
      ],
    },
    {
      name: 'the API and ingress-nginx pick different Service ports (warning)',
      yaml: `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: admin, port: 8080, targetPort: 9090}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: web, port: {number: 8080}}}
`,
      findings: [
        {
          severity: 'warning',
          message:
            'Ingress web defaultBackend -> Service web:8080: per the API this is Service port spec.ports[1] 8080 (admin), but ingress-nginx takes the first Service port whose port, targetPort or name equals it: spec.ports[0] 80 (http)',
          line: 14,
        },
      ],
    },
  ],
});

describe('ingress-backend-port-mismatch on the corpus', () => {
  it('finds nothing (SOURCES.md: every Ingress backend port exists on its Service)', () => {
    for (const unit of corpusUnits()) {
      const findings = check(unit.files.map(readSource), { rules: [rule] }).findings;
      expect(findings, unit.name).toEqual([]);
    }
  });
});
