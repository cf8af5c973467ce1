/**
 * The REST verbs over the store, as the generic registry (k8s.io/apiserver/pkg/registry/generic/registry)
 * serves them: list with selectors and limit/continue pagination, get, create, update with the
 * resourceVersion precondition, patch (strategic, merge, JSON, apply), delete, and watch. Every accepted write
 * (dryRun=All aside) is reconciled into the running `up` before the response is sent: apply, then curl.
 */
import { randomBytes } from 'node:crypto';
import { type AdmissionOptions, admit } from './admission.js';
import type { AppliedConfigurations } from './apply.js';
import { cloneJson, isJsonObject, type JsonObject, type JsonValue, stringAt } from './json.js';
import { jsonMergePatch, jsonPatch } from './patch.js';
import { groupResource, groupVersion, type ResourceType } from './resources.js';
import { selectorFilter } from './selectors.js';
import { strategicMergePatch } from './smp.js';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  methodNotAllowed,
  notFound,
  unsupportedMediaType,
} from './status.js';
import { metadataOf, type ObjectStore, type StoredEntry } from './store.js';

export interface RequestTarget {
  readonly type: ResourceType;
  /** The namespace of the path; undefined for cluster-scoped resources and all-namespace lists. */
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
}

export interface WriteContext {
  readonly store: ObjectStore;
  readonly admission: AdmissionOptions;
  readonly applied: AppliedConfigurations;
  /** Reconciles the running `up` with the store (serialised by the caller). */
  readonly sync: () => Promise<void>;
  /** Runs `task` a moment later (namespace termination is asynchronous, as the namespace controller's). */
  readonly defer: (task: () => Promise<void>) => void;
  /** Fills what the registry allocates on create before admission (a Service's clusterIP). */
  readonly allocate?: (t: ResourceType, o: JsonObject) => void;
}

const withTypeMeta = (t: ResourceType, o: JsonObject): JsonObject => {
  const { apiVersion: _a, kind: _k, ...rest } = o;
  return { apiVersion: groupVersion(t), kind: t.kind, ...rest };
};

export function entryObject(e: StoredEntry): JsonObject {
  return withTypeMeta(e.type, cloneJson(e.object));
}

interface ContinueToken {
  readonly rv: number;
  readonly start: string;
}

const sortKey = (e: StoredEntry) => `${e.namespace}\u0000${e.name}`;

/** A list as etcd returns it: sorted by key, `limit` items at a time with an opaque continue token. */
export function listObjects(
  store: ObjectStore,
  target: RequestTarget,
  query: URLSearchParams,
): { items: JsonObject[]; metadata: JsonObject } {
  const filter = selectorFilter(query.get('labelSelector'), query.get('fieldSelector'));
  let entries = store
    .list(target.type, target.type.namespaced ? target.namespace : undefined)
    .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  const cont = query.get('continue');
  let rv = store.resourceVersion;
  if (cont) {
    let token: ContinueToken;
    try {
      token = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as ContinueToken;
      if (typeof token.start !== 'string' || typeof token.rv !== 'number') throw new Error('bad token');
    } catch {
      throw badRequest('continue key is not valid: the continue token is malformed');
    }
    rv = token.rv;
    entries = entries.filter((e) => sortKey(e) > token.start);
  }
  let items = entries.map(entryObject);
  if (filter) items = items.filter(filter);
  const limit = Number(query.get('limit') ?? 0);
  const metadata: JsonObject = { resourceVersion: String(rv) };
  if (limit > 0 && items.length > limit) {
    const page = items.slice(0, limit);
    const last = page.at(-1) as JsonObject;
    const start = `${stringAt(last, 'metadata', 'namespace') ?? ''}\u0000${stringAt(last, 'metadata', 'name') ?? ''}`;
    metadata.continue = Buffer.from(JSON.stringify({ rv, start } satisfies ContinueToken)).toString(
      'base64url',
    );
    metadata.remainingItemCount = items.length - limit;
    items = page;
  }
  return { items, metadata };
}

export function getObject(store: ObjectStore, target: RequestTarget): JsonObject {
  const e = store.get(target.type, target.namespace ?? '', target.name ?? '');
  if (!e) throw notFound(target.type, target.name ?? '');
  return entryObject(e);
}

