/** Plain JSON values as the API server reads and writes them. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function cloneJson<T extends JsonValue>(v: T): T {
  return structuredClone(v);
}

/** `o[k]` as an object, created when absent. */
export function child(o: JsonObject, k: string): JsonObject {
  const v = o[k];
  if (isJsonObject(v)) return v;
  const fresh: JsonObject = {};
  o[k] = fresh;
  return fresh;
}

export function objectAt(o: JsonValue | undefined, ...keys: string[]): JsonObject | undefined {
  let cur: JsonValue | undefined = o;
  for (const k of keys) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[k];
  }
  return isJsonObject(cur) ? cur : undefined;
}

export function stringAt(o: JsonValue | undefined, ...keys: string[]): string | undefined {
  const last = keys.at(-1);
  const parent = objectAt(o, ...keys.slice(0, -1));
  const v = last === undefined ? undefined : parent?.[last];
  return typeof v === 'string' ? v : undefined;
}

export function arrayAt(o: JsonValue | undefined, ...keys: string[]): JsonValue[] {
  const last = keys.at(-1);
  const parent = objectAt(o, ...keys.slice(0, -1));
  const v = last === undefined ? undefined : parent?.[last];
  return Array.isArray(v) ? v : [];
}

/** Deep equality of JSON values (key order ignored). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isJsonObject(a) && isJsonObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}
