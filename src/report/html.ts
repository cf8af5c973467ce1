/**
 * `portchain check --format html`: one self-contained page, the topology diagram (inline SVG) above the
 * findings. A finding links to the element it is drawn at (the browser scrolls there and `:target` highlights
 * it); an element with findings links back to its first finding. No script at all, no external request (the
 * Content-Security-Policy says so too); every user-supplied string is escaped.
 */
import { getHeapStatistics } from 'node:v8';
import type { CheckResult } from '../check.js';
import { QuotedSources, type SourceLines } from '../model/source-lines.js';
import { layoutTopology } from '../topology/layout.js';
import {
  type FindingTarget,
  indexTopology,
  severityMark,
  type Topology,
  type TopologyFinding,
  type TopologyIndex,
} from '../topology/model.js';
import { buildSimplifiedTopology, type GroupMode } from '../topology/simplify.js';
import { excerpt } from './excerpt.js';
import { domIds, escapeXml, renderSvg } from './svg.js';

export interface HtmlOptions {
  /** Grouping of large inputs (default `auto`). */
  readonly group?: GroupMode;
  readonly title?: string;
}

const PREFIX = 'pc-';
const findingAnchor = (f: Pick<TopologyFinding, 'id'>) => `${PREFIX}${f.id}`;

const CSS = `
:root{color-scheme:light}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#202124;background:#fff}
header,section{padding:12px 24px}
h1{font-size:20px;margin:8px 0}h2{font-size:16px;margin:16px 0 8px}
.summary{font-weight:600}.summary .error{color:#c62828}.summary .warning{color:#a15c00}
.diagram{overflow:auto;border:1px solid #e0e0e0;border-radius:6px;max-height:80vh;background:#fff}
.diagram svg{display:block}
ol.findings{padding-left:0;list-style:none}
.finding{border-left:4px solid #9e9e9e;padding:6px 10px;margin:8px 0;background:#fafafa;scroll-margin-top:24px}
.finding.error{border-color:#c62828}.finding.warning{border-color:#a15c00}.finding.info{border-color:#1565c0}
.finding:target{outline:3px solid #202124;background:#fff8e1}
.sev{font-weight:700;text-transform:uppercase;font-size:12px}
.error .sev{color:#c62828}.warning .sev{color:#a15c00}.info .sev{color:#1565c0}
.rule{font-family:ui-monospace,Menlo,Consolas,monospace;color:#5f6368}
.loc{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#5f6368}
pre{margin:4px 0;padding:4px 8px;background:#f1f3f4;overflow:auto;font-size:12px}
.fix{color:#1b5e20}.where a{margin-right:8px}.nodraw{color:#5f6368;font-style:italic}
a{color:#0b57d0}
`;

/** Per file name, its text or its lines (sourceLines: a streamed dump is not decoded whole). */
type Quoted = ReadonlyMap<string, string | SourceLines>;

/** How a drawn element is named in a finding's link: `Service books › http 8080/TCP -> 3005`. */
function describeTarget(t: Topology, ix: TopologyIndex, target: FindingTarget): string {
  if (target.kind === 'node') return ix.node.get(target.id)?.label ?? target.id;
  if (target.kind === 'port') {
    const n = ix.portNode.get(target.id);
    const p = n?.ports.find((x) => x.id === target.id);
    return n && p ? `${n.label} › ${p.label}` : target.id;
  }
  if (target.kind === 'group') return t.groups.find((g) => g.id === target.id)?.label ?? target.id;
  const e = ix.edge.get(target.id);
  if (!e) return target.id;
  const from = ix.node.get(e.source)?.label ?? e.source;
  const to = ix.node.get(e.target)?.label ?? e.target;
  return `${from} → ${to} (${e.label})`;
}

/** The namespace a drawn element sits in; names repeat across namespaces. */
function namespaceOf(ix: TopologyIndex, target: FindingTarget | undefined): string | undefined {
  if (!target || target.kind === 'group') return undefined;
  const node =
    target.kind === 'node'
      ? ix.node.get(target.id)
      : target.kind === 'port'
        ? ix.portNode.get(target.id)
        : ix.node.get(ix.edge.get(target.id)?.source ?? '');
  return node?.namespace || undefined;
}

