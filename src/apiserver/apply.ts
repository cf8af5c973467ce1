/**
 * Server-side apply (PATCH application/apply-patch+yaml), simplified: the API remembers, per object and field
 * manager, the configuration last applied, and turns a new apply into the strategic merge patch that sets
 * every declared field and removes what that manager declared before and no longer does (map keys, keyed list
 * items). There are no managedFields, no per-field ownership across managers and so no conflicts: `--force-
 * conflicts` and a plain apply behave the same. kubectl prints `serverside-applied` as against a real server.
 */
import { cloneJson, type JsonObject } from './json.js';
import { patchMetaOf } from './patch-meta.js';
import { groupResource, type ResourceType } from './resources.js';
import { declarationPatch, strategicMergePatch } from './smp.js';

export class AppliedConfigurations {
  private readonly byObject = new Map<string, Map<string, JsonObject>>();

  private static key(t: ResourceType, namespace: string, name: string): string {
    return `${groupResource(t)}/${namespace}/${name}`;
  }

  private managers(t: ResourceType, namespace: string, name: string): Map<string, JsonObject> {
    const k = AppliedConfigurations.key(t, namespace, name);
    let m = this.byObject.get(k);
    if (!m) {
      m = new Map();
      this.byObject.set(k, m);
    }
    return m;
  }

  /** The live object after `manager` applies `declared` (remembered unless `dryRun`). */
  apply(
    t: ResourceType,
    live: JsonObject | null,
    declared: JsonObject,
    manager: string,
    dryRun: boolean,
  ): JsonObject {
    const meta = (declared.metadata ?? {}) as JsonObject;
    const ns = typeof meta.namespace === 'string' ? meta.namespace : '';
    const name = String(meta.name ?? '');
    const managers = this.managers(t, ns, name);
    const before = managers.get(manager);
    if (!dryRun) managers.set(manager, cloneJson(declared));
    if (!live) return cloneJson(declared);
    const patch = declarationPatch(before, declared, patchMetaOf(t.kind));
    return strategicMergePatch(cloneJson(live), patch, t.kind, true);
  }

  forget(t: ResourceType, namespace: string, name: string): void {
    this.byObject.delete(AppliedConfigurations.key(t, namespace, name));
  }
}
