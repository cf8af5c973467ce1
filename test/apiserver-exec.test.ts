/**
 * The exec subresource of `portchain up --api` (src/apiserver/exec.ts): the real kubectl and
 * @kubernetes/client-node's Exec (the code path `--probe` uses) read a pod's /proc/net/tcp, which lists exactly
 * the sockets the pod's containers really bound (checked with real connects); a program the image lacks fails
 * as containerd fails it; the API's refusals before the upgrade; the older channel protocols; stdin; SPDY
 * (kubectl's transport before 1.30); discovery listing pods/exec.
 * kubectl cases are skipped, saying so, where kubectl is absent.
 * Addresses: pods 127.131/16, Services 127.132/16, LBs 127.133/16, node 127.130.0.1; ports 46000-46499.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Exec, KubeConfig, type V1Status } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { type ApiServer, startApiServer } from '../src/apiserver/server.js';
import { parseProcNet, TCP_LISTEN } from '../src/runtime/proc-net.js';
import { startUp, type Up } from '../src/runtime/up.js';
import { hasKubectl, runKubectl, warnWithoutKubectl } from './helpers/kubectl.js';
import { connects, POD_IP_SERVER_JS, webAndDnsPods } from './helpers/pod-fixtures.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

warnWithoutKubectl('apiserver-exec');

const addressBase = {
  pods: '127.131.0.0',
  services: '127.132.0.0',
  loadBalancers: '127.133.0.0',
  node: '127.130.0.1',
};
const LOW = 46000;

const MANIFESTS = `${webAndDnsPods('ex', 46202)}---
apiVersion: v1
kind: Pod
metadata: { name: app, namespace: ex }
spec:
  containers:
    - name: app
      image: registry.example.com/ex/app:1
      env:
        - { name: PORT, value: "46210" }
        - { name: POD_IP, valueFrom: { fieldRef: { fieldPath: status.podIP } } }
      ports: [{ containerPort: 46210 }]
---
apiVersion: v1
kind: Pod
metadata: { name: gone, namespace: ex }
spec:
  restartPolicy: Never
  containers:
    - name: quits
      image: registry.example.com/ex/quits:1
---
apiVersion: v1
kind: Pod
metadata: { name: crashy, namespace: ex }
spec:
  containers:
    - name: quits
      image: registry.example.com/ex/quits:1
`;

let dir = '';
let up: Up;
let api: ApiServer;

/** kubectl 1.30+ falls back to SPDY when WebSocket fails; this makes it speak SPDY from the start. */
const SPDY_ENV = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
let kubectlEnv: Record<string, string> = {};

const kubectlWithInput = (input: string | undefined, ...args: string[]) =>
  runKubectl({ kubeconfig: api.kubeconfigPath, cacheDir: join(dir, 'cache'), env: kubectlEnv, input }, [
    '--request-timeout',
    '20s',
    ...args,
  ]);
const kubectl = (...args: string[]) => kubectlWithInput(undefined, ...args);
/** `kubectl exec` in pod web's echo container. */
const execInEcho = (...command: string[]) =>
  kubectl('exec', '-n', 'ex', 'web', '-c', 'echo', '--', ...command);
/** `kubectl exec -i ... cat` in pod web's echo container, `input` on its stdin. */
const catInEcho = (input: string) =>
  kubectlWithInput(input, 'exec', '-i', '-n', 'ex', 'web', '-c', 'echo', '--', 'cat');

/** The port the process really bound for a container port (the plan's lowPortOffset). */
const bound = (port: number) => (port < 1024 ? port + LOW : port);

const listenPorts = (table: string, ip: string) =>
  parseProcNet(table, 'tcp')
    .filter((s) => s.state === TCP_LISTEN && s.address === ip)
    .map((s) => s.port)
    .sort((a, b) => a - b);

const podIP = (name: string) => up.plan.pods.find((p) => p.name === name)?.ip as string;

