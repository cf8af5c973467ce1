import { describe, expect, it } from 'vitest';
import { probePortNotListening } from '../../src/rules/probe-port-not-listening.js';
import { ruleTable } from '../helpers/rule-tester.js';
import { corpusFindings } from './support/service-rules-corpus.js';

/** A Deployment `web` whose container `app` runs `image` (line 14); `extra` follows at 8 spaces. */
const deployment = (image: string, extra = '') => `apiVersion: apps/v1
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
      - name: app
        image: ${image}
${extra}`;

/** The CoreDNS Deployment of coredns/deployment, cut down: the Corefile opens health :8080 and ready :8181. */
const coredns = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
spec:
  selector:
    matchLabels: {k8s-app: kube-dns}
  template:
    metadata:
      labels: {k8s-app: kube-dns}
    spec:
      containers:
      - name: coredns
        image: coredns/coredns:1.9.4
        args: [ "-conf", "/etc/coredns/Corefile" ]
        ports:
        - {containerPort: 53, name: dns, protocol: UDP}
        - {containerPort: 53, name: dns-tcp, protocol: TCP}
        - {containerPort: 9153, name: metrics, protocol: TCP}
        livenessProbe:
          httpGet: {path: /health, port: 8080, scheme: HTTP}
        readinessProbe:
          httpGet: {path: /ready, port: 8181, scheme: HTTP}
`;

ruleTable(probePortNotListening, {
  valid: [
    {
      name: 'nginx probed on 80, which it listens on but does not declare (kube-linter would flag it)',
      yaml: deployment('nginx:1.27', '        readinessProbe:\n          tcpSocket: {port: 80}\n'),
    },
    {
      name: 'CoreDNS health 8080 and ready 8181, undeclared, come from its Corefile',
      yaml: coredns,
    },
    {
      name: 'an unknown image probed on an undeclared port (ingress-nginx 10254)',
      yaml: deployment(
        'registry.k8s.io/ingress-nginx/controller:v1.15.1',
        '        livenessProbe:\n          httpGet: {path: /healthz, port: 10254}\n',
      ),
    },
    {
      name: 'an image pulled through a mirror is not certain: the probe is trusted',
      yaml: deployment(
        'public.ecr.aws/docker/library/nginx:1.27',
        '        readinessProbe:\n          tcpSocket: {port: 8080}\n',
      ),
    },
    {
      name: 'a probe aimed at another host',
      yaml: deployment(
        'nginx:1.27',
        '        livenessProbe:\n          httpGet: {host: example.com, path: /, port: 8080}\n',
      ),
    },
    {
      name: 'a named probe port resolving to where the process listens (nginx-unprivileged http-web 8080)',
      yaml: deployment(
        'nginxinc/nginx-unprivileged:1.27-alpine',
        '        ports: [{name: http-web, containerPort: 8080}]\n        readinessProbe:\n          httpGet: {path: /, port: http-web}\n',
      ),
    },
    {
      name: 'an unresolved name is probe-port-unresolved business',
      yaml: deployment('nginx:1.27', '        readinessProbe:\n          httpGet: {path: /, port: http}\n'),
    },
    {
      name: 'Jaeger all-in-one admin port 14269 and argocd-notifications metrics 9001, undeclared, are known',
      yaml: `${deployment('jaegertracing/all-in-one:1.53.0', '        readinessProbe:\n          httpGet: {path: /, port: 14269}\n')}---
${deployment(
  'quay.io/argoproj/argocd:v3.1.0',
  '        command: [argocd-notifications]\n        livenessProbe:\n          tcpSocket: {port: 9001}\n',
)
  .replace(/name: web/g, 'name: notifications')
  .replace(/app: web/g, 'app: notifications')}`,
    },
  ],
  invalid: [
    {
      name: 'a readiness probe on 8080 while nginx listens on 80: never Ready',
      yaml: `${deployment('nginx:1.27', '        readinessProbe:\n          tcpSocket: {port: 8080}\n')}---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`,
      findings: [
        {
          severity: 'warning',
          line: 16,
          field: 'spec.template.spec.containers[0].readinessProbe.tcpSocket.port',
          message: [
            'Deployment web, container app (nginx:1.27): readinessProbe.tcpSocket.port 8080 -> nothing listens on 8080: nginx listens on 80 (nginx listens on 80/TCP by default',
            '— certain; the readiness probe never succeeds',
            'Service default/web gets no ready endpoint from it',
          ],
          fix: 'Point the probe at 80, or make nginx listen on 8080',
        },
      ],
    },
    {
      name: 'a named liveness port resolving to a containerPort the process ignores: restarts',
      yaml: deployment(
        'nginx:1.27',
        '        ports: [{name: http, containerPort: 8080}]\n        livenessProbe:\n          httpGet: {path: /, port: http}\n',
      ),
      findings: [
        {
          line: 17,
          message: [
            'livenessProbe.httpGet.port http -> containerPort 8080 -> nothing listens on 8080',
            'the kubelet kills the container and restarts it',
          ],
        },
      ],
    },
    {
      name: 'a gRPC probe on a port the flag moved away from',
      yaml: deployment(
        'prom/node-exporter:v1.8.2',
        '        args: ["--web.listen-address=:9200"]\n        startupProbe:\n          grpc: {port: 9100}\n',
      ),
      findings: [
        {
          line: 17,
          field: 'spec.template.spec.containers[0].startupProbe.grpc.port',
          message: [
            'startupProbe.grpc.port 9100 -> nothing listens on 9100: node-exporter listens on 9200',
            '--web.listen-address=:9200',
          ],
          fix: 'Point the probe at 9200, or make node-exporter listen on 9100 (change args[0])',
        },
      ],
    },
    {
      name: 'a process bound to 127.0.0.1: the kubelet probes the pod IP',
      yaml: deployment(
        'prom/node-exporter:v1.8.2',
        '        args: ["--web.listen-address=127.0.0.1:9100"]\n        livenessProbe:\n          httpGet: {path: /, port: 9100}\n',
      ),
      findings: [
        {
          line: 17,
          message: 'node-exporter binds 127.0.0.1:9100 only',
          fix: 'Make node-exporter listen on all interfaces (0.0.0.0:9100)',
        },
      ],
    },
  ],
});

describe('probe-port-not-listening on the corpus', () => {
  it('gives nothing: the undeclared numeric probe ports of SOURCES.md are all listened on or not known', () => {
    expect(corpusFindings(probePortNotListening)).toEqual([]);
  });
});
