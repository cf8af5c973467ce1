/**
 * `GET|POST pods/NAME/exec`: `kubectl exec` and @kubernetes/client-node's Exec against `portchain up`.
 *
 * Before the upgrade, the API server's checks (pkg/registry/core/pod/strategy.go streamLocation): the pod
 * (404), the container (400 `container X is not valid for pod Y`, or which one when the pod has several), a
 * host (400 `pod X does not have a host assigned`: not in the data plane); then the kubelet's: at least one of
 * stdin/stdout/stderr (400), the container running (`container not found ("X")`).
 *
 * The upgrade is to WebSocket with the channel protocols (k8s.io/apimachinery/pkg/util/remotecommand,
 * apiserver/pkg/util/proxy/websocket.go): binary frames whose first byte is the stream, 0 stdin, 1 stdout,
 * 2 stderr, 3 error, 4 resize (v3+); v5 adds 255 close (`[255, 0]`: the client closed stdin). The first protocol
 * the client offers that is served wins. An empty frame on the lowest writable stream says the streams are up.
 * v4 and v5 end with a metav1.Status on stream 3 (`{"metadata":{},"status":"Success"}`, or Failure with reason
 * NonZeroExitCode and the code as cause `ExitCode`); older protocols write only the error text there. SPDY/3.1
 * (kubectl before 1.30, or when WebSocket fails) carries the same streams as one SPDY stream each, v4 at most.
 *
 * Nothing runs on the host. The container's runtime knows one program, `cat`, reading the pod's /proc/net
 * tables (src/runtime/proc-net.ts: what the pod's processes really bound); every other program fails as
 * containerd fails to exec a missing binary (an InternalError status: kubectl prints it and exits 1).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { ClusterPlan } from '../runtime/plan.js';
import { type PodNetworkSource, PROC_NET_FILES, type ProcNetFile, podProcNet } from '../runtime/proc-net.js';
import { arrayAt, isJsonObject, type JsonObject, stringAt } from './json.js';
import { SpdySession, type SpdyStream } from './spdy.js';
import { ApiError, badRequest } from './status.js';

/** The WebSocket subprotocols served, newest first (the client's order decides). */
export const EXEC_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
] as const;

export const STREAM_STDIN = 0;
export const STREAM_STDOUT = 1;
export const STREAM_STDERR = 2;
export const STREAM_ERROR = 3;
export const STREAM_RESIZE = 4;
export const STREAM_CLOSE = 255;

const EXEC_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec\/?$/;

/** The namespace and pod of an exec URL; null for any other URL. */
export function execTarget(url: string): { namespace: string; pod: string } | null {
  const m = EXEC_PATH.exec(new URL(url, 'https://localhost').pathname);
  if (!m?.[1] || !m[2]) return null;
  try {
    return { namespace: decodeURIComponent(m[1]), pod: decodeURIComponent(m[2]) };
  } catch {
    return null;
  }
}

export const isExecUrl = (url: string) => execTarget(url) !== null;

