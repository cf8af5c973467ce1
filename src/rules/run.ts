import type { Finding, Severity } from '../model/finding.js';
import type { ResolvedGraph } from '../semantics/graph.js';
import { type Rule, toFinding } from './rule.js';

/** Per-object suppression: `portchain.dev/ignore: rule-id[,rule-id]` (or `*`). */
export const IGNORE_ANNOTATION = 'portchain.dev/ignore';

export interface RunOptions {
  /** Only these rule ids run (all when absent). */
  readonly only?: ReadonlySet<string>;
  readonly disabled?: ReadonlySet<string>;
  readonly severities?: Readonly<Record<string, Severity>>;
}

function ignoredBy(annotations: Record<string, string> | undefined): Set<string> {
  const v = annotations?.[IGNORE_ANNOTATION];
  return new Set(
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** Runs the rules over the resolved graph; a rule that throws becomes a finding, never a crash. */
export function runRules(graph: ResolvedGraph, rules: readonly Rule[], options: RunOptions = {}): Finding[] {
  const findings: Finding[] = [];
  for (const rule of rules) {
    const id = rule.meta.id;
    if (options.only && !options.only.has(id)) continue;
    if (options.disabled?.has(id)) continue;
    const severity = options.severities?.[id];
    try {
      rule.check({
        graph,
        report(r) {
          const ignored = ignoredBy(r.manifest.object.metadata?.annotations);
          if (ignored.has(id) || ignored.has('*')) return;
          const f = toFinding(rule.meta, r);
          findings.push(severity ? { ...f, severity } : f);
        },
      });
    } catch (e) {
      findings.push({
        rule: id,
        severity: 'error',
        message: `internal error in rule ${id}: ${(e as Error).message}. Please report this with the input that caused it.`,
        object: null,
        field: null,
        location: null,
      });
    }
  }
  return findings;
}

/**
 * Applies `disabled` and `severities` to every finding, including those made while reading input
 * (yaml-syntax, api-decode...), which `runRules` never sees. `only` is not applied to them: input that
 * could not be checked is always reported unless its id is turned off by name. Idempotent for findings
 * `runRules` already adjusted.
 */
export function applyRuleSettings(findings: readonly Finding[], options: RunOptions): Finding[] {
  const out: Finding[] = [];
  for (const f of findings) {
    if (options.disabled?.has(f.rule)) continue;
    const severity = options.severities?.[f.rule];
    out.push(severity && severity !== f.severity ? { ...f, severity } : f);
  }
  return out;
}
