import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { escapeDot, formatDot } from '../src/report/dot.js';
import { escapeXml, formatSvg } from '../src/report/svg.js';
import { formatTopologyJson } from '../src/report/topology-json.js';
import { formatTree } from '../src/report/tree.js';
import { layoutTopology } from '../src/topology/layout.js';
import { indexTopology, LANES, type Topology } from '../src/topology/model.js';
import { simplifyTopology } from '../src/topology/simplify.js';
import { shopTopology, XSS } from './topology-fixtures.js';

/** Where an ANSI colour sequence starts. */
const ESC = '\u001b[';

const hasDot = spawnSync('dot', ['-V']).status === 0;

describe('formatTree', () => {
  it('follows the chain Ingress -> Service -> workload -> container with ports, ✖/⚠ and the findings', () => {
    const text = formatTree(shopTopology(), { color: false });
    const lines = text.split('\n');
    expect(lines[0]).toBe('namespace shop');
    expect(lines[1]).toBe('└─ Ingress shop  class nginx');
    expect(lines[2]).toBe('   ├─ shop/ (Prefix)');
    expect(lines[3]).toBe('   │  └─ http(80)/TCP → ℹ Service web  ClusterIP · selector app=web,tier=shop');
    expect(lines[4]).toBe('   │     │  ℹ info [test-rule] a note');
    expect(text).toContain('│     ├─ http 80/TCP -> http\n');
    expect(text).toContain('├─ :80 -> http(8080)/TCP → Deployment web  2 pods\n');
    expect(text).toMatch(/├─ 8080\/TCP → container nginx {2}image nginxinc\/nginx-unprivileged:1\.27\n/);
    expect(text).toMatch(
      /├─ ✖ :9100 -> 9100\/TCP → Deployment web \(see above: web-\S+ 10\.244\.0\.1\)\n.*✖ error \[test-rule\] broken\n/,
    );
    expect(text).toContain(
      '   └─ shop/api (Prefix)\n      └─ ⚠ :80 → Service api  not found in namespace shop\n',
    );
    expect(text).toContain('⚠ warning [test-rule] no Service api broken');
    expect(text).not.toContain(ESC);
  });

  it('colours only when asked, and lists the findings nothing drawn stands for', () => {
    const t = shopTopology('shop', [
      {
        rule: 'yaml-syntax',
        severity: 'error',
        message: 'bad YAML',
        object: null,
        field: null,
        location: { file: 'x.yaml', line: 3, column: 1 },
      },
    ]);
    const plain = formatTree(t, { color: false });
    expect(plain).toContain('Not drawn (no Ingress, Service, Pod or container stands for their object):\n');
    expect(plain).toContain('  x.yaml:3:1: ✖ error [yaml-syntax] bad YAML');
    expect(formatTree(t, { color: true })).toContain(`${ESC}31m✖ error [yaml-syntax]`);
  });

  it('says what was grouped', () => {
    const text = formatTree(simplifyTopology(shopTopology(), { mode: 'workloads' }), { color: false });
    expect(text).toContain('→ Deployment web ×2\n');
    expect(text).toContain(
      'Grouped (--group none shows everything): pods of 1 workload(s) shown as one row.',
    );
  });
});

