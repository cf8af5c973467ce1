/**
 * The trace engine on small manifests: NetworkPolicies (ingress and egress side, unknown peers), traffic
 * policies (internal and external Local, the load balancer health check), readiness and the terminating
 * fallback, headless and ExternalName Services, clusterIP targets, Ingress default and resource backends,
 * objects the API server rejects, loopback binds, and how findings attach to links.
 */
import { describe, expect, it } from 'vitest';
import { type CheckOptions, check } from '../src/check.js';
import type { Finding } from '../src/model/finding.js';
import type { TraceResult } from '../src/trace/model.js';
import { parseSource, parseTarget, TargetError } from '../src/trace/target.js';
import { type TraceInput, traceRequest } from '../src/trace/trace.js';

interface Opts {
  from?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  ingressClass?: string;
  check?: CheckOptions;
  namespace?: string;
}

function trace(yaml: string, target: string, o: Opts = {}): TraceResult {
  const r = check([{ name: 'test.yaml', text: yaml }], o.check ?? {});
  const input: TraceInput = {
    target: parseTarget(target),
    protocol: o.protocol ?? 'TCP',
    from: o.from ? parseSource(o.from) : null,
    ingressClass: o.ingressClass ?? null,
    defaultNamespace: o.namespace ?? 'default',
  };
  return traceRequest(r.graph, r.findings, input);
}

const hop = (t: TraceResult, kind: string) => t.hops.find((h) => h.kind === kind);
const broken = (t: TraceResult) => (t.brokenAt ? t.hops[t.brokenAt.hop] : undefined);

/** nginx-unprivileged listens on 8080 (image knowledge); Service web 80 -> 8080. */
const WEB = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginxinc/nginx-unprivileged:1.27-alpine
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`;

const CLIENT = `
---
apiVersion: v1
kind: Pod
metadata: {name: client, labels: {app: client}}
spec:
  containers: [{name: c, image: busybox}]
`;

describe('trace: a sound Service', () => {
  it('follows svc -> port -> endpoints -> container -> process, and is delivered', () => {
    const t = trace(WEB, 'svc/web:80');
    expect(t.verdict).toBe('delivered');
    expect(t.brokenAt).toBeNull();
    expect(t.backend).toBeNull();
    expect(t.hops.map((h) => h.kind)).toEqual([
      'client',
      'address',
      'service-port',
      'backend',
      'endpoint',
      'endpoint',
      'container',
      'process',
    ]);
    expect(t.hops.every((h) => h.status === 'ok')).toBe(true);
    expect(t.endpoints).toHaveLength(2);
    expect(t.endpoints.every((e) => e.port === 8080 && e.ready)).toBe(true);
    expect(hop(t, 'process')?.summary).toMatch(/listens on 8080\/TCP \(certain\)/);
    expect(hop(t, 'container')?.field).toBe('spec.template.spec.containers[0].ports[0]');
    expect(t.request).toMatchObject({ target: 'svc/web:80', kind: 'service', protocol: 'TCP' });
    expect(t.request.from).toMatch(/a pod of namespace default/);
  });

  it('takes the only port when none is named, and a port by name', () => {
    expect(trace(WEB, 'svc/web').verdict).toBe('delivered');
    expect(trace(WEB, 'svc/web.default:http').verdict).toBe('delivered');
    expect(trace(WEB, 'web.default.svc:80').verdict).toBe('delivered');
  });

  it('dialing the targetPort: the Service has no such port, kube-proxy has no rule', () => {
    const t = trace(WEB, 'svc/web:8080');
    expect(t.verdict).toBe('not-routed');
    expect(broken(t)?.summary).toBe(
      'Service default/web has no port 8080: 8080 is the targetPort of Service port http 80/TCP (targetPort http resolves to 8080); clients dial the Service port, kube-proxy translates it',
    );
  });

  it('an external client cannot reach a clusterIP', () => {
    const t = trace(WEB, 'svc/web:80', { from: 'external' });
    expect(t.verdict).toBe('not-routed');
    expect(t.brokenAt?.kind).toBe('client');
  });

  it('a Service that is not there: DNS does not resolve, with a hint at another namespace', () => {
    const t = trace(WEB, 'svc/web.prod:80');
    expect(t.verdict).toBe('not-routed');
    expect(broken(t)?.details).toEqual(['a Service web exists in namespace default (-n or NAME.NAMESPACE)']);
  });

  it('several ports and none named is a usage error', () => {
    const two = `${WEB.replace('ports: [{name: http, port: 80, targetPort: http}]', 'ports: [{name: http, port: 80, targetPort: http}, {name: admin, port: 81, targetPort: 9000}]')}`;
    expect(() => trace(two, 'svc/web')).toThrow(TargetError);
    expect(() => trace(two, 'svc/web')).toThrow(/has 2 ports \(http 80\/TCP, admin 81\/TCP\); name one/);
  });
});

describe('trace: the process', () => {
  it('a process bound to 127.0.0.1 refuses connections to the pod IP', () => {
    const yaml = `
