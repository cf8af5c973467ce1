import { describe, expect, it } from 'vitest';
import { externalTrafficPolicyLocal } from '../../src/rules/external-traffic-policy-local.js';
import { ruleOnCorpus, ruleTable } from '../helpers/rule-tester.js';

const deployment = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        ports: [{containerPort: 8080}]
`;

ruleTable(externalTrafficPolicyLocal, {
  valid: [
    {
      name: 'NodePort with the default policy (Cluster)',
      yaml: `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`,
    },
    {
      name: 'LoadBalancer with externalTrafficPolicy Cluster',
      yaml: `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Cluster
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`,
    },
  ],
  invalid: [
    {
      name: 'NodePort Local with one replica: other nodes drop',
      yaml: `${deployment(1)}---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`,
      findings: [
        {
          line: 19,
          column: 3,
          field: 'spec.externalTrafficPolicy',
          message: [
            'Service web (NodePort) externalTrafficPolicy Local',
            'client source IP',
            'kube-proxy DROPs it and the client times out',
            'Clients must target the nodes that run a ready pod',
            'ready endpoints on 1 node (node-1, where portchain places the workloads)',
            'Deployment web runs 1 pod, so at most 1 node answers',
          ],
          fix: 'Cluster',
        },
      ],
    },
    {
      name: 'LoadBalancer Local: healthCheckNodePort steers the load balancer; a DaemonSet covers every node',
      yaml: `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: edge}
spec:
  selector: {matchLabels: {app: edge}}
  template:
    metadata: {labels: {app: edge}}
    spec:
      containers:
      - name: edge
        ports: [{containerPort: 8443}]
---
apiVersion: v1
kind: Service
metadata: {name: edge}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  healthCheckNodePort: 32000
  selector: {app: edge}
  ports: [{port: 443, targetPort: 8443}]
`,
      findings: [
        {
          line: 18,
          message: [
            'Service edge (LoadBalancer)',
            'healthCheckNodePort 32000 answers 200',
            'traffic sent straight to a nodePort is not',
            'DaemonSet edge runs a pod on every node it schedules to',
          ],
        },
      ],
    },
    {
      name: 'pods pinned to two nodes: two nodes answer',
      yaml: `apiVersion: v1
kind: Pod
metadata: {name: a, labels: {app: web}}
spec:
  nodeName: worker-a
  containers: [{name: web, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: b, labels: {app: web}}
spec:
  nodeName: worker-b
  containers: [{name: web, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`,
      findings: [{ line: 20, message: 'ready endpoints on 2 nodes (worker-a, worker-b).' }],
    },
    {
      name: 'no pod selected: kube-proxy rejects rather than drops',
      yaml: `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`,
      findings: [
        {
          line: 6,
          message: [
            'healthCheckNodePort (allocated by the API server)',
            'REJECTs the traffic (connection refused)',
          ],
        },
      ],
    },
  ],
});

describe('external-traffic-policy-local on the corpus', () => {
  it('reports only the ingress-nginx cloud LoadBalancer, which sets Local on purpose', () => {
    const got = ruleOnCorpus(externalTrafficPolicyLocal);
    // deploy/static/provider/cloud/deploy.yaml sets `externalTrafficPolicy: Local` on the controller's
    // LoadBalancer (to keep client IPs); its Deployment has one replica, so only that node serves: info,
    // never an error. The baremetal NodePort variant keeps the default (Cluster) and gives nothing.
    expect(got).toEqual([
      'kubernetes__ingress-nginx/deploy__static__provider__cloud__deploy.yaml info ingress-nginx-controller spec.externalTrafficPolicy:347',
    ]);
  });
});
