/**
 * Source positions for the fast readers, found only when asked for. `locate()` gives the same line and
 * column as load.ts's `locateIn` over the `yaml` library's nodes: the library's `LineCounter` counts every
 * `\n`, so a line is the number of line starts at or before an offset, and a column is 1-based.
 */
import type { FastJson } from './fast-json.js';
import { walkJson } from './fast-json.js';
import type { FastDoc, PosNode } from './fast-yaml.js';
import { parseDocPositions, parseItemPositions } from './fast-yaml.js';
import type { SourceLocation } from './finding.js';

export type Keys = readonly (string | number)[];
export type Locator = (keys: Keys) => SourceLocation;

/** How many re-read documents or items to keep: a rule asks for several fields of one object in a row. */
const CACHE_SIZE = 256;

/** A line longer than this is remembered once searched (LazyPositions.longFrom). */
const LONG_LINE = 1 << 12;

/** Every STRIDE-th line start is kept; a position counts the few lines after the nearest one. */
const STRIDE = 64;

export class LazyPositions {
  /** checkpoints[k]: the offset where line k * STRIDE + 1 starts. */
  private readonly checkpoints: number[] = [0];
  /** The last line start found, and its line number. */
  private line = 1;
  /** Line starts are known up to here. */
  private scanned = 0;
  /**
   * The last long line `location` searched: the first newline at or after `longFrom` (-1: none). Compact
   * JSON is one line of hundreds of megabytes, searched once instead of once per position asked for.
   */
  private longFrom = -1;
  private longNewline = -1;
  private readonly cache = new Map<string, PosNode | null>();

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  /**
   * LineCounter.linePos: the line whose start is the last one at or before `offset`. Line starts are found
   * only as far as asked (findings are few, often early in a big file), and only every STRIDE-th is kept:
   * an array of all of them cost more than the counting (4.4 million at 160 MB).
   */
  location(offset: number): SourceLocation {
    const t = this.text;
    const checkpoints = this.checkpoints;
    while (this.scanned <= offset && this.scanned < t.length) {
      const nl = t.indexOf('\n', this.scanned);
      if (nl === -1) {
        this.scanned = t.length;
        break;
      }
      this.scanned = nl + 1;
      this.line++;
      if ((this.line - 1) % STRIDE === 0) checkpoints.push(nl + 1);
    }
    let low = 0;
    let high = checkpoints.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((checkpoints[mid] as number) <= offset) low = mid + 1;
      else high = mid;
    }
    const k = Math.max(0, low - 1);
    let line = k * STRIDE + 1;
    let start = checkpoints[k] as number;
    for (;;) {
      const nl = start === this.longFrom ? this.longNewline : this.newlineFrom(start);
      if (nl === -1 || nl + 1 > offset) break;
      line++;
      start = nl + 1;
    }
    return { file: this.file, line, column: offset - start + 1 };
  }

  /** The first newline at or after `start`, remembered when the line is long. */
  private newlineFrom(start: number): number {
    const nl = this.text.indexOf('\n', start);
    if ((nl === -1 ? this.text.length : nl) - start > LONG_LINE) {
      this.longFrom = start;
      this.longNewline = nl;
    }
    return nl;
  }

  private cached(key: string, read: () => PosNode | null): PosNode | null {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const node = read();
    if (this.cache.size >= CACHE_SIZE) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, node);
    return node;
  }

  /** A locator for one document read by fast-yaml. */
  yaml(doc: FastDoc, docIndex: number): Locator {
    return (keys) => {
      if (keys.length === 0) return this.location(doc.rootStart);
      const dashes = doc.itemDashes;
      if (dashes && keys[0] === 'items') {
        const i = keys[1];
        if (typeof i !== 'number' || dashes[i] === undefined) return this.location(doc.itemsKeyStart);
        const item = this.cached(`${docIndex}/${i}`, () => parseItemPositions(this.text, doc, i));
        return this.location(item ? walk(item, keys, 2, item.start) : doc.itemsKeyStart);
      }
      const root = this.cached(`${docIndex}`, () => parseDocPositions(this.text, doc));
      return this.location(root ? walk(root, keys, 0, root.start) : doc.rootStart);
    };
  }

  /** A locator for a JSON source read by fast-json. */
  json(doc: FastJson): Locator {
    return this.jsonPart(doc, this.text, 0);
  }

  /** json() for a document read from `part`, the text's part from offset `base` on (a JSON stream's object). */
  jsonPart(doc: FastJson, part: string, base: number): Locator {
    return (keys) => {
      const items = keys[0] === 'items' ? doc.items() : null;
      if (items) {
        const i = keys[1];
        if (typeof i !== 'number' || items.starts[i] === undefined)
          return this.location(base + items.keyStart);
        return this.location(base + walkJson(part, items.starts[i] as number, keys.slice(2)));
      }
      return this.location(base + walkJson(part, doc.rootStart, keys));
    };
  }
}

/** locateIn's walk over recorded positions, from `keys[from]` on. */
export function walk(node: PosNode, keys: Keys, from: number, start: number): number {
  let offset = start;
  let n: PosNode | null = node;
  for (let k = from; k < keys.length && n; k++) {
    const key = keys[k] as string | number;
    if (n.keys) {
      const entry = n.keys.get(String(key));
      if (!entry) break;
      offset = entry.keyStart;
      n = entry.value;
    } else if (n.items && typeof key === 'number') {
      const item: PosNode | undefined = n.items[key];
      if (!item) break;
      offset = item.start;
      n = item;
    } else break;
  }
  return offset;
}
