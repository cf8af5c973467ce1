import type { FieldPath } from './field-path.js';
import type { ArraySchema, MapSchema, ObjectSchema, Schema } from './schema.js';

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

interface Ctx {
  readonly errors: DecodeError[];
  /** Go's struct-field path for messages: `ServicePort.spec.ports.port`. */
  readonly goStruct: string;
  readonly goPath: string;
}

function fail(ctx: Ctx, path: FieldPath, value: unknown, schema: Schema, detailValue = false): undefined {
  const what = detailValue ? `number ${String(value)}` : jsonKind(value);
  const where = ctx.goStruct ? `Go struct field ${ctx.goStruct}.${ctx.goPath}` : 'Go value';
  ctx.errors.push({
    field: path,
    message: `json: cannot unmarshal ${what} into ${where} of type ${goTypeName(schema)}`,
  });
  return undefined;
}

function decodeValue(value: unknown, schema: Schema, path: FieldPath, ctx: Ctx): unknown {
  // JSON null leaves a Go field at its zero value: never an error.
  if (value === null || value === undefined) return undefined;
  if (typeof schema === 'string') {
    switch (schema) {
      case 'any':
        return value;
      case 'string':
        return typeof value === 'string' ? value : fail(ctx, path, value, schema);
      case 'bool':
        return typeof value === 'boolean' ? value : fail(ctx, path, value, schema);
      case 'int32':
      case 'int64': {
        if (typeof value !== 'number') return fail(ctx, path, value, schema);
        const inRange =
          schema === 'int64' ? Number.isSafeInteger(value) : value >= INT32_MIN && value <= INT32_MAX;
        if (!Number.isInteger(value) || !inRange) return fail(ctx, path, value, schema, true);
        return value;
      }
      case 'intOrString': {
        if (typeof value === 'string') return value;
        if (typeof value === 'number') {
          if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
            return fail(ctx, path, value, 'int32', true);
          }
          return value;
        }
        return fail(ctx, path, value, schema);
      }
    }
  }
  if ('go' in schema) return decodeObject(value, schema, path, ctx);
  if ('items' in schema) return decodeArray(value, schema, path, ctx);
  return decodeMap(value, schema, path, ctx);
}

function decodeObject(value: unknown, schema: ObjectSchema, path: FieldPath, ctx: Ctx): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail(ctx, path, value, schema);
  const out: Record<string, unknown> = {};
  for (const [key, fieldSchema] of Object.entries(schema.fields)) {
    if (!Object.hasOwn(value, key)) continue;
    const inner: Ctx = {
      errors: ctx.errors,
      goStruct: schema.go,
      goPath: ctx.goStruct === '' ? key : `${ctx.goPath}.${key}`,
    };
    const decoded = decodeValue((value as Record<string, unknown>)[key], fieldSchema, path.child(key), inner);
    if (decoded !== undefined) out[key] = decoded;
  }
  return out;
}

function decodeArray(value: unknown, schema: ArraySchema, path: FieldPath, ctx: Ctx): unknown {
  if (!Array.isArray(value)) return fail(ctx, path, value, schema);
  const out: unknown[] = [];
  value.forEach((item, i) => {
    const decoded = decodeValue(item, schema.items, path.index(i), ctx);
    if (decoded !== undefined) out.push(decoded);
    // Keep indexes of structs aligned with the source so field paths stay true: a dropped one becomes empty.
    else if (typeof schema.items !== 'string') out.push({});
  });
  return out;
}

function decodeMap(value: unknown, schema: MapSchema, path: FieldPath, ctx: Ctx): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail(ctx, path, value, schema);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const decoded = decodeValue(v, schema.values, path.key(k), ctx);
    if (decoded !== undefined) out[k] = decoded;
  }
  return out;
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
  const object = decodeObject(value, schema, root, { errors, goStruct: '', goPath: '' }) as Record<
    string,
    unknown
  >;
  return { object, errors };
}
