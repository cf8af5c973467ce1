/**
 * Node's defaults are sized for small programs. Past about 650 MB of YAML or 1.5 GB of JSON a run needs more
 * than the default heap (about 4 GB here), and V8 then aborts with "JavaScript heap out of memory" and a
 * native stack. From a few hundred MB on, nearly everything read survives to the end, which Node's defaults
 * handle badly twice over:
 * - a young generation of 16 MB makes the scavenger copy it in a thousand small steps (at 2x and 4x of
 *   bench/'s 1x dump, a 64 MB one took 15% and 11% off the run; at 1x it made no difference);
 * - an old generation that starts small is marked again each time it grows, though nothing in it has died
 *   (starting it at the size the input will need took 8-17% off bench/'s 1x, 2x and 4x JSON dumps, 9% off
 *   its 1x and 2x YAML ones and 4-9% off 4x YAML: BENCHMARKS.md).
 * Before reading, the launcher sizes all three from the inputs it is given and, when they call for it, runs
 * the same command again in a child Node with those limits (bounded by the machine's memory).
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

/** The bytes a command would read, by form: JSON takes far less heap per byte than YAML. */
export interface InputBytes {
  readonly json: number;
  readonly yaml: number;
}

/**
 * Where the old generation starts, per input byte. At its largest, the heap of a run over bench/'s dumps is
 * about 1.4 bytes per byte of JSON and 4.2-4.4 per byte of YAML. V8 starts marking somewhat before the old
 * generation reaches its start, and a start the run outgrows is worse than the default: V8 then marks the
 * whole heap once, at its largest, just before the end (an 0.8-1.1 s pause at 4x YAML). So these leave room;
 * what they cost is the garbage that is never collected (about 0.2 GB at 4x YAML).
 */
const OLD_SPACE_START_PER_BYTE: InputBytes = { json: 2, yaml: 6 };

const isJson = (file: string): boolean => file.toLowerCase().endsWith('.json');

/** Adds the bytes `check` would read at `path` (a file, or the manifests the folder walk finds) to `into`. */
async function addBytesUnder(path: string, into: { json: number; yaml: number }): Promise<void> {
  try {
    const st = await stat(path);
    if (st.isFile()) {
      into[isJson(path) ? 'json' : 'yaml'] += st.size;
      return;
    }
    if (!st.isDirectory()) return;
    const files: string[] = [];
    await walk(path, files);
    for (const f of files) into[isJson(f) ? 'json' : 'yaml'] += (await stat(f)).size;
  } catch {
    // not a path (an option's value): reading reports real problems later
  }
}

/** From this much input on, the young generation is enlarged (and the command runs in a child for it). */
const LARGE_INPUT_BYTES = 256 * 2 ** 20;
const LARGE_SEMI_SPACE_MB = 64;

/** The most heap a run may ask for: past 80% of the machine, swapping or the OOM killer would be worse than V8's own message. */
const ceilingMB = (machineMB: number): number => Math.floor(machineMB * 0.8);

/** The heap limit in MB a run over `inputBytes` wants, or null when `currentMB` suffices (at most ceilingMB). */
export function wantedHeapMB(inputBytes: number, currentMB: number, machineMB: number): number | null {
  const want = Math.min(Math.ceil((inputBytes * HEAP_PER_BYTE) / 2 ** 20), ceilingMB(machineMB));
  return want > currentMB * 1.1 ? want : null;
}

/**
 * From this start on, the old generation is started large. Below, the marking it saves is worth less than a
 * child Node's start: no gain at 68 MB of YAML, 9% at 171 MB (BENCHMARKS.md).
 */
const OLD_SPACE_START_FROM_MB = 512;

/** Where a run over `input` starts its old generation, in MB (OLD_SPACE_START_PER_BYTE). */
export function oldSpaceStartMB(input: InputBytes): number {
  return Math.ceil(
    (input.json * OLD_SPACE_START_PER_BYTE.json + input.yaml * OLD_SPACE_START_PER_BYTE.yaml) / 2 ** 20,
  );
}

/**
 * The V8 flags a run over `input` should start with; empty when Node's defaults do. `given` is the node flags
 * the user started with (and NODE_OPTIONS): a young or initial old generation sized there stands. The heap
 * limit is only ever raised, past a limit that would abort the run. Neither it nor the initial old generation
 * is memory taken: the first is a ceiling, the second the size up to which V8 does not mark the old generation
 * (what it costs is the garbage left uncollected until then).
 */
export function launchFlags(input: InputBytes, currentMB: number, machineMB: number, given = ''): string[] {
  const bytes = input.json + input.yaml;
  const old = oldSpaceStartMB(input);
  const startOld =
    old >= OLD_SPACE_START_FROM_MB &&
    !given.includes('--initial-old-space-size') &&
    !given.includes('--initial-heap-size');
  let heap = wantedHeapMB(bytes, currentMB, machineMB);
  // V8 starts the old generation at no more than half its limit: the limit makes room for twice the start.
  const room = startOld ? Math.min(2 * old, ceilingMB(machineMB)) : 0;
  if (room > (heap ?? currentMB)) heap = room;
  const flags = heap === null ? [] : [`--max-old-space-size=${heap}`];
  if (bytes >= LARGE_INPUT_BYTES && !given.includes('--max-semi-space-size'))
    flags.push(`--max-semi-space-size=${LARGE_SEMI_SPACE_MB}`);
  if (startOld) flags.push(`--initial-old-space-size=${Math.min(old, Math.floor((heap ?? currentMB) / 2))}`);
  return flags;
}

/**
 * Runs the command in a child Node with the flags its inputs call for; resolves to the child's exit
 * code, or to null when this process should run the command itself.
 */
export async function runWithSizedHeap(args: readonly string[], script: string): Promise<number | null> {
  if (process.env[CHILD_MARK] || !READING.has(args[0] ?? '')) return null;
  const input = { json: 0, yaml: 0 };
  for (const a of args.slice(1)) if (!a.startsWith('-')) await addBytesUnder(a, input);
  const currentMB = getHeapStatistics().heap_size_limit / 2 ** 20;
  const given = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  const flags = launchFlags(input, currentMB, totalmem() / 2 ** 20, given);
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
