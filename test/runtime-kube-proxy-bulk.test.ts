/**
 * The kube-proxy's bulk relay path on real loopback sockets: a backend that streams moves the connection
 * from a 64 KiB read buffer to a larger one, and reused buffers, slow readers (back-pressure) and
 * connections running side by side must still deliver every byte in order, with exact byte counts.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type KubeProxy, startKubeProxy } from '../src/runtime/kube-proxy.js';
import type { ClusterPlan } from '../src/runtime/plan.js';
import { ep, planOf, svc } from './helpers/plan-builders.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** Deterministic bytes that differ at every offset of a 64 KiB or 1 MiB buffer (a mix-up shows). */
function pattern(seed: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size + 3);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < size; i += 4) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out.writeUInt32LE(x, i);
  }
  return out.subarray(0, size);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A backend that reads a one-byte seed, streams `size` bytes of pattern(seed) in odd-sized writes, ends. */
async function source(host: string, size: number): Promise<number> {
  const server = net.createServer((s) => {
    s.on('error', () => s.destroy());
    s.once('data', (d: Buffer) => {
      const data = pattern(d[0] ?? 0, size);
      let at = 0;
      const pump = (): void => {
        while (at < data.length) {
          const n = Math.min(data.length - at, 100_003);
          const more = s.write(data.subarray(at, at + n));
          at += n;
          if (!more) return;
        }
        s.end();
      };
      s.on('drain', pump);
      pump();
    });
  });
  await new Promise<void>((r) => server.listen({ host, port: 0 }, () => r()));
  closers.push(() => new Promise((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

/** Reads a whole stream for `seed`; `slow` pauses the reader now and then (back-pressure at the proxy). */
function fetch(host: string, port: number, seed: number, slow: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    const chunks: Buffer[] = [];
    let reads = 0;
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      if (slow && ++reads % 8 === 0) {
        s.pause();
        setTimeout(() => s.resume(), 5);
      }
    });
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
    s.write(Buffer.from([seed]));
  });
}

const plan = (clusterIP: string, port: number, podIp: string, podPort: number): ClusterPlan =>
  planOf('127.150.0.1', [svc('bulk', clusterIP, port, [ep(podIp, podPort)])]);

async function proxy(p: ClusterPlan): Promise<KubeProxy> {
  const k = await startKubeProxy(p, { shuffle: (l) => [...l] });
  closers.push(() => k.close());
  return k;
}

describe('kube-proxy bulk relay (large read buffers)', () => {
  it('delivers streams byte-exact, side by side, with slow and fast readers', async () => {
    const size = 6 * 1024 * 1024 + 12_345;
    const podPort = await source('127.151.0.1', size);
    const k = await proxy(plan('127.152.0.1', 47000, '127.151.0.1', podPort));
    const seeds = [1, 2, 3, 4];
    const got = await Promise.all(seeds.map((seed) => fetch('127.152.0.1', 47000, seed, seed % 2 === 0)));
    for (const [i, seed] of seeds.entries()) {
      expect(got[i]?.length).toBe(size);
      expect(sha(got[i] as Buffer)).toBe(sha(pattern(seed, size)));
    }
    // A second wave reuses the large buffers the first one gave back.
    const again = await fetch('127.152.0.1', 47000, 9, true);
    expect(sha(again)).toBe(sha(pattern(9, size)));
    const deadline = Date.now() + 5000;
    while ((k.stats()[0]?.active ?? 1) > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const s = k.stats()[0];
    expect(s?.active).toBe(0);
    expect(s?.total).toBe(5);
    // One seed byte up and `size` bytes down per connection.
    expect(s?.bytes).toBe(5 * (size + 1));
  });

  it('passes a short answer after a bulk one on the same listener, and a client that leaves early', async () => {
    const size = 4 * 1024 * 1024;
    const podPort = await source('127.151.0.2', size);
    const k = await proxy(plan('127.152.0.2', 47001, '127.151.0.2', podPort));
    const first = await fetch('127.152.0.2', 47001, 5, false);
    expect(sha(first)).toBe(sha(pattern(5, size)));
    // A client that reads a little and resets: the proxy drops the connection and keeps serving.
    await new Promise<void>((resolve) => {
      const s = net.connect({ host: '127.152.0.2', port: 47001 });
      s.on('error', () => undefined);
      s.once('data', () => {
        s.resetAndDestroy();
        resolve();
      });
      s.write(Buffer.from([6]));
    });
    const third = await fetch('127.152.0.2', 47001, 7, true);
    expect(sha(third)).toBe(sha(pattern(7, size)));
    const deadline = Date.now() + 5000;
    while ((k.stats()[0]?.active ?? 1) > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(k.stats()[0]?.active).toBe(0);
    expect(k.stats()[0]?.total).toBe(3);
  });
});
