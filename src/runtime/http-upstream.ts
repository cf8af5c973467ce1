/**
 * A lean HTTP/1.1 upstream client for the ingress controller: kept-alive raw sockets per upstream and a minimal
 * response reader (status line, headers, then a Content-Length, chunked or close-delimited body, or none for
 * HEAD, 1xx, 204 and 304 as RFC 9112 §6.3 says). Node's http.request costs several times the whole proxying
 * work of nginx per request; writing the request as one string and reading the response here does not.
 *
 * One request per socket at a time (nginx does not pipeline to upstreams either): a socket goes back to its
 * pool only once its response was read whole and nothing followed it.
 */
import net from 'node:net';

/** Idle sockets kept per upstream (ingress-nginx upstream-keepalive-connections, 320). */
const MAX_IDLE = 320;
const CRLF_CRLF = Buffer.from('\r\n\r\n');

export interface UpstreamHead {
  readonly status: number;
  /** Names and values in turn, as received (Node's rawHeaders form). */
  readonly rawHeaders: readonly string[];
}

export interface UpstreamExchangeHandlers {
  /** The socket is connected (new) or taken from the pool (reused). */
  onConnected(): void;
  onHead(head: UpstreamHead): void;
  /** A piece of the decoded body; returning false pauses the upstream until resume() is called. */
  onData(chunk: Buffer): boolean;
  onEnd(): void;
  /** A failure; `reused`: the socket came from the pool, `responded`: the head had been received. */
  onError(
    error: Error,
    state: { readonly connected: boolean; readonly reused: boolean; readonly responded: boolean },
  ): void;
}

export interface UpstreamExchange {
  /** Drops the exchange and its socket (the client went away). */
  abort(): void;
  /** Resumes reading after onData returned false. */
  resume(): void;
}

export class UpstreamTimeoutError extends Error {
  constructor(readonly phase: 'connect' | 'io') {
    super(phase === 'connect' ? 'upstream connect timed out' : 'upstream timed out');
  }
}

export class UpstreamProtocolError extends Error {}

/** How the body of the response being read ends (RFC 9112 §6.3). */
enum Body {
  None,
  Length,
  Close,
  Chunked,
}
enum Chunk {
  Size,
  Data,
  DataEnd,
  Trailer,
}

/**
 * One kept-alive upstream connection. Its listeners and timeout are set once, when it is dialled, and each
 * exchange only resets a few fields: a request costs no closures, listener changes or timer re-arming (the
 * socket's idle timeout is the io timeout while busy and nginx's upstream keepalive_timeout while pooled,
 * both 60 s by default).
 */
