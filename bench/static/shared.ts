/**
 * `npm run bench:shared`: many Services over the same pods, in many small files: the inputs whose cost grows
 * with Service x pod pairs rather than with their size (BENCHMARKS.md, stop 27). A folder of `--services N`
 * copies of examples/named-port/0-sound.yaml with their Deployment and Service named apart (a Deployment of
 * two nginx replicas labelled app=web, a Service selecting app=web by a named targetPort that resolves and
 * listens): N Services over the same 2N pods, N^2 Service-workload pairs, no finding. For each N it runs the
 * real CLI, `check --format json` (which must find nothing and count every object) and `graph --format json`
 * (drawn, or refused with exit 2 when its links would not fit the heap), and reports wall time, CPU and peak
 * RSS. The broken form targets 8081, where nginx-unprivileged does not listen and no container declares a
 * port: every one of the N^2 links breaks the same way, and `check` must give exactly one
 * target-port-not-listening and one target-port-undeclared finding per Service (stop 28: it gave one per
 * Service and workload, N^2). The misnamed form targets `http-wbe`, a name no container defines: one
 * target-port-name-unresolved finding per Service.
 *
 * Usage: node bench-dist/bench/static/shared.js [--services 1000,5000] [--rounds 3]
 * Results: a table on stdout and bench-output/shared.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../stats.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const OUT = join(ROOT, 'bench-output');

/** The example every file copies: a Namespace, a Deployment `web` and a Service `web`. */
const EXAMPLE = join(ROOT, 'examples', 'named-port', '0-sound.yaml');

type Form = 'sound' | 'broken' | 'misnamed';

/** The example with its Deployment and Service named `web-<i>` (the Namespace stays one). */
function fileOf(example: string, i: number, form: Form): string {
  const body = example.slice(example.indexOf('---\n') + 4).replace(/^ {2}name: web$/gm, `  name: web-${i}`);
  if (form === 'sound') return body;
  return body.replace(
    'targetPort: http-web',
    form === 'broken' ? 'targetPort: 8081' : 'targetPort: http-wbe',
  );
}

/** The folder for N Services, written once (a marker file says it is complete). */
function inputFor(n: number, form: Form): string {
  const dir = join(OUT, form === 'sound' ? `shared-${n}` : `shared-${n}-${form}`);
  const done = join(dir, '.complete');
  if (existsSync(done)) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const example = readFileSync(EXAMPLE, 'utf8');
  writeFileSync(join(dir, 'namespace.yaml'), example.slice(0, example.indexOf('---\n')));
  for (let i = 0; i < n; i++)
    writeFileSync(join(dir, `m${String(i).padStart(5, '0')}.yaml`), fileOf(example, i, form));
  writeFileSync(done, '');
  return dir;
}

