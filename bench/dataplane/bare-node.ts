/**
 * The floor of a TCP relay in Node, with no portchain code at all (no balancer, no counters, no timers):
 * `node bare-node.js <mode> <listenIp> <port>=<targetIp>:<targetPort>...`, where mode is `pipe` (`pipe()` each
 * way) or `onread:<bytes>` (the upstream read with `onread` into one reused buffer of that size, written by
 * hand with back-pressure). Prints `ready`.
 */
import net from 'node:net';

const [mode = 'pipe', ip, ...routes] = process.argv.slice(2);
const readBytes = mode.startsWith('onread:') ? Number(mode.slice('onread:'.length)) : 0;

function relay(client: net.Socket, host: string, port: number): void {
  if (readBytes === 0) {
    const backend = net.connect({ host, port, noDelay: true });
    client.on('error', () => backend.destroy());
    backend.on('error', () => client.destroy());
    client.pipe(backend);
    backend.pipe(client);
    return;
  }
  const buffer = Buffer.allocUnsafe(readBytes);
  const backend = net.connect({
    host,
    port,
    noDelay: true,
    onread: {
      buffer,
      callback: (n: number, buf: Uint8Array): boolean => {
        client.write(buf.subarray(0, n), () => backend.resume());
        return client.writableLength === 0;
      },
    },
  });
  client.on('error', () => backend.destroy());
  backend.on('error', () => client.destroy());
  client.pipe(backend);
  backend.once('end', () => client.end());
}

for (const r of routes) {
  const [port, target] = r.split('=') as [string, string];
  const [host, targetPort] = target.split(':') as [string, string];
  net
    .createServer({ noDelay: true }, (c) => relay(c, host, Number(targetPort)))
    .listen({ host: ip, port: Number(port), backlog: 1024 });
}
setTimeout(() => process.stdout.write('ready\n'), 100);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
