/**
 * `portchain up --api --watch`, end to end: the files and kubectl drive one store. A file edit is applied
 * through the API as `kubectl apply --server-side --prune` would (a port added answers through the
 * ClusterIP, a port removed from the file is removed, a Service removed from the file is deleted), objects
 * kubectl created are left alone, and a file edit the API refuses (a nodePort kubectl took) is reported with
 * the API's message while the rest applies. Real CLI, real kubectl (steps skipped, saying so, without it).
 * Addresses: pods 127.161/16, Services 127.162/16, LBs 127.163/16, node 127.160.0.1, ports 47500-47999.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKubectl, runKubectl, warnWithoutKubectl } from './helpers/kubectl.js';
import { get, probe, UpProcess } from './helpers/up-process.js';

warnWithoutKubectl('cli-up-api-watch');

const LOW = 47500;
const SOUND = readFileSync('examples/multi-port/0-sound.yaml', 'utf8');
const SIDE_SERVICE = `---
apiVersion: v1
kind: Service
metadata:
  name: side
  namespace: multi-port
spec:
  selector:
    app: web
  ports:
  - port: 81
    targetPort: 80
`;
const NODE_PORT_SERVICE = (name: string) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: multi-port
spec:
  type: NodePort
  selector:
    app: web
  ports:
  - port: 82
    targetPort: 80
    nodePort: 30482
`;

let dir = '';
let file = '';
let up: UpProcess;
let kubeconfig = '';

const kubectl = (...args: string[]) => runKubectl({ kubeconfig, cacheDir: join(dir, 'cache') }, args);
const ports = async (name: string) =>
  (await kubectl('get', 'svc', name, '-n', 'multi-port', '-o', 'jsonpath={.spec.ports[*].port}')).stdout;
const clusterIP = async (name: string) =>
  (await kubectl('get', 'svc', name, '-n', 'multi-port', '-o', 'jsonpath={.spec.clusterIP}')).stdout;

/** Writes the file and waits until `up` has applied it (its next `reconciled` line, and stderr settled). */
async function edit(text: string): Promise<void> {
  const from = up.out.length;
  writeFileSync(file, text);
  await up.waitFor(/^portchain up: reconciled/m, from);
}

beforeAll(async () => {
  if (!hasKubectl) return;
  dir = mkdtempSync(join(tmpdir(), 'portchain-up-api-watch-'));
  file = join(dir, 'app.yaml');
  writeFileSync(file, SOUND + SIDE_SERVICE);
  kubeconfig = join(dir, 'kc');
  up = new UpProcess([
    file,
    '--watch',
    '--api',
    `127.0.0.1:${LOW + 443}`,
    '--kubeconfig',
    kubeconfig,
    '--low-port-offset',
    String(LOW),
    '--ingress-port',
    String(LOW + 381),
    '--address-base',
    '127.161.0.0,127.162.0.0,127.163.0.0,127.160.0.1',
  ]);
  await up.waitFor(/^portchain up: ready/m);
}, 30_000);

afterAll(async () => {
  if (up && up.child.exitCode === null) {
    up.child.kill('SIGTERM');
    await up.exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasKubectl)('portchain up --api --watch', () => {
  it('serves the files through the API', async () => {
    expect(await ports('web')).toBe('80 9100');
    expect(await ports('side')).toBe('81');
  });

  it('applies a port added in the file; it answers through the ClusterIP', async () => {
    const ip = await clusterIP('web');
    expect(ip).toMatch(/^127\.162\./);
    expect(await probe(ip, 8080)).toBe('refused');
    await edit(
      SOUND.replace(
        '    targetPort: metrics',
        '    targetPort: metrics\n  - name: alt\n    port: 8080\n    targetPort: http',
      ) + SIDE_SERVICE,
    );
    expect(await ports('web')).toBe('80 9100 8080');
    const page = await get(`http://${ip}:8080/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Welcome to nginx!');
  }, 30_000);

  it('removes a port the file no longer declares, and deletes a Service that left the file, keeping kubectl-created ones', async () => {
    const made = await runKubectl(
      { kubeconfig, cacheDir: join(dir, 'cache'), input: NODE_PORT_SERVICE('by-kubectl') },
      ['apply', '-f', '-'],
    );
    expect(made.stderr).toBe('');
    expect(made.stdout.trim()).toBe('service/by-kubectl created');
    const from = up.err.length;
    await edit(
      SOUND.replace(
        '  - name: metrics\n    port: 9100\n    targetPort: metrics',
        '  - name: alt\n    port: 8080\n    targetPort: http',
      ),
    );
    expect(await ports('web')).toBe('80 8080');
    const side = await kubectl('get', 'svc', 'side', '-n', 'multi-port');
    expect(side.code).not.toBe(0);
    expect(side.stderr).toContain('services "side" not found');
    expect(up.err.slice(from)).toContain('Service multi-port/side: no longer in the files; deleted');
    expect(await ports('by-kubectl')).toBe('82');
  }, 30_000);

  it("reports a file edit the API refuses with the API's message, and applies the rest", async () => {
    const from = up.err.length;
    await edit(`${SOUND}---\n${NODE_PORT_SERVICE('clash')}`);
    // The clash: kubectl's Service holds nodePort 30482.
    await expect
      .poll(() => up.err.slice(from), { timeout: 5000 })
      .toMatch(/Service multi-port\/clash: refused by the API: .*provided port is already allocated/);
    const clash = await kubectl('get', 'svc', 'clash', '-n', 'multi-port');
    expect(clash.stderr).toContain('services "clash" not found');
    // The rest of the file applied: the metrics port is back.
    expect(await ports('web')).toBe('80 9100');
  }, 30_000);
});
