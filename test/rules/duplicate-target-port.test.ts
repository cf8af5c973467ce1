import { describe, expect, it } from 'vitest';
import { duplicateTargetPort } from '../../src/rules/duplicate-target-port.js';
import { ruleTable } from '../helpers/rule-tester.js';
import { corpusFindings } from './support/service-rules-corpus.js';

/** A Deployment labelled app=web (18 lines, ending with `---`) with ports http 8080 and metrics 9090. */
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: example/web
        ports:
        - {name: http, containerPort: 8080}
        - {name: metrics, containerPort: 9090}
---
`;

/** The Service; its first port entry is on line 8 of this block. */
const service = (ports: string) => `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
${ports}`;

ruleTable(duplicateTargetPort, {
  valid: [
    {
      name: 'each port its own target',
      yaml:
        deployment +
        service(
          '  - {name: http, port: 80, targetPort: http}\n  - {name: metrics, port: 9090, targetPort: metrics}\n',
        ),
    },
    {
      name: 'same number, different protocols (53/UDP and 53/TCP)',
      yaml: service(
        '  - {name: dns, port: 53, protocol: UDP}\n  - {name: dns-tcp, port: 53, protocol: TCP}\n',
      ),
    },
    {
      name: 'a single port',
      yaml: service('  - {port: 80, targetPort: 8080}\n'),
    },
  ],
  invalid: [
    {
      name: 'argocd-server: 80 and 443 both to 8080 (intentional there, so info)',
      yaml:
        deployment +
        service(
          '  - name: http\n    port: 80\n    targetPort: 8080\n  - name: https\n    port: 443\n    targetPort: 8080\n',
        ),
      findings: [
        {
          severity: 'info',
          line: 31,
          field: 'spec.ports[1].targetPort',
          message: [
            'Service default/web:443 (https) -> targetPort 8080/TCP: the same target as Service port 80 (http), so both ports reach one listener',
            'often intentional',
            'otherwise a copy-paste slip',
          ],
          fix: 'Nothing to do if one listener is meant to serve both ports',
        },
      ],
    },
    {
      name: 'a named targetPort resolving to the number another port targets',
      yaml:
        deployment + service('  - {name: http, port: 80, targetPort: http}\n  - {name: alt, port: 8080}\n'),
      findings: [
        {
          line: 27,
          message:
            'Service default/web:8080 (alt) -> targetPort 8080/TCP: the same target as Service port 80 (http)',
        },
      ],
    },
    {
      name: 'the same name twice, no pods in the input',
      yaml: service(
        '  - {name: http, port: 80, targetPort: http}\n  - {name: http-alt, port: 8000, targetPort: http}\n',
      ),
      findings: [{ line: 9, message: 'targetPort http/TCP: the same target as Service port 80 (http)' }],
    },
  ],
});

describe('duplicate-target-port on the corpus', () => {
  it('reports argocd-server 443 -> 8080 (same as 80), once per argo-cd install file, as info (SOURCES.md edge case)', () => {
    expect(corpusFindings(duplicateTargetPort).map((f) => `${f.severity} ${f.object} ${f.where}`)).toEqual([
      'info default/argocd-server manifests__ha__namespace-install.yaml:1724',
      'info default/argocd-server manifests__install.yaml:32090',
    ]);
  });
});
