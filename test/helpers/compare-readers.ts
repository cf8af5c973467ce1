/**
 * The comparison the fast readers are held to (test/load-fast.test.ts, test/json-list-stream.test.ts):
 * loading a source the fast way and the plain way (the `yaml` library) gives the same values, findings,
 * document counts and `locate()` positions for every field path of every object.
 */
import { expect } from 'vitest';
import { FieldPath } from '../../src/model/field-path.js';
import { type LoadResult, loadTextWith, type Manifest, type SourceText } from '../../src/model/load.js';
import { MemoryBytes, streamedSource } from '../../src/sources/bytes.js';

/** JSON that tells -0 from 0, a Date from its ISO string, and keeps NaN and the infinities, with key order. */
export function exact(v: unknown): string {
  return JSON.stringify(v, function (this: Record<string, unknown>, k: string, x: unknown) {
    const original = this[k];
    if (original instanceof Date) return `<Date ${String(x)}>`;
    if (typeof x === 'number') {
      if (Object.is(x, -0)) return '<-0>';
      if (!Number.isFinite(x)) return `<${String(x)}>`;
    }
    return x;
  });
}

/** Every field path of a raw object, plus a missing child under each mapping and an index past each list. */
export function fieldPaths(v: unknown, base: FieldPath, out: FieldPath[]): void {
  out.push(base);
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      fieldPaths(x, base.index(i), out);
    });
    out.push(base.index(v.length));
    out.push(base.child('notThere'));
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) fieldPaths(x, base.child(k), out);
    out.push(base.child('notThere'));
    out.push(base.index(0));
  }
}

export function summary(r: LoadResult): string {
  return exact({
    findings: r.findings,
    documents: r.documents,
    skipped: r.skippedKinds,
    manifests: r.manifests.map((m: Manifest) => ({
      kind: m.kind,
      apiVersion: m.apiVersion,
      name: m.name,
      namespace: m.namespace,
      ref: m.ref,
      decodeFailed: m.decodeFailed,
      doc: m.source.doc,
      file: m.source.file,
      raw: m.raw,
      object: m.object,
    })),
  });
}

/**
 * Loads `src` the plain way, the fast way and, from its bytes, as a streamed source (in three chunks, as
 * stdin delivers them), and expects the same from all three; returns which reader the fast path used.
 */
export function compareReaders(src: SourceText): string {
  const plain = loadTextWith(src, { reader: 'plain' });
  const fast = loadTextWith(src, { reader: 'fast' });
  expectSame(plain.result, fast.result, src);
  const b = Buffer.from(src.text, 'utf8');
  // Only a text a file can hold: a lone surrogate (from cutting a string in a pair) has no UTF-8 bytes.
  if (!src.bytes && b.toString('utf8') === src.text) {
    const third = Math.ceil(b.length / 3);
    const chunks = [b.subarray(0, third), b.subarray(third, 2 * third), b.subarray(2 * third)];
    const streamed = streamedSource(src.name, new MemoryBytes(chunks));
    expectSame(plain.result, loadTextWith(streamed, { reader: 'fast' }).result, src);
  }
  return fast.reader;
}

function expectSame(plain: LoadResult, other: LoadResult, src: SourceText): void {
  expect(summary(other), `${src.name} ${JSON.stringify(src.text.slice(0, 400))}`).toBe(summary(plain));
  for (const [i, m] of plain.manifests.entries()) {
    const f = other.manifests[i] as Manifest;
    const paths: FieldPath[] = [];
    fieldPaths(m.raw, FieldPath.empty, paths);
    const want = paths.map((p) => `${p.toString()} ${exact(m.source.locate(p))}`);
    const got = paths.map((p) => `${p.toString()} ${exact(f.source.locate(p))}`);
    expect(got, `${src.name} ${m.kind}/${m.name}`).toEqual(want);
  }
}
