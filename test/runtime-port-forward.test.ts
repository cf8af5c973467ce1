/**
 * `portchain port-forward` on real loopback sockets against a running `startUp`: svc/NAME picks one ready pod
 * and maps a Service port (by number or name) to its targetPort, pod/NAME dials the container port, errors are
 * clear and exit 2, a refused connection is reported and the forward keeps running. Addresses live in
 * 127.41-43.x.y with low ports at +41000 and no NodePort, so this file never clashes with runtime-up.test.ts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { portForwardCommand } from '../src/cli/port-forward.js';
import { upState } from '../src/cli/up.js';
import { NGINX_WELCOME } from '../src/runtime/images/http-images.js';
import {
  PortForwardError,
  parseForwardAddresses,
  parseForwardObject,
  parsePortMapping,
  parseUpState,
  resolveForward,
} from '../src/runtime/port-forward.js';
import { startUp, type Up } from '../src/runtime/up.js';

const LOW = 41000;
const MANIFEST = `
apiVersion: v1
kind: Namespace
metadata: {name: pf}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: pf, labels: {app: web}}
spec:
  containers:
  - name: nginx
    image: nginx:1.27
    ports: [{name: http, containerPort: 80}]
status:
  phase: Running
  podIP: 10.0.0.5
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Pod
metadata: {name: sleepy, namespace: pf, labels: {app: sleepy}}
spec:
  containers:
  - name: nginx
    image: nginx:1.27
    ports: [{name: http, containerPort: 80}]
status:
  phase: Running
  podIP: 10.0.0.6
  conditions: [{type: Ready, status: "False"}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: pf}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 8080, targetPort: http}
  - {name: wrong, port: 9090, targetPort: 9999}
---
apiVersion: v1
kind: Service
metadata: {name: sleepy, namespace: pf}
spec:
  selector: {app: sleepy}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: who, namespace: pf}
spec:
  replicas: 2
  selector: {matchLabels: {app: who}}
  template:
    metadata: {labels: {app: who}}
    spec:
      containers:
      - name: whoami
        image: traefik/whoami:v1.10.3
        ports: [{name: web, containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: who, namespace: pf}
spec:
  selector: {app: who}
  ports: [{name: http, port: 8080, targetPort: web}]
---
apiVersion: v1
kind: Pod
metadata: {name: pending, namespace: pf, labels: {app: pending}}
spec:
  containers:
  - name: nginx
    image: nginx:1.27
    ports: [{name: http, containerPort: 80}]
status:
  phase: Pending
---
apiVersion: v1
kind: Service
metadata: {name: pending, namespace: pf}
spec:
  selector: {app: pending}
  ports: [{name: http, port: 80, targetPort: metrics}]
`;

let u: Up;
let stateFile: string;
beforeAll(async () => {
  u = await startUp([{ name: 'pf.yaml', text: MANIFEST }], {
    lowPortOffset: LOW,
    addressBase: { pods: '127.41.0.0', services: '127.42.0.0', loadBalancers: '127.43.0.0' },
  });
  stateFile = join(mkdtempSync(join(tmpdir(), 'portchain-pf-')), 'state.json');
  writeFileSync(stateFile, JSON.stringify(upState(u)));
});
afterAll(async () => {
  await u?.close();
});

type Outcome = { kind: 'delivered'; status: number; body: string } | { kind: 'refused'; code: string };

function get(host: string, port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ kind: 'delivered', status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ kind: 'refused', code: e.code ?? e.message }));
  });
}

interface Run {
  stdout: () => string;
  stderr: () => string;
  /** Resolves once the command printed its Forwarding lines, or finished (an error). */
  started: Promise<void>;
  stop: () => Promise<number | null>;
}

let runs: Run[] = [];
afterEach(async () => {
  await Promise.all(runs.map((r) => r.stop()));
  runs = [];
});

function run(args: string[]): Run {
  let out = '';
  let err = '';
  let code: number | null = null;
  let stop: () => void = () => {};
  let started: () => void = () => {};
  const isStarted = new Promise<void>((r) => {
    started = r;
  });
  const io = {
    stdout: (s: string) => {
      out += s;
      if (s.startsWith('Forwarding from')) started();
    },
    stderr: (s: string) => {
      err += s;
    },
    stdin: Readable.from(['']),
    isTTY: false,
    env: {},
  };
  const stopped = new Promise<void>((r) => {
    stop = r;
  });
  const program = new Command('portchain').exitOverride();
  program.addCommand(
    portForwardCommand(
      io,
      (c) => {
        code = c;
      },
      () => stopped,
    ),
  );
  const done = program.parseAsync(['port-forward', ...args], { from: 'user' }).finally(() => started());
  const r: Run = {
    stdout: () => out,
    stderr: () => err,
    started: isStarted,
    stop: async () => {
      stop();
      await done.catch(() => undefined);
      return code;
    },
  };
  runs.push(r);
  return r;
}

