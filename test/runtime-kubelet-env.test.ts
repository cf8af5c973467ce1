/**
 * The container environment as the kubelet builds it (makeEnvironmentVariables, envvars.FromServices,
 * ExpandContainerCommandAndArgs), from real manifests through check() and the plan.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { kubeletEnvFor, serviceEnv } from '../src/runtime/kubelet-env.js';
import { planCluster } from '../src/runtime/plan.js';

const addressBase = {
  pods: '127.51.0.0',
  services: '127.52.0.0',
  loadBalancers: '127.53.0.0',
  node: '127.50.0.1',
};

const MANIFESTS = `
apiVersion: v1
kind: ConfigMap
metadata: { name: app-config, namespace: shop }
data:
  PORT: "8080"
  GREETING: hello
  "bad key": skipped
  "1STARTS_WITH_DIGIT": skipped
---
apiVersion: v1
kind: Secret
metadata: { name: creds, namespace: shop }
data:
  password: czNjcjN0
stringData:
  user: admin
---
apiVersion: v1
kind: Service
metadata: { name: web-front, namespace: shop }
spec:
  selector: { app: web }
  ports:
    - { name: http, port: 80, targetPort: 8080 }
    - { name: metrics-port, port: 9100, protocol: TCP }
---
apiVersion: v1
kind: Service
metadata: { name: dns, namespace: shop }
spec:
  selector: { app: web }
  ports: [{ port: 53, protocol: UDP }]
---
apiVersion: v1
kind: Service
metadata: { name: headless, namespace: shop }
spec: { clusterIP: None, selector: { app: web }, ports: [{ port: 80 }] }
---
apiVersion: v1
kind: Service
metadata: { name: elsewhere, namespace: other }
spec: { selector: { app: x }, ports: [{ port: 80 }] }
---
apiVersion: v1
kind: Service
metadata: { name: kubernetes, namespace: default }
spec: { ports: [{ name: https, port: 443 }] }
---
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: shop
  uid: 0b5a6c1e-1111-4222-8333-444455556666
  labels: { app: web, tier: front }
  annotations: { owner: team-a }
spec:
  nodeName: node-1
  serviceAccountName: web-sa
  containers:
    - name: app
      image: example.com/app:1
      command: ["/bin/app", "--greet=$(GREETING)", "--cost=$$(GREETING)", "--missing=$(NOPE)", "$(WEB_FRONT_SERVICE_HOST)"]
      args: ["--port", "$(PORT)", "--half=$(GREETING"]
      envFrom:
        - configMapRef: { name: app-config }
        - secretRef: { name: creds }
          prefix: SECRET_
        - configMapRef: { name: absent, optional: true }
      env:
        - { name: URL, value: "http://$(WEB_FRONT_SERVICE_HOST):$(PORT)/$(UNDEFINED)" }
        - { name: POD_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
        - { name: POD_NS, valueFrom: { fieldRef: { fieldPath: metadata.namespace } } }
        - { name: POD_UID, valueFrom: { fieldRef: { fieldPath: metadata.uid } } }
        - { name: TIER, valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } }
        - { name: OWNER, valueFrom: { fieldRef: { fieldPath: "metadata.annotations['owner']" } } }
        - { name: NODE, valueFrom: { fieldRef: { fieldPath: spec.nodeName } } }
        - { name: SA, valueFrom: { fieldRef: { fieldPath: spec.serviceAccountName } } }
        - { name: MY_IP, valueFrom: { fieldRef: { fieldPath: status.podIP } } }
        - { name: MY_IPS, valueFrom: { fieldRef: { fieldPath: status.podIPs } } }
        - { name: HOST_IP, valueFrom: { fieldRef: { fieldPath: status.hostIP } } }
        - { name: CPU, valueFrom: { resourceFieldRef: { resource: limits.cpu } } }
        - { name: PASS, valueFrom: { secretKeyRef: { name: creds, key: password } } }
        - { name: OPT, valueFrom: { configMapKeyRef: { name: app-config, key: nope, optional: true } } }
        - { name: OPT2, valueFrom: { secretKeyRef: { name: absent, key: x, optional: true } } }
        - { name: WEB_FRONT_SERVICE_PORT, value: "mine" }
`;

function envOf(text: string, podName: string, container: string, lowPortOffset = 0) {
  const r = check([{ name: 'test.yaml', text }], {});
  const plan = planCluster(r.graph, r.findings, { addressBase, lowPortOffset });
  const pod = plan.pods.find((p) => p.name === podName);
  if (!pod) throw new Error(`no pod ${podName}`);
  const env = kubeletEnvFor(r.graph, plan, pod, container);
  if (!env) throw new Error(`no container ${container}`);
  return { env, plan, pod };
}

describe('kubelet environment', () => {
  const { env, plan, pod } = envOf(MANIFESTS, 'web-0', 'app');
  const web = plan.services.find((s) => s.name === 'web-front');
  const dns = plan.services.find((s) => s.name === 'dns');
  const kube = plan.services.find((s) => s.name === 'kubernetes');

  it('imports envFrom with prefixes, skipping invalid keys as the kubelet does', () => {
    expect(env.env.PORT).toBe('8080');
    expect(env.env.GREETING).toBe('hello');
    expect(env.env.SECRET_password).toBe('s3cr3t');
    expect(env.env.SECRET_user).toBe('admin');
    expect(env.env['bad key']).toBeUndefined();
    expect(env.env['1STARTS_WITH_DIGIT']).toBeUndefined();
    expect(env.notes.join('\n')).toContain('[1STARTS_WITH_DIGIT, bad key]');
    expect(env.errors).toEqual([]);
  });

  it('reads keys and the downward API', () => {
    expect(env.env.PASS).toBe('s3cr3t');
    expect('OPT' in env.env).toBe(false);
    expect('OPT2' in env.env).toBe(false);
    expect(env.env.POD_NAME).toBe('web-0');
    expect(env.env.POD_NS).toBe('shop');
    expect(env.env.POD_UID).toBe('0b5a6c1e-1111-4222-8333-444455556666');
    expect(env.env.TIER).toBe('front');
    expect(env.env.OWNER).toBe('team-a');
    expect(env.env.NODE).toBe('node-1');
    expect(env.env.SA).toBe('web-sa');
    expect(env.env.MY_IP).toBe(pod.ip);
    expect(env.env.MY_IPS).toBe(pod.ip);
    expect(env.env.HOST_IP).toBe('127.50.0.1');
    expect('CPU' in env.env).toBe(false);
    expect(env.notes.join('\n')).toContain('resourceFieldRef limits.cpu');
    expect(env.env.POD_IP).toBe(pod.ip);
    expect(env.env.HOSTNAME).toBe('web-0');
  });

  it('expands $(VAR) in values with the variables so far and the Service ones; unknown stays literal', () => {
    expect(env.env.URL).toBe(`http://${web?.clusterIP}:8080/$(UNDEFINED)`);
  });

  it('adds the Service variables of the namespace and default/kubernetes, never over the container’s own', () => {
    expect(web?.clusterIP).toMatch(/^127\.52\.0\.\d+$/);
    const ip = web?.clusterIP;
    expect(env.env.WEB_FRONT_SERVICE_HOST).toBe(ip);
    expect(env.env.WEB_FRONT_SERVICE_PORT).toBe('mine');
    expect(env.env.WEB_FRONT_SERVICE_PORT_HTTP).toBe('80');
    expect(env.env.WEB_FRONT_SERVICE_PORT_METRICS_PORT).toBe('9100');
    expect(env.env.WEB_FRONT_PORT).toBe(`tcp://${ip}:80`);
    expect(env.env.WEB_FRONT_PORT_80_TCP).toBe(`tcp://${ip}:80`);
    expect(env.env.WEB_FRONT_PORT_80_TCP_PROTO).toBe('tcp');
    expect(env.env.WEB_FRONT_PORT_80_TCP_PORT).toBe('80');
    expect(env.env.WEB_FRONT_PORT_80_TCP_ADDR).toBe(ip);
    expect(env.env.WEB_FRONT_PORT_9100_TCP).toBe(`tcp://${ip}:9100`);
    expect(env.env.DNS_SERVICE_HOST).toBe(dns?.clusterIP);
    expect(env.env.DNS_PORT).toBe(`udp://${dns?.clusterIP}:53`);
    expect(env.env.DNS_PORT_53_UDP_PROTO).toBe('udp');
    expect(env.env.KUBERNETES_SERVICE_HOST).toBe(kube?.clusterIP);
    expect(env.env.KUBERNETES_SERVICE_PORT_HTTPS).toBe('443');
    expect(Object.keys(env.env).some((k) => k.startsWith('HEADLESS_'))).toBe(false);
    expect(Object.keys(env.env).some((k) => k.startsWith('ELSEWHERE_'))).toBe(false);
  });

  it('expands command and args as ExpandContainerCommandAndArgs: $$ escapes, unknown and incomplete stay', () => {
    expect(env.command).toEqual([
      '/bin/app',
      '--greet=hello',
      '--cost=$(GREETING)',
      '--missing=$(NOPE)',
      web?.clusterIP,
    ]);
    expect(env.args).toEqual(['--port', '8080', '--half=$(GREETING']);
  });

  it('Service variables carry the port really listened on when low ports are offset', () => {
    const shifted = envOf(MANIFESTS, 'web-0', 'app', 41000).env;
    expect(shifted.env.WEB_FRONT_SERVICE_PORT_HTTP).toBe('41080');
    expect(shifted.env.WEB_FRONT_PORT_80_TCP_PORT).toBe('41080');
  });

  it('enableServiceLinks: false keeps only the kubernetes Service; missing required keys are errors', () => {
    const text = `${MANIFESTS.replace('serviceAccountName: web-sa', 'serviceAccountName: web-sa\n  enableServiceLinks: false')}
---
apiVersion: v1
kind: Pod
metadata: { name: broken, namespace: shop }
spec:
  containers:
    - name: c
      image: busybox
      envFrom: [{ configMapRef: { name: gone } }]
      env:
        - { name: A, valueFrom: { configMapKeyRef: { name: app-config, key: nope } } }
        - { name: B, valueFrom: { secretKeyRef: { name: gone-secret, key: x } } }
`;
    const linked = envOf(text, 'web-0', 'app').env;
    expect(linked.env.WEB_FRONT_SERVICE_HOST).toBeUndefined();
    expect(linked.env.KUBERNETES_SERVICE_HOST).toBeDefined();
    const broken = envOf(text, 'broken', 'c').env;
    expect(broken.errors).toEqual([
      'configmap "gone" not found',
      "couldn't find key nope in ConfigMap shop/app-config",
      'secret "gone-secret" not found',
    ]);
    expect(broken.env.HOSTNAME).toBe('broken');
  });

  it('serviceEnv follows envvars.FromServices order for one Service', () => {
    expect(
      serviceEnv([
        {
          namespace: 'a',
          name: 'my-svc',
          clusterIP: '127.52.0.9',
          ports: [{ name: '', protocol: 'TCP', port: 8080, listenPort: 8080 }],
        },
      ]),
    ).toEqual([
      ['MY_SVC_SERVICE_HOST', '127.52.0.9'],
      ['MY_SVC_SERVICE_PORT', '8080'],
      ['MY_SVC_PORT', 'tcp://127.52.0.9:8080'],
      ['MY_SVC_PORT_8080_TCP', 'tcp://127.52.0.9:8080'],
      ['MY_SVC_PORT_8080_TCP_PROTO', 'tcp'],
      ['MY_SVC_PORT_8080_TCP_PORT', '8080'],
      ['MY_SVC_PORT_8080_TCP_ADDR', '127.52.0.9'],
    ]);
  });
});
