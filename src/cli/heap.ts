/**
 * Node's defaults are sized for small programs. Past about 650 MB of YAML or 1.5 GB of JSON a run needs more
 * than the default heap (about 4 GB here), and V8 then aborts with "JavaScript heap out of memory" and a
 * native stack; and from a few hundred MB on, nearly everything read survives, so a young generation of
 * 16 MB makes the scavenger copy it in a thousand small steps (at 2x and 4x of bench/'s 1x dump, a 64 MB one
 * took 15% and 11% off the run; at 1x it made no difference). Before reading, the launcher sizes both from
 * the inputs it is given and, when they call for it, runs the same command again in a child Node with those
 * limits (bounded by the machine's memory).
 */
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { constants, totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { walk } from '../sources/files.js';

/** Commands that read manifests into memory. */
const READING = new Set(['check', 'graph', 'endpoints', 'trace', 'ui']);
/** Heap per input byte, with room: measured peaks are about 6.5x for YAML and 3x for JSON. */
const HEAP_PER_BYTE = 8;
/** Set in the child, so it never starts another. */
const CHILD_MARK = 'PORTCHAIN_HEAP_SIZED';

/** The bytes `check` would read at `path`: a file, or the manifests the folder walk finds under it. */
async function bytesUnder(path: string): Promise<number> {
  try {
    const st = await stat(path);
    if (st.isFile()) return st.size;
    if (!st.isDirectory()) return 0;
    const files: string[] = [];
    await walk(path, files);
    let n = 0;
    for (const f of files) n += (await stat(f)).size;
    return n;
  } catch {
    return 0; // not a path (an option's value): reading reports real problems later
  }
}

/** From this much input on, the young generation is enlarged (and the command runs in a child for it). */
const LARGE_INPUT_BYTES = 256 * 2 ** 20;
const LARGE_SEMI_SPACE_MB = 64;

/**
 * The heap limit in MB a run over `inputBytes` wants, or null when `currentMB` suffices. At most 80% of the
 * machine's memory: past that, swapping or the OOM killer would be worse than V8's own message.
 */
export function wantedHeapMB(inputBytes: number, currentMB: number, machineMB: number): number | null {
  const want = Math.min(Math.ceil((inputBytes * HEAP_PER_BYTE) / 2 ** 20), Math.floor(machineMB * 0.8));
  return want > currentMB * 1.1 ? want : null;
}

/**
 * The V8 flags a run over `inputBytes` should start with; empty when Node's defaults do. `given` is the node
 * flags the user started with (and NODE_OPTIONS): a young generation sized there stands. The heap limit is
 * only ever raised, past a limit that would abort the run: it is a ceiling, not memory taken.
 */
export function launchFlags(inputBytes: number, currentMB: number, machineMB: number, given = ''): string[] {
  const heap = wantedHeapMB(inputBytes, currentMB, machineMB);
  const flags = heap === null ? [] : [`--max-old-space-size=${heap}`];
  if (inputBytes >= LARGE_INPUT_BYTES && !given.includes('--max-semi-space-size'))
    flags.push(`--max-semi-space-size=${LARGE_SEMI_SPACE_MB}`);
  return flags;
}

/**
 * Runs the command in a child Node with the flags its inputs call for; resolves to the child's exit
 * code, or to null when this process should run the command itself.
 */
export async function runWithSizedHeap(args: readonly string[], script: string): Promise<number | null> {
  if (process.env[CHILD_MARK] || !READING.has(args[0] ?? '')) return null;
  let bytes = 0;
  for (const a of args.slice(1)) if (!a.startsWith('-')) bytes += await bytesUnder(a);
  const currentMB = getHeapStatistics().heap_size_limit / 2 ** 20;
  const given = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  const flags = launchFlags(bytes, currentMB, totalmem() / 2 ** 20, given);
  if (flags.length === 0) return null;
  const child = spawn(process.execPath, [...process.execArgv, ...flags, script, ...args], {
    stdio: 'inherit',
    env: { ...process.env, [CHILD_MARK]: '1' },
  });
  // Ctrl-C reaches the child through the terminal's process group; a kill aimed at this process is passed on.
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, forward(s));
  return new Promise((resolve) => {
    child.on('error', () => resolve(null));
    child.on('exit', (code, signal) => {
      if (code !== null) resolve(code);
      else resolve(128 + (signal ? constants.signals[signal] : 6));
    });
  });
}
