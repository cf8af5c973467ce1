/**
 * Decoding parsed manifests into the API's Go types, as encoding/json would (schema.ts): values of the
 * wrong type are reported and left out, unknown fields dropped. Copy on write: a struct, list or map
 * that decodes as it is comes back as the source's own object, and a copy is made only from the first
 * part that differs. In a cluster dump most parts are unchanged: copying them all, then walking copy and
 * source to share the equal parts again, cost about a tenth of loading a JSON dump (BENCHMARKS.md, stop 20).
 */
import { compactArray } from './compact-array.js';
import type { FieldPath } from './field-path.js';
import type { ArraySchema, MapSchema, ObjectSchema, Scalar, Schema } from './schema.js';

/** A value the API server could not decode into its Go type, worded as encoding/json words it. */
export interface DecodeError {
  readonly field: FieldPath;
  readonly message: string;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function jsonKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

function goTypeName(s: Schema): string {
  if (typeof s === 'string') {
    return s === 'intOrString' ? 'intstr.IntOrString' : s === 'any' ? 'interface {}' : s;
  }
  if ('go' in s) return `v1.${s.go}`;
  if ('items' in s) return `[]${goTypeName(s.items)}`;
  return `map[string]${goTypeName(s.values)}`;
}

/**
 * Where the decoder is: the field path and Go's struct-field path, kept as a chain of steps and turned into
 * strings only when a value fails (most never do, and building every path was most of the decoding time).
 */
class Trail {
  constructor(
    readonly up: Trail | null,
    /** This step: a struct field (also a step of Go's path), a list index, or a map key. */
    readonly field: string | null,
    readonly index: number,
    readonly key: string | null,
    /** The Go struct whose field this is: `ServicePort` in `ServicePort.spec.ports.port`. */
    readonly goStruct: string,
  ) {}

  path(root: FieldPath): FieldPath {
    const steps: Trail[] = [];
    for (let t: Trail | null = this; t; t = t.up) steps.push(t);
    let p = root;
    for (let i = steps.length - 1; i >= 0; i--) {
      const t = steps[i] as Trail;
      if (t.field !== null) p = p.child(t.field);
      else if (t.key !== null) p = p.key(t.key);
      else if (t.index >= 0) p = p.index(t.index);
    }
    return p;
  }

  /** Go's path of struct fields (`spec.ports.port`): list indexes and map keys are not part of it. */
  goPath(): string {
    const names: string[] = [];
    for (let t: Trail | null = this; t; t = t.up) if (t.field !== null) names.push(t.field);
    return names.reverse().join('.');
  }
}

interface Ctx {
  readonly errors: DecodeError[];
  readonly root: FieldPath;
}

function fail(ctx: Ctx, at: Trail, value: unknown, schema: Schema, detailValue = false): undefined {
  const what = detailValue ? `number ${String(value)}` : jsonKind(value);
  const where = at.goStruct ? `Go struct field ${at.goStruct}.${at.goPath()}` : 'Go value';
  ctx.errors.push({
    field: at.path(ctx.root),
    message: `json: cannot unmarshal ${what} into ${where} of type ${goTypeName(schema)}`,
  });
  return undefined;
}

/** Why a scalar failed: the value's JSON kind, or (for a number out of range) the number itself. */
const WRONG_KIND = Symbol('wrong kind');
const BAD_NUMBER = Symbol('bad number');
const BAD_INT32 = Symbol('bad int32');
type ScalarResult = unknown | typeof WRONG_KIND | typeof BAD_NUMBER | typeof BAD_INT32;

/** Decodes a non-null value into a scalar Go type, or says why it cannot. */
function decodeScalar(value: unknown, schema: Scalar): ScalarResult {
  switch (schema) {
    case 'any':
      return value;
    case 'string':
      return typeof value === 'string' ? value : WRONG_KIND;
    case 'bool':
      return typeof value === 'boolean' ? value : WRONG_KIND;
    case 'int32':
    case 'int64': {
      if (typeof value !== 'number') return WRONG_KIND;
      const inRange =
        schema === 'int64' ? Number.isSafeInteger(value) : value >= INT32_MIN && value <= INT32_MAX;
      if (!Number.isInteger(value) || !inRange) return BAD_NUMBER;
      return value;
    }
    case 'intOrString': {
      if (typeof value === 'string') return value;
      if (typeof value === 'number') {
        if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) return BAD_INT32;
        return value;
      }
      return WRONG_KIND;
    }
  }
}

