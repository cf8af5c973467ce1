import { describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import type { Finding } from '../src/model/finding.js';
import { buildTopology } from '../src/topology/build.js';
import type { Topology } from '../src/topology/model.js';
import { foldSoundChains, GROUPING, simplifyTopology } from '../src/topology/simplify.js';

/** One namespace: Deployment `web` with `replicas` pods behind Service `web` (ports 80 -> 8080). */
function app(ns: string, replicas = 1, name = 'web'): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: app, image: example/app:1, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec: {selector: {app: ${name}}, ports: [{port: 80, targetPort: http}]}
---
`;
}

function topo(yaml: string, findings: Finding[] = []): Topology {
  const r = check([{ name: 'case.yaml', text: yaml }], { rules: [] });
  return buildTopology(r.graph, findings);
}

const broken = (ns: string, name = 'web'): Finding => ({
  rule: 'test-rule',
  severity: 'error',
  message: 'broken',
  object: { apiVersion: 'v1', kind: 'Service', namespace: ns, name },
  field: 'spec.ports[0].targetPort',
  location: { file: 'case.yaml', line: 1, column: 1 },
});

describe('simplifyTopology', () => {
  it('leaves a small input as it is (auto), and anything with --group none', () => {
    const t = topo(app('a', 3));
    expect(simplifyTopology(t)).toEqual(t);
    expect(simplifyTopology(topo(app('a', 9)), { mode: 'none' }).nodes[1]?.ports).toHaveLength(9);
  });

  it('draws a workload with more than podsPerWorkload pods as one node `web ×N`, links counted', () => {
    const t = topo(app('a', GROUPING.podsPerWorkload + 1), [broken('a')]);
    const s = simplifyTopology(t);
    const w = s.nodes.find((n) => n.kind === 'workload');
    expect(w?.label).toBe('Deployment web ×4');
    expect(w?.ports.map((p) => [p.kind, p.label])).toEqual([['pods', '4 pods']]);
    const endpoint = s.edges.filter((e) => e.kind === 'endpoint');
    expect(endpoint.map((e) => [e.label, e.count, e.targetPort])).toEqual([
      [':80 -> http(8080)/TCP', 4, 'workload/a/Deployment/web#pods'],
    ]);
    expect(s.edges.filter((e) => e.kind === 'container').map((e) => e.count)).toEqual([4]);
    // The finding that marked 4 edges now marks the one that stands for them.
    expect(s.findings[0]?.targets).toEqual([{ kind: 'edge', id: endpoint[0]?.id }]);
    expect(endpoint[0]?.findings).toEqual(['f0']);
    expect(s.simplified).toEqual({ workloads: 1, namespaces: [], chains: 0 });
  });

  it('folds every workload once the input has more than maxPods pods', () => {
    const yaml = Array.from({ length: 11 }, (_, i) => app(`ns${i}`, 3)).join('');
    const s = simplifyTopology(topo(yaml));
    expect(s.nodes.filter((n) => n.kind === 'workload').every((n) => n.label.endsWith('×3'))).toBe(true);
  });

  it('folds sound namespaces, largest first, above maxNodes, and keeps every broken one drawn', () => {
    const yaml = Array.from({ length: 6 }, (_, i) => app(`ns${i}`)).join('');
    const t = topo(yaml, [broken('ns2')]);
    expect(t.nodes).toHaveLength(18);
    const s = simplifyTopology(t, { maxNodes: 14 });
    // Two sound namespaces of 3 nodes fold to one node each (14 left); the others did not need to.
    expect(s.simplified?.namespaces).toEqual(['ns0', 'ns1']);
    const kept = s.nodes.filter((n) => n.kind !== 'summary').map((n) => n.namespace);
    expect(new Set(kept)).toEqual(new Set(['ns2', 'ns3', 'ns4', 'ns5']));
    expect(s.nodes.filter((n) => n.kind === 'summary')[0]).toMatchObject({
      label: 'namespace ns0',
      detail: ['1 Service, 1 workload, 1 pod', 'no error or warning (folded)'],
    });
    expect(s.nodes).toHaveLength(14);
    expect(simplifyTopology(t, { maxNodes: 1 }).groups.map((g) => g.namespace)).toContain('ns2');
    // The broken edge and its finding are untouched.
    const f = s.findings[0];
    expect(f?.targets[0]?.kind).toBe('edge');
    expect(s.edges.find((e) => e.id === f?.targets[0]?.id)?.findings).toEqual(['f0']);
  });

  it('folds sound chains inside a broken namespace when folding namespaces is not enough', () => {
    const yaml = ['a', 'b', 'c', 'd'].map((n) => app('big', 1, n)).join('');
    const s = simplifyTopology(topo(yaml, [broken('big', 'c')]), { maxNodes: 5 });
    expect(s.nodes.map((n) => n.label)).toEqual([
      '3 sound chains',
      'Service c',
      'Deployment c',
      'container app',
    ]);
    expect(s.simplified?.chains).toBe(3);
    expect(s.groups[0]?.nodes).toHaveLength(4);
  });

  it('namespaces mode folds every sound namespace; info findings move to the summary', () => {
    const info: Finding = { ...broken('a'), severity: 'info' };
    const s = simplifyTopology(topo(app('a') + app('b'), [info, broken('b')]), { mode: 'namespaces' });
    expect(s.nodes.map((n) => n.id)).toContain('summary/namespace/a');
    expect(s.findings[0]?.targets).toEqual([{ kind: 'node', id: 'summary/namespace/a' }]);
    expect(s.nodes.find((n) => n.id === 'summary/namespace/a')?.findings).toEqual(['f0']);
    expect(s.nodes.filter((n) => n.namespace === 'b').map((n) => n.kind)).toEqual([
      'service',
      'workload',
      'container',
    ]);
  });
});

describe('simplifyTopology on many namespaces', () => {
  it('folds many sound namespaces into one node of their own group, broken namespaces stay drawn', () => {
    const yaml = Array.from({ length: 30 }, (_, i) => app(`ns${i}`)).join('');
    const s = simplifyTopology(topo(yaml, [broken('ns7')]), { maxNodes: 20 });
    const last = s.groups[s.groups.length - 1];
    expect(last?.label).toMatch(/^\d+ namespaces with no error or warning$/);
    expect(last?.nodes).toEqual(['summary/namespaces']);
    expect(s.groups.map((g) => g.namespace)).toContain('ns7');
    expect(s.nodes.length).toBeLessThanOrEqual(20);
    expect(s.nodes.find((n) => n.id === 'summary/namespaces')?.detail[1]).toBe(
      'no error or warning (folded): ns0, ns1, ns2, …',
    );
  });

  it('keeps a container no link reaches with its broken workload, not among the sound chains', () => {
    const yaml = app('big', 1, 'a') + app('big', 1, 'b').replace('targetPort: http', 'targetPort: htp');
    const t = topo(yaml, [broken('big', 'b')]);
    const s = foldSoundChains(t, ['big']);
    expect(s.nodes.map((n) => n.label)).toEqual([
      '1 sound chain',
      'Service b',
      'Deployment b',
      'container app',
    ]);
  });
});
