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
}

/** One Service port's balancer (LoadBalancerRR): shared by its clusterIP, nodePort and LB listeners. */
class Balancer {
  private list: Target[] = [];
  private index = 0;
  private key = '';
  private readonly affinity = new Map<string, { target: Target; last: number }>();
  constructor(
    private readonly shuffle: <T>(list: readonly T[]) => T[],
    public affinityTtlMs: number | null,
  ) {}

  setEndpoints(targets: readonly Target[]): void {
    const key = targets
      .map((t) => `${t.ip}:${t.port}`)
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

  next(clientIp: string, resetAffinity: boolean): Target | undefined {
    if (this.list.length === 0) return undefined;
    const now = Date.now();
    if (this.affinityTtlMs !== null && !resetAffinity) {
      const a = this.affinity.get(clientIp);
      if (a && now - a.last < this.affinityTtlMs && this.list.includes(a.target)) {
        a.last = now;
        return a.target;
      }
    }
    const t = this.list[this.index % this.list.length] as Target;
    this.index = (this.index + 1) % this.list.length;
    if (this.affinityTtlMs !== null) this.affinity.set(clientIp, { target: t, last: now });
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

function dial(t: Target, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: t.ip, port: t.port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('dial timeout'));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      s.destroy();
      reject(e);
    });
  });
}

interface Listener {
  readonly key: string;
  close(): Promise<void>;
}

function tcpListener(key: string, host: string, port: number, balancer: Balancer): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    void (async () => {
      const clientIp = client.remoteAddress ?? '';
      let reset = false;
      for (const timeout of ENDPOINT_DIAL_TIMEOUTS_MS) {
        const t = balancer.next(clientIp, reset);
        if (!t || client.destroyed) break;
        try {
          const backend = await dial(t, timeout);
          sockets.add(backend);
          backend.on('close', () => sockets.delete(backend));
          // proxyTCP: copy both ways; when either side ends, close both.
          backend.on('error', () => client.destroy());
          client.on('error', () => backend.destroy());
          backend.on('close', () => client.destroy());
          client.on('close', () => backend.destroy());
          client.pipe(backend);
          backend.pipe(client);
          client.resume();
          return;
        } catch {
          reset = true; // a failed dial resets session affinity
        }
      }
      client.resetAndDestroy();
    })();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.removeListener('error', reject);
      resolve({
        key,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

function udpListener(
  key: string,
  host: string,
  port: number,
  balancer: Balancer,
  idleMs: number,
): Promise<Listener> {
  const socket = dgram.createSocket('udp4');
  interface Flow {
    readonly backend: dgram.Socket;
    timer: NodeJS.Timeout;
  }
  const flows = new Map<string, Flow>();
  const drop = (client: string) => {
    const f = flows.get(client);
    if (!f) return;
    flows.delete(client);
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
    if (!f) {
      const t = balancer.next(rinfo.address, false);
      if (!t) return;
      const backend = dgram.createSocket('udp4');
      backend.on('error', () => drop(client));
      // Replies go back to the client from the Service address (one reply path per client).
      backend.on('message', (reply) => {
        socket.send(reply, rinfo.port, rinfo.address);
        const flow = flows.get(client);
        if (flow) flow.timer.refresh();
      });
      backend.connect(t.port, t.ip);
      f = { backend, timer: setTimeout(() => drop(client), idleMs) };
      flows.set(client, f);
    }
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
}

interface Wanted {
  readonly key: string;
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
  readonly balancer: string;
}

const usable = (e: PlanEndpoint) => e.ready;

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
      const bKey = `${svc.namespace}/${svc.name}:${i}`;
      let b = balancers.get(bKey);
      const ttl = svc.sessionAffinity === 'ClientIP' ? svc.affinityTimeoutSeconds * 1000 : null;
      if (!b) {
        b = new Balancer(shuffle, ttl);
        balancers.set(bKey, b);
      }
      b.affinityTtlMs = ttl;
      b.setEndpoints(p.endpoints.filter(usable).map((e) => ({ ip: e.ip, port: e.dialPort })));
      // REJECT: no usable endpoint, no listener (the connection is refused).
      if (b.size === 0) return;
      if (p.protocol !== 'TCP' && p.protocol !== 'UDP') return; // SCTP is not carried
      const add = (host: string, port: number) =>
        out.push({ key: `${p.protocol} ${host}:${port}`, protocol: p.protocol, host, port, balancer: bKey });
      if (svc.clusterIP) add(svc.clusterIP, p.listenPort);
      if (p.nodePort !== null) add(plan.node, p.nodePort);
      if (svc.loadBalancerIP) add(svc.loadBalancerIP, p.listenPort);
    });
    return out;
  };

  const apply = async (next: ClusterPlan) => {
    plan = next;
    const wanted = new Map<string, Wanted>();
    for (const s of next.services) for (const w of wantedOf(s)) if (!wanted.has(w.key)) wanted.set(w.key, w);
    const stale = [...listeners.values()].filter((l) => !wanted.has(l.key));
    for (const l of stale) listeners.delete(l.key);
    await Promise.all(stale.map((l) => l.close()));
    problems.length = 0;
    await Promise.all(
      [...wanted.values()]
        .filter((w) => !listeners.has(w.key))
        .map(async (w) => {
          const b = balancers.get(w.balancer) as Balancer;
          try {
            const l =
              w.protocol === 'UDP'
                ? await udpListener(w.key, w.host, w.port, b, idleMs)
                : await tcpListener(w.key, w.host, w.port, b);
            if (closed) await l.close();
            else listeners.set(w.key, l);
          } catch (e) {
            problems.push(`${w.key}: ${(e as Error).message}`);
          }
        }),
    );
  };

  await apply(plan);
  return {
    update: apply,
    problems,
    listening: () => [...listeners.keys()],
    close: async () => {
      closed = true;
      const all = [...listeners.values()];
      listeners.clear();
      await Promise.all(all.map((l) => l.close()));
    },
  };
}
