/**
 * `POST|GET pods/NAME/portforward`: the kubelet's port-forward behind the API server. kubectl 1.31+ dials it as
 * SPDY tunnelled over WebSocket (subprotocol `SPDY/3.1+portforward.k8s.io`, raw SPDY bytes in binary
 * messages: client-go/tools/portforward/tunneling_dialer.go) and falls back to a plain `Upgrade: SPDY/3.1`;
 * both are served. Per forwarded connection kubectl opens an error stream and a data stream with the same
 * `requestID` and the container `port`; the data stream is piped to the pod's loopback address, a dial failure
 * is written to the error stream as the kubelet words it (pkg/kubelet/cri/streaming/portforward/httpstream.go).
 */
import type { IncomingMessage, Server } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { SpdySession, type SpdyStream } from './spdy.js';

export type PortForwardDialer = (
  namespace: string,
  pod: string,
  port: number,
) => { host: string; port: number } | null;

export interface PortForwardHooks {
  readonly authorized: (req: IncomingMessage) => boolean;
  readonly target: (url: string) => { namespace: string; pod: string } | null;
  readonly exists: (namespace: string, pod: string) => boolean;
  readonly dial: PortForwardDialer;
  /** Upgrades this handler leaves alone (those of another subresource: exec.ts answers exec). */
  readonly ignore?: (url: string) => boolean;
}

const TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

function refuse(socket: Duplex, code: number, text: string, message: string): void {
  const body = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    code,
  });
  socket.end(
    `HTTP/1.1 ${code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Pairs the streams of each request and forwards them (one SPDY session). */
function forwarder(namespace: string, pod: string, dial: PortForwardDialer, sockets: Set<net.Socket>) {
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream }>();
  const forward = (error: SpdyStream, data: SpdyStream) => {
    const port = Number(data.headers.get('port'));
    const fail = (why: string) => {
      error.write(Buffer.from(`error forwarding port ${port} to pod ${pod}, uid : ${why}`));
      error.end();
      data.end();
    };
    const to = dial(namespace, pod, port);
    if (!to) return fail(`pod ${namespace}/${pod} is not running in the data plane`);
    const socket = net.connect({ host: to.host, port: to.port });
    sockets.add(socket);
    let connected = false;
    socket.on('connect', () => {
      connected = true;
    });
    socket.on('data', (b: Buffer) => data.write(b));
    socket.on('end', () => data.end());
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (!connected)
        fail(
          `failed to connect to ${to.host}:${to.port} inside namespace "${namespace}": ${e.code ?? e.message}`,
        );
    });
    socket.on('close', () => {
      sockets.delete(socket);
      data.end();
      error.end();
    });
    data.onData = (b) => socket.write(b);
    data.onEnd = () => socket.end();
    data.onReset = () => socket.destroy();
    error.onReset = () => socket.destroy();
  };
  return (s: SpdyStream) => {
    const id = s.headers.get('requestid') ?? '';
    const type = s.headers.get('streamtype');
    const pair = pairs.get(id) ?? {};
    if (type === 'error') pair.error = s;
    else if (type === 'data') pair.data = s;
    else return s.reset();
    // Until paired, swallow what arrives (the client half-closes the error stream at once).
    s.onData ??= () => {};
    if (pair.error && pair.data) {
      pairs.delete(id);
      forward(pair.error, pair.data);
    } else pairs.set(id, pair);
  };
}

export function servePortForward(server: Server, hooks: PortForwardHooks): { close(): void } {
  const sockets = new Set<net.Socket>();
  const sessions = new Set<SpdySession>();
  // `ws` refuses subprotocols with '/' or '+' (not RFC 7230 tokens), which the tunnelling protocol has: the
  // header is taken off the request before the handshake and the chosen protocol added to the 101 response.
  const wss = new WebSocketServer({ noServer: true });
  wss.on('headers', (headers) => headers.push(`Sec-WebSocket-Protocol: ${TUNNEL_PROTOCOL}`));
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (hooks.ignore?.(req.url ?? '/')) return;
    if (!hooks.authorized(req)) return refuse(socket, 401, 'Unauthorized', 'Unauthorized');
    const target = hooks.target(req.url ?? '/');
    if (!target) return refuse(socket, 404, 'Not Found', 'the server could not find the requested resource');
    if (!hooks.exists(target.namespace, target.pod))
      return refuse(socket, 404, 'Not Found', `pods "${target.pod}" not found`);
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    if (upgrade === 'websocket') {
      const offered = String(req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((p) => p.trim());
      if (!offered.includes(TUNNEL_PROTOCOL))
        return refuse(
          socket,
          400,
          'Bad Request',
          `port-forward over WebSocket needs the subprotocol ${TUNNEL_PROTOCOL}`,
        );
      delete req.headers['sec-websocket-protocol'];
      wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        const session = new SpdySession(
          {
            write: (b) => ws.send(b, { binary: true }),
            close: () => ws.close(),
          },
          forwarder(target.namespace, target.pod, hooks.dial, sockets),
        );
        sessions.add(session);
        ws.on('message', (m: Buffer) => {
          try {
            session.receive(m);
          } catch {
            session.close();
          }
        });
        ws.on('close', () => {
          sessions.delete(session);
          session.close();
        });
        ws.on('error', () => session.close());
      });
      return;
    }
    if (upgrade === 'spdy/3.1') {
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`,
      );
      const session = new SpdySession(
        { write: (b) => socket.write(b), close: () => socket.end() },
        forwarder(target.namespace, target.pod, hooks.dial, sockets),
      );
      sessions.add(session);
      if (head.length > 0) session.receive(head);
      socket.on('data', (b: Buffer) => {
        try {
          session.receive(b);
        } catch {
          session.close();
        }
      });
      socket.on('close', () => {
        sessions.delete(session);
        session.close();
      });
      socket.on('error', () => session.close());
      return;
    }
    refuse(socket, 400, 'Bad Request', 'port-forward needs an upgrade to WebSocket or SPDY/3.1');
  };
  server.on('upgrade', onUpgrade);
  return {
    close: () => {
      server.off('upgrade', onUpgrade);
      for (const s of sessions) s.close();
      for (const s of sockets) s.destroy();
      wss.close();
    },
  };
}
