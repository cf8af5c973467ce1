/**
 * A direct layout for namespaces whose every connected component is a chain: at most one node per lane, each
 * link going from one node to the next in lane order (Ingress -> Service -> Pods -> Containers), the shape
 * nearly every Service takes. Such a drawing needs no crossing minimisation or node placement, so coordinates
 * are computed in one pass: lanes are columns, chains are stacked rows, edges run orthogonally from their
 * source row to their target row with a bend in the gap before the target, labels sit above the first segment.
 * elkjs's layered algorithm costs tens of milliseconds for a four-node graph and seconds for a few hundred
 * nodes; this costs microseconds per node. Namespaces of any other shape are left to ELK (layout.ts).
 */
import {
  anchorY,
  type EdgePath,
  edgeLabelWidth,
  edgeText,
  headerHeight,
  METRICS,
  type NodeBox,
  nodeSize,
  type Point,
} from './layout.js';
import { LANES, type TopologyEdge, type TopologyNode } from './model.js';

/** The same spacings as the ELK options in layout.ts, so both layouts read alike. */
export const CHAIN_SPACING = {
  /** Least gap between two columns (ELK's nodeNodeBetweenLayers). */
  betweenLayers: 56,
  /** Room left and right of an edge label, and before the target column. */
  labelPad: 16,
  /** Distance between the vertical segments of edges bending into the same node. */
  track: 8,
  /** Gap between two chains (ELK's spacing.nodeNode). */
  betweenChains: 20,
} as const;

export interface ChainPlacement {
  readonly nodes: NodeBox[];
  readonly edges: EdgePath[];
  /** Extent of the content, from the offsets given. */
  readonly width: number;
  readonly height: number;
}

interface Link {
  readonly source: number;
  readonly target: number;
}

/**
 * Lays out one namespace when all its components are chains, with (ox, oy) as the content's top left; null when
 * one is not (a fan-out, a link inside a lane or to a node outside the namespace), for ELK to lay out.
 */
