import { describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { corpusUnits, readSource } from './helpers/shared.js';

// Real clusters run these manifests: portchain must report no error on them (corpus/SOURCES.md), except the
// placeholders the API server would reject: coredns' sed template `clusterIP: CLUSTER_DNS_IP`, and the
// ingress-nginx docker-registry example's `host: registry.<your domain>` (not a DNS name).
describe('shared corpus', () => {
  for (const unit of corpusUnits()) {
    it(`${unit.name}: no false errors`, () => {
      const result = check(unit.files.map(readSource));
      const errors = result.findings.filter((f) => f.severity === 'error');
      const placeholders: Record<string, { rule: string; field: string; name: string }[]> = {
        coredns__deployment: [{ rule: 'api-validation', field: 'spec.clusterIPs[0]', name: 'kube-dns' }],
        'kubernetes__ingress-nginx/docker-registry': [
          { rule: 'api-validation', field: 'spec.rules[0].host', name: 'docker-registry' },
        ],
      };
      const expected = placeholders[unit.name] ?? [];
      expect(errors.map((f) => ({ rule: f.rule, field: f.field, name: f.object?.name }))).toEqual(expected);
      expect(result.summary.objects).toBeGreaterThan(0);
    });
  }
});
