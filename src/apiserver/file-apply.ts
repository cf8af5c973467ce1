/**
 * `portchain up --api --watch`: the files stay a source of truth beside kubectl. An edited file is applied to
 * the API's store as `kubectl apply --server-side --prune -f FILES` would (field manager `portchain-files`):
 * each object in the files is created or updated (fields the files no longer declare are removed, fields
 * kubectl set are kept), and objects that left the files are deleted. The API's admission decides, so a
 * file edit the API server would refuse (a nodePort kubectl took meanwhile) is refused with its message.
 */
import type { Manifest } from '../model/load.js';
import {
  createObject,
  deleteObject,
  patchObject,
  type RequestTarget,
  type WriteContext,
} from './handlers.js';
import { cloneJson, type JsonObject } from './json.js';
import { groupResource, type ResourceType, resourceOfKind } from './resources.js';
import { ApiError } from './status.js';
import { metadataOf } from './store.js';

export const FILE_FIELD_MANAGER = 'portchain-files';

/** The key of an object in the store: group/resource, namespace, name. */
export const objectKey = (t: ResourceType, namespace: string, name: string) =>
  `${groupResource(t)}/${namespace}/${name}`;

/** What the files declare of `m`, as the API would store it (the namespace filled in). */
export function declaredObject(t: ResourceType, m: Manifest): JsonObject {
  const raw = cloneJson(m.raw as JsonObject);
  if (t.namespaced) metadataOf(raw).namespace = m.namespace;
  else delete metadataOf(raw).namespace;
  return raw;
}

export interface FileApplyResult {
  /** Every object the files now hold that the API stores (for the next prune). */
  readonly keys: ReadonlySet<string>;
  readonly applied: number;
  /** `kind namespace/name` of each object pruned because it left the files. */
  readonly deleted: readonly string[];
  /** One sentence per object the API refused, with the API's message. */
  readonly refused: readonly string[];
}

const label = (kind: string, namespace: string, name: string) =>
  `${kind} ${namespace ? `${namespace}/` : ''}${name}`;

/**
 * Applies `manifests` through the API's write path without reconciling after each object (`ctx.sync` is
 * called once by the caller), and prunes what `previous` held that the files no longer do.
 */
export async function applyFileObjects(
  ctx: WriteContext,
  manifests: readonly Manifest[],
  previous: ReadonlySet<string>,
  namespaceType: ResourceType,
): Promise<FileApplyResult> {
  const quiet: WriteContext = { ...ctx, sync: async () => {} };
  const query = new URLSearchParams({ fieldManager: FILE_FIELD_MANAGER });
  const keys = new Set<string>();
  const refused: string[] = [];
  const deleted: string[] = [];
  let applied = 0;
  for (const m of manifests) {
    const t = resourceOfKind(m.apiVersion, m.kind);
    if (!t) continue;
    const namespace = t.namespaced ? m.namespace : '';
    if (t.computed) {
      // Endpoints and EndpointSlices written by hand are read once, at start (they seed mirroring).
      refused.push(`${label(m.kind, namespace, m.name)}: written by hand; restart up to apply it`);
      continue;
    }
    const target: RequestTarget = {
      type: t,
      namespace: t.namespaced ? namespace : undefined,
      name: m.name,
      subresource: undefined,
    };
    try {
      if (t.namespaced && !ctx.store.get(namespaceType, '', namespace))
        await createObject(
          quiet,
          { type: namespaceType, namespace: undefined, name: undefined, subresource: undefined },
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
          query,
        );
      await patchObject(quiet, target, 'apply', declaredObject(t, m), query);
      applied++;
      const key = objectKey(t, namespace, m.name);
      keys.add(key);
    } catch (e) {
      const why = e instanceof ApiError ? e.message : (e as Error).message;
      refused.push(`${label(m.kind, namespace, m.name)}: refused by the API: ${why}`);
      // A refused object is not pruned: it keeps its last applied state.
      keys.add(objectKey(t, namespace, m.name));
    }
  }
  // What the store holds, by the same key (one pass, not one scan per pruned object).
  const stored = new Map(ctx.store.written().map((e) => [objectKey(e.type, e.namespace, e.name), e]));
  for (const key of previous) {
    if (keys.has(key)) continue;
    const entry = stored.get(key);
    if (!entry) continue;
    const { namespace, name } = entry;
    const target: RequestTarget = {
      type: entry.type,
      namespace: entry.type.namespaced ? namespace : undefined,
      name,
      subresource: undefined,
    };
    try {
      await deleteObject(quiet, target, new URLSearchParams(), null);
      deleted.push(label(entry.type.kind, namespace, name));
    } catch (e) {
      refused.push(`${label(entry.type.kind, namespace, name)}: not deleted: ${(e as Error).message}`);
    }
  }
  return { keys, applied, deleted, refused };
}