const localPort = (out: string, remote: number) => {
  const m = new RegExp(`Forwarding from 127\\.0\\.0\\.1:(\\d+) -> ${remote}\\n`).exec(out);
  if (!m) throw new Error(`no Forwarding line for ${remote} in ${out}`);
  return Number(m[1]);
};

describe('port-forward through a running up', () => {
  it('svc/NAME by Service port name forwards to the ready pod targetPort (kubectl prints the pod port)', async () => {
    const r = run(['svc/web', ':http', '-n', 'pf', '--state', stateFile]);
    await r.started;
    expect(r.stderr()).toBe('');
    const port = localPort(r.stdout(), 80);
    const res = await get('127.0.0.1', port);
    expect(res).toMatchObject({ kind: 'delivered', status: 200 });
    expect(res.kind === 'delivered' && res.body).toBe(NGINX_WELCOME);
    expect(r.stdout()).toContain(`Handling connection for ${port}`);
    expect(await r.stop()).toBe(0);
  });

  it('svc/NAME.NS with a Service port number, and several mappings', async () => {
    const r = run(['svc/web.pf', ':8080', '0:9090', '--state', stateFile]);
    await r.started;
    const http8080 = localPort(r.stdout(), 80);
    const wrong = localPort(r.stdout(), 9999);
    expect((await get('127.0.0.1', http8080)).kind).toBe('delivered');
    // Nothing listens on 9999 in the pod: that connection fails and is reported, the forward keeps running.
    expect((await get('127.0.0.1', wrong)).kind).toBe('refused');
    expect(r.stderr()).toMatch(/an error occurred forwarding \d+ -> 9999: .*pf\/web.*ECONNREFUSED/);
    expect((await get('127.0.0.1', http8080)).kind).toBe('delivered');
    expect(await r.stop()).toBe(0);
  });

  it('pod/NAME dials the container port directly (even of a pod that is not ready)', async () => {
    const r = run(['pod/sleepy', ':80', '--namespace', 'pf', '--state', stateFile, '--address', '127.0.0.1']);
    await r.started;
    expect(r.stderr()).toBe('');
    const res = await get('127.0.0.1', localPort(r.stdout(), 80));
    expect(res.kind === 'delivered' && res.body).toBe(NGINX_WELCOME);
    expect(await r.stop()).toBe(0);
  });

  it('stops on the stop signal: the local port is closed afterwards', async () => {
    const r = run(['pod/web.pf', ':80', '--state', stateFile]);
    await r.started;
    const port = localPort(r.stdout(), 80);
    expect((await get('127.0.0.1', port)).kind).toBe('delivered');
    expect(await r.stop()).toBe(0);
    expect(await get('127.0.0.1', port)).toEqual({ kind: 'refused', code: 'ECONNREFUSED' });
  });

  it('a local port already in use exits 2 (kubectl: unable to listen)', async () => {
    const first = run(['pod/web.pf', ':80', '--state', stateFile]);
    await first.started;
    const port = localPort(first.stdout(), 80);
    const second = run(['pod/web.pf', `${port}:80`, '--state', stateFile]);
    await second.started;
    expect(await second.stop()).toBe(2);
    expect(second.stderr()).toContain(`unable to listen on 127.0.0.1:${port}: EADDRINUSE`);
    expect((await get('127.0.0.1', port)).kind).toBe('delivered');
  });

  it('an unknown Service exits 2 with a clear message', async () => {
    const r = run(['svc/nope', ':80', '-n', 'pf', '--state', stateFile]);
    await r.started;
    expect(await r.stop()).toBe(2);
    expect(r.stderr()).toBe('portchain port-forward: error: services "nope" not found in namespace "pf"\n');
    expect(r.stdout()).toBe('');
  });

  it('a Service whose pods are Running but not ready still forwards: kubectl only needs Running', async () => {
    const r = run(['svc/sleepy.pf', ':80', '--state', stateFile]);
    await r.started;
    expect(r.stderr()).toBe('');
    const res = await get('127.0.0.1', localPort(r.stdout(), 80));
    expect(res.kind === 'delivered' && res.body).toBe(NGINX_WELCOME);
    expect(await r.stop()).toBe(0);
  });

  it("a pod that is not Running exits 2 with kubectl's message, through pod/ and svc/", async () => {
    for (const object of ['pod/pending.pf', 'svc/pending.pf']) {
      const r = run([object, ':80', '--state', stateFile]);
      await r.started;
      expect(await r.stop(), object).toBe(2);
      expect(r.stderr()).toBe(
        'portchain port-forward: error: unable to forward port because pod is not running. Current status=Pending\n',
      );
    }
  });

  it('svc/NAME with a named targetPort the pod lacks, or a Service port name it lacks, exits 2 as kubectl', async () => {
    const byTarget = run(['svc/who.pf', ':nope', '--state', stateFile]);
    await byTarget.started;
    expect(await byTarget.stop()).toBe(2);
    expect(byTarget.stderr()).toBe(
      "portchain port-forward: error: Service 'who' does not have a named port 'nope'\n",
    );
    const state = parseUpState(readFileSync(stateFile, 'utf8'), 'state.json');
    const running = { ...state, pods: state.pods.map((p) => ({ ...p, phase: 'Running' })) };
    expect(() =>
      resolveForward(
        running,
        { kind: 'service', name: 'pending' },
        [{ local: 0, remote: 'http' }],
        'pf',
        true,
      ),
    ).toThrow("Pod 'pending' does not have a named port 'metrics'");
  });

  it('an unknown Service port exits 2', async () => {
    const r = run(['svc/web', ':7777', '-n', 'pf', '--state', stateFile]);
    await r.started;
    expect(await r.stop()).toBe(2);
    expect(r.stderr()).toContain('Service web does not have a service port 7777');
  });

  it('requires --state and says why', async () => {
    const r = run(['svc/web', ':80']);
    await r.started;
    expect(await r.stop()).toBe(2);
    expect(r.stderr()).toContain('--state FILE is required');
  });

  it('refuses an --address that is not an IP or localhost', async () => {
    const r = run(['svc/web', ':8080', '-n', 'pf', '--state', stateFile, '--address', '127.0.0.1,nowhere']);
    await r.started;
    expect(await r.stop()).toBe(2);
    expect(r.stderr()).toBe(
      'portchain port-forward: error: --address nowhere: not an IP address or localhost\n',
    );
  });

  it('listens on every --address given, one local port for all of them (as kubectl)', async () => {
    const r = run(['pod/web.pf', ':80', '--state', stateFile, '--address', 'localhost,127.41.9.9']);
    await r.started;
    const port = localPort(r.stdout(), 80);
    expect(r.stdout()).toContain(`Forwarding from 127.41.9.9:${port} -> 80\n`);
    for (const host of ['127.0.0.1', '127.41.9.9'])
      expect((await get(host, port)).kind, host).toBe('delivered');
    expect(await r.stop()).toBe(0);
  });

  it('pod/NAME :NAME forwards to the container port of that name (kubectl LookupContainerPortNumberByName)', async () => {
    const r = run(['pod/web', ':http', '-n', 'pf', '--state', stateFile]);
    await r.started;
    expect(r.stderr()).toBe('');
    const res = await get('127.0.0.1', localPort(r.stdout(), 80));
    expect(res.kind === 'delivered' && res.body).toBe(NGINX_WELCOME);
    expect(await r.stop()).toBe(0);
  });

  it("pod/NAME with a port name the pod does not declare exits 2 with kubectl's message", async () => {
    const r = run(['pod/web', '8081:metrics', '-n', 'pf', '--state', stateFile]);
    await r.started;
    expect(await r.stop()).toBe(2);
    expect(r.stderr()).toBe(
      "portchain port-forward: error: Pod 'web' does not have a named port 'metrics'\n",
    );
  });

  it("svc/NAME goes to one pod, never through the Service's load balancing", async () => {
    const who = u.plan.services.find((s) => s.name === 'who');
    const clusterIp = who?.clusterIP as string;
    // Through the clusterIP, kube-proxy spreads the connections over both pods...
    const viaService = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await get(clusterIp, 8080);
      if (res.kind === 'delivered') viaService.add(res.body.split('\n')[0] ?? '');
    }
    expect(viaService.size).toBe(2);
    // ...port-forward resolves the Service port http to the targetPort web = 80 of one pod, and stays there.
    const r = run(['svc/who', ':http', '-n', 'pf', '--state', stateFile]);
    await r.started;
    const port = localPort(r.stdout(), 80);
    const viaForward = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await get('127.0.0.1', port);
      expect(res.kind).toBe('delivered');
      if (res.kind === 'delivered') viaForward.add(res.body.split('\n')[0] ?? '');
    }
    expect(viaForward.size).toBe(1);
    expect([...viaService]).toContain([...viaForward][0]);
    expect(await r.stop()).toBe(0);
  });
});

