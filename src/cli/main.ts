/**
 * The thin command layer: parse arguments, load the config file, read sources, call the pipeline, print,
 * choose the exit code.
 * Exit codes: 0 nothing at or above --fail-on; 1 something is; 2 usage or config error, a renderer (helm,
 * kubectl) missing or failing, nothing could be read, or a drawing too big for the heap (topology/size.ts).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { type CheckSummary, check } from '../check.js';
import { ConfigError, type FailOn, formatConfigProblem } from '../config/config.js';
import { type Settings, SettingsError } from '../config/options.js';
import { headText } from '../model/byte-source.js';
import { type Finding, severityRank } from '../model/finding.js';
import type { SourceText } from '../model/load.js';
import { sourceLines } from '../model/source-lines.js';
import { formatEndpointSlicesJson, formatEndpointSlicesText } from '../report/endpoints.js';
import { jsonReport } from '../report/json.js';
import { junitReport } from '../report/junit.js';
import { formatSarif } from '../report/sarif.js';
import { textReport } from '../report/text.js';
import { allRuleMetas } from '../rules/registry.js';
import { ToolError } from '../sources/exec.js';
import { helmSourceLines } from '../sources/helm.js';
import { TopologyTooLarge } from '../topology/size.js';
import { graphCommand } from './graph.js';
import { STDERR_COLUMNS } from './heap.js';
import { addInputOptions, collect, type InputFlags, readInputs, settingsFor, useColor } from './inputs.js';
import { stopForClosedOutput } from './long-running.js';
import { portForwardCommand } from './port-forward.js';
import { type ProgressStream, progressFor } from './progress.js';
import { traceCommand } from './trace.js';
import { uiCommand } from './ui.js';
import { upCommand } from './up.js';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

export interface Io {
  /** Returns false when the text is queued (a pipe read slower than it is written): `drained` says when it went. */
  readonly stdout: (s: string) => unknown;
  /** Resolves true once the queued output went, false if its reader went away first (nothing more will go). */
  readonly drained?: () => Promise<boolean>;
  readonly stderr: (s: string) => void;
  readonly stdin: NodeJS.ReadableStream;
  readonly isTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** Where the config file search starts and what SARIF paths are relative to; process.cwd() when absent. */
  readonly cwd?: string;
  /** Where a long run draws its progress line (stderr); only a terminal gets one. None: no progress. */
  readonly progress?: ProgressStream;
}

/** Writing the output failed other than by its reader going away: the run ends with EXIT_USAGE. */
let outputFailed = false;

const processIo = (): Io => {
  // A reader that stops early (`| head`) closes the pipe: the rest of the output has nowhere to go, and
  // that is no failure. Any other write error ends the run with a message, not a stack trace. Nothing is
  // written after it (the stream is destroyed): a command writing in pieces stops writing, and a
  // long-running one (up, ui, port-forward) stops as on Ctrl-C, removing its processes and kernel rules,
  // whether it was serving or still starting.
  let gone = false;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (gone) return;
    gone = true;
    if (e.code !== 'EPIPE') {
      process.stderr.write(`portchain: cannot write the output: ${e.message}\n`);
      // Said both ways: main() may have returned its code already (a file's write fails a tick later).
      outputFailed = true;
      process.exitCode = EXIT_USAGE;
    }
    // No real 'drain' will come: this one wakes a writePieces that waits, and `drained` gives it false.
    process.stdout.emit('drain');
    stopForClosedOutput();
  });
  return {
    stdout: (s) => !gone && process.stdout.write(s),
    drained: () =>
      gone
        ? Promise.resolve(false)
        : new Promise((resolve) => process.stdout.once('drain', () => resolve(!gone))),
    stderr: (s) => process.stderr.write(s),
    progress: progressStream(),
    stdin: process.stdin,
    isTTY: !!process.stdout.isTTY,
    env: process.env,
  };
};

/**
 * stderr; in the launcher's child (heap.ts), whose stderr is a pipe to the launcher, the terminal the
 * launcher's stderr is, at its width.
 */
function progressStream(): ProgressStream {
  const columns = process.env[STDERR_COLUMNS];
  if (columns === undefined) return process.stderr;
  return { isTTY: true, columns: Number(columns) || 0, write: (s) => process.stderr.write(s) };
}

/**
 * Writes output piece by piece, waiting whenever the reader is behind, so that it is never all queued at once;
 * stops when the reader went away.
 */
export async function writePieces(io: Io, pieces: Iterable<string>): Promise<void> {
  for (const piece of pieces) if (io.stdout(piece) === false && (await io.drained?.()) === false) return;
}

class UsageError extends Error {}

