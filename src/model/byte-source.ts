/**
 * The bytes of a source, read by range as often as needed: a big dump is streamed through one small buffer
 * and read again only where a finding needs a position, instead of being held as one string. Implementations
 * live with the sources (src/sources/bytes.ts): a file, or the chunks stdin delivered.
 */
export interface ByteSource {
  /** How many bytes the source holds. */
  readonly size: number;
  /**
   * Copies up to `length` bytes from `position` into `target` at `offset`; returns how many (fewer only at
   * the end). Throws `StaleSource` when the bytes are no longer those first read (the file changed).
   */
  read(target: Buffer, offset: number, length: number, position: number): number;
}

/** The source changed after it was read: positions in it can no longer be found exactly. */
export class StaleSource extends Error {}

/** The first `n` bytes of a source, decoded (a character cut at the end becomes U+FFFD). */
export function headText(src: ByteSource, n = 4096): string {
  const head = Buffer.allocUnsafe(Math.min(n, src.size));
  return head.toString('utf8', 0, src.read(head, 0, head.length, 0));
}

/** True when the first character that is not a space or line break is `{` (a JSON object, not YAML). */
export const startsLikeJson = (src: ByteSource): boolean => /^[ \n]*\{/.test(headText(src));
