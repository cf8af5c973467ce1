/**
 * Local commands mapped to images in `.portchain.yaml`: real node programs spawned without a shell, with the
 * kubelet's environment (asserted through real requests), their logs, their reaping; images neither
 * simulated nor mapped; the honours-PORT app; access logs of simulated images.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/config/config.js';
import { allRuleMetas } from '../src/rules/registry.js';
import { findImageCommand } from '../src/runtime/images/commands.js';
import { ContainerLog } from '../src/runtime/images/logs.js';
import { startUp, type Up, type UpOptions } from '../src/runtime/up.js';

const RULE_IDS = allRuleMetas.map((m) => m.id);

const addressBase = {
  pods: '127.51.0.0',
  services: '127.52.0.0',
  loadBalancers: '127.53.0.0',
  node: '127.50.0.1',
};
const LOW = 41000;

let running: Up[] = [];
afterEach(async () => {
  await Promise.all(running.map((u) => u.close()));
  running = [];
});

async function up(text: string, options: UpOptions): Promise<Up> {
  const u = await startUp([{ name: 'test.yaml', text }], { addressBase, lowPortOffset: LOW, ...options });
  running.push(u);
  return u;
}

function get(host: string, port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function until(what: string, ok: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A program that answers its environment (and argv) as JSON on $POD_IP:$PORT. */
const ENV_SERVER = `
const http = require('http');
console.log('envdump starting on ' + process.env.POD_IP + ':' + process.env.PORT);
http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ env: process.env, argv: process.argv.slice(2), cwd: process.cwd() }));
}).listen(Number(process.env.PORT), process.env.POD_IP, () => console.log('listening'));
process.on('SIGTERM', () => { console.log('SIGTERM, bye'); process.exit(0); });
`;

/** A program that ignores SIGTERM (SIGKILL has to follow after the grace period). */
const STUBBORN = `
require('http').createServer((q, s) => s.end('x')).listen(Number(process.env.PORT), process.env.POD_IP, () => console.log('up'));
process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
`;

function programDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'portchain-commands-'));
  writeFileSync(join(dir, 'envdump.js'), ENV_SERVER);
  writeFileSync(join(dir, 'stubborn.js'), STUBBORN);
  return dir;
}

const MANIFESTS = `
apiVersion: v1
kind: ConfigMap
metadata: { name: app-config, namespace: cmds }
data: { GREETING: hello, PORT: "41101" }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: envdump, namespace: cmds }
spec:
  replicas: 2
  selector: { matchLabels: { app: envdump } }
  template:
    metadata: { labels: { app: envdump } }
    spec:
      containers:
        - name: app
          image: registry.example.com/team/envdump:1.4
          args: ["--greet", "$(GREETING)", "$$(GREETING)"]
          envFrom: [{ configMapRef: { name: app-config } }]
          env:
            - { name: MY_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
            - { name: URL, value: "http://$(ENVDUMP_SERVICE_HOST):$(ENVDUMP_SERVICE_PORT)" }
          ports: [{ name: http, containerPort: 41101 }]
          readinessProbe:
            tcpSocket: { port: http }
            periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata: { name: envdump, namespace: cmds }
spec:
  selector: { app: envdump }
  ports: [{ name: http, port: 41180, targetPort: http }]
`;

const readyCount = (u: Up, name: string) =>
  u.plan.services.find((s) => s.name === name)?.ports[0]?.endpoints.filter((e) => e.ready).length ?? 0;

