/**
 * The peers of the data-plane benchmark (socat, haproxy, nginx, wrk; Debian packages), child processes and
 * the machine description. Every child runs in its own process group and is killed with it on exit.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const children = new Set<ChildProcess>();

function killAll(): void {
  for (const c of children) {
    try {
      if (c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });

export interface Child {
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `command` in a process group of its own; resolves once `ready` printed on stdout (or after `waitMs`
 * when `ready` is null). stdin stays open so that node children exit when this process goes.
 */
export function start(
  command: string,
  args: readonly string[],
  ready: string | null,
  waitMs = 300,
): Promise<Child> {
  const child = spawn(command, args, { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        children.delete(child);
        resolve();
        return;
      }
      child.once('exit', () => {
        children.delete(child);
        resolve();
      });
      child.stdin?.end();
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      setTimeout(() => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 2000).unref();
    });
  return new Promise((resolve, reject) => {
    const fail = (why: string) => reject(new Error(`${command} ${why}: ${err.trim().slice(0, 500)}`));
    child.once('error', (e) => fail(e.message));
    child.once('exit', (code) => fail(`exited with ${code}`));
    const timer = setTimeout(() => fail('did not get ready in 15 s'), 15_000);
    if (ready === null) {
      setTimeout(() => {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ process: child, stop });
      }, waitMs);
      return;
    }
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(ready)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ process: child, stop });
      }
    });
  });
}

/** The first line `command args` prints (stdout or stderr), or null when it is not installed. */
export function versionOf(command: string, args: readonly string[], pattern: RegExp): string | null {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error) return null;
  const m = pattern.exec(`${r.stdout}\n${r.stderr}`);
  return m?.[1] ?? null;
}

export function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/** Installs the missing Debian packages when root (the script's promise); returns what is still missing. */
export function ensurePackages(packages: Readonly<Record<string, string>>): string[] {
  const missing = Object.entries(packages).filter(([cmd]) => !has(cmd));
  if (missing.length > 0 && process.getuid?.() === 0) {
    const names = missing.map(([, pkg]) => pkg);
    process.stderr.write(`installing ${names.join(' ')} with apt-get...\n`);
    spawnSync('apt-get', ['install', '-y', '-q', ...names], { stdio: 'ignore' });
    if (missing.some(([cmd]) => !has(cmd))) {
      spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore' });
      spawnSync('apt-get', ['install', '-y', '-q', ...names], { stdio: 'ignore' });
    }
  }
  return Object.keys(packages).filter((cmd) => !has(cmd));
}

export interface Machine {
  readonly nproc: number;
  readonly cpu: string;
  readonly node: string;
  readonly kernel: string;
  readonly tools: Readonly<Record<string, string | null>>;
  readonly load: string;
}

export function machine(): Machine {
  const sh = (c: string) => {
    try {
      return execFileSync('sh', ['-c', c], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  return {
    nproc: Number(sh('nproc')) || cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    kernel: sh('uname -r'),
    load: sh('cat /proc/loadavg'),
    tools: {
      socat: versionOf('socat', ['-V'], /socat version ([\d.]+)/),
      haproxy: versionOf('haproxy', ['-v'], /HAProxy version ([\w.-]+)/),
      nginx: versionOf('nginx', ['-v'], /nginx\/([\d.]+)/),
      wrk: versionOf('wrk', ['-v'], /wrk (?:debian\/)?([\w.+-]+)/),
      iptables: versionOf('iptables', ['--version'], /iptables (v[\d.]+ \(\w+\))/),
      nft: versionOf('nft', ['--version'], /nftables (v[\d.]+)/),
    },
  };
}

export interface WrkResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

const toMs = (v: string, unit: string): number =>
  Number(v) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 1);

/** `wrk -t1 -c<c> -d<s> --latency -H 'Host: host' url`, parsed. */
export function wrk(url: string, host: string, seconds: number, connections: number): WrkResult {
  const r = spawnSync(
    'wrk',
    ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-H', `Host: ${host}`, url],
    { encoding: 'utf8', timeout: (seconds + 20) * 1000 },
  );
  const out = r.stdout ?? '';
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /\s50%\s+([\d.]+)(us|ms|s|m)/.exec(out);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s|m)/.exec(out);
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (!rps || !p99 || !p50) throw new Error(`wrk output not understood:\n${out}\n${r.stderr}`);
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: toMs(p50[1] as string, p50[2] as string),
    p99Ms: toMs(p99[1] as string, p99[2] as string),
    errors: (errs ? errs.slice(1).reduce((a, b) => a + Number(b), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0),
  };
}

const TICKS_PER_SECOND = 100;

/**
 * CPU seconds used by the processes of group `pgid` (all threads), plus what its leader's reaped children
 * used (socat forks one per connection). A proxy's own cost, much less disturbed by a busy machine than
 * throughput is.
 */
export function groupCpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name: state ppid pgrp ... utime(12) stime(13) cutime(14) cstime(15).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) !== pgid) continue;
    ticks += Number(f[11]) + Number(f[12]);
    if (Number(entry) === pgid) ticks += Number(f[13]) + Number(f[14]);
  }
  return ticks / TICKS_PER_SECOND;
}