/** A raw exec WebSocket: the frames received, by stream. */
function rawExec(
  path: string,
  protocols: string[],
  send: (ws: WebSocket) => void = () => {},
): Promise<{ protocol: string; frames: { stream: number; text: string }[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${api.url.replace('https', 'wss')}${path}`, protocols, {
      headers: { Authorization: `Bearer ${api.token}` },
      ca: api.caCert,
    });
    const frames: { stream: number; text: string }[] = [];
    ws.on('open', () => send(ws));
    ws.on('message', (d: Buffer) =>
      frames.push({ stream: d[0] ?? -1, text: d.subarray(1).toString('utf8') }),
    );
    ws.on('close', () => resolve({ protocol: ws.protocol, frames }));
    ws.on('error', reject);
  });
}

/** What an exec session wrote on stdout (stream 1), its frames joined. */
const stdoutOf = (frames: { stream: number; text: string }[]) =>
  frames
    .filter((f) => f.stream === 1)
    .map((f) => f.text)
    .join('');

/** A plain HTTPS request (an upgrade when `upgrade` is set): status and body. */
function request(
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${api.url}${path}`, { method, headers, ca: api.caCert }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    // An upgrade refused before the 101 comes back as an ordinary response.
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portchain-exec-'));
  writeFileSync(join(dir, 'app.js'), POD_IP_SERVER_JS);
  const sources = [{ name: 'ex.yaml', text: MANIFESTS }];
  up = await startUp(sources, {
    addressBase,
    lowPortOffset: LOW,
    imageCommands: {
      'registry.example.com/ex/app': { command: [process.execPath, join(dir, 'app.js')] },
      'registry.example.com/ex/quits': { command: [process.execPath, '-e', 'process.exit(3)'] },
    },
    // `crashy` crashes at once: its restarts come 1 s, then 2 s, 4 s... apart (the kubelet's 10 s, shortened);
    // `gone` too, but restartPolicy Never keeps it down.
    restartBackoffMs: 1000,
  });
  api = await startApiServer({
    up,
    sources,
    port: 0,
    kubeconfigPath: join(dir, 'kubeconfig'),
    readinessPollMs: 200,
  });
  // The local command binds a moment after it starts.
  const end = Date.now() + 10_000;
  while (!(await connects(podIP('app'), 46210)) && Date.now() < end)
    await new Promise((r) => setTimeout(r, 50));
});

