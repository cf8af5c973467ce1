/**
 * The streaming JSON List reader (src/model/json-list-stream.ts) against the whole-text readers: for Lists
 * in every indentation, read through buffers small enough that items span refills, the value, findings and
 * every `locate()` position equal the plain path's (the `yaml` library) and fast-json's; whatever it does not
 * copy exactly, it declines, and the whole text is read as before. Also: reading big files and stdin as
 * streamed sources, positions once the file has changed, and quoting lines from bytes.
 */
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJsonFast } from '../src/model/fast-json.js';
import { FieldPath } from '../src/model/field-path.js';
import { readJsonListStream } from '../src/model/json-list-stream.js';
import { LazyPositions } from '../src/model/lazy-positions.js';
import { loadTextWith, type SourceText } from '../src/model/load.js';
import { sourceLines, TextLines } from '../src/model/source-lines.js';
import { hasUnsupportedChars } from '../src/model/yaml-scalars.js';
import { FileBytes, MemoryBytes, streamedSource } from '../src/sources/bytes.js';
import { readSources } from '../src/sources/files.js';
import { compareReaders, exact, fieldPaths } from './helpers/compare-readers.js';
import { jsonValues, trickyStrings } from './helpers/json-arbitraries.js';

const dir = mkdtempSync(join(tmpdir(), 'portchain-json-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Strings a JSON scanner must not be fooled by: brackets, quotes, escapes, `":`, line breaks, non-ASCII. */
const tricky = trickyStrings(['a', '{', '}', '[', ']', ',', ':', '":', '"', '\\', '\n', ' ', 'é', '😀']);
const extra = jsonValues(tricky);

const pod = (i: number, labels: Record<string, string>, note: unknown) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `p${i}`, namespace: 'ns', labels, annotations: { note: JSON.stringify(note) } },
  spec: {
    containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 + i }], x: note }],
  },
});

type ListSpec = {
  items: [Record<string, string>, unknown][];
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  indent: number;
};

const listArb: fc.Arbitrary<ListSpec> = fc.record({
  items: fc.array(fc.tuple(fc.dictionary(fc.constantFrom('app', 'tier'), tricky), extra), {
    minLength: 1,
    maxLength: 6,
  }),
  before: fc.dictionary(fc.constantFrom('apiVersion', 'aa', 'metadata'), extra, { maxKeys: 2 }),
  after: fc.dictionary(fc.constantFrom('kind', 'metadata', 'zz'), extra, { maxKeys: 2 }),
  indent: fc.integer({ min: 1, max: 8 }),
});

function listText(l: ListSpec): string {
  const root = {
    apiVersion: 'v1',
    ...l.before,
    items: l.items.map(([labels, note], i) => pod(i, labels, note)),
    ...l.after,
    kind: 'List',
  };
  return JSON.stringify(root, null, l.indent);
}

const streamed = (name: string, text: string) =>
  streamedSource(name, new MemoryBytes([Buffer.from(text, 'utf8')]));

/** Every key path of the value, as `locate()` is asked for them (with missing keys and indexes too). */
function keyPaths(value: unknown): (string | number)[][] {
  const paths: FieldPath[] = [];
  fieldPaths(value, FieldPath.empty, paths);
  return paths.map((p) => [...p.keys()]);
}

