/**
 * The client side of the ingress controller: a lean HTTP/1.1 front for the common request (GET or HEAD,
 * HTTP/1.1, no body, no Upgrade or Expect, every header once and well-formed), answered on the raw socket,
 * and Node's http.Server for everything else. Node's server costs more per request than the whole proxying
 * work of nginx; reading a simple head with indexOf and writing the answer as one string does not.
 *
 * A connection starts on the lean path; the first request it cannot take (a body, an Upgrade, HTTP/1.0, a
 * malformed head...) hands the socket, with the bytes not yet parsed put back (unshift), to the http.Server
 * for the rest of its life, so those requests keep Node's full parsing, errors (400, 431) and upgrades.
 * Pipelined requests are answered in order, one at a time (RFC 9112 §9.3.2).
 */

import type http from 'node:http';
import { STATUS_CODES } from 'node:http';
import net from 'node:net';

/** A request on the lean path. Header names are lower-cased (as Node's req.headers). */
export interface FrontRequest {
  readonly method: 'GET' | 'HEAD';
  /** The request target as received (origin form: starts with `/`). */
  readonly target: string;
  readonly headers: Record<string, string>;
  readonly socket: net.Socket;
}

export type FrontHandler = (req: FrontRequest, res: FrontResponse) => void;

/** Node's limits: --max-http-header-size (16 KiB) and a head's lines. */
const MAX_HEAD_BYTES = 16 * 1024;
const MAX_HEADERS = 100;
/** Node's server.keepAliveTimeout default, announced in Keep-Alive as Node does. */
const KEEP_ALIVE_MS = 5000;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A field value: visible ASCII, obs-text, spaces and tabs (RFC 9110 §5.5); no CR, LF or NUL. */
const GOOD_VALUE = /^[\t -~\u0080-\u00ff]*$/;
const REQUEST_LINE = /^(GET|HEAD) (\/[^\s]*) HTTP\/1\.1$/;
/** Requests the lean path leaves to Node: bodies, upgrades, expectations, framing it does not handle. */
const NOT_LEAN = new Set(['content-length', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings']);
const CRLF_CRLF = Buffer.from('\r\n\r\n');

let dateCache = '';
let dateSecond = 0;
/** The Date header, formatted once a second (as Node's utcDate cache). */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateCache = new Date(now).toUTCString();
  }
  return dateCache;
}

