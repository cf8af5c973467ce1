/**
 * What common container images listen on, and what moves it. Data only: src/semantics/listening.ts reads it.
 * Every entry cites where the fact comes from (upstream Dockerfile, entrypoint, or documentation).
 */
import type { Protocol } from '../model/types.js';

/**
 * How a port is written in a flag or variable:
 * - `port`: `8080` (a range `9200-9300` means its first port);
 * - `hostport`: `:8080`, `0.0.0.0:8080`, `[::]:8080` (Go's net.Listen form; a bare `8080` is rejected by Go);
 * - `url`: `http://0.0.0.0:2379` or `PLAINTEXT://:9092`, possibly a comma-separated list;
 * - `args`: the value is itself a command-line fragment, read with the image's portFlags (JENKINS_OPTS).
 */
export type PortFormat = 'port' | 'hostport' | 'url' | 'args';

export interface ImagePort {
  readonly port: number;
  readonly protocol: Protocol;
  readonly name?: string;
  readonly purpose: string;
  /** Only bound when the image tag contains this text (`rabbitmq:3-management`, `php:8-apache`). */
  readonly whenTag?: string;
  /** Not bound when the image tag contains this text (`wordpress:fpm` has no Apache on 80). */
  readonly unlessTag?: string;
  /** Less than certain even when nothing overrides it (e.g. depends on how the image was started). */
  readonly likely?: boolean;
  /** The default bind address when it is not every interface, e.g. `127.0.0.1`. */
  readonly host?: string;
  /**
   * Where the port comes from a config file: `bundled` = the image's own config (gone when the container
   * passes another config file); `custom` = the config such containers are usually given (listed, as likely,
   * only when a config file is passed: the Kubernetes Corefile's `prometheus :9153`).
   */
  readonly config?: 'bundled' | 'custom';
}

/** A flag or variable that sets a port. */
export interface PortSetting {
  /** Default `port` for variables; flags always say. */
  readonly format?: PortFormat;
  /**
   * Which default port it replaces (every protocol of that port); `all` = the ports given replace every
   * default (Kafka `listeners`, Traefik entry points). Unset: the image's first port.
   */
  readonly appliesTo?: number | 'all';
  /** The value is `key=<port>`, e.g. postgres `-c port=5433`, elasticsearch `-Ehttp.port=9201`. */
  readonly key?: string;
  /** The setting opens an additional port (off by default) with this purpose, instead of moving one. */
  readonly extra?: string;
  /** The flag may be given several times and every value is bound. */
  readonly repeatable?: boolean;
  readonly note?: string;
}

export interface PortEnv extends PortSetting {
  readonly name: string;
}

export interface PortFlag extends PortSetting {
  /** As documented: `--web.listen-address`, `-listen`, `-p`; `*` matches one name segment (`--entrypoints.*.address`). */
  readonly flag: string;
  readonly format: PortFormat;
}

/** One program of a multi-program image (Argo CD runs argocd-server, argocd-repo-server... from one image). */
export interface ImageVariant {
  /** Program basename, as written in command or args. */
  readonly program: string;
  readonly ports: readonly ImagePort[];
  readonly portFlags?: readonly PortFlag[];
  readonly portEnv?: readonly PortEnv[];
}

export interface ImageKnowledge {
  readonly id: string;
  /**
   * Normalised repository names: no tag, no digest, no `docker.io/` or `library/` (`nginx` matches
   * `docker.io/library/nginx:1.27` and `nginx@sha256:...`). Other registries are spelled out.
   * For program knowledge, program basenames (or `-m` module names for python).
   */
  readonly match: readonly string[];
  /** What the process binds with nothing overridden. Empty: a base/runtime image that serves nothing itself. */
  readonly ports: readonly ImagePort[];
  readonly portEnv?: readonly PortEnv[];
  readonly portFlags?: readonly PortFlag[];
  /** The process reads PORT (for its first port). */
  readonly honoursPORT?: boolean;
  /** When the port may come from a config file we cannot read, which one and which directive. */
  readonly configFile?: string;
  /**
   * Arguments that hand the process a config file: a flag (`-c`, `--config`), `key=` (postgres
   * `config_file=`), or `*.ext` for a positional file (`redis-server /etc/redis.conf`).
   */
  readonly configArgs?: readonly string[];
  /**
   * Program basenames the image's own entrypoint runs. When `command` starts something else the knowledge
   * no longer applies. Unset: any command is assumed to run the image's server.
   */
  readonly programs?: readonly string[];
  readonly variants?: readonly ImageVariant[];
  /** Whether `ports` is every port the process binds; default: true when it lists ports, false when not. */
  readonly complete?: boolean;
  /** Without one of these flags or variables the process exits at start, so nothing listens. */
  readonly requires?: {
    readonly flags?: readonly string[];
    readonly env?: readonly string[];
    readonly why: string;
  };
  /** Program knowledge only: tokens that must follow the program (`run` for `flask run`). */
  readonly argv?: readonly string[];
  /** Program knowledge only: the port may be given as a bare positional argument (`python -m http.server 8080`). */
  readonly positionalPort?: boolean;
  /** Flags that take a value but are not ports (so a positional port is not confused with their value). */
  readonly valueFlags?: readonly string[];
  /** Flags and variables that set the bind address of the first port (`--host 0.0.0.0`). */
  readonly hostFlags?: readonly string[];
  readonly hostEnv?: readonly string[];
  /** Where the facts come from: an upstream URL (Dockerfile, entrypoint, docs). */
  readonly source: string;
  readonly note?: string;
}

const tcp = (port: number, name: string, purpose: string, extra: Partial<ImagePort> = {}): ImagePort => ({
  port,
  protocol: 'TCP',
  name,
  purpose,
  ...extra,
});
const udp = (port: number, name: string, purpose: string, extra: Partial<ImagePort> = {}): ImagePort => ({
  port,
  protocol: 'UDP',
  name,
  purpose,
  ...extra,
});

