/**
 * The two generic patch formats the API server accepts besides the strategic one: JSON merge patch (RFC 7386,
 * application/merge-patch+json) and JSON patch (RFC 6902, application/json-patch+json), as
 * k8s.io/apiserver/pkg/endpoints/handlers/patch.go applies them (evanphx/json-patch).
 */

import { cloneJson, isJsonObject, type JsonObject, type JsonValue, jsonEqual } from './json.js';
import { ApiError, badRequest } from './status.js';

/** RFC 7386: objects merge recursively, null deletes, everything else (arrays too) replaces. */
export function jsonMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const out: JsonObject = isJsonObject(target) ? cloneJson(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = jsonMergePatch(out[k], v);
  }
  return out;
}

/** RFC 6901 pointer segments. */
function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/'))
    throw badRequest(
      `the server rejected our request due to an error in our request: invalid JSON pointer ${JSON.stringify(path)}`,
    );
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = JsonObject | JsonValue[];

function parentOf(doc: JsonValue, segs: readonly string[]): { parent: Container; key: string } {
  let cur: JsonValue = doc;
  for (const s of segs.slice(0, -1)) {
    const next: JsonValue | undefined = Array.isArray(cur)
      ? cur[Number(s)]
      : isJsonObject(cur)
        ? cur[s]
        : undefined;
    if (next === undefined || next === null || typeof next !== 'object')
      throw badRequest(
        `the server rejected our request due to an error in our request: doc is missing path: /${segs.join('/')}`,
      );
    cur = next;
  }
  if (cur === null || typeof cur !== 'object')
    throw badRequest(
      `the server rejected our request due to an error in our request: doc is missing path: /${segs.join('/')}`,
    );
  return { parent: cur, key: segs.at(-1) ?? '' };
}

function getAt(doc: JsonValue, segs: readonly string[]): JsonValue {
  if (segs.length === 0) return doc;
  const { parent, key } = parentOf(doc, segs);
  const v = Array.isArray(parent) ? parent[Number(key)] : parent[key];
  if (v === undefined)
    throw badRequest(
      `the server rejected our request due to an error in our request: doc is missing path: /${segs.join('/')}`,
    );
  return v;
}

function removeAt(doc: JsonValue, segs: readonly string[]): JsonValue {
  const { parent, key } = parentOf(doc, segs);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length)
      throw badRequest(
        `the server rejected our request due to an error in our request: Unable to remove nonexistent key: ${key}: missing value`,
      );
    return parent.splice(i, 1)[0] as JsonValue;
  }
  if (!(key in parent))
    throw badRequest(
      `the server rejected our request due to an error in our request: Unable to remove nonexistent key: ${key}: missing value`,
    );
  const v = parent[key] as JsonValue;
  delete parent[key];
  return v;
}

function addAt(doc: JsonValue, segs: readonly string[], value: JsonValue, replace: boolean): JsonValue {
  if (segs.length === 0) return value;
  const { parent, key } = parentOf(doc, segs);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length - (replace ? 1 : 0))
      throw badRequest(
        `the server rejected our request due to an error in our request: index out of range: ${key}`,
      );
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else {
    if (replace && !(key in parent))
      throw badRequest(
        `the server rejected our request due to an error in our request: replace operation does not apply: doc is missing key: /${segs.join('/')}: missing value`,
      );
    parent[key] = value;
  }
  return doc;
}

/** RFC 6902 operations, applied in order to a copy. */
export function jsonPatch(target: JsonValue, ops: JsonValue): JsonValue {
  if (!Array.isArray(ops))
    throw badRequest(
      'the server rejected our request due to an error in our request: a JSON patch is a list of operations',
    );
  let doc = cloneJson(target);
  for (const raw of ops) {
    if (!isJsonObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string')
      throw badRequest(
        'the server rejected our request due to an error in our request: invalid JSON patch operation',
      );
    const segs = pointer(raw.path);
    const value = raw.value === undefined ? null : cloneJson(raw.value);
    switch (raw.op) {
      case 'add':
        doc = addAt(doc, segs, value, false);
        break;
      case 'replace':
        doc = addAt(doc, segs, value, true);
        break;
      case 'remove':
        removeAt(doc, segs);
        break;
      case 'move': {
        const from = pointer(String(raw.from ?? ''));
        const v = removeAt(doc, from);
        doc = addAt(doc, segs, v, false);
        break;
      }
      case 'copy': {
        const from = pointer(String(raw.from ?? ''));
        doc = addAt(doc, segs, cloneJson(getAt(doc, from)), false);
        break;
      }
      case 'test':
        if (!jsonEqual(getAt(doc, segs), value))
          throw new ApiError(
            422,
            'Invalid',
            `the server rejected our request due to an error in our request: testing value ${raw.path} failed: test failed`,
          );
        break;
      default:
        throw badRequest(
          `the server rejected our request due to an error in our request: Unexpected kind: ${raw.op}`,
        );
    }
  }
  return doc;
}
