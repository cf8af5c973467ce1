/**
 * Reads manifests from files, folders (recursively: .yaml, .yml, .json) and `-` (stdin), as kubectl reads
 * them: UTF-8, or UTF-16 after a byte order mark; CRLF line breaks as LF. Unreadable input becomes a
 * finding, never an exception: the rest is still read.
 */
import { closeSync, createReadStream, fstatSync, openSync, readFileSync } from 'node:fs';
import { type FileHandle, open, readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Finding } from '../model/finding.js';
import type { SourceText } from '../model/load.js';
import { FileBytes, MemoryBytes, streamedSource } from './bytes.js';
import { LfUtf8, type TextEncoding, toLfUtf8 } from './lf-utf8.js';
import { lfLineBreaks } from './line-breaks.js';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** What a folder walk reads: sub-folders and .yaml/.yml/.json files, never hidden entries or node_modules. */
function walked(name: string, isDirectory: boolean): boolean {
  if (name.startsWith('.') || name === 'node_modules') return false;
  return isDirectory || MANIFEST_EXTENSIONS.has(extname(name).toLowerCase());
}
const STDIN = '<stdin>';

export interface ReadResult {
  readonly sources: SourceText[];
  readonly findings: Finding[];
  /** Every input name in reading order, readable or not, so findings can be sorted by it. */
  readonly order: string[];
}

const unreadable = (file: string, message: string, fix?: string): Finding => ({
  rule: 'input-unreadable',
  severity: 'error',
  message,
  object: null,
  field: null,
  location: { file, line: 1, column: 1 },
  ...(fix ? { fix } : {}),
});

/**
 * Files (and stdin) from this size on are streamed by the loader item by item when they hold a List
 * (src/model/json-list-stream.ts, yaml-list-stream.ts) rather than read into one string: a 398 MB JSON dump
 * took 3.5 s and 0.8 GB to hold as one.
 */
export const STREAM_FROM = 8 * 1024 * 1024;

export interface ReadOptions {
  /** Stream sources of at least this many bytes (tests lower it; Infinity turns streaming off). */
  readonly streamFrom?: number;
  /**
   * Told how many bytes of one input have been read so far, while that takes time: stdin as it arrives (a
   * pipe from `kubectl get -A` can take a minute), a big file while it is converted (lf-utf8.ts).
   */
  readonly onRead?: OnRead;
}

export type OnRead = (name: string, bytes: number) => void;

/** How many bytes to look at before choosing to stream: enough for looksBinary's 8 Ki characters. */
const SNIFF = 4 * 8192;

/** Where the text starts: past a UTF-8 byte order mark, which editors on Windows write. */
const textStart = (head: Buffer): number =>
  head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;

/**
 * The UTF-16 a byte order mark at the start announces, or undefined. kubectl decodes such a file
 * (k8s.io/cli-runtime/pkg/resource/visitor.go, `FileVisitor.Visit`: `unicode.BOMOverride(unicode.UTF8.NewDecoder())`);
 * Windows PowerShell 5 writes one with `kubectl get -o yaml > dump.yaml`.
 */
function utf16Of(head: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return undefined;
}

/** A NUL in the first 8 Ki characters: an image, an archive, not YAML (in UTF-8 only U+0000 has a 0 byte). */
function looksBinary(text: string): boolean {
  return text.slice(0, 8192).includes('\0');
}

/**
 * An input read as it arrived (stdin, a named pipe): its chunks, or, when it is big and needs converting
 * (UTF-16, or CRLF in its first SNIFF bytes), what they converted to.
 */
type Arrived =
  | { readonly chunks: Buffer[]; readonly converted?: undefined }
  | { readonly converted: Buffer[]; readonly encoding: TextEncoding };

/**
 * Reads `stream` to its end. Once it is at least `streamFrom` bytes (and SNIFF, to decide on) and needs
 * converting, each chunk is converted as it arrives and not kept: the 1x JSON dump with CRLF on stdin
 * held both, 1.42 GB (BENCHMARKS.md, stop 27). The result equals converting the kept chunks at the end
 * (toLfUtf8 is the same converter, fed the same bytes).
 */
async function readArriving(
  name: string,
  stream: NodeJS.ReadableStream,
  streamFrom: number,
  onRead?: OnRead,
): Promise<Arrived> {
  let chunks: Buffer[] = [];
  let bytes = 0;
  let converter: LfUtf8 | undefined;
  let encoding: TextEncoding = 'utf-8';
  let decided = false;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += b.length;
    onRead?.(name, bytes);
    if (converter) {
      converter.push(b);
      continue;
    }
    chunks.push(b);
    if (decided || bytes < streamFrom || bytes < SNIFF) continue;
    decided = true;
    const head = headOf(chunks);
    const utf16 = utf16Of(head);
    if (!utf16 && (looksBinary(head.toString('utf8')) || !head.includes('\r\n'))) continue;
    encoding = utf16 ?? 'utf-8';
    converter = new LfUtf8(encoding);
    for (const c of dropBytes(chunks, utf16 ? 2 : textStart(head))) converter.push(c);
    chunks = [];
  }
  return converter ? { converted: converter.end(), encoding } : { chunks };
}

