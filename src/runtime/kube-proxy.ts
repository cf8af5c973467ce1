/**
 * The kube-proxy of `portchain up`, after the userspace proxier (pkg/proxy/userspace): one listener per
 * Service port and address (clusterIP:port, 127.0.0.1:nodePort, the load balancer address:port), round robin
 * over a shuffled list of ready endpoints (roundrobin.go), dial timeouts of 250 ms, 500 ms, 1 s and 2 s moving
 * to the next endpoint on failure (proxysocket.go tryConnect), ClientIP session affinity with a TTL, and UDP
 * flows per client address with an idle timeout. A Service port without a ready endpoint has no listener, so
 * connections are refused, as the iptables proxier's REJECT rule does.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { ClusterPlan, PlanEndpoint, PlanService } from './plan.js';
import type { ServicePortTraffic } from './stats.js';

/** Bytes read from a backend at a time at first (libuv's own read size). */
const READ_BUFFER_BYTES = 64 * 1024;
/**
 * Bytes read at a time once a read filled the first buffer (a bulk transfer): fewer, larger reads and writes
 * cost the proxy about half the CPU per GB of 64 KiB ones (bench/dataplane/ab.ts --bare onread:...).
 */
const BULK_READ_BUFFER_BYTES = 1024 * 1024;
/** Read buffers of closed connections, reused by new ones (no allocation per connection), by size. */
const readBuffers: Buffer[] = [];
const bulkReadBuffers: Buffer[] = [];
const READ_BUFFER_POOL = 256;
const BULK_READ_BUFFER_POOL = 16;

function takeReadBuffer(bulk: boolean): Buffer {
  return bulk
    ? (bulkReadBuffers.pop() ?? Buffer.allocUnsafe(BULK_READ_BUFFER_BYTES))
    : (readBuffers.pop() ?? Buffer.allocUnsafe(READ_BUFFER_BYTES));
}

function giveReadBuffer(buffer: Buffer): void {
  if (buffer.length === BULK_READ_BUFFER_BYTES) {
    if (bulkReadBuffers.length < BULK_READ_BUFFER_POOL) bulkReadBuffers.push(buffer);
  } else if (readBuffers.length < READ_BUFFER_POOL) readBuffers.push(buffer);
}

/** proxysocket.go EndpointDialTimeouts. */
export const ENDPOINT_DIAL_TIMEOUTS_MS: readonly number[] = [250, 500, 1000, 2000];
/** kube-proxy's --udp-timeout default. */
export const DEFAULT_UDP_IDLE_TIMEOUT_MS = 250;

export interface KubeProxyOptions {
  readonly udpIdleTimeoutMs?: number;
  /** Shuffles an endpoint list (tests pass the identity). */
  readonly shuffle?: <T>(list: readonly T[]) => T[];
}

interface Target {
  readonly ip: string;
  readonly port: number;
  /** `ip:port`, the byEndpoint key (built once per endpoint, not per connection). */
  readonly key: string;
}

/** A proxied TCP connection, kept while open so that live byte counts cost nothing per packet. */
interface Conn {
  readonly client: net.Socket;
  backend: net.Socket | null;
}

/**
 * The live-traffic counters of one Service port (stats.ts ServicePortTraffic), shared by its listeners.
 * Plain integers bumped per connection or per datagram; TCP bytes are read from the sockets' own counters
 * when a snapshot is taken, so the data path does no bookkeeping per packet.
 */
class PortCounters {
  total = 0;
  failed = 0;
  /** Bytes of connections already closed, and of UDP datagrams. */
  bytes = 0;
  udpFlows = 0;
  readonly byEndpoint = new Map<string, number>();
  readonly open = new Set<Conn>();

  sent(t: Target): void {
    this.byEndpoint.set(t.key, (this.byEndpoint.get(t.key) ?? 0) + 1);
  }

  closed(c: Conn): void {
    if (!this.open.delete(c)) return;
    this.bytes += c.client.bytesRead + (c.backend?.bytesRead ?? 0);
  }

  snapshot(): Pick<ServicePortTraffic, 'active' | 'total' | 'failed' | 'bytes' | 'byEndpoint'> {
    let bytes = this.bytes;
    for (const c of this.open) bytes += c.client.bytesRead + (c.backend?.bytesRead ?? 0);
    return {
      active: this.open.size + this.udpFlows,
      total: this.total,
      failed: this.failed,
      bytes,
      byEndpoint: Object.fromEntries(this.byEndpoint),
    };
  }
}

/** One Service port's balancer (LoadBalancerRR): shared by its clusterIP, nodePort and LB listeners. */
class Balancer {
  private list: Target[] = [];
  private index = 0;
  private key = '';
  private readonly affinity = new Map<string, { target: Target; last: number }>();
  readonly counters = new PortCounters();
  constructor(
    private readonly shuffle: <T>(list: readonly T[]) => T[],
    public affinityTtlMs: number | null,
  ) {}

