/**
 * The JSON the UI server sends and the web page reads (web/ imports these types, so the two never drift).
 * The topology is src/topology's model as built, unsimplified: the page folds and lays it out itself.
 */
import type { Protocol } from '../model/types.js';
import type { Topology } from '../topology/model.js';
import type { TraceResult } from '../trace/model.js';

/** What a click on a drawn element traces: a `portchain trace` TARGET and its protocol. */
export interface TraceTargetRef {
  readonly target: string;
  readonly protocol: Protocol;
}

export interface GraphSummary {
  readonly errors: number;
  readonly warnings: number;
  readonly infos: number;
  readonly objects: number;
}

/** GET /api/graph */
export interface GraphPayload {
  /** Bumped on every reload, so the page can tell a new model from the one it has. */
  readonly version: number;
  readonly topology: Topology;
  readonly summary: GraphSummary;
  /** Element id (node or row) -> what clicking it traces. */
  readonly targets: Readonly<Record<string, TraceTargetRef>>;
  /** True when live traffic (`portchain up --ui`) is streamed as `traffic` events. */
  readonly live: boolean;
  /** Problems reading the input (unreadable files...), one sentence each. */
  readonly notes: readonly string[];
}

/** The drawn elements a trace goes through. */
export interface TracePath {
  readonly nodes: readonly string[];
  readonly ports: readonly string[];
  readonly edges: readonly string[];
  /** Elements of the hop where the chain breaks (empty when delivered or not drawn). */
  readonly broken: readonly string[];
}

/** GET /api/trace?target=&protocol= */
export interface TracePayload {
  readonly trace: TraceResult;
  readonly path: TracePath;
}

/** Live numbers of one drawn edge or row. */
export interface LiveCounter {
  /** Connections (or UDP flows) accepted per second. */
  readonly connectionsPerSecond?: number;
  /** HTTP requests per second (Ingress routes). */
  readonly requestsPerSecond?: number;
  /** Connections open now. */
  readonly active?: number;
  /** Connections that failed (no endpoint answered) per second. */
  readonly failedPerSecond?: number;
}

/** SSE `traffic` event. */
export interface TrafficPayload {
  readonly at: number;
  readonly edges: Readonly<Record<string, LiveCounter>>;
  readonly ports: Readonly<Record<string, LiveCounter>>;
  /** Pod rows whose endpoint is not ready now. */
  readonly notReady: readonly string[];
}

/** SSE `reload` event. */
export interface ReloadPayload {
  readonly version: number;
}
