import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSources } from '../src/sources/files.js';

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

  it('names a missing path', async () => {
    const missing = join(dir, 'nope.yaml');
    const r = await readSources([missing]);
    expect(r.findings[0]?.message).toBe(`no such file or folder: ${missing}`);
    expect(r.sources).toEqual([]);
  });
});
