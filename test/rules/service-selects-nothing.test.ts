import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serviceSelectsNothing } from '../../src/rules/service-selects-nothing.js';
import { editDistance, isTypo } from '../../src/rules/support/service-backends.js';
import { ruleTable } from '../helpers/rule-tester.js';
import { corpusFindings } from './support/service-rules-corpus.js';

const web = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web, tier: front}
  template:
    metadata:
      labels: {app: web, tier: front}
    spec:
      containers:
      - name: web
        image: nginx
`;
// web is lines 1-15; in svc, `---` is line 16, spec.selector line 23 and its first entry line 24.
const svc = (selector: string, ns = 'shop') => `---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ${ns}
spec:
  selector:
${selector}
  ports:
  - port: 80
`;

ruleTable(serviceSelectsNothing, {
  valid: [
    { name: 'selector matches the pod template labels', yaml: web + svc('    app: web') },
    { name: 'selector with every template label', yaml: web + svc('    app: web\n    tier: front') },
    {
      name: 'ExternalName Service has no selector and no endpoints by design',
      yaml: `apiVersion: v1
kind: Service
metadata: {name: backup}
spec:
  type: ExternalName
  externalName: backup.example.com
`,
    },
    {
      name: 'selectorless Service with hand-written Endpoints',
      yaml: `apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  ports: [{port: 5432}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: db}
subsets:
- addresses: [{ip: 10.0.0.5}]
  ports: [{port: 5432}]
`,
    },
    {
      name: 'statefulset.kubernetes.io/pod-name of an existing replica (the StatefulSet controller adds it)',
      yaml: `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: redis}
spec:
  replicas: 3
  serviceName: redis
  selector: {matchLabels: {app: redis}}
  template:
    metadata: {labels: {app: redis}}
    spec:
      containers: [{name: redis, image: redis}]
---
apiVersion: v1
kind: Service
metadata: {name: redis-announce-2}
spec:
  selector: {app: redis, statefulset.kubernetes.io/pod-name: redis-2}
  ports: [{port: 6379}]
`,
    },
  ],
  invalid: [
    {
      name: 'a value one edit away (fronend)',
      yaml: `${web.replaceAll('web', 'frontend')}${svc('    app: fronend')}`,
      findings: [
        {
          severity: 'warning',
          line: 24,
          column: 5,
          field: 'spec.selector[app]',
          message: [
            'Service shop/web -> Pods: selector app=fronend selects no pod in namespace shop',
            'did you mean app=frontend? It labels the pods of Deployment frontend',
          ],
          fix: 'Set the selector to `app: frontend`',
        },
      ],
    },
    {
      name: 'a key one edit away (ap: web)',
      yaml: web + svc('    ap: web'),
      findings: [
        {
          severity: 'warning',
          line: 24,
          field: 'spec.selector[ap]',
          message: 'did you mean the key app? The pods of Deployment web carry app=web',
          fix: 'Rename the selector key `ap` to `app`.',
        },
      ],
    },
    {
      name: 'an extra key no pod has',
      yaml: web + svc('    app: web\n    version: v2'),
      findings: [
        {
          severity: 'warning',
          line: 25,
          field: 'spec.selector[version]',
          message: 'the pods of Deployment web carry every other selector label but no version label',
          fix: 'Remove `version` from the selector',
        },
      ],
    },
    {
      name: 'one value differs (not a typo) with the other labels matching',
      yaml: web + svc('    app: web\n    tier: back'),
      findings: [
        {
          severity: 'warning',
          line: 25,
          field: 'spec.selector[tier]',
          message: 'the pods of Deployment web carry every other selector label but tier=front',
        },
      ],
    },
    {
      name: 'no typo, but a workload named like the Service: its pod labels are the likely fix',
      yaml: web + svc('    app: website'),
      findings: [
        {
          severity: 'warning',
          line: 23,
          field: 'spec.selector',
          message: 'Deployment web, named like the Service, labels its pods app=web,tier=front',
          fix: 'Make spec.selector match the pod template labels of Deployment web (app: web, tier: front).',
        },
      ],
    },
    {
      name: 'the labels exist in another namespace',
      yaml: web + svc('    app: web', 'default'),
      findings: [
        {
          severity: 'warning',
          line: 23,
          field: 'spec.selector',
          message: [
            'Service default/web -> Pods: selector app=web selects no pod in namespace default',
            'pods with app=web exist in namespace shop (Deployment web), but a Service selects pods only in its own namespace',
          ],
          fix: 'Create the Service in namespace shop',
        },
      ],
    },
    {
      name: 'no near miss, but this file defines the workloads of the namespace',
      yaml: web + svc('    app: payments').replace('name: web', 'name: payments'),
      findings: [
        {
          severity: 'warning',
          line: 23,
          message:
            'no workload in the input carries these labels, although this file defines the workloads of namespace shop',
        },
      ],
    },
    {
      name: 'a Service alone (operator-managed pods, as kube-prometheus alertmanager-main): info, assumption said',
      yaml: `apiVersion: v1