interface Run {
  readonly wall: number;
  readonly cpu: number;
  readonly rssMB: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** One CLI run under /usr/bin/time: wall, CPU (user + system) and peak RSS from its report. */
function cli(args: readonly string[]): Run {
  const timeFile = join(OUT, 'shared.time');
  const t = performance.now();
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', '%U %S %M', '-o', timeFile, process.execPath, join(ROOT, 'bin', 'portchain'), ...args],
    { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1' } },
  );
  const wall = (performance.now() - t) / 1000;
  const [user, sys, rssKB] =
    readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
  return {
    wall,
    cpu: (user ?? Number.NaN) + (sys ?? Number.NaN),
    rssMB: (rssKB ?? Number.NaN) / 1024,
    code: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
  };
}

interface Row {
  readonly services: number;
  readonly form: Form;
  readonly command: 'check' | 'graph';
  readonly walls: number[];
  readonly wall: number;
  readonly cpu: number;
  readonly rssMB: number;
  readonly outcome: string;
}

/** The findings `check` must give per rule: none in the sound input, one per Service and rule in the broken. */
const EXPECTED: Record<Form, readonly string[]> = {
  sound: [],
  broken: ['target-port-not-listening', 'target-port-undeclared'],
  misnamed: ['target-port-name-unresolved'],
};

/** `check` must give exactly the expected findings and count every object; anything else fails the bench. */
function checkOutcome(r: Run, n: number, form: Form): string {
  const report = JSON.parse(r.stdout) as { findings: { rule: string }[]; summary: { objects: number } };
  const byRule = new Map<string, number>();
  for (const f of report.findings) byRule.set(f.rule, (byRule.get(f.rule) ?? 0) + 1);
  const expected = EXPECTED[form];
  const exact = byRule.size === expected.length && expected.every((rule) => byRule.get(rule) === n);
  if (r.code !== 0 || !exact || report.summary.objects !== 2 * n + 1)
    throw new Error(
      `check of ${n} Services (${form}): exit ${r.code}, findings ${JSON.stringify(Object.fromEntries(byRule))}, ${report.summary.objects} objects`,
    );
  return expected.length === 0
    ? `no finding, ${report.summary.objects} objects`
    : `${report.findings.length} findings (${n} per rule), ${report.summary.objects} objects`;
}

/** `graph` draws (exit 0), or refuses a drawing too big for the heap (exit 2, with its message). */
function graphOutcome(r: Run, n: number): string {
  if (r.code === 0) return 'drawn';
  if (r.code === 2 && r.stderr.includes('cannot draw:')) return 'refused: too big for the heap';
  throw new Error(`graph of ${n} Services: exit ${r.code}: ${r.stderr.slice(0, 500)}`);
}

function main(argv: readonly string[]): number {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sizes = (arg('--services') ?? '1000,5000').split(',').map(Number);
  const rounds = Number(arg('--rounds') ?? 3);
  if (sizes.some((n) => !(n > 0)) || !(rounds > 0) || !existsSync('/usr/bin/time')) {
    process.stderr.write('usage: shared.js [--services 1000,5000] [--rounds 3] (needs /usr/bin/time)\n');
    return 2;
  }
  const rows: Row[] = [];
  const runsOf = [
    ['sound', 'check'],
    ['sound', 'graph'],
    ['broken', 'check'],
    ['misnamed', 'check'],
  ] as const;
  for (const n of sizes) {
    for (const [form, command] of runsOf) {
      const dir = inputFor(n, form);
      const runs: Run[] = [];
      let outcome = '';
      for (let k = 0; k < rounds; k++) {
        const r = cli([
          command,
          dir,
          '--format',
          'json',
          '--no-config',
          ...(command === 'check' ? ['--fail-on', 'never'] : []),
        ]);
        outcome = command === 'check' ? checkOutcome(r, n, form) : graphOutcome(r, n);
        runs.push(r);
      }
      rows.push({
        services: n,
        form,
        command,
        walls: runs.map((r) => Math.round(r.wall * 100) / 100),
        wall: median(runs.map((r) => r.wall)),
        cpu: median(runs.map((r) => r.cpu)),
        rssMB: Math.max(...runs.map((r) => r.rssMB)),
        outcome,
      });
    }
  }
  const lines = [
    'Services  pods    form      command  wall s (median)  cpu s  peak RSS MB  rounds (wall s)     outcome',
    ...rows.map(
      (r) =>
        `${String(r.services).padEnd(9)} ${String(2 * r.services).padEnd(7)} ${r.form.padEnd(9)} ${r.command.padEnd(8)} ${r.wall.toFixed(2).padEnd(16)} ${r.cpu.toFixed(2).padEnd(6)} ${Math.round(r.rssMB).toString().padEnd(12)} ${r.walls.join(', ').padEnd(19)} ${r.outcome}`,
    ),
    `machine: ${cpus().length} x ${cpus()[0]?.model.trim() ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GB, node ${process.version}, load average at the end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  writeFileSync(join(OUT, 'shared.json'), `${JSON.stringify({ rows }, null, 2)}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
