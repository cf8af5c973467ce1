/**
 * The `check` pipeline, one way: sources -> model -> semantics -> rules -> findings. The CLI, the tests and
 * later `ui` call this; nothing here prints.
 */
import { type Finding, severityRank } from './model/finding.js';
import { loadAll, type SourceText } from './model/load.js';
import { registeredRules } from './rules/registry.js';
import type { Rule } from './rules/rule.js';
import { applyRuleSettings, type RunOptions, runRules } from './rules/run.js';
import { type GraphOptions, type ResolvedGraph, resolveGraph } from './semantics/graph.js';

export interface CheckOptions extends RunOptions, GraphOptions {
  readonly defaultNamespace?: string;
  /** The rules to run; every registered rule when absent. */
  readonly rules?: readonly Rule[];
}

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

export function summarize(
  findings: readonly Finding[],
  counts: Omit<CheckSummary, 'errors' | 'warnings' | 'infos'>,
): CheckSummary {
  let errors = 0;
  let warnings = 0;
  let infos = 0;
  for (const f of findings) {
    if (f.severity === 'error') errors++;
    else if (f.severity === 'warning') warnings++;
    else infos++;
  }
  return { errors, warnings, infos, ...counts };
}

/** Checks loaded sources; `read` carries what reading them already found and the order inputs came in. */
export function check(
  sources: readonly SourceText[],
  options: CheckOptions = {},
  read: { findings: readonly Finding[]; order: readonly string[] } = { findings: [], order: [] },
): CheckResult {
  const loaded = loadAll(
    sources,
    options.defaultNamespace ? { defaultNamespace: options.defaultNamespace } : {},
  );
  const graph = resolveGraph(loaded.manifests, options);
  // Reading findings never pass through runRules: the rule settings (off, severities) apply to them here.
  const findings = sortFindings(
    [
      ...applyRuleSettings([...read.findings, ...loaded.findings], options),
      ...runRules(graph, options.rules ?? registeredRules, options),
    ],
    read.order.length > 0 ? read.order : sources.map((s) => s.name),
  );
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
