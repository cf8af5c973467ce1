/**
 * The pod process of the data-plane benchmark, in a process of its own (as a pod is): a TCP source that
 * streams to every connection (bulk throughput), TCP "pong" servers that answer one byte and close
 * (connection rate), and a keep-alive HTTP server (the Ingress backend). Run as
 * `node pod.js <ip> <sourcePort> <httpPort> <pongPort>...`; prints `ready` when every port listens.
 */
import http from 'node:http';
import net from 'node:net';

const CHUNK = Buffer.alloc(64 * 1024, 120);

function source(ip: string, port: number): Promise<void> {
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    s.on('error', () => s.destroy());
    const pump = (): void => {
      while (!s.destroyed && s.write(CHUNK));
    };
    s.on('drain', pump);
    pump();
  });
  return new Promise((resolve) => server.listen({ host: ip, port, backlog: 1024 }, resolve));
}

function pong(ip: string, port: number): Promise<void> {
  const server = net.createServer((s) => {
    s.on('error', () => s.destroy());
    // The server closes first, so TIME_WAIT stays on this side and never starves the client's ports.
    s.once('data', () => s.end('.'));
  });
  return new Promise((resolve) => server.listen({ host: ip, port, backlog: 4096 }, resolve));
}

const BODY = JSON.stringify({ ok: true, pod: 'bench', padding: 'x'.repeat(64) });

function web(ip: string, port: number): Promise<void> {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen({ host: ip, port, backlog: 1024 }, resolve));
}

const [ip, sourcePort, httpPort, ...pongPorts] = process.argv.slice(2);
if (!ip || !sourcePort || !httpPort) {
  process.stderr.write('usage: pod.js <ip> <sourcePort> <httpPort> <pongPort>...\n');
  process.exit(2);
}
await Promise.all([
  source(ip, Number(sourcePort)),
  web(ip, Number(httpPort)),
  ...pongPorts.map((p) => pong(ip, Number(p))),
]);
process.stdout.write('ready\n');
// Exits with its parent.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
