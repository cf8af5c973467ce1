import { describe, expect, it } from 'vitest';
import { exposedAdminPort } from '../../src/rules/exposed-admin-port.js';
import { ruleOnCorpus, ruleTable } from '../helpers/rule-tester.js';

const service = (spec: string, annotations = '') => `apiVersion: v1
kind: Service
metadata: {name: api${annotations}}
spec:
  selector: {app: api}
${spec}`;

/** Deployment api: container "api" with ports 8080 "http" and 9102 "metrics" (12 lines). */
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9102}]
---
`;

const ingress = (path: string, port: string) => `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: public}
spec:
  rules:
  - http:
      paths:
      - path: ${path}
        pathType: Prefix
        backend:
          service: {name: api, port: ${port}}
`;

ruleTable(exposedAdminPort, {
  valid: [
    {
      name: 'a LoadBalancer exposing http and https',
      yaml: service(`  type: LoadBalancer
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: https, port: 443, targetPort: 8443}
`),
    },
    {
      name: 'metrics on a ClusterIP Service',
      yaml: service(`  ports:
  - {name: metrics, port: 9090}
`),
    },
    {
      name: 'a NodePort on an ordinary port (istio httpbin 8000 -> 8080)',
      yaml: `${deployment}${service(`  type: NodePort
  ports:
  - {name: http, port: 8000, targetPort: 8080}
`)}`,
    },
    {
      name: 'an Ingress to the application port',
      yaml: `${deployment}${service(`  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: metrics, port: 9102, targetPort: metrics}
`)}${ingress('/', '{number: 80}')}`,
    },
  ],
  invalid: [
    {
      name: 'a LoadBalancer publishing a metrics port',
      yaml: service(`  type: LoadBalancer
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: metrics, port: 9090}
`),
      findings: [
        {
          line: 9,
          column: 5,
          field: 'spec.ports[1]',
          message: [
            "Service api:9090 (LoadBalancer) publishes a metrics/admin port outside the cluster, on the load balancer and on every node's nodePort",
            'its name "metrics" marks it as one',
            'rarely authenticate',
          ],
          fix: 'ClusterIP Service',
        },
      ],
    },
    {
      name: 'a NodePort reaching pprof on 6060',
      yaml: service(`  type: NodePort
  ports:
  - port: 80
    targetPort: 6060
`),
      findings: [{ line: 8, message: ["its targetPort 6060, Go's net/http/pprof convention"] }],
    },
    {
      name: 'a named targetPort and a container port name',
      yaml: `${deployment}${service(`  type: NodePort
  ports:
  - {name: api, port: 8081, targetPort: admin-api}
  - {name: web, port: 80, targetPort: 9102}
`)}`,
      findings: [
        { line: 20, message: 'its targetPort "admin-api" marks it as one' },
        {
          line: 21,
          message: 'the container port it reaches, "metrics" (9102) of container "api" marks it as one',
        },
      ],
    },
    {
      name: 'source ranges or an internal load balancer make it info',
      yaml: `${service(`  type: LoadBalancer
  loadBalancerSourceRanges: [10.0.0.0/8]
  ports:
  - {name: admin, port: 15000}
`)}---
${service(
  `  type: LoadBalancer
  ports:
  - {name: jmx, port: 1099}
`,
  ', annotations: {networking.gke.io/load-balancer-type: Internal}',
)}`,
      findings: [
        { line: 9, severity: 'info', message: '(limited by loadBalancerSourceRanges 10.0.0.0/8)' },
        { line: 18, severity: 'info', message: '(limited by an internal load balancer (annotation))' },
      ],
    },
    {
      name: 'externalIPs on a ClusterIP Service',
      yaml: service(`  externalIPs: [203.0.113.10]
  ports:
  - {port: 9100}
`),
      findings: [{ line: 8, message: ["on externalIPs 203.0.113.10: port 9100, node_exporter's default"] }],
    },
    {
      name: 'an Ingress routing to the metrics port, and a /metrics path',
      yaml: `${deployment}${service(`  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: metrics, port: 9102, targetPort: metrics}
`)}${ingress('/stats', '{name: metrics}')}${ingress('/api/metrics', '{number: 80}').replace('name: public', 'name: public2')}`,
      findings: [
        {
          line: 32,
          field: 'spec.rules[0].http.paths[0].backend.service.port.name',
          message:
            'Ingress public -> Service api:metrics (path /stats) publishes a metrics/admin port through the ingress controller: its name "metrics"',
        },
        {
          line: 41,
          field: 'spec.rules[0].http.paths[0].path',
          message: 'Ingress public2 -> Service api:80 (path /api/metrics) publishes a /metrics endpoint',
        },
      ],
    },
  ],
});

describe('exposed-admin-port on the corpus', () => {
  it('reports nothing', () => {
    const got = ruleOnCorpus(exposedAdminPort);
    // Every NodePort/LoadBalancer Service of the corpus publishes an application port: ingress-nginx cloud and
    // baremetal http/https (80/443 -> the controller's http/https, never its 10254 metrics), nginxinc http/https,
    // sock-shop front-end 80 -> 8079, GKE web/web2 8080, frontend 80 -> 8080, istio httpbin 8000 -> 8080,
    // guestbook 80, dapr 80 -> 8080/3000, Online Boutique frontend-external 80 -> 8080. Metrics ports (argo-cd,
    // kube-prometheus, coredns 9153, otel-demo) sit on ClusterIP Services, and no Ingress routes to one.
    expect(got).toEqual([]);
  });
});