apiVersion: v1
kind: Pod
metadata: {name: prom, labels: {app: prom}}
spec:
  containers:
  - name: prom
    image: prom/prometheus
    args: ["--web.listen-address=127.0.0.1:9090"]
---
apiVersion: v1
kind: Service
metadata: {name: prom}
spec:
  selector: {app: prom}
  ports: [{port: 9090}]
`;
    const t = trace(yaml, 'svc/prom:9090');
    expect(t.verdict).toBe('refused');
    expect(broken(t)?.kind).toBe('process');
    expect(broken(t)?.summary).toMatch(/binds 127\.0\.0\.1:9090\/TCP only/);
    expect(t.brokenAt?.field).toBe('spec.containers[0].args[0]');
  });

  it('an image portchain does not know: the last hop is unknown, the verdict stays delivered', () => {
    const yaml = WEB.replace('nginxinc/nginx-unprivileged:1.27-alpine', 'registry.example.com/team/app:1');
    const t = trace(yaml, 'svc/web:80');
    expect(t.verdict).toBe('delivered');
    expect(hop(t, 'process')?.status).toBe('unknown');
    expect(hop(t, 'container')?.status).toBe('ok');
  });
});

describe('trace: readiness', () => {
  const pods = (conditions: string, extra = '') => `
apiVersion: v1
kind: Pod
metadata: {name: web-0, labels: {app: web}${extra}}
spec: {nodeName: node-1, containers: [{name: c, image: nginxinc/nginx-unprivileged:1.27, ports: [{containerPort: 8080}]}]}
status: {phase: Running, podIP: 10.0.0.1, conditions: [${conditions}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
`;

  it('no ready endpoint: kube-proxy rejects (refused), the endpoint is shown not ready', () => {
    const t = trace(pods('{type: Ready, status: "False"}'), 'svc/web:80');
    expect(t.verdict).toBe('refused');
    expect(t.brokenAt?.kind).toBe('service-port');
    expect(t.endpoints).toEqual([
      {
        pod: 'web-0',
        ip: '10.0.0.1',
        port: 8080,
        ready: false,
        serving: false,
        terminating: false,
        node: 'node-1',
      },
    ]);
    expect(t.hops.find((h) => h.kind === 'endpoint')?.summary).toMatch(
      /not ready: kube-proxy sends it nothing/,
    );
  });

  it('only a terminating pod that still serves: kube-proxy falls back to it', () => {
    const t = trace(
      pods('{type: Ready, status: "True"}', ', deletionTimestamp: "2024-01-01T00:00:00Z"'),
      'svc/web:80',
    );
    expect(t.verdict).toBe('delivered');
    expect(t.hops.find((h) => h.kind === 'endpoint')?.summary).toMatch(/terminating but serving/);
  });

  it('through an Ingress, no ready endpoint is 503 at the Service port', () => {
    const ing = `${pods('{type: Ready, status: "False"}')}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: web.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
`;
    const t = trace(ing, 'http://web.example.com/');
    expect(t.verdict).toBe('503');
    expect(t.brokenAt?.kind).toBe('service-port');
    expect(t.backend).toEqual({
      service: { namespace: 'default', name: 'web' },
      port: { number: 80 },
      viaDefaultBackend: false,
    });
  });
});

describe('trace: NetworkPolicy', () => {
  const DENY = `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-deny}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
`;
  const ALLOW_CLIENT = `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-allow-client}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 8080}]