export const imageKnowledge: readonly ImageKnowledge[] = [
  // ---- web servers and proxies ----
  {
    id: 'nginx',
    match: ['nginx'],
    ports: [tcp(80, 'http', 'HTTP (`listen 80;` in /etc/nginx/conf.d/default.conf)', { config: 'bundled' })],
    honoursPORT: false,
    configFile: '/etc/nginx/nginx.conf and /etc/nginx/conf.d/*.conf (`listen` directives)',
    configArgs: ['-c'],
    programs: ['nginx', 'nginx-debug', 'docker-entrypoint.sh'],
    source: 'https://github.com/nginxinc/docker-nginx/blob/master/mainline/debian/Dockerfile',
    note: 'EXPOSE 80 and the stock default.conf `listen 80;`. nginx reads no PORT variable: only its config sets the port.',
  },
  {
    id: 'nginx-unprivileged',
    match: ['nginxinc/nginx-unprivileged', 'ghcr.io/nginxinc/nginx-unprivileged'],
    ports: [tcp(8080, 'http', 'HTTP (default.conf rewritten to `listen 8080;`)', { config: 'bundled' })],
    honoursPORT: false,
    configFile: '/etc/nginx/conf.d/default.conf (`listen`)',
    configArgs: ['-c'],
    programs: ['nginx', 'nginx-debug', 'docker-entrypoint.sh'],
    source: 'https://github.com/nginxinc/docker-nginx-unprivileged/blob/main/mainline/debian/Dockerfile',
    note: "The Dockerfile runs `sed -i 's,listen       80;,listen       8080;,'` on default.conf and EXPOSEs 8080.",
  },
  {
    id: 'bitnami-nginx',
    match: ['bitnami/nginx', 'bitnamilegacy/nginx'],
    ports: [tcp(8080, 'http', 'HTTP (NGINX_DEFAULT_HTTP_PORT_NUMBER)')],
    portEnv: [
      { name: 'NGINX_HTTP_PORT_NUMBER', format: 'port', appliesTo: 8080 },
      { name: 'NGINX_HTTPS_PORT_NUMBER', format: 'port', extra: 'HTTPS' },
    ],
    configFile: '/opt/bitnami/nginx/conf/nginx.conf and server_blocks/*.conf',
    programs: ['run.sh', 'entrypoint.sh', 'nginx'],
    source:
      'https://github.com/bitnami/containers/blob/main/bitnami/nginx/1.25/debian-11/rootfs/opt/bitnami/scripts/nginx-env.sh',
    note: 'nginx-env.sh: NGINX_DEFAULT_HTTP_PORT_NUMBER="8080"; NGINX_HTTP_PORT_NUMBER overrides it. Runs as non-root, so not 80.',
  },
  {
    id: 'httpd',
    match: ['httpd'],
    ports: [tcp(80, 'http', 'HTTP (`Listen 80` in conf/httpd.conf)', { config: 'bundled' })],
    honoursPORT: false,
    configFile: '/usr/local/apache2/conf/httpd.conf (`Listen`)',
    configArgs: ['-f'],
    programs: ['httpd-foreground', 'httpd'],
    source: 'https://github.com/docker-library/docs/blob/master/httpd/content.md',
    note: 'EXPOSE 80; the port is the `Listen` directive of httpd.conf.',
  },
  {
    id: 'caddy',
    match: ['caddy'],
    ports: [
      tcp(80, 'http', 'HTTP (the bundled Caddyfile serves `:80`)', { config: 'bundled' }),
      tcp(2019, 'admin', 'admin API', { host: 'localhost' }),
    ],
    configFile: '/etc/caddy/Caddyfile (site addresses)',
    configArgs: ['--config', '--adapter'],
    programs: ['caddy'],
    source: 'https://github.com/docker-library/docs/blob/master/caddy/content.md',
    note: 'EXPOSE 80 443 2019; the default Caddyfile is `:80`; the admin endpoint binds localhost:2019.',
  },
  {
    id: 'traefik',
    match: ['traefik'],
    ports: [tcp(80, 'web', 'the default `http` entry point when no entry point is configured')],
    portFlags: [{ flag: '--entrypoints.*.address', format: 'hostport', appliesTo: 'all', repeatable: true }],
    configFile: 'traefik.yml / traefik.toml (entryPoints)',
    configArgs: ['--configfile'],
    programs: ['traefik'],
    complete: false,
    source: 'https://doc.traefik.io/traefik/routing/entrypoints/',
    note: 'Entry points are `--entryPoints.<name>.address=:8000/tcp`; with none, Traefik opens `:80`. --api.insecure adds :8080.',
  },
  {
    id: 'haproxy',
    match: [
      'haproxy',
      'haproxytech/haproxy-alpine',
      'haproxytech/haproxy-debian',
      'haproxytech/haproxy-ubuntu',
    ],
    ports: [],
    configFile: '/usr/local/etc/haproxy/haproxy.cfg (`bind` lines); the image ships no default config',
    configArgs: ['-f'],
    programs: ['haproxy', 'docker-entrypoint.sh'],
    complete: false,
    source: 'https://github.com/docker-library/docs/blob/master/haproxy/content.md',
    note: 'The image needs a haproxy.cfg; every port comes from its `bind` lines.',
  },
  {
    id: 'envoy',
    match: ['envoyproxy/envoy', 'envoyproxy/envoy-distroless'],
    ports: [
      tcp(10000, 'listener', 'listener_0 of the demo /etc/envoy/envoy.yaml', {
        config: 'bundled',
        likely: true,
      }),
      tcp(9901, 'admin', 'admin interface of the demo /etc/envoy/envoy.yaml', {
        config: 'bundled',
        likely: true,
      }),
    ],
    configFile: 'the bootstrap YAML (static_resources.listeners, admin.address)',
    configArgs: ['-c', '--config-path', '--config-yaml'],
    programs: ['envoy', 'docker-entrypoint.sh'],
    complete: false,
    source: 'https://www.envoyproxy.io/docs/envoy/latest/start/docker',
    note: 'Listeners come from the bootstrap config; the image bundles a demo config (10000, admin 9901).',
  },
  // ---- test and demo servers ----
  {
    id: 'traefik-whoami',
    match: ['traefik/whoami', 'containous/whoami'],
    ports: [tcp(80, 'http', 'HTTP and gRPC')],
    portFlags: [{ flag: '--port', format: 'port' }],
    portEnv: [{ name: 'WHOAMI_PORT_NUMBER', format: 'port' }],
    programs: ['whoami'],
    source: 'https://github.com/traefik/whoami/blob/master/README.md',
    note: 'Flags table: `port` / WHOAMI_PORT_NUMBER, "Give me a port number. (default: 80)".',
  },
  {
    id: 'http-echo',
    match: ['hashicorp/http-echo'],
    ports: [tcp(5678, 'http', 'HTTP')],
    portFlags: [{ flag: '-listen', format: 'hostport' }],
    programs: ['http-echo'],
    requires: {
      flags: ['-text'],
      env: ['ECHO_TEXT'],
      why: 'http-echo exits at start without -text (or ECHO_TEXT)',
    },
    source: 'https://github.com/hashicorp/http-echo/blob/main/main.go',
    note: '`flag.String("listen", ":5678", ...)`; a missing -text makes it exit with status 127.',
  },
  {
    id: 'echoserver',
    match: [
      'registry.k8s.io/echoserver',
      'k8s.gcr.io/echoserver',
      'gcr.io/google_containers/echoserver',
      'gcr.io/google-containers/echoserver',
    ],
    ports: [tcp(8080, 'http', 'HTTP'), tcp(8443, 'https', 'HTTPS (self-signed)')],
    configFile: '/etc/nginx/nginx.conf (`listen 8080` and `listen 8443 ssl`)',
    programs: ['run.sh', 'nginx'],
    source: 'https://github.com/kubernetes/kubernetes/blob/master/test/images/echoserver/nginx.conf',
    note: 'nginx.conf: `listen 8080 default_server reuseport; listen 8443 default_server ssl http2 reuseport;`.',
  },
  {
    id: 'kennethreitz-httpbin',
    match: ['kennethreitz/httpbin'],
    ports: [tcp(80, 'http', 'HTTP (gunicorn -b 0.0.0.0:80)')],
    portFlags: [
      { flag: '-b', format: 'hostport' },
      { flag: '--bind', format: 'hostport' },
    ],
    programs: ['gunicorn'],
    source: 'https://github.com/postmanlabs/httpbin/blob/be1413fb022a3921d4a9b1a63e588199e2106f39/Dockerfile',
    note: 'CMD ["gunicorn", "-b", "0.0.0.0:80", "httpbin:app", "-k", "gevent"]; EXPOSE 80.',
  },
  {
    id: 'go-httpbin',
    match: ['mccutchen/go-httpbin', 'ghcr.io/mccutchen/go-httpbin'],
    ports: [tcp(8080, 'http', 'HTTP')],
    portFlags: [{ flag: '-port', format: 'port' }],
    honoursPORT: true,
    programs: ['go-httpbin'],
    source: 'https://github.com/mccutchen/go-httpbin/blob/main/README.md',
    note: '`-port int  Port to listen on (default 8080)`, also read from the PORT variable.',
  },
  {
    id: 'ealen-echo-server',
    match: ['ealen/echo-server'],
    ports: [tcp(80, 'http', 'HTTP')],
    portFlags: [{ flag: '--port', format: 'port' }],
    honoursPORT: true,
    source: 'https://github.com/Ealenn/Echo-Server/blob/master/docs/pages/configuration/index.md',
    note: 'Configuration table: environment PORT, CLI --port, default `80`.',
  },
  {
    id: 'hello-app',
    match: ['gcr.io/google-samples/hello-app', 'us-docker.pkg.dev/google-samples/containers/gke/hello-app'],
    ports: [tcp(8080, 'http', 'HTTP')],
    honoursPORT: true,
    programs: ['hello-app'],
    source:
      'https://github.com/GoogleCloudPlatform/kubernetes-engine-samples/blob/main/quickstarts/hello-app/main.go',
    note: '"use PORT environment variable, or default to 8080".',
  },
  {
    id: 'podinfo',
    match: ['stefanprodan/podinfo', 'ghcr.io/stefanprodan/podinfo'],
    ports: [tcp(9898, 'http', 'HTTP')],
    portFlags: [
      { flag: '--port', format: 'port', appliesTo: 9898 },
      { flag: '--port-metrics', format: 'port', extra: 'Prometheus metrics' },
      { flag: '--grpc-port', format: 'port', extra: 'gRPC' },
    ],
    portEnv: [
      { name: 'PODINFO_PORT', format: 'port', appliesTo: 9898 },
      { name: 'PODINFO_PORT_METRICS', format: 'port', extra: 'Prometheus metrics' },
      { name: 'PODINFO_GRPC_PORT', format: 'port', extra: 'gRPC' },
    ],
    programs: ['podinfo'],
    source: 'https://github.com/stefanprodan/podinfo/blob/master/cmd/podinfo/main.go',
    note: '`--port` defaults to 9898; viper reads PODINFO_-prefixed variables (`-` → `_`); metrics/gRPC ports are 0 (off) by default.',
  },
  {
    id: 'audiobookshelf',
    match: ['ghcr.io/advplyr/audiobookshelf', 'advplyr/audiobookshelf'],
    ports: [tcp(80, 'http', 'HTTP (ENV PORT=80)')],
    honoursPORT: true,
    programs: ['node', 'tini'],
    source: 'https://github.com/advplyr/audiobookshelf/blob/master/Dockerfile',
    note: 'EXPOSE 80 and `ENV PORT=80`; the server listens on PORT.',
  },
  // ---- monitoring ----
  {
    id: 'node-exporter',
    match: ['prom/node-exporter', 'quay.io/prometheus/node-exporter'],
    ports: [tcp(9100, 'metrics', 'Prometheus metrics')],
    portFlags: [{ flag: '--web.listen-address', format: 'hostport', repeatable: true }],
    programs: ['node_exporter'],
    source: 'https://github.com/prometheus/node_exporter/blob/master/Dockerfile',
    note: 'EXPOSE 9100; `--web.listen-address` defaults to `:9100`.',
  },
  {
    id: 'prometheus',
    match: ['prom/prometheus', 'quay.io/prometheus/prometheus'],
    ports: [tcp(9090, 'web', 'web UI and API')],
    portFlags: [{ flag: '--web.listen-address', format: 'hostport', repeatable: true }],
    programs: ['prometheus'],
    source: 'https://github.com/prometheus/prometheus/blob/main/Dockerfile',
    note: 'EXPOSE 9090; `--web.listen-address` defaults to `0.0.0.0:9090`. --config.file does not move it.',
  },
  {
    id: 'alertmanager',
    match: ['prom/alertmanager', 'quay.io/prometheus/alertmanager'],
    ports: [
      tcp(9093, 'web', 'web UI and API'),
      tcp(9094, 'cluster', 'gossip (cluster)'),
      udp(9094, 'cluster-udp', 'gossip (cluster)'),
    ],
    portFlags: [
      { flag: '--web.listen-address', format: 'hostport', appliesTo: 9093 },
      {
        flag: '--cluster.listen-address',
        format: 'hostport',
        appliesTo: 9094,
        note: 'empty disables clustering',
      },
    ],
    programs: ['alertmanager'],
    source: 'https://github.com/prometheus/alertmanager/blob/main/README.md',
    note: '`--web.listen-address` default `:9093`, `--cluster.listen-address` default `0.0.0.0:9094`.',
  },
  {
    id: 'pushgateway',
    match: ['prom/pushgateway', 'quay.io/prometheus/pushgateway'],
    ports: [tcp(9091, 'web', 'push API and metrics')],
    portFlags: [{ flag: '--web.listen-address', format: 'hostport' }],
    programs: ['pushgateway'],
    source: 'https://github.com/prometheus/pushgateway/blob/master/README.md',
    note: 'EXPOSE 9091; `--web.listen-address` default `:9091`.',
  },
  {
    id: 'blackbox-exporter',
    match: ['prom/blackbox-exporter', 'quay.io/prometheus/blackbox-exporter'],
    ports: [tcp(9115, 'http', 'probe and metrics endpoint')],
    portFlags: [{ flag: '--web.listen-address', format: 'hostport' }],
    programs: ['blackbox_exporter'],
    source: 'https://github.com/prometheus/blackbox_exporter/blob/master/README.md',
    note: 'EXPOSE 9115; `--web.listen-address` default `:9115`.',
  },
  {
    id: 'kube-state-metrics',
    match: [
      'registry.k8s.io/kube-state-metrics/kube-state-metrics',
      'k8s.gcr.io/kube-state-metrics/kube-state-metrics',
      'quay.io/coreos/kube-state-metrics',
    ],
    ports: [tcp(8080, 'http-metrics', 'object metrics'), tcp(8081, 'telemetry', 'self metrics')],
    portFlags: [
      { flag: '--port', format: 'port', appliesTo: 8080 },
      { flag: '--telemetry-port', format: 'port', appliesTo: 8081 },
    ],
    programs: ['kube-state-metrics'],
    source: 'https://github.com/kubernetes/kube-state-metrics/blob/main/docs/developer/cli-arguments.md',
    note: '`--port` default 8080, `--telemetry-port` default 8081.',
  },
  {
    id: 'grafana',
    match: ['grafana/grafana', 'grafana/grafana-oss', 'grafana/grafana-enterprise'],
    ports: [tcp(3000, 'http', 'web UI')],
    portEnv: [{ name: 'GF_SERVER_HTTP_PORT', format: 'port' }],
    configFile: '/etc/grafana/grafana.ini ([server] http_port)',
    programs: ['run.sh', 'grafana', 'grafana-server'],
    source: 'https://grafana.com/docs/grafana/latest/setup-grafana/configure-grafana/#http_port',
    note: '`http_port` defaults to 3000; any setting can be overridden with GF_<SECTION>_<KEY>, so GF_SERVER_HTTP_PORT.',
  },
  {
    id: 'jaeger-all-in-one',
    match: ['jaegertracing/all-in-one'],
    ports: [
      tcp(16686, 'query', 'UI and query API'),
      tcp(16685, 'query-grpc', 'query API over gRPC'),
      tcp(4317, 'otlp-grpc', 'OTLP gRPC'),
      tcp(4318, 'otlp-http', 'OTLP HTTP'),
      tcp(14268, 'collector-http', 'jaeger.thrift over HTTP'),
      tcp(14250, 'collector-grpc', 'model.proto over gRPC'),
      udp(6831, 'agent-compact', 'jaeger.thrift compact (agent)'),
      udp(6832, 'agent-binary', 'jaeger.thrift binary (agent)'),
      tcp(5778, 'agent-configs', 'sampling configs (agent)'),
      tcp(14269, 'admin', 'admin: health and metrics'),
    ],
    portFlags: [
      { flag: '--query.http-server.host-port', format: 'hostport', appliesTo: 16686 },
      { flag: '--query.grpc-server.host-port', format: 'hostport', appliesTo: 16685 },
      { flag: '--collector.otlp.grpc.host-port', format: 'hostport', appliesTo: 4317 },
      { flag: '--collector.otlp.http.host-port', format: 'hostport', appliesTo: 4318 },
      { flag: '--collector.http-server.host-port', format: 'hostport', appliesTo: 14268 },
      { flag: '--collector.grpc-server.host-port', format: 'hostport', appliesTo: 14250 },
      { flag: '--collector.zipkin.host-port', format: 'hostport', extra: 'Zipkin' },
    ],
    portEnv: [
      { name: 'QUERY_HTTP_SERVER_HOST_PORT', format: 'hostport', appliesTo: 16686 },
      { name: 'QUERY_GRPC_SERVER_HOST_PORT', format: 'hostport', appliesTo: 16685 },
      { name: 'COLLECTOR_OTLP_GRPC_HOST_PORT', format: 'hostport', appliesTo: 4317 },
      { name: 'COLLECTOR_OTLP_HTTP_HOST_PORT', format: 'hostport', appliesTo: 4318 },
      { name: 'COLLECTOR_HTTP_SERVER_HOST_PORT', format: 'hostport', appliesTo: 14268 },
      { name: 'COLLECTOR_GRPC_SERVER_HOST_PORT', format: 'hostport', appliesTo: 14250 },
      { name: 'COLLECTOR_ZIPKIN_HOST_PORT', format: 'hostport', extra: 'Zipkin' },
    ],
    programs: ['all-in-one-linux', 'all-in-one'],
    source: 'https://www.jaegertracing.io/docs/1.62/getting-started/',
    note: 'The "container exposes the following ports" table; flags map to variables by upper-casing and `.`/`-` → `_`.',
  },
  {
    id: 'jaeger-v2',
    match: ['jaegertracing/jaeger'],
    ports: [
      tcp(16686, 'query', 'UI and query API', { config: 'bundled' }),
      tcp(4317, 'otlp-grpc', 'OTLP gRPC', { config: 'bundled' }),
      tcp(4318, 'otlp-http', 'OTLP HTTP', { config: 'bundled' }),
    ],
    configFile: 'the collector-style YAML given with --config',
    configArgs: ['--config'],
    programs: ['jaeger'],
    complete: false,
    source: 'https://www.jaegertracing.io/docs/2.0/getting-started/',
    note: 'Jaeger v2 is an OpenTelemetry collector; its built-in all-in-one config opens 16686, 4317 and 4318 among others.',
  },
  {
    id: 'otel-collector',
    match: ['otel/opentelemetry-collector'],
    ports: [
      tcp(4317, 'otlp-grpc', 'OTLP gRPC receiver', { config: 'bundled' }),
      tcp(4318, 'otlp-http', 'OTLP HTTP receiver', { config: 'bundled' }),
      tcp(14250, 'jaeger-grpc', 'Jaeger gRPC receiver', { config: 'bundled' }),
      tcp(14268, 'jaeger-http', 'Jaeger thrift HTTP receiver', { config: 'bundled' }),
      udp(6831, 'jaeger-compact', 'Jaeger thrift compact receiver', { config: 'bundled' }),
      udp(6832, 'jaeger-binary', 'Jaeger thrift binary receiver', { config: 'bundled' }),
      tcp(9411, 'zipkin', 'Zipkin receiver', { config: 'bundled' }),
      tcp(55679, 'zpages', 'zpages extension', { config: 'bundled' }),
      tcp(1777, 'pprof', 'pprof extension', { config: 'bundled' }),
      tcp(8888, 'metrics', 'own telemetry', { config: 'bundled' }),
      tcp(13133, 'health', 'health_check extension', { config: 'bundled', likely: true }),
    ],
    configFile: '/etc/otelcol/config.yaml (receivers.*.endpoint, extensions)',
    configArgs: ['--config'],
    programs: ['otelcol'],
    source:
      'https://github.com/open-telemetry/opentelemetry-collector-releases/blob/main/distributions/otelcol/config.yaml',
    note: 'The bundled config opens OTLP 4317/4318, Jaeger, Zipkin, zpages, pprof and telemetry 8888; a custom --config replaces all.',
  },
  {
    id: 'otel-collector-contrib',
    match: ['otel/opentelemetry-collector-contrib'],
    ports: [
      tcp(4317, 'otlp-grpc', 'OTLP gRPC receiver', { config: 'bundled' }),
      tcp(4318, 'otlp-http', 'OTLP HTTP receiver', { config: 'bundled' }),
      tcp(55679, 'zpages', 'zpages extension', { config: 'bundled', likely: true }),
      tcp(8888, 'metrics', 'own telemetry', { config: 'bundled', likely: true }),
      tcp(13133, 'health', 'health_check extension', { config: 'bundled', likely: true }),
    ],
    configFile: '/etc/otelcol-contrib/config.yaml',
    configArgs: ['--config'],
    programs: ['otelcol-contrib'],
    complete: false,
    source:
      'https://github.com/open-telemetry/opentelemetry-collector-releases/blob/main/distributions/otelcol-contrib/config.yaml',
    note: 'Same layout as the core distribution: OTLP receivers on 4317/4318 in the bundled config.',
  },
  {
    id: 'kiali',
    match: ['quay.io/kiali/kiali', 'kiali/kiali'],
    ports: [tcp(20001, 'api', 'UI and API (server.port)'), tcp(9090, 'http-metrics', 'own metrics')],
    configFile: 'config.yaml (server.port, server.observability.metrics.port)',
    configArgs: ['-config'],
    programs: ['kiali'],
    source: 'https://github.com/istio/istio/blob/master/samples/addons/kiali.yaml',
    note: 'server.port defaults to 20001 and metrics to 9090; the Deployment runs `kiali -config /kiali-configuration/config.yaml`.',
  },
  // ---- databases, caches, queues ----
  {
    id: 'redis',
    match: ['redis', 'redis/redis-stack-server'],
    ports: [tcp(6379, 'redis', 'Redis protocol')],
    portFlags: [{ flag: '--port', format: 'port', note: '`--port 0` disables TCP' }],
    configFile: 'a redis.conf given as first argument (`port` directive)',
    configArgs: ['*.conf'],
    programs: ['redis-server', 'docker-entrypoint.sh', 'redis-stack-server'],
    source: 'https://redis.io/docs/latest/operate/oss_and_stack/management/config/',
    note: 'Default `port 6379`; "pass arguments via the command line", e.g. `redis-server --port 6380`. EXPOSE 6379.',
  },
  {
    id: 'bitnami-redis',
    match: ['bitnami/redis'],
    ports: [tcp(6379, 'redis', 'Redis protocol')],
    portEnv: [{ name: 'REDIS_PORT_NUMBER', format: 'port' }],
    source: 'https://github.com/bitnami/containers/blob/main/bitnami/redis/README.md',
    note: 'REDIS_PORT_NUMBER: "Redis port number", default 6379.',
  },
  {
    id: 'postgres',
    match: ['postgres', 'postgis/postgis'],
    ports: [tcp(5432, 'postgres', 'PostgreSQL protocol')],
    portFlags: [
      { flag: '-p', format: 'port' },
      { flag: '--port', format: 'port' },
      { flag: '-c', format: 'port', key: 'port' },
    ],
    portEnv: [{ name: 'PGPORT', format: 'port' }],
    configFile: 'postgresql.conf (`port`) in PGDATA',
    configArgs: ['config_file='],
    programs: ['postgres', 'docker-entrypoint.sh'],
    source: 'https://www.postgresql.org/docs/current/app-postgres.html',
    note: '`-p port`: "Defaults to the value of the PGPORT environment variable, or ... 5432". The image EXPOSEs 5432.',
  },
  {
    id: 'bitnami-postgresql',
    match: ['bitnami/postgresql'],
    ports: [tcp(5432, 'postgresql', 'PostgreSQL protocol')],
    portEnv: [{ name: 'POSTGRESQL_PORT_NUMBER', format: 'port' }],
    source: 'https://github.com/bitnami/containers/blob/main/bitnami/postgresql/README.md',
    note: 'POSTGRESQL_PORT_NUMBER, default 5432.',
  },
  {
    id: 'mysql',
    match: ['mysql', 'mysql/mysql-server'],
    ports: [tcp(3306, 'mysql', 'MySQL protocol'), tcp(33060, 'mysqlx', 'X Protocol')],
    portFlags: [
      { flag: '--port', format: 'port', appliesTo: 3306 },
      { flag: '-P', format: 'port', appliesTo: 3306 },
      { flag: '--mysqlx-port', format: 'port', appliesTo: 33060 },
    ],
    portEnv: [{ name: 'MYSQL_TCP_PORT', format: 'port', appliesTo: 3306 }],
    configFile: '/etc/my.cnf ([mysqld] port)',
    configArgs: ['--defaults-file'],
    programs: ['mysqld', 'docker-entrypoint.sh'],
    source: 'https://dev.mysql.com/doc/refman/8.4/en/environment-variables.html',
    note: 'MYSQL_TCP_PORT: "The default TCP/IP port number"; the image EXPOSEs 3306 33060.',
  },
  {
    id: 'mariadb',
    match: ['mariadb'],
    ports: [tcp(3306, 'mysql', 'MySQL protocol')],
    portFlags: [
      { flag: '--port', format: 'port' },
      { flag: '-P', format: 'port' },
    ],
    portEnv: [{ name: 'MYSQL_TCP_PORT', format: 'port' }],
    configFile: '/etc/mysql/my.cnf ([mariadbd] port)',
    configArgs: ['--defaults-file'],
    programs: ['mariadbd', 'mysqld', 'docker-entrypoint.sh'],
    source: 'https://mariadb.com/kb/en/mariadb-environment-variables/',
    note: 'MYSQL_TCP_PORT sets the default TCP port; the image EXPOSEs 3306.',
  },
  {
    id: 'mongo',
    match: ['mongo', 'mongodb/mongodb-community-server'],
    ports: [tcp(27017, 'mongodb', 'MongoDB wire protocol')],
    portFlags: [{ flag: '--port', format: 'port' }],
    configFile: 'mongod.conf (net.port)',
    configArgs: ['--config', '-f'],
    programs: ['mongod', 'docker-entrypoint.sh'],
    source: 'https://www.mongodb.com/docs/manual/reference/program/mongod/#std-option-mongod.--port',
    note: '`--port` default 27017 for mongod; the image EXPOSEs 27017.',
  },
  {
    id: 'memcached',
    match: ['memcached'],
    ports: [tcp(11211, 'memcache', 'memcached protocol')],
    portFlags: [
      { flag: '-p', format: 'port' },
      { flag: '--port', format: 'port' },
    ],
    programs: ['memcached', 'docker-entrypoint.sh'],
    source: 'https://github.com/memcached/memcached/wiki/ConfiguringServer',
    note: '`-p, --port=<num>  TCP port to listen on (default: 11211)`; UDP is off by default. EXPOSE 11211.',
  },
  {
    id: 'rabbitmq',
    match: ['rabbitmq'],
    ports: [
      tcp(5672, 'amqp', 'AMQP'),
      tcp(25672, 'clustering', 'inter-node and CLI (Erlang distribution)'),
      tcp(4369, 'epmd', 'epmd peer discovery'),
      tcp(15692, 'prometheus', 'Prometheus metrics (rabbitmq_prometheus)', { likely: true }),
      tcp(15672, 'management', 'management UI and HTTP API', { whenTag: 'management' }),
    ],
    portEnv: [
      { name: 'RABBITMQ_NODE_PORT', format: 'port', appliesTo: 5672 },
      { name: 'RABBITMQ_DIST_PORT', format: 'port', appliesTo: 25672 },
    ],
    configFile: '/etc/rabbitmq/rabbitmq.conf (listeners.tcp.default, management.tcp.port)',
    programs: ['rabbitmq-server', 'docker-entrypoint.sh'],
    source: 'https://www.rabbitmq.com/docs/networking#ports',
    note: 'Port table: 5672 AMQP, 25672 distribution, 4369 epmd, 15672 management (the -management tags), 15692 Prometheus.',
  },
  {
    id: 'elasticsearch',
    match: ['elasticsearch', 'docker.elastic.co/elasticsearch/elasticsearch'],
    ports: [tcp(9200, 'http', 'REST API'), tcp(9300, 'transport', 'node-to-node transport')],
    portEnv: [
      { name: 'http.port', format: 'port', appliesTo: 9200 },
      { name: 'transport.port', format: 'port', appliesTo: 9300 },
    ],
    portFlags: [
      { flag: '-E', format: 'port', key: 'http.port', appliesTo: 9200 },
      { flag: '-E', format: 'port', key: 'transport.port', appliesTo: 9300 },
    ],
    configFile: '/usr/share/elasticsearch/config/elasticsearch.yml (http.port, transport.port)',
    programs: ['elasticsearch', 'eswrapper', 'docker-entrypoint.sh'],
    source: 'https://www.elastic.co/guide/en/elasticsearch/reference/current/docker.html',
    note: 'Settings can be passed as variables named like the setting (http.port); defaults 9200 and 9300.',
  },
  {
    id: 'bitnami-kafka',
    match: ['bitnami/kafka', 'bitnamilegacy/kafka'],
    ports: [tcp(9092, 'client', 'PLAINTEXT listener'), tcp(9093, 'controller', 'KRaft controller listener')],
    portEnv: [{ name: 'KAFKA_CFG_LISTENERS', format: 'url', appliesTo: 'all' }],
    configFile: '/opt/bitnami/kafka/config/server.properties (listeners)',
    complete: false,
    source: 'https://github.com/bitnami/containers/blob/main/bitnami/kafka/README.md',
    note: 'KAFKA_CFG_<NAME> maps to server.properties; the README runs KAFKA_CFG_LISTENERS=PLAINTEXT://:9092,CONTROLLER://:9093.',
  },
  {
    id: 'zookeeper',
    match: ['zookeeper'],
    ports: [
      tcp(2181, 'client', 'client connections'),
      tcp(8080, 'admin', 'AdminServer (3.5+)', { likely: true }),
    ],
    portEnv: [{ name: 'ZOO_PORT', format: 'port', appliesTo: 2181, note: '3.4 images only' }],
    configFile: '/conf/zoo.cfg (clientPort, or `;2181` in server.N lines from ZOO_SERVERS)',
    programs: ['zkServer.sh', 'docker-entrypoint.sh'],
    source: 'https://github.com/31z4/zookeeper-docker/blob/master/3.9.5/docker-entrypoint.sh',
    note: 'The entrypoint writes `server.1=localhost:2888:3888;2181`; 2888/3888 are bound only in an ensemble. EXPOSE 2181 2888 3888 8080.',
  },
  {
    id: 'etcd',
    match: ['quay.io/coreos/etcd', 'gcr.io/etcd-development/etcd', 'registry.k8s.io/etcd', 'k8s.gcr.io/etcd'],
    ports: [
      tcp(2379, 'client', 'client API', { host: 'localhost' }),
      tcp(2380, 'peer', 'peer traffic', { host: 'localhost' }),
    ],
    portFlags: [
      { flag: '--listen-client-urls', format: 'url', appliesTo: 2379 },
      { flag: '--listen-peer-urls', format: 'url', appliesTo: 2380 },
      { flag: '--listen-metrics-urls', format: 'url', extra: 'metrics' },
    ],
    portEnv: [
      { name: 'ETCD_LISTEN_CLIENT_URLS', format: 'url', appliesTo: 2379 },
      { name: 'ETCD_LISTEN_PEER_URLS', format: 'url', appliesTo: 2380 },
    ],
    configArgs: ['--config-file'],
    programs: ['etcd'],
    source: 'https://etcd.io/docs/v3.5/op-guide/configuration/',
    note: '--listen-client-urls default http://localhost:2379 and --listen-peer-urls http://localhost:2380: loopback only.',
  },
  {
    id: 'consul',
    match: ['consul', 'hashicorp/consul'],
    ports: [
      tcp(8500, 'http', 'HTTP API and UI'),
      tcp(8600, 'dns-tcp', 'DNS'),
      udp(8600, 'dns-udp', 'DNS'),
      tcp(8300, 'server', 'server RPC'),
      tcp(8301, 'serflan-tcp', 'LAN gossip'),
      udp(8301, 'serflan-udp', 'LAN gossip'),
    ],
    portFlags: [
      { flag: '-http-port', format: 'port', appliesTo: 8500 },
      { flag: '-dns-port', format: 'port', appliesTo: 8600 },
      { flag: '-server-port', format: 'port', appliesTo: 8300 },
      { flag: '-serf-lan-port', format: 'port', appliesTo: 8301 },
    ],
    configFile: 'agent config (ports { http, dns, server, serf_lan })',
    configArgs: ['-config-file', '-config-dir'],
    programs: ['consul', 'docker-entrypoint.sh'],
    complete: false,
    source: 'https://developer.hashicorp.com/consul/docs/install/ports',
    note: 'Required ports table: 8500 HTTP, 8600 DNS (TCP and UDP), 8300 server RPC, 8301 LAN serf; 8302 WAN serf on servers.',
  },
  {
    id: 'vault',
    match: ['vault', 'hashicorp/vault'],
    ports: [tcp(8200, 'http', 'API (dev mode, VAULT_DEV_LISTEN_ADDRESS)')],
    portFlags: [{ flag: '-dev-listen-address', format: 'hostport' }],
    portEnv: [{ name: 'VAULT_DEV_LISTEN_ADDRESS', format: 'hostport' }],
    configFile: 'server config (listener "tcp" { address })',
    configArgs: ['-config'],
    programs: ['vault', 'docker-entrypoint.sh'],
    source: 'https://developer.hashicorp.com/vault/docs/commands/server#dev-listen-address',
    note: 'The image runs `server -dev` by default, listening on VAULT_DEV_LISTEN_ADDRESS (0.0.0.0:8200); with -config the listener stanza decides.',
  },
  {
    id: 'minio',
    match: ['minio/minio', 'quay.io/minio/minio'],
    ports: [
      tcp(9000, 'api', 'S3 API'),
      tcp(9001, 'console', 'Console UI (only when --console-address :9001 is given; random otherwise)', {
        likely: true,
      }),
    ],
    portFlags: [
      { flag: '--address', format: 'hostport', appliesTo: 9000 },
      { flag: '--console-address', format: 'hostport', appliesTo: 9001 },
    ],
    portEnv: [
      { name: 'MINIO_ADDRESS', format: 'hostport', appliesTo: 9000 },
      { name: 'MINIO_CONSOLE_ADDRESS', format: 'hostport', appliesTo: 9001 },
    ],
    programs: ['minio', 'docker-entrypoint.sh'],
    source: 'https://min.io/docs/minio/linux/reference/minio-server/minio-server.html',
    note: '`--address` default ":9000" [$MINIO_ADDRESS]; `--console-address` [$MINIO_CONSOLE_ADDRESS] picks a random port when unset.',
  },
  {
    id: 'registry',
    match: ['registry', 'distribution/distribution'],
    ports: [
      tcp(5000, 'http', 'registry API (http.addr)'),
      tcp(5001, 'debug', 'debug and Prometheus metrics (http.debug.addr)', {
        config: 'bundled',
        likely: true,
      }),
    ],
    portEnv: [
      { name: 'REGISTRY_HTTP_ADDR', format: 'hostport', appliesTo: 5000 },
      { name: 'REGISTRY_HTTP_DEBUG_ADDR', format: 'hostport', appliesTo: 5001 },
    ],
    configFile: '/etc/distribution/config.yml (http.addr)',
    configArgs: ['*.yml', '*.yaml'],
    programs: ['registry', 'docker-entrypoint.sh'],
    source: 'https://distribution.github.io/distribution/about/configuration/',
    note: 'The bundled config has `http: addr: :5000`; REGISTRY_<SECTION>_<KEY> overrides any key, so REGISTRY_HTTP_ADDR.',
  },
  {
    id: 'nats',
    match: ['nats'],
    ports: [
      tcp(4222, 'client', 'client connections'),
      tcp(8222, 'monitor', 'HTTP monitoring', { config: 'bundled' }),
      tcp(6222, 'routing', 'cluster routes', { config: 'bundled' }),
    ],
    portFlags: [
      { flag: '-p', format: 'port', appliesTo: 4222 },
      { flag: '--port', format: 'port', appliesTo: 4222 },
      { flag: '-m', format: 'port', appliesTo: 8222 },
      { flag: '--http_port', format: 'port', appliesTo: 8222 },
      { flag: '--cluster', format: 'url', appliesTo: 6222 },
    ],
    configFile: 'nats-server.conf (port, http_port/monitor_port, cluster.port)',
    configArgs: ['--config', '-c'],
    programs: ['nats-server'],
    source: 'https://github.com/docker-library/docs/blob/master/nats/content.md',
    note: 'The bundled nats-server.conf listens on 4222, monitoring 8222 and routes 6222.',
  },
  // ---- application servers and apps ----
  {
    id: 'jenkins',
    match: ['jenkins/jenkins', 'jenkinsci/blueocean', 'jenkinsci/jenkins'],
    ports: [tcp(8080, 'http', 'web UI (Winstone --httpPort)'), tcp(50000, 'agent', 'inbound agents (TCP)')],
    portFlags: [
      { flag: '--httpPort', format: 'port', appliesTo: 8080, note: '-1 disables HTTP' },
      { flag: '--httpsPort', format: 'port', extra: 'HTTPS' },
    ],
    portEnv: [
      { name: 'JENKINS_OPTS', format: 'args' },
      { name: 'JENKINS_SLAVE_AGENT_PORT', format: 'port', appliesTo: 50000 },
    ],
    programs: ['jenkins.sh', 'tini'],
    source: 'https://github.com/jenkinsci/docker/blob/master/README.md',
    note: 'The Dockerfile sets http_port=8080 and JENKINS_SLAVE_AGENT_PORT=50000; JENKINS_OPTS and `--` arguments reach Winstone (--httpPort).',
  },
  {
    id: 'nexus3',
    match: ['sonatype/nexus3'],
    ports: [tcp(8081, 'http', 'UI and repositories')],
    configFile: '/nexus-data/etc/nexus.properties (application-port)',
    programs: ['nexus', 'start-nexus-repository-manager.sh'],
    source: 'https://github.com/sonatype/docker-nexus3/blob/main/README.md',
    note: 'EXPOSE 8081; `application-port=8081` in nexus-default.properties, overridable in nexus.properties.',
  },
  {
    id: 'tomcat',
    match: ['tomcat'],
    ports: [tcp(8080, 'http', 'HTTP connector (conf/server.xml)', { config: 'bundled' })],
    configFile: '/usr/local/tomcat/conf/server.xml (<Connector port="8080">)',
    configArgs: ['-config'],
    programs: ['catalina.sh'],
    source: 'https://github.com/docker-library/docs/blob/master/tomcat/content.md',
    note: 'EXPOSE 8080; the HTTP Connector port in server.xml.',
  },
  {
    id: 'wordpress',
    match: ['wordpress'],
    ports: [
      tcp(80, 'http', 'Apache HTTP', { unlessTag: 'fpm' }),
      tcp(9000, 'fastcgi', 'PHP-FPM FastCGI', { whenTag: 'fpm' }),
    ],
    configFile: '/etc/apache2/ports.conf (`Listen 80`) or php-fpm.d/zz-docker.conf (`listen = 9000`)',
    programs: ['apache2-foreground', 'php-fpm', 'docker-entrypoint.sh'],
    source: 'https://github.com/docker-library/docs/blob/master/wordpress/content.md',
    note: 'The apache variants EXPOSE 80; the -fpm variants EXPOSE 9000 (FastCGI, not HTTP).',
  },
  {
    id: 'php',
    match: ['php'],
    ports: [
      tcp(80, 'http', 'Apache HTTP', { whenTag: 'apache' }),
      tcp(9000, 'fastcgi', 'PHP-FPM FastCGI', { whenTag: 'fpm' }),
    ],
    programs: ['apache2-foreground', 'php-fpm', 'docker-php-entrypoint'],
    source: 'https://github.com/docker-library/docs/blob/master/php/content.md',
    note: 'php:<v>-apache EXPOSEs 80, php:<v>-fpm EXPOSEs 9000; the cli variants serve nothing.',
  },
  {
    id: 'ghost',
    match: ['ghost'],
    ports: [tcp(2368, 'http', 'HTTP')],
    portEnv: [{ name: 'server__port', format: 'port' }],
    configFile: 'config.production.json (server.port)',
    programs: ['node', 'docker-entrypoint.sh'],
    source: 'https://ghost.org/docs/config/#running-ghost-with-config-env-variables',
    note: 'Ghost listens on 2368 (EXPOSE 2368); nested config keys are set with `__`, e.g. server__port.',
  },
  {
    id: 'argocd',
    match: ['quay.io/argoproj/argocd', 'argoproj/argocd'],
    ports: [],
    variants: [
      {
        program: 'argocd-server',
        ports: [tcp(8080, 'server', 'HTTP and gRPC API, UI'), tcp(8083, 'metrics', 'metrics')],
        portFlags: [
          { flag: '--port', format: 'port', appliesTo: 8080 },
          { flag: '--metrics-port', format: 'port', appliesTo: 8083 },
        ],
      },
      {
        program: 'argocd-repo-server',
        ports: [tcp(8081, 'server', 'gRPC'), tcp(8084, 'metrics', 'metrics')],
        portFlags: [
          { flag: '--port', format: 'port', appliesTo: 8081 },
          { flag: '--metrics-port', format: 'port', appliesTo: 8084 },
        ],
      },
      {
        program: 'argocd-application-controller',
        ports: [tcp(8082, 'metrics', 'metrics')],
        portFlags: [{ flag: '--metrics-port', format: 'port', appliesTo: 8082 }],
      },
      {
        program: 'argocd-notifications',
        ports: [tcp(9001, 'metrics', 'metrics')],
        portFlags: [{ flag: '--metrics-port', format: 'port', appliesTo: 9001 }],
      },
    ],
    complete: false,
    source: 'https://github.com/argoproj/argo-cd/blob/master/manifests/install.yaml',
    note: 'One image, several programs chosen by command/args (/usr/local/bin/argocd-server...); install.yaml declares their ports.',
  },
  // ---- base and runtime images: nothing listens unless the command starts a server ----
  {
    id: 'busybox',
    match: ['busybox'],
    ports: [],
    source: 'https://github.com/docker-library/docs/blob/master/busybox/content.md',
    note: 'CMD ["sh"]; no EXPOSE. `httpd -p 8080` or `nc -l -p` in the command would be the server.',
  },
  {
    id: 'alpine',
    match: ['alpine'],
    ports: [],
    source: 'https://github.com/docker-library/docs/blob/master/alpine/content.md',
    note: 'CMD ["/bin/sh"]; no EXPOSE.',
  },
  {
    id: 'node',
    match: ['node'],
    ports: [],
    source: 'https://github.com/nodejs/docker-node/blob/main/README.md',
    note: 'CMD ["node"]; no EXPOSE. The app decides its port; many read PORT.',
  },
  {
    id: 'python',
    match: ['python'],
    ports: [],
    source: 'https://github.com/docker-library/docs/blob/master/python/content.md',
    note: 'CMD ["python3"]; no EXPOSE. The app decides its port.',
  },
  {
    id: 'pause',
    match: ['registry.k8s.io/pause', 'k8s.gcr.io/pause', 'gcr.io/google_containers/pause'],
    ports: [],
    complete: true,
    source: 'https://github.com/kubernetes/kubernetes/blob/master/build/pause/linux/pause.c',
    note: 'pause only waits for signals; it binds nothing.',
  },
  // ---- DNS ----
  {
    id: 'coredns',
    match: [
      'coredns/coredns',
      'registry.k8s.io/coredns/coredns',
      'registry.k8s.io/coredns',
      'k8s.gcr.io/coredns/coredns',
      'k8s.gcr.io/coredns',
    ],
    ports: [
      udp(53, 'dns', 'DNS'),
      tcp(53, 'dns-tcp', 'DNS over TCP'),
      tcp(9153, 'metrics', 'Prometheus metrics (`prometheus :9153` in the Corefile)', { config: 'custom' }),
      tcp(8080, 'health', 'health plugin (`health`)', { config: 'custom' }),
      tcp(8181, 'ready', 'ready plugin (`ready`)', { config: 'custom' }),
    ],
    portFlags: [{ flag: '-dns.port', format: 'port', appliesTo: 53 }],
    configFile: 'the Corefile (server block `.:53`, `prometheus :9153`, `health`, `ready`)',
    configArgs: ['-conf'],
    programs: ['coredns'],
    source:
      'https://github.com/kubernetes/kubernetes/blob/master/cluster/addons/dns/coredns/coredns.yaml.base',
    note: 'The Kubernetes Corefile serves `.:53` with `prometheus :9153`, health :8080 and ready :8181; the image EXPOSEs 53 53/udp.',
  },
];

