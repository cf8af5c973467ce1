import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { type CliRun, tempTree } from './helpers/cli.js';

/** Runs the CLI in-process as if started in `cwd`. */
async function runIn(cwd: string, args: string[], stdin = ''): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    stdin: Readable.from([stdin]),
    isTTY: false,
    env: {},
    cwd,
  });
  return { code, stdout, stderr };
}

const broken = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
  - port: 443
    targetPort: "8443"
`;

const nodePort = `apiVersion: v1
kind: Service
metadata:
  name: edge
spec:
  type: NodePort
  selector:
    app: edge
  ports:
  - port: 80
    nodePort: 30080
`;

/** The rules these inputs are written for; other rules may see more in them. */
const THESE = new Set(['api-validation', 'node-port-allocation']);

type Json = { findings: { rule: string; severity: string; object: { namespace: string } | null }[] };
const json = (r: CliRun) => JSON.parse(r.stdout) as Json;

/** A repository with manifests in k8s/ and a config file at its root. */
function repo(config: string | undefined, files: Record<string, string> = { 'svc.yaml': broken }): string {
  const root = tempTree({});
  mkdirSync(join(root, '.git'));
  mkdirSync(join(root, 'k8s'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'k8s', name), text);
  if (config !== undefined) writeFileSync(join(root, '.portchain.yaml'), config);
  return root;
}

describe('.portchain.yaml', () => {
  it('is found upward from the working directory and applied', async () => {
    const root = repo('rules:\n  api-validation: warning\n');
    const r = await runIn(join(root, 'k8s'), ['check', join(root, 'k8s'), '--rule', 'api-validation']);
    expect(r.stdout).toContain(
      'warning [api-validation] Service "web" is invalid: spec.ports[1].name: Required value',
    );
    expect(r.stdout).toContain('0 errors, 2 warnings, 0 info');
    expect(r.code).toBe(0); // failOn defaults to error
  });

  it('turns rules off, sets failOn, namespace and the node-port range', async () => {
    const root = repo(
      'rules: {api-validation: off}\nfailOn: warning\nnamespace: shop\nnodePortRange: "31000-31099"\n',
      {
        'svc.yaml': broken,
        'edge.yaml': nodePort,
      },
    );
    const r = await runIn(root, ['check', join(root, 'k8s'), '--format', 'json']);
    const findings = json(r).findings.filter((f) => THESE.has(f.rule));
    expect(findings.map((f) => [f.rule, f.severity, f.object?.namespace])).toEqual([
      ['node-port-allocation', 'error', 'shop'],
    ]);
    expect(r.code).toBe(1);
  });

  it('lets flags override it', async () => {
    const root = repo('rules: {api-validation: off}\nfailOn: never\nnamespace: shop\n');
    const r = await runIn(root, [
      'check',
      join(root, 'k8s'),
      '--rule',
      'api-validation',
      '--fail-on',
      'error',
      '-n',
      'web',
      '--format',
      'json',
    ]);
    expect(json(r).findings.map((f) => [f.rule, f.object?.namespace])).toEqual([
      ['api-validation', 'web'],
      ['api-validation', 'web'],
    ]);
    expect(r.code).toBe(1);
  });

  it('can turn off findings made while reading input', async () => {
    const root = repo('rules:\n  yaml-syntax: off\n', {
      'svc.yaml': broken,
      'junk.yaml': 'ports: [80, 443\n',
    });
    const r = await runIn(root, ['check', join(root, 'k8s'), '--format', 'json', '--rule', 'api-validation']);
    expect(json(r).findings.map((f) => f.rule)).toEqual(['api-validation', 'api-validation']);
  });

  it('is not looked for above the repository root', async () => {
    const outer = tempTree({ '.portchain.yaml': 'failOn: never\n' });
    const root = join(outer, 'repo');
    mkdirSync(join(root, '.git'), { recursive: true });
    writeFileSync(join(root, 'svc.yaml'), broken);
    expect((await runIn(root, ['check', join(root, 'svc.yaml')])).code).toBe(1);
    // Without a repository the search goes on up and finds it.
    const plain = join(outer, 'plain');
    mkdirSync(plain);
    writeFileSync(join(plain, 'svc.yaml'), broken);
    expect((await runIn(plain, ['check', join(plain, 'svc.yaml')])).code).toBe(0);
  });

  it('reports config errors at file:line:column and exits 2', async () => {
    const root = repo('failOn: error\nrules:\n    foo: off\n    api-validation: loud\n');
    const r = await runIn(root, ['check', join(root, 'k8s')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'portchain: .portchain.yaml:3:5: rules.foo: unknown rule "foo"; `portchain rules` lists them',
        'portchain: .portchain.yaml:4:21: rules.api-validation: must be one of off, error, warning, info, not "loud"',
        '',
      ].join('\n'),
    );
    // From a subfolder the file is named relative to it.
    expect((await runIn(join(root, 'k8s'), ['check', '.'])).stderr).toMatch(
      /^portchain: \.\.\/\.portchain\.yaml:3:5: /,
    );
  });

  it('reports config errors the same way for trace, ui and up (exit 2, nothing started)', async () => {
    const root = repo('rules:\n    foo: off\n');
    for (const args of [
      ['trace', 'svc/web:80', join(root, 'k8s')],
      ['ui', join(root, 'k8s'), '--no-open'],
      ['up', join(root, 'k8s')],
    ]) {
      const r = await runIn(root, args);
      expect(r.code, args[0]).toBe(2);
      expect(r.stdout, args[0]).toBe('');
      expect(r.stderr, args[0]).toBe(
        'portchain: .portchain.yaml:2:5: rules.foo: unknown rule "foo"; `portchain rules` lists them\n',
      );
    }
  });

  it('takes --config FILE and --no-config', async () => {
    const root = repo('rules: {nope: off}\n');
    writeFileSync(join(root, 'ci.yaml'), 'failOn: never\n');
    expect((await runIn(root, ['check', join(root, 'k8s'), '--config', 'ci.yaml'])).code).toBe(0);
    expect((await runIn(root, ['check', join(root, 'k8s'), '--no-config'])).code).toBe(1);
    const missing = await runIn(root, ['check', join(root, 'k8s'), '--config', 'missing.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('portchain: missing.yaml: no such file\n');
  });

  it('applies to `portchain endpoints` too', async () => {
    const root = repo('namespace: shop\n', { 'edge.yaml': nodePort });
    const r = await runIn(root, ['endpoints', join(root, 'k8s'), '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)[0].metadata.namespace).toBe('shop');
  });
});

describe('--rule and --disable', () => {
  it('runs only the named rules, or all but the disabled ones', async () => {
    const root = repo(undefined, { 'svc.yaml': broken, 'edge.yaml': nodePort.replace('30080', '29999') });
    const rules = async (...flags: string[]) =>
      json(await runIn(root, ['check', join(root, 'k8s'), '--format', 'json', ...flags]))
        .findings.map((f) => f.rule)
        .filter((id) => THESE.has(id));
    expect(await rules()).toEqual(['node-port-allocation', 'api-validation', 'api-validation']);
    expect(await rules('--rule', 'node-port-allocation')).toEqual(['node-port-allocation']);
    expect(await rules('--disable', 'node-port-allocation')).toEqual(['api-validation', 'api-validation']);
    expect(await rules('--disable', 'node-port-allocation,api-validation')).toEqual([]);
    expect(await rules('--disable', 'node-port-allocation', '--disable', 'api-validation')).toEqual([]);
  });

  it('rejects unknown rule ids with exit 2', async () => {
    const root = repo(undefined);
    const r = await runIn(root, ['check', join(root, 'k8s'), '--rule', 'node-ports']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'portchain: --rule node-ports: unknown rule "node-ports"; `portchain rules` lists them\n',
    );
  });
});
