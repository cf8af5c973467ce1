import { describe, expect, it } from 'vitest';
import { targetPortNameUnresolved } from '../../src/rules/target-port-name-unresolved.js';
import { ruleTable } from '../helpers/rule-tester.js';
import { corpusFindings } from './support/service-rules-corpus.js';

/** A Deployment labelled app=web: lines 1-14, then the container's `ports:` block and `extra`. */
const deployment = (name: string, ports: string, extra = '') => `apiVersion: apps/v1
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
      - name: ${name}
        image: example/${name}
${ports}${extra}`;

/** The Service: `---` on the first line, its first port entry on line 9 of this block. */
const service = (ports: string) => `---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
${ports}`;

const httpWeb = '        ports:\n        - name: http-web\n          containerPort: 8080\n';

ruleTable(targetPortNameUnresolved, {
  valid: [
    {
      name: 'the named port exists with the Service port protocol',
      yaml: deployment('web', httpWeb) + service('  - port: 80\n    targetPort: http-web\n'),
    },
    {
      name: 'defined by a second container',
      yaml:
        deployment(
          'web',
          '',
          '      - name: proxy\n        image: envoy\n        ports: [{name: http-web, containerPort: 15001}]\n',
        ) + service('  - port: 80\n    targetPort: http-web\n'),
    },
    {
      name: 'defined by a native sidecar (restartPolicy Always)',
      yaml:
        deployment(
          'web',
          '',
          '      initContainers:\n      - name: proxy\n        image: envoy\n        restartPolicy: Always\n        ports: [{name: http-web, containerPort: 15001}]\n',
        ) + service('  - port: 80\n    targetPort: http-web\n'),
    },
    {
      name: 'an invalid port name is rejected by the API server (api-validation), not reported again',
      yaml: deployment('web', httpWeb) + service('  - port: 80\n    targetPort: http_web\n'),
    },
    {
      name: 'dns over UDP and TCP with two names (coredns)',
      yaml:
        deployment(
          'web',
          '        ports:\n        - {name: dns, containerPort: 53, protocol: UDP}\n        - {name: dns-tcp, containerPort: 53, protocol: TCP}\n',
        ) +
        service(
          '  - {name: dns, port: 53, protocol: UDP, targetPort: dns}\n  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: dns-tcp}\n',
        ),
    },
  ],
  invalid: [
    {
      name: 'a typo in the name: did you mean http-web?',
      yaml: deployment('web', httpWeb) + service('  - name: http\n    port: 80\n    targetPort: httpweb\n'),
      findings: [
        {
          severity: 'error',
          line: 28,
          column: 5,
          field: 'spec.ports[0].targetPort',
          message: [
            'Service default/web:80 (http) -> targetPort httpweb -> Deployment web: no container defines a TCP port named httpweb',
            'those pods get no endpoint for this port, so it has no endpoints and kube-proxy rejects its connections',
            'Did you mean targetPort: http-web? (container web declares 8080/TCP as http-web)',
          ],
          fix: 'Set targetPort: http-web',
        },
      ],
    },
    {
      name: 'the name exists only with the other protocol',
      yaml:
        deployment(
          'web',
          '        ports:\n        - {name: dns, containerPort: 53, protocol: UDP}\n        - {name: dns-tcp, containerPort: 53, protocol: TCP}\n',
        ) +
        service(
          '  - {name: dns, port: 53, protocol: UDP, targetPort: dns}\n  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: dns}\n',
        ),
      findings: [
        {
          line: 27,
          column: 46,
          field: 'spec.ports[1].targetPort',
          message: [
            'Service default/web:53 (dns-tcp) -> targetPort dns -> Deployment web: no container defines a TCP port named dns',
            'Container web of Deployment web defines dns as 53/UDP; did you mean targetPort: dns-tcp?',
          ],
          fix: 'Set targetPort: dns-tcp',
        },
      ],
    },
    {
      name: 'only one of two selected workloads lacks it: the Service works partially',
      yaml: `${deployment('v1', httpWeb)}---
${deployment('v2', '        ports:\n        - name: web\n          containerPort: 8080\n')}${service('  - port: 80\n    targetPort: http-web\n')}`,
      findings: [
        {
          line: 45,
          message: [
            'targetPort http-web -> Deployment v2: no container defines a TCP port named http-web',
            'the Service works only partially: only the pods of Deployment v1 (which define http-web) receive its traffic',
            'Container v2 of Deployment v2 declares 8080/TCP as web; name it http-web',
          ],
          fix: 'Name the TCP port `http-web` in the containers of Deployment v2 too, as Deployment v1 does.',
        },
      ],
    },
    {
      name: 'declared only by a plain init container, which never serves',
      yaml:
        deployment(
          'web',
          '',
          '      initContainers:\n      - name: setup\n        image: busybox\n        ports: [{name: metrics, containerPort: 9090}]\n',
        ) + service('  - port: 9090\n    targetPort: metrics\n'),
      findings: [
        {
          line: 28,
          message: [
            'Init container setup of Deployment web defines metrics, but only native sidecars (restartPolicy: Always) serve',
            'Deployment web declares no container ports at all',
          ],
        },
      ],
    },
  ],
});

describe('target-port-name-unresolved on the corpus', () => {
  it('reports nothing: every named targetPort of the corpus resolves (SOURCES.md ground truth)', () => {
    expect(corpusFindings(targetPortNameUnresolved)).toEqual([]);
  });
});
