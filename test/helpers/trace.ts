import { Readable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { traceCommand } from '../../src/cli/trace.js';
import type { TraceResult } from '../../src/trace/model.js';
import type { CliRun } from './cli.js';

export interface TraceRunOptions {
  readonly stdin?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly isTTY?: boolean;
  readonly cwd?: string;
}

/**
 * Runs `portchain trace ARGS` in-process, the way main.ts runs a command: the trace command added to a
 * program, output captured, commander's errors turned into exit 2.
 */
export async function runTrace(args: string[], options: TraceRunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const io = {
    stdout: (s: string) => {
      stdout += s;
    },
    stderr: (s: string) => {
      stderr += s;
    },
    stdin: Readable.from([options.stdin ?? '']),
    isTTY: options.isTTY ?? false,
    env: options.env ?? {},
    ...(options.cwd ? { cwd: options.cwd } : {}),
  };
  const program = new Command('portchain')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  program.addCommand(
    traceCommand(io, (c) => {
      code = c;
    }),
  );
  try {
    await program.parseAsync(['trace', ...args], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode === 0 ? 0 : 2;
  }
  return { code, stdout, stderr };
}

/** `portchain trace ARGS --format json`, parsed. */
export async function traceJson(
  args: string[],
  options: TraceRunOptions = {},
): Promise<TraceResult & { code: number }> {
  const r = await runTrace([...args, '--format', 'json'], options);
  if (r.stdout === '') throw new Error(`no output (exit ${r.code}): ${r.stderr}`);
  return { ...(JSON.parse(r.stdout) as TraceResult), code: r.code };
}
