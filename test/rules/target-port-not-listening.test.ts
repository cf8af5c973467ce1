import { describe, expect, it } from 'vitest';
import { targetPortNotListening } from '../../src/rules/target-port-not-listening.js';
import { ruleTable } from '../helpers/rule-tester.js';
import { corpusFindings } from './support/service-rules-corpus.js';

/**
 * A Deployment `web` (lines 1-13) whose container `app` runs `image`; `extra` follows the image line (ports,
 * env, args...) at 8 spaces, `pod` follows the containers list (more containers, volumes) at 6 spaces.
 */
const deployment = (image: string, extra = '', pod = '', name = 'web') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector:
    matchLabels: {app: web, v: ${name}}
  template:
    metadata:
      labels: {app: web, v: ${name}}
    spec:
      containers:
      - name: app
        image: ${image}
${extra}${pod}`;

/** A Service `web` selecting app=web; its `ports:` entries start at line offset + 8. */
const service = (ports: string) => `---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
${ports}`;

const ports = (...p: string[]) => `        ports:\n${p.map((x) => `        - ${x}\n`).join('')}`;

ruleTable(targetPortNotListening, {
  valid: [
    {
      name: 'nginx listens on 80 and the Service targets 80',
      yaml:
        deployment('nginx:1.27', ports('containerPort: 80')) + service('  - port: 80\n    targetPort: 80\n'),
    },
    {
      name: 'targetPort omitted: defaults to port 80, where nginx listens',
      yaml: deployment('nginx:1.27') + service('  - port: 80\n'),
    },
    {
      name: 'a named targetPort resolving to the port nginx listens on',
      yaml:
        deployment('nginx:1.27', ports('name: http\n          containerPort: 80')) +
        service('  - port: 8080\n    targetPort: http\n'),
    },
    {
      name: 'unknown image: where it listens is not known, nothing is said',
      yaml:
        deployment('example/app:1.0', ports('containerPort: 8080')) +
        service('  - port: 80\n    targetPort: 9999\n'),
    },
    {
      name: 'a ConfigMap mounted over nginx conf.d: the config decides the port, which portchain does not read',
      yaml:
        deployment(
          'nginx:1.27',
          `${ports('containerPort: 8080')}        volumeMounts:\n        - name: conf\n          mountPath: /etc/nginx/conf.d\n`,
          '      volumes:\n      - name: conf\n        configMap: {name: nginx-conf}\n',
        ) + service('  - port: 80\n    targetPort: 8080\n'),
    },
    {
      name: 'PORT from a ConfigMap agrees with the targetPort',
      yaml: `apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {PORT: "3005"}
---
${deployment('ghcr.io/advplyr/audiobookshelf:2.19.5', '        env:\n        - name: PORT\n          valueFrom:\n            configMapKeyRef: {name: app-config, key: PORT}\n')}${service('  - port: 8080\n    targetPort: 3005\n')}`,
    },
    {
      name: 'a --web.listen-address flag moves node-exporter to the targetPort',
      yaml:
        deployment('prom/node-exporter:v1.8.2', '        args: ["--web.listen-address=:9200"]\n') +
        service('  - port: 9200\n'),
    },
    {
      name: 'an undeclared numeric targetPort beside a sidecar whose ports are unknown: it may be the sidecar',
      yaml:
        deployment(
          'redis:7.2',
          '',
          '      - name: exporter\n        image: oliver006/redis_exporter:v1.62.0\n',
        ) + service('  - port: 9121\n'),
    },
    {
      name: 'Grafana declares an optional port portchain does not list (profiling 6060) beside 3000: not contradicted',
      yaml:
        deployment(
          'grafana/grafana:12.1.1',
          ports(
            'name: grafana\n          containerPort: 3000',
            'name: profiling\n          containerPort: 6060',
          ),
        ) + service('  - port: 6060\n    targetPort: profiling\n'),
    },
    {
      name: 'a named targetPort no container declares is target-port-name-unresolved business',
      yaml:
        deployment('nginx:1.27', ports('containerPort: 80')) +
        service('  - port: 80\n    targetPort: http\n'),
    },
    {
      name: 'a Service without selector has no pods to compare',
      yaml: `${deployment('nginx:1.27')}---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  ports: [{port: 80, targetPort: 8080}]
