/**
 * A rule is data plus one function, like an ESLint rule module: `meta` says what it checks (and feeds the
 * generated docs/rules.md), `check` reads the resolved graph and reports findings at exact fields.
 */
import type { FieldPath } from '../model/field-path.js';
import type { Finding, Severity } from '../model/finding.js';
import type { Manifest } from '../model/load.js';
import type { ResolvedGraph } from '../semantics/graph.js';

export interface RuleMeta {
  /** Stable id, kebab-case: used in output, config and `portchain.dev/ignore`. */
  readonly id: string;
  readonly severity: Severity;
  /** One line: what breaks, in terms of the chain. */
  readonly description: string;
  readonly docs: {
    /** Why it matters and what the rule assumes. */
    readonly details: string;
    /** A minimal YAML excerpt that triggers the rule. */
    readonly bad: string;
    /** The same excerpt, fixed. */
    readonly good: string;
  };
}

export interface Report {
  readonly manifest: Manifest;
  readonly field?: FieldPath;
  readonly message: string;
  readonly fix?: string;
  /** Overrides the rule's default severity when the input proves more (or less). */
  readonly severity?: Severity;
  /** Kubernetes' StatusCause type, for API findings. */
  readonly reason?: string;
}

export interface RuleContext {
  readonly graph: ResolvedGraph;
  report(r: Report): void;
}

export interface Rule {
  readonly meta: RuleMeta;
  check(ctx: RuleContext): void;
}

/** Builds the finding for a report: the location comes from the field, never guessed. */
export function toFinding(meta: RuleMeta, r: Report): Finding {
  const field = r.field?.toString() ?? null;
  return {
    rule: meta.id,
    severity: r.severity ?? meta.severity,
    message: r.message,
    object: r.manifest.ref,
    field: field === '' ? null : field,
    location: r.manifest.source.locate(r.field),
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.fix ? { fix: r.fix } : {}),
  };
}
