/**
 * Reads a multi-document YAML stream (`helm template`, `kustomize build`, resources printed one after
 * another) from its bytes, a piece of documents at a time, as yaml-list-stream.ts reads a List item by item:
 * the stream is cut before a `---` marker line every 64 KiB or so, and each piece is read by parseYamlFast.
 * A document never runs across a marker line at column 0 (YAML 1.2 §9.1.1: no scalar or collection
 * continues there), so the pieces' documents, values and positions are those parseYamlFast finds in the
 * whole text; what it declines in any piece returns undefined, and the whole text is read.
 */
import type { ByteSource } from './byte-source.js';
import { ITEMS_PER_REPORT, recent, reread, STREAM_SIZES, type StreamOptions, Window } from './byte-window.js';
import { DASH, NL, SPACE } from './char-codes.js';
import { documentsReader, parseYamlFast } from './fast-yaml.js';
import { LazyPositions, type Locator } from './lazy-positions.js';
import { unlessUnsupported } from './yaml-scalars.js';

/** A piece is cut at the first marker line this far (in bytes) from its start. */
const PIECE_MIN = 1 << 16;

export interface StreamedDocuments {
  readonly docs: { readonly value: unknown; readonly docIndex: number; readonly at: Locator }[];
  readonly documents: number;
}

/** `---` at the line start `ls`, followed by a space, a line break or the end: fast-yaml's isDocMarker. */
function markerAt(w: Window, ls: number): boolean {
  if (ls + 3 > w.len || w.buf[ls] !== DASH || w.buf[ls + 1] !== DASH || w.buf[ls + 2] !== DASH) return false;
  const n = w.buf[ls + 3];
  return ls + 3 >= w.len || n === SPACE || n === NL;
}

/** Streams the documents of `src`, or returns undefined (see the module comment). */
export function readYamlDocumentsStream(
  src: ByteSource,
  file: string,
  sizes: StreamOptions = STREAM_SIZES,
): StreamedDocuments | undefined {
  return unlessUnsupported(() => stream(src, file, sizes));
}

function stream(src: ByteSource, file: string, sizes: StreamOptions): StreamedDocuments {
  const onItems = sizes.onItems;
  const w = new Window(src, sizes.chunk, 0);
  // Pieces of many documents: a piece per document cost more in calls than streaming saved.
  const pieceMin = Math.min(PIECE_MIN, sizes.chunk);
  const docs: StreamedDocuments['docs'] = [];
  const reader = documentsReader();
  /**
   * Where each piece's bytes lie. Its text is read again only when a position in it is asked for: most
   * documents produce no finding, and their values hold none of the text (own-string.ts).
   */
  const pieces: { readonly from: number; readonly to: number }[] = [];
  const positionsOf = recent((i: number) => {
    const p = pieces[i] as (typeof pieces)[number];
    const text = reread(src, p.from, p.to);
    return text === null ? null : new LazyPositions(text, file);
  });
  /** The current piece starts at `s`, on line `first`; lines are counted up to `line`. */
  let s = 0;
  let first = 1;
  let reported = 0;
  let line = 1;
  let j = 0;
  for (;;) {
    let end: number;
    for (;;) {
      // Four bytes after the line break tell a marker line.
      const nl = w.nextLineBreak(j, 4, s);
      s -= w.moved;
      if (nl === -1) {
        end = w.len;
        break;
      }
      line++;
      j = nl + 1;
      if (j - s >= pieceMin && markerAt(w, j)) {
        end = j;
        break;
      }
    }
    const text = w.text(s, end);
    const piece = pieces.length;
    const lineBase = first - 1;
    pieces.push({ from: w.base + s, to: w.base + end });
    for (const [k, doc] of parseYamlFast(text, reader, w.ascii).entries()) {
      docs.push({
        value: doc.value,
        docIndex: docs.length,
        at: (keys) => {
          const positions = positionsOf(piece);
          // The file changed since it was read: its piece's first line stands in.
          if (positions === null) return { file, line: lineBase + 1, column: 1 };
          const at = positions.yaml(doc, k)(keys);
          // An empty document has no position (-1), which the whole text places before its first line too.
          return { file, line: doc.rootStart < 0 ? at.line : at.line + lineBase, column: at.column };
        },
      });
    }
    // A piece holds many documents: told once each ITEMS_PER_REPORT boundary is passed.
    if (onItems !== undefined && docs.length >= reported + ITEMS_PER_REPORT) {
      reported = docs.length - (docs.length % ITEMS_PER_REPORT);
      onItems(docs.length);
    }
    if (end >= w.len) break;
    s = end;
    first = line;
  }
  return { docs, documents: docs.length };
}
