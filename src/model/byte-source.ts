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

/** True when the first byte that is not a space or line break is `{` (a JSON object, not YAML). */
export function startsLikeJson(src: ByteSource): boolean {
  const head = Buffer.allocUnsafe(Math.min(4096, src.size));
  const n = src.read(head, 0, head.length, 0);
  let i = 0;
  while (i < n && (head[i] === 32 || head[i] === 10)) i++;
  return i < n && head[i] === 123;
}