kind: Service
metadata: {name: alertmanager-main, namespace: monitoring}
spec:
  selector: {app.kubernetes.io/name: alertmanager, app.kubernetes.io/instance: main}
  ports: [{name: web, port: 9093, targetPort: web}]
`,
      findings: [
        {
          severity: 'info',
          line: 5,
          message: [
            'selector app.kubernetes.io/name=alertmanager,app.kubernetes.io/instance=main selects no pod in namespace monitoring',
            'assumed its pods come from a workload in another file or from an operator (a custom resource)',
          ],
        },
      ],
    },
    {
      name: 'beside a custom resource portchain does not model: info',
      yaml: `${web}---
apiVersion: monitoring.coreos.com/v1
kind: Alertmanager
metadata: {name: main, namespace: shop}
spec: {replicas: 3}
${svc('    app: alertmanager').replace('name: web', 'name: alertmanager-main')}`,
      findings: [
        {
          severity: 'info',
          line: 28,
          message:
            'this file also holds objects portchain does not model (an operator custom resource, for one)',
        },
      ],
    },
    {
      name: 'a pod-name label beyond the replicas: info, the controller adds it at runtime',
      yaml: `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: redis}
spec:
  replicas: 1
  serviceName: redis
  selector: {matchLabels: {app: redis}}
  template:
    metadata: {labels: {app: redis}}
    spec:
      containers: [{name: redis, image: redis}]
---
apiVersion: v1
kind: Service
metadata: {name: redis-announce-2}
spec:
  selector:
    app: redis
    statefulset.kubernetes.io/pod-name: redis-2
  ports: [{port: 6379}]
`,
      findings: [
        {
          severity: 'info',
          line: 19,
          field: 'spec.selector[statefulset.kubernetes.io/pod-name]',
          message:
            'statefulset.kubernetes.io/pod-name=redis-2 is a label the StatefulSet controller adds to its pods at runtime; assumed that pod exists in the cluster',
        },
      ],
    },
    {
      name: 'the matching Deployment is scaled to zero: info',
      yaml: web.replace('spec:\n  selector:', 'spec:\n  replicas: 0\n  selector:') + svc('    app: web'),
      findings: [
        {
          severity: 'info',
          line: 24,
          message:
            'Deployment web (replicas: 0) would match but runs no pod, so the Service has no endpoints until it is scaled up',
        },
      ],
    },
    {
      name: 'a cluster dump: the live pods of the namespace prove it (error)',
      yaml: `apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
  labels: {app: web}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f, controller: true}]
spec:
  containers: [{name: web, image: nginx}]
status:
  phase: Running
  podIP: 10.1.0.7
  conditions: [{type: Ready, status: 'True'}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: wbe}
  ports: [{port: 80}]
`,
      findings: [
        {
          severity: 'error',
          line: 19,
          field: 'spec.selector[app]',
          message: [
            'no pod of the cluster dump carries these labels, so the Service has no endpoints and kube-proxy rejects every connection to it',
            'did you mean app=web? It labels the pods of ReplicaSet web-5d8f',
          ],
        },
      ],
    },
    {
      name: 'selectorless Service with no Endpoints in the input: info',
      yaml: `apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  ports: [{port: 5432}]
`,
      findings: [
        {
          severity: 'info',
          line: 4,
          field: 'spec',
          message:
            'no selector, so the endpoint controllers leave it alone, and the input holds no Endpoints or EndpointSlice for it',
        },
      ],
    },
  ],
});

describe('service-selects-nothing on the corpus', () => {
  it('reports only alertmanager-main, as info (operator-managed pods; SOURCES.md: not an error)', () => {
    const found = corpusFindings(serviceSelectsNothing);
    expect(found.map((f) => `${f.where} ${f.severity} ${f.object}`)).toEqual([
      'manifests__alertmanager-service.yaml:20 info monitoring/alertmanager-main',
    ]);
  });
});

describe('editDistance (the near-miss measure)', () => {
  /** Optimal string alignment distance, the plain dynamic program. */
  function osa(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) =>
      Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
    );
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) {
        const row = d[i] as number[];
        const up = d[i - 1] as number[];
        row[j] = Math.min(
          (up[j] as number) + 1,
          (row[j - 1] as number) + 1,
          (up[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
          row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    return (d[a.length] as number[])[b.length] as number;
  }

  it('agrees with the plain dynamic program, capped at limit + 1', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '-'), maxLength: 9 });
    fc.assert(
      fc.property(word, word, fc.integer({ min: 0, max: 3 }), (a, b, limit) => {
        expect(editDistance(a, b, limit)).toBe(Math.min(osa(a, b), limit + 1));
      }),
      { numRuns: 3000 },
    );
  });

  it('counts typos as one edit (two for long values)', () => {
    expect(isTypo('fronend', 'frontend')).toBe(true);
    expect(isTypo('wbe', 'web')).toBe(true);
    expect(isTypo('web', 'api')).toBe(false);
    expect(isTypo('checkoutsvc', 'checkout-svc1')).toBe(true);
    expect(isTypo('web', 'web')).toBe(false);
  });
});
