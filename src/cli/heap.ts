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
 *
 * A run can still outgrow any heap (thousands of Services, with as many selectors, over the same thousands of
 * Pods), and V8 then aborts with its own report and a native stack trace. So from CHILD_FROM_BYTES of input
 * on, the command always runs in a child, whose stderr passes through here: V8's report is held back and
 * replaced by a message that says what happened and what to do, with exit code 2.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
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
/** Set in the child when this process's stderr is a terminal: its width, so the child draws progress there. */
export const STDERR_COLUMNS = 'PORTCHAIN_STDERR_COLUMNS';
/**
 * From this much input on, a run is made in a child even when Node's defaults would do, so that running out
 * of memory is reported (above). The child's start costs about 0.1 s (0.1x of bench/'s dump: 1.38-1.74 s
 * against 1.21-1.65 s in one process; `graph examples`: 1.10-1.14 s against 0.97-1.00 s), too much for the
 * small runs of CI. Below this, what comes near the default heap is quadratic in the input: a drawing of many
 * Services over the same pods (refused before it is built: topology/size.ts), and many Services selecting
 * different but overlapping sets of pods, an endpoint each per pod as in Kubernetes (1,023 Services over
 * subsets of 8,192 pods, 472,000 pairs from 0.8 MB, take 0.16 GB). Findings are not: workloads broken the same
 * way are one finding per Service port (700 Services over 700 such Deployments gave 490,000 findings and
 * 1.5 GB until stop 28), and Services selecting the same pods share one list and endpoint pass.
 */
const CHILD_FROM_BYTES = 4 * 2 ** 20;
/** The exit code of a run V8 stopped (README: 2, the run could not be completed). */
const EXIT_FATAL = 2;

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
    // Synchronously: an fs/promises call per file is a thread-pool round trip (0.2 ms each here).
    for (const f of files) into[isJson(f) ? 'json' : 'yaml'] += statSync(f).size;
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

/** What V8 writes to stderr when it aborts (heap exhausted, or another fatal error): the start of its report. */
const FATAL_MARKERS = ['<--- Last few GCs --->', 'FATAL ERROR:'];

/**
 * Passes text through to `write` until V8's fatal report starts, and keeps the report. A chunk that ends in
 * what could be the start of a marker (`<`, `F`, `FATAL`) is held until the next: a line of portchain's
 * never ends so (a message ends in a newline, the progress line in a count or a word).
 */
export class FatalReportFilter {
  private held = '';
  report: string | null = null;
  /** What was passed on ends inside a line (the progress line): a message after it must end that first. */
  midLine = false;

  constructor(private readonly write: (s: string) => void) {}

  private pass(s: string): void {
    if (s === '') return;
    this.write(s);
    this.midLine = !s.endsWith('\n');
  }

  push(chunk: string): void {
    if (this.report !== null) {
      this.report += chunk;
      return;
    }
    const text = this.held + chunk;
    this.held = '';
    // V8 starts its report at the start of a line; elsewhere the words may be anyone's (a quoted name).
    const lineStart = (i: number) => (i === 0 ? !this.midLine : text[i - 1] === '\n');
    let at = -1;
    for (const m of FATAL_MARKERS) {
      let i = text.indexOf(m);
      while (i !== -1 && !lineStart(i)) i = text.indexOf(m, i + 1);
      if (i !== -1 && (at === -1 || i < at)) at = i;
    }
    if (at !== -1) {
      // The newline before the report is the report's, not the output's.
      if (at > 0) at--;
      this.pass(text.slice(0, at));
      this.report = text.slice(at);
      return;
    }
    let keep = 0;
    for (const m of FATAL_MARKERS)
      for (let k = Math.min(m.length - 1, text.length); k > keep; k--)
        if (text.endsWith(m.slice(0, k))) {
          keep = k;
          break;
        }
    this.pass(text.slice(0, text.length - keep));
    this.held = text.slice(text.length - keep);
  }

  end(): void {
    this.pass(this.held);
    this.held = '';
  }
}

/** What the user reads instead of V8's report. */
export function fatalMessage(report: string, heapMB: number, input: InputBytes, machineMB: number): string {
  if (/heap out of memory|heap limit/i.test(report)) {
    const mb = ((input.yaml + input.json) / 2 ** 20).toFixed(1);
    return [
      `portchain: out of memory: checking ${mb} MB of input needed more than the ${Math.round(heapMB)} MB heap it had.`,
      '  What to do: check fewer objects at once (namespaces that share no Service, node port or NetworkPolicy',
      `  can be checked apart), or give Node more: NODE_OPTIONS=--max-old-space-size=MB (this machine has`,
      `  ${Math.round(machineMB)} MB). Many Services with different selectors over the same thousands of Pods take memory for every pair.`,
      '',
    ].join('\n');
  }
  const line = /FATAL ERROR:[^\n]*/.exec(report)?.[0] ?? report.trim().split('\n')[0] ?? '';
  return `portchain: internal error: Node stopped the run (${line.trim()})\n`;
}

/** The heap limit, in MB, a child started with these node flags has (the last --max-old-space-size wins). */
function heapLimitMB(flags: readonly string[], currentMB: number): number {
  let mb = currentMB;
  for (const f of flags) {
    const m = /^--max-old-space-size=(\d+)$/.exec(f);
    if (m) mb = Number(m[1]);
  }
  return mb;
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
  if (flags.length === 0 && input.json + input.yaml < CHILD_FROM_BYTES) return null;
  const env: NodeJS.ProcessEnv = { ...process.env, [CHILD_MARK]: '1' };
  if (process.stderr.isTTY) env[STDERR_COLUMNS] = String(process.stderr.columns ?? 0);
  const argv = [...process.execArgv, ...flags];
  const child = spawn(process.execPath, [...argv, script, ...args], {
    stdio: ['inherit', 'inherit', 'pipe'],
    env,
  });
  const toStderr = (s: string) => {
    process.stderr.write(s);
  };
  const filter = new FatalReportFilter(toStderr);
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => filter.push(chunk));
  // Ctrl-C reaches the child through the terminal's process group; a kill aimed at this process is passed on.
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, forward(s));
  return new Promise((resolve) => {
    child.on('error', () => resolve(null));
    // 'close': the child has exited and its stderr has all been passed on.
    child.on('close', (code, signal) => {
      filter.end();
      // Only a child that V8 aborted (SIGABRT, or SIGTRAP) ended in its report; else those were plain words.
      const aborted = signal === 'SIGABRT' || signal === 'SIGTRAP' || code === 134 || code === 133;
      if (filter.report !== null && !aborted) toStderr(filter.report);
      else if (filter.report !== null) {
        // A progress line left on a terminal is cleared (progress.ts draws it so), else the line is ended.
        if (filter.midLine) toStderr(process.stderr.isTTY ? '\r\x1b[K' : '\n');
        toStderr(fatalMessage(filter.report, heapLimitMB(argv, currentMB), input, totalmem() / 2 ** 20));
        resolve(EXIT_FATAL);
      } else if (code !== null) resolve(code);
      else resolve(128 + (signal ? constants.signals[signal] : 6));
    });
  });
}
