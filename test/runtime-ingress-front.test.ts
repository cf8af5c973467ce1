/**
 * The ingress controller's lean HTTP/1.1 front (src/runtime/http-front.ts) on real loopback sockets, spoken
 * to byte by byte: pipelined requests answered in order, Connection: close, a connection handed to Node's
 * http.Server mid-way (a POST after GETs), a malformed request (Node's 400), chunked re-framing, HEAD, and a
 * client that half-closes after its request.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFront } from '../src/runtime/http-front.js';
import type { IngressController } from '../src/runtime/ingress-controller.js';
import { oneRouteController } from './helpers/ingress-fixtures.js';

const POD = '127.151.0.20';
const LB = '127.150.0.1';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** An upstream that echoes method, path and body; `/chunked` answers chunked, `/close` close-delimited. */
async function upstream(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const text = `${req.method} ${req.url} ${body}`;
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('abc');
        res.end('def');
      } else if (req.url === '/close') {
        res.writeHead(200, { connection: 'close' });
        res.end('until-close');
      } else {
        res.writeHead(200, { 'content-length': Buffer.byteLength(text), 'x-up': '1' });
        res.end(text);
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, POD, r));
  closers.push(
    () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return (server.address() as AddressInfo).port;
}

async function controller(port: number): Promise<IngressController> {
  const c = await oneRouteController({ ip: POD, port }, LB);
  closers.push(() => c.close());
  return c;
}

