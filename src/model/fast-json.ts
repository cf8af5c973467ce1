/**
 * The fast path for JSON (`kubectl get -o json`): values from `JSON.parse`, which for JSON text equal what
 * the `yaml` library's YAML 1.1 reading gives (JSON is YAML flow style: quoted strings stay strings, and
 * JSON numbers, true, false and null resolve the same). One cheap scan beforehand finds what JSON.parse
 * hides and the library reports or reads differently: duplicate keys (counted), long keys, integers
 * beyond double precision, characters the library rejects; any of them sends the source to the library.
 * Where an `items[i]` of a List starts is found only when a position in it is asked for, reading from the
 * nearer end of the array; `locate()` then walks that one item.
 */
import { hasUnsupportedChars, unsupported } from './yaml-scalars.js';

export interface FastJson {
  readonly value: unknown;
  /** Offset of the root value (the library's `doc.contents.range[0]`). */
  readonly rootStart: number;
  /** For a root object whose `items` is an array: where the key and each element start (found when asked). */
  items(): { readonly keyStart: number; readonly starts: readonly number[] } | null;
}

const isWs = (c: number): boolean => c === 32 || c === 10;

/** Offset of the closing quote of the string whose opening quote is at `i`. */
function stringEnd(t: string, i: number): number {
  let j = i;
  for (;;) {
    j = t.indexOf('"', j + 1);
    if (j === -1) return unsupported('an unterminated string');
    let b = j - 1;
    while (t.charCodeAt(b) === 92) b--;
    if ((j - 1 - b) % 2 === 0) return j;
  }
}

/** True when the text starts (after white space) like a JSON object or array. */
export function looksLikeJson(text: string): boolean {
  let i = 0;
  while (isWs(text.charCodeAt(i))) i++;
  const c = text.charCodeAt(i);
  return c === 123 || c === 91;
}

/**
 * Counts the keys of a JSON text quickly: a key is a string followed by `:`, and elsewhere a `":` occurs
 * only escaped inside a string (`\":`) or as the opening quote of a string starting with `:`, so the count
 * is never too low. Returns -1 when a key is separated from its colon by white space. One pass over the
 * colons (about one a line) does both: a search for `"` or for the pattern would stop at every quote.
 */
function countKeysInText(t: string): number {
  let n = 0;
  for (let i = t.indexOf(':'); i !== -1; i = t.indexOf(':', i + 1)) {
    let b = i - 1;
    let c = t.charCodeAt(b);
    if (c === 34) {
      while (t.charCodeAt(--b) === 92);
      if ((i - 2 - b) % 2 === 0) n++;
      continue;
    }
    if (!isWs(c)) continue;
    while (isWs(c)) c = t.charCodeAt(--b);
    if (c === 34) return -1;
  }
  return n;
}

/** The library limits an implicit key to 1024 characters of source; escapes make source up to 6x longer. */
const MAX_KEY = 170;

/** Keys of the parsed value, or -1 when a key or number is one the fast path does not copy. */
function countKeys(v: unknown): number {
  if (typeof v !== 'object' || v === null) {
    // An integer beyond double precision: the library's parseInt and JSON.parse might round differently.
    if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) return -1;
    return 0;
  }
  let n = 0;
  if (Array.isArray(v)) {
    for (const x of v) {
      const c = countKeys(x);
      if (c < 0) return -1;
      n += c;
    }
    return n;
  }
  for (const k in v) {
    if (k.length > MAX_KEY) return -1;
    const c = countKeys((v as Record<string, unknown>)[k]);
    if (c < 0) return -1;
    n += 1 + c;
  }
  return n;
}

