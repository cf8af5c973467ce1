import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import type { EndpointSlice } from '../src/model/types.js';
import { formatEndpointSlicesJson } from '../src/report/endpoints.js';
import { runCli } from './helpers/cli.js';
import { vectorsDir } from './helpers/shared.js';

interface Expected {
  service: { namespace: string; name: string };
  controllerManaged: boolean;
  endpointSlices?: {
    ports: { name: string; port: number; protocol: string }[];
    endpoints: { address: string; pod: string; ready: boolean; serving: boolean; terminating: boolean }[];
  }[];
  endpointSliceSizes?: number[];
}

const dir = join(vectorsDir, 'endpoints');
const cases = readdirSync(dir).sort();

const canon = (v: unknown) => JSON.stringify(v);
function sliceKey(
  ports: { name?: string; port?: number; protocol?: string }[],
  endpoints: { address: string; pod: string; ready: boolean; serving: boolean; terminating: boolean }[],
) {
  return canon({
    ports: ports.map((p) => canon({ name: p.name ?? '', port: p.port, protocol: p.protocol })).sort(),
    endpoints: endpoints.map((e) => canon(e)).sort(),
  });
}

// The endpoints vectors through the real command: `portchain endpoints manifest.yaml --format json`.
describe('portchain endpoints on the endpoints vectors', () => {
  it('has the vectors', () => expect(cases.length).toBeGreaterThan(20));
  for (const id of cases) {
    it(id, async () => {
      const expected = JSON.parse(readFileSync(join(dir, id, 'expect.json'), 'utf8')) as Expected;
      const r = await runCli(['endpoints', join(dir, id, 'manifest.yaml'), '--format', 'json']);
      expect(r.code).toBe(0);
      const all = JSON.parse(r.stdout) as EndpointSlice[];
      const slices = all.filter(
        (s) =>
          s.metadata.namespace === expected.service.namespace &&
          s.metadata.labels?.['kubernetes.io/service-name'] === expected.service.name,
      );
      for (const s of slices) {
        expect(s.apiVersion).toBe('discovery.k8s.io/v1');
        expect(s.kind).toBe('EndpointSlice');
      }
      if (!expected.controllerManaged) {
        expect(
          slices.filter(
            (s) =>
              s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] ===
              'endpointslice-controller.k8s.io',
          ),
        ).toEqual([]);
        return;
      }
      if (expected.endpointSliceSizes) {
        expect(slices.map((s) => s.endpoints.length).sort((a, b) => b - a)).toEqual(
          expected.endpointSliceSizes,
        );
        return;
      }
      const got = slices
        .map((s) =>
          sliceKey(
            s.ports ?? [],
            s.endpoints.map((e) => ({
              address: e.addresses[0]!,
              pod: e.targetRef?.name ?? '',
              ready: e.conditions?.ready ?? false,
              serving: e.conditions?.serving ?? false,
              terminating: e.conditions?.terminating ?? false,
            })),
          ),
        )
        .sort();
      const want = (expected.endpointSlices ?? []).map((s) => sliceKey(s.ports, s.endpoints)).sort();
      expect(got).toEqual(want);
    });
  }

  it('prints a kubectl-like table', async () => {
    const r = await runCli(['endpoints', join(dir, 'EP-04', 'manifest.yaml')]);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+READY\s+SERVICE$/);
    expect(lines.slice(1).some((l) => /^default\s+web-\S+\s+IPv4\s+8080\s+\S+/.test(l))).toBe(true);
    expect(lines.slice(1).some((l) => /^default\s+web-\S+\s+IPv4\s+9090\s+/.test(l))).toBe(true);
  });

  it('writes JSON in pieces that join to JSON.stringify of all slices', () => {
    const text = readFileSync(join(dir, 'EP-04', 'manifest.yaml'), 'utf8');
    const real = check([{ name: 'manifest.yaml', text }]).graph.services.flatMap((s) => s.slices);
    expect(real.length).toBeGreaterThan(0);
    const many = (n: number): EndpointSlice[] =>
      Array.from({ length: n }, (_, i) => {
        const s = real[i % real.length] as EndpointSlice;
        return { ...s, metadata: { ...s.metadata, name: `${s.metadata.name}-${i}` } };
      });
    const joined = (slices: EndpointSlice[]) => [...formatEndpointSlicesJson(slices)].join('');
    for (const n of [0, 1, 2, 999, 1000, 1001, 2000, 2345]) {
      const slices = many(n);
      expect(joined(slices), `${n} slices`).toBe(`${JSON.stringify(slices, null, 2)}\n`);
    }
    // Never the whole text in one piece.
    const pieces = [...formatEndpointSlicesJson(many(2345))];
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(pieces.join('').length / 2);
    // Whatever the values hold: escapes, nesting, empty objects and arrays.
    fc.assert(
      fc.property(fc.array(fc.object(), { maxLength: 30 }), (objects) => {
        const slices = objects as unknown as EndpointSlice[];
        expect(joined(slices)).toBe(`${JSON.stringify(slices, null, 2)}\n`);
      }),
    );
  });
});
