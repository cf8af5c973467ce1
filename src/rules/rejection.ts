import type { Finding } from '../model/finding.js';
import type { Manifest } from '../model/load.js';

/**
 * Findings that mean "the API server refuses to create this object": nothing downstream of it exists, so
 * trace, the runtime plan and the Ingress controller leave it out.
 */
export const API_REJECTING_RULES: ReadonlySet<string> = new Set([
  'api-validation',
  'node-port-allocation',
  'api-decode',
]);

export function rejectsObject(f: Finding): boolean {
  return !!f.object && f.severity === 'error' && API_REJECTING_RULES.has(f.rule);
}

const refKey = (kind: string, namespace: string | undefined, name: string) =>
  `${kind}/${namespace ?? ''}/${name}`;

/** The objects the API server refuses, with the findings that say why. */
export class RejectedObjects {
  private readonly byObject = new Map<string, Finding[]>();

  constructor(findings: readonly Finding[]) {
    for (const f of findings) {
      if (!rejectsObject(f) || !f.object) continue;
      const k = refKey(f.object.kind, f.object.namespace, f.object.name);
      const list = this.byObject.get(k);
      if (list) list.push(f);
      else this.byObject.set(k, [f]);
    }
  }

  /** Why the API server refuses `m`, or undefined when it accepts it. */
  reasons(m: Manifest): readonly Finding[] | undefined {
    return this.byObject.get(refKey(m.kind, m.ref.namespace, m.name));
  }

  has(m: Manifest): boolean {
    return this.byObject.has(refKey(m.kind, m.ref.namespace, m.name));
  }
}