/** One pass over the text: its keys, and where the root object's `items` elements start. */
function scan(t: string): { keys: number; keyStart: number; starts: number[] } {
  const len = t.length;
  let depth = 0;
  let keys = 0;
  let keyStart = -1;
  let pendingItems = false;
  let inItems = false;
  let expectItem = false;
  const starts: number[] = [];
  for (let i = 0; i < len; i++) {
    const c = t.charCodeAt(i);
    if (isWs(c)) continue;
    if (expectItem) {
      expectItem = false;
      if (c !== 93) starts.push(i);
    }
    if (c === 34) {
      const end = stringEnd(t, i);
      let k = end + 1;
      while (isWs(t.charCodeAt(k))) k++;
      if (t.charCodeAt(k) === 58) {
        keys++;
        if (depth === 1 && end - i === 6 && t.startsWith('items', i + 1)) {
          pendingItems = true;
          keyStart = i;
          i = k;
          continue;
        }
      }
      pendingItems = false;
      i = end;
      continue;
    }
    if (c === 123 || c === 91) {
      depth++;
      if (pendingItems && c === 91 && depth === 2) {
        inItems = true;
        expectItem = true;
      }
      pendingItems = false;
      continue;
    }
    pendingItems = false;
    if (c === 125 || c === 93) {
      depth--;
      if (depth === 1) inItems = false;
    } else if (c === 44 && inItems && depth === 2) expectItem = true;
  }
  return { keys, keyStart, starts };
}

/**
 * True when `value` (JSON.parse of `text`) holds every key written in `text` and none the fast path does
 * not copy. JSON.parse keeps the last of duplicate keys silently; the library reports them. The quick count
 * can only count too many (a string starting with `:` looks like a key's end), so a mismatch is re-counted.
 */
export function keysAgree(text: string, value: unknown): boolean {
  const keys = countKeys(value);
  return keys >= 0 && (keys === countKeysInText(text) || keys === scan(text).keys);
}

/** Reads a JSON source, or throws `Unsupported`. */
export function parseJsonFast(text: string): FastJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Before the character check, which reads the whole text: objects one after another fail here at once.
    return unsupported('not JSON');
  }
  if (hasUnsupportedChars(text)) unsupported('a character the fast reader does not copy');
  if (!keysAgree(text, value)) unsupported('duplicate or unusual keys');
  let rootStart = 0;
  while (isWs(text.charCodeAt(rootStart))) rootStart++;
  let items: { keyStart: number; starts: readonly number[] } | null | undefined;
  return {
    value,
    rootStart,
    items() {
      if (items === undefined) items = itemStarts(text, value, rootStart);
      return items;
    },
  };
}

/**
 * Where a List's `items[i]` start, found only for the items asked about: a finding's position is looked up
 * after the checks, and reading the whole text again for the few that have one cost as much as JSON.parse.
 * An item is reached from the nearer end of the array (the item count is known from the parsed value), so
 * the text is read at most to the middle. `starts` reads like an array (`starts[i]`, `length`), as before.
 */
function itemStarts(
  t: string,
  value: unknown,
  rootStart: number,
): { keyStart: number; starts: readonly number[] } | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const list = (value as Record<string, unknown>).items;
  if (!Array.isArray(list) || list.length === 0) return null;
  const at = itemsKey(t, rootStart);
  if (!at) return null;
  const locator = new ItemLocator(t, at.open, list.length, itemsClose(t, value as Record<string, unknown>));
  const starts = new Proxy([] as number[], {
    get(target, prop, receiver) {
      if (prop === 'length') return list.length;
      if (typeof prop === 'string' && /^(?:0|[1-9][0-9]*)$/.test(prop)) return locator.start(Number(prop));
      return Reflect.get(target, prop, receiver);
    },
  });
  return { keyStart: at.keyStart, starts };
}

/** The root object's `items` key and the `[` of its array, walking the root's keys in order. */
function itemsKey(t: string, rootStart: number): { keyStart: number; open: number } | null {
  if (t.charCodeAt(rootStart) !== 123) return null;
  const m = memberOf(t, rootStart, 'items');
  return m && t.charCodeAt(m.valueStart) === 91 ? { keyStart: m.keyStart, open: m.valueStart } : null;
}

