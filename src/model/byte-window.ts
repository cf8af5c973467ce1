/**
 * Shared by the streaming readers (json-list-stream.ts, yaml-list-stream.ts, yaml-documents-stream.ts): a
 * window that moves over a source's bytes through one buffer, and positions inside a part of the text read
 * again for a finding.
 */
import { isAscii } from 'node:buffer';
import type { ByteSource } from './byte-source.js';
import { NL, SPACE } from './char-codes.js';

/** A window on the source: `buf[0, len)` holds the bytes from `base` on. */
export class Window {
  buf: Buffer;
  len = 0;
  eof = false;

  constructor(
    private readonly src: ByteSource,
    size: number,
    public base: number,
  ) {
    this.buf = Buffer.allocUnsafe(size);
    this.more(0);
  }

  /** Whether the last text() was ASCII. */
  ascii = false;

  /**
   * The text of `buf[s, e)`. Most parts of a dump are ASCII, which one vectorised test of the bytes tells:
   * those are copied as Latin-1, and `ascii` lets a reader narrow its character check (hasUnsupported in
   * yaml-scalars.ts).
   */
  text(s: number, e: number): string {
    this.ascii = isAscii(this.buf.subarray(s, e));
    return this.buf.toString(this.ascii ? 'latin1' : 'utf8', s, e);
  }

  /** How far indices moved during the last nextLineBreak (subtract it from every index kept). */
  moved = 0;

  /**
   * The index of the first line break at or after `from` with `after` bytes read behind it, reading more
   * (and keeping the bytes from `keep` on) as needed; at the end of the source it may have fewer behind it,
   * and it is -1 when no line break is left.
   */
  nextLineBreak(from: number, after: number, keep: number): number {
    this.moved = 0;
    let at = from;
    let kept = keep;
    for (;;) {
      const nl = this.buf.indexOf(NL, at);
      const found = nl !== -1 && nl < this.len;
      if ((found && nl + after < this.len) || this.eof) return found ? nl : -1;
      const resume = found ? at : this.len;
      const shift = this.more(kept);
      this.moved += shift;
      kept -= shift;
      at = resume - shift;
    }
  }

  /**
   * Drops the bytes before index `keep`, reads more behind the rest (doubling the buffer when the rest fills
   * it) and returns how far indices moved (`keep`). Sets `eof` when nothing was left to read.
   */
  more(keep: number): number {
    if (keep > 0) {
      this.buf.copy(this.buf, 0, keep, this.len);
      this.len -= keep;
      this.base += keep;
    }
    if (this.len === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    const n = this.src.read(this.buf, this.len, this.buf.length - this.len, this.base + this.len);
    this.len += n;
    if (n === 0) this.eof = true;
    return keep;
  }
}

/** Line and column of `offset` in `text`, whose first character is at `line`, `column`. */
export function positionIn(text: string, offset: number, line: number, column: number) {
  let lines = 0;
  let lastNl = -1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    lines++;
    lastNl = i;
  }
  return lines === 0 ? { line, column: column + offset } : { line: line + lines, column: offset - lastNl };
}

/** What a streaming reader reads at first: its buffer, and the head the List's `items` must start in. */
export interface StreamSizes {
  readonly chunk: number;
  readonly head: number;
}

/**
 * Told how many items (or documents) a streaming reader has read so far, every ITEMS_PER_REPORT of them:
 * reading a cluster dump takes seconds, and a terminal shows how far it got.
 */
export type ItemsRead = (items: number) => void;
export const ITEMS_PER_REPORT = 1024;

/** What a streaming reader is given: its sizes, and whom to tell how far it got. */
export interface StreamOptions extends StreamSizes {
  readonly onItems?: ItemsRead;
}

/** The sizes the streaming readers use (tests make them small), and how far the tail may run. */
export const STREAM_SIZES: StreamSizes = { chunk: 1 << 20, head: 1 << 16 };
export const TAIL_MAX = 1 << 20;

/** The text of bytes [from, to) of `src`, read again; null when they changed or are gone. */
export function reread(src: ByteSource, from: number, to: number): string | null {
  try {
    const buf = Buffer.allocUnsafe(to - from);
    return src.read(buf, 0, buf.length, from) === buf.length ? buf.toString('utf8') : null;
  } catch {
    return null;
  }
}

/**
 * `load(i)`, remembered for the last `size` items asked for: a rule asks for several fields of one object
 * in a row, and each question would otherwise read the item again.
 */
export function recent<T>(load: (i: number) => T, size = 64): (i: number) => T {
  const cache = new Map<number, T>();
  return (i) => {
    if (cache.has(i)) return cache.get(i) as T;
    const value = load(i);
    if (cache.size >= size) cache.delete(cache.keys().next().value as number);
    cache.set(i, value);
    return value;
  };
}

/** True when `buf[from, from + n)` are all spaces. */
export function spacesAt(buf: Buffer, from: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (buf[from + k] !== SPACE) return false;
  return true;
}
