/**
 * The part of a line a report quotes (SourceLines.around): read from a streamed source's bytes it equals
 * the part of the decoded text, on lines far longer than what is read at once (compact JSON is one line).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PART_SIDE, partAround, sourceLines, TextLines } from '../src/model/source-lines.js';
import { MemoryBytes, streamedSource } from '../src/sources/bytes.js';

/** A streamed source over `text`, its bytes in chunks of `size`. */
const streamed = (text: string, size: number) => {
  const all = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += size) chunks.push(all.subarray(i, i + size));
  return sourceLines(streamedSource('t', new MemoryBytes(chunks)));
};

describe('SourceLines.around', () => {
  it('gives a short line whole, and the part of a long one around the column', () => {
    expect(partAround('port: 80', 3)).toEqual({ text: 'port: 80', from: 0, cut: false });
    const long = 'x'.repeat(5000);
    expect(partAround(long, 3000)).toEqual({
      text: 'x'.repeat(2 * PART_SIDE),
      from: 2999 - PART_SIDE,
      cut: true,
    });
    expect(partAround(long, 5000)).toEqual({
      text: 'x'.repeat(PART_SIDE + 1),
      from: 4999 - PART_SIDE,
      cut: false,
    });
  });

  it('strips a CR before the line break, and only there', () => {
    const lines = new TextLines('a: 1\r\nb: "\r"\r\n');
    expect(lines.line(1)).toBe('a: 1');
    expect(lines.line(2)).toBe('b: "\r"');
    expect(lines.line(3)).toBe('');
    expect(lines.line(4)).toBeUndefined();
  });

  it('reads from bytes what the text gives, at columns far into lines of multibyte characters', () => {
    const unit = fc.constantFrom('a', '"', 'é', '€', '😀', ':', ' ');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(unit, fc.integer({ min: 1, max: 9000 })), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        fc.constantFrom(1000, 65536),
        fc.boolean(),
        (runs, picks, chunk, crlf) => {
          const line = runs.map(([u, n]) => u.repeat(n)).join('');
          const text = `head\n${line}${crlf ? '\r\n' : '\n'}tail`;
          const bytes = streamed(text, chunk);
          const reference = new TextLines(text);
          // Columns forward (as sorted findings ask) and then backward, on the long line and around it.
          const columns = picks.map((k) => (k % line.length) + 1).sort((a, b) => a - b);
          for (const column of [...columns, ...columns.reverse()]) {
            expect(bytes.around(2, column), `column ${column}`).toEqual(reference.around(2, column));
            expect(bytes.around(1, 1)).toEqual({ text: 'head', from: 0, cut: false });
          }
          expect(bytes.around(3, 2)).toEqual({ text: 'tail', from: 0, cut: false });
          expect(bytes.around(4, 1)).toBeUndefined();
        },
      ),
      { numRuns: 60 },
    );
  });
});