describe('local commands mapped to images', () => {
  it('run with the kubelet environment, answer through the ClusterIP and log to the container log', async () => {
    const dir = programDir();
    const u = await up(MANIFESTS, {
      imageCommands: {
        'registry.example.com/team/envdump': { command: [process.execPath, 'envdump.js'], workingDir: dir },
      },
      probeTimeScale: 0.05,
    });
    await until('both replicas ready', () => readyCount(u, 'envdump') === 2);
    const svc = u.plan.services.find((s) => s.name === 'envdump');
    const clusterIP = svc?.clusterIP as string;
    expect(clusterIP).toMatch(/^127\.52\./);
    const seen = new Map<string, { env: Record<string, string>; argv: string[]; cwd: string }>();
    for (let i = 0; i < 6 && seen.size < 2; i++) {
      const r = await get(clusterIP, 41180);
      const body = JSON.parse(r.body) as { env: Record<string, string>; argv: string[]; cwd: string };
      seen.set(body.env.HOSTNAME as string, body);
    }
    expect(seen.size).toBe(2);
    for (const pod of u.plan.pods) {
      const b = seen.get(pod.name);
      expect(b, pod.name).toBeDefined();
      if (!b) continue;
      expect(b.env.POD_IP).toBe(pod.ip);
      expect(b.env.MY_NAME).toBe(pod.name);
      expect(b.env.GREETING).toBe('hello');
      expect(b.env.PORT).toBe('41101');
      expect(b.env.ENVDUMP_SERVICE_HOST).toBe(clusterIP);
      expect(b.env.ENVDUMP_SERVICE_PORT_HTTP).toBe('41180');
      expect(b.env.ENVDUMP_PORT_41180_TCP).toBe(`tcp://${clusterIP}:41180`);
      expect(b.env.URL).toBe(`http://${clusterIP}:41180`);
      expect(b.argv).toEqual(['--greet', 'hello', '$(GREETING)']);
      expect(b.cwd).toBe(dir);
      const log = u.pods.logs('cmds', pod.name);
      expect(log[0]).toBe(`envdump starting on ${pod.ip}:41101`);
      expect(log).toContain('listening');
    }
  });

  it('are reaped on close: SIGTERM, then SIGKILL after the grace period', async () => {
    const dir = programDir();
    const u = await up(MANIFESTS.replace('replicas: 2', 'replicas: 1'), {
      imageCommands: {
        'registry.example.com/team/envdump:1.4': { command: [process.execPath, join(dir, 'stubborn.js')] },
      },
      maxGraceSeconds: 0.3,
    });
    const pid = Number(/pid (\d+)/.exec(u.pods.listening.join('\n'))?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(true);
    await until('the program listens', () => u.pods.logs('cmds', u.plan.pods[0]?.name ?? '').includes('up'));
    const t0 = Date.now();
    await u.close();
    running = [];
    expect(alive(pid)).toBe(false);
    // It ignored SIGTERM: only the SIGKILL sent after the grace period (0.3 s) ended it.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('stop when a reconcile removes their pod', async () => {
    const dir = programDir();
    const u = await up(MANIFESTS.replace('replicas: 2', 'replicas: 1'), {
      imageCommands: {
        'registry.example.com/team/envdump': { command: [process.execPath, join(dir, 'envdump.js')] },
      },
    });
    const pid = Number(/pid (\d+)/.exec(u.pods.listening.join('\n'))?.[1]);
    expect(alive(pid)).toBe(true);
    const r = await u.reconcile([
      { name: 'test.yaml', text: MANIFESTS.replace('replicas: 2', 'replicas: 0') },
    ]);
    expect(r.pods.stopped).toHaveLength(1);
    expect(alive(pid)).toBe(false);
  });

  it('restart after a crash with the kubelet back-off (doubling), and serve again through the ClusterIP', async () => {
    const dir = programDir();
    const u = await up(MANIFESTS.replace('replicas: 2', 'replicas: 1'), {
      imageCommands: {
        'registry.example.com/team/envdump': { command: [process.execPath, join(dir, 'envdump.js')] },
      },
      restartBackoffMs: 100,
    });
    const svc = u.plan.services.find((s) => s.name === 'envdump');
    const pidOf = () => Number(/pid (\d+)/.exec(u.pods.listening.join('\n'))?.[1]);
    const first = pidOf();
    await until('ready', () => readyCount(u, 'envdump') === 1);
    for (const [n, backoff] of [
      [1, '0.1s'],
      [2, '0.2s'],
    ] as const) {
      const before = pidOf();
      process.kill(before, 'SIGKILL');
      // Down: its endpoint is not ready until the restarted container passes its readiness probe.
      await until(`not ready ${n}`, () => readyCount(u, 'envdump') === 0);
      await until(`restart ${n}`, () => pidOf() !== before && alive(pidOf()));
      expect(u.pods.notes.join('\n')).toContain(
        `exited (signal SIGKILL); back-off ${backoff} restarting failed container (CrashLoopBackOff)`,
      );
      // One line per container: the restarted process replaced the old one.
      expect(u.pods.listening.filter((l) => l.includes('envdump:1.4 → pid'))).toHaveLength(1);
      await until('ready again', () => readyCount(u, 'envdump') === 1);
      const r = await get(svc?.clusterIP ?? '', 41180);
      expect(r.status).toBe(200);
    }
    expect(alive(first)).toBe(false);
  });

  it('a bare Pod with restartPolicy Never is not restarted; its endpoint stays not ready', async () => {
    const dir = programDir();
    const u = await up(
      `${MANIFESTS.replace('replicas: 2', 'replicas: 0')}---
apiVersion: v1
kind: Pod
metadata: { name: once, namespace: cmds, labels: { app: envdump } }
spec:
  restartPolicy: Never
  containers:
    - name: app
      image: registry.example.com/team/envdump:1.4
      env: [{ name: PORT, value: "41101" }]
      ports: [{ name: http, containerPort: 41101 }]
`,
      {
        imageCommands: {
          'registry.example.com/team/envdump': { command: [process.execPath, join(dir, 'envdump.js')] },
        },
        restartBackoffMs: 50,
      },
    );
    const pid = Number(/pid (\d+)/.exec(u.pods.listening.join('\n'))?.[1]);
    await until('ready', () => readyCount(u, 'envdump') === 1);
    process.kill(pid, 'SIGKILL');
    await until('not ready', () => readyCount(u, 'envdump') === 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(u.pods.notes.join('\n')).toContain('exited (signal SIGKILL); restartPolicy Never: not restarted');
    expect(Number(/pid (\d+)/.exec(u.pods.listening.join('\n'))?.[1])).toBe(pid);
    expect(readyCount(u, 'envdump')).toBe(0);
  });

  it('do not start when a required ConfigMap is missing (CreateContainerConfigError)', async () => {
    const u = await up(MANIFESTS.replace('name: app-config, namespace', 'name: other-config, namespace'), {
      imageCommands: {
        'registry.example.com/team/envdump': { command: [process.execPath, '-e', 'setTimeout(()=>{},1e6)'] },
      },
    });
    expect(u.pods.listening).toEqual([]);
    expect(u.notes.join('\n')).toContain('CreateContainerConfigError): configmap "app-config" not found');
    expect(readyCount(u, 'envdump')).toBe(0);
  });
});

describe('images neither simulated nor mapped, and the honours-PORT app', () => {
  const APP = `
apiVersion: v1
kind: Pod
metadata: { name: app-0, namespace: cmds, labels: { app: a } }
spec:
  containers:
    - name: app
      image: ghcr.io/me/app:2
      env: [{ name: PORT, value: "41102" }]
---
apiVersion: v1
kind: Pod
metadata: { name: app-1, namespace: cmds, labels: { app: a } }
spec:
  containers:
    - name: app
      image: ghcr.io/me/app:3
      env: [{ name: PORT, value: "41102" }]
`;

  it('an unknown image runs nothing and is said once, with the YAML that maps it', async () => {
    const u = await up(APP.replace('ghcr.io/me/app:3', 'ghcr.io/me/app:2'), {});
    expect(u.pods.listening).toEqual([]);
    expect(u.pods.imageHints).toHaveLength(1);
    expect(u.pods.imageHints[0]).toContain(
      'add to .portchain.yaml:\nimages:\n  "ghcr.io/me/app":\n    command: [',
    );
  });

  it('honoursPort without a command serves the app page on $PORT of every pod', async () => {
    const u = await up(APP, { imageCommands: { 'ghcr.io/me/app': { honoursPort: true } } });
    for (const pod of u.plan.pods) {
      const r = await get(pod.ip, 41102);
      expect(r.status).toBe(200);
      expect(r.body).toContain(`pod cmds/${pod.name} (${pod.ip})`);
    }
    expect(u.pods.imageHints).toEqual([]);
  });
});

describe('container logs', () => {
  it('nginx writes its startup lines and one access line per request, in its log format', async () => {
    const u = await up(
      `apiVersion: v1
kind: Pod
metadata: { name: web, namespace: logs }
spec: { containers: [{ name: nginx, image: nginx:1.27 }] }
`,
      {},
    );
    const ip = u.plan.pods[0]?.ip as string;
    await get(ip, 41080, '/');
    await get(ip, 41080, '/missing');
    const log = u.pods.logs('logs', 'web', 'nginx');
    expect(log).toContain('/docker-entrypoint.sh: Configuration complete; ready for start up');
    const access = log.filter((l) => l.includes('HTTP/1.1"'));
    expect(access).toHaveLength(2);
    expect(access[0]).toMatch(
      /^127\.0\.0\.1 - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET \/ HTTP\/1\.1" 200 \d+ "-" "-" "-"$/,
    );
    expect(access[1]).toMatch(/"GET \/missing HTTP\/1\.1" 404 \d+ /);
    expect(u.pods.logs('logs', 'web')).toEqual(log);
    expect(u.pods.logs('logs', 'nope')).toEqual([]);
  });

  it('keeps the last 1000 lines', () => {
    const log = new ContainerLog();
    for (let i = 0; i < 1500; i++) log.write(`line ${i}\n`);
    log.write('partial');
    expect(log.snapshot()).toHaveLength(1000);
    expect(log.snapshot()[0]).toBe('line 500');
    log.flush();
    expect(log.snapshot().at(-1)).toBe('partial');
  });
});

describe('.portchain.yaml images: as a mapping', () => {
  it('is read with workingDir made absolute, and honoursPort becomes image knowledge', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portchain-config-'));
    const file = join(dir, '.portchain.yaml');
    writeFileSync(
      file,
      `images:
  registry.example.com/team/api:
    command: [node, server.js]
    workingDir: services/api
    env: { NODE_ENV: development }
  ghcr.io/me/app:2:
    honoursPort: true
`,
    );
    const { config } = loadConfigFile(file, '.portchain.yaml', RULE_IDS);
    expect(config.imageCommands?.['registry.example.com/team/api']).toEqual({
      command: ['node', 'server.js'],
      workingDir: join(dir, 'services/api'),
      env: { NODE_ENV: 'development' },
    });
    expect(config.images?.map((k) => [k.match, k.honoursPORT])).toEqual([[['ghcr.io/me/app'], true]]);
  });

  it('reports an entry that says neither command nor honoursPort, and unknown fields', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portchain-config-'));
    const file = join(dir, '.portchain.yaml');
    writeFileSync(
      file,
      'images:\n  myapp:\n    workingDir: x\n  other:\n    comand: [x]\n    honoursPort: true\n',
    );
    expect(() => loadConfigFile(file, '.portchain.yaml', RULE_IDS)).toThrow(
      /\.portchain\.yaml:2:3: images\.myapp: says neither `command`[^\n]*\n\.portchain\.yaml:5:5: images\.other\.comand: unknown setting; did you mean "command"\?/,
    );
  });

  it('matches the most specific key: digest, then tag, then the bare name (Docker Hub names normalised)', () => {
    const commands = {
      nginx: { command: ['a'] },
      'docker.io/library/nginx:1.27': { command: ['b'] },
      'nginx@sha256:abc': { command: ['c'] },
      'ghcr.io/x/y:latest': { command: ['d'] },
    };
    expect(findImageCommand('nginx:1.26', commands)?.entry.command).toEqual(['a']);
    expect(findImageCommand('nginx:1.27', commands)?.entry.command).toEqual(['b']);
    expect(findImageCommand('docker.io/nginx:1.27@sha256:abc', commands)?.entry.command).toEqual(['c']);
    expect(findImageCommand('ghcr.io/x/y', commands)?.entry.command).toEqual(['d']);
    expect(findImageCommand('ghcr.io/x/y:2', commands)).toBeUndefined();
    expect(findImageCommand('quay.io/nginx', commands)).toBeUndefined();
  });
});