describe('streaming a JSON List', () => {
  it('equals the plain path (values, findings, every position) in every indentation', () => {
    let streamedCount = 0;
    fc.assert(
      fc.property(listArb, (l) => {
        const text = listText(l);
        const reader = compareReaders(streamed('list.json', text));
        // The stream declines only what fast-json leaves to the library too.
        if (hasUnsupportedChars(text)) expect(reader).toBe('plain');
        else {
          expect(reader).toBe('fast-json-stream');
          streamedCount++;
        }
      }),
      { numRuns: 200 },
    );
    expect(streamedCount).toBeGreaterThan(100);
  });

  it('gives fast-json`s value and positions when items span buffer refills and outgrow the buffer', () => {
    fc.assert(
      fc.property(
        listArb,
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 4 }),
        (l, chunk, k) => {
          const text = listText(l);
          if (hasUnsupportedChars(text)) return;
          const bytes = new MemoryBytes(splitBytes(Buffer.from(text, 'utf8'), k));
          const got = readJsonListStream(bytes, 'l.json', { chunk, head: 1 << 16 });
          if (!got) throw new Error(`declined: ${text.slice(0, 200)}`);
          const doc = parseJsonFast(text);
          expect(exact(got.value)).toBe(exact(doc.value));
          const want = new LazyPositions(text, 'l.json').json(doc);
          for (const keys of keyPaths(doc.value)) expect(got.at(keys), keys.join('.')).toEqual(want(keys));
          expect(got.at(['items', 99])).toEqual(want(['items', 99]));
          expect(got.at(['items', -1])).toEqual(want(['items', -1]));
          expect(got.at(['items', 'x'])).toEqual(want(['items', 'x']));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('mutated Lists: read as the plain path reads them, or declined', () => {
    // Edits that move an item's boundary: line breaks with and without indentation, braces, brackets,
    // commas, quotes, escapes, characters the fast readers leave to the library.
    const junk = [
      '\n',
      '\n    ',
      '\n        }',
      '\n        {',
      '}',
      '{',
      ']',
      '[',
      ',',
      '"',
      '\\',
      ' ',
      '\t',
      '\r',
      'x',
    ];
    let streamedRuns = 0;
    fc.assert(
      fc.property(
        listArb,
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...junk)), { minLength: 1, maxLength: 3 }),
        (l, edits) => {
          let text = listText({ ...l, indent: 4 });
          for (const [at, j] of edits) {
            const i = at % (text.length + 1);
            text = text.slice(0, i) + j + text.slice(i);
          }
          compareReaders({ name: 'mutated.json', text });
          if (loadTextWith(streamed('mutated.json', text)).reader === 'fast-json-stream') streamedRuns++;
        },
      ),
      { numRuns: 300 },
    );
    // Some edits land inside strings or between items and leave valid JSON in this layout: those stream.
    expect(streamedRuns).toBeGreaterThan(10);
  });

  it('declines what it does not read exactly, and the whole text is read instead', () => {
    const item = (extra: string) =>
      `{\n    "apiVersion": "v1",\n    "kind": "Pod",\n    "metadata": {\n        "name": "p"${extra}\n    }\n}`;
    const list = (items: string[], sep = ',\n', after = '') =>
      `{\n"apiVersion": "v1",\n"items": [\n${items.map((i) => i.replace(/^/gm, '    ')).join(sep)}\n]${after},\n"kind": "List"\n}\n`;
    const cases: [string, string][] = [
      ['compact', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ kind: 'Pod' }] })],
      ['CRLF line ends', list([item(''), item('')]).replace(/\n/g, '\r\n')],
      ['a duplicate key in an item', list([item(''), item(',\n        "name": "q"')])],
      ['a tab in an item', list([item(',\n        "x": "a\tb"')])],
      [
        'items that are not objects',
        '{\n    "items": [\n        1,\n        2\n    ],\n    "kind": "List"\n}',
      ],
      ['no items', '{\n    "items": [],\n    "kind": "List"\n}'],
      ['two items on one line', list([item(''), item('')], ', ')],
      ['an item indented differently', list([item(''), ` ${item('')}`])],
      ['a duplicate items key', list([item('')], ',\n', ',\n"items": []')],
      ['not JSON after the items', `${list([item('')])}x`],
      ['a line separator, which the library reads itself', list([item(',\n        "x": "a\u2028b"')])],
    ];
    for (const [what, text] of cases) {
      expect(readJsonListStream(new MemoryBytes([Buffer.from(text)]), 'c.json'), what).toBeUndefined();
      expect(compareReaders(streamed('c.json', text)), what).not.toBe('fast-json-stream');
    }
    // And the same layout without the flaw streams.
    expect(compareReaders(streamed('c.json', list([item(''), item('')])))).toBe('fast-json-stream');
  });

  it('locates an item by its first line once the file has changed, and reports a file that changed while read', () => {
    const text = JSON.stringify(
      { apiVersion: 'v1', items: [pod(0, {}, 'a'), pod(1, {}, 'b')], kind: 'List' },
      null,
      4,
    );
    const file = join(dir, 'changing.json');
    writeFileSync(file, text);
    const loaded = loadTextWith(streamedSource(file, fileBytes(file)));
    expect(loaded.reader).toBe('fast-json-stream');
    const [first, second] = loaded.result.manifests;
    const port = FieldPath.root('spec', 'containers').index(0).child('ports').index(0).child('containerPort');
    const lineOf = (s: string) => text.split('\n').findIndex((l) => l.includes(s)) + 1;
    const portLine = lineOf('"containerPort": 8081');
    const column = (text.split('\n')[portLine - 1] ?? '').indexOf('"containerPort"') + 1;
    expect(second?.source.locate(port)).toEqual({ file, line: portLine, column });

    writeFileSync(file, text.replace('"p0"', '"q0"'));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    // Item 0 was never located before the change: it is read again, found changed, and its first line
    // stands in (line 3: `{`, `"apiVersion"`, `"items": [`, then the item), never a line of the new text.
    expect(first?.source.locate(port)).toEqual({ file, line: 4, column: 9 });
    expect(lineOf('"containerPort": 8080')).toBeGreaterThan(4);
    // A new load reads the new text.
    expect(loadTextWith(streamedSource(file, fileBytes(file))).result.manifests[0]?.name).toBe('q0');
    // Changed while being streamed (recorded size and time no longer match): reported, not thrown.
    const stale = loadTextWith(streamedSource(file, new FileBytes(file, 0, 1, 0))).result;
    expect(stale.findings.map((f) => [f.rule, f.location?.line])).toEqual([['input-unreadable', 1]]);
    expect(stale.findings[0]?.message).toMatch(/changed after it was read/);
  });
});

