/**
 * JSON written in pieces (src/report/json-pieces.ts) joins to exactly what JSON.stringify(value, null, 2)
 * writes, whatever the batch size, and no piece holds more than a batch of a big array.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { jsonPieces } from '../src/report/json-pieces.js';
import { formatTopologyJson } from '../src/report/topology-json.js';
import { buildSimplifiedTopology } from '../src/topology/simplify.js';
import { repoRoot } from './helpers/shared.js';
import { shopTopology } from './topology-fixtures.js';

const joined = (value: unknown, batch?: number): string => [...jsonPieces(value, batch)].join('');
const pretty = (value: unknown): string => JSON.stringify(value, null, 2);

describe('JSON in pieces', () => {
  it('equals JSON.stringify for any JSON value, root arrays and objects with arrays of any length', () => {
    const small = fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 12 });
    const root = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      small,
      fc.dictionary(fc.string(), fc.oneof(small, fc.jsonValue({ maxDepth: 3 })), { maxKeys: 6 }),
    );
    fc.assert(
      fc.property(root, fc.integer({ min: 1, max: 5 }), (value, batch) => {
        expect(joined(value, batch)).toBe(pretty(value));
      }),
    );
  });

  it('leaves out what JSON.stringify leaves out, and writes whole what it does not write as members', () => {
    const members = {
      gone: undefined,
      fn: () => 1,
      sym: Symbol('s'),
      list: [1, [2, 3], { a: null }, 'x'],
      when: new Date(0),
      custom: { toJSON: () => ['a', 'b', 'c'] },
      hidden: { toJSON: () => undefined },
    };
    expect(joined(members, 1)).toBe(pretty(members));
    expect(joined({ only: undefined }, 1)).toBe('{}');
    // An own `__proto__` key (JSON.parse makes one) is a member like any other.
    const proto = JSON.parse('{"__proto__": [1, 2, 3], "b": [4, 5]}') as unknown;
    expect(joined(proto, 1)).toBe(pretty(proto));
    // Roots JSON.stringify does not write as members: whole.
    const withToJson = { toJSON: () => [1, 2, 3], a: [1, 2] };
    const list = Object.assign([1, 2, 3], { toJSON: () => 'list' });
    for (const v of [
      new Date(0),
      Object(3) as unknown,
      withToJson,
      list,
      new Map([[1, 2]]),
      [],
      {},
      null,
      'a',
    ])
      expect(joined(v, 1)).toBe(pretty(v));
  });

  it('writes a big array a batch at a time', () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ name: `row-${i}`, ports: [i, i + 1] }));
    const value = { version: 1, rows, after: 'x' };
    const pieces = [...jsonPieces(value, 1000)];
    expect(pieces.join('')).toBe(pretty(value));
    const longest = Math.max(...pieces.map((p) => p.length));
    // At most a batch (the last has the longest rows), as indented inside the root object.
    expect(longest).toBeLessThanOrEqual(pretty({ rows: rows.slice(9000) }).length);
    expect(pieces.length).toBeGreaterThanOrEqual(10);
  });

  it('writes a topology as JSON.stringify does, its lazily located nodes included', () => {
    expect([...formatTopologyJson(shopTopology())].join('')).toBe(`${pretty(shopTopology())}\n`);
    const dir = join(repoRoot, 'examples', 'port-from-configmap');
    const file = join(dir, '1-broken-ingress-port.yaml');
    const result = check([{ name: file, text: readFileSync(file, 'utf8') }]);
    const topology = () => buildSimplifiedTopology(result.graph, result.findings, { mode: 'none' });
    const whole = pretty(topology());
    expect(topology().nodes.length).toBeGreaterThan(3);
    expect(joined(topology(), 2)).toBe(whole);
    expect(whole).toContain('"location"');
  });
});
