import type { TraceResult } from '../trace/model.js';

/**
 * The JSON contract of `portchain trace --format json`: `{"request", "hops", "backend", "endpoints", "verdict",
 * "brokenAt"}` (src/trace/model.ts documents each field).
 */
export function formatTraceJson(result: TraceResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}
