/**
 * Values read from a streamed dump must not keep the text they were read from (src/model/own-string.ts): a
 * piece sliced out of a List item's text would keep all of that text alive as long as the manifest lives.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ownString } from '../src/model/own-string.js';
import { readYamlDocumentsStream } from '../src/model/yaml-documents-stream.js';
import { readYamlListStream } from '../src/model/yaml-list-stream.js';
import { MemoryBytes } from '../src/sources/bytes.js';
import { heapAfterGc } from './helpers/shared.js';

const ITEMS = 300;
/** A comment line in every item: the item's text is this long, its values a few dozen bytes. */
const PADDING = 64_000;

/**
 * One manifest, indented by `pad`, with every kind of scalar the fast reader cuts from its text and a comment
 * line of `padding` characters.
 */
function manifest(i: number, pad: string, padding: number): string {
  const n = String(i).padStart(5, '0');
  return [
    'apiVersion: v1',
    'kind: ConfigMap',
    `# ${'x'.repeat(padding)}`,
    'metadata:',
    `  name: settings-${n}-of-the-ledger`,
    `  namespace: team-${n}-payments`,
    `  uid: "0a1b2c3d-${n}-4e5f-8a9b-0c1d2e3f4a5b"`,
    'data:',
    `  quoted: 'it''s item ${n} of the dump'`,
    `  escaped: "line one of ${n}\\nline two"`,
    `  folded: a plain scalar of item ${n}`,
    `    that runs over two lines`,
    '  block: |',
    `    listen ${n}`,
    '    port 8080',
  ]
    .map((line, k) => (k === 0 ? line : pad + line))
    .join('\n');
}

const list = (padding: number): string =>
  `apiVersion: v1\nitems:\n${Array.from({ length: ITEMS }, (_, i) => `- ${manifest(i, '  ', padding)}`).join('\n')}\nkind: List\nmetadata:\n  resourceVersion: ""\n`;
const documents = (padding: number): string =>
  Array.from({ length: ITEMS }, (_, i) => manifest(i, '', padding)).join('\n---\n');

/** Heap kept by what `read` returns, measured after full collections, with the source's bytes held apart. */
function retainedBy(text: string, read: (bytes: MemoryBytes) => unknown): { bytes: number; value: unknown } {
  const chunks: Buffer[] = [];
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += 64 * 1024) chunks.push(b.subarray(i, i + 64 * 1024));
  const src = new MemoryBytes(chunks);
  const before = heapAfterGc();
  const value = read(src);
  const bytes = heapAfterGc() - before;
  return { bytes, value };
}

describe('values read from a stream hold no reference to its text', () => {
  it('ownString returns an equal string, whatever its characters and wherever it was cut from', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.nat(), fc.nat(), (s, a, b) => {
        expect(ownString(s)).toBe(s);
        const piece = s.slice(Math.min(a, b) % (s.length + 1), Math.max(a, b) % (s.length + 1));
        expect(ownString(piece)).toBe(piece);
      }),
    );
  });

  /**
   * What the padding adds to the heap kept: nothing but noise when values own their strings (code compiled
   * on the way, for one; a first read compiles most of it). A value sliced from its item's text keeps the
   * item's 64 kB: 19 MB here.
   */
  const bound = (ITEMS * PADDING) / 10;

  it('a streamed List: its items and their text are released, their values kept', () => {
    const read = (src: MemoryBytes) => readYamlListStream(src, 'list.yaml');
    retainedBy(list(0), read);
    const padded = retainedBy(list(PADDING), read);
    const bare = retainedBy(list(0), read);
    const items = (padded.value as { value: { items: { metadata: { name: string } }[] } } | undefined)?.value
      .items;
    expect(items?.length).toBe(ITEMS);
    expect(items?.[7]?.metadata.name).toBe('settings-00007-of-the-ledger');
    expect(items?.[7]).toMatchObject({
      data: {
        quoted: "it's item 00007 of the dump",
        escaped: 'line one of 00007\nline two',
        folded: 'a plain scalar of item 00007 that runs over two lines',
        block: 'listen 00007\nport 8080\n',
      },
    });
    expect(padded.bytes - bare.bytes).toBeLessThan(bound);
  });

  it('a stream of documents, read piece by piece', () => {
    const read = (src: MemoryBytes) => readYamlDocumentsStream(src, 'docs.yaml');
    retainedBy(documents(0), read);
    const padded = retainedBy(documents(PADDING), read);
    const bare = retainedBy(documents(0), read);
    const docs = (padded.value as { docs: { value: { metadata: { uid: string } } }[] } | undefined)?.docs;
    expect(docs?.length).toBe(ITEMS);
    expect(docs?.[299]?.value.metadata.uid).toBe('0a1b2c3d-00299-4e5f-8a9b-0c1d2e3f4a5b');
    expect(padded.bytes - bare.bytes).toBeLessThan(bound);
  });
});
