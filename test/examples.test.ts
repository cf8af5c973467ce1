import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { repoRoot } from './helpers/shared.js';

// `npm start` checks examples/: every broken variant shows its finding once, the sound files none.
const expected = [
  'dns-tcp-udp/1-broken-udp-only.yaml:55 info dns-port-single-protocol',
  'dns-tcp-udp/2-broken-tcp-name.yaml:64 error target-port-name-unresolved',
  'multi-port/1-broken-metrics-name.yaml:63 error target-port-name-unresolved',
  'named-port/1-broken-typo.yaml:58 error target-port-name-unresolved',
  'named-port/2-broken-underscore.yaml:55 error api-validation',
  'named-port/3-broken-quoted.yaml:56 error api-validation',
  'node-port-and-load-balancer/1-broken-duplicate.yaml:59 error node-port-allocation',
  'node-port-and-load-balancer/2-broken-range.yaml:53 error node-port-allocation',
  'node-port-and-load-balancer/3-broken-cluster-ip.yaml:54 error api-validation',
  'port-from-configmap/1-broken-ingress-port.yaml:88 error ingress-backend-port-mismatch',
  'port-from-configmap/2-broken-configmap.yaml:58 warning container-port-not-listening',
  'port-from-configmap/2-broken-configmap.yaml:71 error target-port-not-listening',
  'three-apps-port-80/1-broken-target-port.yaml:56 error target-port-not-listening',
  'three-apps-port-80/1-broken-target-port.yaml:56 warning target-port-undeclared',
  'three-apps-port-80/2-broken-selector.yaml:51 warning service-selects-nothing',
  'two-ports-one-pod/1-broken-target-port.yaml:37 warning container-port-not-listening',
  'two-ports-one-pod/1-broken-target-port.yaml:55 error target-port-not-listening',
  'two-ports-one-pod/2-broken-unnamed-port.yaml:51 error api-validation',
];

describe('examples/', () => {
  it('shows each broken link once and nothing on the sound files', async () => {
    const dir = join(repoRoot, 'examples');
    const r = await runCli(['check', dir, '--format', 'json', '--no-config']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      findings: { rule: string; severity: string; location: { file: string; line: number } }[];
    };
    const got = out.findings.map(
      (f) => `${f.location.file.slice(dir.length + 1)}:${f.location.line} ${f.severity} ${f.rule}`,
    );
    expect(got).toEqual(expected);
    expect(got.some((g) => g.includes('0-sound'))).toBe(false);
  });
});