function findingItem(
  t: Topology,
  ix: TopologyIndex,
  ids: ReadonlyMap<string, string>,
  f: TopologyFinding,
  quoted: QuotedSources,
): string {
  const loc = f.location;
  const where = loc ? `${loc.file}:${loc.line}:${loc.column}` : '<input>';
  const parts = [
    `<span class="sev">${severityMark(f.severity)} ${escapeXml(f.severity)}</span> <span class="rule">[${escapeXml(f.rule)}]</span> ${escapeXml(f.message)}`,
    `<div class="loc">${escapeXml(where)}${f.field ? ` · ${escapeXml(f.field)}` : ''}</div>`,
  ];
  const src = loc ? quoted.around(loc.file, loc.line, loc.column) : undefined;
  if (loc && src !== undefined) {
    const x = excerpt(src, loc.line, loc.column);
    parts.push(`<pre>${x.number} | ${escapeXml(x.text)}\n${x.blank} | ${x.pad}^</pre>`);
  }
  if (f.fix) parts.push(`<div class="fix">fix: ${escapeXml(f.fix)}</div>`);
  const links = f.targets
    .map((target) => {
      const dom = ids.get(target.id);
      return dom ? `<a href="#${escapeXml(dom)}">${escapeXml(describeTarget(t, ix, target))}</a>` : '';
    })
    .filter(Boolean);
  const ns = namespaceOf(ix, f.targets[0]);
  const inNs = ns ? ` (namespace ${escapeXml(ns)})` : '';
  parts.push(
    links.length > 0
      ? `<div class="where">in the diagram${inNs}: ${links.join(' ')}</div>`
      : '<div class="nodraw">not in the diagram (nothing drawn stands for its object)</div>',
  );
  return `<li id="${escapeXml(findingAnchor(f))}" class="finding ${escapeXml(f.severity)}">${parts.join('\n')}</li>`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The report page. Async because the diagram is laid out by elkjs. */
export async function formatHtml(
  result: CheckResult,
  sources: Quoted,
  options: HtmlOptions = {},
): Promise<string> {
  const t = buildSimplifiedTopology(result.graph, result.findings, {
    mode: options.group ?? 'auto',
    heapLimit: getHeapStatistics().heap_size_limit,
  });
  const ix = indexTopology(t);
  const ids = domIds(t, PREFIX);
  const svg = renderSvg(t, await layoutTopology(t), { ids, findingHref: (f) => `#${findingAnchor(f)}` });
  const s = result.summary;
  const title = options.title ?? 'portchain report';
  const counts = `<span class="error">${plural(s.errors, 'error')}</span>, <span class="warning">${plural(s.warnings, 'warning')}</span>, ${s.infos} info`;
  const mark = s.errors > 0 ? '✖' : s.warnings > 0 ? '⚠' : '✔';
  const quoted = new QuotedSources(sources);
  const findings =
    t.findings.length === 0
      ? '<p>No finding: every link of the port chain holds.</p>'
      : `<ol class="findings">\n${t.findings.map((f) => findingItem(t, ix, ids, f, quoted)).join('\n')}\n</ol>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="portchain">
<title>${escapeXml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeXml(title)}</h1>
<p class="summary">${mark} ${counts}: ${plural(s.objects, 'object')} checked in ${plural(s.files, 'file')}</p>
</header>
<section id="${PREFIX}diagram">
<h2>Topology</h2>
<p>Ingress → Service → Pods → Containers, each link labelled with its ports. Broken links are dashed and marked ✖ (error) or ⚠ (warning); click one to see its finding.</p>
<div class="diagram">
${svg}</div>
</section>
<section id="${PREFIX}findings">
<h2>Findings</h2>
${findings}
</section>
</body>
</html>
`;
}
