/**
 * How big a drawing will be, known before it is built. The builder draws an edge per Service and selected
 * pod (folded rows merge them, but each is still made), so Services that select the same thousands of pods
 * make millions of them: such a drawing is refused with a message, not left to exhaust the heap minutes
 * later with V8's own report. The heap limit is given by the caller (Node's `v8.getHeapStatistics()`): the
 * web page bundles the builder too.
 */
import type { ResolvedGraph } from '../semantics/graph.js';

/** A drawing too large for this process's heap. */
export class TopologyTooLarge extends Error {}

/**
 * Heap the builder takes per Service-to-pod link, at its peak: 1.4 GB for the 2.47 million links of 1,111
 * Services over the same 2,222 pods (BENCHMARKS.md, stop 27). A cluster dump has about one link per pod.
 */
export const BYTES_PER_LINK = 560;

/** The share of the heap limit a drawing may be expected to take. */
const HEAP_SHARE = 0.75;

/** Service-to-pod links: every pod each Service selects. */
export function serviceLinks(graph: ResolvedGraph): number {
  let n = 0;
  for (const view of graph.services) n += view.selected.length;
  return n;
}

/** Throws TopologyTooLarge when drawing `graph` would take more than HEAP_SHARE of `heapLimit` bytes. */
export function assertDrawable(graph: ResolvedGraph, heapLimit: number): void {
  const links = serviceLinks(graph);
  const need = links * BYTES_PER_LINK;
  if (need <= heapLimit * HEAP_SHARE) return;
  const gb = (need / 2 ** 30).toFixed(1);
  const mb = Math.round(heapLimit / 2 ** 20);
  throw new TopologyTooLarge(
    [
      `cannot draw: ${links.toLocaleString('en-US')} Service-to-pod links (Services that select the same pods) would take about ${gb} GB to draw, more than the ${mb.toLocaleString('en-US')} MB heap this run has.`,
      `What to do: draw fewer Services at once (a namespace or a folder at a time); \`check\` with --format text, json or sarif shares the work of Services with the same selector; or give Node more: NODE_OPTIONS=--max-old-space-size=MB.`,
    ].join('\n'),
  );
}
