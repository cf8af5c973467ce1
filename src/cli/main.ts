/**
 * The thin command layer: parse arguments, read sources, call the pipeline, print, choose the exit code.
 * Exit codes: 0 nothing at or above --fail-on; 1 something is; 2 usage error or nothing could be read.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { check } from '../check.js';
import { type Finding, type Severity, severityRank } from '../model/finding.js';
import { formatEndpointSlicesText } from '../report/endpoints.js';
import { formatJson } from '../report/json.js';
import { formatText } from '../report/text.js';
import { parseNodePortRange } from '../semantics/node-ports.js';
import { readSources } from '../sources/files.js';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

export interface Io {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly stdin: NodeJS.ReadableStream;
  readonly isTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
}

const processIo = (): Io => ({
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  stdin: process.stdin,
  isTTY: !!process.stdout.isTTY,
  env: process.env,
});

class UsageError extends Error {}

/** The package version; src/cli and dist/cli both sit two levels below package.json. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

type FailOn = Severity | 'never';

function exceeds(findings: readonly Finding[], failOn: FailOn): boolean {
  if (failOn === 'never') return false;
  return findings.some((f) => severityRank[f.severity] >= severityRank[failOn]);
}

function useColor(io: Io, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return io.isTTY;
}

async function readOrFail(paths: string[], io: Io) {
  const read = await readSources(paths.length > 0 ? paths : ['.'], io.stdin);
  return read;
}

interface CommonOptions {
  format: string;
  namespace?: string;
  color?: boolean;
  nodePortRange?: string;
}

function graphOptions(o: CommonOptions) {
  try {
    return {
      ...(o.namespace ? { defaultNamespace: o.namespace } : {}),
      ...(o.nodePortRange ? { nodePortRange: parseNodePortRange(o.nodePortRange) } : {}),
    };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('portchain')
    .description('Follow every Kubernetes port link and report the broken ones at file:line.')
    .version(VERSION)
    .showHelpAfterError()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  const common = (cmd: Command) =>
    cmd
      .argument('[paths...]', 'files, folders (searched for .yaml, .yml, .json) or - for stdin', [])
      .addOption(
        new Option('-n, --namespace <ns>', 'namespace for objects that name none').default(undefined),
      )
      .addOption(
        new Option('--node-port-range <range>', "the API server's --service-node-port-range").default(
          undefined,
        ),
      )
      .option('--no-color', 'never colour the output (NO_COLOR is honoured too)');

  common(
    program
      .command('check')
      .description('report every broken or risky link of the port chain')
      .addOption(
        new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'),
      )
      .addOption(
        new Option('--fail-on <severity>', 'exit 1 when a finding reaches this severity')
          .choices(['error', 'warning', 'info', 'never'])
          .default('error'),
      ),
  ).action(async (paths: string[], o: CommonOptions & { failOn: FailOn }) => {
    const read = await readOrFail(paths, io);
    const result = check(read.sources, graphOptions(o), read);
    if (o.format === 'json') io.stdout(formatJson(result.findings, result.summary));
    else {
      io.stdout(
        formatText(result.findings, result.summary, {
          color: useColor(io, o.color),
          sources: new Map(read.sources.map((s) => [s.name, s.text])),
        }),
      );
    }
    if (read.sources.length === 0) {
      io.stderr('portchain: nothing could be read\n');
      setExit(EXIT_USAGE);
      return;
    }
    setExit(exceeds(result.findings, o.failOn) ? EXIT_FINDINGS : EXIT_OK);
  });

  common(
    program
      .command('endpoints')
      .description('print the EndpointSlices Kubernetes would compute for each Service')
      .addOption(
        new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'),
      ),
  ).action(async (paths: string[], o: CommonOptions) => {
    const read = await readOrFail(paths, io);
    for (const f of read.findings) io.stderr(`portchain: ${f.message}\n`);
    if (read.sources.length === 0) {
      io.stderr('portchain: nothing could be read\n');
      setExit(EXIT_USAGE);
      return;
    }
    const result = check(read.sources, { ...graphOptions(o), only: new Set<string>() });
    for (const f of result.findings) {
      const at = f.location ? `${f.location.file}:${f.location.line}:${f.location.column}: ` : '';
      io.stderr(`${at}${f.severity} [${f.rule}] ${f.message}\n`);
    }
    const slices = result.graph.services.flatMap((s) => s.slices);
    io.stdout(
      o.format === 'json' ? `${JSON.stringify(slices, null, 2)}\n` : formatEndpointSlicesText(slices),
    );
    setExit(EXIT_OK);
  });

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
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; everything else commander rejects is a usage error.
      return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      io.stderr(`portchain: ${e.message}\n`);
      return EXIT_USAGE;
    }
    io.stderr(
      `portchain: internal error: ${(e as Error).message}\nPlease report this, with the input that caused it.\n`,
    );
    return EXIT_USAGE;
  }
}
