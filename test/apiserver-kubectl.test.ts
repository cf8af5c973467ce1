/**
 * The real kubectl drives `portchain up` through its Kubernetes API: discovery, server-side tables, apply
 * (create, update with strategic merge patch, --dry-run=server, --server-side), describe, -o yaml, watch, logs,
 * port-forward (SPDY over WebSocket) then curl, and the API's refusals (422 with the semantic core's causes,
 * nodePort conflicts, 409 conflicts, AlreadyExists, NotFound). Skipped, saying so, where kubectl is absent.
 * Addresses: pods 127.101/16, Services 127.102/16, LBs 127.103/16, node 127.100.0.1, low ports +46000.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type ApiServer, startApiServer } from '../src/apiserver/server.js';
import { check } from '../src/check.js';
import { rejectsObject } from '../src/rules/rejection.js';
import { startUp, type Up } from '../src/runtime/up.js';
import { hasKubectl, runKubectl } from './helpers/kubectl.js';

const ADDRESSES = {
  pods: '127.101.0.0',
  services: '127.102.0.0',
  loadBalancers: '127.103.0.0',
  node: '127.100.0.1',
};
const LOW = 46000;
const source = (path: string) => ({ name: path, text: readFileSync(path, 'utf8') });
const SEED = [
  'examples/node-port-and-load-balancer/0-sound.yaml',
  'examples/named-port/0-sound.yaml',
  'examples/two-ports-one-pod/0-sound.yaml',
];

let dir = '';
let up: Up;
let api: ApiServer;
const children = new Set<ChildProcess>();

const kubectl = (...args: string[]) =>
  runKubectl({ kubeconfig: api.kubeconfigPath, cacheDir: join(dir, 'cache') }, args);

/** Starts a long-running kubectl; resolves once `ready` matches its stdout. */
function kubectlUntil(
  ready: RegExp,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; match: RegExpMatchArray; out: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'kubectl',
      ['--kubeconfig', api.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args],
      {
        env: { ...process.env, KUBECONFIG: '', ...env },
      },
    );
    children.add(child);
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`kubectl ${args.join(' ')}: no ${ready} in ${out} ${err}`)),
      15_000,
    );
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = out.match(ready);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m, out: () => out });
      }
    });
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
    });
  });
}

function httpGet(host: string, port: number): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

const rows = (table: string) =>
  table
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));

