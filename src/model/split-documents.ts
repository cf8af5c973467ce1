/**
 * Splits a YAML stream into its documents on `---` lines before any YAML is parsed, as kubectl does
 * (k8s.io/apimachinery/pkg/util/yaml/decoder.go, `YAMLReader.Read`): each document is then parsed alone, so
 * an unclosed quote or bracket cannot run on into the next document, and a document too deep to parse
 * loses only itself. Offsets stay those of the whole text, so every position stays exact.
 *
 * kubectl splits on a line that starts with `---` followed by nothing but spaces or a comment (and refuses
 * the stream on `--- other content`). A YAML parser sees a document start wherever `---` at column 0 is
 * followed by white space or the line end (YAML 1.2 §9.1.1, c-directives-end; a "forbidden" line even inside
 * a scalar or a flow collection), so `--- {a: 1}` starts a document with content on the marker line: this
 * split cuts there too and keeps the marker line in the document it starts, so the parser still reads that
 * content. `---x` or `----` is no marker (plain text to YAML) and does not split.
 */

import { CR, HASH, NL, PERCENT, SPACE, TAB } from './char-codes.js';

/** One document's text: `text.slice(start, end)`; `start` is a line start. */
export interface DocumentSpan {
  readonly start: number;
  readonly end: number;
}

/** `---` at `ls` (a line start) followed by white space, a line break or the end. */
function isStartMarker(text: string, ls: number): boolean {
  if (text.charCodeAt(ls) !== 45 || text.charCodeAt(ls + 1) !== 45 || text.charCodeAt(ls + 2) !== 45)
    return false;
  if (ls + 3 >= text.length) return true;
  const c = text.charCodeAt(ls + 3);
  return c === SPACE || c === TAB || c === NL || c === CR;
}

/** What a line holds, for where a document's text really begins. */
enum LineKind {
  /** Blank, a comment or a byte order mark: belongs to no document. */
  Empty = 0,
  /** A directive (`%YAML`, `%TAG`): no content, it belongs to the document after it. */
  Directive = 1,
  Content = 2,
}

function lineKind(text: string, ls: number, le: number): LineKind {
  let i = ls;
  for (; i < le; i++) {
    const c = text.charCodeAt(i);
    if (c !== SPACE && c !== TAB && c !== CR && c !== 0xfeff) break;
  }
  if (i >= le) return LineKind.Empty;
  const c = text.charCodeAt(i);
  if (c === HASH) return LineKind.Empty;
  if (c === PERCENT && i === ls) return LineKind.Directive;
  return LineKind.Content;
}

const lineEndOf = (text: string, ls: number): number => {
  const nl = text.indexOf('\n', ls);
  return nl === -1 ? text.length : nl;
};

/**
 * The documents of a stream, in order, covering the whole text; the `---` line starting a document is part of
 * it.
 */
export function splitDocuments(text: string): DocumentSpan[] {
  const cuts: number[] = [];
  if (isStartMarker(text, 0)) cuts.push(0);
  // `\n---` finds every candidate line with one native search; most streams have few documents.
  for (let i = text.indexOf('\n---'); i !== -1; i = text.indexOf('\n---', i + 4))
    if (isStartMarker(text, i + 1)) cuts.push(i + 1);
  if (cuts.length === 0) return [{ start: 0, end: text.length }];

  // Text before the first `---` that holds no content (blank lines, comments, directives) belongs to the first
  // document, as a parser of the whole stream reads it. Directives between documents stay where kubectl
  // leaves them: at the end of the document before.
  const starts = cuts;
  const first = starts[0] as number;
  if (first > 0 && !hasContent(text, 0, first)) starts[0] = 0;
  else if (first > 0) starts.unshift(0);

  const spans: DocumentSpan[] = [];
  for (let k = 0; k < starts.length; k++)
    spans.push({
      start: starts[k] as number,
      end: k + 1 < starts.length ? (starts[k + 1] as number) : text.length,
    });
  return spans;
}

function hasContent(text: string, from: number, to: number): boolean {
  for (let ls = from; ls < to; ) {
    const le = Math.min(lineEndOf(text, ls), to);
    if (lineKind(text, ls, le) === LineKind.Content) return true;
    ls = le + 1;
  }
  return false;
}

/**
 * Where a document begins for a reader: its first line holding content after the `---` marker (the marker
 * line itself when content follows it there), skipping blank, comment and directive lines; the span's start
 * when it has none.
 */
export function firstContentOffset(text: string, span: DocumentSpan): number {
  for (let ls = span.start; ls < span.end; ) {
    const le = Math.min(lineEndOf(text, ls), span.end);
    if (isStartMarker(text, ls)) {
      let i = ls + 3;
      while (
        i < le &&
        (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB || text.charCodeAt(i) === CR)
      )
        i++;
      if (i < le && text.charCodeAt(i) !== HASH) return ls;
    } else if (lineKind(text, ls, le) === LineKind.Content) return ls;
    ls = le + 1;
  }
  return span.start;
}
