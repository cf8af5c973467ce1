/**
 * `portchain up --watch` on real loopback sockets: editing the manifests reconciles the running data plane.
 * Addresses differ from runtime-up.test.ts (pods 127.2.x.y, Services 127.98.x.y, LoadBalancers 127.99.x.y,
 * ports below 1024 at +41000; the command test binds nothing but its ingress on port 0), so both files may run
 * in parallel.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { upCommand } from '../src/cli/up.js';
import { type ClusterPlan, planCluster } from '../src/runtime/plan.js';
import { startUp, type Up } from '../src/runtime/up.js';
import { type InputWatcher, watchInputs } from '../src/runtime/watch.js';
import { readSources } from '../src/sources/files.js';

const LOW = 41000;
const addressBase = { pods: '127.2.0.0', services: '127.98.0.0', loadBalancers: '127.99.0.0' };

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

type Outcome = { kind: 'delivered'; status: number; body: string } | { kind: 'refused'; code: string };

function get(host: string, port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 2000 }, (res) => {
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

/** Polls until `ok` holds (up to 5 s), returning the last outcome. */
async function until(probe: () => Promise<Outcome>, ok: (o: Outcome) => boolean): Promise<Outcome> {
  const deadline = Date.now() + 5000;
  let last = await probe();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    last = await probe();
  }
  return last;
}

const delivered = (text: string) => (o: Outcome) => o.kind === 'delivered' && o.body === `${text}\n`;

/** A Deployment whose http-echo listens on `listen`, names that port `portName`, and a Service on http-web. */
function manifest(ns: string, portName: string, listen: number, text: string, extra = ''): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: echo
        image: hashicorp/http-echo:1.0
        args: ["-listen=:${listen}", "-text=${text}"]
        ports:
        - name: ${portName}
          containerPort: ${listen}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ${ns}
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: http-web
${extra}`;
}

const otherService = (ns: string) => `---
apiVersion: v1
kind: Service
metadata:
  name: other
  namespace: ${ns}
spec:
  selector:
    app: web
  ports:
  - name: direct
    port: 7070
    targetPort: 8080
