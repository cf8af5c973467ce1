/**
 * Draws the laid-out topology as SVG text, without a browser: boxes, rows, orthogonal edges with their port
 * labels. Broken links are red (error) or amber (warning) AND dashed AND marked ✖ / ⚠, so colour is never the
 * only signal. Every user-supplied string goes through escapeXml.
 */
import type { Severity } from '../model/finding.js';
import {
  type EdgePath,
  layoutTopology,
  METRICS,
  type NodeBox,
  type TopologyLayout,
  truncate,
} from '../topology/layout.js';
import {
  indexTopology,
  isBroken,
  severityMark,
  type Topology,
  type TopologyFinding,
  type TopologyIndex,
} from '../topology/model.js';

/** XML 1.0 forbids most control characters even escaped; they become U+FFFD. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters being removed
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Escapes text for XML/HTML element content and double- or single-quoted attributes. */
export function escapeXml(s: string): string {
  return s
    .replace(XML_INVALID, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Safe DOM ids for the drawn elements (model ids carry user strings): `n3` a node, `n3p1` its second row, `e7`
 * an edge, `g0` a namespace; `f2` stays a finding's own id. `prefix` keeps them apart from a host page's ids.
 */
export function domIds(t: Topology, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  t.nodes.forEach((n, i) => {
    out.set(n.id, `${prefix}n${i}`);
    n.ports.forEach((p, j) => {
      out.set(p.id, `${prefix}n${i}p${j}`);
    });
  });
  t.edges.forEach((e, i) => {
    out.set(e.id, `${prefix}e${i}`);
  });
  t.groups.forEach((g, i) => {
    out.set(g.id, `${prefix}g${i}`);
  });
  return out;
}

export interface SvgOptions {
  /** DOM ids per element id (domIds); without them elements get none. */
  readonly ids?: ReadonlyMap<string, string>;
  /** Where an element with findings links to (its first finding in an HTML report). */
  readonly findingHref?: (finding: TopologyFinding) => string;
}

const COLORS: Record<Severity | 'ok', string> = {
  error: '#c62828',
  warning: '#a15c00',
  info: '#1565c0',
  ok: '#5f6368',
};

const STYLE = `
.pc-ns rect{fill:#fafafa;stroke:#bdbdbd}
.pc-ns-title{font-weight:bold;font-size:13px}
.pc-lane{fill:#757575;font-size:11px;text-transform:uppercase;letter-spacing:.05em}
.pc-node rect.pc-box{stroke:#9e9e9e;stroke-width:1}
.pc-k-ingress rect.pc-box{fill:#e8f0fe}.pc-k-service rect.pc-box{fill:#e6f4ea}
.pc-k-workload rect.pc-box{fill:#fef7e0}.pc-k-container rect.pc-box{fill:#f3e8fd}
.pc-k-external rect.pc-box{fill:#f1f3f4}.pc-k-summary rect.pc-box{fill:#eeeeee}
.pc-k-missing rect.pc-box{fill:#fff;stroke-dasharray:4 3}
.pc-title{font-weight:bold}.pc-detail{fill:#5f6368}
.pc-row-line{stroke:#e0e0e0}
.pc-node.pc-error rect.pc-box{stroke:${COLORS.error};stroke-width:2.5;stroke-dasharray:6 3}
.pc-node.pc-warning rect.pc-box{stroke:${COLORS.warning};stroke-width:2;stroke-dasharray:6 3}
.pc-mark-error{fill:${COLORS.error};font-weight:bold}.pc-mark-warning{fill:${COLORS.warning};font-weight:bold}
.pc-mark-info{fill:${COLORS.info}}
.pc-edge path{fill:none;stroke:${COLORS.ok};stroke-width:1.3}
.pc-edge.pc-error path{stroke:${COLORS.error};stroke-width:2.2;stroke-dasharray:7 4}
.pc-edge.pc-warning path{stroke:${COLORS.warning};stroke-width:2;stroke-dasharray:7 4}
.pc-elabel rect{fill:#fff;fill-opacity:.9}
.pc-elabel text{font-size:${METRICS.labelFontSize}px;fill:#37474f}
.pc-edge.pc-error .pc-elabel text{fill:${COLORS.error};font-weight:bold}
.pc-edge.pc-warning .pc-elabel text{fill:${COLORS.warning};font-weight:bold}
.pc-legend{font-size:11px}
.pc-hl{fill:none}
.pc-node:target rect.pc-box{stroke:#202124;stroke-width:4;stroke-dasharray:none}
.pc-row:target rect.pc-hl{fill:#fff59d;fill-opacity:.7}
.pc-edge:target path{stroke-width:5}
.pc-ns:target rect.pc-hl{stroke:#202124;stroke-width:3}
`;

const FONT =
  'ui-monospace,SFMono-Regular,Menlo,Consolas,&quot;DejaVu Sans Mono&quot;,&quot;Liberation Mono&quot;,monospace';

const r1 = (n: number) => Math.round(n * 10) / 10;

function sevClass(s: Severity | undefined): string {
  return s ? ` pc-${s}` : '';
}

function tooltip(ix: TopologyIndex, lines: readonly string[], findings: readonly string[]): string {
  const messages = findings
    .map((id) => ix.finding.get(id))
    .filter((f): f is TopologyFinding => !!f)
    .map((f) => `${severityMark(f.severity)} ${f.severity} [${f.rule}] ${f.message}`);
  return `<title>${escapeXml([...lines, ...messages].join('\n'))}</title>`;
}

interface Ctx {
  readonly ix: TopologyIndex;
  readonly options: SvgOptions;
}

/** `<a href>` around an element's content when it has findings and the page has a list to link to. */
function linked(ctx: Ctx, findings: readonly string[], inner: string): string {
  const first = findings.map((id) => ctx.ix.finding.get(id)).find((f) => !!f);
  if (!first || !ctx.options.findingHref) return inner;
  return `<a href="${escapeXml(ctx.options.findingHref(first))}">${inner}</a>`;
}

const idAttr = (ctx: Ctx, id: string) => {
  const dom = ctx.options.ids?.get(id);
  return dom ? ` id="${escapeXml(dom)}"` : '';
};

function markText(x: number, y: number, s: Severity | undefined): string {
  if (!s) return '';
  return `<text class="pc-mark-${s}" x="${r1(x)}" y="${r1(y)}" text-anchor="end">${severityMark(s)}</text>`;
}

function drawNode(ctx: Ctx, b: NodeBox): string {
  const { ix } = ctx;
  const n = b.node;
  const sev = ix.nodeSeverity(n);
  const own = ix.severityOf(n.findings);
  const x = b.x + METRICS.padX;
  const baseline = (top: number, h: number) => top + h / 2 + METRICS.fontSize * 0.35;
  const parts: string[] = [];
  parts.push(
    `<rect class="pc-box" x="${r1(b.x)}" y="${r1(b.y)}" width="${r1(b.width)}" height="${r1(b.height)}" rx="4"/>`,
  );
  let ty = b.y + METRICS.padY;
  const title = `<text class="pc-title" x="${r1(x)}" y="${r1(baseline(ty, METRICS.lineHeight))}">${escapeXml(truncate(n.label))}</text>`;
  parts.push(title, markText(b.x + b.width - 4, baseline(ty, METRICS.lineHeight), own));
  for (const d of n.detail) {
    ty += METRICS.lineHeight;
    parts.push(
      `<text class="pc-detail" x="${r1(x)}" y="${r1(baseline(ty, METRICS.lineHeight))}">${escapeXml(truncate(d))}</text>`,
    );
  }
  const head = `${tooltip(ix, [n.label, ...n.detail], n.findings)}${parts.join('')}`;
  const rows = b.rows.map((row) => {
    const p = row.port;
    const rs = ix.severityOf(p.findings);
    const line = `<line class="pc-row-line" x1="${r1(b.x)}" x2="${r1(b.x + b.width)}" y1="${r1(row.y)}" y2="${r1(row.y)}"/>`;
    const text = `<text x="${r1(x)}" y="${r1(baseline(row.y, METRICS.rowHeight))}">${escapeXml(truncate(p.label))}</text>`;
    const hl = `<rect class="pc-hl" x="${r1(b.x)}" y="${r1(row.y)}" width="${r1(b.width)}" height="${METRICS.rowHeight}" fill="none" stroke="none"/>`;
    const body = `${tooltip(ix, [p.label, ...(p.detail ? [p.detail] : [])], p.findings)}${hl}${line}${text}${markText(b.x + b.width - 4, baseline(row.y, METRICS.rowHeight), rs)}`;
    return `<g class="pc-row${sevClass(rs)}"${idAttr(ctx, p.id)}>${linked(ctx, p.findings, body)}</g>`;
  });
  return `<g class="pc-node pc-k-${n.kind}${sevClass(isBroken(sev) ? sev : undefined)}"${idAttr(ctx, n.id)}>${linked(ctx, n.findings, head)}${rows.join('')}</g>`;
}

function pathData(points: EdgePath['points']): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${r1(p.x)} ${r1(p.y)}`).join(' ');
}

/** The middle of a polyline, by length (where a ✖ goes on an edge without a label). */
function midpoint(points: EdgePath['points']): { x: number; y: number } {
  const seg = points.slice(1).map((p, i) => {
    const a = points[i] as { x: number; y: number };
    return { a, b: p, len: Math.abs(p.x - a.x) + Math.abs(p.y - a.y) };
  });
  let half = seg.reduce((s, x) => s + x.len, 0) / 2;
  for (const s of seg) {
    if (half <= s.len && s.len > 0) {
      const k = half / s.len;
      return { x: s.a.x + (s.b.x - s.a.x) * k, y: s.a.y + (s.b.y - s.a.y) * k };
    }
    half -= s.len;
  }
  return points[0] ?? { x: 0, y: 0 };
}

function drawEdge(ctx: Ctx, p: EdgePath): string {
  const e = p.edge;
  const sev = ctx.ix.severityOf(e.findings);
  const broken = isBroken(sev);
  const mark = severityMark(sev);
  const marker = `url(#pc-arrow-${broken ? sev : 'ok'})`;
  const parts = [
    tooltip(ctx.ix, [e.label], e.findings),
    `<path d="${pathData(p.points)}" marker-end="${marker}"/>`,
  ];
  if (p.label) {
    const text = truncate(mark ? `${mark} ${p.label.text}` : p.label.text, 42);
    const w = [...text].length * METRICS.labelCharWidth + 6;
    parts.push(
      `<g class="pc-elabel"><rect x="${r1(p.label.x)}" y="${r1(p.label.y)}" width="${r1(w)}" height="${METRICS.labelHeight}" rx="2"/>` +
        `<text x="${r1(p.label.x + 3)}" y="${r1(p.label.y + METRICS.labelHeight - 3.5)}">${escapeXml(text)}</text></g>`,
    );
  } else if (mark) {
    const m = midpoint(p.points);
    parts.push(
      `<text class="pc-mark-${sev}" x="${r1(m.x)}" y="${r1(m.y - 3)}" text-anchor="middle">${mark}</text>`,
    );
  }
  return `<g class="pc-edge${sevClass(sev)}"${idAttr(ctx, e.id)}>${linked(ctx, e.findings, parts.join(''))}</g>`;
}

function arrow(id: string, color: string): string {
  // userSpaceOnUse: the arrowhead keeps its size when a highlighted edge gets thicker.
  return `<marker id="pc-arrow-${id}" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="${color}"/></marker>`;
}

const LEGEND_HEIGHT = 44;

function legend(t: Topology, y: number): string {
  const items: [string, string, string][] = [
    ['pc-ok', 'none', 'link (port numbers or names / protocol)'],
    ['pc-error', '7 4', '✖ broken (error)'],
    ['pc-warning', '7 4', '⚠ risky (warning)'],
  ];
  let x = 0;
  const out = items.map(([cls, dash, text]) => {
    const sev = cls.slice(3) as Severity | 'ok';
    const g = `<line x1="${x}" x2="${x + 34}" y1="${y + 10}" y2="${y + 10}" stroke="${COLORS[sev]}" stroke-width="2" stroke-dasharray="${dash}"/><text x="${x + 40}" y="${y + 14}">${escapeXml(text)}</text>`;
    x += 48 + text.length * 6.6;
    return g;
  });
  const s = t.simplified;
  if (s) {
    const parts = [
      s.workloads > 0 ? `pods of ${s.workloads} workload(s) drawn as one node (×N)` : '',
      s.namespaces.length > 0 ? `${s.namespaces.length} sound namespace(s) folded` : '',
      s.chains > 0 ? `${s.chains} sound chain(s) folded` : '',
    ].filter(Boolean);
    if (parts.length > 0)
      out.push(
        `<text x="0" y="${y + 34}" fill="#5f6368">${escapeXml(`Grouped: ${parts.join('; ')}.`)}</text>`,
      );
  }
  return `<g class="pc-legend">${out.join('')}</g>`;
}

/** The SVG document of a laid-out topology. */
export function renderSvg(t: Topology, layout: TopologyLayout, options: SvgOptions = {}): string {
  const ctx: Ctx = { ix: indexTopology(t), options };
  const margin = 8;
  const width = Math.max(layout.width, 560) + margin * 2;
  const bodyHeight = layout.nodes.length === 0 ? 24 : layout.height;
  const height = bodyHeight + LEGEND_HEIGHT + margin * 2;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${r1(width)}" height="${r1(height)}" viewBox="0 0 ${r1(width)} ${r1(height)}" font-family="${FONT}" font-size="${METRICS.fontSize}" role="img" aria-label="portchain topology">`,
  );
  out.push(`<title>portchain topology</title><style>${STYLE}</style>`);
  out.push(
    `<defs>${arrow('ok', COLORS.ok)}${arrow('error', COLORS.error)}${arrow('warning', COLORS.warning)}</defs>`,
  );
  out.push(`<g transform="translate(${margin} ${margin})">`);
  if (layout.nodes.length === 0)
    out.push('<text x="0" y="16">Nothing to draw: no Ingress, Service or Pod.</text>');
  for (const ns of layout.namespaces) {
    const sev = ctx.ix.severityOf(ns.group.findings);
    const lanes = ns.lanes
      .map((l) => `<text class="pc-lane" x="${r1(l.x)}" y="${r1(ns.y + 40)}">${escapeXml(l.title)}</text>`)
      .join('');
    const title = `${tooltip(ctx.ix, [ns.group.label], ns.group.findings)}<rect class="pc-hl" x="${r1(ns.x)}" y="${r1(ns.y)}" width="${r1(ns.width)}" height="${r1(ns.height)}" rx="6"/><text class="pc-ns-title" x="${r1(ns.x + METRICS.namespacePad)}" y="${r1(ns.y + 20)}">${escapeXml(ns.group.label)}${sev ? ` ${severityMark(sev)}` : ''}</text>`;
    out.push(
      `<g class="pc-ns"${idAttr(ctx, ns.group.id)}>${linked(ctx, ns.group.findings, title)}${lanes}</g>`,
    );
  }
  for (const b of layout.nodes) out.push(drawNode(ctx, b));
  for (const p of layout.edges) out.push(drawEdge(ctx, p));
  out.push(legend(t, bodyHeight + 12));
  out.push('</g></svg>');
  return `${out.join('\n')}\n`;
}

/** Lays the topology out with elkjs and draws it. */
export async function formatSvg(t: Topology, options: SvgOptions = {}): Promise<string> {
  return renderSvg(t, await layoutTopology(t), options);
}
