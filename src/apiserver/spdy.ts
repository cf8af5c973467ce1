/**
 * A SPDY/3.1 server session, the subset kubectl's port-forward speaks (the kubelet's side of
 * k8s.io/apimachinery/pkg/util/httpstream/spdy over github.com/moby/spdystream): SYN_STREAM answered by an
 * empty SYN_REPLY, data frames with FIN, RST_STREAM, PING echoed, SETTINGS, WINDOW_UPDATE and HEADERS ignored.
 * Header blocks are zlib streams primed with the SPDY/3 dictionary: incoming ones are inflated as one stream
 * (sync-flushed), outgoing ones are written as stored (uncompressed) deflate blocks of one zlib stream, each
 * followed by the empty stored block of a sync flush, which any inflater reads. No flow control is enforced, as spdystream enforces none.
 */
import { constants, inflateSync } from 'node:zlib';

/** The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00 §2.6.10.1), 1423 bytes. */
const DICTIONARY = Buffer.from(
  'AAAAB29wdGlvbnMAAAAEaGVhZAAAAARwb3N0AAAAA3B1dAAAAAZkZWxldGUAAAAFdHJhY2UAAAAGYWNjZXB0AAAADmFjY2VwdC1jaGFyc2V0AAAAD2FjY2VwdC1lbmNvZGluZwAAAA9hY2NlcHQtbGFuZ3VhZ2UAAAANYWNjZXB0LXJhbmdlcwAAAANhZ2UAAAAFYWxsb3cAAAANYXV0aG9yaXphdGlvbgAAAA1jYWNoZS1jb250cm9sAAAACmNvbm5lY3Rpb24AAAAMY29udGVudC1iYXNlAAAAEGNvbnRlbnQtZW5jb2RpbmcAAAAQY29udGVudC1sYW5ndWFnZQAAAA5jb250ZW50LWxlbmd0aAAAABBjb250ZW50LWxvY2F0aW9uAAAAC2NvbnRlbnQtbWQ1AAAADWNvbnRlbnQtcmFuZ2UAAAAMY29udGVudC10eXBlAAAABGRhdGUAAAAEZXRhZwAAAAZleHBlY3QAAAAHZXhwaXJlcwAAAARmcm9tAAAABGhvc3QAAAAIaWYtbWF0Y2gAAAARaWYtbW9kaWZpZWQtc2luY2UAAAANaWYtbm9uZS1tYXRjaAAAAAhpZi1yYW5nZQAAABNpZi11bm1vZGlmaWVkLXNpbmNlAAAADWxhc3QtbW9kaWZpZWQAAAAIbG9jYXRpb24AAAAMbWF4LWZvcndhcmRzAAAABnByYWdtYQAAABJwcm94eS1hdXRoZW50aWNhdGUAAAATcHJveHktYXV0aG9yaXphdGlvbgAAAAVyYW5nZQAAAAdyZWZlcmVyAAAAC3JldHJ5LWFmdGVyAAAABnNlcnZlcgAAAAJ0ZQAAAAd0cmFpbGVyAAAAEXRyYW5zZmVyLWVuY29kaW5nAAAAB3VwZ3JhZGUAAAAKdXNlci1hZ2VudAAAAAR2YXJ5AAAAA3ZpYQAAAAd3YXJuaW5nAAAAEHd3dy1hdXRoZW50aWNhdGUAAAAGbWV0aG9kAAAAA2dldAAAAAZzdGF0dXMAAAAGMjAwIE9LAAAAB3ZlcnNpb24AAAAISFRUUC8xLjEAAAADdXJsAAAABnB1YmxpYwAAAApzZXQtY29va2llAAAACmtlZXAtYWxpdmUAAAAGb3JpZ2luMTAwMTAxMjAxMjAyMjA1MjA2MzAwMzAyMzAzMzA0MzA1MzA2MzA3NDAyNDA1NDA2NDA3NDA4NDA5NDEwNDExNDEyNDEzNDE0NDE1NDE2NDE3NTAyNTA0NTA1MjAzIE5vbi1BdXRob3JpdGF0aXZlIEluZm9ybWF0aW9uMjA0IE5vIENvbnRlbnQzMDEgTW92ZWQgUGVybWFuZW50bHk0MDAgQmFkIFJlcXVlc3Q0MDEgVW5hdXRob3JpemVkNDAzIEZvcmJpZGRlbjQwNCBOb3QgRm91bmQ1MDAgSW50ZXJuYWwgU2VydmVyIEVycm9yNTAxIE5vdCBJbXBsZW1lbnRlZDUwMyBTZXJ2aWNlIFVuYXZhaWxhYmxlSmFuIEZlYiBNYXIgQXByIE1heSBKdW4gSnVsIEF1ZyBTZXB0IE9jdCBOb3YgRGVjIDAwOjAwOjAwIE1vbiwgVHVlLCBXZWQsIFRodSwgRnJpLCBTYXQsIFN1biwgR01UY2h1bmtlZCx0ZXh0L2h0bWwsaW1hZ2UvcG5nLGltYWdlL2pwZyxpbWFnZS9naWYsYXBwbGljYXRpb24veG1sLGFwcGxpY2F0aW9uL3hodG1sK3htbCx0ZXh0L3BsYWluLHRleHQvamF2YXNjcmlwdCxwdWJsaWNwcml2YXRlbWF4LWFnZT1nemlwLGRlZmxhdGUsc2RjaGNoYXJzZXQ9dXRmLThjaGFyc2V0PWlzby04ODU5LTEsdXRmLSwqLGVucT0wLg==',
  'base64',
);

