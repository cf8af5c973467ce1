import { Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { TraceResult } from '../../src/trace/model.js';
import type { CliRun } from './cli.js';

export interface TraceRunOptions {
  readonly stdin?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly isTTY?: boolean;
  readonly cwd?: string;
}

/** Runs `portchain trace ARGS` in-process through main(), with output captured. */
export async function runTrace(args: string[], options: TraceRunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(['trace', ...args], {
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
  });
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
