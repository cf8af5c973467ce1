/**
 * Every case in ../shared/vectors/endpoints: manifest.yaml through podsFromManifests, PodIndex.select and
 * computeEndpointSlices, compared with expect.json order-insensitively at every level.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isKind, loadText } from '../src/model/load.js';
import type { EndpointSlice } from '../src/model/types.js';
import { computeEndpointSlices, isPlaceholderSlice } from '../src/semantics/endpoints.js';
import { PodIndex } from '../src/semantics/selectors.js';
import { podsFromManifests } from '../src/semantics/workloads.js';

const VECTORS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'vectors', 'endpoints');

interface ExpectedPort {
  name: string;
  port: number;
  protocol: string;
}
interface ExpectedEndpoint {
  address: string;
  pod: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}
interface ExpectedSlice {
  ports: ExpectedPort[];
  endpoints: ExpectedEndpoint[];
  placeholder?: boolean;
}
interface Expected {
  service: { namespace: string; name: string };
  title: string;
  controllerManaged: boolean;
  endpointSlices?: ExpectedSlice[];
  endpointSliceSizes?: number[];
}

const byJSON = <T>(xs: readonly T[]): T[] =>
  [...xs].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/** A slice in the vectors' shape, every list sorted. */
function normalise(s: ExpectedSlice): ExpectedSlice {
  const out: ExpectedSlice = { ports: byJSON(s.ports), endpoints: byJSON(s.endpoints) };
  if (s.placeholder) out.placeholder = true;
  return out;
}

function actualShape(s: EndpointSlice): ExpectedSlice {
  return normalise({
    ports: (s.ports ?? []).map((p) => ({
      name: p.name ?? '',
      port: p.port as number,
      protocol: p.protocol ?? '',
    })),
    endpoints: s.endpoints.map((e) => ({
      address: e.addresses[0] as string,
      pod: e.targetRef?.name as string,
      ready: e.conditions?.ready as boolean,
      serving: e.conditions?.serving as boolean,
      terminating: e.conditions?.terminating as boolean,
    })),
    placeholder: isPlaceholderSlice(s),
  });
}

/** Slices of one port list merged: the vectors list one entry per group, which may span several slices. */
function groups(slices: readonly ExpectedSlice[]): ExpectedSlice[] {
  const m = new Map<string, ExpectedSlice>();
  for (const s of slices) {
    const key = JSON.stringify([s.ports, !!s.placeholder]);
    const g = m.get(key);
    if (g) g.endpoints.push(...s.endpoints);
    else m.set(key, { ...s, endpoints: [...s.endpoints] });
  }
  return byJSON([...m.values()].map(normalise));
}

const cases = existsSync(VECTORS) ? readdirSync(VECTORS).sort() : [];

describe('endpoint vectors', () => {
  it('finds the vectors', () => {
    expect(cases.length).toBeGreaterThanOrEqual(24);
  });

  for (const id of cases) {
    const dir = join(VECTORS, id);
    const expected = JSON.parse(readFileSync(join(dir, 'expect.json'), 'utf8')) as Expected;

    it(`${id}: ${expected.title}`, () => {
      const { manifests, findings } = loadText({
        name: `${id}/manifest.yaml`,
        text: readFileSync(join(dir, 'manifest.yaml'), 'utf8'),
      });
      expect(findings).toEqual([]);
      const service = manifests.find(
        (m) =>
          isKind(m, 'Service') &&
          m.name === expected.service.name &&
          m.namespace === expected.service.namespace,
      );
      if (!service || !isKind(service, 'Service'))
        throw new Error(`${id}: no Service ${expected.service.name}`);

      const index = new PodIndex(podsFromManifests(manifests));
      const selected = index.select(service.namespace, service.object.spec.selector);
      const result = computeEndpointSlices(service, selected);

      expect(result.controllerManaged).toBe(expected.controllerManaged);
      for (const s of result.slices) {
        expect(s.endpoints.length).toBeLessThanOrEqual(100);
        expect(s.metadata.labels?.['kubernetes.io/service-name']).toBe(service.name);
      }
      if (expected.endpointSlices) {
        expect(groups(result.slices.map(actualShape))).toEqual(groups(expected.endpointSlices));
      }
      if (expected.endpointSliceSizes) {
        const sizes = result.slices.map((s) => s.endpoints.length).sort((a, b) => b - a);
        expect(sizes).toEqual([...expected.endpointSliceSizes].sort((a, b) => b - a));
      }
    });
  }
});