afterAll(async () => {
  await api?.close();
  await up?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasKubectl)('kubectl exec against portchain up', () => {
  it('cat /proc/net/tcp lists as LISTEN exactly the ports the simulated containers bound', async () => {
    const ip = podIP('web');
    const r = await execInEcho('cat', '/proc/net/tcp');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]?.trim()).toBe(
      'sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    );
    const ports = listenPorts(r.stdout, ip);
    expect(ports).toEqual([80, 46202]);
    // What the pod spec asked for is what really answers.
    const planned = up.plan.pods
      .find((p) => p.name === 'web')
      ?.containers.flatMap((c) => c.binds.map((b) => b.port))
      .sort((a, b) => a - b);
    expect(ports).toEqual(planned);
    for (const p of ports) expect(await connects(ip, bound(p)), `connect ${ip}:${bound(p)}`).toBe(true);
    // A port not listed refuses.
    expect(await connects(ip, 46203)).toBe(false);
    // One network namespace per pod: the other container sees the same listeners.
    const other = await kubectl('exec', '-n', 'ex', 'web', '-c', 'nginx', '--', 'cat', '/proc/net/tcp');
    expect(listenPorts(other.stdout, ip)).toEqual(ports);
  });

  it('cat of the four tables: tcp, tcp6, udp, udp6 in a row (the --probe command)', async () => {
    const ip = podIP('dns');
    const r = await kubectl(
      'exec',
      '-n',
      'ex',
      'dns',
      '--',
      'cat',
      '/proc/net/tcp',
      '/proc/net/tcp6',
      '/proc/net/udp',
      '/proc/net/udp6',
    );
    expect(r.code).toBe(0);
    const all = parseProcNet(r.stdout);
    expect(all.filter((s) => s.listening).map((s) => `${s.file} ${s.address}:${s.port}`)).toEqual([
      `tcp ${ip}:53`,
      `udp ${ip}:53`,
    ]);
    expect(r.stdout.match(/ sl {2}local_address/g)).toHaveLength(4);
  });

  it('a mapped local command: its real socket, on the pod IP', async () => {
    const ip = podIP('app');
    const r = await kubectl('exec', '-n', 'ex', 'app', '--', 'cat', '/proc/net/tcp');
    expect(r.code).toBe(0);
    expect(listenPorts(r.stdout, ip)).toEqual([46210]);
    expect(await connects(ip, 46210)).toBe(true);
  });

  it('a program the image lacks fails as containerd fails it, and kubectl exits non-zero', async () => {
    const r = await kubectl('exec', '-n', 'ex', 'web', '-c', 'nginx', '--', 'ls');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^error: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "ls": executable file not found in \$PATH: unknown\n$/,
    );
  });

  it('cat of a missing file: its stderr and the exit code', async () => {
    const r = await execInEcho('cat', '/etc/passwd', '/proc/net');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'cat: /etc/passwd: No such file or directory\ncat: /proc/net: Is a directory\ncommand terminated with exit code 1\n',
    );
  });

  it('kubectl exec -i: stdin reaches cat until kubectl closes it', async () => {
    const r = await catInEcho('from kubectl\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('from kubectl\n');
  });

  it('a container that is not running: kubectl refuses a completed pod, the kubelet cannot find the container', async () => {
    const end = Date.now() + 10_000;
    while (up.pods.network('ex', 'gone')?.containers[0]?.running !== false && Date.now() < end)
      await new Promise((r) => setTimeout(r, 50));
    // kubectl reads the pod first and refuses a Failed one itself, as against a real cluster.
    await expect
      .poll(async () => (await kubectl('exec', '-n', 'ex', 'gone', '--', 'cat', '/proc/net/tcp')).stderr, {
        timeout: 10_000,
        interval: 200,
      })
      .toContain('cannot exec into a container in a completed pod; current phase is Failed');
    // Asked directly, the API's answer is the kubelet's.
    const direct = await request('GET', '/api/v1/namespaces/ex/pods/gone/exec?command=cat&stdout=1', {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Protocol': 'v4.channel.k8s.io',
      Authorization: `Bearer ${api.token}`,
    });
    expect(direct.status).toBe(500);
    expect(direct.body).toContain('container not found ("quits")');
  });

  it('a container that exited under restartPolicy Never: the pod Failed, its container terminated (Error, code 3)', async () => {
    await expect
      .poll(
        async () =>
          (await kubectl('get', 'pod', 'gone', '-n', 'ex', '--no-headers')).stdout
            .trim()
            .split(/\s+/)
            .slice(1, 4),
        {
          timeout: 10_000,
          interval: 200,
        },
      )
      .toEqual(['0/1', 'Error', '0']);
    const r = await kubectl(
      'get',
      'pod',
      'gone',
      '-n',
      'ex',
      '-o',
      'jsonpath={.status.phase} {.status.containerStatuses[0].state.terminated.exitCode} {.status.containerStatuses[0].state.terminated.reason}',
    );
    expect(r.stdout).toBe('Failed 3 Error');
  });

  it('a container that keeps crashing: kubectl get pods shows CrashLoopBackOff and its restarts', async () => {
    const row = async () =>
      (await kubectl('get', 'pod', 'crashy', '-n', 'ex', '--no-headers')).stdout.trim().split(/\s+/);
    // NAME READY STATUS RESTARTS AGE, as the kubelet's status sync writes them.
    await expect
      .poll(
        async () => {
          const [, ready, status, restarts] = await row();
          return { ready, status, restarted: Number(restarts) >= 1 };
        },
        { timeout: 20_000, interval: 300 },
      )
      .toEqual({ ready: '0/1', status: 'CrashLoopBackOff', restarted: true });
    const waiting = await kubectl(
      'get',
      'pod',
      'crashy',
      '-n',
      'ex',
      '-o',
      'jsonpath={.status.containerStatuses[0].state.waiting.message}',
    );
    expect(waiting.stdout).toMatch(/^back-off \d+s restarting failed container=quits pod=crashy_ex$/);
  });

  it('over SPDY (kubectl before 1.30): the same table, errors, exit codes and stdin', async () => {
    kubectlEnv = SPDY_ENV;
    try {
      const ip = podIP('web');
      const table = await execInEcho('cat', '/proc/net/tcp');
      expect(table.stderr).toBe('');
      expect(table.code).toBe(0);
      expect(listenPorts(table.stdout, ip)).toEqual([80, 46202]);
      const missing = await execInEcho('cat', '/x');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe(
        'cat: /x: No such file or directory\ncommand terminated with exit code 1\n',
      );
      const ls = await execInEcho('ls');
      expect(ls.code).not.toBe(0);
      expect(ls.stderr).toContain('exec: "ls": executable file not found in $PATH: unknown');
      const echo = await catInEcho('over spdy\n');
      expect(echo.code).toBe(0);
      expect(echo.stdout).toBe('over spdy\n');
      const bad = await kubectl('exec', '-n', 'ex', 'web', '-c', 'bogus', '--', 'cat', '/proc/net/tcp');
      expect(bad.stderr).toContain('container bogus is not valid for pod web');
    } finally {
      kubectlEnv = {};
    }
  });

  it('refuses before the upgrade as the API server does: unknown pod, unknown container', async () => {
    const missing = await kubectl('exec', '-n', 'ex', 'nope', '--', 'cat', '/proc/net/tcp');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('Error from server (NotFound): pods "nope" not found');
    const bad = await kubectl('exec', '-n', 'ex', 'web', '-c', 'bogus', '--', 'cat', '/proc/net/tcp');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('container bogus is not valid for pod web');
  });
});

