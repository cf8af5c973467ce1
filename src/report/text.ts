/**
 * Compiler-style text: `file:line:column: severity [rule] message`, the source line with a caret under the
 * field, and the fix. Colour only when asked (the CLI decides: TTY, NO_COLOR, --no-color).
 */

import pc from 'picocolors';
import type { CheckSummary } from '../check.js';
import type { Finding, Severity } from '../model/finding.js';
import { QuotedSources, type SourceLines } from '../model/source-lines.js';
import { excerpt } from './excerpt.js';
import { gathered } from './pieces.js';

export interface TextOptions {
  readonly color: boolean;
  /** Per file name, its text or its lines (sourceLines), to quote the offending line. */
  readonly sources: ReadonlyMap<string, string | SourceLines>;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatText(
  findings: readonly Finding[],
  summary: CheckSummary,
  options: TextOptions,
): string {
  return [...textReport(findings, summary, options)].join('');
}

/** formatText's text as pieces of about a MiB that join to it (pieces.ts). */
export function textReport(
  findings: readonly Finding[],
  summary: CheckSummary,
  options: TextOptions,
): Generator<string> {
  return gathered(textBlocks(findings, summary, options));
}

/** Each finding's lines, then the summary line; every line ends in a newline. */
function* textBlocks(
  findings: readonly Finding[],
  summary: CheckSummary,
  options: TextOptions,
): Generator<string> {
  const c = pc.createColors(options.color);
  const sev: Record<Severity, (s: string) => string> = {
    error: (s) => c.bold(c.red(s)),
    warning: (s) => c.bold(c.yellow(s)),
    info: (s) => c.bold(c.cyan(s)),
  };
  const quoted = new QuotedSources(options.sources);
  for (const f of findings) {
    const out: string[] = [];
    const loc = f.location;
    const where = loc ? `${loc.file}:${loc.line}:${loc.column}` : '<input>';
    out.push(`${c.bold(where)}: ${sev[f.severity](f.severity)} ${c.dim(`[${f.rule}]`)} ${f.message}`);
    const src = loc ? quoted.around(loc.file, loc.line, loc.column) : undefined;
    if (loc && src !== undefined) {
      const x = excerpt(src, loc.line, loc.column);
      out.push(`${c.dim(`${x.number} |`)} ${x.text}`);
      out.push(`${c.dim(`${x.blank} |`)} ${x.pad}${sev[f.severity]('^')}`);
    }
    if (f.fix) out.push(`${c.dim('  fix:')} ${f.fix}`);
    out.push('');
    yield `${out.join('\n')}\n`;
  }
  const counts = [
    plural(summary.errors, 'error'),
    plural(summary.warnings, 'warning'),
    `${summary.infos} info`,
  ].join(', ');
  const scope = `${plural(summary.objects, 'object')} checked in ${plural(summary.files, 'file')}`;
  const skipped = Object.values(summary.skippedKinds).reduce((a, b) => a + b, 0);
  const skippedText =
    skipped > 0 ? ` (${skipped} other ${skipped === 1 ? 'object' : 'objects'} skipped)` : '';
  const mark = summary.errors > 0 ? c.red('✖') : summary.warnings > 0 ? c.yellow('!') : c.green('✔');
  yield `${mark} ${counts}: ${scope}${skippedText}\n`;
}