  setEndpoints(targets: readonly Target[]): void {
    const key = targets
      .map((t) => t.key)
      .sort()
      .join(',');
    if (key === this.key) return;
    this.key = key;
    this.list = this.shuffle(targets);
    this.index = 0; // the index is reset when endpoints change
    this.affinity.clear();
  }

  get size(): number {
    return this.list.length;
  }

  /** The next endpoint; `clientIp` is asked for only with ClientIP affinity (getpeername is a syscall). */
  next(clientIp: () => string, resetAffinity: boolean): Target | undefined {
    if (this.list.length === 0) return undefined;
    const t = this.list[this.index % this.list.length] as Target;
    if (this.affinityTtlMs === null) {
      this.index = (this.index + 1) % this.list.length;
      return t;
    }
    const now = Date.now();
    const ip = clientIp();
    if (!resetAffinity) {
      const a = this.affinity.get(ip);
      if (a && now - a.last < this.affinityTtlMs && this.list.includes(a.target)) {
        a.last = now;
        return a.target;
      }
    }
    this.index = (this.index + 1) % this.list.length;
    this.affinity.set(ip, { target: t, last: now });
    return t;
  }
}

export function shuffled<T>(list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

interface Listener {
  readonly key: string;
  /** The Service port it carries (its balancer's key). */
  readonly balancer: string;
  readonly drop: boolean;
  close(): Promise<void>;
}

const noop = (): void => undefined;

/**
 * Relays one accepted connection to a backend (proxysocket.go ProxyLoop → tryConnect → proxyTCP). Dials go
 * to balancer.next() with the 250 ms → 2 s timeouts; a failed dial resets affinity and moves to the next
 * endpoint; when all fail the client is reset (counted as failed). Bytes are relayed by hand (write, pause on
 * back-pressure, resume on drain), which is what pipe() does minus its per-chunk event plumbing. Each
 * direction's FIN is passed on by itself (half-close, as a DNAT'ed connection in the iptables proxier keeps
 * it; the Go userspace proxier closed both on the first EOF, which loses a reply after a client's shutdown).
 */
function relay(conn: Conn, balancer: Balancer): void {
  const client = conn.client;
  const counters = balancer.counters;
  const clientIp = (): string => client.remoteAddress ?? '';
  const attempt = (n: number, reset: boolean): void => {
    const t = n < ENDPOINT_DIAL_TIMEOUTS_MS.length ? balancer.next(clientIp, reset) : undefined;
    if (client.destroyed) return;
    if (!t) {
      counters.failed++;
      client.resetAndDestroy();
      return;
    }
    // Backend → client (the bulk direction) reads into a pooled buffer (onread) instead of a new buffer per
    // read; reading waits while a write still holds the buffer. A read that fills the buffer marks a bulk
    // transfer, which moves on to a larger buffer (the buffer function is asked again after every read).
    let buffer = takeReadBuffer(false);
    let holding = false;
    let bulk = false;
    const released = (): void => {
      if (!holding) return;
      holding = false;
      backend.resume();
    };
    const backend = net.connect({
      host: t.ip,
      port: t.port,
      allowHalfOpen: true,
      noDelay: true,
      onread: {
        buffer: (): Buffer => {
          if (bulk && !holding && buffer.length !== BULK_READ_BUFFER_BYTES) {
            giveReadBuffer(buffer);
            buffer = takeReadBuffer(true);
          }
          return buffer;
        },
        callback: (n: number, buf: Uint8Array): boolean => {
          if (n === buf.length) bulk = true;
          client.write(buf.subarray(0, n), released);
          if (client.writableLength === 0) return true;
          holding = true;
          return false;
        },
      },
    });
    let connected = false;
    const timer = setTimeout(() => backend.destroy(), ENDPOINT_DIAL_TIMEOUTS_MS[n]);
    backend.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      if (client.destroyed) {
        backend.destroy();
        return;
      }
      conn.backend = backend;
      counters.sent(t);
      splice(client, backend);
      backend.once('end', () => client.end());
      client.resume();
    });
    backend.on('error', noop);
    backend.once('close', (hadError) => {
      clearTimeout(timer);
      // No write holds the buffer any more: the next connection reads into it.
      if (!holding) giveReadBuffer(buffer);
      // A clean close means both FINs were passed on: the client side closes itself once flushed. A reset
      // is passed on as a reset.
      if (connected) {
        if (hadError && !client.destroyed) client.resetAndDestroy();
      } else attempt(n + 1, true); // a failed dial resets session affinity
    });
  };
  attempt(0, false);
}

