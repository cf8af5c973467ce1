/**
 * A dump bigger than Node's default heap allows: the launcher (bin/portchain) sizes the heap from the inputs
 * and runs the command in a child Node with a larger limit, instead of V8 aborting with "heap out of memory".
 * Exercised with a heap cut to 40 MB and a 17 MB generated dump, which needs several times that. A run that
 * outgrows any heap ends with a message and exit code 2, not V8's report and native stack trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../bench/static/generate.js';
import { FatalReportFilter, launchFlags, oldSpaceStartMB, wantedHeapMB } from '../src/cli/heap.js';
import { repoRoot } from './helpers/shared.js';

describe('wantedHeapMB', () => {
  it.each([
    // input bytes, current limit MB, machine MB, wanted
    [10 * 2 ** 20, 4144, 24_000, null], // small input: the default stands
    [171 * 2 ** 20, 4144, 24_000, null], // 1x YAML fits the default
    [651 * 2 ** 20, 4144, 24_000, 5208], // 4x YAML: 8x its size
    [1516 * 2 ** 20, 4144, 24_000, 12_128], // 4x JSON
    [1516 * 2 ** 20, 4144, 8_000, 6400], // never past 80% of the machine
    [1516 * 2 ** 20, 4144, 4_000, null], // a machine smaller than the default: nothing to gain
  ])('%d bytes with a %d MB heap on %d MB -> %s', (bytes, current, machine, want) => {
    expect(wantedHeapMB(bytes, current, machine)).toBe(want);
  });
});

describe('oldSpaceStartMB', () => {
  it.each([
    // JSON bytes, YAML bytes, MB: 2 per JSON byte, 6 per YAML byte
    [0, 0, 0],
    [379 * 2 ** 20, 0, 758], // 1x JSON
    [0, 651 * 2 ** 20, 3906], // 4x YAML
    [100 * 2 ** 20, 100 * 2 ** 20, 800], // both forms in one run
  ])('%d JSON and %d YAML bytes -> %d MB', (json, yaml, mb) => {
    expect(oldSpaceStartMB({ json, yaml })).toBe(mb);
  });
});

describe('launchFlags', () => {
  const yaml = (mb: number) => ({ json: 0, yaml: mb * 2 ** 20 });
  const json = (mb: number) => ({ json: mb * 2 ** 20, yaml: 0 });
  it.each([
    [yaml(10), []], // small: Node's defaults, no child
    [yaml(68), []], // 0.4x YAML: starting the old generation large gained nothing there
    [yaml(171), ['--initial-old-space-size=1026']], // 1x YAML: not the young generation (it gained nothing there)
    // 2x YAML: a larger young generation, and an old one started at its expected size
    [yaml(326), ['--max-semi-space-size=64', '--initial-old-space-size=1956']],
    [json(379), ['--max-semi-space-size=64', '--initial-old-space-size=758']], // 1x JSON
    // 4x YAML: all three, the limit raised to twice the start (V8 starts at no more than half the limit)
    [yaml(651), ['--max-old-space-size=7812', '--max-semi-space-size=64', '--initial-old-space-size=3906']],
    // 4x JSON: the limit for the input already leaves room
    [json(1516), ['--max-old-space-size=12128', '--max-semi-space-size=64', '--initial-old-space-size=3032']],
  ])('%j -> %j', (input, flags) => {
    expect(launchFlags(input, 4144, 24_000)).toEqual(flags);
  });

  it('starts the old generation at no more than half the heap limit, which stays under 80% of the machine', () => {
    // 2x YAML under a 1 GB limit on a machine too small to raise it: started at half the limit.
    expect(launchFlags(yaml(326), 1000, 1200)).toEqual([
      '--max-semi-space-size=64',
      '--initial-old-space-size=500',
    ]);
    // 4x YAML on an 8 GB machine: the limit is raised to 80% of it, short of twice the expected size.
    expect(launchFlags(yaml(651), 4144, 8000)).toEqual([
      '--max-old-space-size=6400',
      '--max-semi-space-size=64',
      '--initial-old-space-size=3200',
    ]);
  });

  it('a young or initial old generation the user sized stands; a heap limit too small for the input is raised', () => {
    const given = '--max-semi-space-size=8 --max-old-space-size=1000';
    expect(launchFlags(yaml(651), 1000, 24_000, given)).toEqual([
      '--max-old-space-size=7812',
      '--initial-old-space-size=3906',
    ]);
    // With the start given, the limit is raised only as far as the input needs.
    expect(launchFlags(yaml(651), 1000, 24_000, `${given} --initial-old-space-size=500`)).toEqual([
      '--max-old-space-size=5208',
    ]);
    expect(
      launchFlags(yaml(326), 4144, 24_000, '--max-semi-space-size=8 --initial-old-space-size=500'),
    ).toEqual([]);
    expect(launchFlags(json(379), 4144, 24_000, '--initial-heap-size=700')).toEqual([
      '--max-semi-space-size=64',
    ]);
  });
});

describe('a dump past the default heap', () => {
  let dir: string;
  let file: string;
  let planted: number;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'portchain-heap-'));
    const g = generate({ scale: 0.1, seed: 3, outDir: dir, forms: ['list'] });
    file = g.files.list[0] as string;
    planted = g.planted.length;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (env: Record<string, string> = {}) =>
    spawnSync(
      process.execPath,
      ['--max-old-space-size=40', join(repoRoot, 'bin/portchain'), 'check', file, '--format', 'json'],
      { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 2 ** 20 },
    );

  it('is checked in a child with a larger heap: findings, exit 1, no crash', () => {
    const r = run();
    expect(r.stderr).not.toMatch(/heap out of memory|FATAL ERROR/);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { summary: { objects: number }; findings: { rule: string }[] };
    expect(out.summary.objects).toBe(19_064);
    // The generated dump holds exactly its planted mistakes (bench/static/generate.ts).
    expect(out.findings).toHaveLength(planted);
  });

  it('without the launcher sizing the heap, V8 aborts: the case it exists for', () => {
    const r = run({ PORTCHAIN_HEAP_SIZED: '1' });
    expect(r.status === 134 || r.signal === 'SIGABRT').toBe(true);
    expect(r.stderr).toMatch(/heap out of memory/);
  });
});

describe("FatalReportFilter: V8's fatal report held back from what the child writes", () => {
  const report = [
    '',
    '<--- Last few GCs --->',
    '',
    '[2808:0x20359ec0]   117387 ms: Mark-Compact 3218.5 (4143.8) -> 3216.6 (4141.3) MB',
    '',
    '<--- JS stacktrace --->',
    '',
    'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
    '----- Native stack trace -----',
    '',
    ' 1: 0xb78db3 node::OOMErrorHandler(char const*, v8::OOMDetails const&) [node]',
    '',
  ].join('\n');
  const progress =
    '\r\x1b[Kportchain: loading 1 file (8.2 MB)\r\x1b[Kportchain: rules 3/25 (host-port) on 1,200 objects';

  it('passes everything before the report on, wherever the chunks are cut, and keeps the report whole', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.nat(progress.length + report.length)), (crash, cuts) => {
        const text = crash ? progress + report : progress;
        const at = [...new Set(cuts.map((c) => Math.min(c, text.length)))].sort((a, b) => a - b);
        let out = '';
        const f = new FatalReportFilter((s) => {
          out += s;
        });
        let from = 0;
        for (const c of [...at, text.length]) {
          f.push(text.slice(from, c));
          from = c;
        }
        f.end();
        // Nothing lost or added; the report held whole (its first newline may have gone on with a chunk).
        expect(out + (f.report ?? '')).toBe(text);
        expect([progress, `${progress}\n`]).toContain(out);
        if (crash) expect(f.report?.startsWith('<--- Last few GCs') || f.report === report).toBe(true);
        else expect(f.report).toBeNull();
        expect(f.midLine).toBe(!out.endsWith('\n'));
      }),
      { numRuns: 500 },
    );
  });

  it('holds back only what could start a report: a progress line is passed on at once', () => {
    let out = '';
    const f = new FatalReportFilter((s) => {
      out += s;
    });
    f.push(progress);
    expect(out).toBe(progress);
    f.push('\nportchain: nothing could be read\n');
    expect(f.midLine).toBe(false);
    // Words inside a line are someone's (a finding quoting a name), not V8's report.
    const finding = 'pods.yaml:3:9: error [api-validation] name "FATAL ERROR: x" is invalid\n';
    f.push(finding);
    // A line that starts like a report is held only until it is clearly not one.
    f.push('<--- Last');
    const before = `${progress}\nportchain: nothing could be read\n${finding}`;
    expect(out).toBe(before);
    f.push(' words, not a report\n');
    expect(out).toBe(`${before}<--- Last words, not a report\n`);
    expect(f.report).toBeNull();
  });
});

describe('a run that outgrows its heap', () => {
  it('ends with what happened and what to do, exit 2, no V8 report or stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portchain-oom-'));
    try {
      // 1,023 Services, each selecting the pods that carry a different subset of ten labels; Deployment j
      // (8 replicas) carries the labels of the bits of j, so every Service selects other pods, and each has
      // its own endpoint pass (EndpointSlices hold an endpoint per Service and pod): 472,000 pairs, 0.16 GB
      // for 0.8 MB of input, more than a 40 MB heap holds. Padded to 4 MiB, from where the launcher always
      // uses a child.
      const bits = (n: number) => [...Array(10).keys()].filter((b) => n & (1 << b));
      const docs: string[] = [];
      for (let j = 0; j < 1024; j++) {
        const labels = [`        d: "${j}"`, ...bits(j).map((b) => `        a${b}: "y"`)].join('\n');
        docs.push(
          `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-${j}\nspec:\n  replicas: 8\n  selector:\n    matchLabels:\n      d: "${j}"\n  template:\n    metadata:\n      labels:\n${labels}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.27\n        ports:\n        - name: http-web\n          containerPort: 80\n`,
        );
      }
      for (let i = 1; i < 1024; i++) {
        const selector = bits(i).map((b) => `    a${b}: "y"`);
        docs.push(
          `apiVersion: v1\nkind: Service\nmetadata:\n  name: s-${i}\nspec:\n  selector:\n${selector.join('\n')}\n  ports:\n  - name: http\n    port: 80\n    targetPort: http-web\n`,
        );
      }
      const file = join(dir, 'pairs.yaml');
      writeFileSync(file, docs.join('---\n').padEnd(4 * 2 ** 20, '\n'));
      // The kubectl plugin goes through the same launcher.
      for (const bin of ['portchain', 'kubectl-portchain']) {
        const r = spawnSync(
          process.execPath,
          ['--max-old-space-size=40', join(repoRoot, 'bin', bin), 'check', file, '--format', 'json'],
          { encoding: 'utf8', env: { ...process.env, CI: 'true' } },
        );
        expect(r.status, bin).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(
          /^portchain: out of memory: checking 4\.0 MB of input needed more than the 40 MB heap it had\.\n {2}What to do: /,
        );
        expect(r.stderr).not.toMatch(/FATAL ERROR|Last few GCs|stack trace|0x[0-9a-f]{6}/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
