import { apiValidation } from './api-validation.js';
import { inputFindings } from './input-findings.js';
import { nodePortAllocation } from './node-port-allocation.js';
import type { Rule, RuleMeta } from './rule.js';

/** Every rule, in the order their findings are reported for one object. */
export const registeredRules: readonly Rule[] = [apiValidation, nodePortAllocation];

/** Every finding id portchain can emit, for docs, SARIF and configuration. */
export const allRuleMetas: readonly RuleMeta[] = [...inputFindings, ...registeredRules.map((r) => r.meta)];

export function ruleMeta(id: string): RuleMeta | undefined {
  return allRuleMetas.find((m) => m.id === id);
}
