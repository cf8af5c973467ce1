/**
 * Words the page shows and says (aria-label, tooltips): every finding with its severity spelt out and marked
 * (✖ ⚠ ℹ), so colour is never the only signal.
 */
import type { Severity } from '../../src/model/finding.js';
import {
  severityMark,
  type TopologyEdge,
  type TopologyFinding,
  type TopologyIndex,
  type TopologyNode,
} from '../../src/topology/model.js';
import type { LiveCounter } from '../../src/ui/api.js';

export const KIND_NAMES: Readonly<Record<TopologyNode['kind'], string>> = {
  ingress: 'Ingress',
  service: 'Service',
  workload: 'Pods',
  container: 'Container',
  missing: 'Missing',
  external: 'External',
  summary: 'Folded group',
};

/** Cuts a long text with `…` as the layout measured it (the full text stays in the tooltip). */
export function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function findingsOf(ix: TopologyIndex, ids: readonly string[]): TopologyFinding[] {
  const out: TopologyFinding[] = [];
  const seen = new Set<string>();
  for (const id of ids) {
    const f = ix.finding.get(id);
    if (f && !seen.has(f.id)) {
      seen.add(f.id);
      out.push(f);
    }
  }
  return out;
}

/** Findings on a node, its rows, and the edges that touch it. */
export function nodeFindings(ix: TopologyIndex, n: TopologyNode): TopologyFinding[] {
  return findingsOf(ix, [
    ...n.findings,
    ...n.ports.flatMap((p) => p.findings),
    ...ix.incoming(n.id).flatMap((e) => e.findings),
    ...ix.outgoing(n.id).flatMap((e) => e.findings),
  ]);
}

export function severityWord(s: Severity): string {
  return `${severityMark(s)} ${s}`;
}

export function locationText(f: Pick<TopologyFinding, 'location'>): string | null {
  const l = f.location;
  return l ? `${l.file}:${l.line}:${l.column}` : null;
}

function findingsPhrase(list: readonly TopologyFinding[]): string {
  if (list.length === 0) return 'no finding';
  const first = list[0] as TopologyFinding;
  return `${plural(list.length, 'finding')}, first ${first.severity}: ${first.message}`;
}

export function nodeAriaLabel(ix: TopologyIndex, n: TopologyNode): string {
  const rows = n.ports.slice(0, 6).map((p) => p.label);
  const more = n.ports.length > 6 ? `, and ${n.ports.length - 6} more` : '';
  const own = findingsOf(ix, [...n.findings, ...n.ports.flatMap((p) => p.findings)]);
  const ns = n.namespace ? ` in namespace ${n.namespace}` : '';
  return `${KIND_NAMES[n.kind]}: ${n.label}${ns}${rows.length > 0 ? `; ${rows.join('; ')}${more}` : ''}; ${findingsPhrase(own)}`;
}

export function edgeAriaLabel(ix: TopologyIndex, e: TopologyEdge, notReady: boolean): string {
  const from = ix.node.get(e.source)?.label ?? e.source;
  const to = ix.node.get(e.target)?.label ?? e.target;
  const list = findingsOf(ix, e.findings);
  const broken = list.find((f) => f.severity === 'error' || f.severity === 'warning');
  const state = broken
    ? `broken (${broken.severity}): ${broken.message}`
    : notReady
      ? 'endpoint not ready'
      : 'ok';
  return `link ${from} to ${to}, ${e.label}: ${state}`;
}

/** The tooltip of an element: its text and each finding, one per line. */
export function tooltip(head: string, list: readonly TopologyFinding[]): string {
  return [
    head,
    ...list.map((f) => `${severityMark(f.severity)} ${f.severity} [${f.rule}] ${f.message}`),
  ].join('\n');
}

export function liveText(c: LiveCounter | undefined): string {
  if (!c) return '';
  const parts: string[] = [];
  if (c.requestsPerSecond !== undefined) parts.push(`${c.requestsPerSecond} req/s`);
  if (c.connectionsPerSecond !== undefined) parts.push(`${c.connectionsPerSecond} conn/s`);
  if (c.active) parts.push(`${c.active} open`);
  if (c.failedPerSecond) parts.push(`${c.failedPerSecond} failed/s`);
  return parts.join(' · ');
}