`;

  it('a pod isolated with no rule: dropped at the policy hop', () => {
    const t = trace(WEB + CLIENT + DENY, 'svc/web:80', { from: 'pod/client' });
    expect(t.verdict).toBe('dropped');
    expect(t.brokenAt?.kind).toBe('network-policy');
    expect(t.brokenAt?.object).toMatchObject({ kind: 'NetworkPolicy', name: 'web-deny' });
    expect(t.request.from).toBe('pod client in namespace default on node-1');
  });

  it('a rule admitting the client pod on the pod port: delivered', () => {
    const t = trace(WEB + CLIENT + DENY + ALLOW_CLIENT, 'svc/web:80', { from: 'pod/client' });
    expect(t.verdict).toBe('delivered');
    expect(hop(t, 'network-policy')?.summary).toMatch(/allowed by default\/web-allow-client/);
  });

  it('another pod is dropped by the same rule', () => {
    const other = CLIENT.replace('name: client, labels: {app: client}', 'name: other, labels: {app: other}');
    const t = trace(WEB + other + DENY + ALLOW_CLIENT, 'svc/web:80', { from: 'pod/other' });
    expect(t.verdict).toBe('dropped');
  });

  it('the default client (a pod of the namespace, labels unknown) under a podSelector rule: unknown', () => {
    const t = trace(WEB + DENY + ALLOW_CLIENT, 'svc/web:80');
    expect(t.verdict).toBe('unknown');
    expect(broken(t)?.status).toBe('unknown');
    expect(broken(t)?.details.at(-1)).toMatch(/--from pod\/NAME/);
  });

  it('the client pod by workload name, and its egress policy', () => {
    const egress = `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: client-egress}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
  - ports: [{port: 53, protocol: UDP}]
`;
    const t = trace(WEB + CLIENT + egress, 'svc/web:80', { from: 'pod/client.default' });
    expect(t.verdict).toBe('dropped');
    expect(broken(t)?.summary).toMatch(/egress of pod client/);
    expect(() => trace(WEB, 'svc/web:80', { from: 'pod/nobody' })).toThrow(
      /no pod or workload nobody in namespace default/,
    );
  });

  it('ipBlock rules: unknown without a client IP, decided with one', () => {
    const ip = `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: office}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 203.0.113.0/24}}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web-np}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: 8080, nodePort: 30080}]}
`;
    expect(trace(WEB + ip, 'node:30080').verdict).toBe('unknown');
    expect(trace(WEB + ip, 'node:30080', { from: 'external/203.0.113.9' }).verdict).toBe('delivered');
    expect(trace(WEB + ip, 'node:30080', { from: 'external/198.51.100.1' }).verdict).toBe('dropped');
  });

  it('Ingress traffic comes from the ingress controller namespace', () => {
    const ing = `
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: web, port: {name: http}}}
`;
    const fromController = `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-ingress}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]
`;
    const open = trace(WEB + ing + fromController, 'http://anything.example.com/x');
    expect(open.verdict).toBe('delivered');
    expect(open.backend).toEqual({
      service: { namespace: 'default', name: 'web' },
      port: { name: 'http' },
      viaDefaultBackend: true,
    });
    const elsewhere = trace(WEB + ing + fromController, 'http://anything.example.com/x', {
      check: { ingressNamespace: 'traefik' },
    });
    expect(elsewhere.verdict).toBe('dropped');
    expect(broken(elsewhere)?.summary).toMatch(/the ingress controller in namespace traefik/);
  });
});

describe('trace: traffic policies', () => {
  /** web-0 runs on node-a; the cluster has node-a and node-b. */
  const LOCAL = (svc: string) => `
