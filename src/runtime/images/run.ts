/**
 * The "kubelet" of `portchain up`: starts every container of the plan. A simulated image answers where the
 * plan says (pod loopback IP : the port graph.listening found); an image mapped to a local command in
 * `.portchain.yaml` runs that command with the container's environment as the kubelet builds it
 * (kubelet-env.ts), in the pod's network namespace with `--isolation netns`; any other image "runs" but
 * nothing listens (said once per image, with the YAML that maps it). CoreDNS runs its whoami plugin, or
 * cluster DNS when it is given a Corefile (see coredns.ts). Readiness probes run over time (probes.ts), and
 * each container keeps its log.
 */

import http from 'node:http';
import type { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import type { ImageCommand } from '../../config/config.js';
import type { Container } from '../../model/types.js';
import type { ResolvedGraph } from '../../semantics/graph.js';
import type { DnsRecords } from '../dns.js';
import { kubeletEnvFor } from '../kubelet-env.js';
import type { NetnsIsolation, PodNetns } from '../netns.js';
import type { ClusterPlan, PlanContainer, PlanPod } from '../plan.js';
import { probeKind, type ReadinessWorker, startReadinessWorker } from '../probes.js';
import type { ProcNetSocket } from '../proc-net.js';
import {
  type ContainerProcess,
  findImageCommand,
  imageCommandHint,
  spawnContainerProcess,
} from './commands.js';
import { type RunningDns, startClusterDns, startWhoamiDns } from './coredns.js';
import { type HttpHandler, podPage, SIMULATED_IMAGES, type SimulatedImage } from './http-images.js';
import { ContainerLog } from './logs.js';

export interface RunningPods {
  /** `ns/pod container image → 127.1.0.1:80` per bound port, `… → pid N: command` per local command. */
  readonly listening: readonly string[];
  /** One sentence each: unknown images, processes that exit, ports that could not be bound. */
  readonly notes: readonly string[];
  /** Per image neither simulated nor mapped (once each): the `.portchain.yaml` lines that map it. */
  readonly imageHints: readonly string[];
  /** The last lines (at most 1000) of a container's log; the pod's first container when none is named. */
  logs(namespace: string, pod: string, container?: string): string[];
  /**
   * The pod's readiness as this kubelet sees it: false while a readiness probe has not passed or a local
   * command is not running; undefined when nothing here decides it (the manifests' status stands).
   */
  ready(namespace: string, pod: string): boolean | undefined;
  /** What the pod's network namespace holds (exec's /proc/net, src/runtime/proc-net.ts); undefined: not here. */
  network(namespace: string, pod: string): PodNetwork | undefined;
  /** A container's restarts and, while a crash back-off runs, its waiting reason (for the API's pod status). */
  containerStatus(namespace: string, pod: string, container: string): ContainerRunState | undefined;
  close(): Promise<void>;
}

/** containerStatuses[] as the kubelet reports it, the parts `up` decides. */
export interface ContainerRunState {
  readonly restartCount: number;
  /** The container exited and its restartPolicy does not restart it. */
  readonly terminated?: {
    readonly exitCode: number;
    readonly reason: 'Error' | 'Completed';
    readonly finishedAt: string;
  };
  /** `CrashLoopBackOff` while the container waits for its restart. */
  readonly waiting?: { readonly reason: 'CrashLoopBackOff'; readonly message: string };
}

/** A running pod's network, read-only: one namespace shared by all its containers, as in Kubernetes. */
export interface PodNetwork {
  readonly ip: string;
  /** Sockets the simulated containers opened in this process: listeners, then accepted connections. */
  readonly sockets: readonly ProcNetSocket[];
  /** Pids of the pod's running local commands (each leads its own process group). */
  readonly pids: readonly number[];
  /** `--isolation netns`: the pod has its own namespace, so /proc/PID/net of its pids is its table. */
  readonly netns: boolean;
  /** Whether each container runs (false: refused by the kubelet or exited). */
  readonly containers: readonly { readonly name: string; readonly running: boolean }[];
}

export interface PodsOptions {
  /** What the cluster DNS answers (CoreDNS given a Corefile serves it). */
  readonly clusterDns?: () => DnsRecords;
  /** The graph the plan came from: the pods' specs (env, probes). Absent: no env, no probes. */
  readonly graph?: () => ResolvedGraph;
  /** `.portchain.yaml` `images:` as a mapping. */
  readonly imageCommands?: Readonly<Record<string, ImageCommand>>;
  /** `--isolation netns`: pods that run a local command get their own network namespace. */
  readonly netns?: NetnsIsolation;
  /** Probe seconds are multiplied by this (default 1). */
  readonly probeTimeScale?: number;
  /** A pod's readiness changed (a probe flipped, a local command exited). */
  readonly onReadiness?: (pod: string, ready: boolean, why: string) => void;
  /** terminationGracePeriodSeconds is capped at this (default 5): SIGKILL follows SIGTERM after it. */
  readonly maxGraceSeconds?: number;
  /** The kubelet's first restart back-off of an exited container (default 10 s; doubles up to 30x, 5 min). */
  readonly restartBackoffMs?: number;
}

/** The kubelet's crash back-off (pkg/kubelet/kubelet.go: backOffPeriod 10 s, MaxContainerBackOff 300 s). */
const BACKOFF_MAX_FACTOR = 30;
/** A container that ran this long without exiting starts its back-off over (flowcontrol.Backoff's reset). */
const BACKOFF_RESET_MS = 10 * 60_000;

const formatSeconds = (ms: number) => `${ms % 1000 === 0 ? ms / 1000 : (ms / 1000).toFixed(1)}s`;

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

interface ContainerState {
  readonly name: string;
  readonly log: ContainerLog;
  process?: ContainerProcess;
  probe?: ReadinessWorker;
  /** False: not running (refused by the kubelet, exited); undefined: running, nothing here decides readiness. */
  running?: boolean;
  /** Times the kubelet restarted it (containerStatuses[].restartCount). */
  restarts: number;
  /** The current crash back-off; 0 before the first exit. */
  backoffMs: number;
  /** A restart is scheduled (the crash back-off runs). */
  restartPending: boolean;
  /** How the last process ended, while it stays down. */
  exit?: { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly at: Date };
}

interface PodProcesses {
  readonly key: string;
  readonly servers: http.Server[];
  readonly dnsServers: RunningDns[];
  readonly sockets: Set<Socket>;
  readonly listening: string[];
  readonly notes: string[];
  readonly unknownImages: string[];
  readonly containers: ContainerState[];
  readonly ip: string;
  /** Sockets of simulated DNS servers (http servers say theirs: server.address()). */
  readonly bound: ProcNetSocket[];
  netns?: PodNetns;
  graceMs: number;
  stopping: boolean;
  /** spec.restartPolicy (default Always): whether an exited local command is started again. */
  readonly restartPolicy: 'Always' | 'OnFailure' | 'Never';
  /** Pending restarts (cleared when the pod stops). */
  readonly restartTimers: Set<NodeJS.Timeout>;
  /** The readiness last reported (see RunningPods.ready). */
  reported?: boolean;
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
  /** Resolves when every readiness probe due at start (no initialDelaySeconds) has run once. */
  settled(): Promise<void>;
}

/** Wraps a handler so each answered request is written to the log as the real image writes it. */
function logged(handler: HttpHandler, sim: SimulatedImage, log: ContainerLog): HttpHandler {
  const line = sim.accessLog;
  if (!line) return handler;
  return (req, res) => {
    const time = new Date();
    const start = performance.now();
    let bytes = 0;
    const count = (chunk: unknown) => {
      if (typeof chunk === 'string') bytes += Buffer.byteLength(chunk);
      else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
    };
    const write = res.write.bind(res) as (...a: unknown[]) => boolean;
    const end = res.end.bind(res) as (...a: unknown[]) => http.ServerResponse;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      count(chunk);
      return write(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'function') count(chunk);
      return end(chunk, ...rest);
    }) as typeof res.end;
    res.once('finish', () =>
      log.line(line({ req, status: res.statusCode, bytes, time, durationMs: performance.now() - start })),
    );
    handler(req, res);
  };
}

