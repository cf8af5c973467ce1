/**
 * Reads a JSON List as `kubectl get -o json` prints it (a root object whose `items` array holds one object
 * per block of lines) from its bytes, item by item, through one reused buffer. The dump is never held as
 * one string: on this kind of machine every freshly touched page is slow, and holding a 398 MB dump as a
 * string cost 3.5 s where streaming it costs 0.3 s (BENCHMARKS.md, stop 16).
 *
 * The value equals JSON.parse of the whole text and each position equals fast-json's, because every part
 * passes fast-json's own checks (characters, JSON.parse, keys) and the parts and the bytes between them
 * make up the text exactly. Whatever this reader does not copy exactly (a compact or CRLF layout, items
 * that are not objects, anything fast-json declines) returns undefined, and the whole text is read.
 */
import { type ByteSource, headText } from './byte-source.js';
import {
  ITEMS_PER_REPORT,
  positionIn,
  recent,
  reread,
  STREAM_SIZES,
  type StreamOptions,
  spacesAt,
  TAIL_MAX,
  Window,
} from './byte-window.js';
import { CLOSE_BRACE, CLOSE_BRACKET, COMMA, NL, OPEN_BRACE, OPEN_BRACKET, SPACE } from './char-codes.js';
import { keysAgree, memberOf, walkJson } from './fast-json.js';
import type { SourceLocation } from './finding.js';
import type { Keys, Locator } from './lazy-positions.js';
import { isPlainObject } from './plain-object.js';
import { hasUnsupportedChars } from './yaml-scalars.js';

/** The deepest indentation of items this reader looks for. */
const MAX_INDENT = 64;

export interface StreamedList {
  readonly value: Record<string, unknown>;
  readonly items: number;
  /** Positions as fast-json's locator gives them; an item is read again from the source when asked. */
  readonly at: Locator;
}

/** JSON.parse of one part, or undefined when fast-json would not read it (or it is not JSON). */
function parsePart(text: string): unknown {
  if (hasUnsupportedChars(text)) return undefined;
  return parseChecked(text);
}

/** JSON.parse, then fast-json's key check. */
function parseChecked(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return keysAgree(text, value) ? value : undefined;
}

/**
 * parsePart of the window's bytes `[s, e)`. An ASCII part that JSON.parse accepts has no raw control
 * character inside a string and only space, tab, LF and CR outside, so tab, CR and DEL are all of
 * fast-json's characters that can remain: three searches instead of the whole character class.
 */
function parseItem(w: Window, s: number, e: number): unknown {
  const text = w.text(s, e);
  if (!w.ascii) return parsePart(text);
  const value = parseChecked(text);
  if (value === undefined || text.includes('\t') || text.includes('\r') || text.includes('\x7f'))
    return undefined;
  return value;
}

