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
