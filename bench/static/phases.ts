/**
 * Times each phase of `check` after reading, in one process: loading (the parser's part, timed but owned
 * elsewhere), then what follows parsed manifests: resolveGraph, every rule on its own, sorting, and each
 * report; and what `endpoints` and `graph` add. This separates the semantic and rule work from parsing.
 *
 * Usage: node --expose-gc bench-dist/bench/static/phases.js FILE... [--json] [--check-only] [--repeat N]
 * `--check-only` stops after sorting and the JSON report (what `check --format json` does); `--repeat N` runs
 * load, resolveGraph and the rules N times in the same process and keeps each phase's least CPU time (a warm
 * figure, steadier than one run on a busy machine).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sortFindings } from '../../src/check.js';
import type { Finding } from '../../src/model/finding.js';
import { loadText, type Manifest } from '../../src/model/load.js';
import { formatEndpointSlicesText } from '../../src/report/endpoints.js';
import { formatJson } from '../../src/report/json.js';
import { formatSarif } from '../../src/report/sarif.js';
import { formatText } from '../../src/report/text.js';
import { formatTopologyJson } from '../../src/report/topology-json.js';
import { registeredRules } from '../../src/rules/registry.js';
import { applyRuleSettings, runRules } from '../../src/rules/run.js';
import { resolveGraph } from '../../src/semantics/graph.js';
import { readSources } from '../../src/sources/files.js';
import { buildSimplifiedTopology } from '../../src/topology/simplify.js';

export interface PhaseTimes {
  /** Seconds per phase, in the order run. */
  readonly phases: Record<string, number>;
  /** Seconds per rule. */
  readonly rules: Record<string, number>;
  /** CPU seconds (user + system, all threads: GC included) per phase and per rule. */
  readonly cpu: Record<string, number>;
  /** CPU seconds of resolveGraph + rules + sort + JSON report. */
  readonly afterParseCpu: number;
  /** Everything after parsed manifests, for `check --format json`. */
  readonly afterParse: number;
  readonly objects: number;
  readonly findings: number;
  readonly heapUsedMB: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

export interface PhaseOptions {
  /** Stop after sorting and the JSON report. */
  readonly checkOnly?: boolean;
  /** Run load, resolveGraph and the rules this many times; keep each phase's least time. */
  readonly repeat?: number;
}