/**
 * Decodes `value` found at `up` + (field | index | key). The step's Trail is only built when it is needed:
 * for a struct, list or map to descend into, or for an error.
 */
function decodeValue(
  value: unknown,
  schema: Schema,
  up: Trail,
  field: string | null,
  index: number,
  key: string | null,
  goStruct: string,
  ctx: Ctx,
): unknown {
  // JSON null leaves a Go field at its zero value: never an error.
  if (value === null || value === undefined) return undefined;
  if (typeof schema === 'string') {
    const r = decodeScalar(value, schema);
    if (r === WRONG_KIND) return fail(ctx, new Trail(up, field, index, key, goStruct), value, schema);
    if (r === BAD_NUMBER) return fail(ctx, new Trail(up, field, index, key, goStruct), value, schema, true);
    if (r === BAD_INT32) return fail(ctx, new Trail(up, field, index, key, goStruct), value, 'int32', true);
    return r;
  }
  const at = new Trail(up, field, index, key, goStruct);
  if ('go' in schema) return decodeObject(value, schema, at, ctx);
  if ('items' in schema) return decodeArray(value, schema, at, ctx);
  return decodeMap(value, schema, at, ctx);
}

/**
 * A struct's fields in the source's order, as encoding/json reads them: errors come in that order, and a
 * copy keeps the source's key order (what prints an object prints it the same).
 */
function decodeObject(value: unknown, schema: ObjectSchema, at: Trail, ctx: Ctx): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail(ctx, at, value, schema);
  const src = value as Record<string, unknown>;
  const fields = schema.fields;
  // Copied only from the first key that decodes differently (or is dropped): most structs decode to
  // themselves, and then the source is the result.
  let out: Record<string, unknown> | null = null;
  for (const key in src) {
    if (!Object.hasOwn(src, key)) continue;
    const v = src[key];
    const decoded =
      v === undefined || !Object.hasOwn(fields, key)
        ? undefined
        : decodeValue(v, fields[key] as Schema, at, key, -1, null, schema.go, ctx);
    if (out === null) {
      if (decoded === v && v !== undefined) continue;
      out = copyKeysBefore(src, key);
    }
    if (decoded !== undefined) out[key] = decoded;
  }
  return out ?? src;
}

/** A new object with `src`'s own keys (and values) that come before `stop`. */
function copyKeysBefore(src: Record<string, unknown>, stop: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in src) {
    if (k === stop) break;
    if (Object.hasOwn(src, k)) out[k] = src[k];
  }
  return out;
}

function decodeArray(value: unknown, schema: ArraySchema, at: Trail, ctx: Ctx): unknown {
  if (!Array.isArray(value)) return fail(ctx, at, value, schema);
  let out: unknown[] | null = null;
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    let decoded = decodeValue(item, schema.items, at, null, i, null, at.goStruct, ctx);
    // Keep indexes of structs aligned with the source so field paths stay true: a dropped one becomes empty.
    if (decoded === undefined && typeof schema.items !== 'string') decoded = {};
    if (out === null) {
      if (decoded === item && item !== undefined) continue;
      out = value.slice(0, i);
    }
    if (decoded !== undefined) out.push(decoded);
  }
  return out === null ? value : compactArray(out);
}

function decodeMap(value: unknown, schema: MapSchema, at: Trail, ctx: Ctx): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail(ctx, at, value, schema);
  const src = value as Record<string, unknown>;
  let out: Record<string, unknown> | null = null;
  // for-in over own keys, in Object.entries' order, without an array per entry (labels on every object).
  for (const k in src) {
    if (!Object.hasOwn(src, k)) continue;
    const v = src[k];
    const decoded = decodeValue(v, schema.values, at, null, -1, k, at.goStruct, ctx);
    if (out === null) {
      if (decoded === v && v !== undefined) continue;
      out = copyKeysBefore(src, k);
    }
    if (decoded !== undefined) out[k] = decoded;
  }
  return out ?? src;
}

/**
 * Decodes one object against its kind's schema. Bad fields are reported and left out (as if unset), so the
 * rest of the object can still be analysed.
 */
export function decodeObjectAs(
  value: Record<string, unknown>,
  schema: ObjectSchema,
  root: FieldPath,
): { object: Record<string, unknown>; errors: DecodeError[] } {
  const errors: DecodeError[] = [];
  const top = new Trail(null, null, -1, null, '');
  const object = decodeObject(value, schema, top, { errors, root }) as Record<string, unknown>;
  return { object, errors };
}
