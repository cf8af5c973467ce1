/**
 * A fast reader for the YAML that `kubectl get -o yaml` (go-yaml v2 via sigs.k8s.io/yaml) and `helm template`
 * print: block mappings and sequences, plain / single- / double-quoted scalars (one or several lines), block
 * scalars `|` and `>` with chomping, empty flow collections `{}` `[]`, comments and `---` separators. It
 * builds the same plain JavaScript values as the `yaml` library's `parseAllDocuments(..., {version: '1.1'})`
 * + `toJS()`, and throws `Unsupported` on anything else (anchors, aliases, tags, flow collections with
 * content, complex keys, duplicate keys, directives, tabs, ...): the caller then loads the source with the
 * library, so every error and its finding stay exactly as the library reports them.
 *
 * Positions are not kept while reading values: most objects produce no finding. `parseDocPositions` and
 * `parseItemPositions` re-read one document or one `items[i]` of a List and record where each key and
 * item starts, with the offsets the library's nodes carry (`node.range[0]`).
 */
import { compactArray } from './compact-array.js';
import { ownString } from './own-string.js';
import {
  blockScalarValue,
  doubleQuotedValue,
  hasUnsupported,
  resolvePlain,
  singleQuotedValue,
  unfoldLines,
  unsupported,
} from './yaml-scalars.js';

/** Where a node starts, and where its keys / items start: what `locate()` walks. */
export interface PosNode {
  readonly start: number;
  readonly keys?: Map<string, { readonly keyStart: number; readonly value: PosNode | null }>;
  readonly items?: readonly PosNode[];
}

export interface FastDoc {
  /** The document's value as `toJS()` gives it; null for an empty document. */
  readonly value: unknown;
  /** Offset of the first line of the root node (-1 for an empty document). */
  readonly rootLine: number;
  /** The root node's `range[0]`. */
  readonly rootStart: number;
  /** For a root mapping whose `items` is a block sequence: where `items` and each item's `-` are. */
  readonly itemsKeyStart: number;
  readonly itemDashes: readonly number[] | null;
  readonly itemsColumn: number;
}

const SPACE = 32;
const NL = 10;
const HASH = 35;

/** Indicators that cannot start a plain scalar in block context (YAML 1.2 §7.3.3 ns-plain-first). */
const isIndicator = (c: number): boolean =>
  c === 44 || // ,
  c === 91 || // [
  c === 93 || // ]
  c === 123 || // {
  c === 125 || // }
  c === HASH ||
  c === 38 || // &
  c === 42 || // *
  c === 33 || // !
  c === 124 || // |
  c === 62 || // >
  c === 39 || // '
  c === 34 || // "
  c === 37 || // %
  c === 64 || // @
  c === 96; // `

/** Recently read scalars, by a hash of their text: kubectl output repeats keys and many values. */
const CACHE_SIZE = 4096;
const CACHE_MASK = CACHE_SIZE - 1;
/** Only scalars up to this length are remembered. */
const CACHE_MAX = 64;

/** The reader behind parseYamlFast, ItemReader and the position re-reads. */
export class Reader {
  private len: number;
  /** After each node: the start of the next content line (or `len`). */
  pos = 0;
  /** In position mode: the position node of the node just read. */
  lastPos: PosNode | null = null;
  /** True until the root node starts: only the root mapping records where its `items` are. */
  private atRoot = false;
  /** The root mapping's `items` block sequence: where the key and each `-` are, and their column. */
  rootItemsKey = -1;
  rootDashes: number[] | null = null;
  rootItemsColumn = -1;

  /** The key scanKey found: its JS key, `String(key.value)` (what `locate()` compares), and the offset after `:`. */
  private keyJs = '';
  private keyLoc = '';
  private keyAfter = 0;

  private readonly keySrc: (string | undefined)[] = new Array(CACHE_SIZE);
  private readonly keyJsCache: string[] = new Array(CACHE_SIZE);
  private readonly keyLocCache: string[] = new Array(CACHE_SIZE);
  private readonly valSrc: (string | undefined)[] = new Array(CACHE_SIZE);
  private readonly valCache: unknown[] = new Array(CACHE_SIZE);

