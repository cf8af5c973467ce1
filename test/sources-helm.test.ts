import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findOnPath } from '../src/sources/exec.js';
import { HELM_NOT_FOUND, helmArgs, helmSourceLines } from '../src/sources/helm.js';
import { runCli, tempTree } from './helpers/cli.js';
import { fakeTool } from './helpers/fake-tool.js';

/** What `helm template shop ./chart` prints: `---` and a `# Source:` comment before each document. */
const rendered = `---
# Source: shop/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop
data:
  PORT: "8080"
---
# Source: shop/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: shop
  labels:
    helm.sh/chart: shop-0.1.0
spec:
  selector:
    app: shop
  ports:
  - name: http
    port: 80
  - port: 443
    targetPort: "8443"
`;

describe('helm template output on stdin', () => {
  it('points findings at <stdin> lines and names the chart template they came from', async () => {
    const r = await runCli(['check', '-', '--no-config', '--rule', 'api-validation'], rendered);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      '<stdin>:23:5: error [api-validation] Service "shop" is invalid: spec.ports[1].name: Required value (rendered from shop/templates/service.yaml)\n   23 |   - port: 443\n',
    );
    expect(r.stdout).toContain('2 errors, 0 warnings, 0 info: 2 objects checked in 1 file');
  });

  it('keeps the JSON contract unchanged and says where a line came from in SARIF', async () => {
    const j = JSON.parse(
      (await runCli(['check', '-', '--format', 'json', '--no-config', '--rule', 'api-validation'], rendered))
        .stdout,
    );
    expect(j.findings[0].message).toBe('Service "shop" is invalid: spec.ports[1].name: Required value');
    expect(j.findings[0].location).toEqual({ file: '<stdin>', line: 23, column: 5 });
    const s = JSON.parse(
      (await runCli(['check', '-', '--format', 'sarif', '--no-config', '--rule', 'api-validation'], rendered))
        .stdout,
    );
    expect(s.runs[0].results[0].properties).toEqual({
      field: 'spec.ports[1].name',
      renderedFrom: 'shop/templates/service.yaml',
    });
  });
});

describe('helmSourceLines', () => {
  it('maps each line to the nearest # Source: comment of its document', () => {
    const at = helmSourceLines(`${rendered}---\napiVersion: v1\nkind: Service\n`)!;
    expect(at(1)).toBeUndefined();
    expect(at(2)).toBe('shop/templates/configmap.yaml');
    expect(at(8)).toBe('shop/templates/configmap.yaml');
    expect(at(9)).toBeUndefined(); // the `---` of the next document
    expect(at(21)).toBe('shop/templates/service.yaml');
    expect(at(26)).toBeUndefined(); // a document without a Source comment
    expect(helmSourceLines('apiVersion: v1\nkind: Service\n')).toBeUndefined();
  });
});

describe('--helm CHART', () => {
  it('runs helm template with an argument array and checks what it prints', async () => {
    const helm = fakeTool('helm', rendered);
    const chart = tempTree({ 'Chart.yaml': 'name: shop\n' });
    const r = await runCli(
      [
        'check',
        '--helm',
        chart,
        '--values',
        'prod values.yaml',
        '--values',
        'b.yaml',
        '--release',
        'shop',
        '-n',
        'web',
        '--no-config',
      ],
      '',
      { PATH: helm.dir },
    );
    expect(helm.argv()).toEqual([
      'template',
      'shop',
      chart,
      '--namespace',
      'web',
      '--values',
      'prod values.yaml',
      '--values',
      'b.yaml',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `<helm template ${chart}>:23:5: error [api-validation] Service "shop" is invalid: spec.ports[1].name: Required value (rendered from shop/templates/service.yaml)`,
    );
  });

  it('checks the chart together with the paths given', async () => {
    const helm = fakeTool('helm', rendered);
    const dir = tempTree({
      'extra.yaml': 'apiVersion: v1\nkind: Service\nmetadata: {name: extra}\nspec:\n  ports: [{port: 80}]\n',
    });
    const r = await runCli(['check', dir, '--helm', './chart', '--format', 'json', '--no-config'], '', {
      PATH: helm.dir,
    });
    expect(helm.argv()).toEqual(['template', './chart']);
    expect(JSON.parse(r.stdout).summary).toMatchObject({ files: 2, objects: 3 });
  });

  it('says how to do without helm when it is not on PATH, exit 2', async () => {
    const r = await runCli(['check', '--helm', './chart', '--no-config'], '', { PATH: tempTree({}) });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`portchain: ${HELM_NOT_FOUND}\n`);
    expect(r.stderr).toContain(
      'helm is not on PATH: install it or pipe `helm template` output into `portchain check -`',
    );
    expect((await runCli(['check', '--helm', './chart', '--no-config'], '', {})).code).toBe(2);
  });

  it('reports a failing helm with its stderr, exit 2', async () => {
    const helm = fakeTool('helm', '', 1, 'Error: Chart.yaml file is missing\n');
    const r = await runCli(['check', '--helm', './nochart', '--no-config'], '', { PATH: helm.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'portchain: `helm template ./nochart` failed (exit 1):\nportchain: Error: Chart.yaml file is missing\n',
    );
  });

  it('needs --helm for --values and --release', async () => {
    const r = await runCli(['check', '--values', 'v.yaml', '--no-config']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('portchain: --values and --release need --helm CHART\n');
  });

  it('builds helm arguments', () => {
    expect(helmArgs({ chart: 'oci://registry/chart' })).toEqual(['template', 'oci://registry/chart']);
  });

  it('finds only executable files on PATH', () => {
    const dir = tempTree({ helm: '#!/bin/sh\n' }); // not executable
    expect(findOnPath('helm', { PATH: dir })).toBeUndefined();
    chmodSync(join(dir, 'helm'), 0o755);
    expect(findOnPath('helm', { PATH: `/nonexistent:${dir}` })).toBe(join(dir, 'helm'));
    expect(findOnPath('helm', {})).toBeUndefined();
  });
});