describe('@kubernetes/client-node Exec against portchain up', () => {
  const kc = () => {
    const k = new KubeConfig();
    k.loadFromFile(api.kubeconfigPath);
    return k;
  };

  const run = async (pod: string, container: string, command: string[]) => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kc())
        .exec('ex', pod, container, command, stdout, stderr, null, false, resolve)
        .then((ws) => ws.on('close', () => setTimeout(() => reject(new Error('closed without status')), 200)))
        .catch(reject);
    });
    return { out, err, status };
  };

  it('reads the same table as the kernel layout says, with a Success status', async () => {
    const ip = podIP('web');
    const r = await run('web', 'echo', ['cat', '/proc/net/tcp']);
    expect(r.status).toEqual({ metadata: {}, status: 'Success' });
    expect(r.err).toBe('');
    const ports = listenPorts(r.out, ip);
    expect(ports).toEqual([80, 46202]);
    for (const p of ports) expect(await connects(ip, bound(p))).toBe(true);
    // Lines padded to 149 characters, as tcp4_seq_show pads them.
    for (const line of r.out.split('\n').filter(Boolean)) expect(line).toHaveLength(149);
  });

  it('the mapped command too', async () => {
    const r = await run('app', 'app', ['cat', '/proc/net/tcp', '/proc/net/tcp6']);
    expect(r.status.status).toBe('Success');
    expect(listenPorts(r.out, podIP('app'))).toEqual([46210]);
  });

  it('a non-zero exit: Failure, reason NonZeroExitCode, the code as the ExitCode cause', async () => {
    const r = await run('web', 'nginx', ['cat', '/nope']);
    expect(r.err).toBe('cat: /nope: No such file or directory\n');
    expect(r.status).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [cat /nope], exit code 1',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '1' }] },
    });
  });
});