describe('port-forward parsing and resolution', () => {
  it('parses kubectl port forms', () => {
    expect(parsePortMapping('8080:80')).toEqual({ local: 8080, remote: '80' });
    expect(parsePortMapping('5000')).toEqual({ local: 5000, remote: '5000' });
    expect(parsePortMapping(':http')).toEqual({ local: 0, remote: 'http' });
    expect(parsePortMapping('0:80')).toEqual({ local: 0, remote: '80' });
    expect(() => parsePortMapping('http')).toThrow(PortForwardError);
    expect(() => parsePortMapping('1:2:3')).toThrow(PortForwardError);
    expect(() => parsePortMapping('x:80')).toThrow(PortForwardError);
  });

  it('parses the object forms', () => {
    expect(parseForwardObject('svc/web')).toEqual({ kind: 'service', name: 'web' });
    expect(parseForwardObject('services/web')).toEqual({ kind: 'service', name: 'web' });
    expect(parseForwardObject('web')).toEqual({ kind: 'pod', name: 'web' });
    expect(() => parseForwardObject('deploy/web')).toThrow(PortForwardError);
  });

  it('resolves against the plan with the low port offset', () => {
    const state = parseUpState(JSON.stringify(upState(u)), 'state.json');
    const r = resolveForward(
      state,
      { kind: 'service', name: 'web' },
      [{ local: 0, remote: '8080' }],
      'pf',
      true,
    );
    expect(r).toEqual({
      namespace: 'pf',
      pod: 'web',
      targets: [{ local: 0, remotePort: 80, host: '127.41.0.1', dialPort: 80 + LOW }],
    });
    expect(
      resolveForward(state, { kind: 'pod', name: 'web' }, [{ local: 0, remote: 'http' }], 'pf', true).targets,
    ).toEqual([{ local: 0, remotePort: 80, host: '127.41.0.1', dialPort: 80 + LOW }]);
    // A state file written before container ports were carried: port names cannot be looked up.
    const old = parseUpState(
      JSON.stringify({
        ...upState(u),
        pods: u.plan.pods.map((p) => ({ ...p, containers: p.containers.map(({ ports: _, ...c }) => c) })),
      }),
      'state.json',
    );
    expect(() =>
      resolveForward(old, { kind: 'pod', name: 'web' }, [{ local: 0, remote: 'http' }], 'pf', true),
    ).toThrow(/container port names/);
    // ...and Services without targetPorts and selected pods: the first ready endpoint tells pod and port.
    const older = parseUpState(
      JSON.stringify({
        ...upState(u),
        services: u.plan.services.map(({ selectedPods: _, ...svc }) => ({
          ...svc,
          ports: svc.ports.map(({ targetPort: __, ...p }) => p),
        })),
      }),
      'state.json',
    );
    expect(
      resolveForward(older, { kind: 'service', name: 'web' }, [{ local: 0, remote: 'http' }], 'pf', true),
    ).toEqual(
      resolveForward(state, { kind: 'service', name: 'web' }, [{ local: 0, remote: 'http' }], 'pf', true),
    );
    expect(() => parseUpState('{}', 's.json')).toThrow(/not a state file/);
  });

  it('parses --address as kubectl: IPs or localhost, loopback by default only', () => {
    expect(parseForwardAddresses('127.0.0.1')).toEqual(['127.0.0.1']);
    expect(parseForwardAddresses('localhost,127.0.0.1, ::1')).toEqual(['127.0.0.1', '::1']);
    // Given explicitly, a non-loopback address is taken (parsed only: no test binds it).
    expect(parseForwardAddresses('0.0.0.0')).toEqual(['0.0.0.0']);
    expect(() => parseForwardAddresses('127.0.0.1,')).toThrow(PortForwardError);
    expect(() => parseForwardAddresses('example.com')).toThrow(/not an IP address or localhost/);
  });
});
