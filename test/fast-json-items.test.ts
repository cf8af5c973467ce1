/**
 * fast-json finds a List's `items[i]` only when a position is asked for, from the nearer end of the array.
 * Positions asked in any order (last item first, random order) must equal the plain path's (the `yaml`
 * library), whatever follows `items` in the root object and whatever the strings hold.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FieldPath } from '../src/model/field-path.js';
import { loadTextWith, type Manifest } from '../src/model/load.js';
import { jsonValues, trickyStrings } from './helpers/json-arbitraries.js';

/** Strings with the characters a JSON scanner must not be fooled by: brackets, quotes, commas, escapes. */
const tricky = trickyStrings(['a', 'b', '{', '}', '[', ']', ',', ':', '"', '\\', ' ', '/', 'é']);
const extra = jsonValues(tricky);

const pod = (name: string, labels: Record<string, string>, note: unknown) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', labels, annotations: { note: JSON.stringify(note) } },
  spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] },
});

const paths = [
  FieldPath.empty,
  FieldPath.root('metadata', 'name'),
  FieldPath.root('metadata', 'annotations', 'note'),
  FieldPath.root('spec', 'containers').index(0).child('ports').index(0).child('containerPort'),
  FieldPath.root('spec', 'notThere'),
];

function positions(manifests: readonly Manifest[], order: readonly number[]): string[] {
  const out: string[] = [];
  for (const i of order) {
    const m = manifests[i] as Manifest;
    for (const p of paths) out.push(`${i} ${p.toString()} ${JSON.stringify(m.source.locate(p))}`);
  }
  return out;
}

describe('fast-json item positions, asked in any order', () => {
  it('match the plain path from either end of the array', () => {
    let compared = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.dictionary(fc.constantFrom('app', 'tier', 'x'), tricky), extra), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.dictionary(fc.constantFrom('kind', 'metadata', 'zz', 'after'), extra, { maxKeys: 3 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 1000 }),
        (specs, tail, indent, seed) => {
          const root: Record<string, unknown> = {
            apiVersion: 'v1',
            items: specs.map(([labels, note], i) => pod(`p${i}`, labels, note)),
            ...tail,
            kind: 'List',
          };
          const text = JSON.stringify(root, null, indent);
          const src = { name: 'list.json', text };
          const plain = loadTextWith(src, { reader: 'plain' }).result.manifests;
          const n = plain.length;
          // Last first, then a shuffled order, each on a fresh load so the first question picks the end.
          const backwards = [...Array(n).keys()].reverse();
          const shuffled = [...Array(n).keys()].sort(
            (a, b) => ((a * 7919 + seed) % 31) - ((b * 7919 + seed) % 31),
          );
          for (const order of [backwards, shuffled]) {
            const fast = loadTextWith(src, { reader: 'fast' });
            if (fast.reader !== 'fast-json') continue; // characters the library reads itself
            expect(positions(fast.result.manifests, order)).toEqual(positions(plain, order));
            compared++;
          }
        },
      ),
      { numRuns: 150 },
    );
    // Most runs must take the fast reader, or the comparison proves little.
    expect(compared).toBeGreaterThan(150);
  });

  it('uses the fast reader for plain kubectl-shaped JSON', () => {
    const root = {
      apiVersion: 'v1',
      items: [pod('a', { app: 'a' }, 'x'), pod('b', { app: 'b' }, '{[')],
      kind: 'List',
      metadata: { resourceVersion: '' },
    };
    const text = JSON.stringify(root, null, 4);
    const fast = loadTextWith({ name: 'l.json', text }, { reader: 'fast' });
    const plain = loadTextWith({ name: 'l.json', text }, { reader: 'plain' });
    expect(fast.reader).toBe('fast-json');
    expect(positions(fast.result.manifests, [1, 0])).toEqual(positions(plain.result.manifests, [1, 0]));
    // items[1].metadata.name is written on line 29 of this layout: checked against the text itself.
    const line = text.split('\n').findIndex((l) => l.includes('"name": "b"')) + 1;
    expect(fast.result.manifests[1]?.source.locate(FieldPath.root('metadata', 'name')).line).toBe(line);
  });
});