/** One direction of proxyTCP's copy loop: bytes from `from` to `to`, with back-pressure and FIN passed on. */
function splice(from: net.Socket, to: net.Socket): void {
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.once('end', () => to.end());
}

function tcpListener(w: Wanted, balancer: Balancer): Promise<Listener> {
  const { key, host, port } = w;
  const conns = new Set<Conn>();
  const counters = balancer.counters;
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true }, (client) => {
    const conn: Conn = { client, backend: null };
    counters.total++;
    counters.open.add(conn);
    conns.add(conn);
    client.on('error', noop);
    client.once('close', (hadError) => {
      conns.delete(conn);
      counters.closed(conn);
      const backend = conn.backend;
      if (backend === null) return; // a dial in flight sees client.destroyed
      if (hadError && !backend.destroyed) backend.resetAndDestroy();
    });
    // DROP: nothing answers, nothing is forwarded; the client times out (here after its connect: a listener
    // cannot drop a SYN, so the silence starts one step later than with the kernel's DROP).
    if (w.drop) counters.failed++;
    else relay(conn, balancer);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.removeListener('error', reject);
      resolve({
        key,
        balancer: w.balancer,
        drop: w.drop,
        close: () =>
          new Promise<void>((done) => {
            for (const c of conns) {
              c.client.destroy();
              c.backend?.destroy();
            }
            server.close(() => done());
          }),
      });
    });
  });
}

function udpListener(w: Wanted, balancer: Balancer, idleMs: number): Promise<Listener> {
  const { key, host, port } = w;
  const socket = dgram.createSocket('udp4');
  const counters = balancer.counters;
  interface Flow {
    readonly backend: dgram.Socket;
    timer: NodeJS.Timeout;
  }
  const flows = new Map<string, Flow>();
  const drop = (client: string) => {
    const f = flows.get(client);
    if (!f) return;
    flows.delete(client);
    counters.udpFlows--;
    clearTimeout(f.timer);
    try {
      f.backend.close();
    } catch {
      // already closed
    }
  };
  socket.on('message', (msg, rinfo) => {
    const client = `${rinfo.address}:${rinfo.port}`;
    let f = flows.get(client);
    if (!f && w.drop) {
      // DROP: the datagram goes nowhere, as kube-proxy's "has no local endpoints" rule.
      counters.total++;
      counters.failed++;
      return;
    }
    if (!f) {
      counters.total++;
      const t = balancer.next(() => rinfo.address, false);
      if (!t) {
        counters.failed++;
        return;
      }
      counters.sent(t);
      counters.udpFlows++;
      const backend = dgram.createSocket('udp4');
      backend.on('error', () => drop(client));
      // Replies go back to the client from the Service address (one reply path per client).
      backend.on('message', (reply) => {
        counters.bytes += reply.length;
        socket.send(reply, rinfo.port, rinfo.address);
        const flow = flows.get(client);
        if (flow) flow.timer.refresh();
      });
      backend.connect(t.port, t.ip);
      f = { backend, timer: setTimeout(() => drop(client), idleMs) };
      flows.set(client, f);
    }
    counters.bytes += msg.length;
    f.timer.refresh(); // the idle timeout is reset on every packet
    const flow = f;
    const send = () => flow.backend.send(msg, () => undefined);
    try {
      send();
    } catch {
      flow.backend.once('connect', send);
    }
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: host, port }, () => {
      socket.removeListener('error', reject);
      resolve({
        key,
        balancer: w.balancer,
        drop: w.drop,
        close: () =>
          new Promise<void>((done) => {
            for (const c of [...flows.keys()]) drop(c);
            socket.close(() => done());
          }),
      });
    });
  });
}

export interface KubeProxy {
  /** Applies a new plan: listeners that stay keep their connections; new ones open, stale ones close. */
  update(plan: ClusterPlan): Promise<void>;
  close(): Promise<void>;
  /** `TCP 127.96.0.1:80` for every open listener. */
  listening(): string[];
  /** Listeners that could not open (a port in use, a privileged port), one sentence each. */
  readonly problems: string[];
  /** Live traffic per Service port of the plan (TCP, UDP and SCTP ports; those without listeners count 0). */
  stats(): readonly ServicePortTraffic[];
}

interface Wanted {
  readonly key: string;
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
  readonly balancer: string;
  /** A Local traffic policy with no local ready endpoint: kube-proxy DROPs this address's traffic. */
  readonly drop: boolean;
}

const usable = (e: PlanEndpoint) => e.ready;

/** A Service port's identity across plans (its counters and balancer survive an update). */
const balancerKey = (svc: PlanService, i: number): string => {
  const p = svc.ports[i];
  return `${svc.namespace}/${svc.name}:${p?.port ?? i}/${p?.protocol ?? ''}`;
};

const EMPTY = { active: 0, total: 0, failed: 0, bytes: 0, byEndpoint: {} } as const;

