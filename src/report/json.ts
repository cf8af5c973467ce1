import type { CheckSummary } from '../check.js';
import type { Finding } from '../model/finding.js';

/** The JSON contract later tools rely on: `{"findings": [...], "summary": {...}}`. */
export function formatJson(findings: readonly Finding[], summary: CheckSummary): string {
  return `${JSON.stringify({ findings, summary }, null, 2)}\n`;
}