`,
    },
  ],
  invalid: [
    {
      name: 'two workloads broken the same way: one finding naming both',
      yaml:
        deployment('nginx:1.27', ports('containerPort: 8080')) +
        `---\n${deployment('nginx:1.27', ports('containerPort: 8080'), '', 'api')}` +
        service('  - port: 80\n    targetPort: 8080\n'),
      findings: [
        {
          line: 43,
          message:
            'Service default/web:80 -> targetPort 8080 -> Deployment web and Deployment api: nothing listens on 8080; container app (nginx:1.27) listens on 80',
          fix: 'Set targetPort: 80, or make nginx listen on 8080',
        },
      ],
    },
    {
      name: 'two Services with one target, one writing targetPort, one leaving it to default: each its own fix',
      yaml:
        deployment('nginxinc/nginx-unprivileged:1.27-alpine', ports('containerPort: 8080')) +
        service('  - port: 80\n    targetPort: 9000\n') +
        service('  - port: 9000\n').replace('name: web', 'name: web2'),
      findings: [
        {
          line: 26,
          message: 'Service default/web:80 -> targetPort 9000 ->',
          fix: 'Set targetPort: 8080, or',
        },
        {
          line: 35,
          message: 'Service default/web2:9000 -> targetPort 9000 (not set: defaulted from port 9000) ->',
          fix: 'Set targetPort: 8080 (an absent or 0 targetPort defaults to port 9000), or',
        },
      ],
    },
    {
      name: 'two workloads broken differently: a finding each',
      yaml:
        deployment('nginx:1.27', ports('containerPort: 9000')) +
        `---\n${deployment('nginxinc/nginx-unprivileged:1.27-alpine', ports('containerPort: 9000'), '', 'api')}` +
        service('  - port: 80\n    targetPort: 9000\n'),
      findings: [
        {
          line: 43,
          message:
            '-> targetPort 9000 -> Deployment web: nothing listens on 9000; container app (nginx:1.27) listens on 80',
        },
        {
          line: 43,
          message:
            '-> targetPort 9000 -> Deployment api: nothing listens on 9000; container app (nginxinc/nginx-unprivileged:1.27-alpine) listens on 8080',
        },
      ],
    },
    {
      name: 'containerPort and targetPort moved to 8080, but nginx keeps listening on 80',
      yaml:
        deployment('nginx:1.27', ports('name: http\n          containerPort: 8080')) +
        service('  - name: http\n    port: 80\n    targetPort: 8080\n'),
      findings: [
        {
          severity: 'error',
          line: 28,
          column: 5,
          field: 'spec.ports[0].targetPort',
          message: [
            'Service default/web:80 (http) -> targetPort 8080 -> Deployment web: nothing listens on 8080; container app (nginx:1.27) listens on 80',
            'nginx listens on 80/TCP by default',
            'containerPort 8080 does not change it',
            '— certain',
          ],
          fix: 'Set targetPort: 80, or make nginx listen on 8080 (its config: /etc/nginx/nginx.conf',
        },
      ],
    },
    {
      name: 'targetPort omitted, so it defaults to port 80, while nginx-unprivileged listens on 8080',
      yaml:
        deployment('nginxinc/nginx-unprivileged:1.27-alpine', ports('containerPort: 8080')) +
        service('  - port: 80\n'),
      findings: [
        {
          severity: 'error',
          line: 25,
          field: 'spec.ports[0].targetPort',
          message: [
            'Service default/web:80 -> targetPort 80 (not set: defaulted from port 80) -> Deployment web: nothing listens on 80',
            'listens on 8080',
          ],
          fix: 'Set targetPort: 8080 (an absent or 0 targetPort defaults to port 80)',
        },
      ],
    },
    {
      name: 'targetPort: 0 is defaulted to port too',
      yaml:
        deployment('nginxinc/nginx-unprivileged:1.27-alpine') + service('  - port: 80\n    targetPort: 0\n'),
      findings: [
        {
          line: 24,
          message: 'targetPort 80 (written as 0: defaulted from port 80)',
          fix: 'Set targetPort: 8080',
        },
      ],
    },
    {
      name: 'PORT=3000 from ConfigMap app-config while the Service targets 3005',
      yaml: `apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {PORT: "3000"}
