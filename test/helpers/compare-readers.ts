/**
 * The comparison the fast readers are held to (test/load-fast.test.ts, test/json-list-stream.test.ts):
 * loading a source the fast way and the plain way (the `yaml` library) gives the same values, findings,
 * document counts and `locate()` positions for every field path of every object.
 */
import { expect } from 'vitest';
import { FieldPath } from '../../src/model/field-path.js';
import { type LoadResult, loadTextWith, type Manifest, type SourceText } from '../../src/model/load.js';

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

/** Loads `src` both ways and expects the same; returns which reader the fast path used. */
export function compareReaders(src: SourceText): string {
  const plain = loadTextWith(src, { reader: 'plain' });
  const fast = loadTextWith(src, { reader: 'fast' });
  expect(summary(fast.result), `${src.name} ${JSON.stringify(src.text.slice(0, 400))}`).toBe(
    summary(plain.result),
  );
  for (const [i, m] of plain.result.manifests.entries()) {
    const f = fast.result.manifests[i] as Manifest;
    const paths: FieldPath[] = [];
    fieldPaths(m.raw, FieldPath.empty, paths);
    const want = paths.map((p) => `${p.toString()} ${exact(m.source.locate(p))}`);
    const got = paths.map((p) => `${p.toString()} ${exact(f.source.locate(p))}`);
    expect(got, `${src.name} ${m.kind}/${m.name}`).toEqual(want);
  }
  return fast.reader;
}
