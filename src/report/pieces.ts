/**
 * Reports written in pieces (`check --format text|junit`): a report of many findings is more text than one
 * V8 string holds, and a write per finding would be 810,000 writes. Short texts are gathered into pieces of
 * about a MiB.
 */

/** About how many characters a piece holds: it ends with the text that reaches this. */
const PIECE_CHARS = 1 << 20;

/** `texts` joined into pieces of about PIECE_CHARS characters, each ending where one of them ends. */
export function* gathered(texts: Iterable<string>, chars = PIECE_CHARS): Generator<string> {
  let parts: string[] = [];
  let n = 0;
  for (const t of texts) {
    parts.push(t);
    n += t.length;
    if (n >= chars) {
      yield parts.join('');
      parts = [];
      n = 0;
    }
  }
  if (parts.length > 0) yield parts.join('');
}
