/**
 * Readiness probes over time, as the kubelet's prober runs them (pkg/kubelet/prober/worker.go, prober.go,
 * probe/http/http.go, probe/tcp/tcp.go): httpGet succeeds on a status in [200, 400), tcpSocket when the
 * connection opens; the result flips to ready after successThreshold successes in a row and to not ready after
 * failureThreshold failures in a row; readiness starts as not ready; no probe runs during initialDelaySeconds.
 * exec and grpc probes are not run here (the caller says so and takes the container as ready when started).
 * Time can be scaled (tests run a 10 s period in 100 ms).
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { ContainerPort, IntOrString, Probe } from '../model/types.js';

/** The Kubernetes API defaults of a Probe (pkg/apis/core/v1/defaults.go SetDefaults_Probe). */
export const PROBE_DEFAULTS = {
  initialDelaySeconds: 0,
  timeoutSeconds: 1,
  periodSeconds: 10,
  successThreshold: 1,
  failureThreshold: 3,
} as const;

export type ProbeKind = 'httpGet' | 'tcpSocket' | 'exec' | 'grpc' | 'none';

export function probeKind(probe: Probe | undefined): ProbeKind {
  if (!probe) return 'none';
  if (probe.httpGet) return 'httpGet';
  if (probe.tcpSocket) return 'tcpSocket';
  if (probe.exec) return 'exec';
  if (probe.grpc) return 'grpc';
  return 'none';
}

/**
 * The probe's port: a number, or a container port name (FindPort over the container's ports, as the prober's
 * probeutil.ResolveContainerPort does). Undefined: a name no port has.
 */
export function resolveProbePort(
  port: IntOrString | undefined,
  ports: readonly ContainerPort[],
): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return ports.find((p) => p.name === port)?.containerPort;
}

export interface ProbeOutcome {
  readonly ok: boolean;
  /** One short phrase: `HTTP 200`, `connection refused`, `timeout after 1s`. */
  readonly detail: string;
}

/**
 * One httpGet probe (probe/http DoHTTPProbe): GET, kube-probe User-Agent, 200-399 is success. Redirects are
 * not followed: a 3xx counts as success (the kubelet follows same-host redirects and judges the final answer).
 */
export function httpProbe(
  host: string,
  port: number,
  probe: NonNullable<Probe['httpGet']>,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.31', Accept: '*/*' };
    for (const h of probe.httpHeaders ?? []) headers[h.name] = h.value;
    const scheme = (probe.scheme ?? 'HTTP').toUpperCase();
    const path = probe.path ? (probe.path.startsWith('/') ? probe.path : `/${probe.path}`) : '/';
    const options = { host, port, path, headers, agent: false as const };
    const done = (o: ProbeOutcome) => {
      clearTimeout(timer);
      resolve(o);
    };
    const onResponse = (res: http.IncomingMessage) => {
      res.resume();
      const code = res.statusCode ?? 0;
      done({ ok: code >= 200 && code < 400, detail: `HTTP ${code}` });
    };
    // HTTPS probes skip certificate verification, as the kubelet's do.
    const req =
      scheme === 'HTTPS'
        ? https.get({ ...options, rejectUnauthorized: false }, onResponse)
        : http.get(options, onResponse);
    const timer = setTimeout(() => {
      req.destroy();
      done({ ok: false, detail: `timeout after ${timeoutMs} ms` });
    }, timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => done({ ok: false, detail: e.code ?? e.message }));
  });
}

/** One tcpSocket probe (probe/tcp DoTCPProbe): the connection opens, then closes. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (o: ProbeOutcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => done({ ok: false, detail: `timeout after ${timeoutMs} ms` }), timeoutMs);
    socket.once('connect', () => done({ ok: true, detail: 'connected' }));
    socket.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, detail: e.code ?? e.message }));
  });
}

export interface ReadinessWorkerOptions {
  /** The pod IP (httpGet.host / tcpSocket.host default). */
  readonly podIP: string;
  /** The container's ports, for a named probe port. */
  readonly ports: readonly ContainerPort[];
  /** The port really dialled for a probe port (low ports may be offset; see PlanBind.listenPort). */
  readonly dialPort?: (port: number) => number;
  /** Seconds are multiplied by this (default 1; tests use e.g. 0.01). */
  readonly timeScale?: number;
  /** Called when readiness flips, with the last probe's outcome. */
  readonly onChange: (ready: boolean, outcome: ProbeOutcome) => void;
}

export interface ReadinessWorker {
  readonly ready: boolean;
  /** The last outcome, if a probe ran. */
  readonly last: ProbeOutcome | undefined;
  /** Resolves after the first probe, or at once when an initial delay comes first. */
  readonly first: Promise<void>;
  stop(): void;
}

/** Runs an httpGet or tcpSocket readiness probe until stopped (prober/worker.go's loop, without jitter). */
export function startReadinessWorker(probe: Probe, options: ReadinessWorkerOptions): ReadinessWorker {
  const scale = options.timeScale ?? 1;
  const num = (v: number | undefined, d: number) => (typeof v === 'number' && v > 0 ? v : d);
  const initialDelay = Math.max(0, probe.initialDelaySeconds ?? PROBE_DEFAULTS.initialDelaySeconds);
  const period = num(probe.periodSeconds, PROBE_DEFAULTS.periodSeconds);
  const timeout = num(probe.timeoutSeconds, PROBE_DEFAULTS.timeoutSeconds);
  const successThreshold = num(probe.successThreshold, PROBE_DEFAULTS.successThreshold);
  const failureThreshold = num(probe.failureThreshold, PROBE_DEFAULTS.failureThreshold);
  // A scaled timeout is never below 500 ms (or the real one): a busy machine must not fail a sped-up probe.
  const timeoutMs = Math.max(Math.min(timeout * 1000, 500), timeout * 1000 * scale);
  const dial = options.dialPort ?? ((p: number) => p);
  let ready = false;
  let last: ProbeOutcome | undefined;
  let streak = 0; // > 0: successes in a row, < 0: failures in a row
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let firstDone: () => void = () => undefined;
  const first = new Promise<void>((resolve) => {
    firstDone = resolve;
  });
  if (initialDelay > 0) firstDone();

  const once = async (): Promise<ProbeOutcome> => {
    const action = probe.httpGet ?? probe.tcpSocket;
    const port = resolveProbePort(action?.port, options.ports);
    if (port === undefined)
      return { ok: false, detail: `port ${String(action?.port)} not found in the container` };
    const host = action?.host || options.podIP;
    return probe.httpGet
      ? httpProbe(host, dial(port), probe.httpGet, timeoutMs)
      : tcpProbe(host, dial(port), timeoutMs);
  };
  const tick = async () => {
    if (stopped) return firstDone();
    const outcome = await once();
    if (stopped) return firstDone();
    last = outcome;
    streak = outcome.ok ? Math.max(0, streak) + 1 : Math.min(0, streak) - 1;
    const flip = ready ? streak <= -failureThreshold : streak >= successThreshold;
    if (flip) {
      ready = !ready;
      options.onChange(ready, outcome);
    }
    firstDone();
    timer = setTimeout(tick, period * 1000 * scale);
  };
  timer = setTimeout(tick, initialDelay * 1000 * scale);
  return {
    get ready() {
      return ready;
    },
    get last() {
      return last;
    },
    first,
    stop: () => {
      stopped = true;
      firstDone();
      if (timer) clearTimeout(timer);
    },
  };
}
