/**
 * Source lines by number, for reports that quote the line a finding points at. Findings come sorted by file
 * and line, so each source is read forward from the last line asked for: one pass over a dump for all of its
 * findings. A streamed source (a big JSON dump) is read from its bytes in chunks, never decoded whole.
 */
import type { ByteSource } from './byte-source.js';
import { NL } from './char-codes.js';
import type { SourceText } from './load.js';

export interface SourceLines {
  /** Line `n` (1-based) without its line break, or undefined past the end. */
  line(n: number): string | undefined;
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
    const end = this.text.indexOf('\n', this.start);
    return this.text.slice(this.start, end === -1 ? undefined : end).replace(/\r$/, '');
  }
}

const CHUNK = 1 << 16;
/** A quoted line is cut here: a report shows at most a few hundred characters of it. */
const LINE_MAX = 1 << 16;

class ByteLines implements SourceLines {
  private current = 1;
  /** Where line `current` starts. */
  private start = 0;
  /** A window of the bytes: `win[0, winLen)` holds those from `winAt` on. */
  private readonly win = Buffer.allocUnsafe(CHUNK);
  private winAt = 0;
  private winLen = 0;

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

  line(n: number): string | undefined {
    if (n < this.current) {
      this.current = 1;
      this.start = 0;
    }
    while (this.current < n) {
      const next = this.newline(this.start, this.bytes.size);
      if (next === -1) return undefined;
      this.start = next + 1;
      this.current++;
    }
    if (this.start > this.bytes.size) return undefined;
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
}
