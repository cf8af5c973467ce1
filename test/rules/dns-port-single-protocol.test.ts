import { describe, expect, it } from 'vitest';
import { dnsPortSingleProtocol } from '../../src/rules/dns-port-single-protocol.js';
import { ruleTable } from '../helpers/rule-tester.js';
import { corpusFindings } from './support/service-rules-corpus.js';

/** CoreDNS-like Deployment (18 lines, ending with `---`) declaring the given ports. */
const coredns = (
  ports = '        - {name: dns, containerPort: 53, protocol: UDP}\n        - {name: dns-tcp, containerPort: 53}\n',
) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
spec:
  selector:
    matchLabels: {app: coredns}
  template:
    metadata:
      labels: {app: coredns}
    spec:
      containers:
      - name: coredns
        image: coredns/coredns:1.11.3
        ports:
${ports}---
`;

/** The Service; its first port entry is on line 8 of this block. */
const service = (ports: string) => `apiVersion: v1
kind: Service
metadata:
  name: dns
spec:
  selector: {app: coredns}
  ports:
${ports}`;

ruleTable(dnsPortSingleProtocol, {
  valid: [
    {
      name: '53 over UDP and TCP (coredns)',
      yaml:
        coredns() +
        service(
          '  - {name: dns, port: 53, protocol: UDP, targetPort: dns}\n  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: dns-tcp}\n',
        ),
    },
    {
      name: 'TCP only while the pods serve TCP only (DNS over TCP on purpose)',
      yaml:
        coredns('        - {name: dns-tcp, containerPort: 53}\n') +
        service('  - {name: dns-tcp, port: 53}\n'),
    },
    {
      name: 'a non-DNS Service',
      yaml: service('  - {name: http, port: 80}\n'),
    },
  ],
  invalid: [
    {
      name: 'DNS over UDP only, the TCP container port left out',
      yaml: coredns() + service('  - name: dns\n    port: 53\n    protocol: UDP\n    targetPort: dns\n'),
      findings: [
        {
          severity: 'info',
          line: 26,
          field: 'spec.ports[0]',
          message: [
            'Service default/dns:53 (dns): DNS port 53 is offered over UDP only',
            'DNS falls back to TCP for answers that do not fit a datagram',
            'container port dns-tcp (53/TCP) is not exposed',
          ],
          fix: 'Add a second port with port: 53, protocol: TCP',
        },
      ],
    },
    {
      name: 'DNS over UDP only, no Deployment in the input',
      yaml: service('  - {name: dns, port: 53, protocol: UDP}\n'),
      findings: [{ line: 8, message: 'DNS port 53 is offered over UDP only' }],
    },
    {
      name: 'a port named dns on 5353, UDP only',
      yaml: service('  - {name: dns, port: 5353, protocol: UDP}\n'),
      findings: [{ line: 8, message: 'DNS port 5353 is offered over UDP only' }],
    },
    {
      name: 'TCP only although the pods serve UDP too',
      yaml: coredns() + service('  - {name: dns-tcp, port: 53, targetPort: 53}\n'),
      findings: [
        {
          line: 26,
          message:
            'DNS port 53 is offered over TCP only, although the pods serve it over UDP too (container port dns (53/UDP))',
          fix: 'Add a second port with port: 53, protocol: UDP',
        },
      ],
    },
  ],
});

describe('dns-port-single-protocol on the corpus', () => {
  it('reports nothing: coredns offers 53 over UDP and TCP', () => {
    expect(corpusFindings(dnsPortSingleProtocol)).toEqual([]);
  });
});
