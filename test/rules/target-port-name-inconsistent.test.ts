import { describe, expect, it } from 'vitest';
import { targetPortNameInconsistent } from '../../src/rules/target-port-name-inconsistent.js';
import { ruleTable } from '../helpers/rule-tester.js';
import { corpusFindings } from './support/service-rules-corpus.js';

/** A Deployment labelled app=web with one port named http (16 lines), followed by `---`. */
const deployment = (name: string, port: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector:
    matchLabels: {app: web, version: ${name}}
  template:
    metadata:
      labels: {app: web, version: ${name}}
    spec:
      containers:
      - name: app
        image: example/web
        ports:
        - {name: http, containerPort: ${port}}
---
`;

const service = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - name: http
    port: 80
    targetPort: http
`;

ruleTable(targetPortNameInconsistent, {
  valid: [
    { name: 'one workload', yaml: deployment('v1', 8080) + service },
    { name: 'two workloads, same number', yaml: deployment('v1', 8080) + deployment('v2', 8080) + service },
    {
      name: 'a numeric targetPort is the same number everywhere by definition',
      yaml:
        deployment('v1', 8080) +
        deployment('v2', 9090) +
        service.replace('targetPort: http', 'targetPort: 8080'),
    },
  ],
  invalid: [
    {
      name: 'two workloads resolve http to different numbers',
      yaml: deployment('v1', 8080) + deployment('v2', 9090) + service,
      findings: [
        {
          severity: 'info',
          line: 44,
          field: 'spec.ports[0].targetPort',
          message: [
            'Service default/web:80 (http) -> targetPort http resolves to 8080 in Deployment v1 and 9090 in Deployment v2',
            'legal, since Kubernetes resolves the name per pod',
            'sometimes intended',
          ],
          fix: 'Nothing to do if the workloads listen on different numbers on purpose',
        },
      ],
    },
  ],
});

describe('target-port-name-inconsistent on the corpus', () => {
  it('reports nothing: no named targetPort of the corpus maps to two numbers', () => {
    expect(corpusFindings(targetPortNameInconsistent)).toEqual([]);
  });
});
