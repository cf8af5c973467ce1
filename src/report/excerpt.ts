/**
 * The quoted source line under a finding, compiler style: the line with its number, then a caret under the
 * column. A long line (compact JSON puts a whole dump on line 1) is shown as a window around the column,
 * cut with `…`, so the caret always falls on what is shown and the caret line stays short.
 */
import type { LinePart } from '../model/source-lines.js';

/** At most this many characters of a line are shown. */
export const SHOWN_MAX = 200;
/** In a window, about this many characters come before the column: the key before a value. */
const LEAD = 60;
/** Line numbers take at least this many places, so short ones line up. */
const GUTTER_MIN = 5;

export interface Excerpt {
  /** The line number, padded to the gutter's width. */
  readonly number: string;
  /** Blanks as wide as `number`, for the caret line's gutter. */
  readonly blank: string;
  /** What is shown of the line. */
  readonly text: string;
  /** What goes before the caret: a space per character of `text` before it, a tab for a tab (so it lines up). */
  readonly pad: string;
}

/** The excerpt of line `n` (all of it, or the part SourceLines.around gave) with the caret at 1-based `column`. */
export function excerpt(line: string | LinePart, n: number, column: number): Excerpt {
  const part = typeof line === 'string' ? { text: line, from: 0, cut: false } : line;
  const { text: known, from } = part;
  const number = String(n).padStart(GUTTER_MIN);
  // Where the caret goes in `known`; past its end when the column lies past what was read.
  const at = Math.max(0, column - 1 - from);
  let start = 0;
  if (known.length > SHOWN_MAX && at >= SHOWN_MAX - LEAD)
    start = Math.max(0, Math.min(at - LEAD, known.length - SHOWN_MAX));
  // Never start on the second half of a surrogate pair: it would show as a broken character.
  if (isLowSurrogate(known.charCodeAt(start))) start++;
  const end = Math.min(known.length, start + SHOWN_MAX);
  const head = start > 0 || from > 0 ? '…' : '';
  const text = `${head}${known.slice(start, end)}${end < known.length || part.cut ? '…' : ''}`;
  const caretAt = Math.max(0, Math.min(head.length + at - start, text.length));
  let pad = '';
  for (let i = 0; i < caretAt; i++) pad += text.charCodeAt(i) === 9 ? '\t' : ' ';
  return { number, blank: ' '.repeat(number.length), text, pad };
}

const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;
