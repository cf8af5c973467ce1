/**
 * `portchain up --watch`: watches the input files and folders, and on a change (debounced) reads them again,
 * checks and plans, and reconciles the running data plane (see Up.reconcile) — as `kubectl apply` of the edited
 * manifests followed by the controllers catching up. A file the API server would refuse (unparseable, failing
 * validation) is not applied: its objects keep their last good state, and the report says so.
 */
import { type FSWatcher, statSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { type CheckOptions, check } from '../check.js';
import type { Finding } from '../model/finding.js';
import type { SourceText } from '../model/load.js';
import { API_REJECTING_RULES } from '../rules/rejection.js';
import type { Reconciled, Up } from './up.js';

/** Findings meaning "the API server refuses this", plus a file that cannot be read or parsed. */
const INVALID_RULES: ReadonlySet<string> = new Set([
  ...API_REJECTING_RULES,
  'input-unreadable',
  'yaml-syntax',
]);

export interface ReadAgain {
  readonly sources: readonly SourceText[];
  readonly findings: readonly Finding[];
  readonly order: readonly string[];
}

export interface WatchReport extends Reconciled {
  /** Files kept at their last good text, one sentence each. */
  readonly kept: readonly string[];
}

export interface WatchOptions {
  /** Reads the inputs again, the way the command first read them. */
  readonly read: () => Promise<ReadAgain>;
  /** The check options the command runs with (to find the files that became invalid). */
  readonly check?: CheckOptions;
  /** The sources `up` started from (the first last-good texts). */
  readonly initial: readonly SourceText[];
  readonly debounceMs?: number;
  /**
   * Applies the sources in place of `up.reconcile` (`--api`: through the API's store, which reconciles `up`);
   * its `notes` (e.g. objects the API refused) are reported with the files kept.
   */
  readonly apply?: (
    sources: readonly SourceText[],
    read: { readonly findings: readonly Finding[]; readonly order: readonly string[] },
  ) => Promise<Reconciled & { readonly notes?: readonly string[] }>;
  readonly onReconcile: (report: WatchReport) => void;
  readonly onError?: (error: Error) => void;
}

export interface InputWatcher {
  /** Runs one reconcile now (what a change triggers); resolves when it is applied. */
  reconcileNow(): Promise<WatchReport>;
  /** Stops watching; resolves once a reconcile under way is applied (so closing `up` after it closes all). */
  close(): Promise<void>;
}

/** The files whose errors mean the API server would not apply them. */
function invalidFiles(findings: readonly Finding[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of findings)
    if (f.severity === 'error' && INVALID_RULES.has(f.rule) && f.location && !out.has(f.location.file))
      out.set(f.location.file, f.message);
  return out;
}

export function watchInputs(paths: readonly string[], up: Up, options: WatchOptions): InputWatcher {
  const debounceMs = options.debounceMs ?? 100;
  const lastGood = new Map<string, SourceText>();
  const initiallyBad = invalidFiles(up.findings);
  for (const s of options.initial) if (!initiallyBad.has(s.name)) lastGood.set(s.name, s);

  const once = async (): Promise<WatchReport> => {
    const read = await options.read();
    const probe = check(read.sources, options.check ?? {}, read);
    const bad = invalidFiles([...read.findings, ...probe.findings]);
    const kept: string[] = [];
    const sources: SourceText[] = [];
    const seen = new Set<string>();
    const keptNames = new Set<string>();
    for (const s of read.sources) {
      seen.add(s.name);
      const good = lastGood.get(s.name);
      const why = bad.get(s.name);
      if (why !== undefined && good) {
        sources.push(good);
        keptNames.add(s.name);
        kept.push(`${s.name}: ${why}; its objects keep their last good state`);
      } else {
        sources.push(s);
        if (why === undefined) lastGood.set(s.name, s);
      }
    }
    // A file that could not be read at all (an editor replacing it, a syntax the reader refuses).
    for (const [name, why] of bad)
      if (!seen.has(name) && lastGood.has(name)) {
        sources.push(lastGood.get(name) as SourceText);
        keptNames.add(name);
        kept.push(`${name}: ${why}; its objects keep their last good state`);
      }
    const findings = read.findings.filter((f) => !(f.location && keptNames.has(f.location.file)));
    const order = [...read.order, ...sources.map((s) => s.name).filter((n) => !read.order.includes(n))];
    if (options.apply) {
      const { notes = [], ...r } = await options.apply(sources, { findings, order });
      return { ...r, kept: [...kept, ...notes] };
    }
    const r = await up.reconcile(sources, { findings, order });
    return { ...r, kept };
  };

  // One reconcile at a time, in order; a call made while one runs gets the next one (which reads the files
  // again), calls made before that one starts share it.
  let chain: Promise<unknown> = Promise.resolve();
  let queued: Promise<WatchReport> | null = null;
  let closed = false;
  const reconcileNow = (): Promise<WatchReport> => {
    if (queued) return queued;
    const next = chain.then(() => {
      queued = null;
      return once();
    });
    queued = next;
    chain = next.catch(() => undefined);
    return next;
  };
  let timer: NodeJS.Timeout | null = null;
  const trigger = () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      reconcileNow().then(
        (report) => {
          if (!closed) options.onReconcile(report);
        },
        (e: unknown) => options.onError?.(e instanceof Error ? e : new Error(String(e))),
      );
    }, debounceMs);
  };

  const watchers: FSWatcher[] = [];
  for (const p of paths.length > 0 ? paths : ['.']) {
    if (p === '-') continue; // stdin is read once
    try {
      // A file is watched through its folder: editors save by replacing the file, which ends a watch on it.
      // Folders are watched recursively, as they are searched (Node 20 supports it on Linux).
      const isDir = statSync(p).isDirectory();
      const w = isDir
        ? watch(p, { recursive: true }, trigger)
        : watch(dirname(p), (_event, name) => {
            if (name === null || name === basename(p)) trigger();
          });
      w.on('error', (e) => options.onError?.(e));
      watchers.push(w);
    } catch (e) {
      options.onError?.(e as Error);
    }
  }
  return {
    reconcileNow,
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
      await chain;
    },
  };
}