/** How many of the first chunks hold at least `n` bytes (or all of them). */
function chunksFor(chunks: readonly Buffer[], n: number): number {
  let k = 0;
  for (let got = 0; k < chunks.length && got < n; k++) got += (chunks[k] as Buffer).length;
  return k;
}

/** The chunks without their first `n` bytes (a byte order mark may be cut across them). */
function dropBytes(chunks: readonly Buffer[], n: number): Buffer[] {
  const out = [...chunks];
  for (let left = n; left > 0 && out.length > 0; ) {
    const c = out[0] as Buffer;
    if (c.length <= left) {
      out.shift();
      left -= c.length;
    } else {
      out[0] = c.subarray(left);
      left = 0;
    }
  }
  return out;
}

/** How many bytes a file is converted by at a time (lf-utf8.ts). */
const CONVERT_CHUNK = 8 * 2 ** 20;

/** The bytes of an open file from `from` on, converted to UTF-8 with LF line breaks (lf-utf8.ts). */
async function convertedFile(
  file: string,
  handle: FileHandle,
  size: number,
  from: number,
  encoding: TextEncoding,
  onRead: OnRead | undefined,
): Promise<Buffer[]> {
  const converter = new LfUtf8(encoding);
  const buf = Buffer.allocUnsafe(Math.min(CONVERT_CHUNK, size));
  for (let at = from; at < size; ) {
    const { bytesRead } = await handle.read(buf, 0, buf.length, at);
    if (bytesRead === 0) break;
    converter.push(buf.subarray(0, bytesRead));
    at += bytesRead;
    onRead?.(file, at);
  }
  return converter.end();
}

/** The first bytes of `chunks`, at least SNIFF of them when there are. */
const headOf = (chunks: readonly Buffer[]): Buffer =>
  Buffer.concat(chunks.slice(0, chunksFor(chunks, SNIFF)));

/**
 * A UTF-16 input, converted to UTF-8 with LF (lf-utf8.ts; its byte order mark skipped): streamed when `big`,
 * else (or when binary, which toSource reports) read as one text. Either way one more byte order mark after
 * the first is dropped, as toSource drops a UTF-8 one, so a file reads the same whatever its size.
 */
function convertedSource(
  name: string,
  converted: Buffer[],
  big: boolean,
  findings: Finding[],
): SourceText | undefined {
  const head = headOf(converted);
  if (big && !looksBinary(head.toString('utf8')))
    return streamedSource(name, new MemoryBytes(dropBytes(converted, textStart(head))));
  return toSource(name, Buffer.concat(converted).toString('utf8'), findings);
}

/**
 * Reads a file that is big or UTF-16: a big one as a streamed source (from the file itself, or when it has
 * CRLF line breaks from its conversion to UTF-8 with LF, held in memory), a UTF-16 one converted. Undefined:
 * read it whole as UTF-8 (small, or binary, which toSource reports).
 */
