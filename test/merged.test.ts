/**
 * merged(): what `{ ...a, ...b }` makes (own keys, their order, their values, a plain prototype), including
 * from sources that hold `__proto__` as a plain key, as YAML and JSON may.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { merged } from '../src/model/merged.js';
import { shopYaml } from './topology-fixtures.js';

type Rec = Record<string, unknown>;

/** Own keys, values and prototype: what a spread gives and a caller can see. */
const shape = (o: object) => ({
  proto: Object.getPrototypeOf(o),
  keys: Reflect.ownKeys(o),
  values: Reflect.ownKeys(o).map((k) => (o as Record<PropertyKey, unknown>)[k]),
});

const spread = (...sources: (Rec | undefined)[]): Rec => {
  let out: Rec = {};
  for (const s of sources) out = { ...out, ...s };
  return out;
};

// Keys as manifests have them, `__proto__` among them; sources parsed from JSON hold it as an own key.
const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'app', 'name', '0', '10'), fc.string());
const source = fc.option(
  fc
    .dictionary(key, fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.dictionary(key, fc.string())))
    .map((d) => JSON.parse(JSON.stringify(d)) as Rec),
  { nil: undefined },
);

describe('merged', () => {
  it('makes what spreading the sources in turn makes', () => {
    fc.assert(
      fc.property(fc.array(source, { maxLength: 4 }), (sources) => {
        expect(shape(merged<Rec>(...sources))).toEqual(shape(spread(...sources)));
      }),
      { numRuns: 2000, seed: 22 },
    );
  });

  it.each([
    [
      'a later source wins',
      [
        { a: 1, b: 2 },
        { b: 3, c: 4 },
      ],
      { a: 1, b: 3, c: 4 },
    ],
    ['undefined sources are skipped', [undefined, { a: 1 }, undefined], { a: 1 }],
    ['nothing gives an empty object', [], {}],
  ] as const)('%s', (_, sources, want) => {
    expect(merged<Rec>(...(sources as readonly (Rec | undefined)[]))).toEqual(want);
  });

  it('keeps a `__proto__` key as a field, never as the prototype', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "app": "web"}') as Rec;
    for (const out of [
      merged<Rec>(hostile),
      merged<Rec>({ a: 1 }, hostile),
      merged<Rec>(hostile, { b: 2 }),
    ]) {
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
      expect(Object.hasOwn(out, '__proto__')).toBe(true);
      expect((out as { polluted?: unknown }).polluted).toBeUndefined();
      expect(out.app).toBe('web');
    }
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('keeps the `__proto__` label of a Deployment template on its pods, as a label the API server rejects', () => {
    // The shop fixture's Deployment, its template labelled `__proto__` too.
    const yaml = shopYaml().replace(
      'labels: {app: web, tier: "shop"}',
      'labels: {app: web, tier: "shop", __proto__: x}',
    );
    expect(yaml).toContain('__proto__: x');
    const r = check([{ name: 'case.yaml', text: yaml }]);
    expect(r.findings.map((f) => f.message).join('\n')).toContain('Invalid value: "__proto__"');
    expect(r.graph.pods).toHaveLength(2);
    for (const p of r.graph.pods) {
      const labels = p.pod.metadata.labels ?? {};
      expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(labels, '__proto__')?.value).toBe('x');
      expect(labels.app).toBe('web');
      expect(Object.getPrototypeOf(p.pod.spec)).toBe(Object.prototype);
    }
  });
});
