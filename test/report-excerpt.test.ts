/** The quoted line and caret under a finding (src/report/excerpt.ts), on short, long and tabbed lines. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partAround } from '../src/model/source-lines.js';
import { excerpt, SHOWN_MAX } from '../src/report/excerpt.js';

/** The excerpt as the text report prints it, two lines. */
const printed = (line: string, n: number, column: number): string => {
  const x = excerpt(line, n, column);
  return `${x.number} | ${x.text}\n${x.blank} | ${x.pad}^`;
};

describe('excerpt', () => {
  const long = `{"items":[${'{"kind":"ConfigMap"},'.repeat(40)}{"targetPort":"htttp"}]}`;
  const at = long.indexOf('"targetPort"') + 1;

  it.each([
    {
      what: 'a short line, whole',
      line: '    targetPort: "8443"',
      n: 12,
      column: 5,
      want: '   12 |     targetPort: "8443"\n      |     ^',
    },
    {
      what: 'a line number wider than the gutter widens both gutters',
      line: '  "targetPort": "htttp"',
      n: 10111923,
      column: 3,
      want: '10111923 |   "targetPort": "htttp"\n         |   ^',
    },
    {
      what: 'a tab before the column is repeated in the caret line',
      line: 'data:\t{"port": 80}',
      n: 3,
      column: 8,
      want: '    3 | data:\t{"port": 80}\n      |      \t ^',
    },
    {
      what: 'a long line with the column near its start is cut at its end',
      line: `port: 80 ${'x'.repeat(300)}`,
      n: 1,
      column: 7,
      want: `    1 | port: 80 ${'x'.repeat(SHOWN_MAX - 9)}…\n      |       ^`,
    },
  ])('$what', ({ line, n, column, want }) => {
    expect(printed(line, n, column)).toBe(want);
  });

  it('shows a window around a column far into a long line (compact JSON), cut at both ends', () => {
    const x = excerpt(long, 1, at);
    expect(x.text.startsWith('…')).toBe(true);
    expect(x.text.endsWith('…')).toBe(false);
    expect(x.text.length).toBeLessThanOrEqual(SHOWN_MAX + 2);
    expect(x.text.slice(x.pad.length)).toMatch(/^"targetPort":"htttp"/);
  });

  it('marks a part of a line that starts or ends inside it with …', () => {
    const part = { text: `${'a'.repeat(100)}"port": 80${'b'.repeat(100)}`, from: 5000, cut: true };
    const x = excerpt(part, 1, 5101);
    expect(x.text).toBe(`…${part.text.slice(0, SHOWN_MAX)}…`);
    expect(x.text.slice(x.pad.length)).toMatch(/^"port": 80/);
  });

  it('puts the caret after the text when the column lies past what was read of the line', () => {
    const x = excerpt('abc', 1, 40);
    expect(x.pad).toBe('   ');
  });

  it('never starts a window inside a surrogate pair', () => {
    const line = `${'😀'.repeat(200)}x`;
    const x = excerpt(line, 1, line.length);
    expect(x.text.codePointAt(1)).toBe('😀'.codePointAt(0));
    expect(x.text.at(x.pad.length)).toBe('x');
  });

  it('always puts the caret on the character at the column, on a bounded line', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\t', ':', '"'), minLength: 1, maxLength: 3000 }),
        fc.nat(),
        (line, k) => {
          const column = (k % line.length) + 1;
          // From the whole line, and from the part of it a streamed source reads around the column.
          for (const x of [excerpt(line, 7, column), excerpt(partAround(line, column), 7, column)]) {
            expect(x.text.length).toBeLessThanOrEqual(SHOWN_MAX + 2);
            expect(x.pad.length).toBeLessThan(x.text.length);
            expect(x.text[x.pad.length]).toBe(line[column - 1]);
            // The caret line's padding copies the tabs it passes, and is blank otherwise.
            expect(x.pad).toBe(
              [...x.text.slice(0, x.pad.length)].map((c) => (c === '\t' ? '\t' : ' ')).join(''),
            );
          }
        },
      ),
    );
  });
});
