import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { vectorsDir } from './helpers/shared.js';

interface Vector {
  id: string;
  description: string;
  yaml: string;
  expect: { valid: boolean; errors: { field: string; type: string; messageContains: string }[] };
}

const vectors = JSON.parse(readFileSync(join(vectorsDir, 'api-validation.json'), 'utf8')) as Vector[];
const API_RULES = new Set(['api-validation', 'node-port-allocation', 'api-decode']);

// The vectors give what a live API server answers a create: allocation errors alone when there are any,
// else validation. `check` reports both kinds under distinct rule ids, so an allocation error is compared
// alone when the vector expects one.
describe('api-validation.json through check', () => {
  it('has the vectors', () => expect(vectors.length).toBeGreaterThan(100));
  for (const v of vectors) {
    it(`${v.id}: ${v.description}`, () => {
      const { findings } = check([{ name: `${v.id}.yaml`, text: v.yaml }]);
      const api = findings.filter((f) => API_RULES.has(f.rule));
      const allocation = api.filter((f) => f.rule === 'node-port-allocation');
      const reported = allocation.length > 0 ? allocation : api;
      const got = reported
        .map((f) => ({ field: f.field, reason: f.reason }))
        .sort((a, b) => a.field!.localeCompare(b.field!));
      const want = v.expect.errors
        .map((e) => ({ field: e.field, reason: `FieldValue${e.type}` }))
        .sort((a, b) => a.field.localeCompare(b.field));
      expect(got).toEqual(want);
      for (const e of v.expect.errors) {
        expect(reported.some((f) => f.field === e.field && f.message.includes(e.messageContains))).toBe(true);
      }
      for (const f of reported) expect(f.location?.file).toBe(`${v.id}.yaml`);
    });
  }
});