export function layoutChains(
  members: readonly TopologyNode[],
  edges: readonly TopologyEdge[],
  ox: number,
  oy: number,
): ChainPlacement | null {
  const index = new Map(members.map((n, i) => [n.id, i]));
  const lane = members.map((n) => LANES.indexOf(n.lane));
  const links: Link[] = [];
  for (const e of edges) {
    const source = index.get(e.source);
    const target = index.get(e.target);
    if (source === undefined || target === undefined) return null;
    links.push({ source, target });
  }
  // The layout-only link of layout.ts: a container no link reaches stands beside its workload.
  const reached = new Set(edges.map((e) => e.target));
  for (const n of members) {
    const w = n.workload === undefined ? undefined : index.get(n.workload);
    if (w !== undefined && !reached.has(n.id)) links.push({ source: w, target: index.get(n.id) as number });
  }

  // Components (union-find, the root being the first member in model order).
  const parent = members.map((_, i) => i);
  const find = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r] as number;
    while (parent[i] !== r) {
      const next = parent[i] as number;
      parent[i] = r;
      i = next;
    }
    return r;
  };
  for (const l of links) {
    const a = find(l.source);
    const b = find(l.target);
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  }
  const components = new Map<number, number[]>();
  for (let i = 0; i < members.length; i++) {
    const r = find(i);
    const list = components.get(r);
    if (list) list.push(i);
    else components.set(r, [i]);
  }
  // Chain test: one node per lane, and every link joins a node to the next one in lane order.
  const position = new Map<number, number>();
  for (const list of components.values()) {
    list.sort((a, b) => (lane[a] as number) - (lane[b] as number));
    for (let k = 0; k < list.length; k++) {
      if (k > 0 && lane[list[k] as number] === lane[list[k - 1] as number]) return null;
      position.set(list[k] as number, k);
    }
  }
  for (const l of links) {
    if ((position.get(l.target) as number) !== (position.get(l.source) as number) + 1) return null;
  }
  // Labels of links leaving the same row are drawn at the same place: only when they read the same.
  const labelAt = new Map<string, string>();
  for (const e of edges) {
    if (!e.label) continue;
    const at = `${e.source}\u0000${e.sourcePort ?? ''}`;
    const text = edgeText(e);
    if ((labelAt.get(at) ?? text) !== text) return null;
    labelAt.set(at, text);
  }

  // Columns: as wide as their widest node; a gap wide enough for the labels leaving it and the bends entering
  // the next column.
  const sizes = members.map(nodeSize);
  const used = LANES.map((_, i) => lane.includes(i));
  const colWidth = LANES.map(() => 0);
  members.forEach((_, i) => {
    const l = lane[i] as number;
    colWidth[l] = Math.max(colWidth[l] as number, (sizes[i] as { width: number }).width);
  });
  const labelW = LANES.map(() => 0);
  const bendsInto = new Map<number, number>();
  const tracks = LANES.map(() => 0);
  const trackOf = edges.map((e) => {
    const s = index.get(e.source) as number;
    const t = index.get(e.target) as number;
    if (e.label) labelW[lane[s] as number] = Math.max(labelW[lane[s] as number] as number, edgeLabelWidth(e));
    const k = bendsInto.get(t) ?? 0;
    bendsInto.set(t, k + 1);
    tracks[lane[t] as number] = Math.max(tracks[lane[t] as number] as number, k + 1);
    return k;
  });
  const { betweenLayers, labelPad, track, betweenChains } = CHAIN_SPACING;
  const colX = LANES.map(() => 0);
  let x = 0;
  let prev = -1;
  for (let l = 0; l < LANES.length; l++) {
    if (!used[l]) continue;
    if (prev >= 0) {
      const trackRoom = Math.max(0, (tracks[l] as number) - 1) * track;
      const label = labelW[prev] as number;
      x += Math.max(betweenLayers, labelPad * 2 + label + trackRoom + (label > 0 ? labelPad : 0));
    }
    colX[l] = x;
    x += colWidth[l] as number;
    prev = l;
  }
  const width = x;

  // Rows: one chain after another, in the order their first member comes in the model. Each node is shifted
  // so that the first link into it runs straight (ELK's node placement straightens edges the same way).
  const shift = new Map<number, number>();
  edges.forEach((e) => {
    const s = index.get(e.source) as number;
    const t = index.get(e.target) as number;
    if (shift.has(t)) return;
    const from = anchorY(members[s] as TopologyNode, e.sourcePort);
    shift.set(t, from - anchorY(members[t] as TopologyNode, e.targetPort));
  });
  const boxes: NodeBox[] = new Array(members.length);
  let y = 0;
  for (const list of components.values()) {
    const rel = new Map<number, number>();
    let min = 0;
    let max = 0;
    let prevTop = 0;
    for (const [k, i] of list.entries()) {
      const top = k === 0 ? 0 : prevTop + (shift.get(i) ?? 0);
      rel.set(i, top);
      prevTop = top;
      min = Math.min(min, top);
      max = Math.max(max, top + (sizes[i] as { height: number }).height);
    }
    for (const i of list) {
      const n = members[i] as TopologyNode;
      const { width: w, height: h } = sizes[i] as { width: number; height: number };
      const head = headerHeight(n);
      const top = y + oy + (rel.get(i) as number) - min;
      boxes[i] = {
        node: n,
        x: (colX[lane[i] as number] as number) + ox,
        y: top,
        width: w,
        height: h,
        headerHeight: head,
        rows: n.ports.map((port, r) => ({ port, y: top + head + r * METRICS.rowHeight })),
      };
    }
    y += max - min + betweenChains;
  }
  const height = Math.max(0, y - betweenChains);

  const paths: EdgePath[] = edges.map((e, k) => {
    const from = boxes[index.get(e.source) as number] as NodeBox;
    const to = boxes[index.get(e.target) as number] as NodeBox;
    const start: Point = { x: from.x + from.width, y: from.y + anchorY(from.node, e.sourcePort) };
    const end: Point = { x: to.x, y: to.y + anchorY(to.node, e.targetPort) };
    const bendX = to.x - labelPad - (trackOf[k] as number) * track;
    const points =
      start.y === end.y ? [start, end] : [start, { x: bendX, y: start.y }, { x: bendX, y: end.y }, end];
    if (!e.label) return { edge: e, points };
    const gapStart =
      (colX[LANES.indexOf(from.node.lane)] as number) +
      (colWidth[LANES.indexOf(from.node.lane)] as number) +
      ox;
    return {
      edge: e,
      points,
      label: {
        text: edgeText(e),
        x: gapStart + labelPad,
        y: start.y - METRICS.labelHeight,
        width: edgeLabelWidth(e),
      },
    };
  });
  return { nodes: boxes, edges: paths, width, height };
}
