/**
 * Compiler-style text: `file:line:column: severity [rule] message`, the source line with a caret under the
 * field, and the fix. Colour only when asked (the CLI decides: TTY, NO_COLOR, --no-color).
 */
import pc from 'picocolors';
import type { CheckSummary } from '../check.js';
import type { Finding, Severity } from '../model/finding.js';

export interface TextOptions {
  readonly color: boolean;
  /** Source text per file name, to quote the offending line. */
  readonly sources: ReadonlyMap<string, string>;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Quotes source lines. Findings come sorted by file and line, so each file is walked forward from the last
 * line asked for: one pass over a 130 MB dump for all its findings, where counting from the top for each
 * finding made the report quadratic.
 */
class LineReader {
  private line = 1;
  private start = 0;
  constructor(private readonly text: string) {}

  get(line: number): string | undefined {
    if (line < this.line) {
      this.line = 1;
      this.start = 0;
    }
    while (this.line < line) {
      const next = this.text.indexOf('\n', this.start);
      if (next === -1) return undefined;
      this.start = next + 1;
      this.line++;
    }
    const end = this.text.indexOf('\n', this.start);
    return this.text.slice(this.start, end === -1 ? undefined : end).replace(/\r$/, '');
  }
}

export function formatText(
  findings: readonly Finding[],
  summary: CheckSummary,
  options: TextOptions,
): string {
  const c = pc.createColors(options.color);
  const sev: Record<Severity, (s: string) => string> = {
    error: (s) => c.bold(c.red(s)),
    warning: (s) => c.bold(c.yellow(s)),
    info: (s) => c.bold(c.cyan(s)),
  };
  const out: string[] = [];
  const readers = new Map<string, LineReader | undefined>();
  const lineOf = (file: string, line: number): string | undefined => {
    if (!readers.has(file)) {
      const text = options.sources.get(file);
      readers.set(file, text === undefined ? undefined : new LineReader(text));
    }
    return readers.get(file)?.get(line);
  };
  for (const f of findings) {
    const loc = f.location;
    const where = loc ? `${loc.file}:${loc.line}:${loc.column}` : '<input>';
    out.push(`${c.bold(where)}: ${sev[f.severity](f.severity)} ${c.dim(`[${f.rule}]`)} ${f.message}`);
    const src = loc ? lineOf(loc.file, loc.line) : undefined;
    if (loc && src !== undefined) {
      const gutter = String(loc.line).padStart(5);
      const shown = src.length > 200 ? `${src.slice(0, 200)}…` : src;
      out.push(`${c.dim(`${gutter} |`)} ${shown}`);
      out.push(
        `${c.dim(`${' '.repeat(5)} |`)} ${' '.repeat(Math.max(0, loc.column - 1))}${sev[f.severity]('^')}`,
      );
    }
    if (f.fix) out.push(`${c.dim('  fix:')} ${f.fix}`);
    out.push('');
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
  out.push(`${mark} ${counts}: ${scope}${skippedText}`);
  return `${out.join('\n')}\n`;
}
