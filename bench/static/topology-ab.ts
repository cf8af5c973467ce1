/**
 * A/B of two builds' topology step (what `graph` adds to `check`) on one resolved graph, in one process
 * (ab-harness.ts). The input is read and checked once, by build B; then each round runs both builds'
 * buildSimplifiedTopology and keeps its wall time. Prints the rounds and whether both builds drew the same
 * JSON.
 *
 *   node --expose-gc bench-dist/bench/static/topology-ab.js --a <bench-dist> [--b <bench-dist>]
 *     [--rounds 4] files...
 *
 * `<bench-dist>` is a copy of what `npx tsc -p bench/tsconfig.json` emits (B defaults to this one).
 */
import type { check as Check } from '../../src/check.js';
import type { readSources as ReadSources } from '../../src/sources/files.js';
import type { buildSimplifiedTopology as Build } from '../../src/topology/simplify.js';
import { type AbSide, importFrom, parseAbArgs, roundsLine, runRounds } from './ab-harness.js';

async function main(): Promise<void> {
  const o = parseAbArgs(process.argv.slice(2), 'topology-ab');
  const { readSources } = await importFrom<{ readSources: typeof ReadSources }>(o.b, 'sources/files.js');
  const { check } = await importFrom<{ check: typeof Check }>(o.b, 'check.js');
  const read = await readSources(o.files);
  const checked = check(read.sources, {});
  const side = async (name: 'A' | 'B', dist: string) => {
    const { buildSimplifiedTopology } = await importFrom<{ buildSimplifiedTopology: typeof Build }>(
      dist,
      'topology/simplify.js',
    );
    const run = () => buildSimplifiedTopology(checked.graph, checked.findings, { mode: 'auto' });
    // What `graph --format json` prints, in one string (the folded topology is small).
    return { side: { name, run, ms: [] } as AbSide, json: (t: unknown) => `${JSON.stringify(t, null, 2)}\n` };
  };
  const a = await side('A', o.a);
  const b = await side('B', o.b);
  const drawn = new Map<AbSide, string>();
  await runRounds([a.side, b.side], o.rounds, (s, topology) => {
    const json = s === a.side ? a.json : b.json;
    drawn.set(s, json(topology));
  });
  for (const s of [a.side, b.side]) process.stdout.write(roundsLine(s));
  const [ja, jb] = [drawn.get(a.side) ?? '', drawn.get(b.side) ?? ''];
  process.stdout.write(`same JSON: ${ja === jb ? 'yes' : 'NO'} (${jb.length} characters)\n`);
}

await main();