  constructor(
    public text: string,
    readonly track: boolean,
  ) {
    this.len = text.length;
  }

  /** Reads another text with the same scalar caches (a streamed List's items, one after another). */
  reset(text: string): void {
    this.text = text;
    this.len = text.length;
    this.pos = 0;
    this.atRoot = false;
  }

  /**
   * The text from `k` to `end` as a string of its own (own-string.ts): values outlive the text they are read
   * from, a streamed List item's or document's, and a slice would keep all of that text alive with them.
   */
  private own(k: number, end: number): string {
    return ownString(this.text.slice(k, end));
  }

  private hash(k: number, end: number): number {
    const t = this.text;
    const n = end - k;
    return (
      (n * 31 + t.charCodeAt(k) * 7 + t.charCodeAt(end - 1) * 131 + t.charCodeAt(k + (n >> 1)) * 17) &
      CACHE_MASK
    );
  }

  /** A plain scalar's value, remembered when short. */
  private plainValue(k: number, end: number): unknown {
    if (end - k > CACHE_MAX) return resolvePlain(this.own(k, end), false);
    const h = this.hash(k, end);
    const hit = this.valSrc[h];
    if (hit !== undefined && hit.length === end - k && this.text.startsWith(hit, k) && this.valPlain[h])
      return this.valCache[h];
    const src = this.own(k, end);
    const v = resolvePlain(src, false);
    this.valSrc[h] = src;
    this.valCache[h] = v;
    this.valPlain[h] = true;
    return v;
  }

  /** Whether a remembered value was read plain (resolved) or quoted (the text itself). */
  private readonly valPlain: boolean[] = new Array(CACHE_SIZE).fill(false);

  /** A quoted scalar without escapes or line breaks: its inside, remembered when short. */
  private insideValue(k: number, end: number): string {
    if (end - k > CACHE_MAX) return this.own(k, end);
    const h = this.hash(k, end);
    const hit = this.valSrc[h];
    // A plain `80` and a quoted "80" have the same text but not the same value.
    if (hit !== undefined && hit.length === end - k && this.text.startsWith(hit, k) && !this.valPlain[h])
      return hit;
    const src = this.own(k, end);
    this.valSrc[h] = src;
    this.valCache[h] = src;
    this.valPlain[h] = false;
    return src;
  }

  indentAt(ls: number): number {
    let i = ls;
    while (this.text.charCodeAt(i) === SPACE) i++;
    return i - ls;
  }

  /** From a line start, skips blank and comment lines; returns the next content line's start or `len`. */
  nextContent(from: number): number {
    const t = this.text;
    let p = from;
    while (p < this.len) {
      let i = p;
      while (t.charCodeAt(i) === SPACE) i++;
      const c = t.charCodeAt(i);
      if (i >= this.len) return this.len;
      if (c === NL) p = i + 1;
      else if (c === HASH) {
        const nl = t.indexOf('\n', i);
        p = nl === -1 ? this.len : nl + 1;
      } else return p;
    }
    return this.len;
  }

  /** `---` or `...` at column 0 followed by white space or the end: a document marker (YAML 1.2 §9.1). */
  isDocMarker(ls: number): boolean {
    const t = this.text;
    const c = t.charCodeAt(ls);
    if (c !== 45 && c !== 46) return false;
    if (t.charCodeAt(ls + 1) !== c || t.charCodeAt(ls + 2) !== c) return false;
    const n = t.charCodeAt(ls + 3);
    return ls + 3 >= this.len || n === SPACE || n === NL;
  }

  /** `-` followed by a space, a line break or the end: a block sequence entry. */
  private isDash(i: number): boolean {
    if (this.text.charCodeAt(i) !== 45) return false;
    const n = this.text.charCodeAt(i + 1);
    return i + 1 >= this.len || n === SPACE || n === NL;
  }

