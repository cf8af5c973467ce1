import type { Topology } from '../topology/model.js';
import { jsonPieces } from './json-pieces.js';

/** The JSON document `portchain graph --format json` prints (and the web UI reads), in pieces (json-pieces.ts). */
export function* formatTopologyJson(t: Topology): Generator<string> {
  yield* jsonPieces(t);
  yield '\n';
}
