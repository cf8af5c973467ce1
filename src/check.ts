/**
 * The `check` pipeline, one way: sources -> model -> semantics -> rules -> findings. The CLI, the tests and
 * later `ui` call this; nothing here prints.
 */
import { type Finding, severityRank } from './model/finding.js';
import { type LoadProgress, loadAll, type SourceText } from './model/load.js';
import { registeredRules } from './rules/registry.js';
import type { Rule } from './rules/rule.js';
import { applyRuleSettings, type RunOptions, runRules } from './rules/run.js';
import { type GraphOptions, type ResolvedGraph, resolveGraph } from './semantics/graph.js';

export interface CheckOptions extends RunOptions, GraphOptions {
  readonly defaultNamespace?: string;
  /** The rules to run; every registered rule when absent. */
  readonly rules?: readonly Rule[];
  /** Told where a long run is (the CLI draws it on a terminal); never changes the result. */
  readonly onProgress?: (e: CheckProgress) => void;
}

/** Where `check` is: loading, resolving the graph, each rule, done. */
export type CheckProgress =
  | { readonly stage: 'load'; readonly files: number; readonly bytes: number }
  /** While loading: the file being read (from 1) and the objects read so far, in it and the files before. */
  | {
      readonly stage: 'read';
      readonly files: number;
      readonly bytes: number;
      readonly file: number;
      readonly objects: number;
    }
  | { readonly stage: 'resolve'; readonly objects: number }
  | {
      readonly stage: 'rule';
      readonly objects: number;
      readonly rule: string;
      readonly index: number;
      readonly total: number;
    }
  | { readonly stage: 'report'; readonly objects: number; readonly total: number; readonly findings: number };

export interface CheckSummary {
  readonly errors: number;
  readonly warnings: number;
  readonly infos: number;
  readonly files: number;
  readonly documents: number;
  readonly objects: number;
  readonly skippedKinds: Record<string, number>;
}

export interface CheckResult {
  readonly findings: Finding[];
  readonly summary: CheckSummary;
  readonly graph: ResolvedGraph;
}

/** Stable order: by file (input order), line, column, then severity (worst first), then rule. */
export function sortFindings(findings: Finding[], fileOrder: readonly string[]): Finding[] {
  const rank = new Map(fileOrder.map((f, i) => [f, i]));
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => {
      const la = a.f.location;
      const lb = b.f.location;
      const fa = la ? (rank.get(la.file) ?? -1) : Number.MAX_SAFE_INTEGER;
      const fb = lb ? (rank.get(lb.file) ?? -1) : Number.MAX_SAFE_INTEGER;
      return (
        fa - fb ||
        (la?.line ?? 0) - (lb?.line ?? 0) ||
        (la?.column ?? 0) - (lb?.column ?? 0) ||
        severityRank[b.f.severity] - severityRank[a.f.severity] ||
        a.i - b.i
      );
    })
    .map((x) => x.f);
}

/** How many findings of each severity. */
export function severityCounts(findings: readonly Finding[]): {
  errors: number;
  warnings: number;
  infos: number;
} {
  let errors = 0;
  let warnings = 0;
  let infos = 0;
  for (const f of findings) {
    if (f.severity === 'error') errors++;
    else if (f.severity === 'warning') warnings++;
    else infos++;
  }
  return { errors, warnings, infos };
}

export function summarize(
  findings: readonly Finding[],
  counts: Omit<CheckSummary, 'errors' | 'warnings' | 'infos'>,
): CheckSummary {
  return { ...severityCounts(findings), ...counts };
}

/** Checks loaded sources; `read` carries what reading them already found and the order inputs came in. */
export function check(
  sources: readonly SourceText[],
  options: CheckOptions = {},
  read: { findings: readonly Finding[]; order: readonly string[] } = { findings: [], order: [] },
): CheckResult {
  const progress = options.onProgress;
  const files = sources.length;
  const bytes = sources.reduce((n, s) => n + (s.bytes ? s.bytes.size : s.text.length), 0);
  progress?.({ stage: 'load', files, bytes });
  const loaded = loadAll(sources, {
    ...(options.defaultNamespace ? { defaultNamespace: options.defaultNamespace } : {}),
    ...(progress
      ? {
          onProgress: (p: LoadProgress) =>
            progress({ stage: 'read', files, bytes, file: p.source + 1, objects: p.objects }),
        }
      : {}),
  });
  const objects = loaded.manifests.length;
  progress?.({ stage: 'resolve', objects });
  const graph = resolveGraph(loaded.manifests, options);
  const rules = options.rules ?? registeredRules;
  // One rule at a time only to say which one runs: runRules over all of them gives the same findings.
  const ruleFindings = progress
    ? rules.flatMap((rule, index) => {
        progress({ stage: 'rule', objects, rule: rule.meta.id, index, total: rules.length });
        return runRules(graph, [rule], options);
      })
    : runRules(graph, rules, options);
  // Reading findings never pass through runRules: the rule settings (off, severities) apply to them here.
  const findings = sortFindings(
    [...applyRuleSettings([...read.findings, ...loaded.findings], options), ...ruleFindings],
    read.order.length > 0 ? read.order : sources.map((s) => s.name),
  );
  progress?.({ stage: 'report', objects, total: rules.length, findings: findings.length });
  return {
    findings,
    graph,
    summary: summarize(findings, {
      files: sources.length,
      documents: loaded.documents,
      objects: loaded.manifests.length,
      skippedKinds: loaded.skippedKinds,
    }),
  };
}
