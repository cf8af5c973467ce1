/**
 * The "kubelet" of `portchain up`: starts the simulated process of every container of the plan, bound where the
 * plan says (pod loopback IP : the port graph.listening found). Unknown images run nothing (reported once per
 * image). CoreDNS runs its whoami plugin, or cluster DNS when it is given a Corefile (see coredns.ts).
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { DnsRecords } from '../dns.js';
import type { ClusterPlan, PlanContainer, PlanPod } from '../plan.js';
import { type RunningDns, startClusterDns, startWhoamiDns } from './coredns.js';
import { SIMULATED_IMAGES } from './http-images.js';

export interface RunningPods {
  /** `ns/pod container image → 127.1.0.1:80` per bound port. */
  readonly listening: readonly string[];
  /** One sentence each: unknown images, processes that exit, ports that could not be bound. */
  readonly notes: readonly string[];
  close(): Promise<void>;
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}

/** CoreDNS's DNS port(s): 53 (or -dns.port), whatever graph.listening found for the dns ports. */
function dnsBinds(c: PlanContainer): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  for (const b of c.binds) {
    if (b.port === 9153 || b.port === 8080 || b.port === 8181) continue; // metrics, health, ready
    out.set(b.listenPort, new Set([...(out.get(b.listenPort) ?? []), b.protocol]));
  }
  return out;
}

/** What a pod runs: a changed spec (or address) means its processes restart. */
const podSpecKey = (pod: PlanPod) => JSON.stringify([pod.ip, pod.containers]);

interface PodProcesses {
  readonly key: string;
  readonly servers: http.Server[];
  readonly dnsServers: RunningDns[];
  readonly sockets: Set<Socket>;
  readonly listening: string[];
  readonly notes: string[];
  readonly unknownImages: readonly string[];
}

async function stopPod(p: PodProcesses): Promise<void> {
  for (const s of p.sockets) s.destroy();
  await Promise.all([
    ...p.servers.map((s) => new Promise<void>((r) => s.close(() => r()))),
    ...p.dnsServers.map((d) => d.close()),
  ]);
}

export interface PodChanges {
  readonly started: readonly string[];
  readonly restarted: readonly string[];
  readonly stopped: readonly string[];
}

export interface ReconcilingPods extends RunningPods {
  /**
   * Applies a new plan as a kubelet would: pods that disappeared stop, pods whose spec changed restart, new ones
   * start; unchanged pods keep running (same address, same connections).
   */
  update(plan: ClusterPlan): Promise<PodChanges>;
}

export async function startPods(plan: ClusterPlan, clusterDns?: () => DnsRecords): Promise<ReconcilingPods> {
  const running = new Map<string, PodProcesses>();
  const start = async (pod: PlanPod): Promise<PodProcesses> => {
    const servers: http.Server[] = [];
    const dnsServers: RunningDns[] = [];
    const sockets = new Set<Socket>();
    const listening: string[] = [];
    const notes: string[] = [];
    const unknownImages: string[] = [];
    for (const c of pod.containers) {
      const where = `${pod.namespace}/${pod.name} container ${c.name}`;
      if (c.imageId === 'coredns') {
        // -conf: a Corefile, taken as the cluster's (kubernetes plugin); none: the whoami plugin on :53.
        const withConf = c.args.some((a) => a === '-conf' || a.startsWith('-conf='));
        for (const [port, protocols] of dnsBinds(c)) {
          try {
            dnsServers.push(
              withConf && clusterDns
                ? await startClusterDns(pod.ip, port, clusterDns)
                : await startWhoamiDns(pod.ip, port, protocols),
            );
            listening.push(`${where} ${c.image} → ${pod.ip}:${port} (${[...protocols].join('+')})`);
          } catch (e) {
            notes.push(`${where}: cannot bind ${pod.ip}:${port}: ${(e as Error).message}`);
          }
        }
        continue;
      }
      const sim = c.imageId ? SIMULATED_IMAGES[c.imageId] : undefined;
      if (!sim) {
        if (!unknownImages.includes(c.image)) unknownImages.push(c.image);
        continue;
      }
      const handler = sim.handler({ pod, container: c });
      if (typeof handler !== 'function') {
        notes.push(`${where}: ${handler.exits}; nothing listens`);
        continue;
      }
      for (const b of c.binds) {
        if (b.protocol !== 'TCP') continue;
        const server = http.createServer(handler);
        server.on('connection', (s) => {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
        });
        try {
          await listen(server, b.host, b.listenPort);
          servers.push(server);
          listening.push(`${where} ${c.image} → ${b.host}:${b.listenPort}`);
        } catch (e) {
          notes.push(`${where}: cannot bind ${b.host}:${b.listenPort}: ${(e as Error).message}`);
        }
      }
    }
    return { key: podSpecKey(pod), servers, dnsServers, sockets, listening, notes, unknownImages };
  };
  const update = async (next: ClusterPlan): Promise<PodChanges> => {
    const wanted = new Map(next.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
    const started: string[] = [];
    const restarted: string[] = [];
    const stopped: string[] = [];
    for (const [name, p] of [...running]) {
      const w = wanted.get(name);
      if (w && podSpecKey(w) === p.key) continue;
      running.delete(name);
      await stopPod(p);
      (w ? restarted : stopped).push(name);
    }
    for (const [name, pod] of wanted) {
      if (running.has(name)) continue;
      running.set(name, await start(pod));
      if (!restarted.includes(name)) started.push(name);
    }
    return { started, restarted, stopped };
  };
  await update(plan);
  const all = () => [...running.values()];
  return {
    get listening() {
      return all().flatMap((p) => p.listening);
    },
    get notes() {
      // Unknown images are reported once per image, whatever the number of pods running them.
      const images = [...new Set(all().flatMap((p) => p.unknownImages))];
      return [
        ...images.map((i) => `image ${i}: not simulated; nothing listens for its containers`),
        ...all().flatMap((p) => p.notes),
      ];
    },
    update,
    close: async () => {
      const stopping = all();
      running.clear();
      await Promise.all(stopping.map(stopPod));
    },
  };
}
