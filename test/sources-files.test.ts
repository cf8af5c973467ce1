import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { loadTextWith, type SourceText } from '../src/model/load.js';
import { readSources } from '../src/sources/files.js';
import { lfLineBreaks } from '../src/sources/line-breaks.js';

const dir = mkdtempSync(join(tmpdir(), 'portchain-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('readSources: files', () => {
  it('decodes UTF-8 exactly, also where a character straddles a read chunk', async () => {
    // Two- and four-byte characters across the 64 KiB and 512 KiB boundaries readFile reads in.
    const pad = (n: number) => 'x'.repeat(n);
    const text = `data: "${pad(65_536 - 7)}é${pad(524_288 - 65_536 - 2)}😀${pad(1000)}"\n`;
    const p = file('wide.yaml', text);
    const r = await readSources([p]);
    expect(r.findings).toEqual([]);
    expect(r.sources[0]?.text).toBe(text);
  });

  it('strips a byte order mark', async () => {
    const p = file('bom.yaml', '\uFEFFapiVersion: v1\n');
    const r = await readSources([p]);
    expect(r.sources[0]?.text).toBe('apiVersion: v1\n');
  });

  it('reports binary data (a NUL early on) and reads the rest', async () => {
    const png = file(
      'image.yaml',
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
    );
    const ok = file('ok.yaml', 'kind: Namespace\n');
    const r = await readSources([png, ok]);
    expect(r.findings).toMatchObject([
      {
        rule: 'input-unreadable',
        message: 'binary data, not YAML or JSON',
        location: { file: png, line: 1 },
      },
    ]);
    expect(r.sources.map((s) => s.name)).toEqual([ok]);
    expect(r.order).toEqual([png, ok]);
  });

  // A Service with a quoted number for targetPort (api-validation at line 11, column 5) that selects nothing.
  const broken = [
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    '  name: web',
    'spec:',
    '  selector:',
    '    app: web',
    '  ports:',
    '  - name: http',
    '    port: 80',
    '    targetPort: "8443"  # a quoted number is a name',
    '',
  ].join('\n');
  const findingsOf = (sources: SourceText[]) =>
    check(sources, {}).findings.map((f) => [f.rule, f.location?.line, f.location?.column]);

  it('decodes UTF-16 with a byte order mark, as kubectl does (PowerShell 5 writes it), from files and stdin', async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(broken, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    const want = findingsOf((await readSources([file('utf8.yaml', broken)])).sources);
    expect(want).toContainEqual(['api-validation', 11, 5]);
    for (const bytes of [le, be]) {
      for (const streamFrom of [Number.POSITIVE_INFINITY, 1]) {
        const told: [string, number][] = [];
        const path = file('utf16.yaml', bytes);
        const onRead = (name: string, n: number) => told.push([name, n]);
        const r = await readSources([path], undefined, { streamFrom, onRead });
        // A big one's conversion tells how far into the file it has got (8 MiB at a time: here once); a
        // small one is read at once.
        expect(told).toEqual(streamFrom === 1 ? [[path, bytes.length]] : []);
        expect(r.findings).toEqual([]);
        const src = r.sources[0] as SourceText;
        expect(src.text).toBe(broken);
        // A big one is converted to UTF-8 as it is read, and streamed like any other.
        expect(loadTextWith(src).reader).toMatch(streamFrom === 1 ? /-stream$/ : /^fast-yaml$/);
        expect(findingsOf(r.sources)).toEqual(want);
      }
      for (const streamFrom of [Number.POSITIVE_INFINITY, 1]) {
        const fromStdin = await readSources(
          ['-'],
          Readable.from([bytes.subarray(0, 1), bytes.subarray(1, 8), bytes.subarray(8)]),
          { streamFrom },
        );
        expect(fromStdin.sources[0]?.text).toBe(broken);
        expect(findingsOf(fromStdin.sources)).toEqual(want);
      }
    }
  });

  it('reads CRLF line breaks as LF, as kubectl does: the fast reader reads them, lines and columns unchanged', async () => {
    expect(lfLineBreaks('a\r\nb\rc\n')).toBe('a\nb\rc\n');
    const crlf = broken.replaceAll('\n', '\r\n');
    const want = findingsOf([{ name: 'lf.yaml', text: broken }]);
    for (const streamFrom of [Number.POSITIVE_INFINITY, 1]) {
      const r = await readSources([file('crlf.yaml', crlf)], undefined, { streamFrom });
      const src = r.sources[0] as SourceText;
      expect(src.text).toBe(broken);
      expect(loadTextWith(src).reader).toMatch(streamFrom === 1 ? /-stream$/ : /^fast-yaml$/);
      expect(findingsOf(r.sources)).toEqual(want);
    }
    for (const streamFrom of [Number.POSITIVE_INFINITY, 1]) {
      // Cut inside a CRLF, so the CR ends one chunk and its LF starts the next.
      const bytes = Buffer.from(crlf);
      const at = bytes.indexOf('\r\n') + 1;
      const fromStdin = await readSources(['-'], Readable.from([bytes.subarray(0, at), bytes.subarray(at)]), {
        streamFrom,
      });
      const src = fromStdin.sources[0] as SourceText;
      expect(src.text).toBe(broken);
      expect(loadTextWith(src).reader).toMatch(streamFrom === 1 ? /-stream$/ : /^fast-yaml$/);
      expect(findingsOf(fromStdin.sources)).toEqual(want);
    }
  });

  it('converts a big input on stdin as it arrives, to what converting it whole gives', async () => {
    // 48 KB: past the 32 KiB looked at before converting. Chunks of 1 to 4,093 bytes cut inside CRLFs,
    // byte order marks and UTF-16 code units; streamFrom 40,000 starts converting part way through.
    const lf = Array.from({ length: 250 }, () => broken).join('---\n');
    const crlf = lf.replaceAll('\n', '\r\n');
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(crlf, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    const forms = {
      crlf: Buffer.from(crlf),
      'crlf with a UTF-8 byte order mark': Buffer.from(`\uFEFF${crlf}`),
      'UTF-16LE, CRLF': le,
      'UTF-16BE, CRLF': be,
    };
    const want = findingsOf([{ name: 'lf.yaml', text: lf }]);
    const sizes = [1, 7, 1000, 4093, 2, 333];
    for (const [form, bytes] of Object.entries(forms)) {
      const chunks: Buffer[] = [];
      for (let at = 0, k = 0; at < bytes.length; k++) {
        const n = sizes[k % sizes.length] as number;
        chunks.push(bytes.subarray(at, at + n));
        at += n;
      }
      for (const streamFrom of [1, 40_000, Number.POSITIVE_INFINITY]) {
        const r = await readSources(['-'], Readable.from(chunks), { streamFrom });
        expect(r.sources[0]?.text, `${form}, from ${streamFrom}`).toBe(lf);
        expect(findingsOf(r.sources)).toEqual(want);
      }
    }
  });

  it('reads a named pipe (`<(kubectl get -o yaml)`) whose writer is this very process', async () => {
    // Opening a FIFO waits for its writer: read synchronously, the writer below would never get to run.
    const fifo = join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    const writing = writeFile(fifo, 'kind: Namespace\nmetadata: {name: piped}\n');
    const told: [string, number][] = [];
    const r = await readSources([fifo], undefined, { onRead: (name, n) => told.push([name, n]) });
    await writing;
    expect(told.at(-1)).toEqual([fifo, 40]);
    expect(r.findings).toEqual([]);
    expect(r.sources.map((s) => [s.name, s.text])).toEqual([
      [fifo, 'kind: Namespace\nmetadata: {name: piped}\n'],
    ]);
  });

  it('reads a folder of many small files in order, each as it is, UTF-16 ones converted', async () => {
    const folder = join(dir, 'many');
    mkdirSync(folder);
    const texts: string[] = [];
    for (let i = 0; i < 300; i++) {
      const text = `kind: Namespace\r\nmetadata: {name: ns-${i}}\r\n`;
      const name = join(folder, `m${String(i).padStart(3, '0')}.yaml`);
      writeFileSync(
        name,
        i % 3 === 0 ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]) : text,
      );
      texts.push(text.replaceAll('\r\n', '\n'));
    }
    const r = await readSources([folder]);
    expect(r.findings).toEqual([]);
    expect(r.sources.map((s) => s.text)).toEqual(texts);
    expect(r.order).toEqual(r.sources.map((s) => s.name));
  });

  it('names a missing path', async () => {
    const missing = join(dir, 'nope.yaml');
    const r = await readSources([missing]);
    expect(r.findings[0]?.message).toBe(`no such file or folder: ${missing}`);
    expect(r.sources).toEqual([]);
  });
});