/** Writes `raw` on one connection, optionally half-closes, and collects everything until the server closes. */
function exchange(port: number, raw: string, halfClose: boolean, untilBytes?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: LB, port, allowHalfOpen: true });
    let out = '';
    s.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (untilBytes !== undefined && out.includes(untilBytes)) s.destroy();
    });
    s.on('close', () => resolve(out));
    s.on('end', () => s.end());
    s.on('error', reject);
    s.write(raw);
    if (halfClose) s.end();
  });
}

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: a.example.com\r\n${extra}\r\n`;

/** The status lines of a response stream, in order. */
const statuses = (out: string) => [...out.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));

describe('ingress controller, lean HTTP/1.1 front', () => {
  it('answers 408 and closes a head that trickles in past headersTimeout (slowloris), serving others meanwhile', async () => {
    const fallback = http.createServer();
    const { server, sockets } = await startFront(
      fallback,
      (_req, res) => {
        res.writeHead(200, ['Content-Length', '2']);
        res.end('ok');
      },
      LB,
      0,
      { headersTimeoutMs: 400 },
    );
    closers.push(
      () =>
        new Promise((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        }),
    );
    const port = (server.address() as AddressInfo).port;
    const slow = net.connect(port, LB);
    let got = '';
    slow.on('data', (d: Buffer) => {
      got += d.toString();
    });
    const closed = new Promise<number>((r) => {
      const t0 = Date.now();
      slow.on('close', () => r(Date.now() - t0));
    });
    // A byte every 50 ms: an idle timeout would never fire.
    const head =
      'GET / HTTP/1.1\r\nHost: a.example.com\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    let i = 0;
    const drip = setInterval(() => {
      if (i < head.length && !slow.destroyed) slow.write(head[i++] ?? '');
    }, 50);
    try {
      // Meanwhile, a whole request on another connection is answered at once.
      const other = await exchange(port, get('/', 'Connection: close\r\n'), false);
      expect(other).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      const ms = await closed;
      expect(got).toBe('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      // Closed by the head's deadline (400 ms from its first byte), long before the head could end.
      expect(ms).toBeLessThan(2000);
      expect(i).toBeLessThan(head.length);
    } finally {
      clearInterval(drip);
      slow.destroy();
    }
  });

  it('answers pipelined requests in order, then honours Connection: close', async () => {
    const c = await controller(await upstream());
    const out = await exchange(
      c.address.port,
      get('/a') +
        get('/b') +
        get('/nope-host', '').replace('a.example.com', 'b.example.com') +
        get('/c', 'Connection: close\r\n'),
      false,
    );
    expect(statuses(out)).toEqual([200, 200, 404, 200]);
    const bodies = [...out.matchAll(/GET \/\w+ /g)].map((m) => m[0].trim());
    expect(bodies).toEqual(['GET /a', 'GET /b', 'GET /c']);
    expect(out).toMatch(/Connection: keep-alive\r\nKeep-Alive: timeout=5/);
    expect(out).toMatch(/Connection: close/);
    expect(out).toMatch(/\r\nDate: /);
    expect(out).toContain('default backend - 404');
    expect(c.stats().requests).toBe(4);
    expect(c.stats().unmatched).toBe(1);
  });

  it('hands a connection to Node after a request it does not take (a POST with a body)', async () => {
    const c = await controller(await upstream());
    const post = 'POST /p HTTP/1.1\r\nHost: a.example.com\r\nContent-Length: 5\r\n\r\nhello';
    const out = await exchange(c.address.port, get('/a') + post + get('/z', 'Connection: close\r\n'), false);
    expect(statuses(out)).toEqual([200, 200, 200]);
    expect(out).toContain('GET /a ');
    expect(out).toContain('POST /p hello');
    expect(out).toContain('GET /z ');
    expect(c.stats().requests).toBe(3);
  });

  it("leaves a malformed request to Node's parser (400) and keeps serving others", async () => {
    const c = await controller(await upstream());
    const out = await exchange(c.address.port, 'GET /a HTTP/1.1\r\nHost a.example.com\r\n\r\n', false);
    expect(statuses(out)).toEqual([400]);
    const ok = await exchange(c.address.port, get('/ok', 'Connection: close\r\n'), false);
    expect(statuses(ok)).toEqual([200]);
  });

  it('re-frames chunked and close-delimited upstream bodies, sends none for HEAD', async () => {
    const c = await controller(await upstream());
    const out = await exchange(
      c.address.port,
      get('/chunked') + get('/close') + get('/a').replace('GET', 'HEAD') + get('/a', 'Connection: close\r\n'),
      false,
    );
    expect(statuses(out)).toEqual([200, 200, 200, 200]);
    // Each body relayed as it came, framed for the client; the HEAD answer keeps Content-Length, no body.
    const parts = out.split(/(?=HTTP\/1\.1 \d{3})/);
    expect(parts[0]).toMatch(/Transfer-Encoding: chunked/);
    expect(parts[0]).toMatch(/\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n$/);
    expect(parts[1]).toMatch(/Transfer-Encoding: chunked[\s\S]*\r\n\r\nb\r\nuntil-close\r\n0\r\n\r\n$/);
    expect(parts[2]).toMatch(/content-length: 8\r\n/i);
    expect(parts[2]).toMatch(/\r\n\r\n$/);
    expect(parts[3]).toMatch(/\r\n\r\nGET \/a $/);
  });

  it('answers a client that half-closes after its request, then closes', async () => {
    const c = await controller(await upstream());
    const out = await exchange(c.address.port, get('/half'), true);
    expect(statuses(out)).toEqual([200]);
    expect(out).toMatch(/GET \/half $/);
  });

  it('answers thousands of pipelined requests sent in one write, and all of them before a half-close', async () => {
    const c = await controller(await upstream());
    const n = 3000;
    const miss = 'GET / HTTP/1.1\r\nHost: b.example.com\r\n\r\n';
    const out = await exchange(c.address.port, miss.repeat(n), true);
    expect(statuses(out)).toHaveLength(n);
    expect(new Set(statuses(out))).toEqual(new Set([404]));
    const three = await exchange(c.address.port, get('/x') + get('/y') + get('/z'), true);
    expect(statuses(three)).toEqual([200, 200, 200]);
    expect([...three.matchAll(/GET \/\w /g)].map((m) => m[0].trim())).toEqual(['GET /x', 'GET /y', 'GET /z']);
  });

  it('passes the client headers on once, with the X-Forwarded set (same as through Node)', async () => {
    let seen: http.IncomingHttpHeaders = {};
    const server = http.createServer((req, res) => {
      seen = req.headers;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, POD, r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    server.keepAliveTimeout = 100;
    const c = await controller((server.address() as AddressInfo).port);
    const out = await exchange(
      c.address.port,
      get('/h', 'X-Custom: v1\r\nX-Forwarded-For: 10.9.9.9\r\nConnection: close\r\n'),
      false,
    );
    expect(statuses(out)).toEqual([200]);
    expect(seen['x-custom']).toBe('v1');
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-original-forwarded-for']).toBe('10.9.9.9');
    expect(seen['x-forwarded-host']).toBe('a.example.com');
    expect(seen.host).toBe('a.example.com');
    expect(seen['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });
});
