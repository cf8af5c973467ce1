/**
 * Simulated images: each answers HTTP the way the real image does by default, on the port(s) the plan says the
 * process binds (graph.listening, from the knowledge base). Only what a request through the chain shows is
 * copied; nothing else of the program is.
 */
import type http from 'node:http';
import type { PlanContainer, PlanPod } from '../plan.js';
import { goLogTime, nginxTime } from './logs.js';

export interface ImageContext {
  readonly pod: PlanPod;
  readonly container: PlanContainer;
}

export type HttpHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface SimulatedImage {
  /** The real behaviour copied, one line. */
  readonly copies: string;
  /** The request handler, or a reason the process does not start (it then listens nowhere). */
  handler(ctx: ImageContext): HttpHandler | { readonly exits: string };
  /** What the real process prints when it starts (its first log lines). */
  startup?(ctx: ImageContext, now: Date): string[];
  /** The access-log line the real process writes per request; absent: it logs none. */
  accessLog?(entry: AccessEntry): string;
}

/** One answered request, for access logs. */
export interface AccessEntry {
  readonly req: http.IncomingMessage;
  readonly status: number;
  /** Body bytes sent. */
  readonly bytes: number;
  readonly time: Date;
  readonly durationMs: number;
}

const header = (req: http.IncomingMessage, name: string) => {
  const v = req.headers[name];
  return (Array.isArray(v) ? v.join(', ') : v) || '-';
};

/**
 * nginx's `main` log format of the official image's nginx.conf: the combined format plus
 * "$http_x_forwarded_for" (access.log is a symlink to stdout there).
 */
export function nginxAccessLine(e: AccessEntry): string {
  const r = e.req;
  return `${r.socket.remoteAddress ?? '-'} - - [${nginxTime(e.time)}] "${r.method} ${r.url} HTTP/${r.httpVersion}" ${e.status} ${e.bytes} "${header(r, 'referer')}" "${header(r, 'user-agent')}" "${header(r, 'x-forwarded-for')}"`;
}

/** docker-entrypoint.sh and nginx's first notices, as `kubectl logs` shows them for a fresh nginx pod. */
function nginxStartup(now: Date): string[] {
  const t = goLogTime(now);
  return [
    '/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration',
    '/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/',
    '/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh',
    '/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh',
    '/docker-entrypoint.sh: Configuration complete; ready for start up',
    `${t} [notice] 1#1: using the "epoll" event method`,
    `${t} [notice] 1#1: nginx/1.27.0`,
    `${t} [notice] 1#1: start worker processes`,
  ];
}

