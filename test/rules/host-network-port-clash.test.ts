import { describe, expect, it } from 'vitest';
import { hostNetworkPortClash } from '../../src/rules/host-network-port-clash.js';
import { ruleOnCorpus, ruleTable } from '../helpers/rule-tester.js';

/** A hostNetwork DaemonSet (9 lines; its port is on line 9). */
const daemonSet = (name: string, port: number, extra = '', protocol = 'TCP') => `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ${name}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {hostNetwork: true${extra}, containers: [{name: ${name}, ports: [{containerPort: ${port}, protocol: ${protocol}}]}]}
`;

const deployment = (name: string, spec: string, replicas = 1) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: ${spec}
`;

ruleTable(hostNetworkPortClash, {
  valid: [
    { name: 'one hostNetwork DaemonSet', yaml: daemonSet('node-exporter', 9100) },
    {
      name: 'two hostNetwork Deployments: the scheduler puts them on different nodes',
      yaml: `${deployment('a', '{hostNetwork: true, containers: [{name: a, ports: [{containerPort: 8080}]}]}')}---
${deployment('b', '{hostNetwork: true, containers: [{name: b, ports: [{containerPort: 8080}]}]}')}`,
    },
    {
      name: 'the same port on TCP and UDP',
      yaml: `${daemonSet('a', 5353)}---
${daemonSet('b', 5353, '', 'UDP')}`,
    },
    {
      name: 'hostPorts on two distinct host IPs of one node',
      yaml: `apiVersion: v1
kind: Pod
metadata: {name: a}
spec: {nodeName: n1, containers: [{name: a, ports: [{containerPort: 80, hostPort: 80, hostIP: 10.0.0.1}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec: {nodeName: n1, containers: [{name: b, ports: [{containerPort: 80, hostPort: 80, hostIP: 10.0.0.2}]}]}
`,
    },
    {
      name: 'two pinned pods on different nodes',
      yaml: `apiVersion: v1
kind: Pod
metadata: {name: a}
spec: {nodeName: n1, hostNetwork: true, containers: [{name: a, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec: {nodeName: n2, hostNetwork: true, containers: [{name: b, ports: [{containerPort: 80}]}]}
`,
    },
  ],
  invalid: [
    {
      name: 'two hostNetwork DaemonSets on 9100: every node',
      yaml: `${daemonSet('node-exporter', 9100)}---
${daemonSet('other-exporter', 9100)}`,
      findings: [
        {
          line: 17,
          severity: 'error',
          field: 'spec.template.spec.containers[0].ports[0].containerPort',
          message: [
            'DaemonSet other-exporter container "other-exporter" port 9100/TCP (hostNetwork) clashes with DaemonSet node-exporter container "node-exporter" port 9100/TCP (hostNetwork) on every node',
            "only one process can bind 9100/TCP in a node's network namespace",
          ],
          fix: 'another port',
        },
      ],
    },
    {
      name: 'a DaemonSet with a nodeSelector: only where both run',
      yaml: `${daemonSet('a', 9100)}---
${daemonSet('b', 9100, ', nodeSelector: {role: edge}')}`,
      findings: [{ line: 17, severity: 'warning', message: 'on every node both DaemonSets run on' }],
    },
    {
      name: 'a hostPort Deployment finds no node next to a hostNetwork DaemonSet on 80',
      yaml: `${daemonSet('edge', 80)}---
${deployment('web', '{containers: [{name: web, ports: [{containerPort: 8080, hostPort: 80}]}]}')}`,
      findings: [
        {
          line: 18,
          severity: 'error',
          field: 'spec.template.spec.containers[0].ports[0].hostPort',
          message: [
            'Deployment web container "web" hostPort 80/TCP clashes with DaemonSet edge',
            'the other pods find no node with the port free',
          ],
        },
      ],
    },
    {
      name: 'two pods bound to one node (cluster dump or nodeName)',
      yaml: `apiVersion: v1
kind: Pod
metadata: {name: a}
spec: {nodeName: n1, hostNetwork: true, containers: [{name: a, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec: {nodeName: n1, containers: [{name: b, ports: [{containerPort: 80, hostPort: 8080}]}]}
`,
      findings: [
        {
          line: 9,
          severity: 'error',
          message: ['Pod b container "b" hostPort 8080/TCP clashes with Pod a', 'on node n1'],
        },
      ],
    },
    {
      name: 'a workload pinned to one node with two replicas clashes with itself',
      yaml: deployment(
        'web',
        '{nodeName: n1, hostNetwork: true, containers: [{name: web, ports: [{containerPort: 8080}]}]}',
        2,
      ),
      findings: [{ line: 9, severity: 'error', message: 'its 2 pods are all bound to node n1 by nodeName' }],
    },
    {
      name: 'a hostNetwork port on an explicit nodePort, and one inside the range',
      yaml: `${daemonSet('agent', 30080)}---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, nodePort: 30080}]
---
${daemonSet('probe', 31000)}`,
      findings: [
        {
          line: 8,
          severity: 'warning',
          message: [
            'DaemonSet agent container "agent" port 30080/TCP (hostNetwork) clashes with Service web\'s nodePort 30080 (port 80)',
            'kube-proxy takes 30080/TCP on every node',
          ],
          fix: 'outside the node-port range 30000-32767',
        },
        {
          line: 25,
          severity: 'info',
          message:
            'is inside the node-port range 30000-32767: the API server may allocate 31000 as a nodePort',
        },
      ],
    },
  ],
});

describe('host-network-port-clash on the corpus', () => {
  it('reports nothing', () => {
    const got = ruleOnCorpus(hostNetworkPortClash);
    // The corpus has one hostNetwork workload (kube-prometheus node-exporter, 9100, alone on its nodes) and one
    // hostPort DaemonSet (nginxinc, 80/443, in another unit): nothing else binds those ports on a node, and no
    // node-level port falls in the node-port range (sock-shop's nodePort 30001 is a Service's own).
    expect(got).toEqual([]);
  });
});
