/**
 * The listening rules over examples/, loaded together as `portchain check examples/` loads them: exactly the
 * findings examples/README.md describes for the broken variants, and none for the sound files.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/check.js';
import { containerPortNotListening } from '../../src/rules/container-port-not-listening.js';
import { probePortNotListening } from '../../src/rules/probe-port-not-listening.js';
import { probePortUnresolved } from '../../src/rules/probe-port-unresolved.js';
import { targetPortNotListening } from '../../src/rules/target-port-not-listening.js';
import { readSource, repoRoot } from '../helpers/shared.js';

const examplesDir = join(repoRoot, 'examples');
const rules = [targetPortNotListening, containerPortNotListening, probePortUnresolved, probePortNotListening];

function exampleFiles(): string[] {
  return readdirSync(examplesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(join(examplesDir, d.name))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => join(examplesDir, d.name, f)),
    )
    .sort();
}

describe('listening rules on examples/', () => {
  const result = check(exampleFiles().map(readSource), { rules });
  const ids = new Set(rules.map((r) => r.meta.id));
  const found = result.findings
    .filter((f) => ids.has(f.rule))
    .map(
      (f) => `${relative(examplesDir, f.location?.file ?? '')}:${f.location?.line} ${f.rule} ${f.severity}`,
    );

  it('reports exactly the broken process ports, and nothing in the sound files', () => {
    expect(found).toEqual([
      // PORT "3000" from ConfigMap books-config: containerPort 3005 and targetPort 3005 reach nothing
      'port-from-configmap/2-broken-configmap.yaml:58 container-port-not-listening warning',
      'port-from-configmap/2-broken-configmap.yaml:71 target-port-not-listening error',
      // Service static targets 80; nginx-unprivileged listens on 8080
      'three-apps-port-80/1-broken-target-port.yaml:56 target-port-not-listening error',
      // containerPort and targetPort moved to 8080; nginx:1.27 keeps listening on 80
      'two-ports-one-pod/1-broken-target-port.yaml:37 container-port-not-listening warning',
      'two-ports-one-pod/1-broken-target-port.yaml:55 target-port-not-listening error',
    ]);
  });

  it('says where the process listens and why, in the chain', () => {
    const byLine = (file: string, line: number) =>
      result.findings.find((f) => f.location?.file.endsWith(file) && f.location.line === line);
    expect(byLine('two-ports-one-pod/1-broken-target-port.yaml', 55)?.message).toContain(
      'Service two-ports-broken-target-port/web:80 (http) -> targetPort 8080 -> Pod web: nothing listens on 8080; container nginx (nginx:1.27) listens on 80',
    );
    expect(byLine('port-from-configmap/2-broken-configmap.yaml', 71)?.message).toContain(
      'PORT=3000 from ConfigMap books-config key PORT',
    );
    expect(byLine('three-apps-port-80/1-broken-target-port.yaml', 56)?.fix).toContain('Set targetPort: 8080');
  });
});
