/**
 * Runs one rule over every corpus analysis unit (corpus/SOURCES.md) and returns its findings in a compact,
 * comparable form: `<file>:<line> <severity> <Service>` plus the message.
 */
import { basename } from 'node:path';
import { check } from '../../../src/check.js';
import type { Severity } from '../../../src/model/finding.js';
import type { Rule } from '../../../src/rules/rule.js';
import { corpusUnits, readSource } from '../../helpers/shared.js';

export interface CorpusFinding {
  readonly where: string;
  readonly severity: Severity;
  readonly object: string;
  readonly message: string;
}

export function corpusFindings(rule: Rule): CorpusFinding[] {
  const out: CorpusFinding[] = [];
  for (const unit of corpusUnits()) {
    const result = check(unit.files.map(readSource), { rules: [rule] });
    for (const f of result.findings) {
      if (f.rule !== rule.meta.id) continue;
      out.push({
        where: `${basename(f.location?.file ?? '?')}:${f.location?.line ?? 0}`,
        severity: f.severity,
        object: f.object ? `${f.object.namespace ?? ''}/${f.object.name}` : '',
        message: f.message,
      });
    }
  }
  return out;
}
