/**
 * `--probe`: what running pods really listen on, read from the kernel through exec. One command per Running pod,
 * `cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6` (nothing but `cat` needed in the image: no
 * netstat, no ss), run through @kubernetes/client-node's Exec (WebSocket, v5/v4.channel.k8s.io) in one container:
 * the network namespace is the pod's, so any container sees every socket; when one cannot run `cat` (a distroless
 * image) the next is tried. TCP sockets in LISTEN (state 0A) and bound, unconnected UDP sockets (state 07, no
 * remote) are kept. A pod that cannot be probed is one finding naming the pod and the API's reason, and its
 * ports stay inferred.
 *
 * RBAC: the WebSocket upgrade is a GET, which the API server's RequestInfo maps to the verb `get` on pods/exec
 * (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go); since Kubernetes 1.35 the upgrade is also authorized
 * as `create` (feature gate AuthorizePodWebsocketUpgradeCreatePermission, KEP-4006), as SPDY's POST always was.
 * docs/probe-rbac.yaml grants both.
 */
import { PassThrough, Writable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import type { WebSocketInterface } from '@kubernetes/client-node/dist/web-socket-handler.js';
import WebSocket from 'ws';
import type { Finding } from '../model/finding.js';
import { parseProcNet } from '../runtime/proc-net.js';
import type { ObservedPodSockets, ObservedSocket } from '../semantics/listening.js';

export const PROBE_COMMAND: readonly string[] = [
  'cat',
  '/proc/net/tcp',
  '/proc/net/tcp6',
  '/proc/net/udp',
  '/proc/net/udp6',
];

// ---------------------------------------------------------------------------------------------------------
// /proc/net parsing

/**
 * The listening sockets of `cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6` output (any subset,
 * any order: each table starts with its header; src/runtime/proc-net.ts parseProcNet reads the kernel's format).
 */
export function parseProcNetOutput(text: string): ObservedSocket[] {
  const out: ObservedSocket[] = [];
  const seen = new Set<string>();
  for (const s of parseProcNet(text)) {
    if (!s.listening || s.port === 0) continue;
    const key = `${s.protocol} ${s.address} ${s.port}`;
    if (seen.has(key)) continue; // an SO_REUSEPORT group lists one socket per member
    seen.add(key);
    out.push({ protocol: s.protocol, address: s.address, port: s.port, file: `/proc/net/${s.file}` });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Which pods, which containers

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

export interface ProbeTarget {
  readonly namespace: string;
  readonly name: string;
  /** Running containers, in the order to try: spec.containers, then native sidecars. */
  readonly containers: readonly string[];
  readonly ready: boolean;
  readonly podIPs: readonly string[];
}

/**
 * Running pods and their running containers (a Pod object as the API returns it). Pods in another phase have no
 * process to ask and are left to inference without a word.
 */
export function probeTargets(pods: readonly Json[]): ProbeTarget[] {
  const out: ProbeTarget[] = [];
  for (const pod of pods) {
    const meta = isObject(pod.metadata) ? pod.metadata : {};
    const spec = isObject(pod.spec) ? pod.spec : {};
    const status = isObject(pod.status) ? pod.status : {};
    if (status.phase !== 'Running') continue;
    const statuses = [...list(status.containerStatuses), ...list(status.initContainerStatuses)];
    const running = new Set(
      statuses.filter((s) => isObject(s.state) && isObject(s.state.running)).map((s) => String(s.name)),
    );
    const names = [
      ...list(spec.containers).map((c) => String(c.name)),
      ...list(spec.initContainers)
        .filter((c) => c.restartPolicy === 'Always')
        .map((c) => String(c.name)),
    ];
    const ready = list(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True');
    const podIPs = [
      ...new Set([
        ...list(status.podIPs).map((p) => String(p.ip ?? '')),
        ...(typeof status.podIP === 'string' ? [status.podIP] : []),
      ]),
    ].filter((ip) => ip !== '');
    out.push({
      namespace: String(meta.namespace ?? 'default'),
      name: String(meta.name ?? ''),
      // Without container statuses (a dump that dropped them), every container is worth a try.
      containers: statuses.length === 0 ? names : names.filter((n) => running.has(n)),
      ready,
      podIPs,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// exec

/** How one exec ended. */
type ExecOutcome =
  | { readonly kind: 'output'; readonly stdout: string; readonly stderr: string; readonly failure?: string }
  /** The API refused the upgrade: HTTP status, reason and message of its Status. */
  | { readonly kind: 'refused'; readonly code: number; readonly reason: string; readonly message: string }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'timeout' };

interface V1StatusLike {
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  // A frame after the stream was ended (a close frame, then the Status) must not throw: what came is kept.
  stream.on('error', () => {});
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

function messageOf(e: unknown): string {
  if (isObject(e) && typeof e.message === 'string') return e.message;
  return String(e);
}

/** One command in one container, within `timeoutMs`. */
async function execOnce(
  kc: KubeConfig,
  target: ProbeTarget,
  container: string,
  timeoutMs: number,
): Promise<ExecOutcome> {
  const { Exec } = await import('@kubernetes/client-node');
  const { WebSocketHandler } = await import('@kubernetes/client-node/dist/web-socket-handler.js');
  let socket: WebSocket | undefined;
  let refusal: ExecOutcome | undefined;
  // client-node's own socket, plus the refused upgrade's body: the API's Status says why (Forbidden: ...).
  const factory = (uri: string, protocols: string[], opts: WebSocket.ClientOptions): WebSocket => {
    const ws = new WebSocket(uri, protocols, opts);
    socket = ws;
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        let reason = res.statusMessage ?? '';
        let message = `HTTP ${code}`;
        try {
          const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (isObject(body)) {
            if (typeof body.reason === 'string') reason = body.reason;
            if (typeof body.message === 'string') message = body.message;
          }
        } catch {
          const text = Buffer.concat(chunks).toString('utf8').trim();
          if (text) message = text.slice(0, 300);
        }
        refusal = { kind: 'refused', code, reason, message };
        ws.terminate();
      });
    });
    return ws;
  };
  const out = collector();
  const err = collector();
  // A v5 close frame ends the handler's streams: ours, never this process's stdout (its default).
  const handler = new WebSocketHandler(kc, factory, {
    stdin: new PassThrough(),
    stdout: out.stream,
    stderr: err.stream,
  });
  // client-node 1.4's Exec throws `Unknown stream: 255` from the socket's listener on a v5 close frame (an
  // uncaught exception): the frame is taken here, after the handler has ended the stream it names.
  const guarded: WebSocketInterface = {
    connect: (path, text, binary) =>
      handler.connect(
        path,
        text,
        binary &&
          ((stream, buff) => {
            if (stream === WebSocketHandler.CloseStream) return true;
            try {
              return binary(stream, buff);
            } catch {
              return false; // a frame client-node cannot read: close, keep what came
            }
          }),
      ),
  };
  const exec = new Exec(kc, guarded);
  return new Promise<ExecOutcome>((resolve) => {
    let done = false;
    const finish = (o: ExecOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (socket && socket.readyState !== WebSocket.CLOSED) socket.terminate();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    const output = (failure?: string): ExecOutcome => ({
      kind: 'output',
      stdout: out.text(),
      stderr: err.text(),
      ...(failure ? { failure } : {}),
    });
    exec
      .exec(
        target.namespace,
        target.name,
        container,
        [...PROBE_COMMAND],
        out.stream,
        err.stream,
        null,
        false,
        (status: V1StatusLike) => {
          // The last frame: channel 3 carries the Status (Success, or Failure with the exit code or exec error).
          const failure =
            status.status === 'Success' ? undefined : (status.message ?? status.reason ?? 'Failure');
          setImmediate(() => finish(output(failure)));
        },
      )
      .then((ws) => {
        // Opened after the timeout: nobody reads it any more.
        if (done) ws.terminate();
        else ws.on('close', () => setImmediate(() => finish(output())));
      })
      .catch((e: unknown) => {
        // Wait for the refused upgrade's body when there is one.
        setImmediate(() => finish(refusal ?? { kind: 'error', message: messageOf(e) }));
      });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Probing pods

export interface ProbeOptions {
  /** Pods probed at once (default 8). */
  readonly concurrency?: number;
  /** Per pod, every container tried included (default 10 s). */
  readonly timeoutMs?: number;
  /** For progress on a terminal: `probing sockets: 3/12 pods`. */
  readonly onProgress?: (message: string) => void;
  /** The `kubectl edit` name of a pod's source, for the findings' location. */
  readonly sourceName?: (namespace: string, name: string) => string;
  readonly context?: string;
}

export interface ProbeResult {
  /** `namespace/name` -> the sockets read. */
  readonly observed: ReadonlyMap<string, ObservedPodSockets>;
  /** One per pod that could not be probed. */
  readonly findings: readonly Finding[];
  /** exec requests made. */
  readonly execs: number;
}

/** What one pod's probe gave. */
type PodOutcome =
  | { readonly ok: true; readonly sockets: ObservedPodSockets }
  | {
      readonly ok: false;
      readonly why: string;
      readonly forbidden: boolean;
      readonly severity: 'warning' | 'info';
    };

/** `cat` is not in the image: the runtime's words for it (runc, crun, containerd, CRI-O). */
const NO_CAT = /executable file not found|no such file or directory|not found in \$PATH|exit code 12[67]/i;

async function probePod(
  kc: KubeConfig,
  target: ProbeTarget,
  deadline: number,
  count: () => void,
): Promise<PodOutcome> {
  if (target.containers.length === 0)
    return { ok: false, why: 'no container is running', forbidden: false, severity: 'info' };
  const tried: string[] = [];
  for (const container of target.containers) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    count();
    const o = await execOnce(kc, target, container, left);
    if (o.kind === 'refused') {
      // RBAC and admission apply to the pod, not the container: the next container would be refused too.
      return {
        ok: false,
        why: `the API refused exec (${o.code} ${o.reason}): ${o.message}`,
        forbidden: o.code === 403,
        severity: 'warning',
      };
    }
    if (o.kind === 'timeout') {
      tried.push(`container ${container}: no answer in time`);
      break;
    }
    if (o.kind === 'error') {
      tried.push(`container ${container}: ${o.message}`);
      continue;
    }
    const sockets = parseProcNetOutput(o.stdout);
    // A missing tcp6 or udp6 (IPv6 off) makes cat fail after printing the others: what was read counts.
    if (/^\s*sl\s+local_address/m.test(o.stdout)) {
      return {
        ok: true,
        sockets: {
          namespace: target.namespace,
          pod: target.name,
          container,
          sockets,
          ready: target.ready,
          podIPs: target.podIPs,
        },
      };
    }
    const why = (o.failure ?? o.stderr.trim()) || 'no /proc/net table in the output';
    tried.push(`container ${container}: ${NO_CAT.test(why) ? `cannot run cat (${why})` : why}`);
  }
  const timedOut = Date.now() >= deadline;
  const why = timedOut && tried.length === 0 ? 'no answer in time' : tried.join('; ');
  const noCat = tried.length > 0 && tried.every((t) => /cannot run cat/.test(t));
  return { ok: false, why, forbidden: false, severity: noCat ? 'info' : 'warning' };
}

/** Probes the Running pods among `pods` (Pod objects as listed), `concurrency` at a time. */
export async function probePods(
  kc: KubeConfig,
  pods: readonly Json[],
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const targets = probeTargets(pods);
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const observed = new Map<string, ObservedPodSockets>();
  const findings: Finding[] = [];
  const outcomes: PodOutcome[] = new Array(targets.length);
  // A namespace where exec was Forbidden: its other pods are not asked again (the same rule is missing).
  const forbidden = new Map<string, string>();
  let execs = 0;
  let next = 0;
  let finished = 0;
  const worker = async () => {
    for (let i = next++; i < targets.length; i = next++) {
      const t = targets[i] as ProbeTarget;
      const known = forbidden.get(t.namespace);
      outcomes[i] = known
        ? { ok: false, why: known, forbidden: true, severity: 'warning' }
        : await probePod(kc, t, Date.now() + timeoutMs, () => execs++);
      const o = outcomes[i] as PodOutcome;
      if (!o.ok && o.forbidden && !known)
        forbidden.set(t.namespace, `${o.why} (as for pod ${t.name}: not asked again in ${t.namespace})`);
      finished++;
      options.onProgress?.(`probing sockets through exec: ${finished}/${targets.length} pods`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
  targets.forEach((t, i) => {
    const o = outcomes[i] as PodOutcome;
    if (o.ok) {
      observed.set(`${t.namespace}/${t.name}`, o.sockets);
      return;
    }
    const file = options.sourceName?.(t.namespace, t.name);
    findings.push({
      rule: 'input-unreadable',
      severity: o.severity,
      message:
        `--probe: cannot read the sockets of pod ${t.name} in ${t.namespace}${options.context ? ` (context ${options.context})` : ''}: ${o.why}; ` +
        'its ports stay inferred',
      object: { apiVersion: 'v1', kind: 'Pod', namespace: t.namespace, name: t.name },
      field: null,
      location: file ? { file, line: 1, column: 1 } : null,
      ...(o.forbidden
        ? {
            fix: `Grant the RBAC rule {apiGroups: [""], resources: [pods/exec], verbs: [get, create]} in namespace ${t.namespace} (docs/probe-rbac.yaml: kubectl apply -f docs/probe-rbac.yaml -l portchain.dev/scope=namespace -n ${t.namespace}), or run without --probe.`,
          }
        : {}),
    });
  });
  return { observed, findings, execs };
}