---
${deployment('ghcr.io/advplyr/audiobookshelf:2.19.5', `        env:\n        - name: PORT\n          valueFrom:\n            configMapKeyRef: {name: app-config, key: PORT}\n${ports('containerPort: 3005')}`)}${service('  - port: 8080\n    targetPort: 3005\n')}`,
      findings: [
        {
          severity: 'error',
          line: 35,
          field: 'spec.ports[0].targetPort',
          message: [
            'targetPort 3005 -> Deployment web: nothing listens on 3005',
            'listens on 3000 (PORT=3000 from ConfigMap app-config key PORT',
            '— certain',
          ],
          fix: 'Set targetPort: 3000, or make audiobookshelf listen on 3005: set PORT to 3005 (ConfigMap app-config key PORT), then restart the pods',
        },
      ],
    },
    {
      name: 'a named targetPort whose containerPort nginx does not listen on: fix the declaration',
      yaml:
        deployment('nginx:1.27', ports('name: http\n          containerPort: 8080')) +
        service('  - port: 80\n    targetPort: http\n'),
      findings: [
        {
          line: 27,
          message:
            'targetPort http -> containerPort 8080 of container app -> Deployment web: nothing listens on 8080',
          fix: 'Set containerPort: 80 on port http of container app (the Service follows the name)',
        },
      ],
    },
    {
      name: 'the declaring container is known, a sidecar is not: a warning that says what it assumed',
      yaml:
        deployment(
          'nginx:1.27',
          ports('containerPort: 8080'),
          '      - name: shipper\n        image: example/log-shipper:2\n',
        ) + service('  - port: 80\n    targetPort: 8080\n'),
      findings: [
        {
          severity: 'warning',
          line: 28,
          message: [
            'nothing listens on 8080; container app (nginx:1.27) listens on 80',
            '— likely: assuming container shipper (example/log-shipper:2), whose ports are not known, does not listen on 8080',
          ],
        },
      ],
    },
    {
      name: 'an image pulled from a mirror is only likely the one portchain knows: warning',
      yaml:
        deployment('public.ecr.aws/docker/library/nginx:1.27', ports('containerPort: 8080')) +
        service('  - port: 80\n    targetPort: 8080\n'),
      findings: [{ severity: 'warning', line: 26, message: ['nothing listens on 8080', '— likely'] }],
    },
    {
      name: 'a process bound to 127.0.0.1 cannot be reached through the Service',
      yaml:
        deployment(
          'quay.io/prometheus/node-exporter:v1.8.2',
          '        args: ["--web.listen-address=127.0.0.1:9100"]\n',
        ) + service('  - port: 9100\n'),
      findings: [
        {
          severity: 'error',
          line: 24,
          message: [
            'nothing the Service can reach listens on 9100',
            'binds 127.0.0.1:9100 only',
            'traffic arrives on the pod IP',
          ],
          fix: 'Make node-exporter listen on all interfaces (0.0.0.0:9100) instead of 127.0.0.1',
        },
      ],
    },
    {
      name: 'UDP: CoreDNS answers 53/UDP, not 5353/UDP',
      yaml:
        deployment('coredns/coredns:1.11.3') +
        service('  - port: 53\n    targetPort: 5353\n    protocol: UDP\n'),
      findings: [
        {
          line: 24,
          message: [
            'Service default/web:53/UDP -> targetPort 5353 -> Deployment web: nothing listens on 5353/UDP',
            'listens on 53/UDP and 53',
          ],
          fix: 'Set targetPort: 53',
        },
      ],
    },
    {
      name: 'declared ports the knowledge lacks (Grafana profiling) make an undeclared miss a warning',
      yaml:
        deployment(
          'grafana/grafana:12.1.1',
          ports(
            'name: grafana\n          containerPort: 3000',
            'name: profiling\n          containerPort: 6060',
          ),
        ) + service('  - port: 80\n    targetPort: 4000\n'),
      findings: [
        {
          severity: 'warning',
          line: 29,
          message: [
            'nothing listens on 4000',
            "container app declares 6060, which portchain's knowledge of grafana does not list, so that knowledge may be incomplete",
          ],
        },
      ],
    },
    {
      name: 'two workloads behind one Service: only the one whose process misses the port is named',
      yaml: `${deployment('nginx:1.27', '', '', 'web-v1')}---
${deployment('nginxinc/nginx-unprivileged:1.27-alpine', '', '', 'web-v2')}${service('  - port: 80\n')}`,
      findings: [
        {
          line: 38,
          message:
            'targetPort 80 (not set: defaulted from port 80) -> Deployment web-v2: nothing listens on 80',
        },
      ],
    },
  ],
});

describe('target-port-not-listening on the corpus', () => {
  it('gives no error; one warning: otel-demo jaeger-collector 14267 (TChannel, gone from Jaeger 1.53)', () => {
    const found = corpusFindings(targetPortNotListening).map((f) => `${f.severity} ${f.object} ${f.where}`);
    expect(found).toEqual(['warning default/jaeger-collector kubernetes__opentelemetry-demo.yaml:17339']);
  });
});
