/**
 * The topology as a Mermaid flowchart (renders in GitHub markdown inside a ```mermaid fence): `flowchart LR`, a
 * subgraph per namespace with one per lane inside, port labels on the edges, broken edges dotted, red (error)
 * or amber (warning) through `linkStyle` AND marked ✖ / ⚠ in their label. Node ids are generated (`n3`), never
 * taken from names; every label is escaped with Mermaid's entity codes.
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

const COLORS = { error: '#c62828', warning: '#a15c00' } as const;

/**
 * Text for a quoted Mermaid label (`["…"]`, `|"…"|`). Mermaid decodes `#name;` and `#123;` entity codes, so `#`
 * goes first; quotes, angle brackets (labels are HTML), ampersands, pipes and backticks follow; control
 * characters and line breaks become spaces.
 */
export function escapeMermaid(s: string): string {
  return (
    s
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
      .replace(/[\u0000-\u001F\u007F\u2028\u2029]/g, ' ')
      .replace(/#/g, '#35;')
      .replace(/&/g, '#amp;')
      .replace(/"/g, '#quot;')
      .replace(/</g, '#lt;')
      .replace(/>/g, '#gt;')
      .replace(/\|/g, '#124;')
      .replace(/`/g, '#96;')
  );
}

const MAX = 60;
const cut = (s: string) => {
  const chars = [...s];
  return chars.length <= MAX ? s : `${chars.slice(0, MAX - 1).join('')}…`;
};

function nodeLabel(ix: TopologyIndex, n: TopologyNode): string {
  const mark = severityMark(ix.severityOf(n.findings));
  const lines = [`${mark ? `${mark} ` : ''}${n.label}`, ...n.detail];
  for (const p of n.ports) {
    const m = severityMark(ix.severityOf(p.findings));
    lines.push(`${m ? `${m} ` : ''}${p.label}`);
  }
  return lines.map((l) => escapeMermaid(cut(l))).join('<br/>');
}

/** The Mermaid source of a topology. */
export function formatMermaid(t: Topology): string {
  const ix = indexTopology(t);
  const id = new Map(t.nodes.map((n, i) => [n.id, `n${i}`]));
  const out: string[] = ['flowchart LR'];
  const classes: Record<string, string[]> = { error: [], warning: [], missing: [] };
  t.groups.forEach((g, gi) => {
    out.push(`  subgraph g${gi}["${escapeMermaid(g.label)}"]`, '    direction LR');
    const members = g.nodes.map((nid) => ix.node.get(nid)).filter((n): n is TopologyNode => !!n);
    for (const lane of LANES) {
      const inLane = members.filter((n) => n.lane === lane);
      if (inLane.length === 0) continue;
      const title = t.lanes.find((l) => l.id === lane)?.title ?? lane;
      out.push(`    subgraph g${gi}_${lane}["${escapeMermaid(title)}"]`);
      for (const n of inLane) {
        out.push(`      ${id.get(n.id)}["${nodeLabel(ix, n)}"]`);
        const sev = ix.nodeSeverity(n);
        if (sev === 'error' || sev === 'warning') classes[sev]?.push(id.get(n.id) as string);
        if (n.kind === 'missing') classes.missing?.push(id.get(n.id) as string);
      }
      out.push('    end');
    }
    out.push('  end');
  });

  // One Mermaid edge per node pair and label: links from several pods of a workload are counted, not repeated.
  const edges = new Map<
    string,
    { from: string; to: string; label: string; count: number; findings: string[] }
  >();
  for (const e of t.edges) {
    const from = id.get(e.source);
    const to = id.get(e.target);
    if (!from || !to) continue;
    const key = `${from}>${to}>${e.label}`;
    const prev = edges.get(key);
    if (prev) {
      prev.count += e.count ?? 1;
      prev.findings.push(...e.findings);
    } else edges.set(key, { from, to, label: e.label, count: e.count ?? 1, findings: [...e.findings] });
  }
  const styles: string[] = [];
  [...edges.values()].forEach((e, i) => {
    const sev = ix.severityOf(e.findings);
    const mark = severityMark(sev);
    const text = `${mark ? `${mark} ` : ''}${e.label}${e.count > 1 ? ` ×${e.count}` : ''}`;
    const arrow = isBroken(sev) ? '-.->' : '-->';
    out.push(`  ${e.from} ${arrow}|"${escapeMermaid(cut(text))}"| ${e.to}`);
    if (sev === 'error' || sev === 'warning') {
      styles.push(`  linkStyle ${i} stroke:${COLORS[sev]},stroke-width:2px,color:${COLORS[sev]}`);
    }
  });
  out.push(...styles);
  out.push(
    `  classDef error stroke:${COLORS.error},stroke-width:3px,stroke-dasharray:6 3`,
    `  classDef warning stroke:${COLORS.warning},stroke-width:2px,stroke-dasharray:6 3`,
    '  classDef missing stroke-dasharray:4 3,fill:#ffffff',
  );
  for (const [cls, ids] of Object.entries(classes)) {
    if (ids.length > 0) out.push(`  class ${ids.join(',')} ${cls}`);
  }
  return `${out.join('\n')}\n`;
}