/**
 * Well-known servers recognised by the program a container runs, whatever its image (python, node...).
 * `match` holds program basenames; `python -m <module>` is matched by module name.
 */
export const programKnowledge: readonly ImageKnowledge[] = [
  {
    id: 'python-http.server',
    match: ['http.server'],
    ports: [tcp(8000, 'http', 'HTTP')],
    positionalPort: true,
    valueFlags: ['-b', '--bind', '-d', '--directory', '-p', '--protocol'],
    hostFlags: ['-b', '--bind'],
    source: 'https://docs.python.org/3/library/http.server.html#command-line-interface',
    note: '`python -m http.server [port]`, "By default, the server listens on port 8000".',
  },
  {
    id: 'gunicorn',
    match: ['gunicorn'],
    ports: [
      tcp(8000, 'http', 'HTTP (a gunicorn.conf.py in the working directory may change it)', {
        host: '127.0.0.1',
        likely: true,
      }),
    ],
    portFlags: [
      { flag: '-b', format: 'hostport', repeatable: true },
      { flag: '--bind', format: 'hostport', repeatable: true },
    ],
    portEnv: [{ name: 'GUNICORN_CMD_ARGS', format: 'args' }],
    honoursPORT: true,
    configFile: 'gunicorn.conf.py (bind)',
    configArgs: ['-c', '--config'],
    source: 'https://docs.gunicorn.org/en/stable/settings.html#bind',
    note: 'bind default `127.0.0.1:8000`; "If the PORT environment variable is defined, the default is 0.0.0.0:$PORT".',
  },
  {
    id: 'uvicorn',
    match: ['uvicorn'],
    ports: [tcp(8000, 'http', 'HTTP', { host: '127.0.0.1' })],
    portFlags: [{ flag: '--port', format: 'port' }],
    portEnv: [{ name: 'UVICORN_PORT', format: 'port' }],
    hostFlags: ['--host'],
    hostEnv: ['UVICORN_HOST'],
    source: 'https://www.uvicorn.org/settings/',
    note: '`--host` default 127.0.0.1, `--port` default 8000; settings also read from UVICORN_* variables.',
  },
  {
    id: 'flask',
    match: ['flask'],
    argv: ['run'],
    ports: [tcp(5000, 'http', 'HTTP (development server)', { host: '127.0.0.1' })],
    portFlags: [
      { flag: '--port', format: 'port' },
      { flag: '-p', format: 'port' },
    ],
    portEnv: [{ name: 'FLASK_RUN_PORT', format: 'port' }],
    hostFlags: ['--host', '-h'],
    hostEnv: ['FLASK_RUN_HOST'],
    source: 'https://flask.palletsprojects.com/en/stable/cli/',
    note: '`flask run` binds 127.0.0.1:5000; options can be set as FLASK_RUN_<OPTION>.',
  },
];
