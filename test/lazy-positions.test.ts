/** LazyPositions.location: the line and column of an offset, as the yaml library's LineCounter gives them. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LazyPositions } from '../src/model/lazy-positions.js';

/** Line and 1-based column of `offset`, counted the plain way. */
function naive(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

describe('LazyPositions.location', () => {
  it('counts lines and columns exactly, on short and very long lines, asked in any order', () => {
    const line = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', ' ', '"'), maxLength: 20 }),
      fc.integer({ min: 4000, max: 20000 }).map((n) => 'x'.repeat(n)),
    );
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 200 }),
        fc.boolean(),
        fc.array(fc.nat(), { minLength: 1, maxLength: 30 }),
        (lines, trailing, picks) => {
          const text = `${lines.join('\n')}${trailing ? '\n' : ''}`;
          const positions = new LazyPositions(text, 'f.json');
          for (const k of picks) {
            const offset = k % (text.length + 1);
            expect(positions.location(offset), `offset ${offset}`).toEqual({
              file: 'f.json',
              ...naive(text, offset),
            });
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
