import { describe, expect, it } from 'vitest';
import { probePortUnresolved } from '../../src/rules/probe-port-unresolved.js';
import { ruleTable } from '../helpers/rule-tester.js';
import { corpusFindings } from './support/service-rules-corpus.js';

/** A Deployment `grafana` (container `grafana`, line 14 its image); `extra` follows at 8 spaces. */
const deployment = (extra: string, pod = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: grafana
spec:
  replicas: 2
  selector:
    matchLabels: {app: grafana}
  template:
    metadata:
      labels: {app: grafana}
    spec:
      containers:
      - name: grafana
        image: grafana/grafana:12.1.1
        ports:
        - name: grafana
          containerPort: 3000
${extra}${pod}`;

const service = `---
apiVersion: v1
kind: Service
metadata:
  name: grafana
spec:
  selector: {app: grafana}
  ports: [{name: service, port: 80, targetPort: grafana}]
`;

ruleTable(probePortUnresolved, {
  valid: [
    {
      name: 'the probe names a port of its own container',
      yaml: deployment('        readinessProbe:\n          httpGet: {path: /api/health, port: grafana}\n'),
    },
    {
      name: 'a numeric probe port needs no declaration',
      yaml: deployment('        livenessProbe:\n          tcpSocket: {port: 3000}\n'),
    },
    {
      name: 'the kubelet ignores the protocol of the named port',
      yaml: deployment(
        '        - name: gossip\n          containerPort: 9094\n          protocol: UDP\n        livenessProbe:\n          tcpSocket: {port: gossip}\n',
      ),
    },
    {
      name: 'a named port in a lifecycle hook, declared',
      yaml: deployment(
        '        lifecycle:\n          preStop:\n            httpGet: {path: /shutdown, port: grafana}\n',
      ),
    },
    {
      name: 'exec probes have no port',
      yaml: deployment('        readinessProbe:\n          exec: {command: [cat, /tmp/ready]}\n'),
    },
  ],
  invalid: [
    {
      name: 'grafana helm-charts #4064: readinessProbe port "service" (the Service port name), never declared',
      yaml:
        deployment('        readinessProbe:\n          httpGet: {path: /api/health, port: service}\n') +
        service,
      findings: [
        {
          severity: 'error',
          line: 20,
          column: 40,
          field: 'spec.template.spec.containers[0].readinessProbe.httpGet.port',
          message: [
            'Deployment grafana, container grafana (grafana/grafana:12.1.1): readinessProbe.httpGet.port "service" names no port of container grafana (it declares grafana (3000))',
            "the kubelet resolves a probe's port name only among the probed container's own ports",
            'port "service" not found; older kubelets: strconv.Atoi: parsing "service": invalid syntax',
            '-> the container never becomes Ready -> the pod is never Ready -> Service default/grafana gets no ready endpoint from it',
          ],
          fix: 'Declare the port on container grafana (ports: [{name: service, containerPort: 3000 (where grafana listens)}]), or give the probe the port number.',
        },
      ],
    },
    {
      name: 'a liveness probe naming a port another container declares: restarts',
      yaml: deployment(
        '        livenessProbe:\n          tcpSocket: {port: metrics}\n',
        '      - name: exporter\n        image: example/exporter:1\n        ports: [{name: metrics, containerPort: 9102}]\n',
      ),
      findings: [
        {
          line: 20,
          message: [
            'livenessProbe.tcpSocket.port "metrics" names no port of container grafana',
            'container exporter declares metrics (9102), but the kubelet does not look in other containers',
            'the kubelet kills the container and restarts it, over and over',
          ],
          fix: 'Use the number 9102 in the probe',
        },
      ],
    },
    {
      name: 'a startup probe with a typo: restarts and never Ready',
      yaml: deployment('        startupProbe:\n          httpGet: {path: /api/health, port: grafna}\n'),
      findings: [
        {
          line: 20,
          message: [
            'startupProbe.httpGet.port "grafna"',
            'the startup probe never succeeds',
            'no Service can get a ready endpoint from it',
          ],
          fix: 'Use the name grafana',
        },
      ],
    },
    {
      name: 'lifecycle hooks: postStart is an error, preStop a warning',
      yaml: deployment(
        '        lifecycle:\n          postStart:\n            httpGet: {path: /warm, port: admin}\n          preStop:\n            httpGet: {path: /drain, port: admin}\n',
      ),
      findings: [
        {
          severity: 'error',
          line: 21,
          field: 'spec.template.spec.containers[0].lifecycle.postStart.httpGet.port',
          message: [
            'lifecycle.postStart.httpGet.port "admin"',
            "the hook cannot run (the kubelet: couldn't find port: admin)",
            'the kubelet kills the container right after it starts',
          ],
        },
        {
          severity: 'warning',
          line: 23,
          message: ['lifecycle.preStop.httpGet.port "admin"', 'stopped without its graceful-shutdown step'],
        },
      ],
    },
    {
      name: 'a native sidecar probe is checked against the sidecar itself',
      yaml: `${deployment('')}      initContainers:
      - name: proxy
        image: example/proxy:1
        restartPolicy: Always
        readinessProbe:
          tcpSocket: {port: grafana}
`,
      findings: [
        {
          line: 24,
          field: 'spec.template.spec.initContainers[0].readinessProbe.tcpSocket.port',
          message: [
            'container proxy (example/proxy:1): readinessProbe.tcpSocket.port "grafana" names no port of container proxy (it declares no ports; container grafana declares grafana (3000)',
          ],
          fix: 'Use the number 3000',
        },
      ],
    },
  ],
});

describe('probe-port-unresolved on the corpus', () => {
  it('gives nothing: every named probe port (kiali, prometheus-adapter, nginxinc, argo haproxy, configmap-reload) is declared by its own container', () => {
    expect(corpusFindings(probePortUnresolved)).toEqual([]);
  });
});
