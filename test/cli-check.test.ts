import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempTree } from './helpers/cli.js';
import { repoRoot } from './helpers/shared.js';

const sound = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: http
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - name: http
          containerPort: 80
`;

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

describe('portchain check', () => {
  it('exits 0 on sound input and says what it checked', async () => {
    const dir = tempTree({ 'svc.yaml': sound });
    const r = await runCli(['check', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('0 errors, 0 warnings, 0 info: 2 objects checked in 1 file');
  });

  it('points at file:line:column with the source line and a caret, exit 1', async () => {
    const dir = tempTree({ 'svc.yaml': broken });
    const r = await runCli(['check', join(dir, 'svc.yaml')]);
    expect(r.code).toBe(1);
    const file = join(dir, 'svc.yaml');
    expect(r.stdout).toContain(
      `${file}:11:5: error [api-validation] Service "web" is invalid: spec.ports[1].name: Required value`,
    );
    expect(r.stdout).toContain(
      `${file}:12:5: error [api-validation] Service "web" is invalid: spec.ports[1].targetPort: Invalid value: "8443": must contain at least one letter (a-z)`,
    );
    expect(r.stdout).toContain('   12 |     targetPort: "8443"\n      |     ^');
  });

  it('quotes a window of a one-line (compact) JSON dump around the finding, in text and HTML', async () => {
    const yaml = await import('yaml');
    const objects = yaml.parseAllDocuments(sound).map((d) => d.toJS() as Record<string, unknown>);
    const svc = objects[0] as { spec: { ports: { targetPort: string }[] } };
    (svc.spec.ports[0] as { targetPort: string }).targetPort = 'htttp';
    const padding = Array.from({ length: 300 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `pad-${i}` },
      data: { k: 'v' },
    }));
    const text = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [...padding, ...objects] });
    const dir = tempTree({ 'dump.json': text });
    const r = await runCli([
      'check',
      join(dir, 'dump.json'),
      '--no-config',
      '--rule',
      'target-port-name-unresolved',
    ]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    const quoted = lines.findIndex((l) => l.startsWith('    1 | …'));
    expect(quoted).toBeGreaterThan(0);
    for (const l of lines) expect(l.length).toBeLessThan(600);
    const caret = (lines[quoted + 1] as string).indexOf('^');
    expect((lines[quoted] as string).slice(caret)).toMatch(/^"targetPort":"htttp"/);

    const html = await runCli(['check', join(dir, 'dump.json'), '--no-config', '--format', 'html']);
    const pre = /<pre>( {4}1 \| …[^<]*)<\/pre>/.exec(html.stdout)?.[1] ?? '';
    const [shown = '', under = ''] = pre.replaceAll('&quot;', '"').split('\n');
    expect(shown.length).toBeLessThan(300);
    expect(shown.slice(under.indexOf('^'))).toMatch(/^"targetPort":"htttp"/);
  });

  it('prints the JSON contract', async () => {
    const dir = tempTree({ 'svc.yaml': broken });
    const r = await runCli(['check', dir, '--format', 'json', '--rule', 'api-validation']);
    const out = JSON.parse(r.stdout) as {
      findings: Record<string, unknown>[];
      summary: Record<string, unknown>;
    };
    expect(out.summary).toMatchObject({ errors: 2, warnings: 0, infos: 0, objects: 1, files: 1 });
    expect(out.findings[0]).toEqual({
      rule: 'api-validation',
      severity: 'error',
      message: 'Service "web" is invalid: spec.ports[1].name: Required value',
      object: { apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'web' },
      field: 'spec.ports[1].name',
      location: { file: join(dir, 'svc.yaml'), line: 11, column: 5 },
      reason: 'FieldValueRequired',
    });
  });

  it('honours --fail-on and --namespace', async () => {
    const dir = tempTree({ 'svc.yaml': broken });
    expect((await runCli(['check', dir, '--fail-on', 'never'])).code).toBe(0);
    const r = await runCli(['check', dir, '-n', 'shop', '--format', 'json']);
    expect(JSON.parse(r.stdout).findings[0].object.namespace).toBe('shop');
  });

  it('reads stdin with -', async () => {
    const r = await runCli(['check', '-', '--format', 'json'], broken);
    const out = JSON.parse(r.stdout);
    expect(out.findings[0].location.file).toBe('<stdin>');
    expect(r.code).toBe(1);
  });

  it('exits 2 on usage errors and when nothing can be read', async () => {
    expect((await runCli(['check', '--format', 'xml'])).code).toBe(2);
    expect((await runCli(['frobnicate'])).code).toBe(2);
    const missing = await runCli(['check', '/nonexistent/path.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain('no such file or folder: /nonexistent/path.yaml');
  });

  it('keeps checking the other files when one is junk', async () => {
    const dir = tempTree({
      'a.yaml': 'ports: [80, 443\n',
      'b.bin.yaml': '\u0000\u0001binary',
      'c.yaml': broken,
    });
    const r = await runCli(['check', dir, '--format', 'json', '--rule', 'api-validation']);
    const rules = JSON.parse(r.stdout).findings.map((f: { rule: string }) => f.rule);
    expect(rules).toEqual(['yaml-syntax', 'input-unreadable', 'api-validation', 'api-validation']);
    expect(r.code).toBe(1);
  });

  it('honours the portchain.dev/ignore annotation per object', async () => {
    const ignored = (value: string) =>
      broken.replace('  name: web\n', `  name: web\n  annotations:\n    portchain.dev/ignore: "${value}"\n`);
    const other = broken.replace('name: web', 'name: api');
    for (const value of ['api-validation', 'node-port-allocation, api-validation', '*']) {
      const dir = tempTree({ 'web.yaml': ignored(value), 'api.yaml': other });
      const r = await runCli(['check', dir, '--format', 'json', '--no-config', '--rule', 'api-validation']);
      const objects = JSON.parse(r.stdout).findings.map((f: { object: { name: string } }) => f.object.name);
      expect(objects).toEqual(['api', 'api']);
      expect(r.code).toBe(1);
    }
    const dir = tempTree({ 'web.yaml': ignored('node-port-allocation') });
    expect((await runCli(['check', dir, '--no-config'])).code).toBe(1);
  });

  it('exits as for text with --format sarif and junit, and prints only the report on stdout', async () => {
    const dir = tempTree({ 'svc.yaml': broken });
    for (const format of ['sarif', 'junit']) {
      const r = await runCli(['check', dir, '--format', format, '--no-config']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('');
      expect(
        (await runCli(['check', dir, '--format', format, '--fail-on', 'never', '--no-config'])).code,
      ).toBe(0);
      const none = await runCli(['check', '/nonexistent/x.yaml', '--format', format, '--no-config']);
      expect(none.code).toBe(2);
      expect(none.stderr).toBe('portchain: nothing could be read\n');
    }
    expect(JSON.parse((await runCli(['check', dir, '--format', 'sarif'])).stdout).version).toBe('2.1.0');
  });

  it('documents the helm and kustomize inputs in --help', async () => {
    const r = await runCli(['check', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('helm template ./chart | portchain check -');
    for (const flag of [
      '--helm <chart>',
      '--values <file>',
      '--release <name>',
      '-k, --kustomize <dir>',
      '--config <file>',
      '--no-config',
      '--rule <id>',
      '--disable <id>',
    ]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout.replace(/\s+/g, ' ')).toContain(
      'output format (choices: "text", "json", "sarif", "junit"',
    );
  });

  it('colours only when asked', async () => {
    const dir = tempTree({ 'svc.yaml': broken });
    expect((await runCli(['check', dir])).stdout).not.toContain('\u001b[');
    expect((await runCli(['check', dir], '', { FORCE_COLOR: '1' })).stdout).toContain('\u001b[');
    expect((await runCli(['check', dir, '--no-color'], '', { FORCE_COLOR: '1' })).stdout).not.toContain(
      '\u001b[',
    );
  });
});

describe('bin/portchain', () => {
  it('runs from the committed entry point, and as a kubectl plugin', () => {
    const dir = tempTree({ 'svc.yaml': broken });
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'portchain'), 'check', dir], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('spec.ports[1].name: Required value');
    const v = execFileSync(process.execPath, [join(repoRoot, 'bin', 'kubectl-portchain'), '--version'], {
      encoding: 'utf8',
    });
    expect(v.trim()).toBe('0.1.0');
  });
});
