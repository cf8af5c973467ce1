/**
 * A dump bigger than Node's default heap allows: the launcher (bin/portchain) sizes the heap from the inputs
 * and runs the command in a child Node with a larger limit, instead of V8 aborting with "heap out of memory".
 * Exercised with a heap cut to 40 MB and a 17 MB generated dump, which needs several times that.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../bench/static/generate.js';
import { launchFlags, oldSpaceStartMB, wantedHeapMB } from '../src/cli/heap.js';
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
