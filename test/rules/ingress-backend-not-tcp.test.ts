import { describe, expect, it } from 'vitest';
import { check } from '../../src/check.js';
import { ingressBackendNotTcp as rule } from '../../src/rules/ingress-backend-not-tcp.js';
import { ruleTable } from '../helpers/rule-tester.js';
import { corpusUnits, readSource } from '../helpers/shared.js';

/** Service dns with the given ports (block YAML from line 7), then an Ingress to dns:53. */
const chain = (ports: string) => `apiVersion: v1
kind: Service
metadata: {name: dns}
spec:
  selector: {app: dns}
  ports:
${ports}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: dns}
spec:
  defaultBackend:
    service:
      name: dns
      port: {number: 53}
`;

ruleTable(rule, {
  valid: [
    { name: 'a TCP Service port', yaml: chain('  - {name: dns-tcp, port: 53}\n') },
    {
      name: 'TCP listed before UDP: the API and ingress-nginx both take the TCP port',
      yaml: chain('  - {name: dns-tcp, port: 53, protocol: TCP}\n  - {name: dns, port: 53, protocol: UDP}\n'),
    },
  ],
  invalid: [
    {
      name: 'a UDP-only Service port',
      yaml: chain('  - {name: dns, port: 53, protocol: UDP}\n'),
      findings: [
        {
          message:
            'Ingress dns defaultBackend -> Service dns:53: Service port spec.ports[0] 53/UDP (dns) is UDP, but an Ingress carries HTTP, which runs over TCP; ingress-nginx reads only TCP endpoints and answers 503',
          line: 16,
          column: 14,
          field: 'spec.defaultBackend.service.port.number',
          fix: 'Add a TCP port to Service dns',
        },
      ],
    },
    {
      name: 'an SCTP Service port',
      yaml: chain('  - {name: sig, port: 53, protocol: SCTP}\n  - {name: web, port: 80}\n'),
      findings: [{ message: 'is SCTP, but an Ingress carries HTTP', line: 17, fix: 'such as 80 (web)' }],
    },
    {
      name: 'UDP listed first: ingress-nginx takes it although the API takes the TCP port',
      yaml: chain('  - {name: dns, port: 53, protocol: UDP}\n  - {name: dns-tcp, port: 53, protocol: TCP}\n'),
      findings: [
        {
          message:
            'ingress-nginx takes the first Service port whose port, targetPort or name matches, spec.ports[0] 53/UDP (dns), which is UDP; it reads only TCP endpoints and answers 503 (other controllers take the TCP port spec.ports[1])',
          line: 17,
          fix: 'Use port.name with the name of the TCP port',
        },
      ],
    },
  ],
});

describe('ingress-backend-not-tcp on the corpus', () => {
  it('finds nothing (every corpus Ingress backend is a TCP Service port)', () => {
    for (const unit of corpusUnits()) {
      const findings = check(unit.files.map(readSource), { rules: [rule] }).findings;
      expect(findings, unit.name).toEqual([]);
    }
  });
});
