/**
 * The cluster plan of `portchain up` (pure): addresses, clusterIPs honoured or replaced, rejected objects left
 * out, what each container runs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { planCluster } from '../src/runtime/plan.js';

const planOf = (text: string, name = 'inline.yaml', lowPortOffset = 0) => {
  const r = check([{ name, text }]);
  return planCluster(r.graph, r.findings, { lowPortOffset });
};

const deployment = (name: string, image: string, replicas = 1, args: string[] = []) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: app}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: main
        image: ${image}
        args: ${JSON.stringify(args)}
`;
const service = (name: string, extra = '', port = 80) => `
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: app}
spec:
  selector: {app: ${name}}
  ports: [{port: ${port}}]
${extra}`;

describe('planCluster', () => {
  it('honours a clusterIP inside 127.96.0.0/16 and replaces (and reports) any other', () => {
    const plan = planOf(
      [
        service('a', '  clusterIP: 10.96.0.10'),
        service('b', '  clusterIP: 127.96.0.1'),
        service('c'),
        deployment('a', 'nginx:1.27'),
      ].join('\n---\n'),
    );
    expect(plan.services.map((s) => [s.name, s.clusterIP])).toEqual([
      ['a', '127.96.0.2'],
      ['b', '127.96.0.1'],
      ['c', '127.96.0.3'],
    ]);
    expect(plan.notes.some((n) => n.includes('clusterIP 10.96.0.10') && n.includes('127.96.0.2'))).toBe(true);
  });

  it('leaves out what the API server rejects', () => {
    // The duplicate nodePort is refused next to the sound file that holds it first.
    const r = check(
      ['0-sound.yaml', '1-broken-duplicate.yaml'].map((f) => ({
        name: f,
        text: readFileSync(`examples/node-port-and-load-balancer/${f}`, 'utf8'),
      })),
    );
    const plan = planCluster(r.graph, r.findings);
    const rejected = r.findings.filter(
      (f) => f.rule === 'node-port-allocation' || f.rule === 'api-validation',
    );
    expect(rejected.length).toBeGreaterThan(0);
    for (const f of rejected) {
      expect(
        plan.services.some((s) => s.name === f.object?.name && s.namespace === f.object?.namespace),
      ).toBe(false);
      expect(plan.notes.some((n) => n.includes(`${f.object?.namespace}/${f.object?.name}: rejected`))).toBe(
        true,
      );
    }
  });

  it('numbers pods 127.1.0.1, 127.1.0.2... and binds where graph.listening says, shifted below 1024', () => {
    const plan = planOf(
      [
        deployment('web', 'nginxinc/nginx-unprivileged:1.27-alpine', 2),
        deployment('echo', 'hashicorp/http-echo:1.0', 1, ['-listen=:3000', '-text=hi']),
      ].join('\n---\n'),
      'inline.yaml',
      40000,
    );
    expect(plan.pods.map((p) => [p.name.split('-')[0], p.ip])).toEqual([
      ['web', '127.1.0.1'],
      ['web', '127.1.0.2'],
      ['echo', '127.1.0.3'],
    ]);
    expect(plan.pods[0]?.containers[0]?.binds).toEqual([
      { port: 8080, listenPort: 8080, protocol: 'TCP', host: '127.1.0.1' },
    ]);
    expect(plan.pods[2]?.containers[0]?.binds.map((b) => b.port)).toEqual([3000]);
    expect(plan.pods[2]?.containers[0]?.imageId).toBe('http-echo');
  });

  it('gives a LoadBalancer an address and the allocated nodePort, and maps endpoints to pod loopback IPs', () => {
    const plan = planOf(
      [service('web', '  type: LoadBalancer', 80), deployment('web', 'nginx:1.27', 2)].join('\n---\n'),
      'inline.yaml',
      40000,
    );
    const web = plan.services[0];
    expect(web?.loadBalancerIP).toBe('127.97.0.1');
    expect(web?.ports[0]?.nodePort).toBeGreaterThanOrEqual(30000);
    expect(web?.ports[0]?.listenPort).toBe(40080);
    expect(web?.ports[0]?.endpoints.map((e) => `${e.ip}:${e.port}:${e.dialPort}`).sort()).toEqual([
      '127.1.0.1:80:40080',
      '127.1.0.2:80:40080',
    ]);
  });
});

/** The address block of the runtime-examples tests (a pure plan binds nothing, but keeps to it). */
const BLOCK = { pods: '127.61.0.0', services: '127.62.0.0', loadBalancers: '127.63.0.0', node: '127.60.0.1' };
const planIn = (text: string, lowPortOffset = 0) => {
  const r = check([{ name: 'inline.yaml', text }]);
  return planCluster(r.graph, r.findings, { addressBase: BLOCK, lowPortOffset });
};

