/**
 * A/B of two builds' topology step (what `graph` adds to `check`) on one resolved graph, in one process: the
 * machine is shared, and whole-command rounds here move by a third between runs of the same build, so only
 * builds measured side by side compare. The input is read and checked once, by build B; then each round
 * runs both builds' buildSimplifiedTopology (alternating which goes first, after a full GC) and keeps its
 * wall time. Prints the rounds and whether both builds drew the same JSON.
 *
 *   node --expose-gc bench-dist/bench/static/topology-ab.js --a <bench-dist> [--b <bench-dist>]
 *     [--rounds 4] files...
 *
 * `<bench-dist>` is a copy of what `npx tsc -p bench/tsconfig.json` emits (B defaults to this one).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { check as Check } from '../../src/check.js';
import type { readSources as ReadSources } from '../../src/sources/files.js';
import type { formatTopologyJson as FormatJson } from '../../src/topology/model.js';
import type { buildSimplifiedTopology as Build } from '../../src/topology/simplify.js';
import { median } from '../stats.js';

const here = dirname(fileURLToPath(import.meta.url));

interface Side {
  readonly name: 'A' | 'B';
  readonly build: typeof Build;
  readonly json: typeof FormatJson;
  readonly ms: number[];
  out: string;
}

function usage(message: string): never {
  process.stderr.write(
    `topology-ab: ${message}\nusage: node --expose-gc topology-ab.js --a <bench-dist> [--b <bench-dist>] [--rounds N] files...\n`,
  );
  process.exit(2);
}

function parseArgs(argv: readonly string[]): { a: string; b: string; rounds: number; files: string[] } {
  let a: string | undefined;
  let b = resolve(here, '../..');
  let rounds = 4;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i] as string;
    const next = () => argv[++i] ?? usage(`${x} needs a value`);
    if (x === '--a') a = resolve(next());
    else if (x === '--b') b = resolve(next());
    else if (x === '--rounds') rounds = Number(next());
    else files.push(x);
  }
  if (!a) usage('--a is required');
  if (!(Number.isInteger(rounds) && rounds >= 1)) usage('--rounds must be a whole number from 1');
  if (files.length === 0) usage('no input files');
  return { a, b, rounds, files };
}

const load = async <T>(dist: string, path: string): Promise<T> =>
  (await import(pathToFileURL(join(dist, 'src', path)).href)) as T;

async function side(name: 'A' | 'B', dist: string): Promise<Side> {
  const { buildSimplifiedTopology } = await load<{ buildSimplifiedTopology: typeof Build }>(
    dist,
    'topology/simplify.js',
  );
  const { formatTopologyJson } = await load<{ formatTopologyJson: typeof FormatJson }>(
    dist,
    'topology/model.js',
  );
  return { name, build: buildSimplifiedTopology, json: formatTopologyJson, ms: [], out: '' };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) usage('run with node --expose-gc (each round starts after a full GC)');
  const { readSources } = await load<{ readSources: typeof ReadSources }>(o.b, 'sources/files.js');
  const { check } = await load<{ check: typeof Check }>(o.b, 'check.js');
  const read = await readSources(o.files);
  const checked = check(read.sources, {});
  const sides = [await side('A', o.a), await side('B', o.b)];
  for (let round = 0; round < o.rounds; round++) {
    for (const s of round % 2 === 0 ? sides : [...sides].reverse()) {
      gc();
      const t0 = performance.now();
      const topology = s.build(checked.graph, checked.findings, { mode: 'auto' });
      s.ms.push(Math.round(performance.now() - t0));
      s.out = s.json(topology);
    }
  }
  for (const s of sides) {
    process.stdout.write(`${s.name} ms per round: ${s.ms.join(', ')}; median ${median(s.ms)}\n`);
  }
  const [a, b] = sides as [Side, Side];
  process.stdout.write(`same JSON: ${a.out === b.out ? 'yes' : 'NO'} (${b.out.length} characters)\n`);
}

await main();