  /** After a value on its line: only spaces and a comment may follow. Returns the next content line. */
  private finishLine(i: number): number {
    const t = this.text;
    let j = i;
    while (t.charCodeAt(j) === SPACE) j++;
    if (j >= this.len) return this.len;
    const c = t.charCodeAt(j);
    if (c === NL) return this.nextContent(j + 1);
    if (c === HASH && j > i) {
      const nl = t.indexOf('\n', j);
      return nl === -1 ? this.len : this.nextContent(nl + 1);
    }
    return unsupported('content after a value');
  }

  private lineEnd(i: number): number {
    const nl = this.text.indexOf('\n', i);
    return nl === -1 ? this.len : nl;
  }

  /** A block node whose first line starts at `ls` with indentation `n` (more than its parent's). */
  parseBlockNode(ls: number, n: number, dashes: number[] | null = null): unknown {
    const at = ls + n;
    if (this.isDash(at)) return this.parseSeq(ls, n, dashes);
    if (this.scanKey(at)) return this.parseMap(at, n);
    return unsupported('a scalar on its own line');
  }

  /** A block sequence whose first entry's `-` is on line `ls` at column `col`. */
  parseSeq(ls: number, col: number, dashes: number[] | null = null): unknown[] {
    this.atRoot = false;
    const out: unknown[] = [];
    const items: PosNode[] | null = this.track ? [] : null;
    let line = ls;
    for (;;) {
      if (dashes) {
        dashes.push(line + col);
        this.rootItemsColumn = col;
      }
      out.push(this.parseSeqItem(line + col, col));
      if (items) items.push(this.lastPos as PosNode);
      line = this.pos;
      if (line >= this.len || this.isDocMarker(line)) break;
      const ind = this.indentAt(line);
      if (ind > col) return unsupported('bad indentation after a sequence item');
      if (ind < col || !this.isDash(line + col)) break;
    }
    this.lastPos = items ? { start: ls + col, items } : null;
    return compactArray(out);
  }

  /** One sequence entry; `dash` is the offset of its `-`. */
  parseSeqItem(dash: number, col: number): unknown {
    const t = this.text;
    let j = dash + 1;
    while (t.charCodeAt(j) === SPACE) j++;
    const c = t.charCodeAt(j);
    if (j >= this.len || c === NL || (c === HASH && j > dash + 1)) {
      const next = this.nextContent(j >= this.len ? this.len : this.lineEnd(j) + 1);
      if (next < this.len && !this.isDocMarker(next)) {
        const ind = this.indentAt(next);
        if (ind > col) return this.parseBlockNode(next, ind);
      }
      // An empty entry is null; the library's node starts where the spaces after `-` end.
      if (c === HASH) return unsupported('an empty entry with a comment');
      this.pos = next;
      if (this.track) this.lastPos = { start: j };
      return null;
    }
    if (this.isDash(j)) return unsupported('a compact nested sequence');
    if (this.scanKey(j)) return this.parseMap(j, j - (dash - col));
    return this.parseInline(j, col, j - (dash - col));
  }

  /** A block mapping whose first key starts at `first` (column `col`), already scanned as `key`. */
  parseMap(first: number, col: number): Record<string, unknown> {
    const root = this.atRoot;
    this.atRoot = false;
    const out: Record<string, unknown> = {};
    const keys: Map<string, { keyStart: number; value: PosNode | null }> | null = this.track
      ? new Map()
      : null;
    let k = first;
    for (;;) {
      const jsKey = this.keyJs;
      const locKey = this.keyLoc;
      // A List's items: remembered so that one item can be re-read for its positions.
      const dashes = root && jsKey === 'items' ? [] : null;
      const value = this.parseValue(this.keyAfter, col, dashes);
      if (dashes && dashes.length > 0) {
        this.rootItemsKey = k;
        this.rootDashes = dashes;
      }
      // Values are never undefined: only a defined one (or an inherited name) needs the own-check.
      if (out[jsKey] !== undefined && Object.hasOwn(out, jsKey)) return unsupported('duplicate key');
      if (jsKey === '__proto__') {
        // The library defines `__proto__` as an own property (addPairToJSMap) instead of setting the prototype.
        Object.defineProperty(out, jsKey, { value, writable: true, enumerable: true, configurable: true });
      } else out[jsKey] = value;
      // The library's locate finds the first pair whose String(key) matches.
      if (keys && !keys.has(locKey)) keys.set(locKey, { keyStart: k, value: this.lastPos });
      const line = this.pos;
      if (line >= this.len || this.isDocMarker(line)) break;
      const ind = this.indentAt(line);
      if (ind < col) break;
      if (ind > col) return unsupported('bad indentation in a mapping');
      k = line + col;
      if (!this.scanKey(k)) return unsupported('expected a key');
    }
    this.lastPos = keys ? { start: first, keys } : null;
    return out;
  }

