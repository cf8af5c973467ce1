/**
 * The in-memory object store behind the API (etcd's role): one global resourceVersion counter, uid and
 * creationTimestamp set on create, generation bumped when the spec changes, insertion order kept (the order
 * `up` is reconciled in, which decides who gets a contested nodePort first). Watchers get every change, and
 * a bounded history lets a watch start from a recent resourceVersion. managedFields are not kept.
 */
import { randomUUID } from 'node:crypto';
import { cloneJson, isJsonObject, type JsonObject, jsonEqual } from './json.js';
import { groupResource, type ResourceType } from './resources.js';

export interface StoredEntry {
  readonly type: ResourceType;
  readonly namespace: string;
  readonly name: string;
  readonly object: JsonObject;
  /** Derived from the running plan (read-only through the API). */
  readonly computed: boolean;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: WatchEventType;
  readonly entry: StoredEntry;
  readonly resourceVersion: number;
}

const HISTORY = 2000;

/** Kinds whose metadata.generation the registry tracks (their strategies bump it on a spec change). */
const GENERATION_GROUPS = new Set(['apps', 'networking.k8s.io']);

const nowStamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export const metadataOf = (o: JsonObject): JsonObject => {
  const m = o.metadata;
  if (isJsonObject(m)) return m;
  const fresh: JsonObject = {};
  o.metadata = fresh;
  return fresh;
};

export class ObjectStore {
  private rv = 1;
  private readonly entries = new Map<string, StoredEntry>();
  private readonly listeners = new Set<(e: StoreEvent) => void>();
  private readonly history: StoreEvent[] = [];

  private static key(t: ResourceType, namespace: string, name: string): string {
    return `${groupResource(t)}/${namespace}/${name}`;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** The oldest resourceVersion a watch can start after. */
  get oldestWatchable(): number {
    return (this.history[0]?.resourceVersion ?? this.rv + 1) - 1;
  }

  get(t: ResourceType, namespace: string, name: string): StoredEntry | undefined {
    return this.entries.get(ObjectStore.key(t, namespace, name));
  }

  list(t: ResourceType, namespace?: string): StoredEntry[] {
    return [...this.entries.values()].filter(
      (e) => e.type === t && (namespace === undefined || e.namespace === namespace),
    );
  }

  /** Every stored (written, not computed) object in creation order. */
  written(): StoredEntry[] {
    return [...this.entries.values()].filter((e) => !e.computed);
  }

  private emit(type: WatchEventType, entry: StoredEntry): void {
    const e: StoreEvent = { type, entry, resourceVersion: this.rv };
    this.history.push(e);
    if (this.history.length > HISTORY) this.history.shift();
    for (const l of this.listeners) l(e);
  }

  /** Events after `rv` (for a watch that starts there), or null when they are no longer kept (410 Gone). */
  since(rv: number): StoreEvent[] | null {
    if (rv < this.oldestWatchable) return null;
    return this.history.filter((e) => e.resourceVersion > rv);
  }

  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stores a new object, filling uid, resourceVersion, creationTimestamp (and generation). */
  create(t: ResourceType, object: JsonObject, computed = false): StoredEntry {
    const o = cloneJson(object);
    const meta = metadataOf(o);
    meta.uid = randomUUID();
    meta.creationTimestamp ??= nowStamp();
    if (GENERATION_GROUPS.has(t.group)) meta.generation = 1;
    delete meta.managedFields;
    this.rv++;
    meta.resourceVersion = String(this.rv);
    const entry: StoredEntry = {
      type: t,
      namespace: typeof meta.namespace === 'string' ? meta.namespace : '',
      name: String(meta.name),
      object: o,
      computed,
    };
    this.entries.set(ObjectStore.key(t, entry.namespace, entry.name), entry);
    this.emit('ADDED', entry);
    return entry;
  }

  /**
   * Replaces an object; identity fields (uid, creationTimestamp) are kept from the stored one. Returns the
   * stored entry unchanged (no new resourceVersion, no event) when nothing changed, as the API server does.
   */
  update(previous: StoredEntry, object: JsonObject): StoredEntry {
    const o = cloneJson(object);
    const meta = metadataOf(o);
    const was = metadataOf(previous.object);
    meta.uid = was.uid ?? randomUUID();
    meta.creationTimestamp = was.creationTimestamp ?? nowStamp();
    meta.resourceVersion = was.resourceVersion ?? String(this.rv);
    if (was.generation !== undefined) meta.generation = was.generation;
    delete meta.managedFields;
    if (jsonEqual(o, previous.object)) return previous;
    if (typeof was.generation === 'number' && !jsonEqual(o.spec, previous.object.spec))
      meta.generation = was.generation + 1;
    this.rv++;
    meta.resourceVersion = String(this.rv);
    const entry: StoredEntry = { ...previous, object: o };
    this.entries.set(ObjectStore.key(previous.type, previous.namespace, previous.name), entry);
    this.emit('MODIFIED', entry);
    return entry;
  }

  delete(entry: StoredEntry): StoredEntry {
    this.entries.delete(ObjectStore.key(entry.type, entry.namespace, entry.name));
    this.rv++;
    const o = cloneJson(entry.object);
    metadataOf(o).resourceVersion = String(this.rv);
    const gone: StoredEntry = { ...entry, object: o };
    this.emit('DELETED', gone);
    return gone;
  }

  /**
   * Makes the computed objects of `t` equal to `objects` (keyed by namespace/name): new ones are added,
   * changed ones updated (keeping uid and creationTimestamp), missing ones deleted; unchanged ones keep their
   * resourceVersion, so a watch sees only real changes.
   */
  syncComputed(t: ResourceType, objects: readonly JsonObject[]): void {
    const seen = new Set<string>();
    for (const o of objects) {
      const meta = metadataOf(o);
      const ns = typeof meta.namespace === 'string' ? meta.namespace : '';
      const name = String(meta.name);
      const k = ObjectStore.key(t, ns, name);
      seen.add(k);
      const existing = this.entries.get(k);
      if (!existing) this.create(t, o, true);
      else if (existing.computed) this.update(existing, o);
    }
    for (const [k, e] of [...this.entries]) if (e.type === t && e.computed && !seen.has(k)) this.delete(e);
  }
}
