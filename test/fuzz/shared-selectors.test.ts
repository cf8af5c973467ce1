/**
 * Services that share a selector, or select the same pods with another, share work: their pod list
 * (PodIndex.select), the per-pod endpoint pass (resolveGraph), the target-port checks
 * (target-port-not-listening, target-port-name-inconsistent) and the Services-by-pod map the probe rules read. None of that may change what a Service gets: a differential
 * property checks each Service among many against the same Service checked with the workloads alone.
 * Runs: 40, or FUZZ_RUNS / 20 (each case runs one check per Service); seed: FUZZ_SEED.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/check.js';
import type { Finding } from '../../src/model/finding.js';
import { servicesByPod } from '../../src/rules/support/listening-view.js';
import type { ResolvedGraph, ServiceView } from '../../src/semantics/graph.js';
import { fuzzParams, PROPERTY_TIMEOUT } from './manifests.js';

/** A Deployment of two replicas; its image decides where the process listens (nginx: 80, redis: 6379). */
const deployment = (name: string, labels: string, image: string, ports: string, probe = '') => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 2
  selector: {matchLabels: {${labels}}}
  template:
    metadata: {labels: {${labels}}}
    spec:
      containers:
      - name: main
        image: ${image}
        ports: ${ports}${probe}
`;

/** Workloads whose links break in different ways, under labels that Services combine. */
const WORKLOADS = [
  // nginx listens on 80, not on the 8080 its port `http` names: target and probe on it break.
  deployment(
    'front',
    'app: web, tier: front',
    'nginx:1.27',
    '[{name: http, containerPort: 8080}]',
    '\n        readinessProbe: {httpGet: {port: http}}',
  ),
  deployment('plain', 'app: web', 'nginx:1.27', '[{name: http, containerPort: 80}]'),
  // An image portchain knows nothing of: nothing is known to listen or not.
  deployment(
    'other',
    'app: web, tier: back',
    'example.com/unknown:1',
    '[{name: http, containerPort: 9090}, {name: metrics, containerPort: 9100, protocol: UDP}]',
  ),
  deployment('cache', 'tier: back', 'redis:7', '[{name: http, containerPort: 6380}]'),
].join('');

// The last selects what {tier: front} does with other words: PodIndex gives both one list (and its work).
const SELECTORS = [
  '{app: web}',
  '{tier: front}',
  '{tier: back}',
  '{app: web, tier: back}',
  '{app: web, tier: front}',
];
const PORTS = [
  'port: 80, targetPort: http',
  'port: 80, targetPort: 8080',
  'port: 80',
  'port: 6379, targetPort: 6379',
  'port: 53, targetPort: http, protocol: UDP',
  'port: 9100, targetPort: metrics, protocol: UDP',
  'port: 9100, targetPort: metrics',
  // The target of `port: 80, targetPort: 8080`, left to default: the fix names this Service's port.
  'port: 8080',
];

interface ServiceSpec {
  readonly selector: number;
  readonly ports: readonly number[];
  readonly headless: boolean;
  readonly publishNotReady: boolean;
}

const serviceYaml = (name: string, s: ServiceSpec) => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  selector: ${SELECTORS[s.selector]}${s.headless ? '\n  clusterIP: None' : ''}${s.publishNotReady ? '\n  publishNotReadyAddresses: true' : ''}
  ports:
${s.ports.map((p, i) => `  - {name: p${i}, ${PORTS[p]}}`).join('\n')}
`;

const serviceArb: fc.Arbitrary<ServiceSpec> = fc.record({
  selector: fc.nat(SELECTORS.length - 1),
  ports: fc.uniqueArray(fc.nat(PORTS.length - 1), { minLength: 1, maxLength: 2 }),
  headless: fc.boolean(),
  publishNotReady: fc.boolean(),
});

/** What a Service gets: its findings (without the line, which moves with the file) and its endpoints. */
function whatServiceGets(findings: readonly Finding[], graph: ResolvedGraph, name: string) {
  const view = graph.services.find((v) => v.service.name === name) as ServiceView;
  return {
    findings: findings
      .filter((f) => f.object?.kind === 'Service' && f.object.name === name)
      .map(({ rule, severity, message, field, fix }) => ({ rule, severity, message, field, fix })),
    excluded: view.excluded.map((e) => [e.pod.name, e.reason]),
    unresolved: view.unresolved.map((u) => [u.pod.name, u.portIndex, u.reason]),
    slices: view.slices.map((s) => ({
      ports: s.ports,
      endpoints: s.endpoints.map((e) => e.targetRef?.name),
    })),
  };
}

function run(yaml: string) {
  const result = check([{ name: 'cluster.yaml', text: yaml }]);
  return { findings: result.findings, graph: result.graph };
}

describe('Services sharing a selector', () => {
  it(
    'each Service gets what it gets alone, and servicesByPod lists exactly the Services selecting each pod',
    () => {
      fc.assert(
        fc.property(fc.array(serviceArb, { minLength: 2, maxLength: 10 }), (specs) => {
          const services = specs.map((s, i) => serviceYaml(`svc-${i}`, s));
          const all = run(WORKLOADS + services.join(''));
          specs.forEach((_, i) => {
            const alone = run(WORKLOADS + services[i]);
            expect(whatServiceGets(all.findings, all.graph, `svc-${i}`)).toEqual(
              whatServiceGets(alone.findings, alone.graph, `svc-${i}`),
            );
          });
          const byPod = servicesByPod(all.graph);
          for (const pod of all.graph.pods) {
            const selecting = all.graph.services
              .filter((v) => v.selected.includes(pod))
              .map((v) => v.service);
            expect((byPod.get(pod) ?? []).map((s) => s.name)).toEqual(selecting.map((s) => s.name));
          }
        }),
        fuzzParams(40, 20),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it('finds the broken links the workloads are built with, so the property above compares findings', () => {
    const { findings } = run(
      WORKLOADS + serviceYaml('a', { selector: 1, ports: [0], headless: false, publishNotReady: false }),
    );
    expect(findings.map((f) => f.rule)).toEqual(
      expect.arrayContaining(['target-port-not-listening', 'probe-port-not-listening']),
    );
    const mixed = run(
      WORKLOADS + serviceYaml('b', { selector: 0, ports: [0], headless: false, publishNotReady: false }),
    );
    expect(mixed.findings.map((f) => f.rule)).toContain('target-port-name-inconsistent');
  });
});