  /** The value after `key:` (`i` is just after the colon); `col` is the key's column. */
  private parseValue(i: number, col: number, dashes: number[] | null): unknown {
    const t = this.text;
    let j = i;
    while (t.charCodeAt(j) === SPACE) j++;
    const c = t.charCodeAt(j);
    if (j >= this.len || c === NL || c === HASH) {
      const next = this.nextContent(j >= this.len ? this.len : this.lineEnd(j) + 1);
      if (next < this.len && !this.isDocMarker(next)) {
        const ind = this.indentAt(next);
        if (ind > col) return this.parseBlockNode(next, ind, dashes);
        // kubectl's style: a sequence under a key at the key's own indentation (YAML 1.2 §8.2.1).
        if (ind === col && this.isDash(next + col)) return this.parseSeq(next, col, dashes);
      }
      this.pos = next;
      this.lastPos = null;
      return null;
    }
    return this.parseInline(j, col, col);
  }

  /**
   * A scalar (or `{}` / `[]`) starting at `j` on a line; continuation lines must be indented more than
   * `parentCol`. `lineIndent` is the parser's indentation of this line (for block scalars).
   */
  private parseInline(j: number, parentCol: number, lineIndent: number): unknown {
    const t = this.text;
    const c = t.charCodeAt(j);
    let value: unknown;
    if (c === 34 || c === 39) {
      const end = this.scanQuoted(j, parentCol);
      if (this.quotedPlain) value = this.insideValue(j + 1, end - 1);
      else if (c === 34) value = ownString(doubleQuotedValue(t.slice(j, end)));
      else value = ownString(singleQuotedValue(t.slice(j, end)));
      this.pos = this.finishLine(end);
    } else if (c === 124 || c === 62) {
      value = this.parseBlockScalar(j, parentCol, lineIndent, c === 62);
    } else if (c === 123 || c === 91) {
      if (t.charCodeAt(j + 1) !== (c === 123 ? 125 : 93)) return unsupported('a flow collection');
      value = c === 123 ? {} : [];
      this.pos = this.finishLine(j + 2);
      if (this.track) this.lastPos = c === 123 ? { start: j, keys: new Map() } : { start: j, items: [] };
      return value;
    } else if (isIndicator(c)) {
      return unsupported('an indicator');
    } else if ((c === 45 || c === 63 || c === 58) && this.isSpaceOrEnd(j + 1)) {
      return unsupported('an indicator');
    } else {
      value = this.parsePlain(j, parentCol);
    }
    if (this.track) this.lastPos = { start: j };
    return value;
  }

  private isSpaceOrEnd(i: number): boolean {
    const n = this.text.charCodeAt(i);
    return i >= this.len || n === SPACE || n === NL;
  }

  /** True after scanQuoted when the scalar has one line and no escapes: its value is its inside. */
  private quotedPlain = false;

