/**
 * Every case in ../shared/vectors/ingress: manifest.yaml → ingressRoutes (the controller's class when the
 * case names one) → matchIngressRequest → resolveIngressBackend → ingressResponseStatus, compared with
 * expect.json (status, service, via, backendPort). Ready endpoints come from the real pipeline:
 * podsFromManifests, PodIndex.select and computeEndpointSlices.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isKind, loadText, type Manifest } from '../src/model/load.js';
import type { ServiceBackendPort } from '../src/model/types.js';
import { computeEndpointSlices } from '../src/semantics/endpoints.js';
import {
  type IngressBackendEnv,
  ingressResponseStatus,
  ingressRoutes,
  matchIngressRequest,
  resolveIngressBackend,
} from '../src/semantics/ingress.js';
import { PodIndex } from '../src/semantics/selectors.js';
import { podsFromManifests } from '../src/semantics/workloads.js';

const VECTORS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'vectors', 'ingress');

interface Expected {
  request: { method: string; scheme: string; host: string; path: string };
  status: number;
  service: string | null;
  via: 'rule' | 'ingressDefaultBackend' | 'controllerDefaultBackend' | 'rule(unresolvedBackend)';
  backendPort: ServiceBackendPort | null;
  scenario: string;
  ingressClass: string | null;
}

/** Ready endpoints of one Service port, as ingress-nginx reads EndpointSlices (ready != false). */
function endpointsEnv(manifests: readonly Manifest[]): IngressBackendEnv {
  const services = manifests.filter((m): m is Manifest<'Service'> => isKind(m, 'Service'));
  const index = new PodIndex(podsFromManifests(manifests));
  return {
    service: (namespace, name) => services.find((s) => s.namespace === namespace && s.name === name),
    readyEndpoints(service, servicePortIndex) {
      const sp = service.object.spec.ports?.[servicePortIndex];
      if (!sp) return 0;
      const selected = index.select(service.namespace, service.object.spec.selector);
      const { slices } = computeEndpointSlices(service, selected);
      const addresses = new Set<string>();
      for (const slice of slices) {
        const hasPort = (slice.ports ?? []).some(
          (p) => (p.name ?? '') === (sp.name ?? '') && (p.protocol ?? 'TCP') === (sp.protocol ?? 'TCP'),
        );
        if (!hasPort) continue;
        for (const e of slice.endpoints)
          if (e.conditions?.ready !== false) addresses.add(e.addresses[0] ?? '');
      }
      return addresses.size;
    },
  };
}

const cases = readdirSync(VECTORS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe('ingress vectors', () => {
  it('finds the vectors', () => {
    expect(cases.length).toBeGreaterThanOrEqual(49);
  });

  it.each(cases)('%s', (id) => {
    const dir = join(VECTORS, id);
    const expected = JSON.parse(readFileSync(join(dir, 'expect.json'), 'utf8')) as Expected;
    const { manifests } = loadText({
      name: `${id}/manifest.yaml`,
      text: readFileSync(join(dir, 'manifest.yaml'), 'utf8'),
    });
    const ingresses = manifests.filter((m): m is Manifest<'Ingress'> => isKind(m, 'Ingress'));
    const table = ingressRoutes(
      ingresses,
      expected.ingressClass !== null ? { ingressClass: expected.ingressClass } : {},
    );
    const match = matchIngressRequest(table, expected.request);
    const resolution =
      match.backend && match.ingress
        ? resolveIngressBackend(match.ingress.namespace, match.backend, endpointsEnv(manifests))
        : null;
    const status = ingressResponseStatus(match, resolution);

    const via = match.via === 'rule' && resolution && !resolution.ok ? 'rule(unresolvedBackend)' : match.via;
    const service = resolution?.ok ? resolution.service.name : null;
    const backendPort = resolution?.ok ? (match.backend?.service?.port ?? null) : null;
    expect({ status, service, via, backendPort }).toEqual({
      status: expected.status,
      service: expected.service,
      via: expected.via,
      backendPort: expected.backendPort,
    });
  });

  it('ING-65: a number that is no Service port fails as port-not-found, with no ingress-nginx quirk', () => {
    const dir = join(VECTORS, 'ING-65');
    const { manifests } = loadText({
      name: 'ING-65/manifest.yaml',
      text: readFileSync(join(dir, 'manifest.yaml'), 'utf8'),
    });
    const ingresses = manifests.filter((m): m is Manifest<'Ingress'> => isKind(m, 'Ingress'));
    const match = matchIngressRequest(ingressRoutes(ingresses), {
      host: 'ports.example',
      path: '/by-targetport',
    });
    const r = resolveIngressBackend('default', match.backend ?? {}, endpointsEnv(manifests));
    expect(r).toMatchObject({ ok: false, reason: 'port-not-found' });
    // targetPort is the name `http`, so ingress-nginx's targetPort comparison does not match 8080 either.
    expect(r.quirks).toEqual([]);
  });
});
