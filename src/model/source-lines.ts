/**
 * Source lines by number, for reports that quote the line a finding points at. Findings come sorted by file
 * and line, so each source is read forward from the last line asked for: one pass over a dump for all of its
 * findings. A streamed source (a big JSON dump) is read from its bytes in chunks, never decoded whole.
 */
import type { ByteSource } from './byte-source.js';
import { CR, NL } from './char-codes.js';
import type { SourceText } from './load.js';

/** A part of a line: `text` starts at 0-based character `from` of the line; `cut` when the line goes on after it. */
export interface LinePart {
  readonly text: string;
  readonly from: number;
  readonly cut: boolean;
}

/** Around a column, a part holds at least this many characters on either side (where the line has them). */
export const PART_SIDE = 512;

export interface SourceLines {
  /** Line `n` (1-based) without its line break, or undefined past the end. */
  line(n: number): string | undefined;
  /**
   * The part of line `n` around 1-based `column` (PART_SIDE characters either side), or undefined past the
   * end: what a report quotes. A compact JSON dump is one line of hundreds of megabytes.
   */
  around(n: number, column: number): LinePart | undefined;
}

/** The part of `line` around `column`, as SourceLines.around gives it. */
export function partAround(line: string, column: number): LinePart {
  const at = Math.max(0, column - 1);
  if (line.length <= 2 * PART_SIDE) return { text: line, from: 0, cut: false };
  const from = Math.max(0, Math.min(at, line.length) - PART_SIDE);
  const end = Math.min(line.length, at + PART_SIDE);
  return { text: line.slice(from, end), from, cut: end < line.length };
}

/** A source's lines: read from its bytes when it is streamed, from its text otherwise. */
export const sourceLines = (src: SourceText): SourceLines =>
  src.bytes ? new ByteLines(src.bytes) : new TextLines(src.text);

export class TextLines implements SourceLines {
  private current = 1;
  private start = 0;

  constructor(private readonly text: string) {}

  line(n: number): string | undefined {
    if (n < this.current) {
      this.current = 1;
      this.start = 0;
    }
    while (this.current < n) {
      const next = this.text.indexOf('\n', this.start);
      if (next === -1) return undefined;
      this.start = next + 1;
      this.current++;
    }
    const found = this.text.indexOf('\n', this.start);
    const end = found === -1 ? this.text.length : found;
    // Not a /\r$/ replace: a regular expression would scan the whole of a one-line dump.
    return this.text.slice(
      this.start,
      this.text.charCodeAt(end - 1) === CR && end > this.start ? end - 1 : end,
    );
  }

  around(n: number, column: number): LinePart | undefined {
    const line = this.line(n);
    return line === undefined ? undefined : partAround(line, column);
  }
}

/**
 * The lines a report quotes, per file of a run: each file's text or lines (sourceLines), read forward by one
 * reader per file as the sorted findings ask.
 */
export class QuotedSources {
  private readonly readers = new Map<string, SourceLines | undefined>();

  constructor(private readonly sources: ReadonlyMap<string, string | SourceLines>) {}

  /** SourceLines.around in `file`; undefined for a file not given or a line past its end. */
  around(file: string, n: number, column: number): LinePart | undefined {
    if (!this.readers.has(file)) {
      const src = this.sources.get(file);
      this.readers.set(file, typeof src === 'string' ? new TextLines(src) : src);
    }
    return this.readers.get(file)?.around(n, column);
  }
}

const CHUNK = 1 << 16;

/** A quoted line is cut here: a report shows at most a few hundred characters of it. */
const LINE_MAX = 1 << 16;

/** How many of the first `len` bytes end on a character boundary: a UTF-8 sequence cut at `len` is left for the next read. */
function wholeCharacters(buf: Buffer, len: number): number {
  let lead = len - 1;
  while (lead > 0 && len - lead < 4 && ((buf[lead] ?? 0) & 0xc0) === 0x80) lead--;
  const b = buf[lead] ?? 0;
  const size = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return lead > 0 && lead + size > len ? lead : len;
}

