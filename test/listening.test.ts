import { describe, expect, it } from 'vitest';
import type { ImageKnowledge } from '../src/knowledge/images.js';
import { loadText, type Manifest } from '../src/model/load.js';
import type { Container, PodSpec } from '../src/model/types.js';
import {
  type Confidence,
  configLookupFor,
  findImageKnowledge,
  inferListening,
  type ListeningInference,
  normaliseImage,
  resolveEnv,
} from '../src/semantics/listening.js';

/** A Pod around one container (YAML indented for `containers:`), plus optional extra documents. */
function pod(container: string, extra = ''): string {
  const body = container
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  return `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  containers:
${body.replace(/^ {4}/, '  - ')}
${extra ? `---\n${extra.trim()}\n` : ''}`;
}

const cm = (name: string, data: Record<string, string>, namespace = 'shop') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${namespace}}\ndata: ${JSON.stringify(data)}`;

function podSpec(m: Manifest): PodSpec | undefined {
  const o = m.object as { spec?: { template?: { spec?: PodSpec }; containers?: unknown } };
  if (m.kind === 'Pod') return o.spec as PodSpec;
  return o.spec?.template?.spec;
}

function load(text: string): { manifests: Manifest[]; container: (name?: string) => [Container, string] } {
  const r = loadText({ name: 'case.yaml', text });
  expect(r.findings).toEqual([]);
  const workload = r.manifests.find((m) => podSpec(m) !== undefined);
  if (!workload) throw new Error('no workload');
  const spec = podSpec(workload) as PodSpec;
  return {
    manifests: r.manifests,
    container: (name) => {
      const c = name ? spec.containers.find((x) => x.name === name) : spec.containers[0];
      if (!c) throw new Error(`no container ${name}`);
      return [c, workload.namespace];
    },
  };
}

function infer(
  text: string,
  opts: { container?: string; extra?: ImageKnowledge[] } = {},
): ListeningInference {
  const { manifests, container } = load(text);
  const [c, ns] = container(opts.container);
  return inferListening(c, configLookupFor(ns, manifests), opts.extra);
}

const summary = (r: ListeningInference) =>
  r.ports.map((p) => `${p.port}/${p.protocol} ${p.confidence}`).sort();

interface Case {
  readonly name: string;
  readonly yaml: string;
  readonly container?: string;
  readonly extra?: ImageKnowledge[];
  /** `port/PROTO confidence`, any order. */
  readonly ports: readonly string[];
  readonly image?: string | null;
  readonly complete?: boolean;
  /** Matched against the evidence for the first expected port. */
  readonly because?: RegExp;
  readonly field?: string;
  readonly host?: string | null;
  readonly notes?: readonly RegExp[];
}

const acmeKnowledge: ImageKnowledge = {
  id: 'acme-api',
  match: ['registry.acme.io/api'],
  ports: [{ port: 7000, protocol: 'TCP', purpose: 'API' }],
  portEnv: [{ name: 'API_PORT', format: 'port' }],
  source: 'https://wiki.acme.io/api',
  note: 'in-house',
};

const cases: Case[] = [
  // ---- images whose port only their config decides ----
  {
    name: 'nginx with containerPort 8080 still listens on 80',
    yaml: pod(`name: web\nimage: nginx:1.27\nports: [{containerPort: 8080}]`),
    ports: ['80/TCP certain'],
    image: 'nginx',
    complete: true,
    because: /nginx listens on 80\/TCP by default.*containerPort 8080 does not change it/,
    field: 'image',
  },
  {
    name: 'nginx ignores PORT',
    yaml: pod(`name: web\nimage: nginx\nenv: [{name: PORT, value: "8080"}]`),
    ports: ['80/TCP certain'],
    notes: [/PORT \(8080 from env\[0\]\.value\) does not move nginx: it does not read PORT/],
  },
  {
    name: 'nginx with containerPort 80 has nothing to remark',
    yaml: pod(`name: web\nimage: nginx\nports: [{containerPort: 80}]`),
    ports: ['80/TCP certain'],
    because:
      /^nginx listens on 80\/TCP by default: HTTP \(`listen 80;` in \/etc\/nginx\/conf.d\/default.conf\)$/,
  },
  {
    name: 'nginx given another config file',
    yaml: pod(`name: web\nimage: nginx\nargs: [nginx, -c, /etc/custom/nginx.conf, -g, "daemon off;"]`),
    ports: [],
    complete: false,
    notes: [/-c \/etc\/custom\/nginx.conf \(args\[1\]\) gives nginx a config file/],
  },
  {
    name: 'nginx-unprivileged listens on 8080',
    yaml: pod(`name: web\nimage: nginxinc/nginx-unprivileged:1.27-alpine`),
    ports: ['8080/TCP certain'],
    image: 'nginx-unprivileged',
  },
  {
    name: 'bitnami nginx (docker.io/bitnami/nginx) on 8080, moved by NGINX_HTTP_PORT_NUMBER',
    yaml: pod(
      `name: web\nimage: docker.io/bitnami/nginx:1.25\nenv: [{name: NGINX_HTTP_PORT_NUMBER, value: "8081"}]`,
    ),
    ports: ['8081/TCP certain'],
    because:
      /NGINX_HTTP_PORT_NUMBER=8081 from env\[0\]\.value: bitnami-nginx listens on 8081 instead of 8080/,
    field: 'env[0].value',
  },
  // ---- flags ----
  {
    name: 'http-echo with -listen=:8080',
    yaml: pod(`name: echo\nimage: hashicorp/http-echo:1.0\nargs: ["-listen=:8080", "-text=hello"]`),
    ports: ['8080/TCP certain'],
    because: /`-listen=:8080` in args\[0\]: http-echo listens on 8080 instead of 5678/,
    field: 'args[0]',
    complete: true,
  },
  {
    name: 'http-echo without -text exits',
    yaml: pod(`name: echo\nimage: hashicorp/http-echo`),
    ports: ['5678/TCP unknown'],
    complete: false,
    notes: [/exits at start without -text/],
  },
  {
    name: 'http-echo -listen=8080 (no colon) is rejected by Go',
    yaml: pod(`name: echo\nimage: hashicorp/http-echo\nargs: ["-listen=8080", "-text=x"]`),
    ports: ['8080/TCP unknown'],
    notes: [/missing port in address/],
  },
  {
    name: 'node-exporter with --web.listen-address=:9200',
    yaml: pod(
      `name: ne\nimage: quay.io/prometheus/node-exporter:v1.8.1\nargs: ["--path.rootfs=/host", "--web.listen-address=:9200"]`,
    ),
    ports: ['9200/TCP certain'],
    image: 'node-exporter',
    field: 'args[1]',
  },
  {
    name: 'prometheus keeps 9090 whatever --config.file says',
    yaml: pod(
      `name: prom\nimage: prom/prometheus:v2.53.0\nargs: ["--config.file=/etc/prometheus/prometheus.yml"]`,
    ),
    ports: ['9090/TCP certain'],
    complete: true,
  },
  {
    name: 'prometheus bound to loopback',
    yaml: pod(`name: prom\nimage: prom/prometheus\nargs: ["--web.listen-address=127.0.0.1:9090"]`),
    ports: ['9090/TCP certain'],
    host: '127.0.0.1',
    notes: [/binds 127\.0\.0\.1:9090, which only the pod itself can reach/],
  },
  {
    name: 'redis --port 6380 in command',
    yaml: pod(`name: cache\nimage: redis:7.2-alpine\ncommand: [redis-server, --port, "6380"]`),
    ports: ['6380/TCP certain'],
    because: /`--port 6380` in command\[1\]: redis listens on 6380 instead of 6379/,
    field: 'command[1]',
  },
  {
    name: 'redis --port in args (the entrypoint prepends redis-server)',
    yaml: pod(`name: cache\nimage: redis\nargs: ["--port", "6381", "--appendonly", "yes"]`),
    ports: ['6381/TCP certain'],
  },
  {
    name: 'redis with a config file is only likely on 6379',
    yaml: pod(`name: cache\nimage: redis\nargs: [redis-server, /usr/local/etc/redis/redis.conf]`),
    ports: ['6379/TCP likely'],
    complete: false,
    notes: [/redis.conf \(args\[1\]\) gives redis a config file portchain cannot read/],
  },
  {
    name: 'redis --port 0 turns TCP off',
    yaml: pod(`name: cache\nimage: redis\nargs: ["--port", "0", "--unixsocket", "/tmp/redis.sock"]`),
    ports: [],
    notes: [/turns off redis's port 6379/],
  },
  {
    name: 'a command that is not the image server drops its knowledge',
    yaml: pod(`name: cache\nimage: redis\ncommand: [sleep, "3600"]`),
    ports: [],
    image: 'redis',
    complete: false,
    notes: [/the command runs sleep, not redis's own server/],
  },
  {
    name: 'busybox httpd started from sh -c',
    yaml: pod(
      `name: box\nimage: busybox:1.36\ncommand: [sh, -c, "mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 8080 -h /www"]`,
    ),
    ports: ['8080/TCP likely'],
    field: 'command[2]',
  },
  {
    name: 'podinfo --port with $(PORT) from a ConfigMap',
    yaml: pod(
      `name: podinfo\nimage: ghcr.io/stefanprodan/podinfo:6.7.0\nenv: [{name: PORT, valueFrom: {configMapKeyRef: {name: app-config, key: PORT}}}]\ncommand: [./podinfo, "--port=$(PORT)", "--port-metrics=9797"]`,
      cm('app-config', { PORT: '3005' }),
    ),
    ports: ['3005/TCP certain', '9797/TCP certain'],
    because:
      /`--port=\$\(PORT\)` in command\[1\] \(PORT=3005 from ConfigMap app-config key PORT\): podinfo listens on 3005 instead of 9898/,
  },
  // ---- environment ----
  {
    name: 'grafana with GF_SERVER_HTTP_PORT from a ConfigMap',
    yaml: pod(
      `name: grafana\nimage: grafana/grafana:11.1.0\nenv: [{name: GF_SERVER_HTTP_PORT, valueFrom: {configMapKeyRef: {name: grafana-config, key: http_port}}}]`,
      cm('grafana-config', { http_port: '3100' }),
    ),
    ports: ['3100/TCP certain'],
    because:
      /GF_SERVER_HTTP_PORT=3100 from ConfigMap grafana-config key http_port: grafana listens on 3100 instead of 3000/,
    field: 'env[0].valueFrom',
    complete: true,
  },
  {
    name: 'grafana whose ConfigMap is not among the manifests',
    yaml: pod(
      `name: grafana\nimage: grafana/grafana\nenv: [{name: GF_SERVER_HTTP_PORT, valueFrom: {configMapKeyRef: {name: elsewhere, key: port}}}]`,
    ),
    ports: ['3000/TCP unknown'],
    complete: false,
    because: /GF_SERVER_HTTP_PORT comes from ConfigMap elsewhere key port, so the port is unknown/,
    notes: [/ConfigMap elsewhere is not among the manifests/],
  },
  {
    name: 'envFrom with a prefix builds GF_SERVER_HTTP_PORT',
    yaml: pod(
      `name: grafana\nimage: grafana/grafana-oss\nenvFrom: [{prefix: GF_SERVER_, configMapRef: {name: server-settings}}]`,
      cm('server-settings', { HTTP_PORT: '3200', 'bad key': 'x' }),
    ),
    ports: ['3200/TCP certain'],
    because:
      /GF_SERVER_HTTP_PORT=3200 from ConfigMap server-settings key HTTP_PORT with prefix GF_SERVER_ \(envFrom\[0\]\)/,
    field: 'envFrom[0].configMapRef',
  },
  {
    name: 'an envFrom we cannot see makes the default only likely',
    yaml: pod(`name: grafana\nimage: grafana/grafana\nenvFrom: [{configMapRef: {name: unseen}}]`),
    ports: ['3000/TCP likely'],
    complete: false,
    notes: [/envFrom\[0\] imports ConfigMap unseen/, /may set variables grafana reads/],
  },
  {
    name: 'unknown image with PORT=3005 from a ConfigMap',
    yaml: pod(
      `name: api\nimage: ghcr.io/acme/shop-api:2.1.0\nenv: [{name: PORT, valueFrom: {configMapKeyRef: {name: app-config, key: PORT}}}]\nports: [{containerPort: 8080}]`,
      cm('app-config', { PORT: '3005' }),
    ),
    ports: ['3005/TCP likely'],
    image: null,
    complete: false,
    because: /^PORT=3005 from ConfigMap app-config key PORT; many servers listen on PORT/,
    field: 'env[0].valueFrom',
    notes: [/is not a known image/],
  },
  {
    name: 'unknown image with PORT from envFrom',
    yaml: pod(
      `name: api\nimage: acme/api\nenvFrom: [{configMapRef: {name: app-config}}]`,
      cm('app-config', { PORT: '4100' }),
    ),
    ports: ['4100/TCP likely'],
    because: /PORT=4100 from ConfigMap app-config key PORT \(envFrom\[0\]\)/,
  },
  {
    name: 'missing ConfigMap key: unknown, and the kubelet refuses to start',
    yaml: pod(
      `name: api\nimage: acme/api\nenv: [{name: PORT, valueFrom: {configMapKeyRef: {name: app-config, key: PORT}}}]`,
      cm('app-config', { LOG_LEVEL: 'debug' }),
    ),
    ports: [],
    complete: false,
    notes: [
      /ConfigMap app-config has no key PORT: the kubelet refuses to start the container/,
      /PORT comes from ConfigMap app-config key PORT, whose value is unknown/,
    ],
  },
  {
    name: 'an optional missing key leaves the variable unset',
    yaml: pod(
      `name: echo\nimage: mccutchen/go-httpbin\nenv: [{name: PORT, valueFrom: {configMapKeyRef: {name: app-config, key: PORT, optional: true}}}]`,
      cm('app-config', {}),
    ),
    ports: ['8080/TCP certain'],
    notes: [/has no such key \(optional\): the variable is not set/],
  },
  {
    name: '$(PORT) in args expands from the env (unknown image)',
    yaml: pod(`name: api\nimage: acme/api\nenv: [{name: PORT, value: "8081"}]\nargs: ["--port=$(PORT)"]`),
    ports: ['8081/TCP likely'],
    because:
      /`--port=\$\(PORT\)` in args\[0\] \(PORT=8081 from env\[0\]\.value\) suggests the process listens on 8081/,
    field: 'args[0]',
  },
  {
    name: '$(VAR) that is not defined is passed on literally',
    yaml: pod(`name: who\nimage: traefik/whoami\nargs: ["--port=$(LISTEN_ON)"]`),
    ports: ['80/TCP unknown'],
    notes: [/\$\(LISTEN_ON\) is not defined in the container's env, so the kubelet passes it on literally/],
  },
  {
    name: '$(FOO_SERVICE_PORT) may be a Service link variable: unknown, not literal',
    yaml: pod(`name: who\nimage: traefik/whoami\nargs: ["--port=$(BACKEND_SERVICE_PORT)"]`),
    ports: ['80/TCP unknown'],
    because: /BACKEND_SERVICE_PORT comes from a Service link variable the kubelet may add/,
  },
  {
    name: '$$(PORT) is an escaped literal, not an expansion',
    yaml: pod(`name: api\nimage: acme/api\nenv: [{name: PORT, value: "9000"}]\nargs: ["--port=$$(PORT)"]`),
    ports: ['9000/TCP likely'],
    notes: [
      /`--port=\$\$\(PORT\)` in args\[0\] sets a port that cannot be read: `\$\(PORT\)` is not a port number/,
    ],
  },
  {
    name: 'env values expand earlier variables, here from a Secret',
    yaml: pod(
      `name: api\nimage: acme/api\nenv:\n- {name: BASE, valueFrom: {secretKeyRef: {name: creds, key: port}}}\n- {name: PORT, value: "$(BASE)"}`,
      `apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: shop}\ndata: {port: NDAwMA==}`,
    ),
    ports: ['4000/TCP likely'],
    because: /PORT=4000 from env\[1\]\.value, expanding \$\(BASE\): BASE=4000 from Secret creds key port/,
  },
  {
    name: 'Secret stringData wins over data',
    yaml: pod(
      `name: bin\nimage: mccutchen/go-httpbin:v2.15\nenv: [{name: PORT, valueFrom: {secretKeyRef: {name: s, key: PORT}}}]`,
      `apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: shop}\ndata: {PORT: ODA4MQ==}\nstringData: {PORT: "8082"}`,
    ),
    ports: ['8082/TCP certain'],
    because: /PORT=8082 from Secret s key PORT \(go-httpbin listens on PORT\)/,
  },
  {
    name: 'ConfigMaps of another namespace are not used',
    yaml: pod(
      `name: grafana\nimage: grafana/grafana\nenv: [{name: GF_SERVER_HTTP_PORT, valueFrom: {configMapKeyRef: {name: g, key: p}}}]`,
      cm('g', { p: '3300' }, 'other'),
    ),
    ports: ['3000/TCP unknown'],
  },
  {
    name: 'postgres PGPORT',
    yaml: pod(
      `name: db\nimage: postgres:16\nenv: [{name: PGPORT, value: "5433"}, {name: POSTGRES_PASSWORD, value: x}]`,
    ),
    ports: ['5433/TCP certain'],
    because: /PGPORT=5433 from env\[0\]\.value: postgres listens on 5433 instead of 5432/,
  },
  {
    name: 'postgres -c port= beats PGPORT',
    yaml: pod(
      `name: db\nimage: postgres\nenv: [{name: PGPORT, value: "5433"}]\nargs: [-c, port=5434, -c, max_connections=200]`,
    ),
    ports: ['5434/TCP certain'],
    field: 'args[0]',
  },
  {
    name: 'whoami: --port beats WHOAMI_PORT_NUMBER',
    yaml: pod(
      `name: who\nimage: traefik/whoami:v1.10\nenv: [{name: WHOAMI_PORT_NUMBER, value: "9000"}]\nargs: [--port, "9001"]`,
    ),
    ports: ['9001/TCP certain'],
  },
  {
    name: 'jenkins reads --httpPort from JENKINS_OPTS',
    yaml: pod(
      `name: ci\nimage: jenkins/jenkins:lts-jdk17\nenv: [{name: JENKINS_OPTS, value: "--httpPort=8081 --prefix=/jenkins"}]`,
    ),
    ports: ['8081/TCP certain', '50000/TCP certain'],
    because:
      /JENKINS_OPTS \(--httpPort=8081 --prefix=\/jenkins from env\[0\]\.value\) passes `--httpPort=8081` to jenkins/,
  },
  {
    name: 'mysql MYSQL_TCP_PORT moves 3306, not the X protocol port',
    yaml: pod(`name: db\nimage: mysql:8.4\nenv: [{name: MYSQL_TCP_PORT, value: "3307"}]`),
    ports: ['3307/TCP certain', '33060/TCP certain'],
  },
  {
    name: 'elasticsearch settings as variables',
    yaml: pod(
      `name: es\nimage: docker.elastic.co/elasticsearch/elasticsearch:8.14.0\nenv: [{name: http.port, value: "9201"}]`,
    ),
    ports: ['9201/TCP certain', '9300/TCP certain'],
  },
  {
    name: 'bitnami kafka listeners replace every default',
    yaml: pod(
      `name: kafka\nimage: bitnami/kafka:3.7\nenv: [{name: KAFKA_CFG_LISTENERS, value: "PLAINTEXT://:9092,CONTROLLER://:9093,EXTERNAL://:9094"}]`,
    ),
    ports: ['9092/TCP certain', '9093/TCP certain', '9094/TCP certain'],
  },
  {
    name: 'minio console port is only likely until --console-address names it',
    yaml: pod(`name: s3\nimage: quay.io/minio/minio\nargs: [server, /data]`),
    ports: ['9000/TCP certain', '9001/TCP likely'],
  },
  {
    name: 'minio --console-address :9001',
    yaml: pod(
      `name: s3\nimage: minio/minio:RELEASE.2024-06-13T22-53-53Z\nargs: [server, /data, --console-address, ":9001"]`,
    ),
    ports: ['9000/TCP certain', '9001/TCP certain'],
  },
  {
    name: 'etcd defaults bind localhost',
    yaml: pod(`name: etcd\nimage: registry.k8s.io/etcd:3.5.12-0\ncommand: [etcd, --name, "etcd-0"]`),
    ports: ['2379/TCP certain', '2380/TCP certain'],
    host: 'localhost',
    notes: [/etcd binds localhost:2379, which only the pod itself can reach/],
  },
  {
    name: 'etcd --listen-client-urls on every interface',
    yaml: pod(
      `name: etcd\nimage: quay.io/coreos/etcd:v3.5.14\ncommand: [etcd, "--listen-client-urls=http://0.0.0.0:2379,http://0.0.0.0:4001", "--listen-peer-urls=http://0.0.0.0:2380"]`,
    ),
    ports: ['2379/TCP certain', '4001/TCP certain', '2380/TCP certain'],
    host: null,
  },
  // ---- DNS and multi-port images ----
  {
    name: 'coredns in Kubernetes: 53 UDP+TCP and the Corefile ports',
    yaml: pod(
      `name: coredns\nimage: registry.k8s.io/coredns/coredns:v1.11.1\nargs: [-conf, /etc/coredns/Corefile]`,
    ),
    ports: ['53/UDP likely', '53/TCP likely', '9153/TCP likely', '8080/TCP likely', '8181/TCP likely'],
    image: 'coredns',
    complete: false,
  },
  {
    name: 'coredns without a Corefile: 53 UDP+TCP only',
    yaml: pod(`name: coredns\nimage: coredns/coredns:1.11.1`),
    ports: ['53/UDP certain', '53/TCP certain'],
    complete: true,
  },
  {
    name: 'coredns -dns.port moves both protocols',
    yaml: pod(`name: coredns\nimage: coredns/coredns\nargs: [-dns.port=1053]`),
    ports: ['1053/UDP certain', '1053/TCP certain'],
  },
  {
    name: 'rabbitmq management tag adds 15672',
    yaml: pod(`name: mq\nimage: rabbitmq:3.13-management-alpine`),
    ports: [
      '5672/TCP certain',
      '25672/TCP certain',
      '4369/TCP certain',
      '15692/TCP likely',
      '15672/TCP certain',
    ],
  },
  {
    name: 'rabbitmq plain tag has no management UI',
    yaml: pod(`name: mq\nimage: rabbitmq:3.13`),
    ports: ['5672/TCP certain', '25672/TCP certain', '4369/TCP certain', '15692/TCP likely'],
  },
  {
    name: 'argocd repo-server named in args',
    yaml: pod(
      `name: repo\nimage: quay.io/argoproj/argocd:v2.11.3\nargs: [/usr/local/bin/argocd-repo-server, --port=8081]`,
    ),
    ports: ['8081/TCP certain', '8084/TCP certain'],
    complete: true,
  },
  {
    name: 'traefik entry points replace the default',
    yaml: pod(
      `name: traefik\nimage: traefik:v3.0\nargs: ["--entryPoints.web.address=:8000/tcp", "--entryPoints.dns.address=:5353/udp"]`,
    ),
    ports: ['8000/TCP certain', '5353/UDP certain'],
  },
  // ---- base images and programs ----
  {
    name: 'busybox: nothing known',
    yaml: pod(`name: box\nimage: busybox\nports: [{containerPort: 8080}]`),
    ports: [],
    image: 'busybox',
    complete: false,
    notes: [/busybox: CMD \["sh"\]/, /containerPort alone does not make it listen/],
  },
  {
    name: 'pause binds nothing, and that is all',
    yaml: pod(`name: pause\nimage: registry.k8s.io/pause:3.9`),
    ports: [],
    complete: true,
  },
  {
    name: 'python -m http.server 9000',
    yaml: pod(
      `name: py\nimage: python:3.12-slim\ncommand: [python3, -m, http.server, "9000", --directory, /srv]`,
    ),
    ports: ['9000/TCP certain'],
    image: 'python',
    because: /the port argument 9000 in command\[3\]: python -m http.server listens on 9000 instead of 8000/,
  },
  {
    name: 'gunicorn binds 127.0.0.1 by default',
    yaml: pod(`name: app\nimage: acme/flaskapp\ncommand: [gunicorn, app:app]`),
    ports: ['8000/TCP likely'],
    host: '127.0.0.1',
    notes: [/gunicorn binds 127\.0\.0\.1:8000/],
  },
  {
    name: 'gunicorn with PORT binds every interface',
    yaml: pod(
      `name: app\nimage: acme/flaskapp\ncommand: [gunicorn, app:app]\nenv: [{name: PORT, value: "8080"}]`,
    ),
    ports: ['8080/TCP certain'],
    host: null,
  },
  {
    name: 'node with a script that exports PORT',
    yaml: pod(
      `name: web\nimage: node:20-alpine\ncommand: [sh, -c]\nargs: ["export PORT=9000; npm ci && exec node server.js"]`,
    ),
    ports: ['9000/TCP likely'],
    image: 'node',
    because: /PORT=9000 from the script in args\[0\]/,
  },
  {
    name: 'extra knowledge is consulted first',
    yaml: pod(`name: api\nimage: registry.acme.io/api:3\nenv: [{name: API_PORT, value: "7001"}]`),
    extra: [acmeKnowledge],
    ports: ['7001/TCP certain'],
    image: 'acme-api',
  },
  {
    name: 'a Deployment template works the same',
    yaml: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: shop}
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
      containers:
      - name: sidecar
        image: busybox
      - name: app
        image: gcr.io/google-samples/hello-app:2.0
        env: [{name: PORT, value: "8085"}]
`,
    container: 'app',
    ports: ['8085/TCP certain'],
    image: 'hello-app',
  },
];