export interface ExecRequest {
  readonly command: readonly string[];
  readonly container: string | null;
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

/** PodExecOptions from the query (booleans as the query converter reads them: `true`, `1`). */
export function execRequest(url: string): ExecRequest {
  const q = new URL(url, 'https://localhost').searchParams;
  const flag = (k: string) => ['true', '1', 't', 'True', 'TRUE'].includes(q.get(k) ?? '');
  return {
    command: q.getAll('command'),
    container: q.get('container') || null,
    stdin: flag('stdin'),
    stdout: flag('stdout'),
    stderr: flag('stderr'),
    tty: flag('tty'),
  };
}

const containerNames = (pod: JsonObject, field: string) =>
  arrayAt(pod, 'spec', field)
    .filter(isJsonObject)
    .map((c) => String(c.name));

/** streamLocation's container choice: the container exec runs in, or the API server's 400. */
export function execContainer(pod: JsonObject, name: string, container: string | null): string {
  const main = containerNames(pod, 'containers');
  if (!container) {
    if (main.length === 1) return main[0] as string;
    if (main.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
    const init = containerNames(pod, 'initContainers');
    throw badRequest(
      `a container name must be specified for pod ${name}, choose one of: [${main.join(' ')}]${init.length > 0 ? ` or one of the init containers: [${init.join(' ')}]` : ''}`,
    );
  }
  const all = [
    ...main,
    ...containerNames(pod, 'initContainers'),
    ...containerNames(pod, 'ephemeralContainers'),
  ];
  if (!all.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  return container;
}

// ---- The container's side: what runs when exec'd. ----

export type ExecOutcome =
  | { readonly kind: 'exited'; readonly code: number }
  /** The runtime could not start the program (runc's words). */
  | { readonly kind: 'not-started'; readonly error: string };

export interface ExecStreams {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The client's stdin until it closes (empty when the request has no stdin). */
  stdin(): AsyncIterable<Buffer>;
}

/** What `cat` can read in the container: files by absolute path, and the directories around them. */
export interface ContainerFiles {
  readonly files: ReadonlyMap<string, string>;
  readonly directories: ReadonlySet<string>;
}

/** The pod's /proc/net tables where a container finds them (/proc/net is a link to /proc/self/net). */
export function procNetFiles(tables: Readonly<Record<ProcNetFile, string>>): ContainerFiles {
  const files = new Map<string, string>();
  const directories = new Set<string>(['/', '/proc']);
  for (const dir of ['/proc/net', '/proc/self/net', '/proc/thread-self/net', '/proc/1/net']) {
    directories.add(dir);
    directories.add(posix.dirname(dir));
    for (const f of PROC_NET_FILES) files.set(`${dir}/${f}`, tables[f]);
  }
  return { files, directories };
}

const CAT_PROGRAMS = new Set(['cat', '/bin/cat', '/usr/bin/cat']);

/**
 * Runs `argv` in the simulated container: `cat` (GNU coreutils' words and exit codes) over `files`, read
 * lazily; any other program is not in the image.
 */
export async function runInContainer(
  argv: readonly string[],
  files: () => Promise<ContainerFiles>,
  io: ExecStreams,
): Promise<ExecOutcome> {
  const program = argv[0] ?? '';
  const resolved = program.includes('/') ? posix.normalize(posix.resolve('/', program)) : program;
  if (!CAT_PROGRAMS.has(resolved)) {
    // runc (libcontainer/standard_init_linux.go via exec.LookPath): a name is searched on $PATH, a path stat'ed.
    const why = program.includes('/')
      ? `exec: ${JSON.stringify(program)}: stat ${program}: no such file or directory`
      : `exec: ${JSON.stringify(program)}: executable file not found in $PATH`;
    return { kind: 'not-started', error: `exec failed: unable to start container process: ${why}` };
  }
  const operands: string[] = [];
  let options = true;
  for (const a of argv.slice(1)) {
    if (options && a === '--') options = false;
    else if (options && a.startsWith('-') && a !== '-') {
      // -u is accepted and ignored (POSIX); other options are not served by this cat.
      const bad = [...a.slice(1)].find((c) => c !== 'u');
      if (a.startsWith('--') || bad !== undefined) {
        const shown = a.startsWith('--') ? `unrecognized option '${a}'` : `invalid option -- '${bad}'`;
        io.stderr(`cat: ${shown}\nTry 'cat --help' for more information.\n`);
        return { kind: 'exited', code: 1 };
      }
    } else operands.push(a);
  }
  if (operands.length === 0) operands.push('-');
  let fs: ContainerFiles | undefined;
  let code = 0;
  for (const operand of operands) {
    if (operand === '-') {
      for await (const chunk of io.stdin()) io.stdout(chunk.toString('utf8'));
      continue;
    }
    fs ??= await files();
    const path = posix.normalize(posix.resolve('/', operand));
    const text = fs.files.get(path);
    if (text !== undefined) io.stdout(text);
    else {
      code = 1;
      const why = fs.directories.has(path) ? 'Is a directory' : 'No such file or directory';
      io.stderr(`cat: ${operand}: ${why}\n`);
    }
  }
  return { kind: 'exited', code };
}

/**
 * The status the kubelet's streaming server writes (pkg/kubelet/cri/streaming/remotecommand/exec.go, with
 * containerd's errors: pkg/cri/server/container_execsync.go), as json.Marshal writes metav1.Status.
 */
export function execStatus(argv: readonly string[], outcome: ExecOutcome): JsonObject {
  if (outcome.kind === 'exited' && outcome.code === 0) return { metadata: {}, status: 'Success' };
  if (outcome.kind === 'exited')
    return {
      metadata: {},
      status: 'Failure',
      message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${outcome.code}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(outcome.code) }] },
    };
  const execId = randomBytes(32).toString('hex');
  const err = `error executing command in container: failed to exec in container: failed to start exec ${JSON.stringify(execId)}: OCI runtime exec failed: ${outcome.error}: unknown`;
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${err}`,
    reason: 'InternalError',
    details: { causes: [{ message: err }] },
    code: 500,
  };
}

// ---- The WebSocket server. ----

/** What exec needs of a running `up` (src/runtime/up.ts Up: its plan and its kubelet). */
export interface ExecUp {
  readonly plan: ClusterPlan;
  readonly pods: PodNetworkSource;
}

export interface ExecHooks {
  readonly authorized: (req: IncomingMessage) => boolean;
  /** The stored pod (undefined: 404). */
  readonly pod: (namespace: string, name: string) => JsonObject | undefined;
  readonly up: ExecUp;
}

function refuse(socket: Duplex, code: number, text: string, body: string, type: string): void {
  socket.end(
    `HTTP/1.1 ${code} ${text}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
const refuseStatus = (socket: Duplex, e: ApiError) =>
  refuse(socket, e.code, e.reason, JSON.stringify(e.body()), 'application/json');
const refuseText = (socket: Duplex, code: number, text: string, message: string) =>
  refuse(socket, code, text, `${message}\n`, 'text/plain; charset=utf-8');

/** An async queue of stdin chunks, ended by the client's close of stream 0 or of the connection. */
class StdinQueue {
  private readonly chunks: Buffer[] = [];
  private ended = false;
  private wake: (() => void) | null = null;

