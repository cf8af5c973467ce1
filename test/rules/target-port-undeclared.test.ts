import { describe, expect, it } from 'vitest';
import { targetPortUndeclared } from '../../src/rules/target-port-undeclared.js';
import { ruleTable, runRule } from '../helpers/rule-tester.js';
import { corpusFindings } from './support/service-rules-corpus.js';

/** A Deployment labelled app=<app>: lines 1-14, then the container's `ports:` block and `extra`. */
const deployment = (name: string, app: string, ports: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector:
    matchLabels: {app: ${app}}
  template:
    metadata:
      labels: {app: ${app}, workload: ${name}}
    spec:
      containers:
      - name: ${name}
        image: example/${name}
${ports}${extra}`;

const service = (ports: string, app = 'web') => `---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: ${app}}
  ports:
${ports}`;

const declares8080 = '        ports:\n        - containerPort: 8080\n';

ruleTable(targetPortUndeclared, {
  valid: [
    {
      name: 'targetPort declared by the container',
      yaml: deployment('web', 'web', declares8080) + service('  - port: 80\n    targetPort: 8080\n'),
    },
    {
      name: 'targetPort omitted: defaults to port, which is declared',
      yaml: deployment('web', 'web', declares8080) + service('  - port: 8080\n'),
    },
    {
      name: 'declared by a native sidecar (init container with restartPolicy Always)',
      yaml: `${deployment('web', 'web', '', '      initContainers:\n      - name: proxy\n        image: envoy\n        restartPolicy: Always\n        ports: [{containerPort: 15001}]\n')}${service('  - port: 80\n    targetPort: 15001\n')}`,
    },
    {
      name: 'a named targetPort is target-port-name-unresolved business',
      yaml: deployment('web', 'web', declares8080) + service('  - port: 80\n    targetPort: http\n'),
    },
    {
      name: 'declared with another protocol only: service-port-protocol-mismatch reports it',
      yaml:
        deployment('web', 'web', '        ports:\n        - containerPort: 514\n          protocol: UDP\n') +
        service('  - port: 514\n'),
    },
    {
      name: 'selects no pod: nothing to compare (service-selects-nothing)',
      yaml: deployment('web', 'web', declares8080) + service('  - port: 80\n    targetPort: 9999\n', 'other'),
    },
  ],
  invalid: [
    {
      name: 'pods declare no ports at all (GKE autopilot frontend): still a warning',
      yaml: deployment('web', 'web', '') + service('  - name: http\n    port: 80\n    targetPort: 8080\n'),
      findings: [
        {
          severity: 'warning',
          line: 25,
          column: 5,
          field: 'spec.ports[0].targetPort',
          message: [
            'Service default/web:80 (http) -> targetPort 8080 -> Deployment web: no container declares containerPort 8080',
            'it still routes: containerPort is documentation only; if nothing listens on 8080, connections are refused',
            'Deployment web declares no container ports at all',
          ],
          fix: 'Declare containerPort 8080 on the container that listens there',
        },
      ],
    },
    {
      name: 'another port is declared: suggest it',
      yaml: deployment('web', 'web', declares8080) + service('  - port: 80\n    targetPort: 80\n'),
      findings: [
        {
          line: 26,
          message: [
            'targetPort 80 -> Deployment web',
            'Deployment web declares only 8080 (did you mean targetPort: 8080?)',
          ],
        },
      ],
    },
    {
      name: 'targetPort omitted: the message says it defaulted to port',
      yaml: deployment('web', 'web', declares8080) + service('  - port: 9090\n'),
      findings: [
        {
          line: 25,
          field: 'spec.ports[0].targetPort',
          message: 'Service default/web:9090 -> targetPort 9090 (defaulted to port) -> Deployment web',
        },
      ],
    },
    {
      name: 'a probe on that number proves a listener (argo-cd notifications controller): info',
      yaml:
        deployment('web', 'web', '        livenessProbe:\n          tcpSocket:\n            port: 9001\n') +
        service('  - name: metrics\n    port: 9001\n    targetPort: 9001\n'),
      findings: [
        {
          severity: 'info',
          line: 28,
          message: [
            'no container declares containerPort 9001, but the liveness probe of container web (tcpSocket 9001) shows the process listens there',
          ],
        },
      ],
    },
    {
      name: 'two workloads behind one Service: only the one that lacks the port is named',
      yaml: `${deployment('web-v1', 'web', declares8080)}---
${deployment('web-v2', 'web', '        ports:\n        - containerPort: 9090\n')}${service('  - port: 80\n    targetPort: 8080\n')}`,
      findings: [
        {
          line: 43,
          message: [
            'targetPort 8080 -> Deployment web-v2: no container declares containerPort 8080 (Deployment web-v1 declares it)',
            'Deployment web-v2 declares only 9090',
          ],
        },
      ],
    },
  ],
});

describe('target-port-undeclared on the corpus', () => {
  it('gives exactly the 14 ports SOURCES.md expects; argo-cd notifications is info (its probe uses 9001)', () => {
    const found = corpusFindings(targetPortUndeclared).map(
      (f) => `${f.severity} ${f.object} ${/targetPort (\d+)/.exec(f.message)?.[1]} ${f.where}`,
    );
    expect(found).toEqual([
      // GKE autopilot frontend (1)
      'warning default/frontend 8080 autopilot__networking-tutorial__kubernetes-manifests.yaml:64',
      // argo-cd argocd-notifications-controller-metrics, one per install file: its liveness tcpSocket probe uses 9001
      'info default/argocd-notifications-controller-metrics 9001 manifests__ha__namespace-install.yaml:1565',
      'info default/argocd-notifications-controller-metrics 9001 manifests__install.yaml:32032',
      // istio jaeger addon (8)
      'warning istio-system/tracing 16686 samples__addons__jaeger.yaml:63',
      'warning istio-system/tracing 16685 samples__addons__jaeger.yaml:68',
      'warning istio-system/zipkin 9411 samples__addons__jaeger.yaml:191',
      'warning istio-system/jaeger-collector 14268 samples__addons__jaeger.yaml:208',
      'warning istio-system/jaeger-collector 14250 samples__addons__jaeger.yaml:212',
      'warning istio-system/jaeger-collector 9411 samples__addons__jaeger.yaml:215',
      'warning istio-system/jaeger-collector 4317 samples__addons__jaeger.yaml:217',
      'warning istio-system/jaeger-collector 4318 samples__addons__jaeger.yaml:219',
      // otel-demo jaeger-collector 14250, 14267, 14268 (3)
      'warning default/jaeger-collector 14250 kubernetes__opentelemetry-demo.yaml:17335',
      'warning default/jaeger-collector 14267 kubernetes__opentelemetry-demo.yaml:17339',
      'warning default/jaeger-collector 14268 kubernetes__opentelemetry-demo.yaml:17342',
    ]);
  });
});

describe('target-port-undeclared and undecodable Services', () => {
  it('follows no chain from a Service the API server refuses to decode (api-decode reports it)', () => {
    const yaml = `${deployment('web', 'web', declares8080)}${service('  - port: 80\n    targetPort: 9999\n    nodePort: "x"\n')}`;
    const { findings, loading } = runRule(targetPortUndeclared, yaml);
    expect(loading.map((f) => f.rule)).toContain('api-decode');
    expect(findings).toEqual([]);
  });
});
