/**
 * Strategic merge patch (application/strategic-merge-patch+json), as
 * k8s.io/apimachinery/pkg/util/strategicpatch/patch.go applies it: maps merge, `null` deletes, lists with a
 * merge strategy merge item by item on their merge key (scalars: a union), other lists are replaced, and the
 * directives kubectl's apply generates are honoured: `$patch: replace|delete|merge`, `$retainKeys`,
 * `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`.
 *
 * Simplification: `$setElementOrder` puts the items it names first, in its order, then the others (the Go
 * code's normalizeSliceOrder comparator is looser).
 */

import { cloneJson, isJsonObject, type JsonObject, type JsonValue, jsonEqual } from './json.js';
import { type PatchMeta, patchMetaOf } from './patch-meta.js';
import { badRequest } from './status.js';

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

/** A patch value as stored when there is nothing to merge with: directives and nulls removed. */
function strip(v: JsonValue, meta: PatchMeta | undefined): JsonValue {
  if (Array.isArray(v)) {
    const items = v.filter((x) => !(isJsonObject(x) && x[PATCH] === 'delete'));
    return items.map((x) => strip(x, meta?.items));
  }
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$') || x === null) continue;
    out[k] = strip(x, meta?.fields?.[k]);
  }
  return out;
}

/** Server-side apply matches list items by their list-map keys (protocol defaulting to TCP). */
let applyMode = false;

const keyOf = (item: JsonValue, mergeKey: string, meta?: PatchMeta): JsonValue | undefined => {
  if (!isJsonObject(item)) return undefined;
  const keys = applyMode ? meta?.merge?.applyKeys : undefined;
  if (!keys) return item[mergeKey];
  return keys.map((k) => item[k] ?? (k === 'protocol' ? 'TCP' : null));
};

function indexIn(
  list: readonly JsonValue[],
  item: JsonValue,
  mergeKey: string | undefined,
  meta?: PatchMeta,
): number {
  if (!mergeKey) return list.findIndex((x) => jsonEqual(x, item));
  const k = keyOf(item, mergeKey, meta);
  return list.findIndex((x) => jsonEqual(keyOf(x, mergeKey, meta), k));
}

/** Items in `order` first, in that order; the others after, in their current order. */
function sortByOrder(
  list: JsonValue[],
  order: readonly JsonValue[],
  mergeKey: string | undefined,
  meta?: PatchMeta,
): JsonValue[] {
  const ranked = list.map((x, i) => ({ x, i, r: indexIn(order, x, mergeKey, meta) }));
  ranked.sort((a, b) => {
    if (a.r >= 0 && b.r >= 0) return a.r - b.r;
    if (a.r >= 0) return -1;
    if (b.r >= 0) return 1;
    return a.i - b.i;
  });
  return ranked.map((e) => e.x);
}

function mergeList(original: JsonValue[], patch: JsonValue[], meta: PatchMeta | undefined): JsonValue[] {
  if (!meta?.merge) return strip(patch, meta) as JsonValue[];
  const mergeKey = meta.merge.mergeKey;
  const scalars = [...original, ...patch].every((x) => !isJsonObject(x));
  if (scalars) {
    const out: JsonValue[] = [];
    for (const x of [...original, ...patch]) if (!out.some((y) => jsonEqual(x, y))) out.push(x);
    return normalizeElementOrder(out, patch, original, undefined, meta);
  }
  if (!mergeKey) return strip(patch, meta) as JsonValue[];
  // `$patch: replace` anywhere in the list replaces it with the other items.
  if (patch.some((p) => isJsonObject(p) && p[PATCH] === 'replace'))
    return strip(
      patch.filter((p) => !(isJsonObject(p) && p[PATCH] === 'replace')),
      meta,
    ) as JsonValue[];
  let out = [...original];
  const patched: JsonValue[] = [];
  for (const p of patch) {
    if (!isJsonObject(p)) continue;
    if (p[PATCH] === 'delete') {
      out = out.filter((x) => !jsonEqual(keyOf(x, mergeKey, meta), keyOf(p, mergeKey, meta)));
      continue;
    }
    const i = indexIn(out, p, mergeKey, meta);
    if (i >= 0) {
      const merged = mergeMap(out[i] as JsonObject, p, meta.items);
      out[i] = merged;
      patched.push(merged);
    } else {
      const added = strip(p, meta.items);
      out.push(added);
      patched.push(added);
    }
  }
  return normalizeElementOrder(out, patched, original, mergeKey, meta);
}

/**
 * normalizeElementOrder + mergeSortedSlice (strategicpatch/patch.go): items the patch names keep the patch's
 * order, server-only items keep theirs, and the two are interleaved by their positions in the live list.
 */
