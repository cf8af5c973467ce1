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

interface IdleSocket {
  readonly socket: net.Socket;
  /** Removes the idle listeners, when the socket is taken again. */
  readonly detach: () => void;
}

type BodyState =
  | { kind: 'none' }
  | { kind: 'length'; left: number }
  | { kind: 'close' }
  | { kind: 'chunked'; phase: 'size' | 'data' | 'dataEnd' | 'trailer'; left: number; line: string };

/** Pools of idle kept-alive sockets, one per upstream address. */
export class UpstreamPool {
  private readonly idle = new Map<string, IdleSocket[]>();
  private readonly active = new Set<net.Socket>();
  private closed = false;

  constructor(
    private readonly connectTimeoutMs: number,
    private readonly ioTimeoutMs: number,
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
    const entry = this.idle.get(key)?.pop();
    entry?.detach();
    const pooled = entry?.socket;
    const reused = pooled !== undefined;
    const socket = pooled ?? net.connect({ host: ip, port, noDelay: true });
    this.active.add(socket);
    let connected = reused;
    let responded = false;
    let done = false;
    let headBuf: Buffer | null = null;
    let body: BodyState = { kind: 'none' };
    let keepAlive = false;
    let connectTimer: NodeJS.Timeout | undefined;

    const cleanup = (): void => {
      done = true;
      clearTimeout(connectTimer);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onClose);
      socket.removeListener('error', onError);
      socket.removeListener('timeout', onTimeout);
      socket.removeListener('connect', onConnect);
      this.active.delete(socket);
    };
    const fail = (error: Error): void => {
      if (done) return;
      cleanup();
      socket.destroy();
      handlers.onError(error, { connected, reused, responded });
    };
    const finish = (rest: boolean): void => {
      cleanup();
      if (keepAlive && !rest && !this.closed) this.release(key, socket);
      else socket.destroy();
      handlers.onEnd();
    };

    /** Feeds body bytes from `data` at `at`; ends the exchange when the body is complete. */
    const feedBody = (data: Buffer, at: number): void => {
      if (body.kind === 'length') {
        const take = Math.min(body.left, data.length - at);
        if (take > 0) {
          body.left -= take;
          if (!handlers.onData(data.subarray(at, at + take))) socket.pause();
        }
        if (body.left === 0) finish(at + take < data.length);
        return;
      }
      if (body.kind === 'close') {
        if (at < data.length && !handlers.onData(data.subarray(at))) socket.pause();
        return;
      }
      if (body.kind === 'chunked') {
        const c = body;
        let i = at;
        while (i < data.length) {
          if (c.phase === 'data') {
            const take = Math.min(c.left, data.length - i);
            if (!handlers.onData(data.subarray(i, i + take))) socket.pause();
            if (done) return;
            i += take;
            c.left -= take;
            if (c.left === 0) c.phase = 'dataEnd';
            continue;
          }
          const nl = data.indexOf(10, i);
          const piece = data.toString('latin1', i, nl < 0 ? data.length : nl);
          if (nl < 0) {
            c.line += piece;
            if (c.line.length > 8192) {
              fail(new UpstreamProtocolError('chunk line too long'));
              return;
            }
            return;
          }
          const line = (c.line + piece).replace(/\r$/, '');
          c.line = '';
          i = nl + 1;
          if (c.phase === 'dataEnd') {
            if (line !== '') {
              fail(new UpstreamProtocolError('bad chunk end'));
              return;
            }
            c.phase = 'size';
          } else if (c.phase === 'size') {
            const size = Number.parseInt(line.split(';', 1)[0] ?? '', 16);
            if (!Number.isFinite(size) || size < 0) {
              fail(new UpstreamProtocolError('bad chunk size'));
              return;
            }
            if (size === 0) c.phase = 'trailer';
            else {
              c.phase = 'data';
              c.left = size;
            }
          } else if (line === '') {
            // The empty line after the last chunk and its trailers (trailers are not forwarded).
            finish(i < data.length);
            return;
          }
        }
        return;
      }
      finish(at < data.length);
    };

