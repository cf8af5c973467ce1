/**
 * The trace path (ids of the whole model, from the server) on the drawn view: a pod row folded into its
 * workload's `pods` row stands for it, and an edge merged by the fold is found by its ends.
 */
import type { Topology, TopologyEdge, TopologyIndex } from '../../src/topology/model.js';
import type { TracePath } from '../../src/ui/api.js';

export interface DrawnPath {
  readonly nodes: ReadonlySet<string>;
  readonly ports: ReadonlySet<string>;
  readonly edges: ReadonlySet<string>;
  readonly broken: ReadonlySet<string>;
}

export const EMPTY_PATH: DrawnPath = {
  nodes: new Set(),
  ports: new Set(),
  edges: new Set(),
  broken: new Set(),
};

const edgeKey = (e: Pick<TopologyEdge, 'kind' | 'source' | 'sourcePort' | 'target' | 'targetPort'>) =>
  [e.kind, e.source, e.sourcePort ?? '', e.target, e.targetPort ?? ''].join('\n');

export function drawnPath(
  path: TracePath,
  full: TopologyIndex,
  view: Topology,
  vix: TopologyIndex,
): DrawnPath {
  const port = (id: string | undefined): string | undefined => {
    if (id === undefined) return undefined;
    if (vix.portNode.has(id)) return id;
    const folded = /^(.*)#pod\//.exec(id);
    return folded && vix.portNode.has(`${folded[1]}#pods`) ? `${folded[1]}#pods` : id;
  };
  const byKey = new Map(view.edges.map((e) => [edgeKey(e), e.id]));
  const edge = (id: string): string | undefined => {
    if (vix.edge.has(id)) return id;
    const e = full.edge.get(id);
    if (!e) return undefined;
    const mapped = {
      ...e,
      sourcePort: port(e.sourcePort),
      targetPort: port(e.targetPort),
    };
    return byKey.get(edgeKey(mapped));
  };
  const nodes = new Set(path.nodes.filter((id) => vix.node.has(id)));
  const ports = new Set(path.ports.flatMap((id) => port(id) ?? []));
  const edges = new Set(path.edges.flatMap((id) => edge(id) ?? []));
  const broken = new Set(
    path.broken.flatMap((id) => {
      if (vix.node.has(id)) return [id];
      const e = edge(id);
      if (e) return [e];
      const p = port(id);
      return p && vix.portNode.has(p) ? [p] : [];
    }),
  );
  return { nodes, ports, edges, broken };
}
