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
import { Writable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import WebSocket from 'ws';
import type { Finding } from '../model/finding.js';
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

/** Which /proc/net file a table comes from, told by its header (the order may change when one file is missing). */
function fileOfHeader(header: string): string {
  const v6 = header.includes('remote_address');
  const udp = /\bdrops\b/.test(header);
  return `/proc/net/${udp ? 'udp' : 'tcp'}${v6 ? '6' : ''}`;
}

/** `0100007F` (a __be32 printed as a host-order word, little-endian: x86-64, arm64) -> the 4 address bytes. */
function wordBytes(hex: string): number[] {
  const n = Number.parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
}

/** RFC 5952 text of 16 bytes: zeros compressed, IPv4-mapped as `::ffff:a.b.c.d`. */
function ipv6Text(bytes: readonly number[]): string {
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255)
    return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** The local address of a /proc/net line: 8 hex digits (IPv4) or 32 (IPv6, four host-order words). */
export function decodeProcNetAddress(hex: string): string | null {
  if (/^[0-9A-Fa-f]{8}$/.test(hex)) return wordBytes(hex).join('.');
  if (/^[0-9A-Fa-f]{32}$/.test(hex)) {
    const bytes: number[] = [];
    for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8)));
    return ipv6Text(bytes);
  }
  return null;
}

const TCP_LISTEN = '0A';
const UDP_UNCONNECTED = '07';

/**
 * The listening sockets of `cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6` output (any subset,
 * any order: each table starts with its header). Lines that do not parse are skipped.
 */
export function parseProcNetOutput(text: string): ObservedSocket[] {
  const out: ObservedSocket[] = [];
  const seen = new Set<string>();
  let file: string | null = null;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    if (/^sl\s+local_address/.test(t)) {
      file = fileOfHeader(t);
      continue;
    }
    if (!file) continue;
    // `0: 0100007F:1F90 00000000:0000 0A ...`: slot, local, remote, state.
    const f = t.split(/\s+/);
    const [local, remote, state] = [f[1] ?? '', f[2] ?? '', f[3] ?? ''];
    const udp = file.startsWith('/proc/net/udp');
    if (udp ? state !== UDP_UNCONNECTED : state !== TCP_LISTEN) continue;
    const [addrHex = '', portHex = ''] = local.split(':');
    const [remoteHex = '', remotePort = ''] = remote.split(':');
    // An unconnected UDP socket has no peer; a connected one is a client's.
    if (udp && (!/^0+$/.test(remoteHex) || !/^0+$/.test(remotePort))) continue;
    const address = decodeProcNetAddress(addrHex);
    const port = Number.parseInt(portHex, 16);
    if (address === null || !/^[0-9A-Fa-f]{4}$/.test(portHex) || port === 0) continue;
    const protocol = udp ? 'UDP' : 'TCP';
    const key = `${protocol} ${address} ${port}`;
    if (seen.has(key)) continue; // SO_REUSEPORT groups list one socket per member
    seen.add(key);
    out.push({ protocol, address, port, file });
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
    const running = new Set(
      [...list(status.containerStatuses), ...list(status.initContainerStatuses)]
        .filter((s) => isObject(s.state) && isObject(s.state.running))
        .map((s) => String(s.name)),
    );
    const names = [
      ...list(spec.containers).map((c) => String(c.name)),
      ...list(spec.initContainers)
        .filter((c) => c.restartPolicy === 'Always')
        .map((c) => String(c.name)),
    ];
    const ready = list(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True');
    out.push({
      namespace: String(meta.namespace ?? 'default'),
      name: String(meta.name ?? ''),
      containers: names.filter((n) => running.has(n)),
      ready,
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
  const exec = new Exec(kc, new WebSocketHandler(kc, factory));
  const out = collector();
  const err = collector();
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
        ws.on('close', () => setImmediate(() => finish(output())));
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
  | { readonly ok: false; readonly why: string; readonly forbidden: boolean; readonly severity: 'warning' | 'info' };

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
      if (!o.ok && o.forbidden) forbidden.set(t.namespace, o.why);
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
            fix: `Grant get and create on pods/exec in namespace ${t.namespace} (docs/probe-rbac.yaml: kubectl apply -f docs/probe-rbac.yaml), or run without --probe.`,
          }
        : {}),
    });
  });
  return { observed, findings, execs };
}
