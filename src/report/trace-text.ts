/**
 * A trace as text: the chain top to bottom, one hop per line, marked ✔ (ok), ✖ (broken) or ? (unknown) so the
 * marks do not rely on colour; where each link is written, why it matched, the findings of the rules on that
 * link with their fix; then the verdict. Colour only when asked (the CLI decides: TTY, NO_COLOR, --no-color).
 */
import pc from 'picocolors';
import type { Finding, Severity } from '../model/finding.js';
import type { HopStatus, TraceHop, TraceResult, Verdict } from '../trace/model.js';

export interface TraceTextOptions {
  readonly color: boolean;
  /** Endpoints shown per backend before the rest are counted (all broken ones are always shown). */
  readonly maxEndpoints?: number;
}

const MARK: Record<HopStatus, string> = { ok: '✔', broken: '✖', unknown: '?' };

const VERDICT_TEXT: Record<Verdict, string> = {
  delivered: 'delivered',
  refused: 'refused',
  dropped: 'dropped',
  '404': '404 Not Found',
  '503': '503 Service Unavailable',
  'not-routed': 'not routed',
  unknown: 'unknown',
};

const where = (h: { location: TraceHop['location']; field: string | null }) =>
  h.location
    ? `${h.location.file}:${h.location.line}:${h.location.column}${h.field ? ` ${h.field}` : ''}`
    : null;

/** Hides ok endpoints past the limit in each backend; a line says how many. */
function visible(hops: readonly TraceHop[], max: number): (TraceHop | { more: number; depth: number })[] {
  const out: (TraceHop | { more: number; depth: number })[] = [];
  let shown = 0;
  let hidden = 0;
  const flush = (depth: number) => {
    if (hidden > 0) out.push({ more: hidden, depth });
    hidden = 0;
  };
  for (const h of hops) {
    if (h.kind !== 'endpoint') {
      flush(2);
      shown = 0;
      out.push(h);
      continue;
    }
    if (h.status === 'ok' && shown >= max) {
      hidden++;
      continue;
    }
    if (h.status === 'ok') shown++;
    out.push(h);
  }
  flush(2);
  return out;
}

export function formatTraceText(result: TraceResult, options: TraceTextOptions): string {
  const c = pc.createColors(options.color);
  const mark: Record<HopStatus, string> = {
    ok: c.green(MARK.ok),
    broken: c.red(MARK.broken),
    unknown: c.yellow(MARK.unknown),
  };
  const sev: Record<Severity, (s: string) => string> = {
    error: (s) => c.bold(c.red(s)),
    warning: (s) => c.bold(c.yellow(s)),
    info: (s) => c.bold(c.cyan(s)),
  };
  const r = result.request;
  const out: string[] = [
    c.bold(`trace ${r.target}`) +
      c.dim(` (${r.protocol}, from ${r.from}${r.ingressClass ? `, ingress class ${r.ingressClass}` : ''})`),
    '',
  ];
  for (const h of visible(result.hops, options.maxEndpoints ?? 5)) {
    const pad = '  '.repeat(h.depth);
    if ('more' in h) {
      out.push(
        `${pad}  ${c.dim(`… ${h.more} more ready endpoint${h.more === 1 ? '' : 's'} (--format json lists them all)`)}`,
      );
      continue;
    }
    const summary = h.status === 'broken' ? c.bold(h.summary) : h.summary;
    out.push(`${pad}${mark[h.status]} ${summary}`);
    const inner = `${pad}    `;
    const at = where(h);
    if (at) out.push(`${inner}${c.dim(`at ${at}`)}`);
    for (const d of h.details) out.push(`${inner}${c.dim(`· ${d}`)}`);
    for (const f of h.findings) out.push(...findingLines(f, inner, sev, c.dim));
  }
  out.push('');
  const b = result.brokenAt;
  const verdict = VERDICT_TEXT[result.verdict];
  if (result.verdict === 'delivered') out.push(`${mark.ok} ${c.bold(c.green(verdict))}`);
  else {
    const m = result.verdict === 'unknown' ? mark.unknown : mark.broken;
    const colour = result.verdict === 'unknown' ? c.yellow : c.red;
    out.push(`${m} ${c.bold(colour(verdict))}${b ? `: ${b.reason}` : ''}`);
    if (b) {
      const at = where(b);
      if (at) out.push(`  ${c.dim(`at ${at}`)}`);
      if (b.fix) out.push(`  ${c.dim('fix:')} ${b.fix}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function findingLines(
  f: Finding,
  indent: string,
  sev: Record<Severity, (s: string) => string>,
  dim: (s: string) => string,
): string[] {
  const at = f.location ? `${f.location.file}:${f.location.line}:${f.location.column}: ` : '';
  const lines = [`${indent}${dim(at)}${sev[f.severity](f.severity)} ${dim(`[${f.rule}]`)} ${f.message}`];
  if (f.fix) lines.push(`${indent}  ${dim('fix:')} ${f.fix}`);
  return lines;
}
