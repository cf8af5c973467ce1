/**
 * The topology of the data-plane benchmark, on the assigned loopback block: one pod process, the Services
 * that front it (ClusterIP + NodePort), the Ingress routes, and the same routes written for socat, haproxy
 * and nginx. Every peer gets its own pod port for the connection-rate test, so TIME_WAIT never overlaps.
 */
import type { ClusterPlan, PlanService } from '../../src/runtime/plan.js';

export const POD = '127.81.0.1';
export const NODE = '127.80.0.1';
export const PORTS = {
  source: 44010,
  http: 44011,
  pong: {
    clusterIP: 44012,
    nodePort: 44013,
    socat: 44014,
    haproxy: 44015,
    direct: 44016,
    copyRelay: 44017,
    spliceRelay: 44018,
    copyRelayBig: 44019,
  },
  bulk: { service: 44100, nodePort: 44101 },
  pongClusterIP: 44102,
  pongNodePort: { service: 44103, nodePort: 44104 },
  web: 44105,
  socat: { bulk: 44120, pong: 44121 },
  haproxy: { bulk: 44130, pong: 44131 },
  /** The C reference relays (bench/dataplane/relay.c). */
  copyRelay: { bulk: 44140, pong: 44141 },
  spliceRelay: { bulk: 44150, pong: 44151 },
  copyRelayBig: { bulk: 44160, pong: 44161 },
  ingress: 44200,
  nginx: 44210,
} as const;
export const CLUSTER_IP = {
  bulk: '127.82.0.1',
  pong: '127.82.0.2',
  pongNode: '127.82.0.3',
  web: '127.82.0.4',
  api: '127.82.0.5',
};
export const PEER_IP = {
  socat: '127.80.0.3',
  haproxy: '127.80.0.4',
  copyRelay: '127.80.0.7',
  spliceRelay: '127.80.0.8',
  copyRelayBig: '127.80.0.9',
  nginx: '127.80.0.5',
  nginx1: '127.80.0.6',
};
export const INGRESS_HOST = 'app.example.com';
export const INGRESS_PATH = '/api/items';

export const planService = (
  name: string,
  clusterIP: string,
  port: number,
  target: number,
  nodePort: number | null,
  pod = POD,
): PlanService => ({
  namespace: 'bench',
  name,
  type: nodePort === null ? 'ClusterIP' : 'NodePort',
  clusterIP,
  loadBalancerIP: null,
  externalName: null,
  sessionAffinity: 'None',
  affinityTimeoutSeconds: 10800,
  ports: [
    {
      name: '',
      protocol: 'TCP',
      port,
      listenPort: port,
      nodePort,
      endpoints: [{ pod: 'bench/pod', ip: pod, port: target, dialPort: target, ready: true }],
    },
  ],
});

export function benchPlan(pod = POD, node = NODE): ClusterPlan {
  const plan: ClusterPlan = {
    node,
    lowPortOffset: 0,
    pods: [],
    services: [
      planService('bulk', CLUSTER_IP.bulk, PORTS.bulk.service, PORTS.source, PORTS.bulk.nodePort),
      planService('pong', CLUSTER_IP.pong, PORTS.pongClusterIP, PORTS.pong.clusterIP, null),
      planService(
        'pong-node',
        CLUSTER_IP.pongNode,
        PORTS.pongNodePort.service,
        PORTS.pong.nodePort,
        PORTS.pongNodePort.nodePort,
      ),
      planService('web', CLUSTER_IP.web, PORTS.web, PORTS.http, null),
      planService('api', CLUSTER_IP.api, PORTS.web + 1, PORTS.http, null),
    ],
    notes: [],
  };
  return pod === POD
    ? plan
    : {
        ...plan,
        services: plan.services.map((s) => ({
          ...s,
          ports: s.ports.map((p) => ({ ...p, endpoints: p.endpoints.map((e) => ({ ...e, ip: pod })) })),
        })),
      };
}

/** The bench Ingress: /api to Service api's `apiPort`, the rest to Service web's `webPort`, on INGRESS_HOST. */
export const ingressYaml = (apiPort: number, webPort: number): string => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bench, namespace: bench}
spec:
  rules:
  - host: ${INGRESS_HOST}
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: ${apiPort}}}}}
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: ${webPort}}}}}
`;

/** The Ingress both controllers serve: two Services by host and path. */
export const INGRESS_YAML = ingressYaml(PORTS.web + 1, PORTS.web);

/** nginx as ingress-nginx configures it for those routes: upstream keep-alive, HTTP/1.1, Host kept. */
export function nginxConf(prefix: string, workers: number | 'auto', ip: string): string {
  const location = (path: string, upstream: string) => `    location ${path} {
      proxy_pass http://${upstream};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
    }`;
  return `worker_processes ${workers};
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  keepalive_requests 100000;
  upstream api { server ${POD}:${PORTS.http}; keepalive 320; keepalive_requests 100000; }
  upstream web { server ${POD}:${PORTS.http}; keepalive 320; keepalive_requests 100000; }
  server {
    listen ${ip}:${PORTS.nginx} default_server;
    return 404;
  }
  server {
    listen ${ip}:${PORTS.nginx};
    server_name ${INGRESS_HOST};
${location('/api', 'api')}
${location('/', 'web')}
  }
}
`;
}

/** haproxy in TCP mode, one frontend per test, as the kube-proxy routes (default threads). */
export function haproxyConf(): string {
  return `global
  maxconn 8000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend bulk
  bind ${PEER_IP.haproxy}:${PORTS.haproxy.bulk}
  default_backend bulk
backend bulk
  server pod ${POD}:${PORTS.source}
frontend pong
  bind ${PEER_IP.haproxy}:${PORTS.haproxy.pong}
  default_backend pong
backend pong
  server pod ${POD}:${PORTS.pong.haproxy}
`;
}