/** One connection on the lean path. */
class FrontConnection {
  private pending: Buffer | null = null;
  /** The response being written; the next request waits for it. */
  private current: FrontResponse | null = null;
  private handedOff = false;
  private ended = false;
  /** The connection is closing after an answer (Connection: close, or the client's end). */
  private closing = false;
  /** next() is running: a done() inside it lets the loop take the next request. */
  private parsing = false;
  /** Running while a request head has begun but not ended (slowloris' trick: a byte now and then). */
  private headTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly socket: net.Socket,
    private readonly handler: FrontHandler,
    private readonly fallback: http.Server,
    private readonly headersTimeoutMs: number,
  ) {
    socket.setNoDelay(true);
    socket.setTimeout(KEEP_ALIVE_MS);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('timeout', this.onTimeout);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.pending = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    // A pipelined request waits, unread, until the answer before it is complete.
    if (this.current === null) this.next();
    if (this.current !== null && this.pending !== null) this.socket.pause();
  };

  /** The client finished sending: the connection closes once the answer in flight (if any) is written. */
  private readonly onEnd = (): void => {
    this.ended = true;
    this.next();
  };

  /** Idle (no request in flight) for keepAliveTimeout: closed, as Node's server does. */
  private readonly onTimeout = (): void => {
    if (this.current === null) this.socket.destroy();
  };

  private readonly onError = (): void => {
    this.socket.destroy();
  };

  private readonly onClose = (): void => {
    this.stopHeadTimer();
    this.current?.clientGone();
  };

  private stopHeadTimer(): void {
    if (this.headTimer) clearTimeout(this.headTimer);
    this.headTimer = null;
  }

  /**
   * A head must be whole within headersTimeout of its first byte, however slowly it trickles in (an idle
   * timeout alone would be reset by every byte): else 408 and close, as Node's server does (and nginx's
   * client_header_timeout).
   */
  private readonly onHeadTimeout = (): void => {
    this.headTimer = null;
    if (this.current !== null || this.handedOff || this.closing) return;
    this.closing = true;
    this.pending = null;
    this.socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  };

  /** Answered: the next pipelined request, if any, is taken. */
  done(res: FrontResponse, close: boolean): void {
    if (this.current !== res) return;
    this.current = null;
    if (close) {
      this.closing = true;
      this.socket.end();
      return;
    }
    this.socket.resume();
    this.next();
  }

  /**
   * Takes the buffered requests one at a time. A loop, not recursion: answers written at once (a 404) call
   * done() inside the handler, and a client may pipeline thousands of requests in one read.
   */
  private next(): void {
    if (this.parsing) return;
    this.parsing = true;
    try {
      while (this.current === null && this.pending !== null && !this.handedOff && !this.closing) {
        const buf = this.pending;
        const end = buf.indexOf(CRLF_CRLF);
        if (end < 0) {
          if (buf.length > MAX_HEAD_BYTES) this.handOff();
          break;
        }
        const parsed = end <= MAX_HEAD_BYTES ? parseLean(buf.toString('latin1', 0, end)) : null;
        if (parsed === null) {
          this.handOff();
          break;
        }
        this.pending = end + 4 < buf.length ? buf.subarray(end + 4) : null;
        const res = new FrontResponse(this, parsed.method === 'HEAD', parsed.close);
        this.current = res;
        this.handler(
          { method: parsed.method, target: parsed.target, headers: parsed.headers, socket: this.socket },
          res,
        );
      }
    } finally {
      this.parsing = false;
    }
    // A head begun and not finished, with nothing in flight: its clock runs (once, from its first byte).
    const waitingForHead = this.current === null && this.pending !== null && !this.handedOff && !this.closing;
    if (!waitingForHead) this.stopHeadTimer();
    else if (!this.headTimer) {
      this.headTimer = setTimeout(this.onHeadTimeout, this.headersTimeoutMs);
      this.headTimer.unref();
    }
    // The client finished sending and every request it sent is answered.
    if (this.ended && this.current === null && !this.handedOff && !this.closing) {
      this.closing = true;
      this.socket.end();
    }
  }

  /** The rest of this connection goes to Node's http.Server, starting with the bytes not parsed yet. */
  private handOff(): void {
    this.handedOff = true;
    this.stopHeadTimer();
    const socket = this.socket;
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('timeout', this.onTimeout);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
    socket.setTimeout(0);
    if (this.pending !== null) socket.unshift(this.pending);
    this.pending = null;
    this.fallback.emit('connection', socket);
  }
}

interface Lean {
  readonly method: 'GET' | 'HEAD';
  readonly target: string;
  readonly headers: Record<string, string>;
  /** The client asked to close after this answer. */
  readonly close: boolean;
}

/** A request head the lean path takes, or null for Node's server. */
function parseLean(head: string): Lean | null {
  let eol = head.indexOf('\r\n');
  const m = REQUEST_LINE.exec(eol < 0 ? head : head.slice(0, eol));
  if (!m) return null;
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  let close = false;
  let host = false;
  while (eol >= 0) {
    const start = eol + 2;
    eol = head.indexOf('\r\n', start);
    const line = eol < 0 ? head.slice(start) : head.slice(start, eol);
    const colon = line.indexOf(':');
    if (colon <= 0 || ++count > MAX_HEADERS) return null;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return null;
    const value = line.slice(colon + 1).trim();
    if (!GOOD_VALUE.test(value)) return null;
    const lower = name.toLowerCase();
    // A repeated header is left to Node, whose joining rules (req.headers) stay the only ones.
    if (lower in headers || NOT_LEAN.has(lower)) return null;
    headers[lower] = value;
    if (lower === 'host') host = true;
    else if (lower === 'connection') {
      for (const t of value.split(',')) {
        const token = t.trim().toLowerCase();
        if (token === 'close') close = true;
        else if (token !== 'keep-alive' && token !== '') return null; // naming other headers: Node's way
      }
    }
  }
  // HTTP/1.1 requires Host (RFC 9112 §3.2): Node answers its absence.
  if (!host) return null;
  return { method: m[1] as 'GET' | 'HEAD', target: m[2] as string, headers, close };
}

