import { describe, expect, it } from 'vitest';
import { duplicateContainerPort } from '../../src/rules/duplicate-container-port.js';
import { ruleOnCorpus, ruleTable } from '../helpers/rule-tester.js';

const pod = (spec: string) => `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
${spec}`;

ruleTable(duplicateContainerPort, {
  valid: [
    {
      name: 'two containers, two ports',
      yaml: pod(`  containers:
  - {name: app, ports: [{containerPort: 8080, name: http}]}
  - {name: proxy, ports: [{containerPort: 9090, name: metrics}]}
`),
    },
    {
      name: 'the same number on TCP and UDP (coredns 53)',
      yaml: pod(`  containers:
  - {name: dns, ports: [{containerPort: 53, protocol: UDP, name: dns}]}
  - {name: dns-tcp, ports: [{containerPort: 53, protocol: TCP, name: dns-tcp}]}
`),
    },
    {
      name: 'a plain init container runs before the app and may use its port',
      yaml: pod(`  initContainers:
  - {name: migrate, ports: [{containerPort: 8080}]}
  containers:
  - {name: app, ports: [{containerPort: 8080}]}
`),
    },
    {
      name: 'one container port published on two host ports',
      yaml: pod(`  containers:
  - name: app
    ports:
    - {containerPort: 8080, hostPort: 80}
    - {containerPort: 8080, hostPort: 8080}
`),
    },
    {
      name: 'the same name on different protocols: FindPort matches name and protocol',
      yaml: pod(`  containers:
  - {name: a, ports: [{containerPort: 53, protocol: UDP, name: dns}]}
  - {name: b, ports: [{containerPort: 5353, protocol: TCP, name: dns}]}
`),
    },
  ],
  invalid: [
    {
      name: 'two containers bind 8080',
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
        ports: [{containerPort: 8080}]
      - name: metrics-proxy
        ports:
        - containerPort: 8080
`,
      findings: [
        {
          line: 15,
          column: 11,
          field: 'spec.template.spec.containers[1].ports[0].containerPort',
          message: [
            'Deployment web: container "metrics-proxy" (spec.template.spec.containers[1].ports[0]) and container "web" (spec.template.spec.containers[0].ports[0]) both declare 8080/TCP',
            'share one network namespace',
            'address already in use',
            'duplicate port definition with spec.template.spec.containers[0].ports[0]',
          ],
          fix: 'another port',
        },
      ],
    },
    {
      name: 'a native sidecar and the app, in the node namespace',
      yaml: pod(`  hostNetwork: true
  initContainers:
  - name: proxy
    restartPolicy: Always
    ports: [{containerPort: 9100}]
  containers:
  - name: exporter
    ports: [{containerPort: 9100}]
`),
      findings: [
        {
          line: 9,
          message: [
            'sidecar "proxy" (spec.initContainers[0].ports[0]) and container "exporter"',
            "the node's network namespace (hostNetwork)",
          ],
        },
      ],
    },
    {
      name: 'one container declares 8080 twice under two names: info',
      yaml: pod(`  containers:
  - name: app
    ports:
    - {containerPort: 8080, name: http}
    - {containerPort: 8080, name: metrics}
`),
      findings: [
        {
          line: 9,
          severity: 'info',
          message: [
            'container "app" (spec.containers[0].ports[1] "metrics") declares 8080/TCP again (already spec.containers[0].ports[0] "http")',
            'if "metrics" was meant to be another port, its number is wrong',
          ],
        },
      ],
    },
    {
      name: 'the same port name in two containers: the first wins',
      yaml: pod(`  containers:
  - {name: app, ports: [{containerPort: 8080, name: metrics}]}
  - name: sidecar
    ports:
    - {containerPort: 9090, name: metrics}
`),
      findings: [
        {
          line: 9,
          severity: 'info',
          field: 'spec.containers[1].ports[0].name',
          message: [
            'port name "metrics" (TCP) is declared by container "app"',
            'services and probes that select ports by name will use the first container',
            'never reaches 9090',
          ],
        },
      ],
    },
  ],
});

describe('duplicate-container-port on the corpus', () => {
  it('reports nothing', () => {
    const got = ruleOnCorpus(duplicateContainerPort);
    // SOURCES.md: named ports that resolve in different containers (kube-rbac-proxy sidecars, the sock-shop
    // rabbitmq exporter, otel-demo flagd/flagd-ui) use distinct names and numbers; coredns declares 53 once per
    // protocol. No pod of the corpus declares a port or a port name twice.
    expect(got).toEqual([]);
  });
});