describe('inferListening', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = infer(c.yaml, { container: c.container, extra: c.extra });
    expect(summary(r)).toEqual([...c.ports].sort());
    if (c.image !== undefined) expect(r.image?.id ?? null).toBe(c.image);
    if (c.complete !== undefined) expect(r.complete).toBe(c.complete);
    const first = c.ports[0]
      ? r.ports.find((p) => `${p.port}/${p.protocol}` === c.ports[0]?.split(' ')[0])
      : undefined;
    if (c.because) expect(first?.because).toMatch(c.because);
    if (c.field) expect(first?.field?.toString()).toBe(c.field);
    if (c.host !== undefined) expect(first?.host ?? null).toBe(c.host);
    for (const n of c.notes ?? [])
      expect(
        r.notes.some((x) => n.test(x)),
        `${n} in ${JSON.stringify(r.notes)}`,
      ).toBe(true);
    for (const p of r.ports) expect(p.because).not.toBe('');
  });
});

describe('image names', () => {
  it.each([
    ['nginx', 'nginx', 'nginx', undefined, undefined],
    ['nginx:1.27', 'nginx', 'nginx', '1.27', undefined],
    ['docker.io/library/nginx:1.27', 'nginx', 'nginx', '1.27', undefined],
    ['index.docker.io/library/nginx', 'nginx', 'nginx', undefined, undefined],
    ['library/nginx@sha256:0123abcd', 'nginx', 'nginx', undefined, 'sha256:0123abcd'],
    ['nginx:1.27-alpine@sha256:0123abcd', 'nginx', 'nginx', '1.27-alpine', 'sha256:0123abcd'],
    ['docker.io/bitnami/nginx:1.25.4', 'bitnami/nginx', 'bitnami-nginx', '1.25.4', undefined],
    ['prom/node-exporter:v1.8.1', 'prom/node-exporter', 'node-exporter', 'v1.8.1', undefined],
    [
      'quay.io/prometheus/node-exporter:v1.8.1',
      'quay.io/prometheus/node-exporter',
      'node-exporter',
      'v1.8.1',
      undefined,
    ],
    [
      'registry.k8s.io/coredns/coredns:v1.11.1',
      'registry.k8s.io/coredns/coredns',
      'coredns',
      'v1.11.1',
      undefined,
    ],
    ['localhost:5000/redis:7', 'localhost:5000/redis', 'redis', '7', undefined],
    ['Ghcr.io/StefanProdan/Podinfo:6.7.0', 'ghcr.io/stefanprodan/podinfo', 'podinfo', '6.7.0', undefined],
  ])('%s → %s (%s)', (image, name, id, tag, digest) => {
    const n = normaliseImage(image);
    expect(n.name).toBe(name);
    expect(n.tag).toBe(tag);
    expect(n.digest).toBe(digest);
    expect(findImageKnowledge(image)?.knowledge.id).toBe(id);
  });

  it('matches mirrors by repository path, less surely', () => {
    const m = findImageKnowledge('public.ecr.aws/docker/library/nginx:1.27');
    expect(m).toMatchObject({ exact: false, knowledge: { id: 'nginx' } });
    const r = infer(pod(`name: web\nimage: public.ecr.aws/docker/library/nginx:1.27`));
    expect(summary(r)).toEqual(['80/TCP likely']);
    expect(r.notes.join('\n')).toMatch(/by its repository path only/);
  });

  it('does not take a private image for a public one', () => {
    expect(findImageKnowledge('ghcr.io/acme/nginx:1')).toBeUndefined();
    expect(findImageKnowledge('acme/redis')).toBeUndefined();
  });
});

