/**
 * Real-world manifests (../shared/corpus) run on real clusters, so validation must accept them. The two
 * exceptions are placeholders the API server does reject: coredns' `clusterIP: CLUSTER_DNS_IP` (a sed
 * template) and the ingress-nginx docker-registry example's `host: registry.<your domain>`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderFieldError } from '../src/model/field-error.js';
import { isKind, loadText, type Manifest } from '../src/model/load.js';
import { validateObject } from '../src/model/validation/index.js';
import { allocateNodePorts, serviceCreateErrors } from '../src/semantics/node-ports.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const corpusRoot = path.resolve(repoRoot, '../shared/corpus');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(name) ? [p] : [];
  });
}

const files = yamlFiles(corpusRoot);

/** `file|kind/name|rendered error` for every error the API server would answer a create with. */
function apiErrors(file: string): string[] {
  const { manifests } = loadText({ name: file, text: readFileSync(file, 'utf8') });
  const services = manifests.filter((m): m is Manifest<'Service'> => isKind(m, 'Service'));
  const alloc = allocateNodePorts(services);
  expect(alloc.errors.map((e) => renderFieldError(e.error))).toEqual([]);
  return manifests.flatMap((m) => {
    const errs = isKind(m, 'Service') ? serviceCreateErrors(m, alloc) : validateObject(m);
    return errs.map((e) => `${path.basename(file)}|${m.kind}/${m.name}|${renderFieldError(e)}`);
  });
}

const expectedRejections: Record<string, string[]> = {
  'kubernetes__coredns.yaml.sed.yaml': [
    'kubernetes__coredns.yaml.sed.yaml|Service/kube-dns|spec.clusterIPs[0]: Invalid value: "CLUSTER_DNS_IP": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
  ],
  'docs__examples__docker-registry__ingress-without-tls.yaml': [
    'docs__examples__docker-registry__ingress-without-tls.yaml|Ingress/docker-registry|spec.rules[0].host: Invalid value: "registry.<your domain>": ' +
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  ],
};

describe('corpus', () => {
  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(59);
  });

  for (const file of files) {
    const base = path.basename(file);
    it(`${path.relative(corpusRoot, file)} is accepted`, () => {
      expect(apiErrors(file)).toEqual(expectedRejections[base] ?? []);
    });
  }

  it('reports the coredns placeholder on clusterIPs[0], as the registry copies clusterIP there', () => {
    const file = files.find((f) => f.endsWith('kubernetes__coredns.yaml.sed.yaml'));
    expect(file).toBeDefined();
    const { manifests } = loadText({ name: 'coredns', text: readFileSync(file ?? '', 'utf8') });
    const svc = manifests.find((m) => isKind(m, 'Service'));
    expect(svc && validateObject(svc).map((e) => [e.field.toString(), e.reason, e.value])).toEqual([
      ['spec.clusterIPs[0]', 'FieldValueInvalid', 'CLUSTER_DNS_IP'],
    ]);
  });

  it('validateObject alone flags only what allocation fills in (a LoadBalancer + Local healthCheckNodePort)', () => {
    const extra = files.flatMap((file) => {
      const { manifests } = loadText({ name: file, text: readFileSync(file, 'utf8') });
      return manifests.flatMap((m) =>
        validateObject(m)
          .filter(
            (e) =>
              !(expectedRejections[path.basename(file)] ?? []).some((x) => x.endsWith(renderFieldError(e))),
          )
          .map((e) => `${m.kind}/${m.name}|${renderFieldError(e)}`),
      );
    });
    expect(extra).toEqual(['Service/ingress-nginx-controller|spec.healthCheckNodePort: Required value']);
  });
});
