/**
 * Decoding and defaulting copy on write: a manifest's `object` is its `raw` source itself, or a copy that
 * shares every subtree the two steps left as they were, and the source is never written to. These tests
 * freeze every source (a write to a frozen object throws in a module) and check three things of each
 * result: nothing equal to its source is a copy, keys keep the source's order with new ones last, and
 * defaulting twice changes nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { decodeObjectAs } from '../src/model/decode.js';
import { applyDefaults } from '../src/model/defaults.js';
import { FieldPath } from '../src/model/field-path.js';
import { isKind, loadText } from '../src/model/load.js';
import { kindSchemas, type Schema } from '../src/model/schema.js';
import type { Kind, KindMap } from '../src/model/types.js';
import { corpusDir, repoRoot, vectorsDir } from './helpers/shared.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

const decode = (raw: Json, kind: string) => decodeObjectAs(raw, kindSchemas[kind]!, FieldPath.empty);
const defaults = (kind: string, o: Json): Json =>
  applyDefaults(kind as Kind, o as unknown as KindMap[Kind]) as unknown as Json;

/** Paths where `out` holds a copy equal to the subtree of `src` at the same path (shared, it would be none). */
function copiesOfEqual(out: unknown, src: unknown, path = ''): string[] {
  if (out === src || typeof out !== 'object' || out === null || typeof src !== 'object' || src === null)
    return [];
  if (isDeepStrictEqual(out, src)) return [path || '(root)'];
  const found: string[] = [];
  if (Array.isArray(out) && Array.isArray(src)) {
    for (let i = 0; i < Math.min(out.length, src.length); i++)
      found.push(...copiesOfEqual(out[i], src[i], `${path}[${i}]`));
  } else if (isObject(out) && isObject(src)) {
    for (const k of Object.keys(out))
      if (Object.hasOwn(src, k)) found.push(...copiesOfEqual(out[k], src[k], `${path}.${k}`));
  }
  return found;
}

/**
 * Paths where `out` holds the keys it shares with `src` in another order than `src`, or holds a key `src`
 * lacks before one of them. Decoding only leaves keys out; defaulting only adds keys, last.
 */
function reordered(out: unknown, src: unknown, path = ''): string[] {
  if (out === src) return [];
  const found: string[] = [];
  if (Array.isArray(out) && Array.isArray(src)) {
    for (let i = 0; i < Math.min(out.length, src.length); i++)
      found.push(...reordered(out[i], src[i], `${path}[${i}]`));
  } else if (isObject(out) && isObject(src)) {
    const kept = Object.keys(src).filter((k) => Object.hasOwn(out, k));
    if (!isDeepStrictEqual(Object.keys(out).slice(0, kept.length), kept)) found.push(path || '(root)');
    for (const k of kept) found.push(...reordered(out[k], src[k], `${path}.${k}`));
  }
  return found;
}

function expectCopyOnWrite(source: Json, label: string): void {
  const frozen = deepFreeze(structuredClone(source));
  const kind = source.kind as string;
  const decoded = decode(frozen, kind).object;
  const object = defaults(kind, decoded);
  expect(frozen, label).toStrictEqual(source);
  expect(copiesOfEqual(decoded, frozen), label).toEqual([]);
  expect(copiesOfEqual(object, frozen), label).toEqual([]);
  expect(reordered(decoded, frozen), label).toEqual([]);
  expect(reordered(object, decoded), label).toEqual([]);
  // The API server's defaulting is idempotent; so is this one, down to the identity of the result.
  expect(defaults(kind, deepFreeze(object)), label).toBe(object);
}

