/**
 * Kubernetes Events from `portchain up`'s API, read by the real kubectl: the scheduler's `Scheduled`, the
 * kubelet's `Pulled`, `Created`, `Started` per container, the prober's Warning `Unhealthy` for a readiness
 * probe that really fails (its cause from a real refused connection), the service controller's load-balancer
 * events for a LoadBalancer Service only; shown by `kubectl get events` and `kubectl describe`. Skipped,
 * saying so, where kubectl is absent.
 * Addresses: pods 127.121/16, Services 127.122/16, LBs 127.123/16, node 127.120.0.1; low ports +49500 and
 * every port below 1024, so this never meets test/cli-up-flags.test.ts (same block, offset 49000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../src/apiserver/server.js';
import { startUp, type Up } from '../src/runtime/up.js';
import { hasKubectl, runKubectl, warnWithoutKubectl } from './helpers/kubectl.js';

warnWithoutKubectl('apiserver-events');

const ADDRESSES = {
  pods: '127.121.0.0',
  services: '127.122.0.0',
  loadBalancers: '127.123.0.0',
  node: '127.120.0.1',
};
const LOW = 49500;

// nginx listens on 80; the `cold` pod's probe asks 81, where nothing listens: refused, as in a cluster.
const MANIFESTS = `apiVersion: v1
kind: Namespace
metadata:
  name: ev
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ev
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - {name: http, containerPort: 80}
        readinessProbe:
          httpGet: {path: /, port: http}
---
apiVersion: v1
kind: Pod
metadata:
  name: cold
  namespace: ev
  labels: {app: cold}
spec:
  containers:
  - name: nginx
    image: nginx:1.27
    ports:
    - {containerPort: 80}
    readinessProbe:
      httpGet: {path: /healthz, port: 81}
---
apiVersion: v1
kind: Service
metadata:
  name: front
  namespace: ev
spec:
  type: LoadBalancer
  allocateLoadBalancerNodePorts: false
  selector: {app: web}
  ports:
  - {port: 80, targetPort: http}
---
apiVersion: v1
kind: Service
metadata:
  name: inside
  namespace: ev
spec:
  selector: {app: web}
  ports:
  - {port: 80, targetPort: http}
`;

let dir = '';
let up: Up;
let api: ApiServer;

const kubectl = (...args: string[]) =>
  runKubectl({ kubeconfig: api.kubeconfigPath, cacheDir: join(dir, 'cache') }, args);

interface EventJson {
  type: string;
  reason: string;
  message: string;
  source: { component: string };
  involvedObject: { kind: string; name: string; uid?: string; fieldPath?: string };
}

async function events(): Promise<EventJson[]> {
  const r = await kubectl('get', 'events', '-n', 'ev', '-o', 'json');
  expect(r.stderr).toBe('');
  return (JSON.parse(r.stdout) as { items: EventJson[] }).items;
}

/** Polls until `test` holds for the events (the prober's events come a poll after a probe fails). */
async function eventsUntil(test: (e: EventJson[]) => boolean): Promise<EventJson[]> {
  const end = Date.now() + 10_000;
  for (;;) {
    const e = await events();
    if (test(e) || Date.now() > end) return e;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!hasKubectl)('Kubernetes Events through kubectl', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portchain-events-'));
    const sources = [{ name: 'ev.yaml', text: MANIFESTS }];
    up = await startUp(sources, { addressBase: ADDRESSES, lowPortOffset: LOW, probeTimeScale: 0.05 });
    api = await startApiServer({
      up,
      sources,
      port: 0,
      kubeconfigPath: join(dir, 'kubeconfig'),
      readinessPollMs: 100,
    });
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await up?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("records the scheduler's and the kubelet's start events for every pod", async () => {
    const all = await events();
    const webPod = up.plan.pods.find((p) => p.name.startsWith('web-'));
    expect(webPod).toBeDefined();
    for (const pod of [webPod?.name ?? '', 'cold']) {
      const mine = all.filter((e) => e.involvedObject.kind === 'Pod' && e.involvedObject.name === pod);
      const normal = mine.filter((e) => e.type === 'Normal').map((e) => [e.reason, e.message]);
      expect(normal).toEqual([
        ['Scheduled', `Successfully assigned ev/${pod} to node-1`],
        ['Pulled', 'Container image "nginx:1.27" already present on machine'],
        ['Created', 'Created container: nginx'],
        ['Started', 'Started container nginx'],
      ]);
      expect(mine[0]?.source.component).toBe('default-scheduler');
      expect(mine[1]?.source.component).toBe('kubelet');
      expect(mine[1]?.involvedObject.fieldPath).toBe('spec.containers{nginx}');
      // The events point at the Pod object the API serves (kubectl describe selects them by uid).
      const uid = await kubectl('get', 'pod', pod, '-n', 'ev', '-o', 'jsonpath={.metadata.uid}');
      expect(mine.every((e) => e.involvedObject.uid === uid.stdout)).toBe(true);
    }
  });

  it('a readiness probe that really fails gives one Warning Unhealthy with the cause; a passing one none', async () => {
    const cold = up.plan.pods.find((p) => p.name === 'cold');
    const all = await eventsUntil((e) => e.some((x) => x.reason === 'Unhealthy'));
    const unhealthy = all.filter((e) => e.reason === 'Unhealthy');
    expect(
      unhealthy.map((e) => [e.type, e.involvedObject.name, e.involvedObject.fieldPath, e.message]),
    ).toEqual([
      [
        'Warning',
        'cold',
        'spec.containers{nginx}',
        `Readiness probe failed: Get "http://${cold?.ip}:${81 + LOW}/healthz": dial tcp ${cold?.ip}:${81 + LOW}: connect: connection refused`,
      ],
    ]);
  });

  it('load-balancer events for the LoadBalancer Service only', async () => {
    const all = await events();
    const services = all.filter((e) => e.involvedObject.kind === 'Service');
    expect(services.map((e) => [e.involvedObject.name, e.reason, e.message, e.source.component])).toEqual([
      ['front', 'EnsuringLoadBalancer', 'Ensuring load balancer', 'service-controller'],
      ['front', 'EnsuredLoadBalancer', 'Ensured load balancer', 'service-controller'],
    ]);
  });

  it('kubectl get events and kubectl describe show them', async () => {
    await eventsUntil((e) => e.some((x) => x.reason === 'Unhealthy'));
    const table = await kubectl('get', 'events', '-n', 'ev');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    expect(table.stdout).toMatch(/Normal\s+Scheduled\s+pod\/cold\s+Successfully assigned ev\/cold to node-1/);
    expect(table.stdout).toMatch(/Warning\s+Unhealthy\s+pod\/cold\s+Readiness probe failed: Get "http:/);
    expect(table.stdout).toMatch(/Normal\s+EnsuredLoadBalancer\s+service\/front\s+Ensured load balancer/);

    const pod = await kubectl('describe', 'pod', 'cold', '-n', 'ev');
    expect(pod.code).toBe(0);
    const section = pod.stdout.slice(pod.stdout.indexOf('Events:'));
    expect(section).toMatch(/Type\s+Reason\s+Age\s+From\s+Message/);
    expect(section).toMatch(
      /Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned ev\/cold to node-1/,
    );
    expect(section).toMatch(/Normal\s+Started\s+\S+\s+kubelet\s+Started container nginx/);
    expect(section).toMatch(/Warning\s+Unhealthy\s+\S+\s+kubelet\s+Readiness probe failed: Get "http:/);

    const lb = await kubectl('describe', 'service', 'front', '-n', 'ev');
    expect(lb.stdout).toMatch(
      /Normal\s+EnsuredLoadBalancer\s+\S+\s+service-controller\s+Ensured load balancer/,
    );
    const clusterIp = await kubectl('describe', 'service', 'inside', '-n', 'ev');
    expect(clusterIp.stdout).toMatch(/Events:\s+<none>/);
  });

  it('a Pod created through kubectl apply gets its own start events', async () => {
    const apply = await runKubectl(
      {
        kubeconfig: api.kubeconfigPath,
        cacheDir: join(dir, 'cache'),
        input:
          'apiVersion: v1\nkind: Pod\nmetadata: {name: late, namespace: ev}\nspec:\n  containers:\n  - {name: echo, image: hashicorp/http-echo:1.0, args: ["-listen=:80", "-text=hi"]}\n',
      },
      ['apply', '-f', '-'],
    );
    expect(apply.code).toBe(0);
    const all = await eventsUntil((e) =>
      e.some((x) => x.involvedObject.name === 'late' && x.reason === 'Started'),
    );
    const late = all.filter((e) => e.involvedObject.name === 'late').map((e) => e.reason);
    expect(late).toEqual(['Scheduled', 'Pulled', 'Created', 'Started']);
    expect(all.find((e) => e.involvedObject.name === 'late' && e.reason === 'Pulled')?.message).toBe(
      'Container image "hashicorp/http-echo:1.0" already present on machine',
    );
  });
});
