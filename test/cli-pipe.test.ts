/**
 * Output into a pipe, through the real launcher (bin/portchain): a reader that stops early (`| head`) ends
 * the run quietly, and a reader slower than the output gets all of it, written as it reads (json-pieces.ts
 * pieces wait for the pipe instead of piling up in memory).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../bench/static/generate.js';
import { hasCommand, repoRoot } from './helpers/shared.js';

const bin = join(repoRoot, 'bin/portchain');
let dir = '';
let dump = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portchain-pipe-'));
  // About 2,000 objects: 0.7-4 MB of slices, tree and topology, more than a socket pair buffers (stdio pipes).
  dump = generate({ scale: 0.01, seed: 3, outDir: dir }).files.list[0] as string;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI with stdout a pipe; `reader` decides how it is read. */
function run(args: string[], reader: 'close-early' | 'slow'): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    if (reader === 'close-early') {
      child.stdout.once('data', (d: Buffer) => {
        stdout = d.toString();
        child.stdout.destroy();
      });
    } else {
      // Nothing is read for a second: the pipe fills and the writer must wait for it.
      child.stdout.pause();
      setTimeout(() => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
        });
        child.stdout.resume();
      }, 1000);
    }
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('output into a pipe', { timeout: 60_000 }, () => {
  for (const args of [
    ['endpoints', '--format', 'json'],
    ['graph', '--group', 'none', '--format', 'json'],
    ['graph', '--group', 'none', '--format', 'tree'],
  ]) {
    const what = args.join(' ');
    it(`${what}: a reader that stops early ends the run quietly`, async () => {
      const r = await run([...args, dump, '--no-config'], 'close-early');
      expect(r.stdout.length).toBeGreaterThan(0);
      expect(r.stderr).toBe('');
      expect([0, 1]).toContain(r.code);
    });
  }

  it.skipIf(!existsSync('/dev/full'))('output that cannot be written: a message and exit code 2', () => {
    for (const args of [
      ['check', '--format', 'json'],
      ['graph', '--group', 'none', '--format', 'json'],
    ]) {
      const full = openSync('/dev/full', 'w');
      const r = spawnSync(process.execPath, [bin, ...args, dump, '--no-config'], {
        stdio: ['ignore', full, 'pipe'],
        encoding: 'utf8',
      });
      closeSync(full);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toBe('portchain: cannot write the output: ENOSPC: no space left on device, write\n');
    }
  });

  for (const args of [
    ['endpoints', '--format', 'json'],
    ['graph', '--group', 'none', '--format', 'json'],
  ]) {
    const what = args.join(' ');
    it(`${what}: a slow reader gets all of it`, async () => {
      const whole = spawnSync(process.execPath, [bin, ...args, dump, '--no-config'], {
        encoding: 'utf8',
        maxBuffer: 1 << 30,
      });
      expect(whole.status).toBe(0);
      expect(whole.stdout.length).toBeGreaterThan(1 << 18);
      const r = await run([...args, dump, '--no-config'], 'slow');
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(whole.stdout);
    });
  }
});

const rootWhy =
  process.getuid?.() !== 0
    ? 'not root'
    : !hasCommand('ip') || !hasCommand('iptables-save')
      ? 'no ip or iptables'
      : null;

// `up --proxy-mode iptables` writes rules: in a network namespace of this test's own, so the host's stay untouched.
describe.skipIf(rootWhy !== null)('up, when the reader of its output goes away', { timeout: 60_000 }, () => {
  const NS = `pc-pipe-${process.pid % 100000}`;
  const inNs = (args: string[]) => execFileSync('ip', ['netns', 'exec', NS, ...args], { encoding: 'utf8' });
  const rules = () =>
    inNs(['iptables-save'])
      .split('\n')
      .filter((l) => l.includes('PORTCHAIN')).length;
  beforeAll(() => {
    spawnSync('ip', ['netns', 'del', NS]); // left by a run that was killed
    execFileSync('ip', ['netns', 'add', NS]);
    inNs(['ip', 'link', 'set', 'lo', 'up']);
  });
  afterAll(() => spawnSync('ip', ['netns', 'del', NS]));

  it('stops as on Ctrl-C at its next write, and removes its kernel rules', async () => {
    const app = join(dir, 'multi-port');
    cpSync(join(repoRoot, 'examples', 'multi-port'), app, { recursive: true });
    const up = [bin, 'up', app, '--watch', '--low-port-offset', '40000', '--proxy-mode', 'iptables'];
    const child = spawn('ip', ['netns', 'exec', NS, process.execPath, ...up], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // The first table: up is serving, its rules are in place. Then the reader goes away.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(rules()).toBeGreaterThan(0);
    child.stdout.destroy();
    // A change to the manifests makes up print its table again: that write finds the pipe closed. Changed
    // every half second until up exits, in case the watcher was not yet listening for the first change.
    const manifest = join(app, '0-sound.yaml');
    const sound = readFileSync(manifest, 'utf8');
    let n = 0;
    const change = setInterval(() => {
      n++;
      writeFileSync(manifest, sound.replace('replicas: 2', `replicas: ${n % 2 === 1 ? 1 : 2}`));
    }, 500);
    const code = await exited;
    clearInterval(change);
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(rules()).toBe(0);
  });

  it('stops the same way when the reader is gone before up has finished starting', () => {
    const app = join(dir, 'multi-port-early');
    cpSync(join(repoRoot, 'examples', 'multi-port'), app, { recursive: true });
    // `| true` reads nothing: the first table up prints, once its rules are in place, finds the pipe closed.
    const script = `"$0" "$1" up "$2" --low-port-offset 40000 --proxy-mode iptables | true`;
    const r = spawnSync('ip', ['netns', 'exec', NS, 'sh', '-c', script, process.execPath, bin, app], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(rules()).toBe(0);
  });
});
