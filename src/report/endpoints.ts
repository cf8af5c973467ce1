import type { EndpointSlice } from '../model/types.js';
import { jsonPieces } from './json-pieces.js';

/** kubectl's formatDiscoveryEndpoints / formatDiscoveryPorts: at most 3 items, then "+ N more...". */
function listOf(items: string[], empty: string): string {
  if (items.length === 0) return empty;
  const shown = items.slice(0, 3).join(',');
  return items.length > 3 ? `${shown} + ${items.length - 3} more...` : shown;
}

/** Like `kubectl get endpointslices -A -o wide`, with a READY column (ready/total endpoints) instead of AGE. */
export function formatEndpointSlicesText(slices: readonly EndpointSlice[]): string {
  const rows = [['NAMESPACE', 'NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'READY', 'SERVICE']];
  for (const s of slices) {
    const ports = (s.ports ?? []).map((p) => (p.port === undefined ? '<unset>' : String(p.port)));
    const addresses = s.endpoints.flatMap((e) => e.addresses.slice(0, 1));
    const ready = s.endpoints.filter((e) => e.conditions?.ready !== false).length;
    rows.push([
      s.metadata.namespace ?? '',
      s.metadata.name ?? '',
      s.addressType,
      listOf(ports, '<unset>'),
      listOf(addresses, '<unset>'),
      `${ready}/${s.endpoints.length}`,
      s.metadata.labels?.['kubernetes.io/service-name'] ?? '',
    ]);
  }
  // reduce, not Math.max(...rows): a cluster has more slices than a call may take arguments.
  const widths = rows[0]!.map((_, i) => rows.reduce((w, r) => Math.max(w, r[i]!.length), 0));
  return `${rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/** `JSON.stringify(slices, null, 2)` and a line break, in pieces (json-pieces.ts). */
export function* formatEndpointSlicesJson(slices: readonly EndpointSlice[]): Generator<string> {
  yield* jsonPieces(slices);
  yield '\n';
}
