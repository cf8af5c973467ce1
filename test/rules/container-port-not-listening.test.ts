import { describe, expect, it } from 'vitest';
import { containerPortNotListening } from '../../src/rules/container-port-not-listening.js';
import { ruleTable } from '../helpers/rule-tester.js';
import { corpusFindings } from './support/service-rules-corpus.js';

/** A Deployment `web` whose container `app` runs `image` (line 14); `extra` follows at 8 spaces. */
const deployment = (image: string, extra = '', pod = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: ${image}
${extra}${pod}`;

const ports = (...p: string[]) => `        ports:\n${p.map((x) => `        - ${x}\n`).join('')}`;

ruleTable(containerPortNotListening, {
  valid: [
    {
      name: 'nginx declares 80, where it listens',
      yaml: deployment('nginx:1.27', ports('containerPort: 80')),
    },
    {
      name: 'no ports declared',
      yaml: deployment('nginx:1.27'),
    },
    {
      name: 'an image portchain does not know (a sidecar, an in-house app)',
      yaml: deployment('example/sidecar:1.0', ports('containerPort: 15090')),
    },
    {
      name: 'Grafana declares 3000 and its optional gossip/profiling ports: the extras may be configured',
      yaml: deployment(
        'grafana/grafana:12.1.1',
        ports(
          'name: grafana\n          containerPort: 3000',
          'name: gossip-tcp\n          containerPort: 9094',
          'name: gossip-udp\n          containerPort: 9094\n          protocol: UDP',
          'name: profiling\n          containerPort: 6060',
        ),
      ),
    },
    {
      name: 'nginx with its conf.d from a ConfigMap: the config may well say listen 8080',
      yaml: deployment(
        'nginx:1.27',
        `${ports('containerPort: 8080')}        volumeMounts:\n        - {name: conf, mountPath: /etc/nginx/conf.d/default.conf, subPath: default.conf}\n`,
        '      volumes:\n      - name: conf\n        configMap: {name: nginx-conf}\n',
      ),
    },
    {
      name: 'the port comes from a ConfigMap portchain cannot see: unknown, not contradicted',
      yaml: deployment(
        'ghcr.io/advplyr/audiobookshelf:2.19.5',
        `        envFrom:\n        - configMapRef: {name: elsewhere}\n${ports('containerPort: 3005')}`,
      ),
    },
    {
      name: 'a plain init container never serves: its ports are not checked',
      yaml: `${deployment('nginx:1.27', ports('containerPort: 80'))}      initContainers:
      - name: init
        image: nginx:1.27
        ports: [{containerPort: 8080}]
`,
    },
  ],
  invalid: [
    {
      name: 'containerPort 8080 on nginx: documentation only, nginx keeps 80 (one finding for 3 replicas)',
      yaml: deployment('nginx:1.27', ports('name: http\n          containerPort: 8080')),
      findings: [
        {
          severity: 'warning',
          line: 18,
          column: 11,
          field: 'spec.template.spec.containers[0].ports[0].containerPort',
          message: [
            'Deployment web, container app (nginx:1.27): containerPort 8080 (http) is documentation only: nginx keeps listening on 80',
            '— certain',
          ],
          fix: 'Set containerPort: 80 (where nginx listens), or make nginx listen on 8080',
        },
      ],
    },
    {
      name: 'PORT from a ConfigMap says 3000, the containerPort says 3005',
      yaml: `apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {PORT: "3000"}
---
${deployment('ghcr.io/advplyr/audiobookshelf:2.19.5', `        env:\n        - name: PORT\n          valueFrom:\n            configMapKeyRef: {name: app-config, key: PORT}\n${ports('containerPort: 3005')}`)}`,
      findings: [
        {
          line: 26,
          message: [
            'containerPort 3005 is documentation only: audiobookshelf keeps listening on 3000',
            'PORT=3000 from ConfigMap app-config key PORT',
          ],
          fix: 'Set containerPort: 3000 (where audiobookshelf listens), or make audiobookshelf listen on 3005: set PORT to 3005 (ConfigMap app-config key PORT)',
        },
      ],
    },
    {
      name: 'two declared ports, neither listened on: one finding each',
      yaml: deployment('nginx:1.27', ports('containerPort: 8080', 'containerPort: 8443')),
      findings: [
        { line: 17, message: 'containerPort 8080 is documentation only' },
        { line: 18, message: 'containerPort 8443 is documentation only' },
      ],
    },
    {
      name: 'an image pulled through a mirror is only likely nginx: info',
      yaml: deployment('public.ecr.aws/docker/library/nginx:1.27', ports('containerPort: 8080')),
      findings: [
        { severity: 'info', line: 17, message: ['containerPort 8080 is documentation only', '— likely'] },
      ],
    },
    {
      name: 'a native sidecar (init container with restartPolicy Always) is checked at its own path',
      yaml: `${deployment('example/app:1.0')}      initContainers:
      - name: exporter
        image: prom/node-exporter:v1.8.2
        restartPolicy: Always
        ports: [{containerPort: 9200}]
`,
      findings: [
        {
          line: 20,
          field: 'spec.template.spec.initContainers[0].ports[0].containerPort',
          message:
            'container exporter (prom/node-exporter:v1.8.2): containerPort 9200 is documentation only: node-exporter keeps listening on 9100',
          fix: 'or make node-exporter listen on 9200 (its --web.listen-address flag)',
        },
      ],
    },
    {
      name: 'a bare Pod',
      yaml: `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: whoami
    image: traefik/whoami:v1.10.3
    ports: [{containerPort: 8080}]
`,
      findings: [
        {
          line: 8,
          message:
            'Pod web, container whoami (traefik/whoami:v1.10.3): containerPort 8080 is documentation only',
        },
      ],
    },
  ],
});

describe('container-port-not-listening on the corpus', () => {
  it('gives nothing: no known image declares only ports it does not listen on', () => {
    expect(corpusFindings(containerPortNotListening)).toEqual([]);
  });
});