describe('reading big JSON as a streamed source', () => {
  it('streams files from the threshold on and reads the rest whole; BOMs and stdin too', async () => {
    const json = JSON.stringify(
      { apiVersion: 'v1', items: [pod(0, { app: 'a' }, 'x')], kind: 'List' },
      null,
      4,
    );
    const big = join(dir, 'big.json');
    const bom = join(dir, 'bom.json');
    const yaml = join(dir, 'small.yaml');
    writeFileSync(big, json);
    writeFileSync(bom, `\uFEFF${json}`);
    writeFileSync(yaml, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n');
    const stdin = Readable.from([Buffer.from(json.slice(0, 50)), Buffer.from(json.slice(50))]);
    const r = await readSources([big, bom, yaml, '-'], stdin, { streamFrom: 100 });
    expect(r.findings).toEqual([]);
    expect(r.sources.map((s) => [s.name, s.bytes !== undefined])).toEqual([
      [big, true],
      [bom, true],
      [yaml, false],
      ['<stdin>', true],
    ]);
    const loads = r.sources.map((s) => loadTextWith(s));
    expect(loads.map((l) => l.reader)).toEqual([
      'fast-json-stream',
      'fast-json-stream',
      'fast-yaml',
      'fast-json-stream',
    ]);
    const name = FieldPath.root('metadata', 'name');
    const want = loadTextWith(
      { name: big, text: json },
      { reader: 'plain' },
    ).result.manifests[0]?.source.locate(name);
    for (const l of [loads[0], loads[1], loads[3]]) {
      const at = l?.result.manifests[0]?.source.locate(name);
      expect({ line: at?.line, column: at?.column }).toEqual({ line: want?.line, column: want?.column });
    }
    // stdin with a byte order mark cut across its first chunks, and a binary stdin (reported, not streamed).
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]);
    const split = [
      withBom.subarray(0, 1),
      withBom.subarray(1, 2),
      withBom.subarray(2, 40),
      withBom.subarray(40),
    ];
    const bomStdin = await readSources(['-'], Readable.from(split), { streamFrom: 100 });
    expect(bomStdin.sources[0]?.bytes?.size).toBe(Buffer.byteLength(json));
    expect(bomStdin.sources[0]?.text).toBe(json);
    expect(loadTextWith(bomStdin.sources[0] as SourceText).result.manifests.map((m) => m.name)).toEqual([
      'p0',
    ]);
    const binary = Buffer.concat([Buffer.from(json.slice(0, 10)), Buffer.from([0]), Buffer.from(json)]);
    const binStdin = await readSources(['-'], Readable.from([binary]), { streamFrom: 100 });
    expect(binStdin.sources).toEqual([]);
    expect(binStdin.findings.map((f) => f.message)).toEqual(['binary data, not YAML or JSON']);
    // Below the threshold, the same file is read whole.
    const whole = await readSources([big], Readable.from([]), { streamFrom: 1e9 });
    expect(whole.sources[0]?.bytes).toBeUndefined();
    expect(whole.sources[0]?.text).toBe(json);
  });
});

describe('quoting lines from bytes', () => {
  it('gives every line as the text gives it, asked forwards, backwards and past the end', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'é', '\n', '\r\n', ' ', '😀', 'xyz'), { maxLength: 60 }),
        fc.integer({ min: 1, max: 5 }),
        (parts, k) => {
          const text = parts.join('');
          const bytes = streamedSource('t', new MemoryBytes(splitBytes(Buffer.from(text), k)));
          const lines = sourceLines(bytes);
          const reference = new TextLines(text);
          const count = text.split('\n').length;
          const order = [...Array(count + 2).keys()].map((i) => i + 1);
          for (const n of [...order, ...order.reverse()])
            expect(lines.line(n), `line ${n}`).toBe(reference.line(n));
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** `b` cut into about `k` pieces (stdin's chunks), so reads cross chunk edges. */
function splitBytes(b: Buffer, k: number): Buffer[] {
  const size = Math.max(1, Math.ceil(b.length / k));
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out.length > 0 ? out : [b];
}

function fileBytes(file: string): FileBytes {
  const st = statSync(file);
  return new FileBytes(file, 0, st.size, st.mtimeMs);
}