function normalizeElementOrder(
  merged: JsonValue[],
  patch: readonly JsonValue[],
  original: readonly JsonValue[],
  mergeKey: string | undefined,
  meta: PatchMeta | undefined,
): JsonValue[] {
  const inPatch = (x: JsonValue) => indexIn(patch, x, mergeKey, meta) >= 0;
  const right = sortByOrder(
    merged.filter((x) => inPatch(x)),
    patch,
    mergeKey,
    meta,
  );
  const left = sortByOrder(
    merged.filter((x) => !inPatch(x)),
    original,
    mergeKey,
    meta,
  );
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    const l = left[i];
    const r = right[j];
    if (l === undefined) {
      out.push(r as JsonValue);
      j++;
    } else if (r === undefined) {
      out.push(l);
      i++;
    } else {
      const li = indexIn(original, l, mergeKey, meta);
      const ri = indexIn(original, r, mergeKey, meta);
      if (li >= 0 && ri >= 0 && li < ri) {
        out.push(l);
        i++;
      } else {
        out.push(r);
        j++;
      }
    }
  }
  return out;
}

function mergeValue(
  original: JsonValue | undefined,
  patch: JsonValue,
  meta: PatchMeta | undefined,
): JsonValue {
  if (original === undefined) {
    if (isJsonObject(patch)) return mergeMap({}, patch, meta);
    return strip(patch, meta);
  }
  if (isJsonObject(original) && isJsonObject(patch)) return mergeMap(original, patch, meta);
  if (Array.isArray(original) && Array.isArray(patch)) return mergeList(original, patch, meta);
  return strip(patch, meta);
}

function mergeMap(original: JsonObject, patch: JsonObject, meta: PatchMeta | undefined): JsonObject {
  const directive = patch[PATCH];
  if (directive === 'replace') return strip(patch, meta) as JsonObject;
  if (directive === 'delete') return {};
  if (directive !== undefined && directive !== 'merge')
    throw badRequest(`unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(patch)}`);
  const out: JsonObject = cloneJson(original);
  const retain = patch[RETAIN_KEYS];
  if (Array.isArray(retain)) {
    const keep = new Set(retain.map(String));
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  const orders = new Map<string, JsonValue[]>();
  for (const [k, v] of Object.entries(patch)) {
    if (k === PATCH || k === RETAIN_KEYS) continue;
    if (k.startsWith(SET_ORDER)) {
      if (Array.isArray(v)) orders.set(k.slice(SET_ORDER.length), v);
      continue;
    }
    if (k.startsWith(DELETE_PRIMITIVE)) {
      const field = k.slice(DELETE_PRIMITIVE.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v))
        out[field] = cur.filter((x) => !v.some((d) => jsonEqual(x, d)));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    out[k] = mergeValue(out[k], v, meta?.fields?.[k]);
  }
  for (const [field, order] of orders) {
    const cur = out[field];
    if (!Array.isArray(cur)) continue;
    const mergeKey = meta?.fields?.[field]?.merge?.mergeKey;
    // The order names the items the patch author knows: as kubectl sends it, every item of its config.
    out[field] = sortByOrder(cur, order, mergeKey, meta?.fields?.[field]);
  }
  return out;
}

/**
 * Applies a strategic merge patch to an object of `kind`. `apply` matches list items by their server-side
 * apply list-map keys instead of the strategic merge key (see PatchMeta.merge.applyKeys).
 */
export function strategicMergePatch(
  original: JsonObject,
  patch: JsonValue,
  kind: string,
  apply = false,
): JsonObject {
  if (!isJsonObject(patch)) throw badRequest('the body of a strategic merge patch must be a JSON object');
  const was = applyMode;
  applyMode = apply;
  try {
    return mergeMap(original, patch, patchMetaOf(kind));
  } finally {
    applyMode = was;
  }
}

function pick(o: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k] as JsonValue;
  return out;
}

/**
 * The patch that makes `live` what an applier now declares, given what it declared before: the new
 * declaration, plus `null` for map keys it declared before and dropped, plus `$patch: delete` for keyed list
 * items it dropped. Server-side apply here is this patch (see apply.ts).
 */
export function declarationPatch(
  before: JsonValue | undefined,
  now: JsonValue,
  meta: PatchMeta | undefined,
): JsonValue {
  if (isJsonObject(now)) {
    const out: JsonObject = {};
    const was = isJsonObject(before) ? before : {};
    for (const [k, v] of Object.entries(now)) out[k] = declarationPatch(was[k], v, meta?.fields?.[k]);
    for (const k of Object.keys(was)) if (!(k in now)) out[k] = null;
    return out;
  }
  if (Array.isArray(now)) {
    const mergeKey = meta?.merge?.mergeKey;
    if (!mergeKey || !Array.isArray(before)) return now;
    const was = applyMode;
    applyMode = true;
    try {
      const same = (a: JsonValue, b: JsonValue) =>
        jsonEqual(keyOf(a, mergeKey, meta), keyOf(b, mergeKey, meta));
      const items = now.map((x) => {
        const prev = before.find((b) => same(b, x));
        return prev === undefined ? x : declarationPatch(prev, x, meta.items);
      });
      for (const b of before)
        if (isJsonObject(b) && !now.some((x) => same(x, b)))
          items.push({ ...pick(b, meta.merge?.applyKeys ?? [mergeKey]), [PATCH]: 'delete' });
      return items;
    } finally {
      applyMode = was;
    }
  }
  return now;
}