    /** Parses one response head ending at `end` in `buf`; returns false when it was a 1xx to skip. */
    const parseHead = (buf: Buffer, end: number): boolean => {
      const lines = buf.toString('latin1', 0, end).split('\r\n');
      const statusLine = lines[0] ?? '';
      const m = /^HTTP\/1\.([01]) (\d{3})/.exec(statusLine);
      if (!m) {
        fail(new UpstreamProtocolError('bad status line'));
        return false;
      }
      const minor = m[1];
      const status = Number(m[2]);
      const rawHeaders: string[] = [];
      let length: number | null = null;
      let chunked = false;
      let connection = '';
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i] as string;
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        rawHeaders.push(name, value);
        const lower = name.toLowerCase();
        if (lower === 'content-length') length = Number(value);
        else if (lower === 'transfer-encoding') chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
        else if (lower === 'connection') connection = `${connection},${value.toLowerCase()}`;
      }
      // 1xx other than 101 (not asked for here) are interim: the final response follows.
      if (status >= 100 && status < 200) return false;
      responded = true;
      keepAlive =
        minor === '1'
          ? !/(?:^|,)\s*close\s*(?:,|$)/.test(connection)
          : /(?:^|,)\s*keep-alive/.test(connection);
      if (noResponseBody || status === 204 || status === 304) body = { kind: 'none' };
      else if (chunked) body = { kind: 'chunked', phase: 'size', left: 0, line: '' };
      else if (length !== null && Number.isInteger(length) && length >= 0)
        body = length === 0 ? { kind: 'none' } : { kind: 'length', left: length };
      else {
        body = { kind: 'close' };
        keepAlive = false;
      }
      handlers.onHead({ status, rawHeaders });
      return true;
    };

    function onData(chunk: Buffer): void {
      if (done) return;
      if (responded) {
        feedBody(chunk, 0);
        return;
      }
      let buf = headBuf ? Buffer.concat([headBuf, chunk]) : chunk;
      for (;;) {
        const end = buf.indexOf(CRLF_CRLF);
        if (end < 0) {
          if (buf.length > 65536) {
            fail(new UpstreamProtocolError('response head too large'));
            return;
          }
          headBuf = buf;
          return;
        }
        const final = parseHead(buf, end);
        if (done) return;
        if (final) {
          headBuf = null;
          feedBody(buf, end + 4);
          return;
        }
        buf = buf.subarray(end + 4);
        if (buf.length === 0) {
          headBuf = null;
          return;
        }
      }
    }
    const onEnd = (): void => {
      if (done) return;
      if (responded && body.kind === 'close') finish(false);
      else fail(new UpstreamProtocolError('upstream closed the connection early'));
    };
    const onClose = (): void => fail(new UpstreamProtocolError('upstream connection closed'));
    const onError = (err: Error): void => fail(err);
    const onTimeout = (): void => fail(new UpstreamTimeoutError('io'));
    const onConnect = (): void => {
      connected = true;
      clearTimeout(connectTimer);
      handlers.onConnected();
    };

    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onClose);
    socket.on('error', onError);
    socket.on('timeout', onTimeout);
    socket.setTimeout(this.ioTimeoutMs);
    if (reused) {
      socket.resume();
      queueMicrotask(() => {
        if (!done) handlers.onConnected();
      });
    } else {
      // proxy_connect_timeout bounds a new connection only.
      connectTimer = setTimeout(() => fail(new UpstreamTimeoutError('connect')), this.connectTimeoutMs);
      socket.on('connect', onConnect);
    }
    socket.write(head, 'latin1');
    return {
      abort: () => {
        if (done) return;
        cleanup();
        socket.destroy();
      },
      resume: () => {
        if (!done) socket.resume();
      },
    };
  }

  private release(key: string, socket: net.Socket): void {
    let stack = this.idle.get(key);
    if (!stack) {
      stack = [];
      this.idle.set(key, stack);
    }
    if (stack.length >= MAX_IDLE) {
      socket.destroy();
      return;
    }
    socket.setTimeout(0);
    const list = stack;
    // An idle socket that closes, errs or sends anything unasked leaves the pool.
    const drop = (): void => {
      const i = list.findIndex((e) => e.socket === socket);
      if (i >= 0) list.splice(i, 1);
      socket.destroy();
    };
    socket.on('close', drop);
    socket.on('error', drop);
    socket.on('data', drop);
    socket.on('end', drop);
    socket.resume();
    list.push({
      socket,
      detach: () => {
        socket.off('close', drop);
        socket.off('error', drop);
        socket.off('data', drop);
        socket.off('end', drop);
      },
    });
  }

  /** Closes every idle and active socket. */
  close(): void {
    this.closed = true;
    for (const stack of this.idle.values()) for (const e of stack) e.socket.destroy();
    this.idle.clear();
    for (const s of this.active) s.destroy();
    this.active.clear();
  }
}