describe('decoding copies on write', () => {
  const pod = (spec: Json, extra: Json = {}): Json => ({ apiVersion: 'v1', kind: 'Pod', ...extra, spec });
  const container = { name: 'app', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }] };

  it('returns a struct the schema reads as is: the source itself', () => {
    const raw = deepFreeze(pod({ containers: [container] }, { metadata: { name: 'p', labels: { a: 'b' } } }));
    const { object, errors } = decode(raw, 'Pod');
    expect(errors).toEqual([]);
    expect(object).toBe(raw);
  });

  const cases: { name: string; raw: Json; expected: Json; errors: string[]; shared: string[] }[] = [
    {
      name: 'an unknown field is left out; the keys before and after it keep their order',
      raw: pod({ containers: [container] }, { metadata: { name: 'p', zz: 1, uid: 'u' } }),
      expected: pod({ containers: [container] }, { metadata: { name: 'p', uid: 'u' } }),
      errors: [],
      shared: ['spec'],
    },
    {
      name: 'a null field is left out, as Go leaves it at its zero value',
      raw: pod({ hostNetwork: null, containers: [container] }),
      expected: pod({ containers: [container] }),
      errors: [],
      shared: ['spec.containers'],
    },
    {
      name: 'a value of the wrong type is reported and left out',
      raw: pod({ containers: [container, { name: 'b', ports: [{ containerPort: 'eighty' }] }] }),
      expected: pod({ containers: [container, { name: 'b', ports: [{}] }] }),
      errors: ['spec.containers[1].ports[0].containerPort'],
      shared: ['spec.containers[0]'],
    },
    {
      name: 'a list entry that is no struct becomes an empty one, so indexes stay true',
      raw: pod({ containers: [7, container] }),
      expected: pod({ containers: [{}, container] }),
      errors: ['spec.containers[0]'],
      shared: ['spec.containers[1]'],
    },
    {
      name: 'a map value of the wrong type is left out',
      raw: pod(
        { containers: [container], nodeSelector: 1 },
        { metadata: { labels: { a: 'b', n: 5, c: 'd' } } },
      ),
      expected: pod({ containers: [container] }, { metadata: { labels: { a: 'b', c: 'd' } } }),
      errors: ['metadata.labels[n]'],
      shared: ['spec.containers'],
    },
  ];
  it.each(cases)('$name', ({ raw, expected, errors, shared }) => {
    const frozen = deepFreeze(structuredClone(raw));
    const out = decode(frozen, 'Pod');
    expect(out.object).toStrictEqual(expected);
    expect(Object.keys(out.object)).toEqual(Object.keys(expected));
    expect(out.errors.map((e) => e.field.toString())).toEqual(errors);
    const at = (o: unknown, p: string): unknown =>
      p.split(/\.|\[|\]/).reduce<unknown>((v, k) => (k === '' ? v : (v as Json)[k]), o);
    for (const p of shared) expect(at(out.object, p), p).toBe(at(frozen, p));
  });
});

describe('defaulting copies on write', () => {
  it('copies only the path to what it sets, and sets it last', () => {
    const svc = deepFreeze({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: {
        selector: { app: 'web' },
        ports: [
          { name: 'a', port: 80, targetPort: 8080, protocol: 'TCP' },
          { name: 'b', port: 81 },
        ],
      },
    });
    const out = defaults('Service', svc) as typeof svc & { spec: Json };
    expect(out.metadata).toBe(svc.metadata);
    expect(out.spec.selector).toBe(svc.spec.selector);
    expect((out.spec.ports as unknown[])[0]).toBe(svc.spec.ports[0]);
    expect((out.spec.ports as unknown[])[1]).toStrictEqual({
      name: 'b',
      port: 81,
      protocol: 'TCP',
      targetPort: 81,
    });
    expect(Object.keys(out.spec)).toEqual([
      'selector',
      'ports',
      'sessionAffinity',
      'type',
      'internalTrafficPolicy',
    ]);
  });

  it('returns an object whose defaults are all set: itself', () => {
    const once = defaults(
      'Pod',
      deepFreeze({
        kind: 'Pod',
        spec: {
          hostNetwork: true,
          containers: [
            { name: 'a', ports: [{ containerPort: 53 }], readinessProbe: { httpGet: { port: 53 } } },
          ],
        },
      }),
    );
    expect(once).toStrictEqual({
      kind: 'Pod',
      spec: {
        hostNetwork: true,
        containers: [
          {
            name: 'a',
            ports: [{ containerPort: 53, protocol: 'TCP', hostPort: 53 }],
            readinessProbe: {
              httpGet: { port: 53, path: '/', scheme: 'HTTP' },
              timeoutSeconds: 1,
              periodSeconds: 10,
              successThreshold: 1,
              failureThreshold: 3,
            },
          },
        ],
      },
      metadata: {},
    });
    expect(defaults('Pod', deepFreeze(once))).toBe(once);
  });
});