/** nginx's stock /usr/share/nginx/html/index.html (docker-library/nginx). */
export const NGINX_WELCOME = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`;

const nginxNotFound = `<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.27.0</center>\r\n</body>\r\n</html>\r\n`;

const nginx: SimulatedImage = {
  copies: 'nginx default.conf: `location / { root /usr/share/nginx/html; index index.html; }`',
  startup: (_ctx, now) => nginxStartup(now),
  accessLog: nginxAccessLine,
  handler: () => (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const ok = path === '/' || path === '/index.html';
    res.writeHead(ok ? 200 : 404, { 'Content-Type': 'text/html', Server: 'nginx/1.27.0' });
    res.end(ok ? NGINX_WELCOME : nginxNotFound);
  },
};

/** node_exporter: the landing page links /metrics, which serves the Prometheus text format. */
const nodeExporter: SimulatedImage = {
  copies: 'node_exporter: `/metrics` in the Prometheus text format, a landing page on `/`',
  startup: (ctx, now) => [
    `ts=${now.toISOString()} caller=node_exporter.go:193 level=info msg="Starting node_exporter" version="(version=1.8.2, branch=HEAD, revision=portchain)"`,
    `ts=${now.toISOString()} caller=tls_config.go:313 level=info msg="Listening on" address=[::]:${ctx.container.binds[0]?.port ?? 9100}`,
  ],
  handler: (ctx) => (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(
        [
          "# HELP node_exporter_build_info A metric with a constant '1' value labeled by version, revision, branch, goversion from which node_exporter was built, and the goos and goarch for the build.",
          '# TYPE node_exporter_build_info gauge',
          'node_exporter_build_info{branch="HEAD",goarch="amd64",goos="linux",goversion="go1.22.5",revision="portchain",tags="unknown",version="1.8.2"} 1',
          '# HELP node_uname_info Labeled system information as provided by the uname system call.',
          '# TYPE node_uname_info gauge',
          `node_uname_info{domainname="(none)",machine="x86_64",nodename="${ctx.pod.name}",release="6.0.0",sysname="Linux",version="#1"} 1`,
          '',
        ].join('\n'),
      );
      return;
    }
    res.writeHead(path === '/' ? 200 : 404, { 'Content-Type': 'text/html; charset=UTF-8' });
    res.end(
      path === '/'
        ? '<html><head><title>Node Exporter</title></head><body><h1>Node Exporter</h1><p><a href="/metrics">Metrics</a></p></body></html>\n'
        : '404 page not found\n',
    );
  },
};

function flagValue(args: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    for (const f of [flag, `-${flag}`]) {
      if (a === f) return args[i + 1];
      if (a.startsWith(`${f}=`)) return a.slice(f.length + 1);
    }
  }
  return undefined;
}

/** hashicorp/http-echo: every path answers the -text (or ECHO_TEXT) plus a newline; no text: exit 127. */
const httpEcho: SimulatedImage = {
  copies: 'hashicorp/http-echo main.go: writes `-text` and a newline on every path; exits without it',
  startup: (ctx, now) => [
    `${goLogTime(now)} [INFO] server is listening on :${ctx.container.binds[0]?.port ?? 5678}`,
  ],
  // http-echo's httpLog: host, client, request line, status, bytes, user agent, duration.
  accessLog: (e) =>
    `${goLogTime(e.time)} ${e.req.headers.host ?? ''} ${e.req.socket.remoteAddress}:${e.req.socket.remotePort} "${e.req.method} ${e.req.url} HTTP/${e.req.httpVersion}" ${e.status} ${e.bytes} "${header(e.req, 'user-agent')}" ${(e.durationMs * 1000).toFixed(3)}µs`,
  handler: (ctx) => {
    const text = flagValue(ctx.container.args, '-text') ?? ctx.container.env.ECHO_TEXT;
    if (text === undefined) return { exits: 'http-echo exits at start without -text (or ECHO_TEXT)' };
    return (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-App-Name': 'http-echo' });
      res.end(`${text}\n`);
    };
  },
};

/** traefik/whoami: the hostname, the IPs, then the request line and headers as received. */
const whoami: SimulatedImage = {
  copies: 'traefik/whoami `/`: Hostname, IP, RemoteAddr, then the request as received',
  startup: (ctx, now) => [`${goLogTime(now)} Starting up on port ${ctx.container.binds[0]?.port ?? 80}`],
  handler: (ctx) => (req, res) => {
    const lines = [
      `Hostname: ${ctx.pod.name}`,
      'IP: 127.0.0.1',
      `IP: ${ctx.pod.ip}`,
      `RemoteAddr: ${req.socket.remoteAddress}:${req.socket.remotePort}`,
      `${req.method} ${req.url} HTTP/${req.httpVersion}`,
    ];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
      lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`${lines.join('\n')}\n\n`);
  },
};

/** registry.k8s.io/echoserver: nginx + Lua printing pod information and the request. */
const echoserver: SimulatedImage = {
  copies: 'kubernetes test/images/echoserver nginx.conf: Hostname, Pod Information, Request Information',
  startup: () => ['Generating self-signed cert', 'Starting nginx'],
  accessLog: (e) => {
    const r = e.req;
    return `${r.socket.remoteAddress ?? '-'} - - [${nginxTime(e.time)}] "${r.method} ${r.url} HTTP/${r.httpVersion}" ${e.status} ${e.bytes} "${header(r, 'referer')}" "${header(r, 'user-agent')}"`;
  },
  handler: (ctx) => (req, res) => {
    const headers: string[] = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
      headers.push(`\t${String(req.rawHeaders[i]).toLowerCase()}=${req.rawHeaders[i + 1]}`);
    res.writeHead(200, { 'Content-Type': 'text/plain', Server: 'echoserver' });
    res.end(
      [
        '',
        '',
        `Hostname: ${ctx.pod.name}`,
        '',
        'Pod Information:',
        `\tnode name:\tnode-1`,
        `\tpod name:\t${ctx.pod.name}`,
        `\tpod namespace:\t${ctx.pod.namespace}`,
        `\tpod IP:\t${ctx.pod.ip}`,
        '',
        'Request Information:',
        `\tclient_address=${req.socket.remoteAddress}`,
        `\tmethod=${req.method}`,
        `\trequest_version=${req.httpVersion}`,
        `\trequest_uri=http://${req.headers.host ?? ''}${req.url}`,
        '',
        'Request Headers:',
        ...headers,
        '',
        'Request Body:',
        '\t-no body in request-',
        '',
      ].join('\n'),
    );
  },
};

/** An app serving one HTML page on PORT (audiobookshelf, GKE hello-app): the page names the pod. */
export const podPage = (title: string, copies: string): SimulatedImage => ({
  copies,
  handler: (ctx) => (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(
      `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body><h1>${title}</h1><p>pod ${ctx.pod.namespace}/${ctx.pod.name} (${ctx.pod.ip})</p></body></html>\n`,
    );
  },
});

/** hello-app: `Hello, world!`, the version and the hostname, as its main.go prints them. */
const helloApp: SimulatedImage = {
  copies: 'GKE hello-app main.go: "Hello, world!", Version, Hostname',
  handler: (ctx) => (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`Hello, world!\nVersion: 1.0.0\nHostname: ${ctx.pod.name}\n`);
  },
};

/** Knowledge-base image id → simulation. */
export const SIMULATED_IMAGES: Readonly<Record<string, SimulatedImage>> = {
  nginx,
  'nginx-unprivileged': nginx,
  'bitnami-nginx': nginx,
  'node-exporter': nodeExporter,
  'http-echo': httpEcho,
  'traefik-whoami': whoami,
  echoserver,
  audiobookshelf: podPage('audiobookshelf', 'audiobookshelf: a Node server on PORT serving its web app'),
  'hello-app': helloApp,
};
