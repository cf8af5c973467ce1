/**
 * Property tests of the loader and the check pipeline on hostile input: never a throw, every finding at a real
 * line, every bad document reported at its line (the mutated field's line), and the valid documents beside it
 * checked exactly as when they are alone. FUZZ_RUNS sets the run count (npm run fuzz: 100000), FUZZ_SEED the
 * seed; fast-check prints `seed` and `path` on failure, so `FUZZ_SEED=<seed>` replays it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../../src/check.js';
import type { Finding } from '../../src/model/finding.js';
import { loadAll } from '../../src/model/load.js';
import { readSources } from '../../src/sources/files.js';
import {
  assemble,
  fuzzParams,
  joinDocuments,
  KNOWN_BUGS,
  mixedInput,
  PROPERTY_TIMEOUT,
  toYaml,
  validApps,
} from './manifests.js';

const dir = mkdtempSync(join(tmpdir(), 'portchain-fuzz-loader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lineTotal = (text: string) => text.split('\n').length;

function expectSaneLocations(findings: readonly Finding[], file: string, text: string): void {
  for (const f of findings) {
    if (!f.location || f.location.file !== file) continue;
    expect(f.location.line).toBeGreaterThanOrEqual(1);
    expect(f.location.line).toBeLessThanOrEqual(lineTotal(text));
    expect(f.location.column).toBeGreaterThanOrEqual(1);
  }
}

/** What a finding says, independent of where its document sits in the file. */
const key = (f: Finding, line: number | undefined) =>
  JSON.stringify([f.rule, f.severity, f.message, f.field, f.object, line, f.location?.column]);

/** YAML-ish text from YAML's own tokens, so the parser sees more than random noise. */
const yamlish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '---\n',
        '...\n',
        'apiVersion: v1\n',
        'kind: Service\n',
        'kind: List\nitems:\n',
        'metadata:\n',
        '  name: x\n',
        'spec:\n',
        '  ports:\n',
        '  - port: 80\n',
        '    targetPort: http\n',
        '&a ',
        '*a',
        '<<: *a\n',
        '!!binary ',
        '!!str ',
        '? ',
        ': ',
        '- ',
        '[',
        ']',
        '{',
        '}',
        ',',
        '"',
        "'",
        '|\n',
        '>-\n',
        '#',
        '%YAML 1.1\n',
        '%TAG ! tag:x,2000:\n',
        '\t',
        '\r\n',
        '\uFEFF',
        '\u0085',
        '\u2028',
      ),
      fc.string({ maxLength: 8 }),
      fc.integer().map(String),
      fc.double().map(String),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));

describe('the loader on arbitrary text', () => {
  it(
    'never throws and locates every finding inside the text',
    () => {
      fc.assert(
        fc.property(
          fc.oneof(yamlish, fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ maxLength: 300 })),
          (text) => {
            const r = loadAll([{ name: 'f.yaml', text }]);
            expectSaneLocations(r.findings, 'f.yaml', text);
            expect(r.documents).toBeGreaterThanOrEqual(0);
          },
        ),
        fuzzParams(),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    'check() never throws on valid manifests with random characters inserted, deleted or replaced',
    () => {
      const edit = fc.record({
        at: fc.nat(),
        del: fc.integer({ min: 0, max: 5 }),
        insert: fc.oneof(
          fc.string({ maxLength: 5 }),
          fc.constantFrom(':', '-', ' ', '\n', '  ', '"', '[', '&x', '*x'),
        ),
      });
      fc.assert(
        fc.property(validApps, fc.array(edit, { minLength: 1, maxLength: 4 }), (objs, edits) => {
          let text = joinDocuments(objs.map(toYaml)).text;
          for (const e of edits) {
            const at = text.length === 0 ? 0 : e.at % text.length;
            text = text.slice(0, at) + e.insert + text.slice(at + e.del);
          }
          const r = check([{ name: 'f.yaml', text }]);
          expectSaneLocations(r.findings, 'f.yaml', text);
        }),
        // FUZZ_RUNS / 4: the slowest property of the loader (a full check() per case).
        fuzzParams(200, 4),
      );
    },
    PROPERTY_TIMEOUT,
  );
});

describe('readSources on arbitrary bytes', () => {
  it(
    'reads or reports every file, never throws',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), async (bytes, viaStdin) => {
          const file = join(dir, 'bytes.yaml');
          writeFileSync(file, bytes);
          const r = await readSources([viaStdin ? '-' : file], Readable.from([Buffer.from(bytes)]));
          expect(r.sources.length + r.findings.length).toBe(1);
          for (const f of r.findings) expect(f.rule).toBe('input-unreadable');
          if (r.sources[0]) expect(() => loadAll(r.sources)).not.toThrow();
        }),
        fuzzParams(100, 10),
      );
    },
    PROPERTY_TIMEOUT,
  );
});