const TYPE_SYN_STREAM = 1;
const TYPE_SYN_REPLY = 2;
const TYPE_RST_STREAM = 3;
const TYPE_PING = 6;
const TYPE_GOAWAY = 7;
const FLAG_FIN = 0x01;
const MAX_CHUNK = 32 * 1024;
const RST_CANCEL = 5;

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

export interface SpdyTransport {
  write(b: Buffer): void;
  close(): void;
}

export interface SpdyStream {
  readonly id: number;
  readonly headers: ReadonlyMap<string, string>;
  /** Data from the peer; `end` when it half-closed (FIN), `reset` when it reset the stream. */
  onData?: (b: Buffer) => void;
  onEnd?: () => void;
  onReset?: () => void;
  write(b: Buffer): void;
  /** Half-closes our side (an empty data frame with FIN). */
  end(): void;
  reset(): void;
}

export class SpdySession {
  private input: Buffer = Buffer.alloc(0);
  private compressedIn: Buffer = Buffer.alloc(0);
  private inflatedSoFar = 0;
  private compressorStarted = false;
  private readonly streams = new Map<number, SpdyStream & { ended: boolean }>();
  private closed = false;

  constructor(
    private readonly transport: SpdyTransport,
    private readonly onStream: (s: SpdyStream) => void,
  ) {}

  /** Feeds bytes read from the connection. Throws on a malformed frame (the caller closes). */
  receive(chunk: Buffer): void {
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    while (this.input.length >= 8) {
      const length = this.input.readUIntBE(5, 3);
      if (this.input.length < 8 + length) return;
      const frame = this.input.subarray(0, 8 + length);
      this.input = this.input.subarray(8 + length);
      this.frame(frame);
    }
  }

  private frame(f: Buffer): void {
    const flags = f[4] ?? 0;
    const data = f.subarray(8);
    if ((f[0] ?? 0) & 0x80) {
      const type = f.readUInt16BE(2);
      if (type === TYPE_SYN_STREAM) {
        const id = data.readUInt32BE(0) & 0x7fffffff;
        const headers = this.inflateHeaders(data.subarray(10));
        this.open(id, headers, (flags & FLAG_FIN) !== 0);
      } else if (type === TYPE_RST_STREAM) {
        const id = data.readUInt32BE(0) & 0x7fffffff;
        const s = this.streams.get(id);
        this.streams.delete(id);
        s?.onReset?.();
      } else if (type === TYPE_PING) {
        this.send(f);
      } else if (type === TYPE_GOAWAY) {
        this.close();
      }
      return;
    }
    const id = f.readUInt32BE(0) & 0x7fffffff;
    const s = this.streams.get(id);
    if (!s) return;
    if (data.length > 0) s.onData?.(Buffer.from(data));
    if (flags & FLAG_FIN) s.onEnd?.();
  }