  /** Finds the end (just after the closing quote) of a quoted scalar starting at `j`. */
  private scanQuoted(j: number, parentCol: number): number {
    const t = this.text;
    const q = t.charCodeAt(j);
    let plain = true;
    for (let i = j + 1; ; i++) {
      if (i >= this.len) return unsupported('an unterminated quoted scalar');
      const c = t.charCodeAt(i);
      if (c === q) {
        if (q === 39 && t.charCodeAt(i + 1) === 39) {
          plain = false;
          i++;
          continue;
        }
        this.quotedPlain = plain;
        return i + 1;
      }
      if (c === 92 && q === 34) {
        plain = false;
        if (t.charCodeAt(i + 1) !== NL) i++;
      } else if (c === NL) {
        plain = false;
        let k = i + 1;
        while (t.charCodeAt(k) === SPACE) k++;
        if (k >= this.len) return unsupported('an unterminated quoted scalar');
        // Continuation lines are indented more than the parent (the lexer's continueScalar).
        if (t.charCodeAt(k) !== NL && k - (i + 1) <= parentCol)
          return unsupported('a quoted line not indented');
        i = k - 1;
      }
    }
  }

  /** A plain scalar, perhaps over several lines (folded as YAML 1.2 §7.3.3 says). */
  private parsePlain(j: number, parentCol: number): unknown {
    const t = this.text;
    let end = j; // just after the last non-space character
    let i = j;
    let multi = false;
    for (;;) {
      // One line of the scalar, from i.
      let stop = false;
      for (; i < this.len; i++) {
        const c = t.charCodeAt(i);
        if (c === NL) break;
        if (c === 58) {
          const n = t.charCodeAt(i + 1);
          if (i + 1 >= this.len || n === SPACE || n === NL) return unsupported('a mapping inside a scalar');
          end = i + 1;
        } else if (c === SPACE) {
          if (t.charCodeAt(i + 1) === HASH) {
            stop = true;
            break;
          }
        } else end = i + 1;
      }
      if (stop || i >= this.len) break;
      // Continuation: blank lines, or lines indented more than the parent that are not comments.
      let k = i + 1;
      for (;;) {
        let s = k;
        while (t.charCodeAt(s) === SPACE) s++;
        if (s >= this.len) {
          k = -1;
          break;
        }
        if (t.charCodeAt(s) === NL) {
          k = s + 1;
          continue;
        }
        if (s - k <= parentCol || t.charCodeAt(s) === HASH) k = -1;
        else k = s;
        break;
      }
      if (k === -1) break;
      multi = true;
      i = k;
    }
    const nl = t.indexOf('\n', end);
    this.pos = nl === -1 ? this.len : this.nextContent(nl + 1);
    return multi ? resolvePlain(ownString(unfoldLines(t.slice(j, end))), false) : this.plainValue(j, end);
  }

  /** A block scalar whose header starts at `j` (YAML 1.2 §8.1), copied from the library's lexer. */
  private parseBlockScalar(j: number, parentCol: number, lineIndent: number, folded: boolean): string {
    const t = this.text;
    let k = j + 1;
    let chomp: '' | '-' | '+' = '';
    const ch = t.charCodeAt(k);
    if (ch === 45 || ch === 43) {
      chomp = ch === 45 ? '-' : '+';
      k++;
    }
    if (!this.isSpaceOrEnd(k)) return unsupported('a block scalar header with an indentation indicator');
    let h = k;
    while (t.charCodeAt(h) === SPACE) h++;
    const after = t.charCodeAt(h);
    // Only a comment may follow the header on its line (YAML 1.2 §8.1.1).
    if (h < this.len && after !== NL && (after !== HASH || h === k))
      return unsupported('content after a block scalar header');
    const headerEnd = this.lineEnd(h);
    if (headerEnd >= this.len) return unsupported('an empty block scalar');
    const start = headerEnd + 1;
    // The lexer's parseBlockScalar: the first non-blank line's indentation sets the content's.
    let nl = start - 1;
    let indent = 0;
    let i = start;
    for (; i < this.len; i++) {
      const c = t.charCodeAt(i);
      if (c === SPACE) indent++;
      else if (c === NL) {
        nl = i;
        indent = 0;
      } else break;
    }
    if (i >= this.len || indent <= parentCol) return unsupported('an empty block scalar');
    const indentNext = indent;
    for (;;) {
      // continueScalar(nl + 1): a blank line or one indented at least as much as the content.
      const ls = nl + 1;
      let s = ls;
      while (t.charCodeAt(s) === SPACE) s++;
      const c = t.charCodeAt(s);
      if (!(c === NL || s - ls >= indentNext)) break;
      if (s >= this.len && s - ls < indentNext) break;
      nl = t.indexOf('\n', s);
      if (nl === -1) {
        nl = this.len;
        break;
      }
    }
    if (chomp !== '+') {
      // Trailing blank lines not more indented than the content are not part of the token.
      for (;;) {
        let p = nl - 1;
        const lastChar = p;
        while (t.charCodeAt(p) === SPACE) p--;
        if (t.charCodeAt(p) === NL && p >= start && p + 1 + indent > lastChar) nl = p;
        else break;
      }
    }
    const value = blockScalarValue(t.slice(start, nl + 1), folded, chomp, lineIndent);
    this.pos = nl + 1 >= this.len ? this.len : this.nextContent(nl + 1);
    return value;
  }

