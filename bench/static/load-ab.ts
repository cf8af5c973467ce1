/**
 * A/B of two builds' loading (`--step load`: reading, parsing, decoding, defaulting, what every command
 * does first) or of their whole check (`--step check`: loading, resolving and every rule, what `check`
 * does before its report) on the same files, in one process (ab-harness.ts). Prints each side's rounds,
 * the heap in use after each round, and whether both builds gave the same result: every manifest's
 * `object` and `raw` as JSON (key order counts) and every finding, hashed in order.
 *
 *   node --expose-gc bench-dist/bench/static/load-ab.js --a <bench-dist> [--b <bench-dist>] [--rounds 4]
 *     [--step load|check] files...
 *
 * `<bench-dist>` is a copy of what `npx tsc -p bench/tsconfig.json` emits (B defaults to this one), kept
 * where `node_modules` resolves (inside the repository, or beside a link to its node_modules).
 */
import { createHash } from 'node:crypto';
import type { check as Check } from '../../src/check.js';
import type { Finding } from '../../src/model/finding.js';
import type { loadAll as LoadAll, Manifest } from '../../src/model/load.js';
import type { readSources as ReadSources } from '../../src/sources/files.js';
import { type AbSide, abUsage, importFrom, parseAbArgs, roundsLine, runRounds } from './ab-harness.js';

const EXTRA = ' [--step load|check]';
type Step = 'load' | 'check';

/** What a round gives back: the manifests and the findings, to hash. */
interface Outcome {
  readonly manifests: readonly Manifest[];
  readonly findings: readonly Finding[];
}

async function side(name: 'A' | 'B', dist: string, step: Step, files: readonly string[]): Promise<AbSide> {
  const { readSources } = await importFrom<{ readSources: typeof ReadSources }>(dist, 'sources/files.js');
  if (step === 'load') {
    const { loadAll } = await importFrom<{ loadAll: typeof LoadAll }>(dist, 'model/load.js');
    const run = async (): Promise<Outcome> => loadAll((await readSources(files)).sources);
    return { name, run, ms: [] };
  }
  const { check } = await importFrom<{ check: typeof Check }>(dist, 'check.js');
  const run = async (): Promise<Outcome> => {
    const read = await readSources(files);
    const r = check(read.sources, {}, { findings: read.findings, order: read.order });
    return { manifests: r.graph.manifests, findings: r.findings };
  };
  return { name, run, ms: [] };
}

function digest(r: Outcome): string {
  const h = createHash('sha256');
  for (const m of r.manifests) h.update(JSON.stringify(m.object)).update('\0').update(JSON.stringify(m.raw));
  h.update(JSON.stringify(r.findings));
  return `${h.digest('hex').slice(0, 16)} (${r.manifests.length} manifests, ${r.findings.length} findings)`;
}

async function main(): Promise<void> {
  const o = parseAbArgs(process.argv.slice(2), 'load-ab', ['--step'], EXTRA);
  const step = o.flags.get('--step') ?? 'load';
  if (step !== 'load' && step !== 'check') abUsage('load-ab', EXTRA, '--step is load or check');
  const sides = [await side('A', o.a, step, o.files), await side('B', o.b, step, o.files)] as const;
  const heapMB = new Map<AbSide, number[]>(sides.map((s) => [s, []]));
  const digests = new Map<AbSide, string>();
  await runRounds(sides, o.rounds, (s, value, round) => {
    (globalThis as { gc?: () => void }).gc?.();
    heapMB.get(s)?.push(Math.round(process.memoryUsage().heapUsed / 2 ** 20));
    if (round === 0) digests.set(s, digest(value as Outcome));
  });
  for (const s of sides)
    process.stdout.write(roundsLine(s, `; heap after, MB: ${heapMB.get(s)?.join(', ')}`));
  const [a, b] = [digests.get(sides[0]), digests.get(sides[1])];
  process.stdout.write(`same ${step}: ${a === b ? 'yes' : 'NO'}: A ${a}, B ${b}\n`);
}

await main();