interface PackageJson {
  readonly version: string;
  readonly homepage?: string;
  readonly repository?: string | { readonly url?: string };
}

/** package.json; src/cli and dist/cli both sit two levels below it. */
const PACKAGE = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as PackageJson;
const VERSION = PACKAGE.version;

/** Where SARIF viewers link the tool to: the homepage, else the repository, else the npm page. */
function informationUri(): string {
  if (PACKAGE.homepage) return PACKAGE.homepage;
  const repo = typeof PACKAGE.repository === 'string' ? PACKAGE.repository : PACKAGE.repository?.url;
  const https = repo?.replace(/^git\+/, '').replace(/\.git$/, '');
  return https?.startsWith('https://') ? https : 'https://www.npmjs.com/package/portchain';
}

function exceeds(findings: readonly Finding[], failOn: FailOn): boolean {
  if (failOn === 'never') return false;
  return findings.some((f) => severityRank[f.severity] >= severityRank[failOn]);
}

interface CommonOptions extends InputFlags {
  format: string;
  color?: boolean;
}

interface CheckFlags extends CommonOptions {
  failOn?: FailOn;
  rule?: string[];
  disable?: string[];
}

function checkSettings(o: CheckFlags, cwd: string): Settings {
  return settingsFor(o, cwd, {
    ...(o.failOn ? { failOn: o.failOn } : {}),
    ...(o.rule ? { rules: o.rule } : {}),
    ...(o.disable ? { disable: o.disable } : {}),
  });
}

/** Per finding, the Helm template its line was rendered from (`# Source:` comments), when known. */
function helmTemplates(sources: readonly SourceText[]): (f: Finding) => string | undefined {
  const byFile = new Map<string, (line: number) => string | undefined>();
  for (const s of sources) {
    // A big dump streamed as a List is kubectl's output, not Helm's: its text is not decoded to look.
    if (s.bytes && !headText(s.bytes).includes('# Source: ')) continue;
    const lines = helmSourceLines(s.text);
    if (lines) byFile.set(s.name, lines);
  }
  return (f) => (f.location ? byFile.get(f.location.file)?.(f.location.line) : undefined);
}