apiVersion: v1
kind: Pod
metadata: {name: web-0, labels: {app: web}}
spec: {nodeName: node-a, containers: [{name: c, image: nginxinc/nginx-unprivileged:1.27}]}
status: {phase: Running, podIP: 10.0.0.1, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client-b, labels: {app: client}}
spec: {nodeName: node-b, containers: [{name: c, image: busybox}]}
status: {phase: Running, podIP: 10.0.1.1, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ${svc}}
`;
  const nodes = { check: { nodes: ['node-a', 'node-b'] } };

  it('externalTrafficPolicy Local on a nodePort: dropped on the node without a local endpoint', () => {
    const yaml = LOCAL(
      'type: NodePort, externalTrafficPolicy: Local, ports: [{port: 80, targetPort: 8080, nodePort: 30080}]',
    );
    const any = trace(yaml, 'node:30080', nodes);
    expect(any.verdict).toBe('dropped');
    expect(any.brokenAt?.kind).toBe('service-port');
    expect(any.brokenAt?.reason).toMatch(/no local endpoint on node-b/);
    expect(trace(yaml, 'node/node-a:30080', nodes).verdict).toBe('delivered');
    expect(trace(yaml, 'node/node-b:30080', nodes).verdict).toBe('dropped');
    // Pod-originated traffic to a nodePort is short-circuited to every endpoint.
    const fromPod = trace(yaml, 'node/node-b:30080', { ...nodes, from: 'pod/client-b' });
    expect(fromPod.verdict).toBe('delivered');
    expect(hop(fromPod, 'service-port')?.details).toContain(
      'externalTrafficPolicy Local does not apply to traffic from a pod: kube-proxy sends it to any endpoint',
    );
    expect(() => trace(yaml, 'node/node-c:30080', nodes)).toThrow(/no node node-c/);
  });

  it('externalTrafficPolicy Local behind a load balancer: the health check steers traffic to node-a', () => {
    const yaml = LOCAL(
      'type: LoadBalancer, externalTrafficPolicy: Local, ports: [{port: 80, targetPort: 8080}]',
    );
    const t = trace(yaml, 'lb/web:80', nodes);
    expect(t.verdict).toBe('delivered');
    expect(hop(t, 'service-port')?.details.join('\n')).toMatch(
      /health check \(healthCheckNodePort\) passes on node-a only/,
    );
  });

  it('internalTrafficPolicy Local: a client on another node is dropped', () => {
    const yaml = LOCAL('internalTrafficPolicy: Local, ports: [{port: 80, targetPort: 8080}]');
    expect(trace(yaml, 'svc/web:80', { ...nodes, from: 'pod/client-b' }).verdict).toBe('dropped');
    expect(trace(yaml, 'svc/web:80', { ...nodes, from: 'pod/web-0' }).verdict).toBe('delivered');
  });

  it('a load balancer needs type LoadBalancer; loadBalancerSourceRanges filter the client', () => {
    expect(trace(WEB, 'lb/web:80').verdict).toBe('not-routed');
    const yaml = LOCAL(
      'type: LoadBalancer, loadBalancerSourceRanges: [192.0.2.0/24], ports: [{port: 80, targetPort: 8080}]',
    );
    expect(trace(yaml, 'lb/web:80', { from: 'external/192.0.2.7' }).verdict).toBe('delivered');
    expect(trace(yaml, 'lb/web:80', { from: 'external/198.51.100.7' }).verdict).toBe('dropped');
  });
});

describe('trace: Services that are not routed, and addresses', () => {
  it('headless: DNS returns the pod IPs, not routed, endpoints listed', () => {
    const t = trace(
      WEB.replace('selector: {app: web}\n  ports', 'clusterIP: None\n  selector: {app: web}\n  ports'),
      'svc/web:80',
    );
    expect(t.verdict).toBe('not-routed');
    expect(t.brokenAt?.kind).toBe('address');
    expect(t.brokenAt?.reason).toBe('headless Service: DNS returns the pod IPs 10.244.0.1, 10.244.0.2');
    expect(broken(t)?.details).toEqual([
      'no translation: a client dialing 80 reaches pod port 80, not the targetPort http',
    ]);
    expect(t.endpoints.map((e) => e.ip)).toEqual(['10.244.0.1', '10.244.0.2']);
    expect(t.hops.some((h) => h.kind === 'process')).toBe(false);
  });

  it('headless over many pods: the line names ten IPs and how many more, the endpoints list them all', () => {
    const t = trace(
      WEB.replace('replicas: 2', 'replicas: 40').replace(
        'selector: {app: web}\n  ports',
        'clusterIP: None\n  selector: {app: web}\n  ports',
      ),
      'svc/web:80',
    );
    expect(t.brokenAt?.reason).toBe(
      `headless Service: DNS returns the pod IPs ${Array.from({ length: 10 }, (_, i) => `10.244.0.${i + 1}`).join(', ')} and 30 more`,
    );
    expect(hop(t, 'address')?.summary).toContain('10.244.0.10 and 30 more and the client dials them');
    expect(t.endpoints).toHaveLength(40);
  });

  it('ExternalName: DNS answers a CNAME', () => {
    const yaml = `
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {type: ExternalName, externalName: db.example.net}
`;
    const t = trace(yaml, 'svc/db:5432');
    expect(t.verdict).toBe('not-routed');
    expect(broken(t)?.summary).toMatch(/is a CNAME to db\.example\.net/);
    expect(t.endpoints).toEqual([]);
  });

  it('a clusterIP written in the manifest, and one that is not', () => {
    const yaml = WEB.replace(
      'selector: {app: web}\n  ports',
      'clusterIP: 10.96.0.10\n  selector: {app: web}\n  ports',
    );
    const t = trace(yaml, '10.96.0.10:80');
    expect(t.verdict).toBe('delivered');
    expect(hop(t, 'address')?.summary).toBe(
      '10.96.0.10 is the clusterIP of Service default/web (type ClusterIP)',
    );
    expect(trace(yaml, '10.96.0.11:80').verdict).toBe('not-routed');
  });

  it('a selectorless Service without Endpoints in partial input: unknown; with Endpoints: delivered', () => {
    const svc = `
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {ports: [{port: 5432}]}
`;
    const t = trace(svc, 'svc/ext:5432');
    expect(t.verdict).toBe('unknown');
    expect(t.brokenAt?.reason).toMatch(/managed elsewhere/);
    const withEndpoints = `${svc}---
