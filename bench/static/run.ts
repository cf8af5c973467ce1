/**
 * `npm run bench`: portchain's static analysis at cluster scale. For each size (1x = 150,000 Pods and
 * 10,000 Services) it generates the cluster (bench/static/generate.ts, cached in bench-output/), runs the real
 * CLI (`node bin/portchain check|endpoints|graph`) as a child process on it, and, in the same run, the `yaml`
 * library's parseAllDocuments + toJS and JSON.parse on the same files (child processes too). It reports wall
 * time, peak RSS, objects/s and MB/s, the ratios the targets are stated in, and verifies that exactly the
 * planted mistakes are found. Results: a table on stdout and bench-output/static.json.
 *
 * Usage: node --expose-gc bench-dist/bench/static/run.js [--sizes 1,2,4] [--quick] [--budget SECONDS]
 *          [--commands check,endpoints,graph] [--forms list,multidoc,json,compact,windows] [--baseline-sizes 1,2,4]
 *          [--json-baseline-sizes 1,2,4]
 *          [--seed N] [--rich] [--phases] [--rounds N]
 *
 * `--rounds N` measures every size N times, in rounds (1x, 2x, 4x, then again), and reports the median wall
 * and CPU time of each measurement with every round's wall time beside it: on a shared VM one run's time
 * varies 10-20%, enough to move the 4x/2x ratio either side of a target.
 *
 * Every timed run reads its input files once just before (warmInputs), so that it finds them in the page
 * cache: on this VM a cold read of the 1x JSON dump took 10 s (38 MB/s) and a cached one 0.06 s, and files
 * not read for a while are evicted. What is timed is then portchain's work, not the disk's.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../stats.js';
import { FORMS, type Form, type Generated, generate, type PlantedMistake } from './generate.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const OUT = join(ROOT, 'bench-output');
const HERE = join(ROOT, 'bench-dist/bench/static');
/** Bumped whenever the generator's output changes, so cached inputs are regenerated. */
const GENERATOR_VERSION = 4;
const COMMANDS = ['check', 'endpoints', 'graph'] as const;
type Command = (typeof COMMANDS)[number];
const TIME = '/usr/bin/time';
/** The reference parsers need far more heap than Node's default for 130 MB of YAML. */
const BASELINE_HEAP_MB = 16384;

// ---- options ----

interface Options {
  sizes: number[];
  /** Sizes at which the `yaml` library's parse is timed (it needs half an hour at 1x). */
  baselineSizes: number[] | 'all';
  /** Sizes at which JSON.parse is timed; the same as baselineSizes unless given. */
  jsonBaselineSizes: number[] | 'all';
  commands: Command[];
  forms: Form[];
  budget: number;
  seed: number;
  rich: boolean;
  phases: boolean;
  rounds: number;
}

function parseArgs(argv: readonly string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = (s: string) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const quick = argv.includes('--quick');
  const sizes = list(value('--sizes') ?? (quick ? '0.05,0.1' : '1,2,4')).map(Number);
  const baseline = value('--baseline-sizes');
  const sizesOf = (v: string | undefined): number[] | 'all' => (v ? list(v).map(Number) : 'all');
  const o: Options = {
    sizes,
    baselineSizes: sizesOf(baseline),
    jsonBaselineSizes: sizesOf(value('--json-baseline-sizes') ?? baseline),
    commands: list(value('--commands') ?? COMMANDS.join(',')) as Command[],
    forms: list(value('--forms') ?? (quick ? 'list,json' : 'list,multidoc,json,compact')) as Form[],
    budget: Number(value('--budget') ?? (quick ? 600 : 5400)),
    seed: Number(value('--seed') ?? 1),
    rich: argv.includes('--rich'),
    phases: argv.includes('--phases'),
    rounds: Number(value('--rounds') ?? 1),
  };
  const bad =
    o.sizes.some((s) => !(s > 0)) ||
    !(o.budget > 0) ||
    !(Number.isInteger(o.rounds) && o.rounds >= 1) ||
    o.commands.some((c) => !COMMANDS.includes(c)) ||
    o.forms.some((f) => !FORMS.includes(f)) ||
    !o.forms.includes('list');
  if (bad) {
    process.stderr.write(
      'usage: run.js [--sizes 1,2,4] [--quick] [--budget SECONDS] [--commands check,endpoints,graph] [--forms list,multidoc,json,compact,windows] [--baseline-sizes 1,2,4] [--json-baseline-sizes 1,2,4] [--seed N] [--rich] [--phases] [--rounds N]\n(the list form is always measured)\n',
    );
    process.exit(2);
  }
  return o;
}

