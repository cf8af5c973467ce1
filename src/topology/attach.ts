/**
 * Attaches findings to the drawn elements. A finding names an object and a field
 * (`spec.ports[0].targetPort`); the builder registers, per object, which element each field prefix stands for
 * (the Service port row, the edges leaving it, a container's port row...). The longest registered prefix of the
 * finding's field wins, so a finding lands on the most precise element drawn for it.
 */
import type { Finding, ObjectRef } from '../model/finding.js';
import type { FindingTarget, Topology, TopologyFinding } from './model.js';

interface Entry {
  /** The file the object was read from; '' when any file will do. */
  readonly file: string;
  readonly prefix: string;
  readonly targets: FindingTarget[];
}

const objectKey = (o: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>): string =>
  `${o.kind}\n${o.namespace ?? ''}\n${o.name}`;

/** `spec.ports[1]` is a prefix of `spec.ports[1].name` and of `spec.ports[1]`, not of `spec.ports[10]`. */
export function fieldHasPrefix(field: string, prefix: string): boolean {
  if (prefix === '') return true;
  if (!field.startsWith(prefix)) return false;
  const next = field[prefix.length];
  return next === undefined || next === '.' || next === '[';
}

export class FindingIndex {
  private readonly entries = new Map<string, Entry[]>();
  private readonly seen = new Set<string>();

  /** Registers that a finding on `object` at `prefix` (or below it) is drawn at `targets`. */
  add(
    object: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>,
    file: string,
    prefix: string,
    targets: FindingTarget[],
  ) {
    const key = objectKey(object);
    const dedupe = `${key}\n${file}\n${prefix}\n${targets.map((t) => `${t.kind}:${t.id}`).join(',')}`;
    if (targets.length === 0 || this.seen.has(dedupe)) return;
    this.seen.add(dedupe);
    const list = this.entries.get(key);
    const entry = { file, prefix, targets };
    if (list) list.push(entry);
    else this.entries.set(key, [entry]);
  }

  /** Where a finding is drawn; empty when nothing drawn stands for its object. */
  resolve(f: Finding): FindingTarget[] {
    if (!f.object) return [];
    const all = this.entries.get(objectKey(f.object)) ?? [];
    // Two objects of one kind, namespace and name (in two files): prefer the one the finding points into.
    const inFile = all.filter((e) => e.file !== '' && e.file === f.location?.file);
    const candidates = inFile.length > 0 ? [...inFile, ...all.filter((e) => e.file === '')] : all;
    const field = f.field ?? '';
    let best: Entry | undefined;
    const targets: FindingTarget[] = [];
    for (const e of candidates) {
      if (!fieldHasPrefix(field, e.prefix)) continue;
      if (!best || e.prefix.length > best.prefix.length) {
        best = e;
        targets.length = 0;
      }
      if (e.prefix.length === best.prefix.length) targets.push(...e.targets);
    }
    const unique = new Map(targets.map((t) => [`${t.kind}:${t.id}`, t]));
    return [...unique.values()];
  }
}

/** Adds the findings to the topology and each finding's id to the elements it targets. */
export function attachFindings(t: Topology, findings: readonly Finding[], index: FindingIndex): Topology {
  const lists = new Map<string, string[]>();
  for (const n of t.nodes) {
    lists.set(`node:${n.id}`, n.findings);
    for (const p of n.ports) lists.set(`port:${p.id}`, p.findings);
  }
  for (const e of t.edges) lists.set(`edge:${e.id}`, e.findings);
  for (const g of t.groups) lists.set(`group:${g.id}`, g.findings);
  const out: TopologyFinding[] = findings.map((f, i) => {
    const id = `f${i}`;
    const targets = index.resolve(f).filter((target) => lists.has(`${target.kind}:${target.id}`));
    for (const target of targets) lists.get(`${target.kind}:${target.id}`)?.push(id);
    return {
      id,
      rule: f.rule,
      severity: f.severity,
      message: f.message,
      ...(f.fix ? { fix: f.fix } : {}),
      object: f.object,
      field: f.field,
      location: f.location,
      targets,
    };
  });
  return { ...t, findings: out };
}