describe('the exec protocol', () => {
  const path = (pod: string, q: string) => `/api/v1/namespaces/ex/pods/${pod}/exec?${q}`;

  it('discovery lists pods/exec as a real API server does', async () => {
    const r = await request('GET', '/api/v1', { Authorization: `Bearer ${api.token}` });
    const list = JSON.parse(r.body) as { resources: { name: string; kind: string; verbs: string[] }[] };
    expect(list.resources.find((x) => x.name === 'pods/exec')).toMatchObject({
      kind: 'PodExecOptions',
      verbs: ['create', 'get'],
    });
  });

  it('negotiates the first protocol the client offers; v4 ends with the status, channel.k8s.io with text', async () => {
    const v4 = await rawExec(path('web', 'command=cat&command=/x&container=echo&stdout=1&stderr=1'), [
      'v4.channel.k8s.io',
      'v5.channel.k8s.io',
    ]);
    expect(v4.protocol).toBe('v4.channel.k8s.io');
    expect(v4.frames[0]).toEqual({ stream: 1, text: '' });
    expect(v4.frames.slice(1)).toEqual([
      { stream: 2, text: 'cat: /x: No such file or directory\n' },
      {
        stream: 3,
        text: '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [cat /x], exit code 1","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"1"}]}}',
      },
    ]);
    const v1 = await rawExec(path('web', 'command=cat&command=/x&container=echo&stdout=1&stderr=1'), [
      'channel.k8s.io',
    ]);
    expect(v1.protocol).toBe('channel.k8s.io');
    expect(v1.frames.at(-1)).toEqual({
      stream: 3,
      text: 'command terminated with non-zero exit code: error executing command [cat /x], exit code 1',
    });
    const ok = await rawExec(path('web', 'command=cat&command=/proc/net/udp&container=echo&stdout=1'), [
      'channel.k8s.io',
    ]);
    expect(ok.frames.filter((f) => f.stream === 3)).toEqual([]);
  });

  it('cat with stdin on v5: echoes what the client sends until it closes stream 0', async () => {
    const r = await rawExec(
      path('web', 'command=cat&container=echo&stdin=true&stdout=true'),
      ['v5.channel.k8s.io'],
      (ws) => {
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('hello ')]));
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('pod\n')]));
        ws.send(Buffer.from([255, 0]));
      },
    );
    expect(stdoutOf(r.frames)).toBe('hello pod\n');
    expect(r.frames.at(-1)).toEqual({ stream: 3, text: '{"metadata":{},"status":"Success"}' });
  });

  it('a TTY writes \\r\\n and has no stderr', async () => {
    const r = await rawExec(path('web', 'command=cat&command=/x&container=echo&stdout=1&tty=true'), [
      'v5.channel.k8s.io',
    ]);
    expect(stdoutOf(r.frames)).toBe('cat: /x: No such file or directory\r\n');
    expect(r.frames.some((f) => f.stream === 2)).toBe(false);
  });

  it('refusals before the upgrade: token, pod, container, streams, a plain request; port-forward keeps its own', async () => {
    const ws = {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Protocol': 'v5.channel.k8s.io',
    };
    const auth = { Authorization: `Bearer ${api.token}` };
    const q = 'command=cat&stdout=1';
    expect((await request('GET', path('web', q), { ...ws, Authorization: 'Bearer wrong' })).status).toBe(401);
    const missing = await request('GET', path('nope', q), { ...ws, ...auth });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({
      reason: 'NotFound',
      message: 'pods "nope" not found',
      code: 404,
    });
    const which = await request('GET', path('web', q), { ...ws, ...auth });
    expect(which.status).toBe(400);
    expect(JSON.parse(which.body).message).toBe(
      'a container name must be specified for pod web, choose one of: [nginx echo]',
    );
    const noStreams = await request('POST', path('web', 'command=cat&container=echo'), { ...ws, ...auth });
    expect(noStreams).toEqual({
      status: 400,
      body: 'you must specify at least 1 of stdin, stdout, stderr\n',
    });
    const plain = await request('POST', path('web', `${q}&container=echo`), auth);
    expect(plain.status).toBe(400);
    expect(JSON.parse(plain.body).message).toBe('Upgrade request required');
    const pf = await request('GET', '/api/v1/namespaces/ex/pods/web/portforward', { ...ws, ...auth });
    expect(pf.status).toBe(400);
    expect(pf.body).toContain('SPDY/3.1+portforward.k8s.io');
  });
});
