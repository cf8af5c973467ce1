/**
 * The topology as Graphviz DOT: `rankdir=LR`, a cluster per namespace with a cluster per lane inside, port
 * labels on the edges, broken edges red (error) or amber (warning) AND dashed AND marked ✖ / ⚠. Node ids are
 * generated (`n3`); every string is a quoted DOT string with `\` and `"` escaped, so no user text becomes an
 * escape sequence (`\N`, `\l`) or an HTML label.
 */
import {
  indexTopology,
  isBroken,
  LANES,
  severityMark,
  type Topology,
  type TopologyIndex,
  type TopologyNode,
} from '../topology/model.js';

const COLORS = { error: '#c62828', warning: '#a15c00', info: '#1565c0' } as const;

const FILL: Record<TopologyNode['kind'], string> = {
  ingress: '#e8f0fe',
  service: '#e6f4ea',
  workload: '#fef7e0',
  container: '#f3e8fd',
  missing: '#ffffff',
  external: '#f1f3f4',
  summary: '#eeeeee',
};

/** A DOT double-quoted string's content: backslashes and quotes escaped, line breaks and controls as spaces. */
export function escapeDot(s: string): string {
  return (
    s
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
      .replace(/[\u0000-\u001F\u007F\u2028\u2029]/g, ' ')
      .replace(/\\/g, '\\\\')
      .replace(/"/g, '\\"')
  );
}

const q = (s: string) => `"${escapeDot(s)}"`;

/** Left-justified lines (`\l` after each, added here, never taken from user text). */
function lines(list: readonly string[]): string {
  return `"${list.map((l) => `${escapeDot(l)}\\l`).join('')}"`;
}

function nodeStatement(ix: TopologyIndex, n: TopologyNode, id: string): string {
  const mark = severityMark(ix.severityOf(n.findings));
  const text = [`${mark ? `${mark} ` : ''}${n.label}`, ...n.detail];
  for (const p of n.ports) {
    const m = severityMark(ix.severityOf(p.findings));
    text.push(`${m ? `${m} ` : ''}${p.label}`);
  }
  const attrs = [`label=${lines(text)}`, `fillcolor=${q(FILL[n.kind])}`];
  const sev = ix.nodeSeverity(n);
  const styles = ['rounded', 'filled'];
  if (n.kind === 'missing' || isBroken(sev)) styles.push('dashed');
  attrs.push(`style=${q(styles.join(','))}`);
  if (sev === 'error' || sev === 'warning') attrs.push(`color=${q(COLORS[sev])}`, 'penwidth=2');
  const tips = [...n.findings, ...n.ports.flatMap((p) => p.findings)]
    .map((f) => ix.finding.get(f))
    .filter((f) => !!f)
    .map((f) => `${f.severity} [${f.rule}] ${f.message}`);
  if (tips.length > 0) attrs.push(`tooltip=${q(tips.join(' | '))}`);
  return `${id} [${attrs.join(', ')}];`;
}

/** The DOT source of a topology. */
export function formatDot(t: Topology): string {
  const ix = indexTopology(t);
  const id = new Map(t.nodes.map((n, i) => [n.id, `n${i}`]));
  const out: string[] = [
    'digraph portchain {',
    '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, newrank=true, nodesep=0.3, ranksep=0.8];',
    '  node [shape=box, fontname="Helvetica", fontsize=10, margin="0.12,0.06"];',
    '  edge [fontname="Helvetica", fontsize=9, color="#5f6368"];',
  ];
  t.groups.forEach((g, gi) => {
    out.push(
      `  subgraph cluster_g${gi} {`,
      `    label=${q(g.label)}; labeljust=l; style=rounded; color="#bdbdbd";`,
    );
    const members = g.nodes.map((nid) => ix.node.get(nid)).filter((n): n is TopologyNode => !!n);
    for (const lane of LANES) {
      const inLane = members.filter((n) => n.lane === lane);
      if (inLane.length === 0) continue;
      const title = t.lanes.find((l) => l.id === lane)?.title ?? lane;
      out.push(
        `    subgraph cluster_g${gi}_${lane} {`,
        `      label=${q(title)}; style=dashed; color="#e0e0e0";`,
      );
      for (const n of inLane) out.push(`      ${nodeStatement(ix, n, id.get(n.id) as string)}`);
      out.push('    }');
    }
    out.push('  }');
  });
  for (const e of t.edges) {
    const from = id.get(e.source);
    const to = id.get(e.target);
    if (!from || !to) continue;
    const sev = ix.severityOf(e.findings);
    const mark = severityMark(sev);
    const label = `${mark ? `${mark} ` : ''}${e.label}${e.count && e.count > 1 ? ` ×${e.count}` : ''}`;
    const attrs = [`label=${q(label)}`];
    if (sev === 'error' || sev === 'warning') {
      attrs.push(`color=${q(COLORS[sev])}`, `fontcolor=${q(COLORS[sev])}`, 'style=dashed', 'penwidth=2');
    }
    const tips = e.findings
      .map((f) => ix.finding.get(f))
      .filter((f) => !!f)
      .map((f) => `${f.severity} [${f.rule}] ${f.message}`);
    if (tips.length > 0) attrs.push(`tooltip=${q(tips.join(' | '))}`);
    out.push(`  ${from} -> ${to} [${attrs.join(', ')}];`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