class UpstreamConnection {
  readonly socket: net.Socket;
  /** The exchange in progress; null while pooled (or once closed). */
  private handlers: UpstreamExchangeHandlers | null = null;
  /** Bumped per exchange, so that an old exchange's abort() cannot touch a newer one. */
  generation = 0;
  private dead = false;
  private connected = false;
  private reused = false;
  private responded = false;
  private noResponseBody = false;
  private keepAlive = false;
  private headBuf: Buffer | null = null;
  private body = Body.None;
  private left = 0;
  private chunk = Chunk.Size;
  private line = '';
  private connectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: UpstreamPool,
    readonly key: string,
    ip: string,
    port: number,
  ) {
    const socket = net.connect({ host: ip, port, noDelay: true });
    this.socket = socket;
    socket.setTimeout(pool.ioTimeoutMs);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onClose());
    socket.on('error', (e: Error) => this.onError(e));
    socket.on('timeout', () => this.onTimeout());
    socket.once('connect', () => this.onConnect());
    // proxy_connect_timeout bounds a new connection only.
    this.connectTimer = setTimeout(
      () => this.fail(new UpstreamTimeoutError('connect')),
      pool.connectTimeoutMs,
    );
  }

  /** Starts an exchange: `head` is written now (a new socket sends it once connected). */
  begin(head: string, noResponseBody: boolean, handlers: UpstreamExchangeHandlers, reused: boolean): void {
    this.generation++;
    this.handlers = handlers;
    this.reused = reused;
    this.responded = false;
    this.noResponseBody = noResponseBody;
    this.keepAlive = false;
    this.headBuf = null;
    this.body = Body.None;
    if (reused) {
      this.socket.resume();
      const generation = this.generation;
      queueMicrotask(() => {
        if (this.generation === generation && this.handlers === handlers) handlers.onConnected();
      });
    }
    this.socket.write(head, 'latin1');
  }

  abort(generation: number): void {
    if (generation !== this.generation || this.handlers === null) return;
    this.handlers = null;
    this.close();
  }

  resume(generation: number): void {
    if (generation === this.generation && this.handlers !== null) this.socket.resume();
  }

  /** Destroys the socket; it is never pooled again. */
  close(): void {
    this.dead = true;
    clearTimeout(this.connectTimer);
    this.pool.forget(this);
    this.socket.destroy();
  }

  private fail(error: Error): void {
    const h = this.handlers;
    const state = { connected: this.connected, reused: this.reused, responded: this.responded };
    this.handlers = null;
    this.close();
    h?.onError(error, state);
  }

  private finish(rest: boolean): void {
    const h = this.handlers;
    this.handlers = null;
    if (this.keepAlive && !rest && !this.dead) this.pool.release(this);
    else this.close();
    h?.onEnd();
  }

  private onConnect(): void {
    this.connected = true;
    clearTimeout(this.connectTimer);
    this.handlers?.onConnected();
  }

  private onEnd(): void {
    if (this.handlers === null) this.close();
    else if (this.responded && this.body === Body.Close) this.finish(false);
    else this.fail(new UpstreamProtocolError('upstream closed the connection early'));
  }

  private onClose(): void {
    if (this.handlers === null) this.close();
    else this.fail(new UpstreamProtocolError('upstream connection closed'));
  }

  private onError(error: Error): void {
    if (this.handlers === null) this.close();
    else this.fail(error);
  }

  private onTimeout(): void {
    // Pooled: keepalive_timeout, the idle connection is closed. Busy: proxy_read/send_timeout.
    if (this.handlers === null) this.close();
    else this.fail(new UpstreamTimeoutError('io'));
  }

  private onData(chunk: Buffer): void {
    // Anything an idle connection sends unasked takes it out of the pool.
    if (this.handlers === null) {
      this.close();
      return;
    }
    if (this.responded) {
      this.feedBody(chunk, 0);
      return;
    }
    let buf = this.headBuf ? Buffer.concat([this.headBuf, chunk]) : chunk;
    for (;;) {
      const end = buf.indexOf(CRLF_CRLF);
      if (end < 0) {
        if (buf.length > 65536) {
          this.fail(new UpstreamProtocolError('response head too large'));
          return;
        }
        this.headBuf = buf;
        return;
      }
      const final = this.parseHead(buf, end);
      if (this.handlers === null) return;
      if (final) {
        this.headBuf = null;
        this.feedBody(buf, end + 4);
        return;
      }
      buf = buf.subarray(end + 4);
      if (buf.length === 0) {
        this.headBuf = null;
        return;
      }
    }
  }

  /** Hands a piece of the body on; false from the handler pauses the socket until resume(). */
  private deliver(data: Buffer): void {
    if (this.handlers?.onData(data) === false) this.socket.pause();
  }

  /** Feeds body bytes from `data` at `at`; ends the exchange when the body is complete. */
  private feedBody(data: Buffer, at: number): void {
    if (this.body === Body.Length) {
      const take = Math.min(this.left, data.length - at);
      if (take > 0) {
        this.left -= take;
        this.deliver(at === 0 && take === data.length ? data : data.subarray(at, at + take));
      }
      if (this.left === 0 && this.handlers !== null) this.finish(at + take < data.length);
      return;
    }
    if (this.body === Body.Close) {
      if (at < data.length) this.deliver(data.subarray(at));
      return;
    }
    if (this.body === Body.Chunked) {
      this.feedChunked(data, at);
      return;
    }
    this.finish(at < data.length);
  }

  private feedChunked(data: Buffer, at: number): void {
    let i = at;
    while (i < data.length) {
      if (this.chunk === Chunk.Data) {
        const take = Math.min(this.left, data.length - i);
        this.deliver(data.subarray(i, i + take));
        if (this.handlers === null) return;
        i += take;
        this.left -= take;
        if (this.left === 0) this.chunk = Chunk.DataEnd;
        continue;
      }
      const nl = data.indexOf(10, i);
      const piece = data.toString('latin1', i, nl < 0 ? data.length : nl);
      if (nl < 0) {
        this.line += piece;
        if (this.line.length > 8192) this.fail(new UpstreamProtocolError('chunk line too long'));
        return;
      }
      const line = (this.line + piece).replace(/\r$/, '');
      this.line = '';
      i = nl + 1;
      if (this.chunk === Chunk.DataEnd) {
        if (line !== '') {
          this.fail(new UpstreamProtocolError('bad chunk end'));
          return;
        }
        this.chunk = Chunk.Size;
      } else if (this.chunk === Chunk.Size) {
        const size = Number.parseInt(line.split(';', 1)[0] ?? '', 16);
        if (!Number.isFinite(size) || size < 0) {
          this.fail(new UpstreamProtocolError('bad chunk size'));
          return;
        }
        if (size === 0) this.chunk = Chunk.Trailer;
        else {
          this.chunk = Chunk.Data;
          this.left = size;
        }
      } else if (line === '') {
        // The empty line after the last chunk and its trailers (trailers are not forwarded).
        this.finish(i < data.length);
        return;
      }
    }
  }

  /** Parses one response head ending at `end` in `buf`; returns false when it was a 1xx to skip. */
  private parseHead(buf: Buffer, end: number): boolean {
    const text = buf.toString('latin1', 0, end);
    const m = STATUS_LINE.exec(text);
    if (!m) {
      this.fail(new UpstreamProtocolError('bad status line'));
      return false;
    }
    const minor = m[1];
    const status = Number(m[2]);
    const rawHeaders: string[] = [];
    let length: number | null = null;
    let chunked = false;
    let connection = '';
    let at = text.indexOf('\r\n');
    while (at >= 0) {
      const next = text.indexOf('\r\n', at + 2);
      const stop = next < 0 ? text.length : next;
      const colon = text.indexOf(':', at + 2);
      if (colon > at + 2 && colon < stop) {
        const name = text.slice(at + 2, colon).trim();
        const value = text.slice(colon + 1, stop).trim();
        rawHeaders.push(name, value);
        // Only the few framing headers are compared (by length first: no lower-casing per header).
        if (name.length === 14 && name.toLowerCase() === 'content-length') length = Number(value);
        else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding')
          chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
        else if (name.length === 10 && name.toLowerCase() === 'connection')
          connection = `${connection},${value.toLowerCase()}`;
      }
      at = next;
    }
    // 1xx other than 101 (not asked for here) are interim: the final response follows.
    if (status >= 100 && status < 200) return false;
    this.responded = true;
    this.keepAlive =
      minor === '1'
        ? connection === '' || !/(?:^|,)\s*close\s*(?:,|$)/.test(connection)
        : /(?:^|,)\s*keep-alive/.test(connection);
    if (this.noResponseBody || status === 204 || status === 304) this.body = Body.None;
    else if (chunked) {
      this.body = Body.Chunked;
      this.chunk = Chunk.Size;
      this.left = 0;
      this.line = '';
    } else if (length !== null && Number.isInteger(length) && length >= 0) {
      this.body = length === 0 ? Body.None : Body.Length;
      this.left = length;
    } else {
      this.body = Body.Close;
      this.keepAlive = false;
    }
    this.handlers?.onHead({ status, rawHeaders });
    return true;
  }
}

