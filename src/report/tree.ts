/**
 * The topology as a terminal tree, one namespace at a time, following the chain:
 * Ingress -> route -> Service -> port -> workload -> pod -> container, each link with its ports, broken ones
 * marked ✖ (error) / ⚠ (warning) with their findings underneath. A node reached twice is shown once and then
 * referred to as `(see above)`.
 */
import pc from 'picocolors';
import type { Severity } from '../model/finding.js';
import {
  indexTopology,
  severityMark,
  type Topology,
  type TopologyEdge,
  type TopologyIndex,
  type TopologyNode,
  type TopologyPort,
} from '../topology/model.js';

export interface TreeOptions {
  readonly color: boolean;
}

interface Item {
  readonly text: string;
  /** Finding lines under the item. */
  readonly notes: readonly string[];
  readonly children: readonly Item[];
}

type Colors = ReturnType<typeof pc.createColors>;

class TreeBuilder {
  private readonly visited = new Set<string>();
  private readonly containers = new Map<string, TopologyNode[]>();

  constructor(
    t: Topology,
    private readonly ix: TopologyIndex,
    private readonly c: Colors,
  ) {
    for (const n of t.nodes) {
      if (!n.workload) continue;
      const list = this.containers.get(n.workload);
      if (list) list.push(n);
      else this.containers.set(n.workload, [n]);
    }
  }

  private paint(s: Severity | undefined, text: string): string {
    if (s === 'error') return this.c.red(text);
    if (s === 'warning') return this.c.yellow(text);
    if (s === 'info') return this.c.cyan(text);
    return text;
  }

  private marked(findings: readonly string[], text: string): string {
    const s = this.ix.severityOf(findings);
    return s ? this.paint(s, `${severityMark(s)} ${text}`) : text;
  }

  notes(findings: readonly string[]): string[] {
    return findings
      .map((id) => this.ix.finding.get(id))
      .filter((f) => !!f)
      .map((f) =>
        this.paint(f.severity, `${severityMark(f.severity)} ${f.severity} [${f.rule}] ${f.message}`),
      );
  }

  private nodeText(n: TopologyNode): string {
    const detail = n.detail.length > 0 ? `  ${this.c.dim(n.detail.join(' · '))}` : '';
    return `${this.marked(n.findings, this.c.bold(n.label))}${detail}`;
  }

  node(n: TopologyNode, via?: TopologyPort): Item {
    if (this.visited.has(n.id)) {
      const at = via ? `see above: ${via.label}` : 'see above';
      return { text: `${n.label} ${this.c.dim(`(${at})`)}`, notes: [], children: [] };
    }
    this.visited.add(n.id);
    const out = this.ix.outgoing(n.id);
    const children: Item[] = n.ports.map((p) => this.port(p, out));
    for (const e of out) if (!e.sourcePort) children.push(this.edge(e));
    if (n.kind === 'workload') {
      for (const c of this.containers.get(n.id) ?? [])
        if (!this.visited.has(c.id)) children.push(this.node(c));
    }
    return { text: this.nodeText(n), notes: this.notes(n.findings), children };
  }

  private port(p: TopologyPort, out: readonly TopologyEdge[]): Item {
    const detail = p.kind === 'listening' && p.detail ? `  ${this.c.dim(p.detail)}` : '';
    return {
      text: `${this.marked(p.findings, p.label)}${detail}`,
      notes: this.notes(p.findings),
      children: out.filter((e) => e.sourcePort === p.id).map((e) => this.edge(e)),
    };
  }

  private edge(e: TopologyEdge): Item {
    const target = this.ix.node.get(e.target);
    const label = e.count && e.count > 1 ? `${e.label} ×${e.count}` : e.label;
    const arrow = `${this.marked(e.findings, label)} → `;
    const notes = this.notes(e.findings);
    if (!target) return { text: `${arrow}${e.target}`, notes, children: [] };
    const inner = this.node(
      target,
      target.ports.find((p) => p.id === e.targetPort),
    );
    return { text: `${arrow}${inner.text}`, notes: [...notes, ...inner.notes], children: inner.children };
  }

  seen(id: string): boolean {
    return this.visited.has(id);
  }
}

function render(item: Item, prefix: string, last: boolean, out: string[], root: boolean): void {
  const branch = root ? '' : last ? '└─ ' : '├─ ';
  out.push(`${prefix}${branch}${item.text}`);
  const childPrefix = root ? prefix : `${prefix}${last ? '   ' : '│  '}`;
  const noteBar = item.children.length > 0 ? '│  ' : '   ';
  for (const n of item.notes) out.push(`${childPrefix}${noteBar}${n}`);
  item.children.forEach((c, i) => {
    render(c, childPrefix, i === item.children.length - 1, out, false);
  });
}

/** The tree text of a topology. */
export function formatTree(t: Topology, options: TreeOptions): string {
  const c = pc.createColors(options.color);
  const ix = indexTopology(t);
  const b = new TreeBuilder(t, ix, c);
  const out: string[] = [];
  for (const g of t.groups) {
    const nodes = g.nodes.map((id) => ix.node.get(id)).filter((n): n is TopologyNode => !!n);
    // Entry points first (nothing links to them; containers are shown under their workload), then the rest.
    const roots = nodes.filter((n) => ix.incoming(n.id).length === 0 && !n.workload);
    const items: Item[] = [];
    for (const n of [...roots, ...nodes]) if (!b.seen(n.id)) items.push(b.node(n));
    out.push(c.bold(g.label));
    for (const note of b.notes(g.findings)) out.push(`│  ${note}`);
    items.forEach((item, i) => {
      render(item, '', i === items.length - 1, out, false);
    });
    out.push('');
  }
  if (t.nodes.length === 0) out.push('Nothing to draw: no Ingress, Service or Pod.', '');
  const unplaced = t.findings.filter((f) => f.targets.length === 0);
  if (unplaced.length > 0) {
    out.push(c.bold('Not drawn (no Ingress, Service, Pod or container stands for their object):'));
    for (const f of unplaced) {
      const where = f.location ? `${f.location.file}:${f.location.line}:${f.location.column}: ` : '';
      out.push(`  ${c.dim(where)}${b.notes([f.id])[0] ?? ''}`);
    }
    out.push('');
  }
  const s = t.simplified;
  if (s && (s.workloads > 0 || s.namespaces.length > 0 || s.chains > 0)) {
    const parts = [
      s.workloads > 0 ? `pods of ${s.workloads} workload(s) shown as one row` : '',
      s.namespaces.length > 0 ? `sound namespaces folded: ${s.namespaces.join(', ')}` : '',
      s.chains > 0 ? `${s.chains} sound chain(s) folded` : '',
    ].filter(Boolean);
    out.push(c.dim(`Grouped (--group none shows everything): ${parts.join('; ')}.`));
  }
  return `${out.join('\n').trimEnd()}\n`;
}
