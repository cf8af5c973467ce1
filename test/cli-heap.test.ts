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
import { launchFlags, wantedHeapMB } from '../src/cli/heap.js';
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

describe('launchFlags', () => {
  it.each([
    [10 * 2 ** 20, []], // small: Node's defaults, no child
    [171 * 2 ** 20, []], // 1x YAML: the defaults (a larger young generation gained nothing there)
    [326 * 2 ** 20, ['--max-semi-space-size=64']], // 2x YAML: a larger young generation only
    [651 * 2 ** 20, ['--max-old-space-size=5208', '--max-semi-space-size=64']], // 4x YAML: both
  ])('%d bytes -> %j', (bytes, flags) => {
    expect(launchFlags(bytes, 4144, 24_000)).toEqual(flags);
  });

  it('a young generation the user sized stands; a heap limit too small for the input is raised', () => {
    const given = '--max-semi-space-size=8 --max-old-space-size=1000';
    expect(launchFlags(651 * 2 ** 20, 1000, 24_000, given)).toEqual(['--max-old-space-size=5208']);
    expect(launchFlags(326 * 2 ** 20, 4144, 24_000, '--max-semi-space-size=8')).toEqual([]);
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
