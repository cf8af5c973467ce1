/**
 * Byte sources (src/model/byte-source.ts) for big JSON dumps: a file read again from disk by range, or the
 * chunks stdin delivered, kept as they came (joining them would copy the whole dump once more).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type ByteSource, StaleSource } from '../model/byte-source.js';
import type { SourceText } from '../model/load.js';
import { lfLineBreaks } from './line-breaks.js';

/** A file from byte `skip` on (past a byte order mark), as it was when first read. */
export class FileBytes implements ByteSource {
  readonly size: number;

  constructor(
    private readonly path: string,
    private readonly skip: number,
    private readonly fileSize: number,
    private readonly mtimeMs: number,
  ) {
    this.size = fileSize - skip;
  }

  read(target: Buffer, offset: number, length: number, position: number): number {
    const fd = openSync(this.path, 'r');
    try {
      const st = fstatSync(fd);
      if (st.size !== this.fileSize || st.mtimeMs !== this.mtimeMs)
        throw new StaleSource(`${this.path} changed after it was read`);
      let done = 0;
      const want = Math.min(length, this.size - position);
      while (done < want) {
        const n = readSync(fd, target, offset + done, want - done, this.skip + position + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    } finally {
      closeSync(fd);
    }
  }
}

/** Chunks held in memory (what stdin delivered), read as one run of bytes. */
export class MemoryBytes implements ByteSource {
  readonly size: number;
  /** starts[k]: the position of chunks[k]'s first byte. */
  private readonly starts: number[] = [];

  constructor(private readonly chunks: readonly Buffer[]) {
    let at = 0;
    for (const c of chunks) {
      this.starts.push(at);
      at += c.length;
    }
    this.size = at;
  }

  read(target: Buffer, offset: number, length: number, position: number): number {
    let low = 0;
    let high = this.chunks.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.starts[mid] as number) <= position) low = mid;
      else high = mid - 1;
    }
    let done = 0;
    const want = Math.min(length, this.size - position);
    for (let k = low; done < want && k < this.chunks.length; k++) {
      const chunk = this.chunks[k] as Buffer;
      const from = position + done - (this.starts[k] as number);
      done += chunk.copy(target, offset + done, from, Math.min(chunk.length, from + want - done));
    }
    return done;
  }
}

/** The whole text of `bytes`, decoded when first asked for (only when the streaming reader declines), CRLF read as LF. */
export function streamedSource(name: string, bytes: ByteSource): SourceText {
  let text: string | undefined;
  return {
    name,
    bytes,
    get text(): string {
      if (text === undefined) {
        const buf = Buffer.allocUnsafe(bytes.size);
        const n = bytes.read(buf, 0, bytes.size, 0);
        text = lfLineBreaks(buf.toString('utf8', 0, n));
      }
      return text;
    },
  };
}