const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})/;

/** What exchange() hands back: one small object, whose calls reach only its own exchange. */
class Exchange implements UpstreamExchange {
  constructor(
    private readonly conn: UpstreamConnection,
    private readonly generation: number,
  ) {}
  abort(): void {
    this.conn.abort(this.generation);
  }
  resume(): void {
    this.conn.resume(this.generation);
  }
}

/** Pools of idle kept-alive connections, one per upstream address. */
export class UpstreamPool {
  private readonly idle = new Map<string, UpstreamConnection[]>();
  private readonly all = new Set<UpstreamConnection>();
  private closed = false;

  constructor(
    readonly connectTimeoutMs: number,
    readonly ioTimeoutMs: number,
  ) {}

  /** Sends `head` (a whole request without body) to ip:port and reads the response. */
  exchange(
    ip: string,
    port: number,
    head: string,
    noResponseBody: boolean,
    handlers: UpstreamExchangeHandlers,
  ): UpstreamExchange {
    const key = `${ip}:${port}`;
    let conn = this.idle.get(key)?.pop();
    const reused = conn !== undefined;
    if (!conn) {
      conn = new UpstreamConnection(this, key, ip, port);
      this.all.add(conn);
    }
    conn.begin(head, noResponseBody, handlers, reused);
    return new Exchange(conn, conn.generation);
  }

  /** A connection whose response was read whole goes back to its pool (LIFO: the warmest first). */
  release(conn: UpstreamConnection): void {
    if (this.closed) {
      conn.close();
      return;
    }
    let stack = this.idle.get(conn.key);
    if (!stack) {
      stack = [];
      this.idle.set(conn.key, stack);
    }
    if (stack.length >= MAX_IDLE) {
      conn.close();
      return;
    }
    // Reading goes on while pooled, so that a close or unasked bytes take it out at once.
    conn.socket.resume();
    stack.push(conn);
  }

  /** A closed connection leaves the pool. */
  forget(conn: UpstreamConnection): void {
    if (!this.all.delete(conn)) return;
    const stack = this.idle.get(conn.key);
    const i = stack ? stack.lastIndexOf(conn) : -1;
    if (stack && i >= 0) stack.splice(i, 1);
  }

  /** Closes every idle and active socket. */
  close(): void {
    this.closed = true;
    for (const c of [...this.all]) c.close();
    this.idle.clear();
  }
}
