/**
 * A stream of JSON objects one after another (`{...}{...}`, or one per line as `jq -c '.items[]'` prints
 * them), as kubectl reads it: input whose first character other than white space is `{` is decoded by
 * `json.Decoder`, value after value, not as YAML (k8s.io/apimachinery/pkg/util/yaml/decoder.go,
 * `YAMLOrJSONDecoder.Decode` and `GuessJSONStream`). The YAML reading of the same text fails at the second
 * object, so each object is cut out here and read as a document of its own, at its offsets in the whole text.
 */
import {
  BACKSLASH,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  CR,
  NL,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
  SPACE,
  TAB,
} from './char-codes.js';
import type { DocumentSpan } from './split-documents.js';

/** JSON's white space between values (encoding/json's isSpace). */
const isJsonSpace = (c: number): boolean => c === SPACE || c === NL || c === CR || c === TAB;

/**
 * The objects of a stream of two or more JSON objects, each `[start, end)` from its `{` to after its `}`;
 * undefined for a single value, and for anything that is not a clean stream of objects (an unbalanced or
 * unterminated value, something other than an object, text between values): that is read as before, and
 * its errors are reported there.
 */
export function splitJsonStream(text: string): DocumentSpan[] | undefined {
  const spans: DocumentSpan[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && isJsonSpace(text.charCodeAt(i))) i++;
    if (i >= text.length) break;
    if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
    const end = objectEnd(text, i);
    if (end === -1) return undefined;
    spans.push({ start: i, end });
    i = end;
  }
  return spans.length > 1 ? spans : undefined;
}

/** The offset after the object whose `{` is at `open`, or -1 when it does not close. */
function objectEnd(text: string, open: number): number {
  let depth = 0;
  for (let j = open; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === QUOTE) {
      j = stringEnd(text, j);
      if (j === -1) return -1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return c === CLOSE_BRACE ? j + 1 : -1;
    }
  }
  return -1;
}

/** The offset of the quote closing the string opened at `open`, or -1. */
function stringEnd(text: string, open: number): number {
  for (let j = text.indexOf('"', open + 1); j !== -1; j = text.indexOf('"', j + 1)) {
    let b = j - 1;
    while (text.charCodeAt(b) === BACKSLASH) b--;
    if ((j - 1 - b) % 2 === 0) return j;
  }
  return -1;
}
