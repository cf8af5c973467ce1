/**
 * The layout worker (Headlamp's pipeline: filter and fold, then elkjs, off the page's thread). It keeps the
 * whole model, and for each view request answers the folded topology and its layout (src/topology/layout.ts,
 * elkjs's bundled build, which runs here rather than in a worker of its own).
 */
import { layoutTopology, METRICS, type TopologyLayout } from '../../src/topology/layout.js';
import type { Topology } from '../../src/topology/model.js';
import { computeView, type ViewRequest, type ViewResult } from './view.js';

export type WorkerRequest =
  | { readonly type: 'load'; readonly topology: Topology }
  | { readonly type: 'view'; readonly seq: number; readonly request: ViewRequest };

export type WorkerAnswer =
  | {
      readonly type: 'view';
      readonly seq: number;
      readonly view: ViewResult;
      readonly layout: TopologyLayout;
      /** The text metrics the layout assumed (the page draws with them). */
      readonly metrics: typeof METRICS;
      /** Milliseconds spent folding and laying out. */
      readonly viewMs: number;
      readonly layoutMs: number;
    }
  | { readonly type: 'error'; readonly seq: number; readonly message: string };

interface WorkerScope {
  onmessage: unknown;
  postMessage(message: WorkerAnswer): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<WorkerRequest>) => void): void;
}

const scope = self as unknown as WorkerScope;
let model: Topology | null = null;

/**
 * elkjs's bundle, the first time an ELK is made, finds itself in a worker and takes `self.onmessage` to serve
 * a page of its own (elk-worker.js); the bundle lays out in-process and needs none of it, so that handler is
 * dropped, and ours listens with addEventListener.
 */
function releaseOnmessage(): void {
  if (scope.onmessage) scope.onmessage = null;
}

scope.addEventListener('message', (e) => {
  releaseOnmessage();
  const msg = e.data;
  if (msg.type === 'load') {
    model = msg.topology;
    return;
  }
  if (!model) return;
  const t0 = performance.now();
  let view: ViewResult;
  try {
    view = computeView(model, msg.request);
  } catch (err) {
    scope.postMessage({ type: 'error', seq: msg.seq, message: String(err) });
    return;
  }
  const t1 = performance.now();
  const pending = layoutTopology(view.topology);
  // The ELK it made is built by now (synchronously, before its first await).
  releaseOnmessage();
  pending.then(
    (layout) => {
      scope.postMessage({
        type: 'view',
        seq: msg.seq,
        view,
        layout,
        metrics: METRICS,
        viewMs: Math.round(t1 - t0),
        layoutMs: Math.round(performance.now() - t1),
      });
    },
    (err: unknown) => scope.postMessage({ type: 'error', seq: msg.seq, message: String(err) }),
  );
});