describe('readSources: a big input reads as a small one', () => {
  // Big inputs are streamed, and converted first when UTF-16 or CRLF (src/sources/lf-utf8.ts); small ones
  // are decoded whole. Whatever the bytes, both must give the same text, findings and loaded objects.
  const encodings = ['utf-8', 'utf-8 with BOM', 'utf-16le', 'utf-16be'] as const;
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
    mixedInput.map((m) => Buffer.from(assemble(m).text)),
  );
  /** `text`'s bytes as `encoding` writes them, with a byte order mark where it has one. */
  function encode(text: Buffer, encoding: (typeof encodings)[number], crlf: boolean): Buffer {
    const t = crlf ? Buffer.from(text.toString('latin1').replaceAll('\n', '\r\n'), 'latin1') : text;
    if (encoding === 'utf-8') return t;
    if (encoding === 'utf-8 with BOM') return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), t]);
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t.toString('utf8'), 'utf16le')]);
    if (encoding === 'utf-16le') return le;
    return Buffer.from(le).swap16();
  }
  const summary = (r: Awaited<ReturnType<typeof readSources>>) => ({
    findings: r.findings.map((f) => f.message),
    texts: r.sources.map((src) => src.text),
    loaded: JSON.stringify(loadAll(r.sources), (k, v) => (k === 'source' ? undefined : v)),
  });
  it(
    'from a file and from stdin, in UTF-8 and UTF-16, with LF and CRLF',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          body,
          fc.constantFrom(...encodings),
          fc.boolean(),
          fc.boolean(),
          fc.integer({ min: 1, max: 4 }),
          async (text, encoding, crlf, viaStdin, pieces) => {
            const bytes = encode(text, encoding, crlf);
            const file = join(dir, 'sized.yaml');
            writeFileSync(file, bytes);
            const step = Math.ceil(bytes.length / pieces) || 1;
            const read = (streamFrom: number) =>
              readSources(
                [viaStdin ? '-' : file],
                Readable.from(
                  Array.from({ length: pieces }, (_, i) => bytes.subarray(i * step, (i + 1) * step)),
                ),
                { streamFrom },
              );
            const whole = await read(Number.POSITIVE_INFINITY);
            const streamed = await read(1);
            expect(summary(streamed)).toEqual(summary(whole));
          },
        ),
        fuzzParams(100, 20),
      );
    },
    PROPERTY_TIMEOUT,
  );
});

describe('one bad document among valid ones', () => {
  it(
    'is reported at its line, and the valid documents keep exactly their own findings',
    () => {
      fc.assert(
        fc.property(mixedInput, (m) => {
          const { text, badStart, mapLine, validText } = assemble(m);
          const mixed = check([{ name: 'f.yaml', text }]);
          expectSaneLocations(mixed.findings, 'f.yaml', text);
          if (m.bad.bug && KNOWN_BUGS.has(m.bad.bug)) return;
          // The bad document is reported at one of its expected lines.
          const expected = m.bad.lines.map((l) => badStart + l - 1);
          const at = mixed.findings.filter(
            (f) => f.severity === 'error' && f.location && expected.includes(f.location.line),
          );
          expect(
            at.length,
            `${m.bad.what}: no finding at line ${expected.join('|')}\n${text}`,
          ).toBeGreaterThan(0);
          // The valid documents: the same findings as without the bad one.
          const alone = check([{ name: 'f.yaml', text: validText }]);
          const got = mixed.findings
            .map((f) => ({ f, l: f.location ? mapLine(f.location.line) : undefined }))
            .filter((x) => x.l !== undefined)
            .map((x) => key(x.f, x.l))
            .sort();
          const want = alone.findings.map((f) => key(f, f.location?.line)).sort();
          expect(got, `${m.bad.what}\n${text}`).toEqual(want);
        }),
        fuzzParams(200, 4),
      );
    },
    PROPERTY_TIMEOUT,
  );
});

/** Regression tests of the loader bugs the fuzzer found (RELIABILITY.md): `it.fails` while listed in KNOWN_BUGS. */
describe('known loader bugs (an id listed in KNOWN_BUGS marks its test `it.fails`)', () => {
  const service = (inject: string) =>
    `apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n${inject}\nspec:\n  ports:\n  - port: 80\n`;
  const cases: [bug: string, text: string, assert: (r: ReturnType<typeof loadAll>) => void][] = [
    [
      'unclosed-quote-swallows-following-documents',
      `${service('  labels: {a: "x}')}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: next\nspec:\n  ports:\n  - port: 81\n`,
      (r) => {
        expect(r.findings.some((f) => f.rule === 'yaml-syntax' && (f.location?.line ?? 0) <= 8)).toBe(true);
        expect(r.manifests.map((m) => m.name)).toContain('next');
      },
    ],
    ...['\u0001', '\u0007', '\u001b', '\u007f', '\uFFFE'].map(
      (c): [string, string, (r: ReturnType<typeof loadAll>) => void] => [
        'control-characters-accepted',
        service(`  labels:\n    a: x${c}y`),
        (r) => expect(r.findings.filter((f) => f.location?.line === 6)).not.toEqual([]),
      ],
    ),
    [
      'self-referencing-alias-accepted',
      service('  x: &a [*a]'),
      (r) => expect(r.findings.filter((f) => f.location?.line === 5)).not.toEqual([]),
    ],
    [
      'bad-tagged-value-accepted',
      service('  labels: {a: !!int notanint}'),
      (r) => expect(r.findings.filter((f) => f.location?.line === 5)).not.toEqual([]),
    ],
  ];
  for (const [bug, text, assert] of cases)
    (KNOWN_BUGS.has(bug) ? it.fails : it)(`${bug}: ${JSON.stringify(text.slice(40, 80))}`, () =>
      assert(loadAll([{ name: 'f.yaml', text }])),
    );
});