  push(b: Buffer): void {
    if (this.ended) return;
    this.chunks.push(b);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *read(): AsyncIterable<Buffer> {
    for (;;) {
      const next = this.chunks.shift();
      if (next) yield next;
      else if (this.ended) return;
      else
        await new Promise<void>((r) => {
          this.wake = r;
        });
      this.wake = null;
    }
  }
}

/** Where a session's streams go: WebSocket frames or SPDY streams. */
interface ExecTransport {
  /** The negotiated protocol (`channel.k8s.io`, `v2.channel.k8s.io`... `v5.channel.k8s.io`). */
  readonly protocol: string;
  write(stream: number, text: string): void;
  /** After the status: closes the connection (the kubelet closes it; the client reads to the end). */
  finish(): void;
}

/** SPDY serves v4 and older (v5 exists for WebSocket only: remotecommand.StreamProtocolV5Name). */
const SPDY_PROTOCOLS = EXEC_PROTOCOLS.filter((p) => p !== 'v5.channel.k8s.io');

/** The protocols a client offers in a comma-separated header (Sec-WebSocket-Protocol, X-Stream-Protocol-Version). */
const offeredProtocols = (header: string | string[] | undefined): string[] =>
  String(header ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);

/** Takes over an exec request's upgraded connection, for one transport. */
type UpgradeHandler = (
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: { namespace: string; pod: string },
  r: ExecRequest,
) => void;

/** Serves the exec subresource on `server`'s upgrades; other upgrade URLs are left to their handlers. */
export function serveExec(server: Server, hooks: ExecHooks): { close(): void } {
  const sessions = new Set<{ close(): void }>();
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered: Set<string>) =>
      [...offered].find((p) => (EXEC_PROTOCOLS as readonly string[]).includes(p)) ?? false,
  });

  /** One exec: runs the command, writes its output and the status, then finishes. */
  const run = async (t: ExecTransport, stdin: StdinQueue, namespace: string, pod: string, r: ExecRequest) => {
    const statusJson = t.protocol === 'v4.channel.k8s.io' || t.protocol === 'v5.channel.k8s.io';
    if (!r.stdin) stdin.end();
    // With a TTY there is no stderr (the kubelet drops it) and the terminal writes \r\n (onlcr).
    const out = (stream: number) => (text: string) =>
      t.write(r.tty ? STREAM_STDOUT : stream, r.tty ? text.replace(/\r?\n/g, '\r\n') : text);
    const io: ExecStreams = {
      stdout: r.stdout ? out(STREAM_STDOUT) : () => {},
      stderr: r.stderr || r.tty ? out(STREAM_STDERR) : () => {},
      stdin: () => stdin.read(),
    };
    const files = async () => {
      const tables = await podProcNet(hooks.up, namespace, pod);
      return procNetFiles(tables ?? { tcp: '', tcp6: '', udp: '', udp6: '' });
    };
    const outcome = await runInContainer(r.command, files, io);
    const status = execStatus(r.command, outcome);
    if (statusJson) t.write(STREAM_ERROR, JSON.stringify(status));
    else if (status.status !== 'Success') t.write(STREAM_ERROR, String(status.message ?? ''));
    t.finish();
  };

  const overWebSocket: UpgradeHandler = (req, socket, head, target, r) => {
    const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
    if (offered.length > 0 && !offered.some((p) => (EXEC_PROTOCOLS as readonly string[]).includes(p)))
      return refuseStatus(
        socket,
        badRequest(
          `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${EXEC_PROTOCOLS.join(' ')}]`,
        ),
      );
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const entry = { close: () => ws.terminate() };
      sessions.add(entry);
      // No protocol offered: the original channel.k8s.io.
      const protocol = ws.protocol || 'channel.k8s.io';
      const stdin = new StdinQueue();
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (!isBinary || data.length === 0) return;
        const stream = data[0];
        if (stream === STREAM_STDIN) stdin.push(data.subarray(1));
        else if (stream === STREAM_CLOSE && protocol === 'v5.channel.k8s.io' && data[1] === STREAM_STDIN)
          stdin.end();
      });
      ws.on('close', () => {
        sessions.delete(entry);
        stdin.end();
      });
      ws.on('error', () => ws.terminate());
      const t: ExecTransport = {
        protocol,
        write: (stream, text) => {
          if (ws.readyState === ws.OPEN)
            ws.send(Buffer.concat([Buffer.from([stream]), Buffer.from(text, 'utf8')]), { binary: true });
        },
        finish: () => ws.close(1000),
      };
      // apiserver/pkg/util/proxy/websocket.go: an empty message on the lowest writable stream first.
      t.write(r.stdout ? STREAM_STDOUT : r.stderr && !r.tty ? STREAM_STDERR : STREAM_ERROR, '');
      void run(t, stdin, target.namespace, target.pod, r).catch(() => ws.terminate());
    });
  };

  /**
   * kubectl before 1.30 (and 1.30+ when WebSocket fails): SPDY/3.1, the protocol version in
   * X-Stream-Protocol-Version (httpstream.Handshake), one SPDY stream per `streamType` header; the command
   * runs once the streams the request asked for are all open (remotecommand/httpstream.go waitStreamReply).
   */
  const overSpdy: UpgradeHandler = (req, socket, head, target, r) => {
    const offered = offeredProtocols(req.headers['x-stream-protocol-version']);
    const protocol =
      offered.length === 0
        ? 'channel.k8s.io'
        : offered.find((p) => (SPDY_PROTOCOLS as readonly string[]).includes(p));
    if (!protocol)
      return refuseText(
        socket,
        403,
        'Forbidden',
        `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${SPDY_PROTOCOLS.join(' ')}]`,
      );
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`,
    );
    const stdin = new StdinQueue();
    const streams = new Map<string, SpdyStream>();
    const wanted = ['error', ...(r.stdin ? ['stdin'] : []), ...(r.stdout ? ['stdout'] : [])];
    if (r.stderr && !r.tty) wanted.push('stderr');
    let started = false;
    const byNumber: Record<number, string> = {
      [STREAM_STDOUT]: 'stdout',
      [STREAM_STDERR]: 'stderr',
      [STREAM_ERROR]: 'error',
    };
    const spdy: SpdySession = new SpdySession(
      { write: (b) => socket.write(b), close: () => socket.end() },
      (s) => {
        const type = s.headers.get('streamtype') ?? '';
        streams.set(type, s);
        if (type === 'stdin') {
          s.onData = (b) => stdin.push(b);
          s.onEnd = () => stdin.end();
        } else s.onData ??= () => {};
        s.onReset = () => {
          if (type === 'stdin') stdin.end();
        };
        if (started || !wanted.every((w) => streams.has(w))) return;
        started = true;
        clearTimeout(timer);
        const t: ExecTransport = {
          protocol,
          write: (stream, text) => streams.get(byNumber[stream] ?? '')?.write(Buffer.from(text, 'utf8')),
          finish: () => {
            for (const x of streams.values()) x.end();
            // The client reads each stream to its FIN; the connection closes once they are written.
            setImmediate(() => spdy.close());
          },
        };
        void run(t, stdin, target.namespace, target.pod, r).catch(() => spdy.close());
      },
    );
    const entry = { close: () => spdy.close() };
    sessions.add(entry);
    // streamCreationTimeout: the kubelet gives up when the client does not open its streams.
    const timer = setTimeout(() => spdy.close(), 30_000);
    timer.unref();
    const receive = (b: Buffer) => {
      try {
        spdy.receive(b);
      } catch {
        spdy.close();
      }
    };
    if (head.length > 0) receive(head);
    socket.on('data', receive);
    socket.on('close', () => {
      clearTimeout(timer);
      sessions.delete(entry);
      stdin.end();
      spdy.close();
    });
    socket.on('error', () => spdy.close());
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = execTarget(req.url ?? '/');
    if (!target) return;
    if (!hooks.authorized(req))
      return refuseStatus(socket, new ApiError(401, 'Unauthorized', 'Unauthorized'));
    const r = execRequest(req.url ?? '/');
    let container: string;
    try {
      const pod = hooks.pod(target.namespace, target.pod);
      if (!pod)
        throw new ApiError(404, 'NotFound', `pods "${target.pod}" not found`, {
          name: target.pod,
          kind: 'pods',
        });
      container = execContainer(pod, stringAt(pod, 'metadata', 'name') ?? target.pod, r.container);
      if (!hooks.up.plan.pods.some((p) => p.namespace === target.namespace && p.name === target.pod))
        throw badRequest(`pod ${target.pod} does not have a host assigned`);
      if (r.command.length === 0) throw badRequest('you must specify at least one command for the container');
    } catch (e) {
      if (e instanceof ApiError) return refuseStatus(socket, e);
      return refuseStatus(socket, new ApiError(500, 'InternalError', (e as Error).message));
    }
    // The kubelet's own checks answer in plain text (streaming.WriteError, remotecommand.createStreams).
    if (!r.stdin && !r.stdout && !r.stderr)
      return refuseText(socket, 400, 'Bad Request', 'you must specify at least 1 of stdin, stdout, stderr');
    const net = hooks.up.pods.network?.(target.namespace, target.pod);
    if (!net?.containers.some((c) => c.name === container && c.running))
      return refuseText(
        socket,
        500,
        'Internal Server Error',
        `container not found (${JSON.stringify(container)})`,
      );
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    if (upgrade === 'websocket') return overWebSocket(req, socket, head, target, r);
    if (upgrade === 'spdy/3.1') return overSpdy(req, socket, head, target, r);
    refuseStatus(socket, badRequest('Upgrade request required'));
  };

  server.on('upgrade', onUpgrade);
  return {
    close: () => {
      server.off('upgrade', onUpgrade);
      for (const s of sessions) s.close();
      wss.close();
    },
  };
}