export async function startKubeProxy(plan: ClusterPlan, options: KubeProxyOptions = {}): Promise<KubeProxy> {
  const shuffle = options.shuffle ?? shuffled;
  const idleMs = options.udpIdleTimeoutMs ?? DEFAULT_UDP_IDLE_TIMEOUT_MS;
  const balancers = new Map<string, Balancer>();
  const listeners = new Map<string, Listener>();
  const problems: string[] = [];
  let closed = false;

  const wantedOf = (svc: PlanService): Wanted[] => {
    const out: Wanted[] = [];
    svc.ports.forEach((p, i) => {
      const bKey = balancerKey(svc, i);
      let b = balancers.get(bKey);
      const ttl = svc.sessionAffinity === 'ClientIP' ? svc.affinityTimeoutSeconds * 1000 : null;
      if (!b) {
        b = new Balancer(shuffle, ttl);
        balancers.set(bKey, b);
      }
      b.affinityTtlMs = ttl;
      b.setEndpoints(
        p.endpoints.filter(usable).map((e) => ({ ip: e.ip, port: e.dialPort, key: `${e.ip}:${e.dialPort}` })),
      );
      // REJECT: no usable endpoint, no listener (the connection is refused).
      if (b.size === 0) return;
      if (p.protocol !== 'TCP' && p.protocol !== 'UDP') return; // SCTP is not carried
      const add = (host: string, port: number, drop: boolean) =>
        out.push({
          key: `${p.protocol} ${host}:${port}`,
          protocol: p.protocol,
          host,
          port,
          balancer: bKey,
          drop,
        });
      // internalTrafficPolicy governs clusterIP traffic, externalTrafficPolicy node ports and load balancers.
      const internalDrop = p.noLocalEndpoints?.internal === true;
      const externalDrop = p.noLocalEndpoints?.external === true;
      if (svc.clusterIP) add(svc.clusterIP, p.listenPort, internalDrop);
      if (p.nodePort !== null) add(plan.node, p.nodePort, externalDrop);
      if (svc.loadBalancerIP) add(svc.loadBalancerIP, p.listenPort, externalDrop);
    });
    return out;
  };

  const apply = async (next: ClusterPlan) => {
    plan = next;
    const wanted = new Map<string, Wanted>();
    for (const s of next.services) for (const w of wantedOf(s)) if (!wanted.has(w.key)) wanted.set(w.key, w);
    const kept = new Set(next.services.flatMap((s) => s.ports.map((_, i) => balancerKey(s, i))));
    for (const k of [...balancers.keys()]) if (!kept.has(k)) balancers.delete(k);
    // A listener whose address now belongs to another Service port is replaced too.
    const stale = [...listeners.values()].filter((l) => {
      const w = wanted.get(l.key);
      return w?.balancer !== l.balancer || w.drop !== l.drop;
    });
    for (const l of stale) listeners.delete(l.key);
    await Promise.all(stale.map((l) => l.close()));
    problems.length = 0;
    await Promise.all(
      [...wanted.values()]
        .filter((w) => !listeners.has(w.key))
        .map(async (w) => {
          const b = balancers.get(w.balancer) as Balancer;
          try {
            const l = w.protocol === 'UDP' ? await udpListener(w, b, idleMs) : await tcpListener(w, b);
            if (closed) await l.close();
            else listeners.set(w.key, l);
          } catch (e) {
            // Name the port and the Service that wanted it (as the userspace proxier's "Port conflict detected").
            const err = e as NodeJS.ErrnoException;
            const why =
              err.code === 'EADDRINUSE'
                ? 'the port is already in use by another process'
                : err.code === 'EACCES'
                  ? 'binding it is not permitted (a port below 1024 needs root; see --low-port-offset)'
                  : err.message;
            problems.push(`${w.key}, wanted by Service ${w.balancer}: ${why}`);
          }
        }),
    );
  };

  await apply(plan);
  return {
    update: apply,
    problems,
    listening: () => [...listeners.keys()],
    stats: () => {
      const out: ServicePortTraffic[] = [];
      for (const svc of plan.services) {
        if (svc.clusterIP === null) continue; // headless and ExternalName: kube-proxy carries nothing
        svc.ports.forEach((p, i) => {
          const b = balancers.get(balancerKey(svc, i));
          const protocol = p.protocol === 'UDP' || p.protocol === 'SCTP' ? p.protocol : 'TCP';
          const counted = b ? b.counters.snapshot() : EMPTY;
          out.push({ namespace: svc.namespace, name: svc.name, port: p.port, protocol, ...counted });
        });
      }
      return out;
    },
    close: async () => {
      closed = true;
      const all = [...listeners.values()];
      listeners.clear();
      await Promise.all(all.map((l) => l.close()));
    },
  };
}
