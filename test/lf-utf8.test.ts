import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type TextEncoding, toLfUtf8 } from '../src/sources/lf-utf8.js';

/** `bytes` cut at `cuts` (positions, in any order, possibly repeated or past the end). */
function cut(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  return out;
}

const encode = (text: string, encoding: TextEncoding): Buffer => {
  if (encoding === 'utf-8') return Buffer.from(text, 'utf8');
  const le = Buffer.from(text, 'utf16le');
  return encoding === 'utf-16le' ? le : Buffer.from(le).swap16();
};

/** What the whole text decodes to with CRLF read as LF, as files.ts reads a small file. */
const wanted = (text: string): Buffer => Buffer.from(text.replaceAll('\r\n', '\n'), 'utf8');

// Characters that meet the edge cases: CR and LF apart and together, two-, three- and four-byte UTF-8
// (a surrogate pair in UTF-16), and plain text.
const piece = fc.constantFrom('\r', '\n', '\r\n', 'a', 'key: v', 'é', '€', '😀', '\t', ' ');
const text = fc.array(piece, { maxLength: 60 }).map((p) => p.join(''));
const encodings: TextEncoding[] = ['utf-8', 'utf-16le', 'utf-16be'];

describe('LfUtf8: text converted to UTF-8 with LF as it is read', () => {
  it.each([
    ['utf-8', ['a\r', '\nb'], 'a\nb'],
    ['utf-8', ['a\r', 'b\r\n'], 'a\rb\n'],
    ['utf-8', ['a\r'], 'a\r'],
    ['utf-16le', ['x\r', '\n😀'], 'x\n😀'],
  ] as const)('%s %j -> %j', (encoding, parts, want) => {
    const chunks = parts.map((p) => encode(p, encoding));
    expect(Buffer.concat(toLfUtf8(chunks, encoding)).toString('utf8')).toBe(want);
  });

  it('keeps a CR pending across a chunk too short to hold a character', () => {
    const bytes = encode('a\r\nb', 'utf-16le');
    // "a\r", then half of the LF's code unit, then the rest.
    expect(Buffer.concat(toLfUtf8(cut(bytes, [4, 5]), 'utf-16le')).toString('utf8')).toBe('a\nb');
  });

  it('equals the whole text decoded and CRLF read as LF, wherever the chunks are cut', () => {
    fc.assert(
      fc.property(text, fc.constantFrom(...encodings), fc.array(fc.nat(400)), (t, encoding, cuts) => {
        const got = Buffer.concat(toLfUtf8(cut(encode(t, encoding), cuts), encoding));
        expect(got.equals(wanted(t))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves bytes that are not UTF-8 as they were, for the readers to report', () => {
    const bytes = Buffer.from([0x61, 0xff, 0x0d, 0x0a, 0xc3, 0x0d, 0x0d, 0x0a]);
    for (const cuts of [[], [1], [3], [2, 3, 6, 7]]) {
      const got = Buffer.concat(toLfUtf8(cut(bytes, cuts), 'utf-8'));
      expect([...got]).toEqual([0x61, 0xff, 0x0a, 0xc3, 0x0d, 0x0a]);
    }
  });

  it('decodes a UTF-16 code unit cut off at the end, or a lone surrogate, as U+FFFD', () => {
    const odd = Buffer.concat([encode('ab', 'utf-16le'), Buffer.from([0x63])]);
    expect(Buffer.concat(toLfUtf8(cut(odd, [3]), 'utf-16le')).toString('utf8')).toBe('ab\uFFFD');
    const lone = encode('a\uD83D', 'utf-16le');
    expect(Buffer.concat(toLfUtf8([lone], 'utf-16le')).toString('utf8')).toBe('a\uFFFD');
    // The caller's bytes are left as they were (big-endian is swapped in a copy).
    const be = encode('héllo\r\n', 'utf-16be');
    const copy = Buffer.from(be);
    toLfUtf8(cut(be, [5]), 'utf-16be');
    expect(be.equals(copy)).toBe(true);
  });
});
