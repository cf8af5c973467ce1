import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKind, loadText } from '../src/model/load.js';
import { shareUnchanged } from '../src/model/share.js';

const clone = <T>(v: T): T => structuredClone(v);

describe('shareUnchanged', () => {
  const cases: { name: string; decoded: unknown; source: unknown; shared: boolean }[] = [
    {
      name: 'equal objects',
      decoded: { a: 1, b: { c: 'x' } },
      source: { a: 1, b: { c: 'x' } },
      shared: true,
    },
    { name: 'equal arrays', decoded: [1, { a: [2] }], source: [1, { a: [2] }], shared: true },
    { name: 'a changed value', decoded: { a: 1 }, source: { a: 2 }, shared: false },
    { name: 'a key defaulting added', decoded: { a: 1, p: 'TCP' }, source: { a: 1 }, shared: false },
    { name: 'a key decoding dropped', decoded: { a: 1 }, source: { a: 1, unknown: 2 }, shared: false },
    { name: 'a longer array', decoded: [1, 2], source: [1], shared: false },
    { name: 'a shorter array', decoded: [1], source: [1, 2], shared: false },
    { name: 'an array for an object', decoded: { 0: 1 }, source: [1], shared: false },
    { name: 'an object for an array', decoded: [1], source: { 0: 1 }, shared: false },
    { name: '1 and "1"', decoded: { a: 1 }, source: { a: '1' }, shared: false },
    { name: 'empty objects', decoded: {}, source: {}, shared: true },
    { name: 'null and an object', decoded: { a: null }, source: { a: {} }, shared: false },
  ];
  it.each(cases)('$name: shared $shared', ({ decoded, source, shared }) => {
    const before = clone(decoded);
    const out = shareUnchanged(decoded, source);
    expect(out === source).toBe(shared);
    expect(out).toEqual(before);
  });

  it('shares the equal subtrees of an object that changed', () => {
    const source = { metadata: { labels: { app: 'web' } }, spec: { ports: [{ port: 80 }] } };
    const decoded = {
      metadata: { labels: { app: 'web' } },
      spec: { ports: [{ port: 80, protocol: 'TCP' }] },
    };
    const out = shareUnchanged(decoded, source) as typeof decoded;
    expect(out).toBe(decoded);
    expect(out.metadata).toBe(source.metadata);
    expect(out.spec).not.toBe(source.spec);
    expect(out.spec.ports[0]).toEqual({ port: 80, protocol: 'TCP' });
    expect(source.spec.ports[0]).toEqual({ port: 80 });
  });

  it('never changes what a value is, and never touches the source', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const decoded = clone(a);
        const source = clone(b);
        const out = shareUnchanged(decoded, source);
        expect(out).toStrictEqual(a);
        expect(source).toStrictEqual(b);
        // An equal value written in the same order is shared whole.
        expect(shareUnchanged(clone(b), source)).toBe(typeof b === 'object' && b !== null ? source : b);
      }),
    );
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
