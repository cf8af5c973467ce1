/**
 * Reads a YAML List as `kubectl get -o yaml` prints it (a root mapping whose `items:` line is followed by
 * one `-` block per item) from its bytes, item by item, through one reused buffer, as json-list-stream.ts
 * does for JSON: the dump is never held as one string.
 *
 * An item runs from the line of its `-` (at the column of the first one) to the next line that is neither
 * blank, nor a comment, nor indented more than that `-`: where fast-yaml's parseSeq ends it inside the
 * whole document. Each item is read by fast-yaml's own reader, and the root mapping without its items (the
 * head and the tail) by parseYamlFast, so values and positions equal fast-yaml's on the whole text; what
 * fast-yaml declines, or any other layout (several documents, no `items:` line early on), returns undefined
 * and the whole text is read.
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
import { DASH, HASH, NL, SPACE } from './char-codes.js';
import { compactArray } from './compact-array.js';
import {
  type FastDoc,
  ItemReader,
  type PosNode,
  parseDocPositions,
  parseYamlFast,
  seqItemPositions,
} from './fast-yaml.js';
import type { SourceLocation } from './finding.js';
import type { StreamedList } from './json-list-stream.js';
import { type Keys, walk } from './lazy-positions.js';
import { isPlainObject } from './plain-object.js';
import { unlessUnsupported } from './yaml-scalars.js';

/** The `items:` line of the root mapping: at column 0, nothing after the colon but spaces. */
const ITEMS_LINE = /^items: *$/m;

/** The items' column and where the first one's line starts, from the text after the `items:` line. */
function firstItem(text: string, from: number): { lineStart: number; col: number } | undefined {
  let ls = from;
  for (;;) {
    let k = ls;
    while (text.charCodeAt(k) === SPACE) k++;
    const c = text.charCodeAt(k);
    if (k >= text.length) return undefined;
    if (c === NL || c === HASH) {
      const nl = text.indexOf('\n', k);
      if (nl === -1) return undefined;
      ls = nl + 1;
      continue;
    }
    const next = text.charCodeAt(k + 1);
    return c === DASH && (next === SPACE || next === NL) ? { lineStart: ls, col: k - ls } : undefined;
  }
}

/** Streams the List in `src`, or returns undefined (see the module comment). */
export function readYamlListStream(
  src: ByteSource,
  file: string,
  sizes: StreamOptions = STREAM_SIZES,
): StreamedList | undefined {
  return unlessUnsupported(() => stream(src, file, sizes));
}

function stream(src: ByteSource, file: string, sizes: StreamOptions): StreamedList | undefined {
  const onItems = sizes.onItems;
  const opening = headText(src, sizes.head);
  const m = ITEMS_LINE.exec(opening);
  if (!m) return undefined;
  const afterItemsLine = m.index + m[0].length + 1;
  if (opening.charCodeAt(afterItemsLine - 1) !== NL) return undefined;
  const first = firstItem(opening, afterItemsLine);
  if (!first) return undefined;
  const col = first.col;
  const head = opening.slice(0, first.lineStart);
  let line = 1;
  for (let i = head.indexOf('\n'); i !== -1; i = head.indexOf('\n', i + 1)) line++;

  const w = new Window(src, sizes.chunk, Buffer.byteLength(head));
  const reader = new ItemReader();
  const values: unknown[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const lines: number[] = [];
  /** The start of the current item's `-` line. */
  let s = 0;
  let tail = '';
  let tailLine = line;
  for (;;) {
    const startLine = line;
    // The boundary: the next line that is content and indented at most `col` (or the end).
    let j = s;
    let b: number;
    for (;;) {
      // The next line's indentation up to `col` and the byte after it, and the one after a `-` there.
      const nl = w.nextLineBreak(j, col + 2, s);
      s -= w.moved;
      if (nl === -1) {
        b = w.len; // the item runs to the end of the source
        break;
      }
      line++;
      j = nl + 1;
      let k = j;
      while (k < w.len && k - j <= col && w.buf[k] === SPACE) k++;
      if (k >= w.len) continue; // spaces to the end: blank
      if (k - j > col) continue;
      const c = w.buf[k];
      if (c === NL || c === HASH) continue;
      b = j;
      break;
    }
    values.push(reader.read(w.text(s, b), col, w.ascii));
    starts.push(w.base + s);
    ends.push(w.base + b);
    lines.push(startLine);
    if (onItems !== undefined && values.length % ITEMS_PER_REPORT === 0) onItems(values.length);
    if (b >= w.len) break;
    const next = w.buf[b + col + 1];
    const dash = w.buf[b + col] === DASH && (b + col + 1 >= w.len || next === SPACE || next === NL);
    if (dash && spacesAt(w.buf, b, col)) {
      s = b;
      continue;
    }
    // What follows the items: the rest of the root mapping, read to the end.
    if (src.size - (w.base + b) > TAIL_MAX) return undefined;
    while (!w.eof) b -= w.more(b);
    tail = w.buf.toString('utf8', b, w.len);
    tailLine = line;
    break;
  }

  const skeleton = head + tail;
  const docs = parseYamlFast(skeleton);
  const doc = docs[0];
  if (docs.length !== 1 || !doc || !isPlainObject(doc.value)) return undefined;
  const root = doc.value;
  if (!Object.hasOwn(root, 'items') || root.items !== null) return undefined;
  root.items = compactArray(values);

  return {
    value: root,
    items: values.length,
    at: locator(src, file, { doc, skeleton, head, tail, tailLine, col }, { starts, ends, lines }, m.index),
  };
}

function locator(
  src: ByteSource,
  file: string,
  parts: {
    readonly doc: FastDoc;
    readonly skeleton: string;
    readonly head: string;
    readonly tail: string;
    readonly tailLine: number;
    readonly col: number;
  },
  items: { readonly starts: number[]; readonly ends: number[]; readonly lines: number[] },
  itemsKeyStart: number,
): (keys: Keys) => SourceLocation {
  const { doc, skeleton, head, tail, tailLine, col } = parts;
  const inSkeleton = (offset: number): SourceLocation =>
    offset < head.length
      ? { file, ...positionIn(head, offset, 1, 1) }
      : { file, ...positionIn(tail, offset - head.length, tailLine, 1) };
  const item = recent((i: number) => {
    const text = reread(src, items.starts[i] as number, items.ends[i] as number);
    if (text === null) return null;
    try {
      return { text, node: seqItemPositions(text, col, col) };
    } catch {
      return null; // read again, but no longer what was read: the item's first line stands in
    }
  });
  let rootPositions: PosNode | null | undefined;
  return (keys) => {
    if (keys.length === 0) return inSkeleton(doc.rootStart);
    if (keys[0] === 'items') {
      const i = keys[1];
      if (typeof i !== 'number' || items.starts[i] === undefined) return inSkeleton(itemsKeyStart);
      const it = item(i);
      const first = items.lines[i] as number;
      if (!it) return { file, line: first, column: col + 1 };
      if (!it.node) return inSkeleton(itemsKeyStart);
      return { file, ...positionIn(it.text, walk(it.node, keys, 2, it.node.start), first, 1) };
    }
    if (rootPositions === undefined) rootPositions = parseDocPositions(skeleton, doc);
    return inSkeleton(rootPositions ? walk(rootPositions, keys, 0, rootPositions.start) : doc.rootStart);
  };
}