`;

async function startWatching(text: string): Promise<{ u: Up; w: InputWatcher; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'portchain-watch-'));
  const file = join(dir, 'app.yaml');
  writeFileSync(file, text);
  const read = () => readSources([dir], Readable.from(['']));
  const first = await read();
  const u = await startUp(first.sources, { lowPortOffset: LOW, addressBase, read: first });
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanup.push(() => u.close());
  const w = watchInputs([dir], u, {
    initial: first.sources,
    read,
    debounceMs: 50,
    onReconcile: () => undefined,
  });
  cleanup.push(() => w.close());
  return { u, w, file };
}

const clusterIP = (u: Up, ns: string, name = 'web') =>
  u.plan.services.find((s) => s.namespace === ns && s.name === name)?.clusterIP as string;

describe('portchain up --watch', () => {
  it('follows a named containerPort to its new number: the ClusterIP reaches the new port', async () => {
    const ns = 'watch-rename';
    const { u, file } = await startWatching(manifest(ns, 'http-web', 8080, 'v1', otherService(ns)));
    const ip = clusterIP(u, ns);
    expect(ip).toMatch(/^127\.98\.0\.\d+$/);
    const podIp = u.plan.pods[0]?.ip;
    expect(podIp).toBe('127.2.0.1');
    expect(await get(ip, 80 + LOW)).toEqual({ kind: 'delivered', status: 200, body: 'v1\n' });
    expect((await get(clusterIP(u, ns, 'other'), 7070)).kind).toBe('delivered');

    // The container now listens on 9090 and names that port http-web; the Service still says http-web.
    writeFileSync(file, manifest(ns, 'http-web', 9090, 'v2', otherService(ns)));
    const after = await until(() => get(ip, 80 + LOW), delivered('v2'));
    expect(after).toEqual({ kind: 'delivered', status: 200, body: 'v2\n' });
    expect(clusterIP(u, ns)).toBe(ip); // the Service keeps its clusterIP
    expect(u.plan.pods[0]?.ip).toBe(podIp); // and the pod its address
    expect(u.plan.services.find((s) => s.name === 'web')?.ports[0]?.endpoints.map((e) => e.port)).toEqual([
      9090,
    ]);
    expect((await get(podIp as string, 9090)).kind).toBe('delivered');
    expect((await get(podIp as string, 8080)).kind).toBe('refused'); // the old process stopped
  });

  it('refuses the ClusterIP when the name no longer resolves, and keeps the other Service', async () => {
    const ns = 'watch-unnamed';
    const { u, w, file } = await startWatching(manifest(ns, 'http-web', 8080, 'v1', otherService(ns)));
    const ip = clusterIP(u, ns);
    expect((await get(ip, 80 + LOW)).kind).toBe('delivered');
    writeFileSync(file, manifest(ns, 'web', 8080, 'v1', otherService(ns)));
    const report = await w.reconcileNow();
    expect(report.changes.join('; ')).toContain(`Service ${ns}/web updated (80/TCP → 0 ready)`);
    // No endpoint: kube-proxy REJECTs (connection refused), as Kubernetes does.
    const r = await until(
      () => get(ip, 80 + LOW),
      (o) => o.kind === 'refused',
    );
    expect(r).toEqual({ kind: 'refused', code: 'ECONNREFUSED' });
    // The Service targeting 8080 by number still reaches the pod.
    expect(await get(clusterIP(u, ns, 'other'), 7070)).toEqual({
      kind: 'delivered',
      status: 200,
      body: 'v1\n',
    });
  });

  it('keeps the last good state of a file that becomes invalid, and says so', async () => {
    const ns = 'watch-invalid';
    const { u, w, file } = await startWatching(manifest(ns, 'http-web', 8080, 'v1'));
    const ip = clusterIP(u, ns);
    writeFileSync(file, `${manifest(ns, 'http-web', 8080, 'v1')}\n  - : [unclosed\n`);
    const report = await w.reconcileNow();
    expect(report.kept).toHaveLength(1);
    expect(report.kept[0]).toContain('keep their last good state');
    expect(report.changes).toEqual([]);
    expect(await get(ip, 80 + LOW)).toEqual({ kind: 'delivered', status: 200, body: 'v1\n' });
    // Fixed again: applied.
    writeFileSync(file, manifest(ns, 'http-web', 8080, 'v3'));
    const fixed = await w.reconcileNow();
    expect(fixed.kept).toEqual([]);
    expect(await until(() => get(ip, 80 + LOW), delivered('v3'))).toEqual({
      kind: 'delivered',
      status: 200,
      body: 'v3\n',
    });
  });
});

describe('planCluster across reconciles', () => {
  it('keeps the addresses of pods and Services that stay, and gives new ones free addresses', () => {
    const plan = (text: string, previous?: ClusterPlan) => {
      const r = check([{ name: 'a.yaml', text }], {});
      return planCluster(r.graph, r.findings, { addressBase, ...(previous ? { previous } : {}) });
    };
    const a = manifest('keep-a', 'http-web', 8080, 'a');
    const b = manifest('keep-b', 'http-web', 8080, 'b');
    const first = plan(b);
    expect(first.pods.map((p) => p.ip)).toEqual(['127.2.0.1']);
    expect(first.services.map((s) => s.clusterIP)).toEqual(['127.98.0.1']);
    // keep-a comes first in the input now; keep-b keeps its addresses, keep-a gets the next free ones.
    const second = plan(`${a}---\n${b}`, first);
    expect(second.pods.map((p) => `${p.namespace} ${p.ip}`)).toEqual([
      'keep-a 127.2.0.2',
      'keep-b 127.2.0.1',
    ]);
    expect(second.services.map((s) => `${s.namespace} ${s.clusterIP}`)).toEqual([
      'keep-a 127.98.0.2',
      'keep-b 127.98.0.1',
    ]);
  });
});

describe('portchain up --watch: the command', () => {
  it('prints a reconciled line and the Service table again, and rewrites --state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portchain-watch-cli-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'svc.yaml');
    // A Service selecting nothing: nothing binds, so this cannot clash with other tests' addresses.
    const svc = (ports: string) =>
      `apiVersion: v1\nkind: Service\nmetadata:\n  name: lonely\n  namespace: watch-cli\nspec:\n  selector:\n    app: none\n  ports:\n${ports}`;
    writeFileSync(file, svc('  - name: http\n    port: 8081\n'));
    let stdout = '';
    let stop: () => void = () => undefined;
    const io = {
      stdout: (s: string) => {
        stdout += s;
      },
      stderr: () => undefined,
      stdin: Readable.from(['']),
      isTTY: false,
      env: {},
    };
    const state = join(dir, 'state.json');
    const program = new Command('portchain').exitOverride();
    let code = -1;
    program.addCommand(
      upCommand(
        io,
        (c) => {
          code = c;
        },
        () =>
          new Promise<void>((r) => {
            stop = r;
          }),
      ),
    );
    const done = program.parseAsync(
      [
        'up',
        file,
        '--watch',
        '--ingress-port',
        '0',
        '--low-port-offset',
        String(LOW),
        '--state',
        state,
        '--no-config',
      ],
      { from: 'user' },
    );
    const deadline = Date.now() + 5000;
    while (!stdout.includes('portchain up: ready') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(stdout).toContain('portchain up: ready');
    writeFileSync(file, svc('  - name: http\n    port: 8081\n  - name: admin\n    port: 8082\n'));
    while (!stdout.includes('reconciled') && Date.now() < deadline + 5000)
      await new Promise((r) => setTimeout(r, 20));
    stop();
    await done;
    expect(code).toBe(0);
    expect(stdout).toContain('portchain up: reconciled (Service watch-cli/lonely updated');
    expect(stdout.slice(stdout.indexOf('reconciled'))).toMatch(
      /watch-cli\/lonely\s+ClusterIP.*8082\/TCP admin/,
    );
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { services: { ports: unknown[] }[] };
    expect(saved.services[0]?.ports).toHaveLength(2);
  });
});
