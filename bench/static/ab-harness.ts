/**
 * What the A/B scripts share (load-ab.ts, topology-ab.ts): their arguments, and rounds that run two builds
 * side by side in one process, alternating which goes first, each after a full GC. Whole-command rounds on
 * this machine move by a third between runs of the same build, so only builds measured side by side
 * compare.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from '../stats.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface AbOptions {
  /** Two `bench-dist` folders (what `npx tsc -p bench/tsconfig.json` emits); B defaults to this one. */
  readonly a: string;
  readonly b: string;
  readonly rounds: number;
  readonly files: readonly string[];
  /** Values of the script's own flags (`--step check`). */
  readonly flags: ReadonlyMap<string, string>;
}

export function abUsage(script: string, extra: string, message: string): never {
  process.stderr.write(
    `${script}: ${message}\nusage: node --expose-gc ${script}.js --a <bench-dist> [--b <bench-dist>] [--rounds N]${extra} files...\n`,
  );
  process.exit(2);
}

/** Parses `--a`, `--b`, `--rounds`, the flags named in `own` (each with a value) and the files. */
export function parseAbArgs(
  argv: readonly string[],
  script: string,
  own: readonly string[] = [],
  extra = '',
): AbOptions {
  const usage = (message: string): never => abUsage(script, extra, message);
  let a: string | undefined;
  let b = resolve(here, '../..');
  let rounds = 4;
  const files: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i] as string;
    const next = () => argv[++i] ?? usage(`${x} needs a value`);
    if (x === '--a') a = resolve(next());
    else if (x === '--b') b = resolve(next());
    else if (x === '--rounds') rounds = Number(next());
    else if (own.includes(x)) flags.set(x, next());
    else if (x.startsWith('--')) usage(`unknown option ${x}`);
    else files.push(x);
  }
  if (!a) usage('--a is required');
  if (!(Number.isInteger(rounds) && rounds >= 1)) usage('--rounds must be a whole number from 1');
  if (files.length === 0) usage('no input files');
  if (!(globalThis as { gc?: () => void }).gc)
    usage('run with node --expose-gc (each round starts after a full GC)');
  return { a: a as string, b, rounds, files, flags };
}

/** A module of a build's `src/`, e.g. `importFrom(dist, 'model/load.js')`. */
export const importFrom = async <T>(dist: string, path: string): Promise<T> =>
  (await import(pathToFileURL(join(dist, 'src', path)).href)) as T;

export interface AbSide {
  readonly name: 'A' | 'B';
  /** One round's work; what it returns goes to runRounds' `after`, then is dropped. */
  readonly run: () => Promise<unknown> | unknown;
  readonly ms: number[];
}

/**
 * Runs `rounds` rounds of both sides, alternating which goes first, each after a full GC. `after` sees
 * each round's value outside the timing; nothing keeps it past that, so a side never measures with the
 * other's result still alive.
 */
export async function runRounds(
  sides: readonly [AbSide, AbSide],
  rounds: number,
  after?: (side: AbSide, value: unknown, round: number) => void,
): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc as () => void;
  for (let round = 0; round < rounds; round++) {
    for (const s of round % 2 === 0 ? sides : [sides[1], sides[0]]) {
      gc();
      const t0 = performance.now();
      const value = await s.run();
      s.ms.push(Math.round(performance.now() - t0));
      after?.(s, value, round);
    }
  }
}

export const roundsLine = (s: AbSide, more = ''): string =>
  `${s.name} ms per round: ${s.ms.join(', ')}; median ${median(s.ms)}${more}\n`;