/** The value of the JSON string whose quotes are at `open` and `close` (escapes decoded). */
function stringValue(t: string, open: number, close: number): string {
  const raw = t.slice(open + 1, close);
  return raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
}

/**
 * In the object whose `{` is at `open`, the first member whose key equals `want`: where its key (the opening
 * quote) and its value start. Null when no key equals it.
 */
export function memberOf(
  t: string,
  open: number,
  want: string,
): { keyStart: number; valueStart: number } | null {
  let j = skipWs(t, open + 1);
  while (t.charCodeAt(j) === 34) {
    const keyStart = j;
    const end = stringEnd(t, j);
    j = skipWs(t, skipWs(t, end + 1) + 1);
    if (stringValue(t, keyStart, end) === want) return { keyStart, valueStart: j };
    j = skipWs(t, skipValue(t, j));
    if (t.charCodeAt(j) === 44) j = skipWs(t, j + 1);
  }
  return null;
}

/**
 * The `]` closing `items`, read backwards from the end of the text over the root's keys that follow it (from
 * the parsed value: JSON.parse keeps the source order of keys that are not array indexes). Null when that
 * order is not certain or the text does not read as expected; then items are only reached from the front.
 */
function itemsClose(t: string, root: Record<string, unknown>): number | null {
  const keys = Object.keys(root);
  if (keys.some((k) => /^(?:0|[1-9][0-9]*)$/.test(k))) return null;
  const after = keys.slice(keys.indexOf('items') + 1);
  let j = skipWsBack(t, t.length - 1);
  if (t.charCodeAt(j) !== 125) return null;
  j = skipWsBack(t, j - 1);
  for (let k = after.length - 1; k >= 0; k--) {
    j = skipWsBack(t, valueStartBack(t, j) - 1);
    if (t.charCodeAt(j) !== 58) return null;
    j = skipWsBack(t, j - 1);
    if (t.charCodeAt(j) !== 34) return null;
    const open = stringStartBack(t, j);
    if (stringValue(t, open, j) !== after[k]) return null;
    j = skipWsBack(t, open - 1);
    if (t.charCodeAt(j) !== 44) return null;
    j = skipWsBack(t, j - 1);
  }
  return t.charCodeAt(j) === 93 ? j : null;
}

/** Finds item starts on demand, forwards from the `[` or backwards from the `]`. */
class ItemLocator {
  /** starts[i] once known. */
  private readonly known: number[];
  /** Items 0..front-1 are known, and so are items back..count-1. */
  private front = 0;
  private back: number;
  /** Where the backward scan stands (just before item `back`), and its nesting depth there. */
  private backPos: number;

  constructor(
    private readonly t: string,
    private readonly open: number,
    private readonly count: number,
    close: number | null,
  ) {
    this.known = new Array<number>(count);
    this.back = count;
    this.backPos = close === null ? -1 : close - 1;
  }

  start(i: number): number | undefined {
    if (i >= this.count) return undefined;
    if (i < this.front || i >= this.back) return this.known[i];
    const canGoBack = this.backPos >= 0;
    if (!canGoBack || i - this.front <= this.back - 1 - i) this.forwardTo(i);
    else this.backwardTo(i);
    return this.known[i];
  }

  private forwardTo(i: number): void {
    const t = this.t;
    while (this.front <= i) {
      let j: number;
      if (this.front === 0) j = skipWs(t, this.open + 1);
      else {
        j = skipWs(t, skipValue(t, this.known[this.front - 1] as number));
        if (t.charCodeAt(j) === 44) j = skipWs(t, j + 1);
      }
      this.known[this.front++] = j;
    }
  }

