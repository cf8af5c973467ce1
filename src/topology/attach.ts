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

/**
 * A target standing for one of several rows folded into one while building (a workload's pods): the folded
 * row lists its findings in the order of the rows it replaces (`order.rank`), as foldWorkloads' union does.
 */
export interface RankedTarget extends FindingTarget {
  readonly order: { readonly rank: number };
}

const isRanked = (t: FindingTarget): t is RankedTarget => 'order' in t;

/** An object's entries; past a few, a set of their keys answers whether one is already there. */
interface Entries {
  readonly list: Entry[];
  keys?: Set<string>;
}

const targetsKey = (targets: readonly FindingTarget[]): string =>
  targets.map((t) => `${t.kind}:${t.id}`).join(',');

const entryKey = (file: string, prefix: string, targets: readonly FindingTarget[]): string =>
  `${file}\n${prefix}\n${targetsKey(targets)}`;

function sameTargets(a: readonly FindingTarget[], b: readonly FindingTarget[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as FindingTarget;
    const y = b[i] as FindingTarget;
    if (x.kind !== y.kind || x.id !== y.id) return false;
  }
  return true;
}

/** Entries scanned one by one before an object gets a key set (most objects have a handful). */
const SCAN = 8;

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
  private readonly entries = new Map<string, Entries>();
  /**
   * The objects findings name, when known (kind, then namespace, then names): registrations for any other are
   * never looked up. Nested, so that asking about each of a dump's pods builds no key string.
   */
  private readonly named: Map<string, Map<string, Set<string>>> | undefined;

  constructor(findings?: readonly Finding[]) {
    if (!findings) return;
    this.named = new Map();
    for (const f of findings) {
      if (!f.object) continue;
      let byNs = this.named.get(f.object.kind);
      if (!byNs) {
        byNs = new Map();
        this.named.set(f.object.kind, byNs);
      }
      const ns = f.object.namespace ?? '';
      const names = byNs.get(ns);
      if (names) names.add(f.object.name);
      else byNs.set(ns, new Set([f.object.name]));
    }
  }

  /** Whether a registration for `object` can matter (callers skip building their targets when not). */
  wants(object: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>): boolean {
    return (
      !this.named ||
      this.named
        .get(object.kind)
        ?.get(object.namespace ?? '')
        ?.has(object.name) === true
    );
  }

  /**
   * Registers that a finding on `object` at `prefix` (or below it) is drawn at `targets`; the same
   * registration twice (pods of one workload) is kept once, found by a scan of the object's few entries (a
   * key set past SCAN of them) rather than a key string per registration.
   */
  add(
    object: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>,
    file: string,
    prefix: string,
    targets: FindingTarget[],
  ) {
    if (targets.length === 0 || !this.wants(object)) return;
    const key = objectKey(object);
    const entry = { file, prefix, targets };
    const mine = this.entries.get(key);
    if (!mine) {
      this.entries.set(key, { list: [entry] });
      return;
    }
    if (mine.keys) {
      const k = entryKey(file, prefix, targets);
      if (mine.keys.has(k)) return;
      mine.keys.add(k);
    } else {
      for (const e of mine.list)
        if (e.file === file && e.prefix === prefix && sameTargets(e.targets, targets)) return;
      if (mine.list.length >= SCAN)
        mine.keys = new Set([...mine.list, entry].map((e) => entryKey(e.file, e.prefix, e.targets)));
    }
    mine.list.push(entry);
  }

  /** Where a finding is drawn; empty when nothing drawn stands for its object. */
  resolve(f: Finding): FindingTarget[] {
    if (!f.object) return [];
    const all = this.entries.get(objectKey(f.object))?.list ?? [];
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
  const resolved = findings.map((f) => index.resolve(f));
  // Only the elements some finding names get a key (a cluster dump has hundreds of thousands of elements
  // and a few findings).
  const wanted = new Set<string>();
  for (const targets of resolved) for (const target of targets) wanted.add(`${target.kind}:${target.id}`);
  const lists = new Map<string, string[]>();
  const keep = (key: string, list: string[]) => {
    if (wanted.has(key)) lists.set(key, list);
  };
  if (wanted.size > 0) {
    for (const n of t.nodes) {
      keep(`node:${n.id}`, n.findings);
      for (const p of n.ports) keep(`port:${p.id}`, p.findings);
    }
    for (const e of t.edges) keep(`edge:${e.id}`, e.findings);
    for (const g of t.groups) keep(`group:${g.id}`, g.findings);
  }
  const ranks = new Map<string[], number[]>();
  const out: TopologyFinding[] = findings.map((f, i) => {
    const id = `f${i}`;
    const found = (resolved[i] ?? []).filter((target) => lists.has(`${target.kind}:${target.id}`));
    const targets = found.map((target): FindingTarget => {
      const list = lists.get(`${target.kind}:${target.id}`) as string[];
      list.push(id);
      if (!isRanked(target)) return target;
      const r = ranks.get(list);
      if (r) r.push(target.order.rank);
      else ranks.set(list, [target.order.rank]);
      return { kind: target.kind, id: target.id };
    });
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
  // A folded row lists its findings by the rows it replaces, then in finding order (the sort is stable).
  for (const [list, rank] of ranks) {
    const sorted = list.map((id, i) => ({ id, rank: rank[i] ?? 0 })).sort((a, b) => a.rank - b.rank);
    sorted.forEach((x, i) => {
      list[i] = x.id;
    });
  }
  return { ...t, findings: out };
}
