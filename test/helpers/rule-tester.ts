/**
 * Table-driven rule tests, in the manner of ESLint's RuleTester: `valid` inputs give no finding of the rule,
 * `invalid` inputs give exactly the listed findings (line and column included). The input is real YAML,
 * loaded through the real pipeline with only the rule under test running.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../src/check.js';
import type { Severity } from '../../src/model/finding.js';
import type { Rule } from '../../src/rules/rule.js';
import { corpusUnits, readSource } from './shared.js';

export interface ValidCase {
  readonly name: string;
  readonly yaml: string;
}

export interface ExpectedFinding {
  readonly severity?: Severity;
  /** Each fragment must appear in the message. */
  readonly message: string | readonly string[];
  readonly line: number;
  readonly column?: number;
  readonly field?: string;
  /** Fragment the fix must contain. */
  readonly fix?: string;
}

export interface InvalidCase extends ValidCase {
  readonly findings: readonly ExpectedFinding[];
}

export function runRule(rule: Rule, yaml: string) {
  const result = check([{ name: 'test.yaml', text: yaml }], { rules: [rule] });
  const loading = result.findings.filter((f) => f.rule !== rule.meta.id);
  return { findings: result.findings.filter((f) => f.rule === rule.meta.id), loading };
}

export function ruleTable(
  rule: Rule,
  cases: { valid: readonly ValidCase[]; invalid: readonly InvalidCase[] },
): void {
  describe(`rule ${rule.meta.id}`, () => {
    for (const c of cases.valid) {
      it(`valid: ${c.name}`, () => {
        const { findings, loading } = runRule(rule, c.yaml);
        expect(loading.map((f) => f.message)).toEqual([]);
        expect(findings.map((f) => f.message)).toEqual([]);
      });
    }
    for (const c of cases.invalid) {
      it(`invalid: ${c.name}`, () => {
        const { findings, loading } = runRule(rule, c.yaml);
        expect(loading.map((f) => f.message)).toEqual([]);
        expect(findings.length, findings.map((f) => `${f.location?.line}: ${f.message}`).join('\n')).toBe(
          c.findings.length,
        );
        c.findings.forEach((want, i) => {
          const got = findings[i]!;
          for (const fragment of typeof want.message === 'string' ? [want.message] : want.message) {
            expect(got.message).toContain(fragment);
          }
          expect(got.severity).toBe(want.severity ?? rule.meta.severity);
          expect(got.location?.line).toBe(want.line);
          if (want.column !== undefined) expect(got.location?.column).toBe(want.column);
          if (want.field !== undefined) expect(got.field).toBe(want.field);
          if (want.fix !== undefined) expect(got.fix ?? '').toContain(want.fix);
        });
      });
    }
  });
}

/**
 * One rule over every corpus analysis unit (corpus/SOURCES.md), as comparable lines:
 * `<unit> <severity> <object name> <field>:<line>`.
 */
export function ruleOnCorpus(rule: Rule): string[] {
  const got: string[] = [];
  for (const unit of corpusUnits()) {
    const r = check(unit.files.map(readSource), { rules: [rule] });
    for (const f of r.findings)
      got.push(`${unit.name} ${f.severity} ${f.object?.name} ${f.field}:${f.location?.line}`);
  }
  return got;
}
