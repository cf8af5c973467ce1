import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamPool, UpstreamTimeoutError } from '../src/runtime/http-upstream.js';
import type { IngressController } from '../src/runtime/ingress-controller.js';
import { oneRouteController } from './helpers/ingress-fixtures.js';

const IP = '127.111.0.1';

/** A raw upstream: `answer` gets each request head (one at a time per connection) and the socket. */
interface RawUpstream {
  readonly port: number;
  readonly heads: string[];
  connections: number;
}

const servers: net.Server[] = [];
const pools: UpstreamPool[] = [];
const controllers: IngressController[] = [];
/** Every upstream-side socket, destroyed after each test. */
const upstreamSockets = new Set<net.Socket>();

afterEach(async () => {
  for (const p of pools.splice(0)) p.close();
  for (const c of controllers.splice(0)) await c.close();
  for (const s of upstreamSockets) s.destroy();
  upstreamSockets.clear();
  for (const s of servers.splice(0)) {
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function rawUpstream(
  answer: (head: string, socket: net.Socket, n: number) => void,
): Promise<RawUpstream> {
  const up: RawUpstream = { port: 0, heads: [], connections: 0 };
  const server = net.createServer((socket) => {
    up.connections++;
    upstreamSockets.add(socket);
    socket.on('error', () => socket.destroy());
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        up.heads.push(head);
        answer(head, socket, up.heads.length);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, IP, resolve));
  return Object.assign(up, { port: (server.address() as AddressInfo).port });
}

interface Exchanged {
  status: number;
  headers: string[];
  body: string;
  error?: Error;
  reused?: boolean;
}

function exchange(pool: UpstreamPool, port: number, method = 'GET'): Promise<Exchanged> {
  return new Promise((resolve) => {
    const out: Exchanged = { status: 0, headers: [], body: '' };
    pool.exchange(
      IP,
      port,
      `${method} / HTTP/1.1\r\nhost: x\r\nconnection: keep-alive\r\n\r\n`,
      method === 'HEAD',
      {
        onConnected: () => {},
        onHead: (h) => {
          out.status = h.status;
          out.headers = [...h.rawHeaders];
        },
        onData: (c) => {
          out.body += c.toString('latin1');
          return true;
        },
        onEnd: () => resolve(out),
        onError: (error, state) => {
          out.error = error;
          out.reused = state.reused;
          resolve(out);
        },
      },
    );
  });
}

const newPool = (ioTimeoutMs = 2000): UpstreamPool => {
  const pool = new UpstreamPool(1000, ioTimeoutMs);
  pools.push(pool);
  return pool;
};

describe('UpstreamPool: the raw HTTP/1.1 upstream reader', () => {
  it('reads a Content-Length body and reuses the connection', async () => {
    const up = await rawUpstream((_h, s) =>
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello'),
    );
    const pool = newPool();
    const a = await exchange(pool, up.port);
    const b = await exchange(pool, up.port);
    expect(a).toMatchObject({ status: 200, body: 'hello', headers: ['Content-Length', '5', 'X-A', '1'] });
    expect(b.body).toBe('hello');
    expect(up.connections).toBe(1);
  });

  it('decodes a chunked body split across packets, with extensions and trailers', async () => {
    const up = await rawUpstream((_h, s) => {
      s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhel');
      setTimeout(() => s.write('lo\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n'), 20);
    });
    const pool = newPool();
    const r = await exchange(pool, up.port);
    expect(r.body).toBe('hello world');
    expect((await exchange(pool, up.port)).body).toBe('hello world');
    expect(up.connections).toBe(1);
  });

  it('reads no body for HEAD, 204 and 304, and keeps the connection', async () => {
    const up = await rawUpstream((head, s, n) => {
      if (head.startsWith('HEAD')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n');
      else if (n === 2) s.write('HTTP/1.1 204 No Content\r\n\r\n');
      else s.write('HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n');
    });
    const pool = newPool();
    expect(await exchange(pool, up.port, 'HEAD')).toMatchObject({ status: 200, body: '' });
    expect(await exchange(pool, up.port)).toMatchObject({ status: 204, body: '' });
    expect(await exchange(pool, up.port)).toMatchObject({ status: 304, body: '' });
    expect(up.connections).toBe(1);
  });

  it('skips an interim 100 Continue', async () => {
    const up = await rawUpstream((_h, s) =>
      s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok'),
    );
    expect(await exchange(newPool(), up.port)).toMatchObject({ status: 201, body: 'ok' });
  });

  it('reads a close-delimited body and does not reuse a Connection: close socket', async () => {
    const up = await rawUpstream((_h, s, n) => {
      if (n === 1) s.end('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close');
      else s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
    });
    const pool = newPool();
    expect(await exchange(pool, up.port)).toMatchObject({ status: 200, body: 'until close' });
    expect(await exchange(pool, up.port)).toMatchObject({ status: 200, body: 'ok' });
    expect(up.connections).toBe(2);
  });

  it('does not reuse a socket that sent more than one response (no pipelining)', async () => {
    const up = await rawUpstream((_h, s) =>
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb'),
    );
    const pool = newPool();
    expect((await exchange(pool, up.port)).body).toBe('a');
    expect((await exchange(pool, up.port)).body).toBe('a');
    expect(up.connections).toBe(2);
  });

  it('reports a pooled socket the upstream closed as reused, before any response', async () => {
    const up = await rawUpstream((_h, s, n) => {
      if (n === 1) s.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na');
      else s.destroy();
    });
    const pool = newPool();
    expect((await exchange(pool, up.port)).body).toBe('a');
    const r = await exchange(pool, up.port);
    expect(r.error).toBeInstanceOf(Error);
    expect(r.reused).toBe(true);
  });

  it('times out an upstream that never answers', async () => {
    const up = await rawUpstream(() => {});
    const r = await exchange(newPool(200), up.port);
    expect(r.error).toBeInstanceOf(UpstreamTimeoutError);
  });
});

async function controllerFor(port: number): Promise<IngressController> {
  const c = await oneRouteController({ ip: IP, port }, IP);
  controllers.push(c);
  return c;
}

function send(port: number, method: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: IP,
      port,
      method,
      path: '/',
      headers: { host: 'a.example.com' },
      agent: false,
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the ingress controller on a kept-alive socket the upstream closed', () => {
  /** The upstream answers the first request, then drops each kept-alive connection at its next request. */
  const dropsSecond = (): Promise<RawUpstream> => {
    const seen = new WeakMap<net.Socket, number>();
    return rawUpstream((head, s) => {
      const n = (seen.get(s) ?? 0) + 1;
      seen.set(s, n);
      if (n > 1) s.destroy();
      else
        s.write(
          `HTTP/1.1 200 OK\r\nContent-Length: ${head.split(' ')[0]?.length}\r\n\r\n${head.split(' ')[0]}`,
        );
    });
  };

  it('sends an idempotent request again on a fresh connection (one endpoint)', async () => {
    const up = await dropsSecond();
    const c = await controllerFor(up.port);
    expect(await send(c.address.port, 'GET')).toEqual({ status: 200, body: 'GET' });
    expect(await send(c.address.port, 'GET')).toEqual({ status: 200, body: 'GET' });
    expect(up.connections).toBe(2);
  });

  it('does not send a POST twice: 502', async () => {
    const up = await dropsSecond();
    const c = await controllerFor(up.port);
    expect(await send(c.address.port, 'GET')).toEqual({ status: 200, body: 'GET' });
    expect((await send(c.address.port, 'POST')).status).toBe(502);
    expect(up.heads.filter((h) => h.startsWith('POST'))).toHaveLength(1);
  });

  it('relays chunked and close-delimited responses, and none for HEAD', async () => {
    const up = await rawUpstream((head, s) => {
      if (head.startsWith('HEAD')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n');
      else s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    });
    const c = await controllerFor(up.port);
    expect(await send(c.address.port, 'GET')).toEqual({ status: 200, body: 'abc' });
    expect(await send(c.address.port, 'HEAD')).toEqual({ status: 200, body: '' });
  });
});