function checkIdentity(target: RequestTarget, o: JsonObject, creating: boolean): void {
  const t = target.type;
  if (typeof o.kind === 'string' && o.kind !== t.kind)
    throw badRequest(
      `the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${groupVersion(t)}) or the kind ${o.kind} is not ${t.kind}`,
    );
  if (typeof o.apiVersion === 'string' && o.apiVersion !== groupVersion(t))
    throw badRequest(
      `the API version in the data (${o.apiVersion}) does not match the expected API version (${groupVersion(t)})`,
    );
  const meta = metadataOf(o);
  if (t.namespaced) {
    const ns = typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : target.namespace;
    if (target.namespace && ns !== target.namespace)
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    meta.namespace = ns ?? 'default';
  } else delete meta.namespace;
  if (!creating && target.name !== undefined && meta.name !== target.name)
    throw badRequest(
      `the name of the object (${String(meta.name)}) does not match the name on the URL (${target.name})`,
    );
  if (
    creating &&
    (typeof meta.name !== 'string' || meta.name === '') &&
    typeof meta.generateName === 'string'
  )
    meta.name = `${meta.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
}

const isDryRun = (query: URLSearchParams) => query.getAll('dryRun').includes('All');

function requireNamespace(ctx: WriteContext, target: RequestTarget, o: JsonObject): void {
  if (!target.type.namespaced) return;
  const meta = metadataOf(o);
  const ns = String(meta.namespace ?? '');
  const nsType = ctx.store.written().find((e) => e.type.plural === 'namespaces' && e.type.group === '')?.type;
  if (!nsType) return;
  const entry = ctx.store.get(nsType, '', ns);
  if (!entry) throw notFound(nsType, ns);
  // pkg/admission/plugin/namespace/lifecycle.
  if (metadataOf(entry.object).deletionTimestamp)
    throw new ApiError(
      403,
      'Forbidden',
      `${groupResource(target.type)} "${String(meta.name ?? '')}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
      { name: String(meta.name ?? ''), kind: target.type.plural },
    );
}

function writable(t: ResourceType, verb: string): void {
  if (t.computed) throw methodNotAllowed(t, verb);
}

/** POST to a collection. */
export async function createObject(
  ctx: WriteContext,
  target: RequestTarget,
  body: JsonValue,
  query: URLSearchParams,
): Promise<JsonObject> {
  writable(target.type, 'create');
  if (!isJsonObject(body)) throw badRequest('the body of the request is not a Kubernetes object');
  const o = cloneJson(body);
  checkIdentity(target, o, true);
  const meta = metadataOf(o);
  const name = typeof meta.name === 'string' ? meta.name : '';
  requireNamespace(ctx, target, o);
  const ns = String(meta.namespace ?? '');
  if (name && ctx.store.get(target.type, ns, name)) throw alreadyExists(target.type, name);
  for (const k of [
    'uid',
    'resourceVersion',
    'creationTimestamp',
    'generation',
    'managedFields',
    'deletionTimestamp',
  ])
    delete meta[k];
  delete o.status;
  if (!isDryRun(query)) ctx.allocate?.(target.type, o);
  const admitted = admit(target.type, withTypeMeta(target.type, o), ctx.store, ctx.admission);
  if (isDryRun(query)) return withTypeMeta(target.type, admitted);
  const entry = ctx.store.create(target.type, admitted);
  await ctx.sync();
  return entryObject(ctx.store.get(target.type, ns, entry.name) ?? entry);
}

/** Stores `next` in place of `current` after admission (update, patch, apply). */
async function replaceWith(
  ctx: WriteContext,
  target: RequestTarget,
  current: StoredEntry,
  next: JsonObject,
  query: URLSearchParams,
): Promise<JsonObject> {
  checkIdentity(target, next, false);
  const meta = metadataOf(next);
  const was = metadataOf(current.object);
  if (
    meta.resourceVersion !== undefined &&
    meta.resourceVersion !== '' &&
    meta.resourceVersion !== was.resourceVersion
  )
    throw conflict(target.type, current.name);
  // Status belongs to the status subresource (written here from the plan): the main resource keeps it.
  if (current.object.status !== undefined) next.status = cloneJson(current.object.status);
  else delete next.status;
  const admitted = admit(target.type, withTypeMeta(target.type, next), ctx.store, ctx.admission);
  if (isDryRun(query)) return withTypeMeta(target.type, admitted);
  const stored = ctx.store.update(current, admitted);
  if (stored !== current) await ctx.sync();
  return entryObject(ctx.store.get(target.type, current.namespace, current.name) ?? stored);
}

