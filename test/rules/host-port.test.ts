import { describe, expect, it } from 'vitest';
import { hostPort } from '../../src/rules/host-port.js';
import { ruleOnCorpus, ruleTable } from '../helpers/rule-tester.js';

ruleTable(hostPort, {
  valid: [
    {
      name: 'a containerPort published by a Service',
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
        ports: [{containerPort: 8080}]
`,
    },
    {
      name: 'hostNetwork DaemonSet writing hostPort = containerPort (kube-prometheus node-exporter)',
      yaml: `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-exporter}
spec:
  selector: {matchLabels: {app: node-exporter}}
  template:
    metadata: {labels: {app: node-exporter}}
    spec:
      hostNetwork: true
      containers:
      - name: kube-rbac-proxy
        ports: [{containerPort: 9100, hostPort: 9100, name: https}]
`,
    },
    {
      name: 'hostNetwork Pod: the API server defaults hostPort to containerPort',
      yaml: `apiVersion: v1
kind: Pod
metadata: {name: agent}
spec:
  hostNetwork: true
  containers: [{name: agent, ports: [{containerPort: 9100}]}]
`,
    },
  ],
  invalid: [
    {
      name: "Deployment with Docker's -p 80:8080 habit",
      yaml: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        ports:
        - containerPort: 8080
          hostPort: 80
`,
      findings: [
        {
          line: 14,
          column: 11,
          field: 'spec.template.spec.containers[0].ports[0].hostPort',
          message: [
            'Deployment web container "web" port 8080/TCP: hostPort 80 binds 80/TCP on every node a pod lands on',
            '3 pods of Deployment web need 3 distinct nodes with 80/TCP free',
            "Docker's `-p 80:8080`; in Kubernetes, expose a port with a Service; hostPort is not how you publish a port",
          ],
          fix: 'Remove hostPort and publish containerPort 8080 with a Service',
        },
      ],
    },
    {
      name: 'Pod with a hostIP, and an init container',
      yaml: `apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  initContainers:
  - name: warmup
    ports: [{containerPort: 9000, hostPort: 9000, protocol: UDP}]
  containers:
  - name: app
    ports:
    - {containerPort: 8080, hostPort: 18080, hostIP: 127.0.0.1}
`,
      findings: [
        { line: 7, message: ['Pod debug init container "warmup" port 9000/UDP', '`-p 9000:9000`'] },
        { line: 11, message: ['Pod debug container "app" port 8080/TCP', 'binds 127.0.0.1:18080/TCP'] },
      ],
    },
    {
      name: 'a cluster dump: replicas of one ReplicaSet give one finding',
      yaml: `apiVersion: v1
kind: Pod
metadata:
  name: web-abc-1
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-abc, controller: true}]
spec:
  nodeName: n1
  containers: [{name: web, ports: [{containerPort: 8080, hostPort: 80}]}]
status: {phase: Running, podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-abc-2
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-abc, controller: true}]
spec:
  nodeName: n2
  containers: [{name: web, ports: [{containerPort: 8080, hostPort: 80}]}]
status: {phase: Running, podIP: 10.0.0.2}
`,
      findings: [
        { line: 8, message: 'Pod web-abc-1 container "web" port 8080/TCP: hostPort 80 binds 80/TCP' },
      ],
    },
    {
      name: 'a DaemonSet publishing 80 on every node (ingress-controller pattern) is info',
      yaml: `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: nginx-ingress}
spec:
  selector: {matchLabels: {app: nginx-ingress}}
  template:
    metadata: {labels: {app: nginx-ingress}}
    spec:
      containers:
      - name: nginx-ingress
        ports:
        - {name: http, containerPort: 80, hostPort: 80}
`,
      findings: [
        {
          line: 12,
          severity: 'info',
          message: ['DaemonSet nginx-ingress', 'usual node-agent or ingress-controller pattern'],
          fix: 'every node',
        },
      ],
    },
  ],
});

describe('host-port on the corpus', () => {
  it('reports only the nginxinc DaemonSet, as info', () => {
    const got = ruleOnCorpus(hostPort);
    // nginxinc/kubernetes-ingress deployments/daemon-set/nginx-ingress.yaml publishes 80 and 443 with hostPort on
    // every node, without hostNetwork: the deliberate ingress-controller DaemonSet pattern, so info (SOURCES.md
    // lists it among the valid hostPort cases). kube-prometheus node-exporter (hostNetwork, hostPort 9100 =
    // containerPort) gives nothing: that hostPort is the value the API server requires.
    expect(got).toEqual([
      'nginxinc__kubernetes-ingress info nginx-ingress spec.template.spec.containers[0].ports[0].hostPort:41',
      'nginxinc__kubernetes-ingress info nginx-ingress spec.template.spec.containers[0].ports[1].hostPort:44',
    ]);
  });
});