const until = async (what: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe.skipIf(!hasKubectl)('kubectl against portchain up (skipped when kubectl is not on PATH)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portchain-apiserver-'));
    const sources = SEED.map(source);
    up = await startUp(sources, { addressBase: ADDRESSES, lowPortOffset: LOW });
    api = await startApiServer({ up, sources, port: 0, kubeconfigPath: join(dir, 'kubeconfig') });
  }, 60_000);

  afterAll(async () => {
    for (const c of children) c.kill();
    await api?.close();
    await up?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes a kubeconfig whose context, cluster and user are named portchain', () => {
    const cfg = parse(readFileSync(api.kubeconfigPath, 'utf8')) as Record<string, unknown>;
    expect(cfg['current-context']).toBe('portchain');
    expect(JSON.stringify(cfg)).toContain(api.url);
  });

  it('refuses requests without the bearer token (401)', async () => {
    const r = await kubectl('get', 'svc', '--token', 'wrong');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /error: You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)/,
    );
  });

  it('kubectl get svc prints the server-side table of a real API server', async () => {
    const r = await kubectl('get', 'svc', '-A');
    expect(r.code).toBe(0);
    const t = rows(r.stdout);
    expect(t[0]).toEqual(['NAMESPACE', 'NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    for (const s of up.plan.services) {
      const row = t.find((x) => x[0] === s.namespace && x[1] === s.name);
      expect(row, `${s.namespace}/${s.name}`).toBeDefined();
      const ports = s.ports.map((p) =>
        p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`,
      );
      expect(row?.slice(2, 6)).toEqual([
        s.type,
        s.clusterIP ?? 'None',
        s.type === 'LoadBalancer' ? (s.loadBalancerIP ?? '<pending>') : '<none>',
        ports.join(','),
      ]);
      expect(row?.[6]).toMatch(/^\d+s$/);
    }
    expect(r.stdout).toContain('80:31111/TCP');
    const wide = await kubectl('get', 'svc', '-n', 'named-port', '-o', 'wide');
    expect(rows(wide.stdout)[0]).toEqual([
      'NAME',
      'TYPE',
      'CLUSTER-IP',
      'EXTERNAL-IP',
      'PORT(S)',
      'AGE',
      'SELECTOR',
    ]);
    expect(rows(wide.stdout)[1]?.[6]).toBe('app=web');
  });

  it('kubectl get endpoints and endpointslices show the endpoints the semantic core computed', async () => {
    const svc = up.plan.services.find((s) => s.namespace === 'named-port' && s.name === 'web');
    const expected = (svc?.ports[0]?.endpoints ?? []).map((e) => `${e.ip}:${e.port}`);
    expect(expected.length).toBeGreaterThan(0);
    const ep = await kubectl('get', 'endpoints', '-n', 'named-port');
    expect(rows(ep.stdout)[0]).toEqual(['NAME', 'ENDPOINTS', 'AGE']);
    expect(rows(ep.stdout)[1]?.slice(0, 2)).toEqual(['web', expected.join(',')]);
    const slices = await kubectl('get', 'endpointslices', '-n', 'named-port');
    expect(rows(slices.stdout)[0]).toEqual(['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
    const row = rows(slices.stdout)[1];
    expect(row?.[0]).toMatch(/^web-[a-z0-9]{5}$/);
    expect(row?.slice(1, 4)).toEqual([
      'IPv4',
      String(svc?.ports[0]?.endpoints[0]?.port),
      expected.map((e) => e.split(':')[0]).join(','),
    ]);
  });

  it('kubectl get pods -o wide and deployments read the running plan', async () => {
    const pods = await kubectl('get', 'pods', '-n', 'named-port', '-o', 'wide');
    const t = rows(pods.stdout);
    expect(t[0]).toEqual([
      'NAME',
      'READY',
      'STATUS',
      'RESTARTS',
      'AGE',
      'IP',
      'NODE',
      'NOMINATED NODE',
      'READINESS GATES',
    ]);
    const planned = up.plan.pods.filter((p) => p.namespace === 'named-port');
    expect(t.length - 1).toBe(planned.length);
    for (const p of planned) {
      const row = t.find((x) => x[0] === p.name);
      expect(row?.slice(1, 4)).toEqual(['1/1', 'Running', '0']);
      expect(row?.[5]).toBe(p.ip);
    }
    const deploy = await kubectl('get', 'deploy', '-n', 'named-port');
    expect(rows(deploy.stdout)[0]).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(rows(deploy.stdout)[1]?.slice(0, 4)).toEqual([
      'web',
      `${planned.length}/${planned.length}`,
      String(planned.length),
      String(planned.length),
    ]);
  });

  it("kubectl get rs and describe deployment show the Deployment's ReplicaSet, which owns the pods", async () => {
    const planned = up.plan.pods.filter((p) => p.namespace === 'named-port');
    const rs = await kubectl('get', 'rs', '-n', 'named-port', '-o', 'wide');
    expect(rs.stderr).toBe('');
    const t = rows(rs.stdout);
    expect(t[0]).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(t).toHaveLength(2);
    const name = t[1]?.[0] ?? '';
    const n = String(planned.length);
    expect(t[1]?.slice(1, 4)).toEqual([n, n, n]);
    // The pods are `<replicaset>-<suffix>`, and the selector adds pod-template-hash.
    for (const p of planned) expect(p.name.startsWith(`${name}-`)).toBe(true);
    expect(t[1]?.[7]).toBe(`app=web,pod-template-hash=${name.slice('web-'.length)}`);
    const d = await kubectl('describe', 'deployment', 'web', '-n', 'named-port');
    expect(d.stderr).toBe('');
    expect(d.stdout).toMatch(new RegExp(`NewReplicaSet:\\s+${name} \\(${n}/${n} replicas created\\)`));
    const pod = await kubectl('describe', 'pod', planned[0]?.name ?? '', '-n', 'named-port');
    expect(pod.stdout).toMatch(new RegExp(`Controlled By:\\s+ReplicaSet/${name}`));
    const del = await kubectl('delete', 'rs', name, '-n', 'named-port');
    expect(del.code).not.toBe(0);
    expect(del.stderr).toContain('delete is not supported on resources of kind "replicasets.apps"');
  });

  it('kubectl describe service and pod, and get -o yaml', async () => {
    const d = await kubectl('describe', 'service', 'web', '-n', 'named-port');
    expect(d.code).toBe(0);
    const svc = up.plan.services.find((s) => s.namespace === 'named-port' && s.name === 'web');
    expect(d.stdout).toMatch(new RegExp(`IP:\\s+${svc?.clusterIP?.replace(/\./g, '\\.')}`));
    expect(d.stdout).toMatch(/TargetPort:\s+http-web\/TCP/);
    expect(d.stdout).toContain((svc?.ports[0]?.endpoints ?? []).map((e) => `${e.ip}:${e.port}`).join(','));
    expect(d.stdout).toMatch(/Events:\s+<none>/);
    const pod = up.plan.pods.find((p) => p.namespace === 'two-ports');
    const dp = await kubectl('describe', 'pod', pod?.name ?? '', '-n', 'two-ports');
    expect(dp.code).toBe(0);
    expect(dp.stdout).toMatch(new RegExp(`IP:\\s+${pod?.ip.replace(/\./g, '\\.')}`));
    const y = await kubectl('get', 'svc', 'whoami-nodeport', '-n', 'node-ports', '-o', 'yaml');
    const o = parse(y.stdout) as {
      spec: { ports: { nodePort: number }[]; clusterIP: string };
      metadata: Record<string, string>;
    };
    expect(o.spec.ports[0]?.nodePort).toBe(31111);
    expect(o.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(o.metadata.resourceVersion)).toBeGreaterThan(0);
  });

  it('kubectl apply creates, leaves unchanged, and updates (strategic merge patch); apply then curl', async () => {
    const file = 'examples/three-apps-port-80/0-sound.yaml';
    const created = await kubectl('apply', '-f', file);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('service/static created');
    expect(created.stdout).toContain('deployment.apps/static created');
    const again = await kubectl('apply', '-f', file);
    expect(again.stdout).toContain('service/static unchanged');
    const changed = join(dir, 'three-apps.yaml');
    const text = readFileSync(file, 'utf8');
    // Service static moves from port 80 to 8081 (its Deployment stays).
    const staticAt = text.indexOf('name: static\n  namespace: three-apps\nspec:\n  selector');
    expect(staticAt).toBeGreaterThan(0);
    writeFileSync(
      changed,
      text.slice(0, staticAt) + text.slice(staticAt).replace('port: 80\n', 'port: 8081\n'),
    );
    const updated = await kubectl('apply', '-f', changed);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain('service/static configured');
    const svc = up.plan.services.find((s) => s.namespace === 'three-apps' && s.name === 'static');
    expect(svc?.ports.map((p) => p.port)).toEqual([8081]);
    const res = await httpGet(svc?.clusterIP ?? '', 8081);
    expect(res).toMatchObject({ status: 200 });
  });

  it('kubectl apply --dry-run=server admits but stores nothing', async () => {
    const file = join(dir, 'named-port-dry.yaml');
    writeFileSync(
      file,
      readFileSync('examples/named-port/0-sound.yaml', 'utf8').replace('port: 80\n', 'port: 8082\n'),
    );
    const before = await kubectl('get', 'svc', 'web', '-n', 'named-port', '-o', 'json');
    const r = await kubectl('apply', '-f', file, '--dry-run=server');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('service/web configured (server dry run)');
    const after = await kubectl('get', 'svc', 'web', '-n', 'named-port', '-o', 'json');
    expect(after.stdout).toBe(before.stdout);
    // A namespace that a dry run "creates" does not exist for the objects after it, as on a real server.
    const fresh = await kubectl(
      'apply',
      '-f',
      'examples/port-from-configmap/0-sound.yaml',
      '--dry-run=server',
    );
    expect(fresh.stdout).toContain('namespace/port-from-configmap created (server dry run)');
    expect(fresh.stderr).toContain('namespaces "port-from-configmap" not found');
  });

  it('kubectl apply --server-side, twice, keeps 53/UDP and 53/TCP apart', async () => {
    const file = 'examples/dns-tcp-udp/0-sound.yaml';
    const first = await kubectl('apply', '--server-side', '-f', file);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('service/dns serverside-applied');
    const second = await kubectl('apply', '--server-side', '-f', file);
    expect(second.code, second.stderr).toBe(0);
    const r = await kubectl('get', 'svc', 'dns', '-n', 'dns-tcp-udp');
    expect(rows(r.stdout)[1]?.[4]).toBe('53/UDP,53/TCP');
  });

  it('a broken Service is refused with the 422 the semantic core predicts', async () => {
    const file = 'examples/named-port/3-broken-quoted.yaml';
    const predicted = check([source(file)]).findings.filter(
      (f) => rejectsObject(f) && f.object?.kind === 'Service',
    );
    expect(predicted).toHaveLength(1);
    const r = await kubectl('apply', '-f', file);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toContain(`The ${predicted[0]?.message}`);
  });

  it('a nodePort conflict says the port is already allocated', async () => {
    const r = await kubectl('apply', '-f', 'examples/node-port-and-load-balancer/1-broken-duplicate.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'The Service "whoami" is invalid: spec.ports[0].nodePort: Invalid value: 31111: provided port is already allocated',
    );
  });

  it('AlreadyExists, NotFound and a stale resourceVersion (409 Conflict) read as from a real server', async () => {
    const exists = await kubectl('create', '-f', 'examples/named-port/0-sound.yaml');
    expect(exists.stderr).toContain(
      'Error from server (AlreadyExists): error when creating "examples/named-port/0-sound.yaml": services "web" already exists',
    );
    const missing = await kubectl('get', 'svc', 'nope', '-n', 'named-port');
    expect(missing.stderr.trim()).toBe('Error from server (NotFound): services "nope" not found');
    const stale = await kubectl('get', 'svc', 'web', '-n', 'named-port', '-o', 'json');
    await kubectl('label', 'svc', 'web', '-n', 'named-port', 'touched=yes');
    const staleFile = join(dir, 'stale.json');
    writeFileSync(staleFile, stale.stdout);
    const replaced = await kubectl('replace', '-f', staleFile);
    expect(replaced.code).toBe(1);
    expect(replaced.stderr).toContain(
      'Operation cannot be fulfilled on services "web": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('kubectl get -w streams changes', async () => {
    const watch = await kubectlUntil(/whoami-lb/, [
      'get',
      'svc',
      '-n',
      'node-ports',
      '-w',
      '--request-timeout=20s',
    ]);
    const before = watch.out().split('\n').length;
    await kubectl('label', 'svc', 'whoami-lb', '-n', 'node-ports', 'watched=yes');
    await until(() => watch.out().split('\n').length > before);
    expect(watch.out().trim().split('\n').at(-1)).toMatch(/^whoami-lb\s+LoadBalancer/);
    watch.child.kill();
  });

  it('kubectl logs reads the simulated container', async () => {
    const pod = up.plan.pods.find((p) => p.namespace === 'two-ports');
    const r = await kubectl('logs', pod?.name ?? '', '-n', 'two-ports', '-c', 'nginx');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      up.pods
        .logs('two-ports', pod?.name ?? '', 'nginx')
        .map((l) => `${l}\n`)
        .join(''),
    );
  });

  it('kubectl port-forward svc/NAME then curl through it; pod/NAME too', async () => {
    const pf = await kubectlUntil(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/, [
      'port-forward',
      '-n',
      'named-port',
      'svc/web',
      ':80',
    ]);
    expect(pf.match[2]).toBe('8080'); // kubectl translated the named targetPort http-web
    for (let i = 0; i < 3; i++) {
      const res = await httpGet('127.0.0.1', Number(pf.match[1]));
      expect(res).toMatchObject({ status: 200 });
    }
    pf.child.kill();
    const pod = up.plan.pods.find((p) => p.namespace === 'two-ports');
    const pf2 = await kubectlUntil(/Forwarding from 127\.0\.0\.1:(\d+) -> 9100/, [
      'port-forward',
      '-n',
      'two-ports',
      `pod/${pod?.name}`,
      ':9100',
    ]);
    const res = await httpGet('127.0.0.1', Number(pf2.match[1]));
    expect(res).toMatchObject({ status: 200 });
    pf2.child.kill();
  });

  it('kubectl port-forward over plain SPDY/3.1 (websockets off) carries traffic too', async () => {
    const pf = await kubectlUntil(
      /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/,
      ['port-forward', '-n', 'named-port', 'svc/web', ':80'],
      { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' },
    );
    const res = await httpGet('127.0.0.1', Number(pf.match[1]));
    expect(res).toMatchObject({ status: 200 });
    pf.child.kill();
  });

  it('kubectl delete removes the Service from the data plane', async () => {
    const svc = up.plan.services.find((s) => s.namespace === 'three-apps' && s.name === 'static');
    const r = await kubectl('delete', 'svc', 'static', '-n', 'three-apps');
    expect(r.stdout.trim()).toBe('service "static" deleted');
    expect(up.plan.services.some((s) => s.namespace === 'three-apps' && s.name === 'static')).toBe(false);
    const res = await httpGet(svc?.clusterIP ?? '', 8081);
    expect(res).toEqual({ error: 'ECONNREFUSED' });
  });
});