apiVersion: v1
kind: Endpoints
metadata: {name: ext}
subsets: [{addresses: [{ip: 192.0.2.10}], ports: [{port: 5432}]}]
`;
    const d = trace(withEndpoints, 'svc/ext:5432');
    expect(d.verdict).toBe('delivered');
    expect(d.endpoints).toEqual([
      { pod: null, ip: '192.0.2.10', port: 5432, ready: true, serving: true, terminating: false, node: null },
    ]);
  });
});

describe('trace: objects the API server rejects', () => {
  it('a Deployment that is rejected has no pods: its endpoints do not count', () => {
    const yaml = WEB.replace(
      'ports: [{name: http, containerPort: 8080}]',
      'ports: [{name: http_web, containerPort: 8080}]',
    ).replace('targetPort: http}', 'targetPort: 8080}');
    const t = trace(yaml, 'svc/web:80');
    expect(t.verdict).toBe('refused');
    const backend = hop(t, 'backend');
    expect(backend?.status).toBe('broken');
    expect(backend?.findings.map((f) => f.rule)).toContain('api-validation');
    expect(t.hops.find((h) => h.kind === 'endpoint')?.summary).toMatch(
      /rejects Deployment default\/web, so it does not exist/,
    );
  });

  it('an Ingress backend naming a rejected Service: 503, with the rejection on the backend link', () => {
    const yaml = `${WEB.replace('targetPort: http}', 'targetPort: http_x}')}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