describe('resolveEnv', () => {
  it('builds the environment like the kubelet: envFrom, then env, $(VAR) expanded in order', () => {
    const { manifests, container } = load(
      pod(
        `name: app\nimage: acme/api\nenvFrom:\n- {configMapRef: {name: base}}\n- {prefix: DB_, secretRef: {name: db}}\nenv:\n- {name: HOST, value: "0.0.0.0"}\n- {name: LISTEN, value: "$(HOST):$(PORT)"}\n- {name: LATER, value: "$(NEXT)"}\n- {name: NEXT, value: "x"}\n- {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}\n- {name: PORT, value: "9090"}`,
        `${cm('base', { PORT: '8080', MODE: 'prod' })}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\nstringData: {PASSWORD: hunter2}`,
      ),
    );
    const [c, ns] = container();
    const env = resolveEnv(c, configLookupFor(ns, manifests));
    expect(env.get('MODE')).toMatchObject({ value: 'prod', from: 'ConfigMap base key MODE (envFrom[0])' });
    expect(env.get('DB_PASSWORD')?.value).toBe('hunter2');
    expect(env.get('LISTEN')?.value).toBe('0.0.0.0:8080'); // PORT from envFrom; env's PORT comes later
    expect(env.get('LATER')?.value).toBe('$(NEXT)'); // not yet defined: kept literally
    expect(env.get('PORT')).toMatchObject({ value: '9090', from: 'env[5].value' });
    expect(env.get('PORT')?.field.toString()).toBe('env[5].value');
    expect(env.get('POD_IP')?.from).toBe('fieldRef status.podIP');
    expect(env.get('POD_IP')?.value).toBeUndefined();
    expect(env.get('POD_IP')?.field.toString()).toBe('env[4].valueFrom');
  });
});

describe('confidence vocabulary', () => {
  it('uses only the three levels', () => {
    const levels = new Set<Confidence>(['certain', 'likely', 'unknown']);
    for (const c of cases) {
      const r = infer(c.yaml, { container: c.container, extra: c.extra });
      for (const p of r.ports) expect(levels.has(p.confidence)).toBe(true);
    }
  });
});