  /** Whether a block mapping entry's key starts at `k`; if so keyJs, keyLoc and keyAfter say which. */
  scanKey(k: number): boolean {
    const t = this.text;
    const c = t.charCodeAt(k);
    if (c === 34 || c === 39) {
      let i = k + 1;
      let plain = true;
      for (; ; i++) {
        if (i >= this.len) return false;
        const d = t.charCodeAt(i);
        if (d === NL) return false;
        if (d === c) {
          if (c === 39 && t.charCodeAt(i + 1) === 39) {
            plain = false;
            i++;
            continue;
          }
          break;
        }
        if (d === 92 && c === 34) {
          // An escaped line break would carry the key onto the next line: an implicit key has one line.
          if (t.charCodeAt(i + 1) === NL) return false;
          plain = false;
          i++;
        }
      }
      if (t.charCodeAt(i + 1) !== 58 || !this.isSpaceOrEnd(i + 2)) return false;
      const src = t.slice(k, i + 1);
      const key = plain ? src.slice(1, -1) : c === 34 ? doubleQuotedValue(src) : singleQuotedValue(src);
      if (key === '<<') return unsupported('merge key');
      if (i + 1 - k > 1000) return unsupported('a long key');
      this.keyJs = key;
      this.keyLoc = key;
      this.keyAfter = i + 2;
      return true;
    }
    if (isIndicator(c)) return false;
    if ((c === 45 || c === 63 || c === 58) && this.isSpaceOrEnd(k + 1)) return false;
    let end = k;
    let i = k;
    for (; i < this.len; i++) {
      const d = t.charCodeAt(i);
      if (d === NL) return false;
      if (d === 58) {
        if (this.isSpaceOrEnd(i + 1)) break;
        end = i + 1;
      } else if (d === SPACE) {
        if (t.charCodeAt(i + 1) === HASH) return false;
      } else end = i + 1;
    }
    if (i >= this.len) return false;
    if (end - k > 1000) return unsupported('a long key');
    this.keyAfter = i + 1;
    const h = this.hash(k, end);
    const hit = this.keySrc[h];
    if (hit !== undefined && hit.length === end - k && t.startsWith(hit, k)) {
      this.keyJs = this.keyJsCache[h] as string;
      this.keyLoc = this.keyLocCache[h] as string;
      return true;
    }
    const src = t.slice(k, end);
    const v = resolvePlain(src, true);
    // toJS turns a key into a string (addPairToJSMap stringifyKey): null becomes "".
    this.keyJs = v === null ? '' : String(v);
    this.keyLoc = String(v);
    this.keySrc[h] = src;
    this.keyJsCache[h] = this.keyJs;
    this.keyLocCache[h] = this.keyLoc;
    return true;
  }

