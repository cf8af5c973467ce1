/**
 * Remarks about the backends of one finding, bounded (model/list-text.ts): a Service over 700 workloads once
 * repeated the same "did you mean" hint 700 times (56 KB in one message). A remark true of several backends
 * is said once, naming them together, and only the first few distinct remarks are spelled out.
 */
import { listText } from '../../model/list-text.js';

/** A remark about one backend, worded for one or for several of them; `who` is their labels, listed. */
export interface Remark {
  readonly label: string;
  readonly say: (who: string, several: boolean) => string;
}

/** The distinct remarks a message spells out; enough for every remark about a handful of workloads. */
export const MAX_REMARKS = 6;

/**
 * Each distinct remark once, in the order first seen; the same remark about several backends becomes one
 * naming them all (`Deployment a, Deployment b and 3 more declare ...`). Past `max`, `and N more`.
 */
export function remarksText(remarks: readonly (Remark | string)[], max = MAX_REMARKS): string[] {
  const groups = new Map<string, { remark: Remark | string; labels: Set<string> }>();
  for (const r of remarks) {
    // Remarks that differ only in whom they are about share their wording with a placeholder for the name.
    const key = typeof r === 'string' ? r : r.say('\u0000', false);
    const group = groups.get(key);
    if (!group) groups.set(key, { remark: r, labels: new Set(typeof r === 'string' ? [] : [r.label]) });
    else if (typeof r !== 'string') group.labels.add(r.label);
  }
  const out = [...groups.values()].map(({ remark, labels }) =>
    typeof remark === 'string' ? remark : remark.say(listText([...labels]), labels.size > 1),
  );
  return out.length > max ? [...out.slice(0, max), `and ${out.length - max} more`] : out;
}