/** The answer to one lean request, written straight to the socket (head and first body piece in one write). */
export class FrontResponse {
  headersSent = false;
  finished = false;
  /** The client went away before the answer was complete. */
  onAbort: (() => void) | null = null;
  /** The socket took what was written (after write() returned false). */
  onDrain: (() => void) | null = null;
  private chunked = false;
  /** The head, kept until the first body piece or the end so that both leave in one write. */
  private headText: string | null = null;

  constructor(
    private readonly conn: FrontConnection,
    private readonly head: boolean,
    private readonly close: boolean,
  ) {}

  /**
   * Status line and headers (names and values in turn, end-to-end only). A body without Content-Length is
   * sent chunked, as Node's server does; HEAD, 1xx, 204 and 304 answers have none.
   */
  writeHead(status: number, rawHeaders: readonly string[]): void {
    if (this.headersSent) return;
    this.headersSent = true;
    let out = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`;
    let length = false;
    let date = false;
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i] as string;
      if (name.length === 14 && name.toLowerCase() === 'content-length') length = true;
      else if (name.length === 4 && name.toLowerCase() === 'date') date = true;
      out += `${name}: ${rawHeaders[i + 1]}\r\n`;
    }
    if (!date) out += `Date: ${httpDate()}\r\n`;
    out += this.close ? 'Connection: close\r\n' : 'Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n';
    const bodyless = this.head || status === 204 || status === 304 || (status >= 100 && status < 200);
    this.chunked = !length && !bodyless;
    if (this.chunked) out += 'Transfer-Encoding: chunked\r\n';
    this.headText = `${out}\r\n`;
  }

  /** A piece of the body; false when the socket is full (onDrain follows). */
  write(chunk: Buffer | string): boolean {
    if (this.finished || this.head || chunk.length === 0) return true;
    const socket = this.conn.socket;
    const head = this.headText;
    this.headText = null;
    let ok: boolean;
    if (this.chunked || head !== null) {
      socket.cork();
      if (head !== null) socket.write(head, 'latin1');
      if (this.chunked) socket.write(`${Buffer.byteLength(chunk).toString(16)}\r\n`, 'latin1');
      ok = socket.write(chunk);
      if (this.chunked) ok = socket.write('\r\n', 'latin1');
      socket.uncork();
    } else ok = socket.write(chunk);
    if (ok) return true;
    socket.once('drain', this.drained);
    return false;
  }

  private readonly drained = (): void => this.onDrain?.();

  end(body?: string): void {
    if (this.finished) return;
    if (body !== undefined) this.write(body);
    this.finished = true;
    const socket = this.conn.socket;
    const tail = this.chunked && !this.head ? '0\r\n\r\n' : '';
    if (this.headText !== null) socket.write(this.headText + tail, 'latin1');
    else if (tail !== '') socket.write(tail, 'latin1');
    this.headText = null;
    this.conn.done(this, this.close);
  }

  /** Drops the connection (an answer cut short: the client must not take it as whole). */
  destroy(): void {
    this.finished = true;
    this.conn.socket.destroy();
  }

  clientGone(): void {
    if (this.finished) return;
    this.finished = true;
    this.onAbort?.();
  }
}

/**
 * Listens on host:port; lean requests go to `handler`, every other connection (from its first request the
 * lean path does not take) to `fallback`, which must not listen itself.
 */
export function startFront(
  fallback: http.Server,
  handler: FrontHandler,
  host: string,
  port: number,
  options: { readonly headersTimeoutMs?: number } = {},
): Promise<{ server: net.Server; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  // The fallback server's own setting (Node's default: 60 s) governs both paths.
  const headersTimeoutMs = options.headersTimeoutMs ?? (fallback.headersTimeout || 60_000);
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    new FrontConnection(socket, handler, fallback, headersTimeoutMs);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, sockets });
    });
  });
}
