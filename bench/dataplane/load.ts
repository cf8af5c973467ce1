/** The load generators of the data-plane benchmark: bulk TCP throughput and TCP connection rate. */
import net from 'node:net';

export interface Throughput {
  readonly bytes: number;
  readonly seconds: number;
  /** Gbit/s. */
  readonly gbps: number;
}

/** Reads from `host:port` (a source that streams) over one connection for `ms`, after a short warm-up. */
export function tcpThroughput(host: string, port: number, ms: number, warmupMs = 300): Promise<Throughput> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    let bytes = 0;
    let started = 0;
    let done = false;
    s.on('data', (d: Buffer) => {
      if (started) bytes += d.length;
    });
    s.on('error', (e) => {
      if (!done) reject(e);
    });
    s.once('connect', () => {
      setTimeout(() => {
        started = performance.now();
        setTimeout(() => {
          done = true;
          const seconds = (performance.now() - started) / 1000;
          s.destroy();
          resolve({ bytes, seconds, gbps: (bytes * 8) / seconds / 1e9 });
        }, ms);
      }, warmupMs);
    });
  });
}

export interface ConnectionRate {
  readonly connections: number;
  readonly failures: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/**
 * Connect, send one byte, read the one-byte answer, close: as many as `concurrency` loops manage in `ms`.
 * Each connection binds `localAddress` so that the client's ephemeral ports are per target.
 */
export function connectionRate(
  host: string,
  port: number,
  ms: number,
  concurrency = 16,
  localAddress?: string,
): Promise<ConnectionRate> {
  return new Promise((resolve) => {
    let connections = 0;
    let failures = 0;
    let stop = false;
    let running = concurrency;
    const started = performance.now();
    const loop = (): void => {
      if (stop) {
        running--;
        if (running === 0) {
          const seconds = (performance.now() - started) / 1000;
          resolve({ connections, failures, seconds, perSecond: connections / seconds });
        }
        return;
      }
      const s = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
      let ok = false;
      s.once('connect', () => s.write('.'));
      s.once('data', () => {
        ok = true;
        connections++;
        s.destroy();
      });
      s.on('error', () => undefined);
      s.once('close', () => {
        if (!ok) failures++;
        loop();
      });
    };
    for (let i = 0; i < concurrency; i++) loop();
    setTimeout(() => {
      stop = true;
    }, ms);
  });
}
