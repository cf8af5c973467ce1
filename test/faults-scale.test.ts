/**
 * Many concurrent connections held through one Service of the kube-proxy, then released: no socket, file
 * descriptor or heap is left behind. The proxy runs here; the backend and the clients each run in a child
 * process, so each process stays under the open-file limit (the proxy needs two descriptors per connection).
 * `npm test` holds 500 connections; `npm run fuzz` (FUZZ_RUNS set) or RELIABILITY=1 holds 10,000 (as root the
 * open-file limit is raised for it; otherwise as many as the limit allows, printed).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startKubeProxy } from '../src/runtime/kube-proxy.js';
import { ep, planOf, svc } from './helpers/plan-builders.js';
import { heapAfterGc } from './helpers/shared.js';

const FULL = process.env.FUZZ_RUNS !== undefined || process.env.RELIABILITY === '1';
const openFds = () => readdirSync('/proc/self/fd').length;
const fdLimit = () =>
  Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 1024);

/**
 * For the full run, as root: raise this process's open-file limit (hard and soft, with util-linux prlimit) so
 * that 10,000 connections fit; the client and backend children inherit it. Without root, the limit stays and
 * the count is what it allows.
 */
function raiseFdLimit(wanted: number): void {
  if (fdLimit() >= wanted || process.getuid?.() !== 0) return;
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${wanted}:${wanted}`], {
      stdio: 'ignore',
    });
  } catch {
    // prlimit missing or refused: the count adapts to the limit there is.
  }
}

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** A child node process running `code`; resolves with it once it printed its first line. */
async function child(code: string): Promise<{ proc: ChildProcess; lines: AsyncIterator<string> }> {
  const proc = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  closers.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  const queue: string[] = [];
  let wake: (() => void) | null = null;
  let buf = '';
  proc.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      queue.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
    }
    wake?.();
  });
  const lines: AsyncIterator<string> = {
    next: async () => {
      while (queue.length === 0) {
        if (proc.exitCode !== null) return { done: true, value: undefined };
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 200);
        });
        wake = null;
      }
      return { done: false, value: queue.shift() as string };
    },
  };
  return { proc, lines };
}

const stop = (proc: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('close', () => resolve());
    proc.kill('SIGKILL');
  });

const next = async (lines: AsyncIterator<string>) => (await lines.next()).value as string;

const BACKEND = `
const net = require('net');
const held = new Set();
const s = net.createServer((c) => { held.add(c); c.on('close', () => held.delete(c)); c.on('error', () => {}); c.write('hi\\n'); });
s.listen(45400, '127.91.4.1', 1024, () => console.log('up'));
process.stdin.on('data', () => console.log('open ' + held.size));
`;

const clients = (n: number) => `
const net = require('net');
const socks = [];
let greeted = 0;
async function open() {
  for (let i = 0; i < ${n}; i += 250) {
    const batch = [];
    for (let j = i; j < Math.min(${n}, i + 250); j++) batch.push(new Promise((resolve) => {
      const s = net.connect({ host: '127.92.4.1', port: 45401 });
      s.on('error', (e) => { console.log('error ' + e.code); resolve(); });
      s.once('data', () => { greeted++; resolve(); });
      socks.push(s);
    }));
    await Promise.all(batch);
  }
  console.log('held ' + greeted);
}
process.stdin.on('data', async () => {
  await Promise.all(socks.map((s) => new Promise((r) => { if (s.destroyed) return r(); s.on('close', r); s.destroy(); })));
  console.log('released');
});
console.log('ready');
open();
`;

describe('many concurrent connections through one Service', () => {
  it(
    'are all carried and held, then released with no leaked socket, descriptor or heap',
    async () => {
      const plan = planOf('127.90.0.1', [
        svc('held', '127.92.4.1', 45401, [{ ...ep('127.91.4.1', 45400), pod: 'b' }], { namespace: 'scale' }),
      ]);
      const backend = await child(BACKEND);
      expect(await next(backend.lines)).toBe('up');
      const kp = await startKubeProxy(plan);
      closers.push(() => kp.close());

      // Warm up (first-use allocations are not a leak), then measure.
      const warm = await child(clients(50));
      expect(await next(warm.lines)).toBe('ready');
      expect(await next(warm.lines)).toBe('held 50');
      warm.proc.stdin?.write('close\n');
      expect(await next(warm.lines)).toBe('released');
      await stop(warm.proc); // its stdio pipes are descriptors of this process too
      // The warm-up's sockets close asynchronously: wait until the count is steady.
      let fds0 = openFds();
      for (let steady = 0; steady < 5; ) {
        await new Promise((r) => setTimeout(r, 100));
        const now = openFds();
        steady = now === fds0 ? steady + 1 : 0;
        fds0 = now;
      }
      const heap0 = heapAfterGc();
      if (FULL) raiseFdLimit(2 * 10_000 + fds0 + 1000);
      const n = FULL ? Math.min(10_000, Math.floor((fdLimit() - fds0 - 300) / 2)) : 500;

      const c = await child(clients(n));
      expect(await next(c.lines)).toBe('ready');
      expect(await next(c.lines)).toBe(`held ${n}`);
      const fdsHeld = openFds();
      // The proxy holds both sides of every connection.
      expect(fdsHeld - fds0).toBeGreaterThanOrEqual(2 * n);
      backend.proc.stdin?.write('count\n');
      expect(await next(backend.lines)).toBe(`open ${n + 0}`);

      c.proc.stdin?.write('close\n');
      expect(await next(c.lines)).toBe('released');
      await stop(c.proc);
      const end = Date.now() + 15_000;
      while (openFds() > fds0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      const fds1 = openFds();
      backend.proc.stdin?.write('count\n');
      const backendOpen = await next(backend.lines);
      const heap1 = heapAfterGc();
      const growth = heap1 - heap0;
      console.log(
        `held ${n} connections through the kube-proxy (fd limit ${fdLimit()}): fds ${fds0} -> ${fdsHeld} -> ${fds1}; backend ${backendOpen} after release; heap ${(heap0 / 1e6).toFixed(1)} MB -> ${(heap1 / 1e6).toFixed(1)} MB`,
      );
      expect(fds1).toBeLessThanOrEqual(fds0);
      expect(backendOpen).toBe('open 0');
      // No per-connection state kept: a leak of even 1 KB per connection would show at 10,000.
      expect(growth).toBeLessThan(Math.max(4e6, n * 400));
    },
    FULL ? 300_000 : 60_000,
  );
});