async function readBigOrUtf16(
  file: string,
  streamFrom: number,
  onRead: OnRead | undefined,
  findings: Finding[],
): Promise<{ source: SourceText | undefined } | undefined> {
  const handle = await open(file, 'r');
  try {
    const st = await handle.stat();
    const big = st.size >= streamFrom;
    const head = Buffer.allocUnsafe(Math.min(big ? SNIFF : 2, st.size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const first = head.subarray(0, bytesRead);
    const utf16 = utf16Of(first);
    if (utf16) {
      const converted = await convertedFile(file, handle, st.size, 2, utf16, onRead);
      return { source: convertedSource(file, converted, big, findings) };
    }
    if (!big || looksBinary(first.toString('utf8'))) return undefined;
    const from = textStart(first);
    const bytes = first.includes('\r\n')
      ? new MemoryBytes(await convertedFile(file, handle, st.size, from, 'utf-8', onRead))
      : new FileBytes(file, from, st.size, st.mtimeMs);
    return { source: streamedSource(file, bytes) };
  } finally {
    await handle.close();
  }
}

/**
 * The bytes of a regular file smaller than `streamFrom`, read synchronously; undefined for a big one (or
 * one that stopped being a regular file), which the asynchronous path reads. Each of fs/promises' calls is
 * a round trip through libuv's thread pool: 5,000 small files took 2.3 s to read that way and 0.1 s this
 * way (BENCHMARKS.md, stop 27).
 */
function readSmallFile(file: string, streamFrom: number): Buffer | undefined {
  const fd = openSync(file, 'r');
  try {
    const st = fstatSync(fd);
    return st.isFile() && st.size < streamFrom ? readFileSync(fd) : undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * The source of an input held in memory (stdin or a named pipe as it arrived, a small file read at once):
 * UTF-16 converted, big ones (converted to LF when they have CRLF) streamed from memory, anything else one
 * text.
 */
function chunksSource(
  name: string,
  arrived: Arrived,
  streamFrom: number,
  findings: Finding[],
): SourceText | undefined {
  if (arrived.converted) {
    return arrived.encoding === 'utf-8'
      ? streamedSource(name, new MemoryBytes(arrived.converted))
      : convertedSource(name, arrived.converted, true, findings);
  }
  const chunks = arrived.chunks;
  const size = chunks.reduce((n, c) => n + c.length, 0);
  const first = headOf(chunks);
  const utf16 = utf16Of(first);
  const big = size >= streamFrom && size > 0;
  if (utf16) return convertedSource(name, toLfUtf8(dropBytes(chunks, 2), utf16), big, findings);
  if (big && !looksBinary(first.toString('utf8'))) {
    const text = dropBytes(chunks, textStart(first));
    const bytes = first.includes('\r\n') ? toLfUtf8(text, 'utf-8') : text;
    return streamedSource(name, new MemoryBytes(bytes));
  }
  return toSource(name, Buffer.concat(chunks).toString('utf8'), findings);
}

/** Appends the manifest files under `dir` to `out`, in sorted order (the heap launcher sizes the same files). */
export async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (!walked(e.name, e.isDirectory())) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile()) out.push(p);
  }
}

/**
 * `text` as read: files are read with readFile's own UTF-8 decoding, which decodes chunk by chunk as they
 * arrive (a 398 MB dump: 3.6 s to a flat string, against 4.3 s for a whole Buffer and then toString).
 */
function toSource(name: string, text: string, findings: Finding[]): SourceText | undefined {
  if (looksBinary(text)) {
    findings.push(
      unreadable(name, 'binary data, not YAML or JSON', 'Pass Kubernetes manifests (YAML or JSON).'),
    );
    return undefined;
  }
  // Strip a UTF-8 byte order mark: editors on Windows write one and YAML parsers choke on it.
  return { name, text: lfLineBreaks(text.replace(/^\uFEFF/, '')) };
}

/** Reads every path in order; folders are expanded in sorted order so output is stable. */
export async function readSources(
  paths: readonly string[],
  stdin: NodeJS.ReadableStream = process.stdin,
  options: ReadOptions = {},
): Promise<ReadResult> {
  const streamFrom = options.streamFrom ?? STREAM_FROM;
  const sources: SourceText[] = [];
  const findings: Finding[] = [];
  const order: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      order.push(STDIN);
      const arrived = await readArriving(STDIN, stdin, streamFrom, options.onRead);
      const src = chunksSource(STDIN, arrived, streamFrom, findings);
      if (src) sources.push(src);
      continue;
    }
    let files: string[];
    /** A named pipe or a device (`<(kubectl get -o yaml)`, /dev/stdin), not a file. */
    let pipe = false;
    try {
      const st = await stat(p);
      pipe = !st.isDirectory() && !st.isFile();
      if (st.isDirectory()) {
        files = [];
        await walk(p, files);
        if (files.length === 0) {
          order.push(p);
          findings.push(unreadable(p, `no .yaml, .yml or .json files in folder ${p}`));
          continue;
        }
      } else files = [p];
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      order.push(p);
      findings.push(
        unreadable(
          p,
          code === 'ENOENT' ? `no such file or folder: ${p}` : `cannot read ${p}: ${(e as Error).message}`,
        ),
      );
      continue;
    }
    for (const f of files) {
      order.push(f);
      try {
        if (pipe) {
          // Read once, as it arrives, like stdin: opening it again after a first look would wait for a
          // writer that has gone.
          const arrived = await readArriving(f, createReadStream(f), streamFrom, options.onRead);
          const src = chunksSource(f, arrived, streamFrom, findings);
          if (src) sources.push(src);
          continue;
        }
        const small = readSmallFile(f, streamFrom);
        const read = small ? undefined : await readBigOrUtf16(f, streamFrom, options.onRead, findings);
        const src = small
          ? chunksSource(f, { chunks: [small] }, streamFrom, findings)
          : read
            ? read.source
            : toSource(f, await readFile(f, 'utf8'), findings);
        if (src) sources.push(src);
      } catch (e) {
        // V8 holds at most 2^29 - 24 characters in one string ("Invalid string length").
        const tooLong =
          e instanceof RangeError || (e as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG';
        findings.push(
          tooLong
            ? unreadable(
                f,
                `cannot read ${f}: larger than the 512 MiB Node can hold as one text`,
                'Split the dump into several files (for example one `kubectl get -o yaml` per namespace) and pass them all: they are checked together.',
              )
            : unreadable(f, `cannot read ${f}: ${(e as Error).message}`),
        );
      }
    }
  }
  return { sources, findings, order };
}