describe('planCluster: fidelity', () => {
  it('honours spec.clusterIP inside the planned service range, replaces one outside or taken, and says so', () => {
    const plan = planIn(
      [
        service('a', '  clusterIP: 127.96.0.7'), // the default range, not the planned one
        service('b', '  clusterIP: 127.62.3.4'),
        service('c', '  clusterIP: 127.62.3.4'), // the same address asked twice: the second is replaced
        service('d', '  clusterIP: None'),
      ].join('\n---\n'),
    );
    const ip = (n: string) => plan.services.find((s) => s.name === n)?.clusterIP;
    expect(ip('b')).toBe('127.62.3.4');
    expect(ip('a')).toMatch(/^127\.62\.0\.\d+$/);
    expect(ip('c')).toMatch(/^127\.62\.0\.\d+$/);
    expect(ip('d')).toBeNull();
    expect(new Set([ip('a'), ip('b'), ip('c')]).size).toBe(3);
    expect(plan.notes).toContain(
      `Service app/a: clusterIP 127.96.0.7 is outside 127.62.0.0/16 (or taken); it runs on ${ip('a')}`,
    );
    expect(plan.notes).toContain(
      `Service app/c: clusterIP 127.62.3.4 is outside 127.62.0.0/16 (or taken); it runs on ${ip('c')}`,
    );
    expect(plan.node).toBe('127.60.0.1');
  });

  it('notes each externalIP: none is bound (the API server refuses a loopback one)', () => {
    const plan = planIn(
      [service('web', '  externalIPs: [203.0.113.10]', 80), deployment('web', 'nginx:1.27')].join('\n---\n'),
    );
    expect(plan.services.map((s) => s.name)).toEqual(['web']);
    expect(plan.notes).toEqual([
      "Service app/web: externalIP 203.0.113.10 is not bound: a cluster's kube-proxy captures it on the node, but a loopback stand-in would be a different address (reach the Service through its clusterIP, nodePort or load balancer)",
    ]);
    const loopback = planIn(
      [service('web', '  externalIPs: [127.60.9.9]', 80), deployment('web', 'nginx:1.27')].join('\n---\n'),
    );
    expect(loopback.services).toEqual([]);
    expect(loopback.notes).toEqual(['Service app/web: rejected by the API server, so it does not run']);
  });

  it('Local and Cluster traffic policies reach the same ready endpoints: every pod runs on the one node', () => {
    const local = planIn(
      [
        service('web', '  type: NodePort\n  externalTrafficPolicy: Local\n  internalTrafficPolicy: Local'),
        deployment('web', 'nginx:1.27', 2),
      ].join('\n---\n'),
    );
    const cluster = planIn(
      [service('web', '  type: NodePort'), deployment('web', 'nginx:1.27', 2)].join('\n---\n'),
    );
    const [l, c] = [local.services[0], cluster.services[0]];
    expect([l?.internalTrafficPolicy, l?.externalTrafficPolicy]).toEqual(['Local', 'Local']);
    expect([c?.internalTrafficPolicy, c?.externalTrafficPolicy]).toEqual(['Cluster', 'Cluster']);
    expect(l?.ports[0]?.endpoints).toEqual(c?.ports[0]?.endpoints);
    expect(l?.ports[0]?.endpoints.map((e) => [e.ready, e.local])).toEqual([
      [true, true],
      [true, true],
    ]);
    expect(l?.ports[0]?.noLocalEndpoints).toEqual({ internal: false, external: false });
  });

  it('a Local policy whose ready endpoints name no pod of the node drops (kube-proxy "has no local endpoints")', () => {
    const selectorless = `
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: app}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  ports: [{name: http, port: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ext-1, namespace: app, labels: {kubernetes.io/service-name: ext}}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}]
endpoints:
- addresses: [127.60.7.7]
  conditions: {ready: true}
`;
    const plan = planIn(selectorless);
    const port = plan.services[0]?.ports[0];
    expect(port?.endpoints.map((e) => [e.ip, e.ready, e.local])).toEqual([['127.60.7.7', true, false]]);
    expect(port?.noLocalEndpoints).toEqual({ internal: false, external: true });
    expect(
      plan.notes.some((n) => n.includes('externalTrafficPolicy Local and no ready endpoint on this node')),
    ).toBe(true);
  });

  it('hostNetwork pods bind on the node address, and a second one on the same port is noted, not bound', () => {
    const hostNet = (name: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: app, labels: {app: hn}}
spec:
  hostNetwork: true
  containers:
  - name: main
    image: nginx:1.27
    ports: [{name: http, containerPort: 80}]
`;
    const plan = planIn(
      [hostNet('one'), hostNet('two'), deployment('web', 'nginx:1.27'), service('hn', '', 80)].join(
        '\n---\n',
      ),
      42000,
    );
    const pod = (n: string) => plan.pods.find((p) => p.name.startsWith(n));
    expect([pod('one')?.ip, pod('one')?.hostNetwork]).toEqual(['127.60.0.1', true]);
    expect(pod('one')?.containers[0]?.binds).toEqual([
      { port: 80, listenPort: 42080, protocol: 'TCP', host: '127.60.0.1' },
    ]);
    expect(pod('two')?.ip).toBe('127.60.0.1');
    expect(pod('two')?.containers[0]?.binds).toEqual([]);
    expect(pod('web')?.ip).toBe('127.61.0.1');
    expect(plan.notes).toContain(
      'Pod app/two (hostNetwork) container main: port 80/TCP on the node 127.60.0.1 is already bound by hostNetwork Pod app/one; on one node only one of them can bind it, so app/two does not listen there',
    );
    // The EndpointSlice holds the node address once (both pods have podIP = hostIP): the plan follows the graph.
    const svc = plan.services.find((s) => s.name === 'hn');
    expect(svc?.ports[0]?.endpoints.map((e) => `${e.pod} ${e.ip}:${e.dialPort}`)).toEqual([
      'one 127.60.0.1:42080',
    ]);
  });

  it('carries the declared container ports with their names (port-forward pod/NAME :name reads them)', () => {
    const plan = planIn(readFileSync('examples/two-ports-one-pod/0-sound.yaml', 'utf8'));
    expect(plan.pods[0]?.containers.map((c) => c.ports)).toEqual([
      [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
      [{ name: 'metrics', containerPort: 9100, protocol: 'TCP' }],
    ]);
  });
});

describe('simulated pods', () => {
  it('report an image that is not simulated once, and run nothing for it', async () => {
    const { startPods } = await import('../src/runtime/images/run.js');
    const plan = planOf([deployment('x', 'example.com/unknown/app:1', 2)].join('\n---\n'));
    const pods = await startPods(plan);
    try {
      expect(pods.listening).toEqual([]);
      expect(pods.notes).toEqual([
        'image example.com/unknown/app:1: not simulated; nothing listens for its containers',
      ]);
    } finally {
      await pods.close();
    }
  });

  it('http-echo without -text exits, as the real one does', async () => {
    const { startPods } = await import('../src/runtime/images/run.js');
    const plan = planOf(deployment('e', 'hashicorp/http-echo:1.0', 1, ['-listen=:3000']));
    const pods = await startPods(plan);
    try {
      expect(pods.listening).toEqual([]);
      expect(pods.notes[0]).toMatch(/http-echo exits at start without -text/);
    } finally {
      await pods.close();
    }
  });
});