// ---- time budget ----

class BudgetExceeded extends Error {}
let deadline = 0;
const remaining = () => Math.max(0, (deadline - Date.now()) / 1000);

/** Progress on a terminal only: a pipe or CI gets the results and nothing else. */
const progress = (s: string) => {
  if (process.stderr.isTTY && !process.env.CI) process.stderr.write(`[bench] ${s}\n`);
};

// ---- child processes ----

interface Usage {
  readonly wall: number;
  /** User + system CPU seconds: what the run cost, whatever else the machine was doing. */
  readonly cpu: number;
  readonly maxRssMB: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Reads `files` through one small buffer, so that the run timed next finds them in the page cache; says so
 * when that took long (they were not cached).
 */
function warmInputs(files: readonly string[], label: string): void {
  const buf = Buffer.allocUnsafe(1 << 20);
  const t = performance.now();
  for (const f of files) {
    const fd = openSync(f, 'r');
    try {
      while (readSync(fd, buf, 0, buf.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
  const seconds = (performance.now() - t) / 1000;
  if (seconds > 1) progress(`${label}: inputs read into the page cache first (${seconds.toFixed(1)} s)`);
}

/**
 * Runs `node args` with stdout to a file, measuring wall time here and peak RSS with /usr/bin/time -v (or, for
 * the CLI without it, process.resourceUsage() in the measure.js wrapper). Killed when the budget runs out.
 */
async function runNode(nodeArgs: string[], label: string, cliArgs?: string[]): Promise<Usage> {
  const dir = join(OUT, 'static', 'runs');
  mkdirSync(dir, { recursive: true });
  const stdoutFile = join(dir, `${label}.out`);
  const stderrFile = join(dir, `${label}.err`);
  const timeFile = join(dir, `${label}.time`);
  const usageFile = join(dir, `${label}.usage.json`);
  rmSync(usageFile, { force: true });
  const haveTime = existsSync(TIME);
  const args = cliArgs && !haveTime ? [join(HERE, 'measure.js'), ...cliArgs] : [...nodeArgs];
  const [cmd, argv] = haveTime
    ? [TIME, ['-v', '-o', timeFile, process.execPath, ...args]]
    : [process.execPath, args];
  const out = openSync(stdoutFile, 'w');
  const err = openSync(stderrFile, 'w');
  const limit = remaining();
  if (limit <= 0) throw new BudgetExceeded(label);
  const t = performance.now();
  const env = { ...process.env, PORTCHAIN_BENCH_USAGE: usageFile, NO_COLOR: '1' };
  const code = await new Promise<number | null>((done) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', out, err], env, cwd: ROOT });
    const timer = setTimeout(() => child.kill('SIGKILL'), limit * 1000);
    child.on('exit', (c, signal) => {
      clearTimeout(timer);
      done(signal === 'SIGKILL' && remaining() <= 0 ? -1 : c);
    });
  });
  const wall = (performance.now() - t) / 1000;
  closeSync(out);
  closeSync(err);
  if (code === -1) throw new BudgetExceeded(label);
  let maxRssMB = Number.NaN;
  let cpu = Number.NaN;
  if (haveTime && existsSync(timeFile)) {
    const t = readFileSync(timeFile, 'utf8');
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(t);
    if (m) maxRssMB = Number(m[1]) / 1024;
    const user = /User time \(seconds\): ([\d.]+)/.exec(t);
    const sys = /System time \(seconds\): ([\d.]+)/.exec(t);
    if (user && sys) cpu = Number(user[1]) + Number(sys[1]);
  } else if (existsSync(usageFile)) {
    const u = JSON.parse(readFileSync(usageFile, 'utf8')) as { maxRssKB: number; cpu: number };
    maxRssMB = u.maxRssKB / 1024;
    cpu = u.cpu;
  }
  return {
    wall,
    cpu,
    maxRssMB,
    code,
    stdout: readFileSync(stdoutFile, 'utf8').slice(0, 50_000_000),
    stderr: readFileSync(stderrFile, 'utf8').slice(0, 10_000),
  };
}

// ---- inputs ----

function inputFor(scale: number, o: Options): Generated {
  const dir = join(OUT, 'static', `scale-${scale}${o.rich ? '-rich' : ''}-seed-${o.seed}`);
  const meta = join(dir, 'generated.json');
  if (existsSync(meta)) {
    const g = JSON.parse(readFileSync(meta, 'utf8')) as Generated & { version: number };
    // A form added since these inputs were written has no files in them: then they are written again.
    const complete = o.forms.every((f) => {
      const files: readonly string[] | undefined = g.files[f];
      return files !== undefined && files.length > 0 && files.every((p) => existsSync(p));
    });
    if (g.version === GENERATOR_VERSION && complete) return g;
  }
  progress(`generating ${scale}x in ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  const g = generate({ scale, seed: o.seed, outDir: dir, forms: FORMS, rich: o.rich });
  writeFileSync(meta, JSON.stringify({ ...g, version: GENERATOR_VERSION }));
  return g;
}

// ---- verification ----

interface JsonFinding {
  rule: string;
  severity: string;
  object: { kind: string; namespace?: string; name: string } | null;
}

export interface Verification {
  readonly ok: boolean;
  readonly planted: number;
  readonly found: number;
  readonly missing: readonly string[];
  /** Errors and warnings of the planted rules on objects no mistake was planted in. */
  readonly unexpected: readonly string[];
  /** Every finding by rule and severity, for the record. */
  readonly byRule: Record<string, number>;
}

const objKey = (rule: string, o: { kind: string; namespace?: string; name: string }) =>
  `${rule} ${o.kind}/${o.namespace ?? ''}/${o.name}`;

export function verify(findings: readonly JsonFinding[], planted: readonly PlantedMistake[]): Verification {
  const counts = new Map<string, number>();
  const byRule: Record<string, number> = {};
  for (const f of findings) {
    byRule[`${f.rule} (${f.severity})`] = (byRule[`${f.rule} (${f.severity})`] ?? 0) + 1;
    if (!f.object || f.severity === 'info') continue;
    const k = objKey(f.rule, f.object);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const rules = new Set(planted.map((p) => p.rule));
  const expected = new Map(planted.map((p) => [objKey(p.rule, p.object), p.count]));
  const missing: string[] = [];
  let found = 0;
  for (const [k, n] of expected) {
    const got = counts.get(k) ?? 0;
    found += Math.min(got, n);
    if (got !== n) missing.push(`${k}: expected ${n}, found ${got}`);
  }
  const unexpected = [...counts]
    .filter(([k]) => rules.has(k.split(' ')[0] as string) && !expected.has(k))
    .map(([k, n]) => `${k} x${n}`);
  return {
    ok: missing.length === 0 && unexpected.length === 0,
    planted: expected.size,
    found,
    missing,
    unexpected,
    byRule,
  };
}

// ---- the run ----

interface Measurement {
  readonly size: number;
  readonly command: Command | 'yaml parseAllDocuments+toJS' | 'JSON.parse' | 'read + JSON.parse (process)';
  readonly form: Form;
  readonly files: number;
  readonly mb: number;
  readonly objects: number;
  readonly wall: number;
  readonly cpu: number;
  readonly maxRssMB: number;
  readonly objectsPerSecond: number;
  readonly mbPerSecond: number;
  readonly exit: number | null;
  readonly note?: string;
  /** With --rounds: each round's wall time, in round order (wall and cpu are their medians). */
  readonly rounds?: readonly number[];
}

interface SizeResult {
  readonly size: number;
  readonly counts: Generated['counts'];
  readonly mb: Record<Form, number>;
  readonly measurements: Measurement[];
  readonly verification: Partial<Record<Form, Verification>>;
  readonly ratios: Record<string, number>;
  readonly phases?: unknown;
}

const mbOf = (bytes: number) => bytes / 2 ** 20;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function measureSize(size: number, o: Options): Promise<SizeResult> {
  const g = inputFor(size, o);
  const measurements: Measurement[] = [];
  const verification: Partial<Record<Form, Verification>> = {};
  const objects = g.counts.objects;
  const record = (
    command: Measurement['command'],
    form: Form,
    u: { wall: number; cpu: number; maxRssMB: number; code: number | null },
    note?: string,
  ) => {
    const mb = mbOf(g.bytes[form]);
    const m: Measurement = {
      size,
      command,
      form,
      files: g.files[form].length,
      mb: round(mb, 1),
      objects,
      wall: round(u.wall, 2),
      cpu: round(u.cpu, 2),
      maxRssMB: Math.round(u.maxRssMB),
      objectsPerSecond: Math.round(objects / u.wall),
      mbPerSecond: round(mb / u.wall, 2),
      exit: u.code,
      ...(note ? { note } : {}),
    };
    measurements.push(m);
    progress(`${size}x ${command} (${form}): ${m.wall} s, ${m.maxRssMB} MB`);
    return m;
  };
  for (const form of o.forms) {
    // Every command on the list form (what `kubectl get -A -o yaml` gives); check alone on the others.
    const commands = form === 'list' ? o.commands : o.commands.filter((c) => c === 'check');
    for (const command of commands) {
      progress(`${size}x ${command} (${form}) ...`);
      const cli = [
        command,
        ...g.files[form],
        '--format',
        'json',
        '--no-config',
        ...(command === 'check' ? ['--fail-on', 'never'] : []),
      ];
      warmInputs(g.files[form], `${size}x ${command} (${form})`);
      const u = await runNode([join(ROOT, 'bin/portchain'), ...cli], `${size}x-${command}-${form}`, cli);
      let note: string | undefined;
      if (u.code !== 0) note = `exit ${u.code}: ${u.stderr.trim().split('\n').slice(-3).join(' | ')}`;
      else if (command === 'check') {
        try {
          const out = JSON.parse(u.stdout) as { findings: JsonFinding[] };
          verification[form] = verify(out.findings, g.planted);
        } catch (e) {
          note = `output is not JSON: ${(e as Error).message}`;
        }
      }
      record(command, form, u, note);
    }
  }
  const at = (sizes: number[] | 'all') => sizes === 'all' || sizes.includes(size);
  for (const [mode, form] of [
    ['yaml', 'list'],
    ['json', 'json'],
    ['json', 'compact'],
  ] as const) {
    if (!o.forms.includes(form) || !at(mode === 'yaml' ? o.baselineSizes : o.jsonBaselineSizes)) continue;
    progress(`${size}x ${mode} library parse (${form}) ...`);
    warmInputs(g.files[form], `${size}x ${mode} library parse`);
    const u = await runNode(
      [
        `--max-old-space-size=${BASELINE_HEAP_MB}`,
        '--expose-gc',
        join(HERE, 'baseline.js'),
        mode,
        ...g.files[form],
      ],
      `${size}x-baseline-${mode}`,
    );
    let parsed = { seconds: Number.NaN, cpuSeconds: Number.NaN, maxRssMB: Number.NaN };
    try {
      parsed = JSON.parse(u.stdout) as typeof parsed;
    } catch {
      // reported through the exit code below
    }
    record(
      mode === 'yaml' ? 'yaml parseAllDocuments+toJS' : 'JSON.parse',
      form,
      { wall: parsed.seconds, cpu: parsed.cpuSeconds, maxRssMB: u.maxRssMB, code: u.code },
      u.code === 0
        ? 'parse time only (reading the file excluded)'
        : `exit ${u.code}: ${u.stderr.trim().slice(-300)}`,
    );
    // What any program that reads the dump pays before its own work: start Node, read, decode, parse.
    if (mode === 'json')
      record(
        'read + JSON.parse (process)',
        form,
        { wall: u.wall, cpu: u.cpu, maxRssMB: u.maxRssMB, code: u.code },
        'the whole baseline process: Node starting, reading and decoding the file, JSON.parse',
      );
  }
  let phases: unknown;
  if (o.phases) {
    progress(`${size}x phases after parsing ...`);
    warmInputs(g.files.list, `${size}x phases`);
    const u = await runNode(
      ['--expose-gc', '--max-old-space-size=16384', join(HERE, 'phases.js'), ...g.files.list, '--json'],
      `${size}x-phases`,
    );
    try {
      phases = JSON.parse(u.stdout);
    } catch {
      phases = { error: u.stderr.slice(-500) };
    }
  }
  return {
    size,
    counts: g.counts,
    mb: Object.fromEntries(FORMS.map((f) => [f, round(mbOf(g.bytes[f]), 1)])) as Record<Form, number>,
    measurements,
    verification,
    ratios: ratiosOf(measurements),
    ...(phases ? { phases } : {}),
  };
}

/** The ratios the targets are stated in, from one size's measurements. */
function ratiosOf(measurements: readonly Measurement[]): Record<string, number> {
  const wall = (c: Measurement['command'], f: Form) =>
    measurements.find((m) => m.command === c && m.form === f && m.exit === 0)?.wall ?? Number.NaN;
  const cpu = (c: Measurement['command'], f: Form) =>
    measurements.find((m) => m.command === c && m.form === f && m.exit === 0)?.cpu ?? Number.NaN;
  const yaml = 'yaml parseAllDocuments+toJS';
  return {
    'check / yaml parse (list), wall': round(wall('check', 'list') / wall(yaml, 'list'), 3),
    'check / yaml parse (list), cpu': round(cpu('check', 'list') / cpu(yaml, 'list'), 3),
    'check json / JSON.parse, wall': round(wall('check', 'json') / wall('JSON.parse', 'json'), 3),
    'check json / JSON.parse, cpu': round(cpu('check', 'json') / cpu('JSON.parse', 'json'), 3),
    'check json / read + JSON.parse (process), wall': round(
      wall('check', 'json') / wall('read + JSON.parse (process)', 'json'),
      3,
    ),
    'check json / read + JSON.parse (process), cpu': round(
      cpu('check', 'json') / cpu('read + JSON.parse (process)', 'json'),
      3,
    ),
    'check compact json / JSON.parse, wall': round(
      wall('check', 'compact') / wall('JSON.parse', 'compact'),
      3,
    ),
  };
}

/**
 * One size's rounds as one result: per command and form, the median wall and CPU time over the rounds that
 * exited 0 (every round's wall time kept in `rounds`), the highest peak RSS; a verification that failed in
 * any round is the one reported.
 */
function mergeRounds(rounds: readonly SizeResult[]): SizeResult {
  const first = rounds[0] as SizeResult;
  if (rounds.length === 1) return first;
  const measurements = first.measurements.map((m) => {
    const all = rounds.flatMap((r) =>
      r.measurements.filter((x) => x.command === m.command && x.form === m.form),
    );
    const ok = all.filter((x) => x.exit === 0);
    if (ok.length === 0) return m;
    const wall = median(ok.map((x) => x.wall));
    const failed = all.find((x) => x.exit !== 0);
    return {
      ...m,
      wall: round(wall, 2),
      cpu: round(median(ok.map((x) => x.cpu)), 2),
      maxRssMB: Math.max(...ok.map((x) => x.maxRssMB)),
      objectsPerSecond: Math.round(m.objects / wall),
      mbPerSecond: round(m.mb / wall, 2),
      exit: failed ? failed.exit : 0,
      ...(failed?.note ? { note: failed.note } : {}),
      rounds: all.map((x) => x.wall),
    };
  });
  const verification: Partial<Record<Form, Verification>> = {};
  for (const form of FORMS) {
    const vs = rounds.map((r) => r.verification[form]).filter((v): v is Verification => v !== undefined);
    const shown = vs.find((v) => !v.ok) ?? vs[0];
    if (shown) verification[form] = shown;
  }
  return { ...first, measurements, verification, ratios: ratiosOf(measurements) };
}

function scaling(results: readonly SizeResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  const sorted = [...results].sort((a, b) => a.size - b.size);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1] as SizeResult;
    const b = sorted[i] as SizeResult;
    for (const m of b.measurements) {
      if (!COMMANDS.includes(m.command as Command)) continue;
      const prev = a.measurements.find((x) => x.command === m.command && x.form === m.form);
      if (!prev) continue;
      if (prev.exit !== 0 || m.exit !== 0) continue;
      const label = `${m.command} ${m.form} ${b.size}x / ${a.size}x (input x${round(b.size / a.size)})`;
      out[`${label}, wall`] = round(m.wall / prev.wall, 3);
      out[`${label}, cpu`] = round(m.cpu / prev.cpu, 3);
    }
  }
  return out;
}

function table(results: readonly SizeResult[]): string {
  const head = [
    'size',
    'command',
    'form',
    'files',
    'MB',
    'objects',
    'wall s',
    'cpu s',
    'peak RSS MB',
    'objects/s',
    'MB/s',
    'exit',
  ];
  const rows = results.flatMap((r) =>
    r.measurements.map((m) => [
      `${m.size}x`,
      m.command,
      m.form,
      String(m.files),
      m.mb.toFixed(1),
      String(m.objects),
      Number.isFinite(m.wall) ? m.wall.toFixed(2) : '-',
      Number.isFinite(m.cpu) ? m.cpu.toFixed(2) : '-',
      Number.isFinite(m.maxRssMB) ? String(m.maxRssMB) : '-',
      Number.isFinite(m.objectsPerSecond) ? String(m.objectsPerSecond) : '-',
      Number.isFinite(m.mbPerSecond) ? m.mbPerSecond.toFixed(2) : '-',
      String(m.exit),
    ]),
  );
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `${cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ')}\n`;
  return line(head) + line(widths.map((w) => '-'.repeat(w))) + rows.map(line).join('');
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  deadline = Date.now() + o.budget * 1000;
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
    process.stderr.write('bench: dist/ is missing; run `npm run bench` (it builds first)\n');
    return 2;
  }
  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGB: round(totalmem() / 2 ** 30, 1),
    loadAverage: loadavg().map((x) => round(x, 2)),
    peakRss: existsSync(TIME) ? '/usr/bin/time -v' : 'process.resourceUsage() in bench/static/measure.ts',
  };
  const results: SizeResult[] = [];
  let aborted: string | undefined;
  const started = Date.now();
  // Rounds interleave the sizes, so a slow spell of the machine does not fall on one size only.
  const bySize = new Map<number, SizeResult[]>(o.sizes.map((s) => [s, []]));
  measuring: for (let n = 1; n <= o.rounds; n++) {
    for (const size of o.sizes) {
      try {
        if (o.rounds > 1) progress(`round ${n} of ${o.rounds}`);
        bySize.get(size)?.push(await measureSize(size, o));
      } catch (e) {
        if (!(e instanceof BudgetExceeded)) throw e;
        aborted = `bench: time budget of ${o.budget} s exhausted at ${size}x in round ${n} (during ${e.message}); results so far are kept. Rerun with a larger --budget, fewer --sizes or fewer --rounds.`;
        break measuring;
      }
    }
  }
  for (const rs of bySize.values()) if (rs.length > 0) results.push(mergeRounds(rs));
  const report = {
    date: new Date().toISOString(),
    machine,
    options: o,
    seconds: round((Date.now() - started) / 1000, 1),
    results,
    scaling: scaling(results),
    ...(aborted ? { aborted } : {}),
  };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'static.json'), `${JSON.stringify(report, null, 2)}\n`);
  let text = table(results);
  for (const r of results) {
    for (const [k, v] of Object.entries(r.ratios))
      text += `${r.size}x ${k}: ${Number.isFinite(v) ? v : '-'}\n`;
    for (const m of r.measurements)
      if (m.rounds) text += `${r.size}x ${m.command} (${m.form}) wall per round: ${m.rounds.join(', ')} s\n`;
    for (const [form, v] of Object.entries(r.verification)) {
      text += `${r.size}x planted mistakes (${form}): ${v.ok ? 'OK' : 'MISMATCH'}, ${v.found}/${v.planted} found, ${v.unexpected.length} unexpected\n`;
      for (const m of [...v.missing, ...v.unexpected].slice(0, 10)) text += `  ${m}\n`;
    }
  }
  for (const [k, v] of Object.entries(report.scaling)) text += `scaling ${k}: ${v}\n`;
  text += `machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGB} GB, node ${machine.node}, load average at start ${machine.loadAverage.join(' ')}\n`;
  text += `written: ${join('bench-output', 'static.json')}\n`;
  process.stdout.write(text);
  if (aborted) {
    process.stderr.write(`${aborted}\n`);
    return 1;
  }
  const failed = results.some((r) => Object.values(r.verification).some((v) => !v.ok));
  return failed ? 1 : 0;
}

process.exitCode = await main();