  /** Header blocks form one zlib stream across frames: inflate everything so far, keep the new output. */
  private inflateHeaders(block: Buffer): Map<string, string> {
    this.compressedIn = Buffer.concat([this.compressedIn, block]);
    const all = inflateSync(this.compressedIn, {
      dictionary: DICTIONARY,
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    const out = all.subarray(this.inflatedSoFar);
    this.inflatedSoFar = all.length;
    const headers = new Map<string, string>();
    const count = out.readUInt32BE(0);
    let at = 4;
    for (let i = 0; i < count; i++) {
      const nl = out.readUInt32BE(at);
      const name = out.subarray(at + 4, at + 4 + nl).toString('utf8');
      at += 4 + nl;
      const vl = out.readUInt32BE(at);
      const value = out.subarray(at + 4, at + 4 + vl).toString('utf8');
      at += 4 + vl;
      headers.set(name.toLowerCase(), value.split('\0')[0] ?? '');
    }
    return headers;
  }

  /** An empty header block, as the continuation of our zlib stream (one stored block, sync-flushed). */
  private deflateEmptyHeaders(): Buffer {
    const raw = Buffer.alloc(4); // zero name/value pairs
    const stored = Buffer.alloc(5);
    stored[0] = 0x00; // BFINAL=0, BTYPE=00 (stored), padded to the byte
    stored.writeUInt16LE(raw.length, 1);
    stored.writeUInt16LE(~raw.length & 0xffff, 3);
    // An empty stored block after the data, as zlib's Z_SYNC_FLUSH writes: Go's flate reader flushes the
    // data it holds when it reads this marker, inside this frame's bytes (it must not need the next frame).
    const syncMarker = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);
    const parts = [stored, raw, syncMarker];
    if (!this.compressorStarted) {
      this.compressorStarted = true;
      // zlib header: deflate, 32K window, FDICT set; (0x78 << 8 | 0x20) % 31 === 0. Then the dictionary id.
      const head = Buffer.alloc(6);
      head[0] = 0x78;
      head[1] = 0x20;
      head.writeUInt32BE(adler32(DICTIONARY), 2);
      parts.unshift(head);
    }
    return Buffer.concat(parts);
  }

  private control(type: number, flags: number, payload: Buffer): Buffer {
    const h = Buffer.alloc(8);
    h.writeUInt16BE(0x8003, 0);
    h.writeUInt16BE(type, 2);
    h.writeUInt32BE(payload.length, 4);
    h[4] = flags;
    return Buffer.concat([h, payload]);
  }

  private dataFrame(id: number, flags: number, payload: Buffer): Buffer {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(id & 0x7fffffff, 0);
    h.writeUInt32BE(payload.length, 4);
    h[4] = flags;
    return Buffer.concat([h, payload]);
  }

  private send(b: Buffer): void {
    if (!this.closed) this.transport.write(b);
  }

  private open(id: number, headers: Map<string, string>, remoteDone: boolean): void {
    const idBuf = Buffer.alloc(4);
    idBuf.writeUInt32BE(id, 0);
    this.send(this.control(TYPE_SYN_REPLY, 0, Buffer.concat([idBuf, this.deflateEmptyHeaders()])));
    const session = this;
    const stream: SpdyStream & { ended: boolean } = {
      id,
      headers,
      ended: false,
      write(b: Buffer) {
        if (this.ended) return;
        for (let i = 0; i < b.length; i += MAX_CHUNK)
          session.send(session.dataFrame(id, 0, b.subarray(i, i + MAX_CHUNK)));
      },
      end() {
        if (this.ended) return;
        this.ended = true;
        session.send(session.dataFrame(id, FLAG_FIN, Buffer.alloc(0)));
      },
      reset() {
        this.ended = true;
        session.streams.delete(id);
        const p = Buffer.alloc(8);
        p.writeUInt32BE(id, 0);
        p.writeUInt32BE(RST_CANCEL, 4);
        session.send(session.control(TYPE_RST_STREAM, 0, p));
      },
    };
    this.streams.set(id, stream);
    this.onStream(stream);
    if (remoteDone) stream.onEnd?.();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.onReset?.();
    this.streams.clear();
    this.transport.close();
  }
}