export async function startPods(
  plan: ClusterPlan,
  optionsOrDns?: PodsOptions | (() => DnsRecords),
): Promise<ReconcilingPods> {
  const options: PodsOptions =
    typeof optionsOrDns === 'function' ? { clusterDns: optionsOrDns } : (optionsOrDns ?? {});
  const clusterDns = options.clusterDns;
  const running = new Map<string, PodProcesses>();
  let current = plan;
  const maxGraceMs = (options.maxGraceSeconds ?? 5) * 1000;

  /** What a pod runs: a changed spec (or address) means its processes restart. */
  const podSpecKey = (pod: PlanPod) => {
    const inst = options.graph?.().pods.find((p) => p.namespace === pod.namespace && p.name === pod.name);
    return JSON.stringify([pod.ip, pod.containers, inst?.pod.spec.containers ?? null]);
  };
  const podReady = (p: PodProcesses): boolean | undefined => {
    let decided = false;
    for (const c of p.containers) {
      if (c.running === false) return false;
      if (c.probe) {
        decided = true;
        if (!c.probe.ready) return false;
      }
      if (c.process) decided = true;
    }
    return decided ? true : undefined;
  };
  /** Tells the owner when the pod's readiness differs from what it last said. */
  const readinessChanged = (name: string, p: PodProcesses, why: string) => {
    const now = podReady(p);
    if (p.stopping || now === p.reported) return;
    p.reported = now;
    if (now !== undefined) options.onReadiness?.(name, now, why);
  };

  const start = async (pod: PlanPod): Promise<PodProcesses> => {
    const name = `${pod.namespace}/${pod.name}`;
    const graph = options.graph?.();
    const inst = graph?.pods.find((p) => p.namespace === pod.namespace && p.name === pod.name);
    const specs = new Map<string, Container>((inst?.pod.spec.containers ?? []).map((c) => [c.name, c]));
    const grace = inst?.pod.spec.terminationGracePeriodSeconds;
    const p: PodProcesses = {
      key: podSpecKey(pod),
      servers: [],
      dnsServers: [],
      sockets: new Set<Socket>(),
      listening: [],
      notes: [],
      unknownImages: [],
      containers: [],
      ip: pod.ip,
      bound: [],
      graceMs: Math.min(maxGraceMs, (typeof grace === 'number' && grace >= 0 ? grace : 30) * 1000),
      stopping: false,
      restartPolicy:
        inst?.pod.spec.restartPolicy === 'Never' || inst?.pod.spec.restartPolicy === 'OnFailure'
          ? inst.pod.spec.restartPolicy
          : 'Always',
      restartTimers: new Set(),
    };
    const mapped = pod.containers.map((c) => findImageCommand(c.image, options.imageCommands));
    if (options.netns && mapped.some((m) => m?.entry.command)) {
      try {
        p.netns = await options.netns.add(pod.ip);
      } catch (e) {
        p.notes.push(`${name}: cannot create its network namespace: ${(e as Error).message}`);
      }
    }
    const now = new Date();
    for (const [i, c] of pod.containers.entries()) {
      const where = `${name} container ${c.name}`;
      const state: ContainerState = {
        name: c.name,
        log: new ContainerLog(),
        restarts: 0,
        backoffMs: 0,
        restartPending: false,
      };
      p.containers.push(state);
      const spec = specs.get(c.name);
      const command = mapped[i];
      if (command?.entry.command) {
        await startCommand(pod, c, spec, command.entry, state, p, where);
      } else if (p.netns) {
        // The pod's IP lives in its namespace now: an in-process simulation cannot bind it.
        p.notes.push(
          `${where}: ${c.image} is simulated, which cannot run inside the pod's network namespace`,
        );
      } else await startSimulated(pod, c, command?.entry, state, p, where, now);
      if (spec && graph) startProbe(name, pod, c, spec, state, p);
    }
    p.reported = podReady(p);
    return p;
  };

  const startCommand = async (
    pod: PlanPod,
    c: PlanContainer,
    spec: Container | undefined,
    entry: ImageCommand,
    state: ContainerState,
    p: PodProcesses,
    where: string,
  ) => {
    const graph = options.graph?.();
    const env = graph ? kubeletEnvFor(graph, current, pod, c.name) : undefined;
    if (env && env.errors.length > 0) {
      // CreateContainerConfigError: the kubelet does not start the container.
      state.running = false;
      p.notes.push(`${where}: not started (CreateContainerConfigError): ${env.errors.join('; ')}`);
      return;
    }
    for (const n of env?.notes ?? []) p.notes.push(`${where}: ${n}`);
    const vars: Record<string, string> = {
      ...(process.env.PATH ? { PATH: process.env.PATH } : {}),
      ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
      ...(env?.env ?? c.env),
    };
    // Ports below 1024 are bound at port + lowPortOffset everywhere else in the plan; PORT follows.
    const port = vars.PORT;
    if (current.lowPortOffset > 0 && port && /^\d+$/.test(port) && Number(port) < 1024)
      vars.PORT = String(Number(port) + current.lowPortOffset);
    Object.assign(vars, entry.env ?? {});
    const argv = [...(entry.command ?? []), ...(entry.args ?? env?.args ?? spec?.args ?? [])];
    const wrapped = p.netns ? p.netns.wrap(argv) : argv;
    let proc: ContainerProcess;
    try {
      proc = spawnContainerProcess({
        argv: wrapped,
        env: vars,
        ...(entry.workingDir ? { cwd: entry.workingDir } : {}),
        log: state.log,
      });
    } catch (e) {
      state.running = false;
      p.notes.push(`${where}: cannot start ${argv[0] ?? ''}: ${(e as Error).message}`);
      return;
    }
    state.process = proc;
    state.running = undefined;
    const startedAt = Date.now();
    // One line per container: a restart replaces the line of the process before it.
    const line = `${where} ${c.image} → pid `;
    const old = p.listening.findIndex((l) => l.startsWith(line));
    if (old >= 0) p.listening.splice(old, 1);
    p.listening.push(
      `${line}${proc.pid ?? '?'}: ${argv.join(' ')}${p.netns ? ` (netns ${p.netns.name})` : ''}`,
    );
    void proc.exited.then(({ code, signal }) => {
      if (p.stopping || state.process !== proc) return;
      state.running = false;
      state.exit = { code, signal, at: new Date() };
      const name = `${pod.namespace}/${pod.name}`;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      readinessChanged(name, p, `container ${c.name} exited (${how})`);
      const failed = signal !== null || code !== 0;
      if (p.restartPolicy === 'Never' || (p.restartPolicy === 'OnFailure' && !failed)) {
        p.notes.push(
          `${where}: ${argv[0] ?? ''} exited (${how}); restartPolicy ${p.restartPolicy}: not restarted`,
        );
        return;
      }
      // The kubelet's crash back-off: 10 s, doubling to 5 min; reset after 10 min of running.
      const first = options.restartBackoffMs ?? 10_000;
      if (Date.now() - startedAt >= BACKOFF_RESET_MS) state.backoffMs = 0;
      state.backoffMs =
        state.backoffMs === 0 ? first : Math.min(state.backoffMs * 2, first * BACKOFF_MAX_FACTOR);
      p.notes.push(
        `${where}: ${argv[0] ?? ''} exited (${how}); back-off ${formatSeconds(state.backoffMs)} restarting failed container (CrashLoopBackOff)`,
      );
      state.restartPending = true;
      const timer = setTimeout(() => {
        p.restartTimers.delete(timer);
        state.restartPending = false;
        if (p.stopping) return;
        state.restarts++;
        state.exit = undefined;
        // A new container starts not ready: its readiness probe starts over (the prober's initial Failure).
        state.probe?.stop();
        state.probe = undefined;
        void startCommand(pod, c, spec, entry, state, p, where).then(() => {
          const graph = options.graph?.();
          if (spec && graph && !p.stopping) startProbe(name, pod, c, spec, state, p);
          readinessChanged(name, p, `container ${c.name} restarted (restart ${state.restarts})`);
        });
      }, state.backoffMs);
      p.restartTimers.add(timer);
    });
  };

  const startSimulated = async (
    pod: PlanPod,
    c: PlanContainer,
    entry: ImageCommand | undefined,
    state: ContainerState,
    p: PodProcesses,
    where: string,
    now: Date,
  ) => {
    if (c.imageId === 'coredns') {
      // -conf: a Corefile, taken as the cluster's (kubernetes plugin); none: the whoami plugin on :53.
      const withConf = c.args.some((a) => a === '-conf' || a.startsWith('-conf='));
      state.log.line('.:53');
      state.log.line('CoreDNS-1.11.1');
      state.log.line('linux/amd64, go1.21.1, ae2bbc2');
      for (const [port, protocols] of dnsBinds(c)) {
        try {
          p.dnsServers.push(
            withConf && clusterDns
              ? await startClusterDns(pod.ip, port, clusterDns)
              : await startWhoamiDns(pod.ip, port, protocols),
          );
          p.listening.push(`${where} ${c.image} → ${pod.ip}:${port} (${[...protocols].join('+')})`);
          // startClusterDns binds UDP and TCP; the whoami server the protocols the ports name.
          for (const protocol of withConf && clusterDns ? ['UDP', 'TCP'] : [...protocols])
            if (protocol === 'UDP' || protocol === 'TCP') p.bound.push({ protocol, address: pod.ip, port });
        } catch (e) {
          p.notes.push(`${where}: cannot bind ${pod.ip}:${port}: ${(e as Error).message}`);
        }
      }
      return;
    }
    const sim: SimulatedImage | undefined =
      (c.imageId ? SIMULATED_IMAGES[c.imageId] : undefined) ??
      (entry?.honoursPort
        ? podPage(c.image.split('/').pop()?.split(/[:@]/)[0] ?? 'app', 'an app that listens on $PORT')
        : undefined);
    if (!sim) {
      if (!p.unknownImages.includes(c.image)) p.unknownImages.push(c.image);
      return;
    }
    const ctx = { pod, container: c };
    const handler = sim.handler(ctx);
    if (typeof handler !== 'function') {
      p.notes.push(`${where}: ${handler.exits}; nothing listens`);
      state.log.line(handler.exits);
      return;
    }
    for (const l of sim.startup?.(ctx, now) ?? []) state.log.line(l);
    if (entry?.honoursPort && c.binds.length === 0)
      p.notes.push(
        `${where}: ${c.image} listens on $PORT, which the container does not set; nothing listens`,
      );
    for (const b of c.binds) {
      if (b.protocol !== 'TCP') continue;
      const server = http.createServer(logged(handler, sim, state.log));
      server.on('connection', (s) => {
        p.sockets.add(s);
        s.on('close', () => p.sockets.delete(s));
      });
      try {
        await listen(server, b.host, b.listenPort);
        p.servers.push(server);
        p.listening.push(`${where} ${c.image} → ${b.host}:${b.listenPort}`);
      } catch (e) {
        p.notes.push(`${where}: cannot bind ${b.host}:${b.listenPort}: ${(e as Error).message}`);
      }
    }
  };

  const probeNotes = new Set<string>();
  const startProbe = (
    name: string,
    pod: PlanPod,
    c: PlanContainer,
    spec: Container,
    state: ContainerState,
    p: PodProcesses,
  ) => {
    const probe = spec.readinessProbe;
    const kind = probeKind(probe);
    if (!probe || kind === 'none' || state.running === false) return;
    if (kind === 'exec' || kind === 'grpc') {
      // Said once per kind: such a container is taken as ready once started.
      if (!probeNotes.has(kind)) {
        probeNotes.add(kind);
        p.notes.push(
          `${kind} readiness probes are not run by portchain up (first: ${name} container ${c.name}); such containers are ready when started`,
        );
      }
      return;
    }
    const offset = current.lowPortOffset;
    state.probe = startReadinessWorker(probe, {
      podIP: pod.ip,
      ports: spec.ports ?? [],
      dialPort: (port) => (port < 1024 ? port + offset : port),
      ...(options.probeTimeScale !== undefined ? { timeScale: options.probeTimeScale } : {}),
      onChange: (ready, outcome) =>
        readinessChanged(
          name,
          p,
          `container ${c.name} readiness probe ${ready ? 'succeeded' : 'failed'} (${outcome.detail})`,
        ),
    });
  };

  const stopPod = async (p: PodProcesses): Promise<void> => {
    p.stopping = true;
    for (const t of p.restartTimers) clearTimeout(t);
    p.restartTimers.clear();
    for (const c of p.containers) c.probe?.stop();
    for (const s of p.sockets) s.destroy();
    await Promise.all([
      ...p.servers.map((s) => new Promise<void>((r) => s.close(() => r()))),
      ...p.dnsServers.map((d) => d.close()),
      ...p.containers.map((c) => c.process?.stop(p.graceMs)),
    ]);
    await p.netns?.close();
  };

  const update = async (next: ClusterPlan): Promise<PodChanges> => {
    current = next;
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
    get imageHints() {
      const images = [...new Set(all().flatMap((p) => p.unknownImages))];
      return images.map(
        (i) =>
          `image ${i} is neither simulated nor mapped; to run a local program for it, add to .portchain.yaml:\n${imageCommandHint(i)}`,
      );
    },
    logs: (namespace, pod, container) => {
      const p = running.get(`${namespace}/${pod}`);
      const c = container === undefined ? p?.containers[0] : p?.containers.find((x) => x.name === container);
      return c ? c.log.snapshot() : [];
    },
    settled: () =>
      Promise.all(all().flatMap((p) => p.containers.map((c) => c.probe?.first))).then(() => undefined),
    ready: (namespace, pod) => {
      const p = running.get(`${namespace}/${pod}`);
      return p ? podReady(p) : undefined;
    },
    network: (namespace, pod) => {
      const p = running.get(`${namespace}/${pod}`);
      if (!p) return undefined;
      const sockets: ProcNetSocket[] = [...p.bound];
      for (const server of p.servers) {
        const a = server.address();
        if (a && typeof a === 'object') sockets.push({ protocol: 'TCP', address: a.address, port: a.port });
      }
      for (const s of p.sockets)
        if (s.localAddress && s.localPort && s.remoteAddress && s.remotePort && !s.destroyed)
          sockets.push({
            protocol: 'TCP',
            address: s.localAddress,
            port: s.localPort,
            remoteAddress: s.remoteAddress,
            remotePort: s.remotePort,
            state: 0x01,
          });
      return {
        ip: p.ip,
        sockets,
        pids: p.containers.flatMap((c) => (c.process?.running && c.process.pid ? [c.process.pid] : [])),
        netns: p.netns !== undefined,
        containers: p.containers.map((c) => ({
          name: c.name,
          running: c.running !== false && (c.process === undefined || c.process.running),
        })),
      };
    },
    containerStatus: (namespace, pod, container) => {
      const p = running.get(`${namespace}/${pod}`);
      const c = p?.containers.find((x) => x.name === container);
      if (!p || !c) return undefined;
      const waiting = c.running === false && c.restartPending;
      const exit = c.running === false && !c.restartPending ? c.exit : undefined;
      return {
        restartCount: c.restarts,
        // Down for good (restartPolicy): terminated, with the exit code (128 + the signal's number when killed).
        ...(exit
          ? {
              terminated: {
                exitCode: exit.signal ? 128 + (osConstants.signals[exit.signal] ?? 0) : (exit.code ?? 0),
                reason: exit.signal !== null || exit.code !== 0 ? ('Error' as const) : ('Completed' as const),
                finishedAt: exit.at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
              },
            }
          : {}),
        ...(waiting
          ? {
              waiting: {
                reason: 'CrashLoopBackOff' as const,
                // The kubelet's message (pkg/kubelet/kuberuntime: "back-off %s restarting failed container=%s pod=%s").
                message: `back-off ${formatSeconds(c.backoffMs)} restarting failed container=${c.name} pod=${pod}_${namespace}`,
              },
            }
          : {}),
      };
    },
    update,
    close: async () => {
      const stopping = all();
      running.clear();
      await Promise.all(stopping.map(stopPod));
    },
  };
}