  /** Reads backwards, counting item separators at the array's own depth, until item `i` starts. */
  private backwardTo(i: number): void {
    const t = this.t;
    let j = this.backPos;
    let depth = 0;
    while (this.back > i) {
      const c = t.charCodeAt(j);
      if (c === 34) j = stringStartBack(t, j);
      else if (c === 125 || c === 93) depth++;
      else if (c === 123 || c === 91) {
        if (depth === 0) {
          // The array's own `[`: the first item starts after it.
          this.known[--this.back] = skipWs(t, j + 1);
          break;
        }
        depth--;
      } else if (c === 44 && depth === 0) this.known[--this.back] = skipWs(t, j + 1);
      j--;
    }
    this.backPos = j;
  }
}

/** The offset of the opening quote of the string whose closing quote is at `j`. */
function stringStartBack(t: string, j: number): number {
  let i = j;
  for (;;) {
    i = t.lastIndexOf('"', i - 1);
    if (i === -1) return unsupported('an unterminated string');
    let b = i - 1;
    while (t.charCodeAt(b) === 92) b--;
    if ((i - 1 - b) % 2 === 0) return i;
  }
}

/** The offset where the JSON value ending at `j` (its last character) starts. */
function valueStartBack(t: string, j: number): number {
  const c = t.charCodeAt(j);
  if (c === 34) return stringStartBack(t, j);
  if (c === 125 || c === 93) {
    let depth = 0;
    for (let i = j; i >= 0; i--) {
      const d = t.charCodeAt(i);
      if (d === 34) i = stringStartBack(t, i);
      else if (d === 125 || d === 93) depth++;
      else if (d === 123 || d === 91) {
        depth--;
        if (depth === 0) return i;
      }
    }
    return 0;
  }
  let i = j;
  for (; i > 0; i--) {
    const d = t.charCodeAt(i - 1);
    if (d === 44 || d === 58 || d === 123 || d === 91 || isWs(d)) break;
  }
  return i;
}

function skipWsBack(t: string, i: number): number {
  let j = i;
  while (j >= 0 && isWs(t.charCodeAt(j))) j--;
  return j;
}

/** The offset just after the JSON value starting at `i`. */
function skipValue(t: string, i: number): number {
  const c = t.charCodeAt(i);
  if (c === 34) return stringEnd(t, i) + 1;
  if (c === 123 || c === 91) {
    let depth = 0;
    for (let j = i; j < t.length; j++) {
      const d = t.charCodeAt(j);
      if (d === 34) j = stringEnd(t, j);
      else if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return t.length;
  }
  let j = i;
  for (; j < t.length; j++) {
    const d = t.charCodeAt(j);
    if (d === 44 || d === 125 || d === 93 || isWs(d)) break;
  }
  return j;
}

function skipWs(t: string, i: number): number {
  let j = i;
  while (isWs(t.charCodeAt(j))) j++;
  return j;
}

/**
 * Walks `keys` from the value at `start` as load.ts's locateIn walks the library's nodes: into a map by
 * the first key whose string equals the segment (offset = the key's opening quote), into a sequence by a
 * numeric index (offset = the element's start), and stops at the first segment that is not there.
 * Returns the offset of the deepest segment found, or `start`.
 */
export function walkJson(t: string, start: number, keys: readonly (string | number)[]): number {
  let offset = start;
  let i = start;
  for (const key of keys) {
    const c = t.charCodeAt(i);
    let found = false;
    if (c === 123) {
      const m = memberOf(t, i, String(key));
      if (m) {
        offset = m.keyStart;
        i = m.valueStart;
        found = true;
      }
    } else if (c === 91 && typeof key === 'number') {
      let j = skipWs(t, i + 1);
      for (let idx = 0; t.charCodeAt(j) !== 93 && j < t.length; idx++) {
        if (idx === key) {
          offset = j;
          i = j;
          found = true;
          break;
        }
        j = skipWs(t, skipValue(t, j));
        if (t.charCodeAt(j) === 44) j = skipWs(t, j + 1);
      }
    }
    if (!found) break;
  }
  return offset;
}