`;
    const t = trace(yaml, 'http://_/');
    expect(t.verdict).toBe('503');
    expect(t.brokenAt).toMatchObject({
      kind: 'ingress-backend',
      field: 'spec.rules[0].http.paths[0].backend.service.name',
    });
    expect(broken(t)?.findings.map((f) => f.rule)).toContain('api-validation');
    expect(t.request.url).toEqual({ scheme: 'http', host: '', path: '/' });
  });
});

describe('trace: Ingress', () => {
  const ING = `${WEB}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /cart, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /cart/checkout, pathType: Exact, backend: {service: {name: web, port: {name: http}}}}
  - host: "*.example.com"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`;

  it('says which rule matched, and what else was considered and why it lost', () => {
    const t = trace(ING, 'http://shop.example.com/cart/items?x=1');
    expect(t.verdict).toBe('delivered');
    const ingress = hop(t, 'ingress');
    expect(ingress?.summary).toBe(
      'Ingress default/shop spec.rules[0].http.paths[0]: host shop.example.com, Prefix /cart matches /cart/items',
    );
    expect(ingress?.details).toContain(
      'not Ingress default/shop spec.rules[0].http.paths[1] (shop.example.com Exact /cart/checkout): Exact /cart/checkout does not match /cart/items',
    );
    expect(
      ingress?.details.some((d) => d.includes('*.example.com') && d.includes('claimed the request')),
    ).toBe(true);
  });

  it('an exact host claims the request: an unmatched path is 404, not the wildcard rule', () => {
    const t = trace(ING, 'http://shop.example.com/about');
    expect(t.verdict).toBe('404');
    expect(t.backend).toBeNull();
    expect(broken(t)?.details[0]).toMatch(/host shop\.example\.com claims the request/);
    expect(trace(ING, 'http://blog.example.com/about').verdict).toBe('delivered');
  });

  it('--ingress-class: Ingresses of another class are not served', () => {
    const t = trace(ING, 'http://shop.example.com/cart', { ingressClass: 'traefik' });
    expect(t.verdict).toBe('404');
    expect(t.request.ingressClass).toBe('traefik');
    expect(broken(t)?.summary).toMatch(/no Ingress of class traefik in the input/);
    expect(trace(ING, 'http://shop.example.com/cart', { ingressClass: 'nginx' }).verdict).toBe('delivered');
  });

  it('a resource backend: ingress-nginx ignores it, 404, and the backend names the resource', () => {
    const yaml = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: static}
spec:
  rules:
  - http: {paths: [{path: /, pathType: Prefix, backend: {resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: assets}}}]}
`;
    const t = trace(yaml, 'http://_/logo.png');
    expect(t.verdict).toBe('404');
    expect(t.backend).toEqual({
      service: null,
      port: null,
      viaDefaultBackend: false,
      resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'assets' },
    });
    expect(t.brokenAt?.kind).toBe('ingress-backend');
  });

  it('a URL over UDP is a usage error', () => {
    expect(() => trace(ING, 'http://shop.example.com/', { protocol: 'UDP' })).toThrow(TargetError);
  });
});

describe('trace: findings attach to the link they belong to', () => {
  it('by object and the longest field prefix; other objects and ports are left out', () => {
    const r = check([{ name: 'test.yaml', text: WEB }]);
    const svc = r.graph.ofKind('Service')[0]?.ref;
    const dep = r.graph.ofKind('Deployment')[0]?.ref;
    const f = (object: Finding['object'], field: string | null, rule: string): Finding => ({
      rule,
      severity: 'warning',
      message: rule,
      object,
      field,
      location: null,
    });
    const findings = [
      f(svc ?? null, 'spec.ports[0].targetPort', 'on-target-port'),
      f(svc ?? null, 'spec.ports[0].name', 'on-port'),
      f(svc ?? null, 'spec.ports[1]', 'on-other-port'),
      f(svc ?? null, null, 'on-service'),
      f(dep ?? null, 'spec.template.spec.containers[0].ports[0].containerPort', 'on-container-port'),
      f(dep ?? null, 'spec.template.spec.containers[0].image', 'on-image'),
      f(dep ?? null, 'spec.replicas', 'on-replicas'),
      f({ apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'other' }, null, 'elsewhere'),
    ];
    const t = traceRequest(r.graph, findings, {
      target: parseTarget('svc/web:80'),
      protocol: 'TCP',
      from: null,
      ingressClass: null,
      defaultNamespace: 'default',
    });
    const rules = (kind: string) =>
      t.hops.filter((h) => h.kind === kind).flatMap((h) => h.findings.map((x) => x.rule));
    expect(rules('address')).toEqual(['on-service']);
    expect(rules('service-port')).toEqual(['on-port']);
    expect(rules('backend')).toEqual(['on-replicas']);
    expect(rules('container')).toEqual(['on-container-port']);
    // The targetPort decides which pod port is reached: it belongs with the process.
    expect(rules('process')).toEqual(['on-target-port', 'on-image']);
    expect(t.hops.flatMap((h) => h.findings).map((x) => x.rule)).not.toContain('elsewhere');
    expect(t.hops.flatMap((h) => h.findings).map((x) => x.rule)).not.toContain('on-other-port');
  });
});