export async function measurePhases(
  files: readonly string[],
  options: PhaseOptions = {},
): Promise<PhaseTimes> {
  const repeat = Math.max(1, options.repeat ?? 1);
  let round = 0;
  const phases: Record<string, number> = {};
  const rules: Record<string, number> = {};
  const cpu: Record<string, number> = {};
  const timed = <T>(name: string, f: () => T, into = phases): T => {
    const t = performance.now();
    const c = process.cpuUsage();
    const v = f();
    const wall = (performance.now() - t) / 1000;
    const used = process.cpuUsage(c);
    const seconds = (used.user + used.system) / 1e6;
    // Over several rounds a phase keeps its least time; within one round, times add up.
    into[name] = round === 0 ? (into[name] ?? 0) + wall : Math.min(into[name] ?? wall, wall);
    cpu[name] = round === 0 ? (cpu[name] ?? 0) + seconds : Math.min(cpu[name] ?? seconds, seconds);
    return v;
  };
  const t0 = performance.now();
  const read = await readSources([...files], process.stdin);
  phases.read = (performance.now() - t0) / 1000;
  // loadText per source, concatenated without spreading: loadAll's push(...manifests) overflows the stack
  // past ~120,000 objects in one file (src/model/load.ts, the parsing side's), and this measures what follows.
  const once = () => {
    const loaded = timed('load (parse)', () => {
      const out: {
        manifests: Manifest[];
        findings: Finding[];
        documents: number;
        skippedKinds: Record<string, number>;
      } = { manifests: [], findings: [], documents: 0, skippedKinds: {} };
      for (const src of read.sources) {
        const r = loadText(src);
        for (const m of r.manifests) out.manifests.push(m);
        for (const f of r.findings) out.findings.push(f);
        out.documents += r.documents;
        for (const [k, n] of Object.entries(r.skippedKinds))
          out.skippedKinds[k] = (out.skippedKinds[k] ?? 0) + n;
      }
      return out;
    });
    gc?.();
    const graph = timed('resolveGraph', () => resolveGraph(loaded.manifests));
    const found: Finding[] = [];
    for (const rule of registeredRules)
      timed(
        rule.meta.id,
        () => {
          for (const f of runRules(graph, [rule])) found.push(f);
        },
        rules,
      );
    return { loaded, graph, found };
  };
  let run = once();
  for (round = 1; round < repeat; round++) run = once();
  const { loaded, graph, found } = run;
  const findings = timed('sortFindings', () =>
    sortFindings([...applyRuleSettings([...read.findings, ...loaded.findings], {}), ...found], read.order),
  );
  const summary = {
    errors: 0,
    warnings: 0,
    infos: 0,
    files: read.sources.length,
    documents: loaded.documents,
    objects: loaded.manifests.length,
    skippedKinds: loaded.skippedKinds,
  };
  timed('formatJson', () => formatJson(findings, summary));
  if (options.checkOnly) return result();
  timed('formatText', () =>
    formatText(findings, summary, {
      color: false,
      sources: new Map(read.sources.map((s) => [s.name, s.text])),
    }),
  );
  timed('formatSarif', () =>
    formatSarif(findings, {
      version: '0',
      informationUri: 'https://example.invalid',
      rules: [],
      cwd: process.cwd(),
    }),
  );
  timed('endpoints: slices JSON', () =>
    JSON.stringify(
      graph.services.flatMap((s) => s.slices),
      null,
      2,
    ),
  );
  timed('endpoints: slices text', () => formatEndpointSlicesText(graph.services.flatMap((s) => s.slices)));
  // As `graph` does it: workloads folded while building, then the larger folds.
  const simple = timed('graph: buildSimplifiedTopology', () =>
    buildSimplifiedTopology(graph, findings, { mode: 'auto' }),
  );
  timed('graph: json', () => {
    let characters = 0;
    for (const piece of formatTopologyJson(simple)) characters += piece.length;
    return characters;
  });
  return result();

  function result(): PhaseTimes {
    const ruleTotal = Object.values(rules).reduce((a, b) => a + b, 0);
    const ruleCpu = registeredRules.reduce((a, r) => a + (cpu[r.meta.id] ?? 0), 0);
    return {
      phases,
      rules,
      cpu,
      afterParseCpu: (cpu.resolveGraph ?? 0) + ruleCpu + (cpu.sortFindings ?? 0) + (cpu.formatJson ?? 0),
      afterParse:
        (phases.resolveGraph ?? 0) + ruleTotal + (phases.sortFindings ?? 0) + (phases.formatJson ?? 0),
      objects: loaded.manifests.length,
      findings: findings.length,
      heapUsedMB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    };
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const argv = process.argv.slice(2);
  const repeatAt = argv.indexOf('--repeat');
  const r = await measurePhases(
    argv.filter((a, i) => !a.startsWith('--') && !(repeatAt >= 0 && i === repeatAt + 1)),
    { checkOnly: argv.includes('--check-only'), repeat: repeatAt >= 0 ? Number(argv[repeatAt + 1]) : 1 },
  );
  if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(r)}\n`);
  else {
    const row = (k: string, v: number, c = r.cpu[k]) =>
      `${v.toFixed(3).padStart(9)} s  ${c === undefined ? '        -' : c.toFixed(3).padStart(9)} s cpu  ${k}\n`;
    let out = `objects ${r.objects}, findings ${r.findings}, heap ${r.heapUsedMB} MB\n      wall        cpu\n`;
    for (const [k, v] of Object.entries(r.phases)) out += row(k, v);
    out += 'rules:\n';
    for (const [k, v] of Object.entries(r.rules).sort((a, b) => b[1] - a[1])) out += row(k, v);
    out += row('after parse (resolveGraph + rules + sort + json)', r.afterParse, r.afterParseCpu);
    process.stdout.write(out);
  }
}
