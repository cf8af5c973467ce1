/**
 * `JSON.stringify(value, null, 2)`, written as pieces that join to exactly that text. A big cluster's
 * EndpointSlices or ungrouped topology is more text than one V8 string may hold (about 512 MB: `graph
 * --group none --format json` of bench/'s 2x cluster failed with "Invalid string length"), and a string
 * that large would be copied once more by the write. The arrays of a root array or object are stringified
 * `batch` elements at a time, each batch at the depth its elements have in the whole text; everything else
 * goes to JSON.stringify as it is.
 *
 * One difference stays: an element's own `toJSON(key)` would be given its index within its batch. The
 * values written here (plain data) have none.
 */

const hasToJson = (v: object): boolean => typeof (v as { toJSON?: unknown }).toJSON === 'function';

/** A root JSON.stringify writes as an object of members: a plain object without toJSON. */
function isRecord(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || hasToJson(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const isBatched = (v: unknown, batch: number): v is readonly unknown[] =>
  Array.isArray(v) && v.length > batch && !hasToJson(v);

/**
 * The elements of `a`, `batch` at a time, as they stand between the brackets of the root array or of an
 * array member of the root object (`inMember`), separated as JSON.stringify separates them.
 */
function* elements(a: readonly unknown[], batch: number, inMember: boolean): Generator<string> {
  for (let i = 0; i < a.length; i += batch) {
    const part = a.slice(i, i + batch);
    // `[\n  ...\n]`, or `{\n  "x": [\n    ...\n  ]\n}`: the elements, indented as in the whole text.
    const text = inMember
      ? JSON.stringify({ x: part }, null, 2).slice(11, -6)
      : JSON.stringify(part, null, 2).slice(2, -2);
    yield i === 0 ? text : `,\n${text}`;
  }
}

export function* jsonPieces(value: unknown, batch = 1000): Generator<string> {
  if (isBatched(value, batch)) {
    yield '[\n';
    yield* elements(value, batch, false);
    yield '\n]';
    return;
  }
  if (!isRecord(value)) {
    yield JSON.stringify(value, null, 2);
    return;
  }
  let first = true;
  for (const key of Object.keys(value)) {
    const v = value[key];
    const open = first ? '{\n' : ',\n';
    if (isBatched(v, batch)) {
      yield `${open}  ${JSON.stringify(key)}: [\n`;
      yield* elements(v, batch, true);
      yield '\n  ]';
    } else {
      // `{\n  "key": ...\n}`, or `{}` for a member JSON.stringify leaves out (undefined, a function).
      const text = JSON.stringify({ [key]: v }, null, 2);
      if (text === '{}') continue;
      yield `${open}${text.slice(2, -2)}`;
    }
    first = false;
  }
  yield first ? '{}' : '\n}';
}