function render(
  format: string,
  findings: Finding[],
  summary: CheckSummary,
  ctx: {
    io: Io;
    o: CommonOptions;
    cwd: string;
    sources: readonly SourceText[];
    objects: Parameters<typeof junitReport>[2];
  },
): string | Iterable<string> {
  // JSON, text and JUnit come in pieces: a report of many findings can be more than one string holds.
  if (format === 'json') return jsonReport(findings, summary);
  const template = helmTemplates(ctx.sources);
  if (format === 'sarif') {
    return formatSarif(findings, {
      version: VERSION,
      informationUri: informationUri(),
      rules: allRuleMetas,
      cwd: ctx.cwd,
      properties: (f) => {
        const t = template(f);
        return t ? { renderedFrom: t } : undefined;
      },
    });
  }
  // Text and JUnit are read by people: say which chart template a line of rendered output came from.
  const shown = findings.map((f) => {
    const t = template(f);
    return t ? { ...f, message: `${f.message} (rendered from ${t})` } : f;
  });
  if (format === 'junit') return junitReport(shown, summary, ctx.objects);
  return textReport(shown, summary, {
    color: useColor(ctx.io, ctx.o.color),
    sources: new Map(ctx.sources.map((s) => [s.name, sourceLines(s)])),
  });
}

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const cwd = io.cwd ?? process.cwd();
  const program = new Command('portchain')
    .description('Follow every Kubernetes port link and report the broken ones at file:line.')
    .version(VERSION)
    .showHelpAfterError()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  const common = (cmd: Command) =>
    addInputOptions(
      cmd.argument('[paths...]', 'files, folders (searched for .yaml, .yml, .json) or - for stdin', []),
      'check',
    ).option('--no-color', 'never colour the output (NO_COLOR is honoured too)');

  common(
    program
      .command('check')
      .description('report every broken or risky link of the port chain')
      .addOption(
        new Option('-f, --format <format>', 'output format')
          .choices(['text', 'json', 'sarif', 'junit', 'html'])
          .default('text'),
      )
      .addOption(
        new Option(
          '--fail-on <severity>',
          'exit 1 when a finding reaches this severity (default: error, or failOn in the config file)',
        ).choices(['error', 'warning', 'info', 'never']),
      )
      .addOption(
        new Option('--rule <id>', 'run only this rule (repeatable, or comma-separated)').argParser(collect),
      )
      .addOption(
        new Option('--disable <id>', 'do not run this rule (repeatable, or comma-separated)').argParser(
          collect,
        ),
      ),
  )
    .addHelpText(
      'after',
      '\nRendered charts and kustomizations:\n  helm template ./chart | portchain check -\n  portchain check --helm ./chart --values prod.yaml\n  portchain check -k ./overlays/prod',
    )
    .action(async (paths: string[], o: CheckFlags) => {
      const settings = checkSettings(o, cwd);
      const progress = progressFor(io);
      const read = await readInputs(paths, o, io, settings, { onRead: progress.onRead });
      const result = check(read.sources, { ...settings.check, onProgress: progress.onCheck }, read);
      const { findings, summary } = result;
      const objects = result.graph.manifests.map((m) => ({ file: m.source.file, ref: m.ref }));
      // The line says "writing the report" until it is written: the HTML page draws the whole topology.
      let report: string | Iterable<string>;
      if (o.format === 'html') {
        // Loaded when asked for, as every command's heavier parts: start-up is paid by each run in CI.
        const { formatHtml } = await import('../report/html.js');
        report = await formatHtml(result, new Map(read.sources.map((s) => [s.name, sourceLines(s)])));
      } else report = render(o.format, findings, summary, { io, o, cwd, sources: read.sources, objects });
      progress.done();
      if (typeof report === 'string') io.stdout(report);
      else await writePieces(io, report);
      if (read.sources.length === 0) {
        io.stderr('portchain: nothing could be read\n');
        setExit(EXIT_USAGE);
        return;
      }
      setExit(exceeds(findings, settings.failOn) ? EXIT_FINDINGS : EXIT_OK);
    });

  common(
    program
      .command('endpoints')
      .description('print the EndpointSlices Kubernetes would compute for each Service')
      .addOption(
        new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'),
      ),
  ).action(async (paths: string[], o: CommonOptions) => {
    const settings = settingsFor(o, cwd);
    const progress = progressFor(io);
    const read = await readInputs(paths, o, io, settings, { onRead: progress.onRead });
    progress.done(); // the line is drawn again for the check, after what reading reports
    for (const f of read.findings) io.stderr(`portchain: ${f.message}\n`);
    if (read.sources.length === 0) {
      io.stderr('portchain: nothing could be read\n');
      setExit(EXIT_USAGE);
      return;
    }
    const result = check(read.sources, {
      ...settings.check,
      only: new Set<string>(),
      onProgress: progress.onCheck,
    });
    progress.done();
    for (const f of result.findings) {
      const at = f.location ? `${f.location.file}:${f.location.line}:${f.location.column}: ` : '';
      io.stderr(`${at}${f.severity} [${f.rule}] ${f.message}\n`);
    }
    const slices = result.graph.services.flatMap((s) => s.slices);
    if (o.format === 'json') await writePieces(io, formatEndpointSlicesJson(slices));
    else io.stdout(formatEndpointSlicesText(slices));
    setExit(EXIT_OK);
  });

  program
    .command('rules')
    .description('list every rule: id, default severity, what it reports')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((o: { format: string }) => {
      if (o.format === 'json') {
        io.stdout(`${JSON.stringify(allRuleMetas, null, 2)}\n`);
      } else {
        const width = Math.max(...allRuleMetas.map((m) => m.id.length));
        const lines = allRuleMetas.map(
          (m) => `${m.id.padEnd(width)}  ${m.severity.padEnd(7)}  ${m.description}`,
        );
        io.stdout(
          `${['RULE'.padEnd(width), 'DEFAULT'.padEnd(7), 'DESCRIPTION'].join('  ')}\n${lines.join('\n')}\n`,
        );
      }
      setExit(EXIT_OK);
    });

  program.addCommand(traceCommand(io, setExit));
  program.addCommand(graphCommand(io, setExit));
  program.addCommand(upCommand(io, setExit));
  program.addCommand(portForwardCommand(io, setExit));
  program.addCommand(uiCommand(io, setExit));
  return program;
}

/** Runs the CLI; resolves to the exit code. Never throws. */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return outputFailed ? EXIT_USAGE : code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; everything else commander rejects is a usage error.
      return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (e instanceof ConfigError) {
      for (const p of e.problems) io.stderr(`portchain: ${formatConfigProblem(p)}\n`);
      return EXIT_USAGE;
    }
    if (
      e instanceof UsageError ||
      e instanceof SettingsError ||
      e instanceof ToolError ||
      e instanceof TopologyTooLarge
    ) {
      for (const line of e.message.split('\n')) io.stderr(`portchain: ${line}\n`);
      return EXIT_USAGE;
    }
    io.stderr(
      `portchain: internal error: ${(e as Error).message}\nPlease report this, with the input that caused it.\n`,
    );
    return EXIT_USAGE;
  }
}