/** Streams the List in `src`, or returns undefined (see the module comment). */
export function readJsonListStream(
  src: ByteSource,
  file: string,
  sizes: StreamOptions = STREAM_SIZES,
): StreamedList | undefined {
  const onItems = sizes.onItems;
  // The head: the root object up to the `[` of its `items`, which must come within the first bytes.
  const opening = headText(src, sizes.head);
  let rootStart = 0;
  while (opening.charCodeAt(rootStart) === SPACE || opening.charCodeAt(rootStart) === NL) rootStart++;
  if (opening.charCodeAt(rootStart) !== OPEN_BRACE) return undefined;
  let member: ReturnType<typeof memberOf>;
  try {
    member = memberOf(opening, rootStart, 'items');
  } catch {
    return undefined; // a string running past the head: not this layout
  }
  if (!member || opening.charCodeAt(member.valueStart) !== OPEN_BRACKET) return undefined;
  const head = opening.slice(0, member.valueStart + 1);
  const keyStart = member.keyStart;
  let line = 1;
  for (let i = head.indexOf('\n'); i !== -1; i = head.indexOf('\n', i + 1)) line++;

  // The items: each starts on a line of its own, `ind` spaces and `{`, and ends at the next line that is
  // exactly `ind` spaces and `}` (a newline never occurs inside a JSON string, so every line is structure).
  const w = new Window(src, sizes.chunk, Buffer.byteLength(head));
  const values: Record<string, unknown>[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const lines: number[] = [];
  let ind = -1;
  /** The newline before the next item's first line. */
  let p = 0;
  let close: { line: number; column: number };
  let closeAt: number;
  for (;;) {
    if (ind < 0) {
      while (p + MAX_INDENT + 2 > w.len && !w.eof) p -= w.more(p);
      ind = 0;
      while (ind < MAX_INDENT && w.buf[p + 1 + ind] === SPACE) ind++;
    }
    while (p + ind + 2 > w.len && !w.eof) p -= w.more(p);
    if (w.buf[p] !== NL || w.buf[p + 1 + ind] !== OPEN_BRACE) return undefined;
    for (let k = 1; k <= ind; k++) if (w.buf[p + k] !== SPACE) return undefined;
    line++;
    let s = p + 1 + ind;
    const startLine = line;
    // Every newline is counted once: `j` is the last one seen.
    let j = s;
    let e: number;
    for (;;) {
      const nl = w.nextLineBreak(j + 1, ind + 1, s);
      s -= w.moved;
      if (nl === -1 || nl + ind + 2 > w.len) return undefined; // the source ends inside an item
      line++;
      j = nl;
      if (w.buf[nl + ind + 1] === CLOSE_BRACE && spacesAt(w.buf, nl + 1, ind)) {
        e = nl + ind + 2;
        break;
      }
    }
    const value = parseItem(w, s, e);
    if (!isPlainObject(value)) return undefined;
    values.push(value);
    starts.push(w.base + s);
    ends.push(w.base + e);
    lines.push(startLine);
    if (onItems !== undefined && values.length % ITEMS_PER_REPORT === 0) onItems(values.length);
    let lineStart = w.base + j + 1;

    while (e + 2 > w.len && !w.eof) e -= w.more(e);
    if (w.buf[e] === COMMA) {
      p = e + 1;
      continue;
    }
    // The end of the array: white space, then `]`.
    let i = e;
    for (;;) {
      if (i >= w.len) {
        if (w.eof) return undefined;
        i -= w.more(i);
        continue;
      }
      const c = w.buf[i];
      if (c === SPACE) i++;
      else if (c === NL) {
        line++;
        i++;
        lineStart = w.base + i;
      } else break;
    }
    if (w.buf[i] !== CLOSE_BRACKET) return undefined;
    close = { line, column: w.base + i - lineStart + 1 };
    closeAt = i;
    break;
  }

  // The tail: from the `]` to the end of the source.
  if (src.size - (w.base + closeAt) > TAIL_MAX) return undefined;
  while (!w.eof) closeAt -= w.more(closeAt);
  const tail = w.buf.toString('utf8', closeAt, w.len);
  const skeleton = head + tail;
  const root = parsePart(skeleton);
  if (!isPlainObject(root) || !Array.isArray(root.items) || root.items.length > 0) return undefined;
  root.items = values;

  const itemText = recent((i: number) => reread(src, starts[i] as number, ends[i] as number));
  const locate = (keys: Keys): SourceLocation => {
    if (keys[0] === 'items') {
      const i = keys[1];
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= values.length)
        return { file, ...positionIn(head, keyStart, 1, 1) };
      const text = itemText(i);
      const first = lines[i] as number;
      if (text === null) return { file, line: first, column: ind + 1 };
      return { file, ...positionIn(text, walkJson(text, 0, keys.slice(2)), first, ind + 1) };
    }
    const offset = walkJson(skeleton, rootStart, keys);
    if (offset < head.length) return { file, ...positionIn(head, offset, 1, 1) };
    return { file, ...positionIn(tail, offset - head.length, close.line, close.column) };
  };
  return { value: root, items: values.length, at: locate };
}
