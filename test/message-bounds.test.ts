/**
 * A finding's message may grow with its own object, never with the number of other objects. Each input is
 * checked with its workloads, NetworkPolicies and IngressClasses copied 12 and then 40 times (names apart,
 * labels unchanged, so every Service, policy and Ingress sees them all): past the first dozen, a message may
 * only change in its counts (`and 28 more`). A Service over 700 workloads used to repeat one "did you mean"
 * hint 700 times (56 KB), and a Local Service listed every workload's pods.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { check } from '../src/check.js';
import { corpusUnits, repoRoot } from './helpers/shared.js';

const COPIED = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Pod',
  'Job',
  'NetworkPolicy',
  'IngressClass',
]);

/** `text` with every object of a COPIED kind there `k` times: `name`, `name-c1`, ... */
function amplify(text: string, k: number): string {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    const v = doc.toJS() as { kind?: string; metadata?: { name?: string } } | null;
    if (!v || typeof v !== 'object') continue;
    out.push(v);
    if (!COPIED.has(v.kind ?? '') || !v.metadata?.name) continue;
    for (let i = 1; i < k; i++) {
      const copy = structuredClone(v);
      (copy.metadata as { name: string }).name = `${v.metadata.name}-c${i}`;
      out.push(copy);
    }
  }
  return out.map((o) => stringify(o)).join('---\n');
}

/** The longest message (with its fix) of each rule. */
function longest(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of check([{ name: 'in.yaml', text }]).findings) {
    const n = f.message.length + (f.fix?.length ?? 0);
    out.set(f.rule, Math.max(out.get(f.rule) ?? 0, n));
  }
  return out;
}

/** Rules whose message grew from 12 copies to 40 by more than its counts can: `rule: 900 -> 2400`. */
function growing(text: string): string[] {
  const few = longest(amplify(text, 12));
  const many = longest(amplify(text, 40));
  const grew: string[] = [];
  for (const [rule, n] of many) {
    const before = few.get(rule) ?? 0;
    if (n > before + 20) grew.push(`${rule}: ${before} -> ${n}`);
  }
  return grew;
}

const deployment = (name: string, app: string, port: number, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${app}}}
  template:
    metadata: {labels: {app: ${app}}}
    spec:
      containers:
      - name: app
        image: example/${name}
        ports: [{name: http, containerPort: ${port}}]
${extra}`;

const service = (name: string, app: string, spec: string) => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: shop}
spec:
  selector: {app: ${app}}
${spec}`;

/** An Ingress of class `className` sending / to Service `name` port 80. */
const ingress = (name: string, className: string) => `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ${name}, namespace: shop}
spec:
  ingressClassName: ${className}
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: ${name}, port: {number: 80}}}}
`;

const ingressClass = (name: string) => `---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: ${name}}
spec: {controller: k8s.io/ingress-nginx}
`;

/** A NetworkPolicy isolating the pods labelled app=`app` for ingress, with one `rule`. */
const policy = (name: string, app: string, rule: string) => `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: shop}
spec:
  podSelector: {matchLabels: {app: ${app}}}
  ingress: [${rule}]
`;

/** Inputs written for the rules that list workloads, policies, nodes or classes; each names what it triggers. */
const FIXTURES: { name: string; rules: string[]; yaml: string }[] = [
  {
    name: 'policies isolate the pods and allow neither the port nor the ingress controller',
    rules: ['network-policy-blocks-service'],
    yaml: `${deployment('web', 'web', 8080)}${service('web', 'web', '  ports: [{port: 80, targetPort: 8080}]')}
${policy('only-metrics', 'web', '{ports: [{port: 9090}]}')}${deployment('api', 'api', 8081)}${service('api', 'api', '  ports: [{port: 80, targetPort: 8081}]')}
${policy('same-namespace', 'api', '{from: [{podSelector: {}}], ports: [{port: 8081}]}')}${ingress('api', 'nginx')}${ingressClass('nginx')}`,
  },
  {
    name: 'a Local LoadBalancer over Deployments and DaemonSets',
    rules: ['external-traffic-policy-local'],
    yaml: `${deployment('web', 'web', 8080)}---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: edge, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: app, image: example/edge, ports: [{name: http, containerPort: 8080}]}
${service('web', 'web', '  type: LoadBalancer\n  externalTrafficPolicy: Local\n  ports: [{port: 80, targetPort: 8080}]')}`,
  },
  {
    name: 'an Ingress of a class none of the IngressClasses is',
    rules: ['ingress-class-missing'],
    yaml: `${deployment('web', 'web', 8080)}${service('web', 'web', '  ports: [{port: 80, targetPort: 8080}]')}
${ingressClass('nginx-internal')}${ingress('web', 'ngnix')}`,
  },
  {
    name: 'a number no workload declares, proven by a probe, and a name some lack',
    rules: ['target-port-undeclared', 'target-port-name-unresolved'],
    yaml: `${deployment('web', 'web', 8080, '        readinessProbe: {tcpSocket: {port: 9001}}\n')}---
${deployment('old', 'web', 8080).replace('name: http,', 'name: web,')}${service(
  'web',
  'web',
  '  ports:\n  - {name: admin, port: 9001}\n  - {name: web, port: 80, targetPort: http}',
)}`,
  },
];

describe('message size does not grow with the number of other objects', () => {
  for (const f of FIXTURES) {
    it(f.name, () => {
      const found = longest(f.yaml);
      // The fixture shows what it is meant to, or the comparison below would prove nothing.
      for (const rule of f.rules) expect([...found.keys()]).toContain(rule);
      expect(growing(f.yaml)).toEqual([]);
    });
  }

  it('the examples', () => {
    const dir = join(repoRoot, 'examples');
    const grew: string[] = [];
    for (const sub of readdirSync(dir, { withFileTypes: true })) {
      if (!sub.isDirectory()) continue;
      for (const file of readdirSync(join(dir, sub.name)).filter((x) => x.endsWith('.yaml')))
        for (const g of growing(readFileSync(join(dir, sub.name, file), 'utf8'))) grew.push(`${file} ${g}`);
    }
    expect(grew).toEqual([]);
  });

  it('the corpus projects whose Services select several workloads', () => {
    const grew: string[] = [];
    for (const unit of corpusUnits()) {
      if (
        !/ingress-nginx\/deploy__static__provider__cloud|opentelemetry-demo|kubernetes-engine-samples|istio/.test(
          unit.name,
        )
      )
        continue;
      const text = unit.files.map((f) => readFileSync(f, 'utf8')).join('\n---\n');
      for (const g of growing(text)) grew.push(`${unit.name} ${g}`);
    }
    expect(grew).toEqual([]);
  });
});