  prepareRoot(): void {
    this.atRoot = true;
    this.rootItemsKey = -1;
    this.rootDashes = null;
    this.rootItemsColumn = -1;
  }
}

/**
 * Reads every document of a YAML stream, or throws `Unsupported`. A `reader` from `documentsReader()` reads
 * one piece of a stream after another with the same scalar caches (yaml-documents-stream.ts).
 */
export function parseYamlFast(text: string, reader?: Reader, ascii = false): FastDoc[] {
  if (hasUnsupported(text, ascii)) unsupported('a character the fast reader does not copy');
  const r = reader ?? new Reader(text, false);
  if (reader) reader.reset(text);
  const docs: FastDoc[] = [];
  const len = text.length;
  let pendingExplicit = false;
  let p = 0;
  const empty: FastDoc = {
    value: null,
    rootLine: -1,
    rootStart: -1,
    itemsKeyStart: -1,
    itemDashes: null,
    itemsColumn: -1,
  };
  for (;;) {
    const q = r.nextContent(p);
    if (q >= len) {
      if (pendingExplicit) docs.push(empty);
      break;
    }
    const c = text.charCodeAt(q);
    if (c === 37) unsupported('a directive');
    if (r.isDocMarker(q)) {
      if (c === 46) unsupported('a document end marker');
      if (pendingExplicit) docs.push(empty);
      let i = q + 3;
      while (text.charCodeAt(i) === SPACE) i++;
      if (i < len && text.charCodeAt(i) !== NL && !(text.charCodeAt(i) === HASH && i > q + 3))
        unsupported('content after ---');
      const nl = text.indexOf('\n', i);
      p = nl === -1 ? len : nl + 1;
      pendingExplicit = true;
      continue;
    }
    const n = r.indentAt(q);
    r.prepareRoot();
    const value = r.parseBlockNode(q, n);
    const after = r.pos;
    if (after < len && !r.isDocMarker(after)) unsupported('content after the root node');
    const dashes = r.rootDashes;
    docs.push({
      value,
      rootLine: q,
      rootStart: q + n,
      itemsKeyStart: dashes ? r.rootItemsKey : -1,
      itemDashes: dashes,
      itemsColumn: dashes ? r.rootItemsColumn : -1,
    });
    pendingExplicit = false;
    p = after;
  }
  return docs;
}

/** Re-reads one document recording where each key and item starts. */
export function parseDocPositions(text: string, doc: FastDoc): PosNode | null {
  if (doc.rootLine < 0) return null;
  const r = new Reader(text, true);
  r.parseBlockNode(doc.rootLine, r.indentAt(doc.rootLine));
  return r.lastPos;
}

/** Re-reads `items[i]` of a List document recording where each key and item starts. */
export function parseItemPositions(text: string, doc: FastDoc, i: number): PosNode | null {
  const dash = doc.itemDashes?.[i];
  return dash === undefined ? null : seqItemPositions(text, dash, doc.itemsColumn);
}

/** Re-reads the sequence item whose `-` is at `dash` (column `col`), recording where each key and item starts. */
export function seqItemPositions(text: string, dash: number, col: number): PosNode | null {
  const r = new Reader(text, true);
  r.parseSeqItem(dash, col);
  return r.lastPos;
}

/**
 * Reads the items of a List one at a time (yaml-list-stream.ts): each text runs from the line of an item's
 * `-` (at column `col`) to just before the next line as little indented, as parseSeq would read it inside
 * the whole document. Throws `Unsupported` where parseYamlFast would.
 */
export class ItemReader {
  private readonly r = new Reader('', false);

  read(text: string, col: number, ascii = false): unknown {
    if (hasUnsupported(text, ascii)) unsupported('a character the fast reader does not copy');
    this.r.reset(text);
    const value = this.r.parseSeqItem(col, col);
    if (this.r.pos < text.length) unsupported('content after a sequence item');
    return value;
  }
}

/** A reader to pass to parseYamlFast for many pieces of one stream. */
export const documentsReader = (): Reader => new Reader('', false);
