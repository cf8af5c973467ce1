import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { buildTopology } from '../src/topology/build.js';
import { anchorY, layoutTopology, type NodeBox, type TopologyLayout } from '../src/topology/layout.js';
import { layoutChains } from '../src/topology/layout-chains.js';
import { indexTopology, LANES, type Topology } from '../src/topology/model.js';
import { shopTopology } from './topology-fixtures.js';

const EXAMPLES = join(import.meta.dirname, '..', 'examples');

function exampleTopology(name: string): Topology {
  const dir = join(EXAMPLES, name);
  const sources = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ name: `examples/${name}/${f}`, text: readFileSync(join(dir, f), 'utf8') }));
  const r = check(sources);
  return buildTopology(r.graph, r.findings);
}

/** The nodes and edges of each namespace, as layoutTopology groups them. */
function namespaceParts(t: Topology) {
  const ix = indexTopology(t);
  return t.groups.map((g) => ({
    members: g.nodes.map((id) => ix.node.get(id)).filter((n) => n !== undefined),
    edges: t.edges.filter((e) => ix.node.get(e.source)?.namespace === g.namespace),
  }));
}

const apart = (a: NodeBox, b: NodeBox) =>
  a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;

/** What every drawing needs, whichever layout made it. */
function expectDrawable(t: Topology, layout: TopologyLayout): void {
  expect(layout.nodes.map((b) => b.node.id).sort()).toEqual(t.nodes.map((n) => n.id).sort());
  expect(layout.edges.map((p) => p.edge.id).sort()).toEqual(t.edges.map((e) => e.id).sort());
  for (let i = 0; i < layout.nodes.length; i++)
    for (let j = i + 1; j < layout.nodes.length; j++)
      expect(apart(layout.nodes[i] as NodeBox, layout.nodes[j] as NodeBox)).toBe(true);
  const box = new Map(layout.nodes.map((b) => [b.node.id, b]));
  for (const p of layout.edges) {
    const from = box.get(p.edge.source) as NodeBox;
    const to = box.get(p.edge.target) as NodeBox;
    const first = p.points[0];
    const last = p.points[p.points.length - 1];
    expect(first).toEqual({ x: from.x + from.width, y: from.y + anchorY(from.node, p.edge.sourcePort) });
    expect(last).toEqual({ x: to.x, y: to.y + anchorY(to.node, p.edge.targetPort) });
    for (let i = 1; i < p.points.length; i++) {
      const a = p.points[i - 1];
      const b = p.points[i];
      expect(a?.x === b?.x || a?.y === b?.y).toBe(true);
    }
    if (p.edge.label) {
      const l = p.label;
      expect(l?.text.startsWith(p.edge.label)).toBe(true);
      // A label stands between the columns, clear of every node.
      for (const b of layout.nodes) {
        const clear = (l?.x ?? 0) + (l?.width ?? 0) <= b.x || b.x + b.width <= (l?.x ?? 0);
        const below = (l?.y ?? 0) + 14 <= b.y || b.y + b.height <= (l?.y ?? 0);
        expect(clear || below).toBe(true);
      }
    }
  }
  for (const ns of layout.namespaces) {
    for (const id of ns.group.nodes) {
      const b = box.get(id) as NodeBox;
      expect(b.y).toBeGreaterThanOrEqual(ns.y);
      expect(b.y + b.height).toBeLessThanOrEqual(ns.y + ns.height);
      expect(b.x + b.width).toBeLessThanOrEqual(ns.x + ns.width);
    }
  }
}

describe('layoutChains', () => {
  it('places every namespace of chains directly: lanes in columns, straight first links, labels between', async () => {
    for (const name of ['port-from-configmap', 'three-apps-port-80']) {
      const t = exampleTopology(name);
      for (const { members, edges } of namespaceParts(t))
        expect(layoutChains(members, edges, 0, 0)).not.toBeNull();
      const layout = await layoutTopology(t);
      expectDrawable(t, layout);
      // Every node of a lane stands in one column, left of the next lane's.
      for (const ns of layout.namespaces) {
        const inNs = layout.nodes.filter((b) => ns.group.nodes.includes(b.node.id));
        const xs = LANES.map((l) => [...new Set(inNs.filter((b) => b.node.lane === l).map((b) => b.x))]);
        for (const x of xs) expect(x.length).toBeLessThanOrEqual(1);
        const used = xs.filter((x) => x.length === 1).map((x) => x[0] as number);
        expect([...used].sort((a, b) => a - b)).toEqual(used);
        expect(ns.lanes.map((l) => l.x)).toEqual(used);
      }
      // The first link into a node runs straight, as ELK's placement draws it.
      const seen = new Set<string>();
      for (const p of layout.edges) {
        if (seen.has(p.edge.target)) continue;
        seen.add(p.edge.target);
        expect(p.points).toHaveLength(2);
      }
    }
  });

  it('draws the broken links of the examples with their labels', async () => {
    const t = exampleTopology('port-from-configmap');
    const layout = await layoutTopology(t);
    const broken = layout.edges.filter((p) => p.edge.findings.length > 0);
    expect(broken.length).toBeGreaterThan(0);
    for (const p of broken) expect(p.label?.width).toBeGreaterThan(0);
  });

  it('leaves a fan-out (one workload, two containers) to ELK, which still lays it out', async () => {
    const t = shopTopology();
    const parts = namespaceParts(t);
    expect(parts.some(({ members, edges }) => layoutChains(members, edges, 0, 0) === null)).toBe(true);
    expectDrawable(t, await layoutTopology(t));
  });

  it('leaves links from one row with different labels to ELK, which keeps the labels apart', async () => {
    const t = exampleTopology('three-apps-port-80');
    const ix = indexTopology(t);
    // Two links from one Service row to the two pods of a workload; give them different labels.
    const first = t.edges.find((e) =>
      t.edges.some((o) => o !== e && o.source === e.source && o.sourcePort === e.sourcePort),
    );
    expect(first).toBeDefined();
    const changed: Topology = {
      ...t,
      edges: t.edges.map((e) => (e === first ? { ...e, label: `${e.label} (changed)` } : e)),
    };
    const ns = ix.node.get(first?.source ?? '')?.namespace;
    const part = namespaceParts(changed).find((p) => p.members[0]?.namespace === ns);
    expect(layoutChains(part?.members ?? [], part?.edges ?? [], 0, 0)).toBeNull();
    const layout = await layoutTopology(changed);
    expectDrawable(changed, layout);
  });

  it('stacks hundreds of chains without overlap, in model order', async () => {
    const docs: string[] = [];
    for (let i = 0; i < 120; i++) {
      docs.push(`apiVersion: v1
kind: Service
metadata: {name: app-${i}, namespace: ns-${i % 3}}
spec:
  selector: {app: app-${i}}
  ports: [{name: http, port: 80, targetPort: ${i % 7 === 0 ? 'htpp' : 'http'}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app-${i}, namespace: ns-${i % 3}}
spec:
  replicas: ${1 + (i % 2)}
  selector: {matchLabels: {app: app-${i}}}
  template:
    metadata: {labels: {app: app-${i}}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{name: http, containerPort: ${8000 + i}}]`);
    }
    const r = check([{ name: 'many.yaml', text: docs.join('\n---\n') }]);
    const t = buildTopology(r.graph, r.findings);
    const layout = await layoutTopology(t);
    expectDrawable(t, layout);
    const services = layout.nodes.filter((b) => b.node.kind === 'service' && b.node.namespace === 'ns-0');
    const ys = services.map((b) => b.y);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
  });
});