describe('loading shares what decoding and defaulting left alone', () => {
  const text = `apiVersion: v1
kind: Pod
metadata:
  name: web-1
  labels: {app: web}
  annotations: {note: kept}
spec:
  containers:
  - name: app
    image: nginx
    ports:
    - {containerPort: 8080, name: http, protocol: TCP}
    - {containerPort: 9090}
status:
  phase: Running
  conditions: [{type: Ready, status: "True"}]
`;
  for (const reader of ['fast', 'plain'] as const) {
    it(`${reader} reader`, () => {
      const r = loadText({ name: 'p.yaml', text }, { reader });
      const m = r.manifests[0]!;
      if (!isKind(m, 'Pod')) throw new Error('not a Pod');
      const raw = m.raw as {
        metadata: unknown;
        status: unknown;
        spec: { containers: { ports: unknown[] }[] };
      };
      expect(m.object.metadata).toBe(raw.metadata);
      expect(m.object.status).toBe(raw.status);
      // The port that names its protocol is shared; the one defaulting gave TCP is a copy, and raw keeps none.
      const ports = m.object.spec.containers[0]!.ports!;
      expect(ports[0]).toBe(raw.spec.containers[0]!.ports[0]);
      expect(ports[1]).toEqual({ containerPort: 9090, protocol: 'TCP' });
      expect(raw.spec.containers[0]!.ports[1]).toEqual({ containerPort: 9090 });
    });
  }
});

/** Every YAML file under `dir`, recursively. */
function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The objects of every modelled kind in `files`, as the yaml library reads them (List items too). */
function modelledObjects(files: readonly string[]): { label: string; source: Json }[] {
  const out: { label: string; source: Json }[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length > 0) continue;
      const value: unknown = doc.toJS();
      if (!isObject(value)) continue;
      const items = Array.isArray(value.items) && String(value.kind).endsWith('List') ? value.items : [value];
      for (const item of items)
        if (isObject(item) && typeof item.kind === 'string' && Object.hasOwn(kindSchemas, item.kind))
          out.push({
            label: `${file} ${item.kind}/${String((item.metadata as Json | undefined)?.name)}`,
            source: item,
          });
    }
  }
  return out;
}

describe('on real manifests: the corpus, the vectors and the examples', () => {
  const objects = modelledObjects([
    ...yamlFiles(corpusDir),
    ...yamlFiles(vectorsDir),
    ...yamlFiles(join(repoRoot, 'examples')),
  ]);

  it('reads enough of them to mean something', () => {
    const kinds = new Set(objects.map((o) => o.source.kind));
    expect(objects.length).toBeGreaterThan(500);
    for (const k of ['Pod', 'Service', 'Deployment', 'StatefulSet', 'DaemonSet', 'Ingress', 'NetworkPolicy'])
      expect(kinds).toContain(k);
  });

  it('never writes to a source, copies nothing equal, keeps key order, and defaults once', () => {
    for (const { label, source } of objects) expectCopyOnWrite(source, label);
  });
});

/** Values for `schema`: mostly well typed, sometimes null or of the wrong type, with unknown keys. */
function valueFor(schema: Schema, depth: number): fc.Arbitrary<unknown> {
  const wrong = fc.constantFrom<unknown>(null, 'x', 0, 7, 2 ** 31, true, [], {});
  const right = (): fc.Arbitrary<unknown> => {
    switch (schema) {
      case 'string':
        return fc.constantFrom(
          '',
          'TCP',
          'UDP',
          'None',
          'ClientIP',
          'NodePort',
          'LoadBalancer',
          '10.0.0.1',
          'web',
        );
      case 'int32':
      case 'int64':
        return fc.constantFrom(0, 1, 80, 8080, 30080, -1);
      case 'bool':
        return fc.boolean();
      case 'intOrString':
        return fc.constantFrom<unknown>(0, 80, '', 'http', 'metrics');
      case 'any':
        return fc.jsonValue({ maxDepth: 1 });
    }
    if (depth > 5) return fc.constant('items' in schema ? [] : {});
    if ('go' in schema) {
      const fields = Object.entries(schema.fields).map(([k, s]) => [k, valueFor(s, depth + 1)] as const);
      return fc
        .tuple(
          fc.record(Object.fromEntries(fields), { requiredKeys: [], noNullPrototype: true }),
          fc.boolean(),
        )
        .map(([o, unknownFirst]) => (unknownFirst ? { zz: 1, ...o } : o));
    }
    if ('items' in schema) return fc.array(valueFor(schema.items, depth + 1), { maxLength: 2 });
    return fc.dictionary(fc.constantFrom('a', 'b', 'app'), valueFor(schema.values, depth + 1), {
      maxKeys: 2,
      noNullPrototype: true,
    });
  };
  return fc.oneof({ weight: 6, arbitrary: right() }, { weight: 1, arbitrary: wrong });
}

describe('on generated objects of every modelled kind', () => {
  for (const [kind, schema] of Object.entries(kindSchemas)) {
    it(kind, () => {
      const objects = valueFor(schema, 0).filter(isObject);
      fc.assert(
        fc.property(objects, (o) => {
          expectCopyOnWrite({ ...o, apiVersion: 'v1', kind }, kind);
        }),
        { numRuns: 60 },
      );
    });
  }
});