/** PUT. */
export async function updateObject(
  ctx: WriteContext,
  target: RequestTarget,
  body: JsonValue,
  query: URLSearchParams,
): Promise<JsonObject> {
  writable(target.type, 'update');
  if (!isJsonObject(body)) throw badRequest('the body of the request is not a Kubernetes object');
  const current = ctx.store.get(target.type, target.namespace ?? '', target.name ?? '');
  if (!current) throw notFound(target.type, target.name ?? '');
  if (current.computed) throw methodNotAllowed(target.type, 'update');
  return replaceWith(ctx, target, current, cloneJson(body), query);
}

export type PatchKind = 'strategic' | 'merge' | 'json' | 'apply';

export function patchKind(contentType: string): PatchKind {
  const type = contentType.split(';')[0]?.trim() ?? '';
  switch (type) {
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/json-patch+json':
      return 'json';
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+json':
      return 'apply';
    default:
      throw unsupportedMediaType(type);
  }
}

/** PATCH (server-side apply creates the object when it does not exist). */
export async function patchObject(
  ctx: WriteContext,
  target: RequestTarget,
  kind: PatchKind,
  patch: JsonValue,
  query: URLSearchParams,
): Promise<{ object: JsonObject; created: boolean }> {
  writable(target.type, 'patch');
  const current = ctx.store.get(target.type, target.namespace ?? '', target.name ?? '');
  const manager = query.get('fieldManager') ?? 'unknown';
  if (kind === 'apply') {
    if (!isJsonObject(patch)) throw badRequest('the body of an apply patch must be an object');
    const declared = cloneJson(patch);
    const meta = metadataOf(declared);
    if (target.type.namespaced) meta.namespace ??= target.namespace ?? 'default';
    if (current?.computed) throw methodNotAllowed(target.type, 'patch');
    const next = ctx.applied.apply(
      target.type,
      current ? entryObject(current) : null,
      declared,
      manager,
      isDryRun(query),
    );
    if (!current) return { object: await createObject(ctx, target, next, query), created: true };
    return { object: await replaceWith(ctx, target, current, next, query), created: false };
  }
  if (!current) throw notFound(target.type, target.name ?? '');
  if (current.computed) throw methodNotAllowed(target.type, 'patch');
  const live = entryObject(current);
  let next: JsonValue;
  if (kind === 'strategic') next = strategicMergePatch(live, patch, target.type.kind);
  else if (kind === 'merge') next = jsonMergePatch(live, patch);
  else next = jsonPatch(live, patch);
  if (!isJsonObject(next)) throw badRequest('the patch made the object something other than an object');
  return { object: await replaceWith(ctx, target, current, next, query), created: false };
}

/** DELETE: the object as it was (a namespace takes its contents with it). */
export async function deleteObject(
  ctx: WriteContext,
  target: RequestTarget,
  query: URLSearchParams,
  body: JsonValue,
): Promise<JsonObject> {
  writable(target.type, 'delete');
  const current = ctx.store.get(target.type, target.namespace ?? '', target.name ?? '');
  if (!current) throw notFound(target.type, target.name ?? '');
  const dryRun =
    isDryRun(query) || (isJsonObject(body) && Array.isArray(body.dryRun) && body.dryRun.includes('All'));
  if (dryRun) return entryObject(current);
  if (current.computed) {
    // A pod of a workload: its controller would replace it at once; the data plane keeps it.
    return entryObject(current);
  }
  if (target.type.plural === 'namespaces' && target.type.group === '') {
    // The namespace turns Terminating; its contents and then itself go a moment later (namespace controller).
    if (metadataOf(current.object).deletionTimestamp) return entryObject(current);
    const o = cloneJson(current.object);
    metadataOf(o).deletionTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    o.status = { phase: 'Terminating' };
    const terminating = ctx.store.update(current, o);
    ctx.defer(async () => {
      for (const e of ctx.store.written()) if (e.namespace === current.name) ctx.store.delete(e);
      const still = ctx.store.get(target.type, '', current.name);
      if (still) ctx.store.delete(still);
      await ctx.sync();
    });
    return entryObject(terminating);
  }
  const gone = ctx.store.delete(current);
  ctx.applied.forget(target.type, current.namespace, current.name);
  await ctx.sync();
  return entryObject(gone);
}

export function apiErrorOf(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  return new ApiError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
}
