import { describe, expect, it } from 'vitest';
import { servicePortProtocolMismatch } from '../../src/rules/service-port-protocol-mismatch.js';
import { ruleTable } from '../helpers/rule-tester.js';
import { corpusFindings } from './support/service-rules-corpus.js';

/** A Deployment labelled app=<name> (lines 1-14), then its `ports:` block; ends with `---`. */
const deployment = (name: string, ports: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector:
    matchLabels: {app: syslog, workload: ${name}}
  template:
    metadata:
      labels: {app: syslog, workload: ${name}}
    spec:
      containers:
      - name: ${name}
        image: example/${name}
${ports}---
`;

/** The Service; its first port entry is on line 8 of this block. */
const service = (ports: string) => `apiVersion: v1
kind: Service
metadata:
  name: syslog
spec:
  selector: {app: syslog}
  ports:
${ports}`;

const udp514 = '        ports:\n        - {containerPort: 514, protocol: UDP}\n';
const tcp53 = '        ports:\n        - {name: dns-tcp, containerPort: 53}\n';

ruleTable(servicePortProtocolMismatch, {
  valid: [
    {
      name: 'protocols agree',
      yaml: deployment('syslog', udp514) + service('  - {port: 514, protocol: UDP}\n'),
    },
    {
      name: 'the number is declared with both protocols',
      yaml:
        deployment(
          'dns',
          '        ports:\n        - {containerPort: 53, protocol: UDP}\n        - {containerPort: 53}\n',
        ) + service('  - {name: dns, port: 53, protocol: UDP}\n  - {name: dns-tcp, port: 53}\n'),
    },
    {
      name: 'undeclared number: target-port-undeclared, not this rule',
      yaml: deployment('syslog', '') + service('  - {port: 514, protocol: UDP}\n'),
    },
    {
      name: 'a named targetPort with the wrong protocol does not resolve: target-port-name-unresolved',
      yaml: deployment('dns', tcp53) + service('  - {port: 53, protocol: UDP, targetPort: dns-tcp}\n'),
    },
  ],
  invalid: [
    {
      name: 'two workloads declaring the same UDP port in containers of one name: the port is named once',
      yaml:
        deployment('a', udp514).replace('- name: a', '- name: syslog') +
        deployment('b', udp514).replace('- name: b', '- name: syslog') +
        service('  - port: 514\n    targetPort: 514\n'),
      findings: [
        {
          line: 43,
          message:
            'Service default/syslog:514 -> targetPort 514 -> Deployment a and Deployment b: the pods declare 514 only as UDP (514/UDP in container syslog); kube-proxy',
        },
      ],
    },
    {
      name: 'TCP Service port (the default) to a UDP-only container port',
      yaml: deployment('syslog', udp514) + service('  - port: 514\n    targetPort: 514\n'),
      findings: [
        {
          severity: 'error',
          line: 26,
          field: 'spec.ports[0].targetPort',
          message: [
            'Service default/syslog:514 -> targetPort 514 -> Deployment syslog: the pods declare 514 only as UDP (514/UDP in container syslog)',
            'kube-proxy forwards TCP to port 514, which the process serves over UDP only, so its connections are refused',
          ],
          fix: 'Set protocol: UDP on this Service port',
        },
      ],
    },
    {
      name: 'UDP Service port to a TCP-only container port, targetPort omitted',
      yaml: deployment('dns', tcp53) + service('  - name: dns\n    port: 53\n    protocol: UDP\n'),
      findings: [
        {
          line: 25,
          message: [
            'Service default/syslog:53/UDP (dns) -> targetPort 53 (defaulted to port) -> Deployment dns: the pods declare 53 only as TCP (53/TCP (dns-tcp) in container dns)',
            'so its datagrams get ICMP port unreachable',
          ],
          fix: 'Set protocol: TCP on this Service port',
        },
      ],
    },
    {
      name: 'one of two workloads declares only the other protocol',
      yaml:
        deployment('a', udp514) +
        deployment('b', '        ports:\n        - {containerPort: 514}\n') +
        service('  - {port: 514, protocol: UDP}\n'),
      findings: [
        {
          line: 42,
          message: [
            '-> Deployment b: the pods declare 514 only as TCP',
            '(other selected workloads do declare it)',
          ],
        },
      ],
    },
  ],
});

describe('service-port-protocol-mismatch on the corpus', () => {
  it('reports nothing: every UDP port of the corpus (coredns, otel-demo) reaches a UDP container port', () => {
    expect(corpusFindings(servicePortProtocolMismatch)).toEqual([]);
  });
});
