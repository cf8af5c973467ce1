// @vitest-environment jsdom
/**
 * Mermaid output checked with Mermaid's own flowchart parser and database (the code GitHub runs to render a
 * ```mermaid block). @mermaid-js/parser has no flowchart grammar, so this uses `mermaid.parse` and
 * `getDiagramFromText`; they sanitise labels with DOMPurify, which needs a DOM: the jsdom environment.
 */
import { readFileSync } from 'node:fs';
import mermaid from 'mermaid';
import { describe, expect, it } from 'vitest';
import { escapeMermaid, formatMermaid } from '../src/report/mermaid.js';
import { simplifyTopology } from '../src/topology/simplify.js';
import { shopTopology, XSS } from './topology-fixtures.js';

interface FlowDb {
  getVertices(): Map<string, { id: string; text?: string; classes: string[] }>;
  getEdges(): { start: string; end: string; text: string; stroke?: string; style?: string[] }[];
  getSubGraphs(): { id: string; title: string; nodes: string[] }[];
}

/**
 * A label as a reader sees it: Mermaid keeps entity codes as placeholders (`ﬂ°gt¶ß`, `ﬂ°°35¶ß`) and turns them into
 * HTML entities when it renders, which the browser shows as the character.
 */
function shown(label: string): string {
  const named: Record<string, string> = { lt: '<', gt: '>', quot: '"', amp: '&' };
  return label
    .replace(/ﬂ°°(\d+)¶ß/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/ﬂ°(\w+)¶ß/g, (m, name: string) => named[name] ?? m);
}

async function flowDb(text: string): Promise<FlowDb> {
  await mermaid.parse(text);
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  expect(diagram.type).toBe('flowchart-v2');
  return diagram.db as unknown as FlowDb;
}

describe('formatMermaid', () => {
  it('is a flowchart Mermaid accepts: subgraphs per namespace and lane, port labels on the edges', async () => {
    const text = formatMermaid(shopTopology());
    expect(text.startsWith('flowchart LR\n')).toBe(true);
    const db = await flowDb(text);
    expect(db.getSubGraphs().map((s) => s.title)).toEqual(
      expect.arrayContaining(['namespace shop', 'Ingress', 'Service', 'Pods', 'Containers']),
    );
    expect([...db.getVertices().keys()]).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);
    const edges = db.getEdges().map((e) => [e.start, e.end, shown(e.text)]);
    expect(edges).toEqual([
      ['n0', 'n2', 'http(80)/TCP'],
      ['n0', 'n1', '⚠ :80'],
      ['n2', 'n3', ':80 -> http(8080)/TCP ×2'],
      ['n3', 'n4', '8080/TCP ×2'],
      ['n2', 'n3', '✖ :9100 -> 9100/TCP ×2'],
      ['n3', 'n5', '9100/TCP ×2'],
    ]);
  });

  it('styles broken edges with linkStyle, dotted and marked, so colour is not the only signal', async () => {
    const text = formatMermaid(shopTopology());
    expect(text).toContain('linkStyle 1 stroke:#a15c00');
    expect(text).toContain('linkStyle 4 stroke:#c62828');
    const db = await flowDb(text);
    const e = db.getEdges();
    expect(e[4]?.stroke).toBe('dotted');
    expect(e[4]?.style?.join(',')).toContain('stroke:#c62828');
    expect(e[0]?.stroke).toBe('normal');
    expect(e[0]?.style ?? []).toEqual([]);
  });

  it('escapes every user string: ids are generated, labels use Mermaid entity codes', async () => {
    const odd = `${XSS} #x; "q" |p| \`t\` & end --> n0 %% c`;
    const text = formatMermaid(shopTopology(odd));
    expect(text).not.toContain('<script');
    expect(text).not.toContain('"q"');
    const db = await flowDb(text);
    expect(db.getVertices().size).toBe(6);
    expect(db.getEdges()).toHaveLength(6);
    const ingress = db.getVertices().get('n0')?.text ?? '';
    // Mermaid holds no markup from the input, and shows the host exactly as written.
    expect(ingress).not.toContain('<script');
    expect(shown(ingress).split(/<br\/?>/)[2]).toBe(`${odd}/ (Prefix)`.slice(0, 59) + '…');
    expect(escapeMermaid('a"b<c>#d|e`f&g\nh')).toBe('a#quot;b#lt;c#gt;#35;d#124;e#96;f#amp;g h');
  });

  it('parses once simplified, and on an empty input', async () => {
    await flowDb(formatMermaid(simplifyTopology(shopTopology(), { mode: 'namespaces' })));
    await flowDb(formatMermaid({ version: 1, lanes: [], groups: [], nodes: [], edges: [], findings: [] }));
  });

  it('the diagram in docs/graph.md is Mermaid', async () => {
    const doc = readFileSync('docs/graph.md', 'utf8');
    const block = /```mermaid\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const db = await flowDb(block);
    expect(db.getSubGraphs().map((s) => s.title)).toContain('namespace port-from-configmap');
  });

  it('rejects what is not Mermaid (the parser really checks)', async () => {
    await expect(mermaid.parse('flowchart LR\n  a -->|x| b(')).rejects.toThrow();
  });
});
