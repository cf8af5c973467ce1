/**
 * Text turned into UTF-8 with LF line breaks as it is read, a chunk at a time. A big dump written on Windows
 * (CRLF, or UTF-16 as PowerShell 5's `>` writes it) then goes through the same streaming readers as any
 * other, held as bytes outside the heap, instead of as one string read by the slower whole-text path: at
 * bench/'s 1x List, CRLF took 11.2 s and 1.5 GB that way and UTF-16 with CRLF 11.7 s and 2.4 GB
 * (BENCHMARKS.md, stop 25), and a UTF-16 dump past V8's longest string (2^29 - 24 characters, about 1 GiB
 * of UTF-16) could not be held as one text at all.
 *
 * Small UTF-16 inputs are converted the same way, whole, so an input reads the same whatever its size. What comes
 * out equals lfLineBreaks (line-breaks.ts) of the text decoded whole, as UTF-8, so lines and columns are
 * those of the text: only a CR right before an LF is dropped. A lone surrogate or a code unit cut off at
 * the end becomes U+FFFD, as in Go's UTF-16 decoder.
 */
import { CR, NL } from '../model/char-codes.js';

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

export class LfUtf8 {
  private readonly out: Buffer[] = [];
  /** UTF-16: the first byte of a code unit cut by the chunk's end, or -1. */
  private oddByte = -1;
  /** UTF-16: a high surrogate that ended the chunk (its pair may start the next), or ''. */
  private highSurrogate = '';
  /** The bytes so far end in a CR not yet written: dropped if an LF comes next. */
  private cr = false;

  constructor(private readonly encoding: TextEncoding) {}

  /** Converts the next bytes of the text (the byte order mark already skipped); `bytes` may be reused after. */
  push(bytes: Buffer): void {
    if (bytes.length > 0) this.strip(this.encoding === 'utf-8' ? bytes : this.fromUtf16(bytes));
  }

  /** The converted text, as chunks; the converter is spent. */
  end(): Buffer[] {
    // A code unit cut at the very end, or a lone surrogate, decodes as Go's and Node's decoders do: U+FFFD.
    const rest = this.highSurrogate + (this.oddByte >= 0 ? '\uFFFD' : '');
    if (rest !== '') this.strip(Buffer.from(rest, 'utf8'));
    if (this.cr) this.out.push(Buffer.of(CR));
    this.cr = false;
    return this.out;
  }

  private fromUtf16(bytes: Buffer): Buffer {
    let units = this.oddByte >= 0 ? Buffer.concat([Buffer.of(this.oddByte), bytes]) : bytes;
    this.oddByte = units.length % 2 === 1 ? (units[units.length - 1] as number) : -1;
    if (this.oddByte >= 0) units = units.subarray(0, units.length - 1);
    if (this.encoding === 'utf-16be') units = Buffer.from(units).swap16(); // the caller's bytes stay as they are
    let text = this.highSurrogate + units.toString('utf16le');
    this.highSurrogate = '';
    if (text.length > 0 && isHighSurrogate(text.charCodeAt(text.length - 1))) {
      this.highSurrogate = text.slice(-1);
      text = text.slice(0, -1);
    }
    return Buffer.from(text, 'utf8');
  }

  /**
   * Appends UTF-8 `b` without the CR of each CRLF. A byte loop: 0.75-0.95 s for bench/'s 1x JSON dump with CRLF
   * (398 MB) against 1-1.2 s for a native search and copy per line and 2.6 s for String.replaceAll.
   */
  private strip(b: Buffer): void {
    const n = b.length;
    if (n === 0) return; // a pending CR waits for a byte that says what it is
    const out = Buffer.allocUnsafe(n + 1);
    let o = 0;
    if (this.cr && b[0] !== NL) out[o++] = CR;
    this.cr = false;
    for (let i = 0; i < n; i++) {
      const c = b[i] as number;
      if (c === CR) {
        if (i + 1 === n) {
          this.cr = true;
          break;
        }
        if (b[i + 1] === NL) continue;
      }
      out[o++] = c;
    }
    if (o > 0) this.out.push(out.subarray(0, o));
  }
}

/** `chunks` (one text, in order) converted whole; see LfUtf8. */
export function toLfUtf8(chunks: Iterable<Buffer>, encoding: TextEncoding): Buffer[] {
  const c = new LfUtf8(encoding);
  for (const chunk of chunks) c.push(chunk);
  return c.end();
}
