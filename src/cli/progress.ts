/**
 * One status line on stderr for long runs (a whole-cluster dump takes seconds): files read, objects loaded,
 * rules run. Only on a terminal: a pipe, a file or CI (the CI variable, set by GitHub Actions, GitLab and
 * most others) gets nothing, so output that is parsed or logged never carries control characters.
 */
import type { CheckProgress } from '../check.js';

/** What the line is written to: process.stderr, or a fake in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(s: string): unknown;
}

export interface Progress {
  /** Replaces the line (at most every `intervalMs`, unless `force`). */
  update(text: string, force?: boolean): void;
  /** The pipeline's own events, worded for people. */
  readonly onCheck: (e: CheckProgress) => void;
  /** Bytes of one input read so far (readSources' onRead), before the pipeline starts. */
  readonly onRead: (name: string, bytes: number) => void;
  /** A step after the check (graph's and ui's drawing), drawn at once; worded only when the line is on. */
  step(text: () => string): void;
  /** Clears the line; call before printing results. */
  done(): void;
  readonly enabled: boolean;
}

export interface ProgressOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Milliseconds between redraws. */
  readonly intervalMs?: number;
  /** Nothing is drawn before this many milliseconds, so a quick run never flickers (default 200). */
  readonly delayMs?: number;
  readonly now?: () => number;
}

/** CI=true, CI=1, CI=anything but "false"/"0"/"": what CI systems set (and what ci-info tests). */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

const CLEAR = '\r\x1b[K';
/** Inputs this large (characters) take long enough to load that the line is drawn before the delay. */
const BIG_INPUT = 8 * 2 ** 20;
const fmt = (n: number) => n.toLocaleString('en-US');
/** `1 finding`, `2 findings`, `163,402 objects`. */
const count = (n: number, noun: string) => `${fmt(n)} ${noun}${n === 1 ? '' : 's'}`;

/** `loading 2 files (325.6 MB)`: the start of the line while files are read. */
const loading = (e: { readonly files: number; readonly bytes: number }) =>
  `loading ${count(e.files, 'file')} (${(e.bytes / 2 ** 20).toFixed(1)} MB)`;

/** `reading <stdin>: 57.3 MB`: while an input is read (a pipe from kubectl) or converted to UTF-8. */
export const describeReading = (name: string, bytes: number): string =>
  `reading ${name}: ${(bytes / 2 ** 20).toFixed(1)} MB`;

/** Describes a pipeline event in a few words. */
export function describe(e: CheckProgress): string {
  switch (e.stage) {
    case 'load':
      return loading(e);
    case 'read':
      return `${loading(e)}: ${e.files > 1 ? `file ${e.file}, ` : ''}${count(e.objects, 'object')} read`;
    case 'resolve':
      return `${count(e.objects, 'object')} read; resolving Services, endpoints, ingress routes`;
    case 'rule':
      return `rules ${e.index + 1}/${e.total} (${e.rule}) on ${count(e.objects, 'object')}`;
    case 'report':
      return `${count(e.findings, 'finding')} from ${count(e.total, 'rule')} on ${count(e.objects, 'object')}; writing the report`;
  }
}

export function createProgress(stream: ProgressStream, options: ProgressOptions = {}): Progress {
  const enabled = stream.isTTY === true && !isCi(options.env ?? process.env);
  const interval = options.intervalMs ?? 100;
  const now = options.now ?? Date.now;
  const start = now();
  const delay = options.delayMs ?? 200;
  let last = Number.NEGATIVE_INFINITY;
  let shown = false;
  const draw = (text: string) => {
    // Never wider than the terminal: a wrapped line cannot be cleared with \r. A terminal without a size
    // (a pty that `script`, `ssh -t` or `docker run -t` opened without one) reports 0 columns: 80 then.
    const width = Math.max(20, (stream.columns || 80) - 1);
    const line = `portchain: ${text}`;
    stream.write(`${CLEAR}${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
    shown = true;
  };
  const update = (text: string, force = false) => {
    if (!enabled) return;
    const t = now();
    // The delay only keeps a quick run from drawing at all: a line already drawn is kept current.
    if ((!shown && t - start < delay) || (!force && t - last < interval)) return;
    last = t;
    draw(text);
  };
  return {
    enabled,
    update,
    // Stage changes always show; counts of objects read and rule-by-rule updates are throttled. A big input
    // says it is loading at once.
    onCheck: (e) => {
      // Nothing drawn, nothing worded: the first toLocaleString loads ICU's data (30 ms of a small run).
      if (!enabled) return;
      if (e.stage === 'load' && e.bytes >= BIG_INPUT) {
        last = now();
        draw(describe(e));
      } else update(describe(e), e.stage !== 'rule' && e.stage !== 'read');
    },
    onRead: (name, bytes) => {
      if (enabled) update(describeReading(name, bytes));
    },
    step: (text) => {
      if (enabled) update(text(), true);
    },
    done: () => {
      if (shown) stream.write(CLEAR);
      shown = false;
    },
  };
}

/** graph's step after the check: building the topology and rendering it (seconds on a cluster dump). */
export const describeDrawing = (objects: number, format: string): string =>
  `${count(objects, 'object')} checked; drawing the topology (${format})`;

/** The progress line of check, endpoints and graph: drawn on `io.progress` (stderr) on a terminal, outside CI. */
export function progressFor(io: {
  readonly progress?: ProgressStream;
  readonly env: NodeJS.ProcessEnv;
}): Progress {
  return createProgress(io.progress ?? { isTTY: false, write: () => true }, { env: io.env });
}
