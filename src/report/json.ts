import type { CheckSummary } from '../check.js';
import type { Finding } from '../model/finding.js';
import { jsonPieces } from './json-pieces.js';

/** The JSON contract later tools rely on: `{"findings": [...], "summary": {...}}`. */
export function formatJson(findings: readonly Finding[], summary: CheckSummary): string {
  return [...jsonReport(findings, summary)].join('');
}

/**
 * formatJson's text as pieces that join to it: 810,000 findings are more text than one V8 string holds
 * ("Invalid string length"), and 490,000 took 3.5 GB as one (BENCHMARKS.md, stop 27).
 */
export function* jsonReport(findings: readonly Finding[], summary: CheckSummary): Generator<string> {
  yield* jsonPieces({ findings, summary });
  yield '\n';
}