class ByteLines implements SourceLines {
  private current = 1;
  /** Where line `current` starts. */
  private start = 0;
  /** A window of the bytes: `win[0, winLen)` holds those from `winAt` on. */
  private readonly win = Buffer.allocUnsafe(CHUNK);
  private winAt = 0;
  private winLen = 0;
  /**
   * Where the last long line's decoding got to: findings come sorted by line and column, so the next column
   * on the same line is found by decoding on from there, not from the line's start.
   */
  private mark = { start: -1, pos: 0, chars: 0 };

  constructor(private readonly bytes: ByteSource) {}

  /** The position of the first newline in [from, limit), or -1. */
  private newline(from: number, limit: number): number {
    let at = from;
    while (at < limit) {
      if (at < this.winAt || at >= this.winAt + this.winLen) {
        this.winAt = at;
        try {
          this.winLen = this.bytes.read(this.win, 0, CHUNK, at);
        } catch {
          this.winLen = 0; // changed or gone: no line to quote
        }
        if (this.winLen === 0) return -1;
      }
      const i = this.win.indexOf(NL, at - this.winAt);
      if (i !== -1 && i < this.winLen) return this.winAt + i < limit ? this.winAt + i : -1;
      at = this.winAt + this.winLen;
    }
    return -1;
  }

  /** Moves to line `n`; false past the end. */
  private seek(n: number): boolean {
    if (n < this.current) {
      this.current = 1;
      this.start = 0;
    }
    while (this.current < n) {
      const next = this.newline(this.start, this.bytes.size);
      if (next === -1) return false;
      this.start = next + 1;
      this.current++;
    }
    return this.start <= this.bytes.size;
  }

  line(n: number): string | undefined {
    if (!this.seek(n)) return undefined;
    const limit = Math.min(this.bytes.size, this.start + LINE_MAX);
    const end = this.newline(this.start, limit);
    const size = (end === -1 ? limit : end) - this.start;
    const out = Buffer.allocUnsafe(size);
    try {
      if (this.bytes.read(out, 0, size, this.start) !== size) return undefined;
    } catch {
      return undefined;
    }
    return out.toString('utf8').replace(/\r$/, '');
  }

  around(n: number, column: number): LinePart | undefined {
    const at = Math.max(0, column - 1);
    // A line read whole (up to LINE_MAX bytes) holds every column up to LINE_MAX / 4 and more.
    if (at + PART_SIDE < LINE_MAX / 4) {
      const line = this.line(n);
      return line === undefined ? undefined : partAround(line, column);
    }
    if (!this.seek(n)) return undefined;
    return this.decodeAround(at);
  }

  /** The part around 0-based character `at` of the line at `this.start`, decoding it chunk by chunk. */
  private decodeAround(at: number): LinePart {
    const want = Math.max(0, at - PART_SIDE);
    const resume = this.mark.start === this.start && this.mark.chars <= want;
    let pos = resume ? this.mark.pos : this.start;
    let chars = resume ? this.mark.chars : 0;
    const buf = Buffer.allocUnsafe(CHUNK);
    let text = '';
    let from = -1;
    for (;;) {
      let len = 0;
      try {
        len = this.bytes.read(buf, 0, CHUNK, pos);
      } catch {
        len = 0; // changed or gone: quote what was read
      }
      const nl = buf.subarray(0, len).indexOf(NL);
      const ended = nl !== -1 || len < CHUNK;
      let take = nl !== -1 ? nl : len;
      // Cut between characters: back off over UTF-8 continuation bytes (10xxxxxx).
      if (!ended) take = wholeCharacters(buf, len);
      const piece = buf.toString('utf8', 0, take);
      if (from < 0 && chars + piece.length > want) {
        from = want;
        text = piece.slice(want - chars);
        this.mark = { start: this.start, pos, chars };
      } else if (from >= 0) text += piece;
      chars += piece.length;
      pos += take;
      // One character more than kept: then the line surely goes on past the part.
      const enough = from >= 0 && text.length > at - from + PART_SIDE;
      if (ended || enough) {
        if (from < 0) return { text: '', from: chars, cut: false };
        if (ended && text.endsWith('\r')) text = text.slice(0, -1);
        const keep = at - from + PART_SIDE;
        return { text: text.slice(0, keep), from, cut: !ended || text.length > keep };
      }
    }
  }
}