describe('formatDot', () => {
  it('is LR with a cluster per namespace and lane, port labels, broken edges dashed, red and marked', () => {
    const dot = formatDot(shopTopology());
    expect(dot).toMatch(/^digraph portchain \{\n {2}graph \[rankdir=LR/);
    expect(dot).toContain('subgraph cluster_g0 {');
    expect(dot).toContain('subgraph cluster_g0_ingress {');
    expect(dot).toContain('n2 -> n3 [label=":80 -> http(8080)/TCP"]');
    expect(dot).toMatch(
      /n2 -> n3 \[label="✖ :9100 -> 9100\/TCP", color="#c62828", fontcolor="#c62828", style=dashed, penwidth=2, tooltip="error \[test-rule\] broken"\]/,
    );
    expect(dot).toContain('n0 -> n1 [label="⚠ :80", color="#a15c00"');
  });

  it('escapes quotes and backslashes, so user text never ends a string or makes an escape sequence', () => {
    expect(escapeDot('a"b\\N\nc')).toBe('a\\"b\\\\N c');
    const dot = formatDot(shopTopology(`${XSS} "q" \\N \\l`));
    expect(dot).toContain('tier=<script>alert(1)</script> \\"q\\" \\\\N \\\\l');
  });

  it.skipIf(!hasDot)('is accepted by Graphviz', () => {
    for (const t of [
      shopTopology(`${XSS} "q" \\N`),
      simplifyTopology(shopTopology(), { mode: 'namespaces' }),
    ]) {
      const r = spawnSync('dot', ['-Tsvg'], { input: formatDot(t), encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).not.toContain('<script>');
    }
  });
});

describe('JSON model', () => {
  it('has unique ids, edges between existing rows and nodes, and findings pointing at existing elements', () => {
    const t = JSON.parse([...formatTopologyJson(shopTopology())].join('')) as Topology;
    const ids = [
      ...t.nodes.map((n) => n.id),
      ...t.nodes.flatMap((n) => n.ports.map((p) => p.id)),
      ...t.edges.map((e) => e.id),
      ...t.groups.map((g) => g.id),
    ];
    expect(new Set(ids).size).toBe(ids.length);
    const ix = indexTopology(t);
    for (const e of t.edges) {
      expect(ix.node.has(e.source) && ix.node.has(e.target)).toBe(true);
      if (e.sourcePort) expect(ix.portNode.get(e.sourcePort)?.id).toBe(e.source);
      if (e.targetPort) expect(ix.portNode.get(e.targetPort)?.id).toBe(e.target);
    }
    for (const f of t.findings) {
      for (const target of f.targets) expect(ids).toContain(target.id);
    }
    expect(t.findings.map((f) => [f.id, f.severity, f.targets.map((x) => x.kind)])).toEqual([
      ['f0', 'error', ['edge', 'edge']],
      ['f1', 'warning', ['edge']],
      ['f2', 'info', ['node']],
    ]);
  });
});

describe('layoutTopology and formatSvg', () => {
  it('lays the lanes out left to right, edges orthogonal, from the source row to the target row', async () => {
    const t = shopTopology();
    const layout = await layoutTopology(t);
    expect(layout.nodes).toHaveLength(t.nodes.length);
    const laneX = LANES.map((lane) => layout.nodes.filter((b) => b.node.lane === lane).map((b) => b.x));
    for (let i = 1; i < laneX.length; i++) {
      expect(Math.min(...(laneX[i] as number[]))).toBeGreaterThan(Math.max(...(laneX[i - 1] as number[])));
    }
    const box = new Map(layout.nodes.map((b) => [b.node.id, b]));
    for (const p of layout.edges) {
      const pts = p.points;
      for (let i = 1; i < pts.length; i++) {
        const a = pts[i - 1];
        const b = pts[i];
        expect(a?.x === b?.x || a?.y === b?.y).toBe(true);
      }
      const from = box.get(p.edge.source);
      const to = box.get(p.edge.target);
      const first = pts[0];
      const last = pts[pts.length - 1];
      expect(first?.x).toBe((from?.x ?? 0) + (from?.width ?? 0));
      expect(last?.x).toBe(to?.x);
      const row = from?.rows.find((r) => r.port.id === p.edge.sourcePort);
      if (row) expect(first?.y).toBe(row.y + 9);
    }
  });

  it('draws broken edges red, dashed and marked, with arrowheads, in a valid standalone document', async () => {
    const svg = await formatSvg(shopTopology());
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toMatch(/<g class="pc-edge pc-error">.*stroke|<g class="pc-edge pc-error">/);
    expect(svg).toContain('.pc-edge.pc-error path{stroke:#c62828;stroke-width:2.2;stroke-dasharray:7 4}');
    expect(svg).toMatch(
      /<g class="pc-edge pc-error"><title>:9100 -&gt; 9100\/TCP\n✖ error \[test-rule\] broken<\/title><path d="M[^"]+" marker-end="url\(#pc-arrow-error\)"\/>/,
    );
    expect(svg).toContain('>✖ :9100 -&gt; 9100/TCP</text>');
    expect(svg).toContain('>⚠ :80</text>');
    expect(svg).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('escapes every user-supplied string', async () => {
    const svg = await formatSvg(shopTopology(`${XSS}"'&`));
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;/ (Prefix)');
    expect(escapeXml('a\u0000b<')).toBe('a\uFFFDb&lt;');
  });

  it('says so when there is nothing to draw', async () => {
    const svg = await formatSvg({ version: 1, lanes: [], groups: [], nodes: [], edges: [], findings: [] });
    expect(svg).toContain('Nothing to draw');
  });
});
