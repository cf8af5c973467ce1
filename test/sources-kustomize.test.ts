import { describe, expect, it } from 'vitest';
import { KUSTOMIZE_NOT_FOUND } from '../src/sources/kustomize.js';
import { runCli, tempTree } from './helpers/cli.js';
import { fakeTool } from './helpers/fake-tool.js';

const built = `apiVersion: v1
kind: Service
metadata:
  name: prod-web
spec:
  ports:
  - port: 80
  - port: 443
`;

describe('-k / --kustomize DIR', () => {
  it('runs kubectl kustomize DIR and checks what it prints', async () => {
    const kubectl = fakeTool('kubectl', built);
    const r = await runCli(['check', '-k', './overlays/prod', '--no-config'], '', { PATH: kubectl.dir });
    expect(kubectl.argv()).toEqual(['kustomize', './overlays/prod']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      '<kustomize ./overlays/prod>:7:5: error [api-validation] Service "prod-web" is invalid: spec.ports[0].name: Required value',
    );
  });

  it('renders each directory given, and uses kustomize build when kubectl is missing', async () => {
    const kustomize = fakeTool('kustomize', built);
    const r = await runCli(
      [
        'check',
        '--kustomize',
        'a',
        '--kustomize',
        'b',
        '--format',
        'json',
        '--no-config',
        '--rule',
        'api-validation',
      ],
      '',
      { PATH: kustomize.dir },
    );
    expect(kustomize.argv()).toEqual(['build', 'b']);
    const out = JSON.parse(r.stdout);
    expect(out.summary).toMatchObject({ files: 2, objects: 2 });
    expect(out.findings.map((f: { location: { file: string } }) => f.location.file)).toEqual([
      '<kustomize a>',
      '<kustomize a>',
      '<kustomize b>',
      '<kustomize b>',
    ]);
  });

  it('says how to do without kubectl when it is not on PATH, exit 2', async () => {
    const r = await runCli(['check', '-k', '.', '--no-config'], '', { PATH: tempTree({}) });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`portchain: ${KUSTOMIZE_NOT_FOUND}\n`);
    expect(r.stderr).toContain('kubectl is not on PATH');
  });

  it('reports a failing kubectl kustomize with exit 2', async () => {
    const kubectl = fakeTool('kubectl', '', 1, 'error: unable to find one of kustomization.yaml\n');
    const r = await runCli(['check', '-k', 'nowhere', '--no-config'], '', { PATH: kubectl.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('portchain: `kubectl kustomize nowhere` failed (exit 1):');
    expect(r.stderr).toContain('unable to find one of kustomization.yaml');
  });
});
