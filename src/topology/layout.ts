/**
 * Lays the topology out with elkjs (Eclipse Layout Kernel), as Headlamp's resource map does: `layered`, left to
 * right, orthogonal edges, one partition per lane so Ingress, Service, Pods and Containers stand in columns.
 * Each namespace is laid out on its own (no link crosses a namespace) and the namespaces are stacked. Rows are
 * fixed-position ELK ports, so an edge starts and ends at the row it links. Text is measured with a fixed
 * advance per character (the drawing uses a monospace font), so no browser is needed. A namespace made only of
 * chains (one node per lane, the usual Service) is placed directly by layout-chains.ts: ELK costs tens of
 * milliseconds per call and seconds per few hundred nodes, which made 5,000 nodes take most of a minute.
 */
import elkModule from 'elkjs/lib/elk.bundled.js';
import type { ELK as ElkApi, ElkExtendedEdge, ElkNode, ElkPort } from 'elkjs/lib/elk-api.js';
import { layoutChains } from './layout-chains.js';
import {
  indexTopology,
  LANE_TITLES,
  LANES,
  type Lane,
  type Topology,
  type TopologyEdge,
  type TopologyGroup,
  type TopologyNode,
  type TopologyPort,
} from './model.js';

type ElkCtor = new () => ElkApi;
/** The bundled build runs in-process (no worker); its CommonJS export is the constructor, also as `.default`. */
const ELK = ((elkModule as unknown as { default?: ElkCtor }).default ?? elkModule) as unknown as ElkCtor;

export const METRICS = {
  fontSize: 12,
  /** Advance of one character of the monospace font at fontSize (0.6 em). */
  charWidth: 7.2,
  lineHeight: 16,
  rowHeight: 18,
  padX: 10,
  padY: 6,
  minNodeWidth: 150,
  /** Longer texts are cut with `…` (the full text stays in the element's tooltip). */
  maxChars: 48,
  /** Room for the ✖ / ⚠ / ℹ mark at the right of a line. */
  markWidth: 18,
  labelFontSize: 11,
  labelCharWidth: 6.6,
  labelHeight: 14,
  namespacePad: 16,
  /** Namespace title and lane titles. */
  namespaceHeader: 48,
  namespaceGap: 20,
} as const;

export function truncate(text: string, max: number = METRICS.maxChars): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const textWidth = (s: string, charWidth: number = METRICS.charWidth) => [...s].length * charWidth;

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface RowBox {
  readonly port: TopologyPort;
  /** Top of the row (absolute). */
  readonly y: number;
}

export interface NodeBox {
  readonly node: TopologyNode;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Height of the title and detail lines; rows start below it. */
  readonly headerHeight: number;
  readonly rows: readonly RowBox[];
}

export interface EdgePath {
  readonly edge: TopologyEdge;
  /** Start, bend points, end (absolute); consecutive points differ in x or in y only. */
  readonly points: readonly Point[];
  readonly label?: { readonly text: string; readonly x: number; readonly y: number; readonly width: number };
}

export interface NamespaceBox {
  readonly group: TopologyGroup;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly lanes: readonly { readonly lane: Lane; readonly title: string; readonly x: number }[];
}

export interface TopologyLayout {
  readonly width: number;
  readonly height: number;
  readonly namespaces: readonly NamespaceBox[];
  readonly nodes: readonly NodeBox[];
  readonly edges: readonly EdgePath[];
}

export function headerHeight(n: TopologyNode): number {
  return METRICS.padY * 2 + (1 + n.detail.length) * METRICS.lineHeight;
}

export function nodeSize(n: TopologyNode): { width: number; height: number } {
  const texts = [n.label, ...n.detail, ...n.ports.map((p) => p.label)].map((s) => truncate(s));
  const widest = Math.max(...texts.map((s) => textWidth(s)));
  const width = Math.max(METRICS.minNodeWidth, Math.ceil(widest + METRICS.padX * 2 + METRICS.markWidth));
  const rows = n.ports.length;
  return { width, height: headerHeight(n) + rows * METRICS.rowHeight + (rows > 0 ? METRICS.padY : 0) };
}

const IN = '\u0000in';
/** Ids of layout-only edges; no model id starts with a NUL. */
const HIDDEN = '\u0000layout:';
const OUT = '\u0000out';

/** The y of an element's anchor inside its node: a row's middle, or the title's. */
export function anchorY(n: TopologyNode, portId: string | undefined): number {
  const i = portId ? n.ports.findIndex((p) => p.id === portId) : -1;
  if (i < 0) return METRICS.padY + METRICS.lineHeight / 2;
  return headerHeight(n) + i * METRICS.rowHeight + METRICS.rowHeight / 2;
}

const LAYOUT_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.partitioning.activate': 'true',
  // One layering for the whole namespace, so the lane partitions line up.
  'elk.separateConnectedComponents': 'false',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.spacing.nodeNodeBetweenLayers': '56',
  'elk.layered.spacing.edgeNodeBetweenLayers': '16',
  'elk.spacing.nodeNode': '20',
  'elk.spacing.edgeEdge': '8',
  'elk.spacing.edgeLabel': '2',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.padding': '[top=0,left=0,bottom=0,right=0]',
};

/** The ELK graph of one namespace. */
function elkGraph(nodes: readonly TopologyNode[], edges: readonly TopologyEdge[], id: string): ElkNode {
  const used = new Map<string, Set<string>>();
  const use = (node: string, port: string) => {
    const set = used.get(node) ?? new Set<string>();
    set.add(port);
    used.set(node, set);
  };
  // Layout-only links (never drawn): a container no link reaches still stands beside its workload.
  const reached = new Set(edges.map((e) => e.target));
  const present = new Set(nodes.map((n) => n.id));
  const hidden = nodes
    .filter((n) => n.workload && present.has(n.workload) && !reached.has(n.id))
    .map((n) => ({ source: n.workload as string, target: n.id }));
  for (const e of edges) {
    use(e.source, `${e.sourcePort ?? e.source}${OUT}`);
    use(e.target, `${e.targetPort ?? e.target}${IN}`);
  }
  for (const h of hidden) {
    use(h.source, `${h.source}${OUT}`);
    use(h.target, `${h.target}${IN}`);
  }
  const children: ElkNode[] = nodes.map((n) => {
    const { width, height } = nodeSize(n);
    const ports: ElkPort[] = [...(used.get(n.id) ?? [])].map((pid) => {
      const out = pid.endsWith(OUT);
      const element = pid.slice(0, -(out ? OUT.length : IN.length));
      return {
        id: pid,
        width: 0,
        height: 0,
        x: out ? width : 0,
        y: anchorY(n, element === n.id ? undefined : element),
        layoutOptions: { 'elk.port.side': out ? 'EAST' : 'WEST' },
      };
    });
    return {
      id: n.id,
      width,
      height,
      ports,
      layoutOptions: {
        'elk.portConstraints': 'FIXED_POS',
        'elk.partitioning.partition': String(LANES.indexOf(n.lane)),
      },
    };
  });
  const elkEdges: ElkExtendedEdge[] = edges.map((e) => ({
    id: e.id,
    sources: [`${e.sourcePort ?? e.source}${OUT}`],
    targets: [`${e.targetPort ?? e.target}${IN}`],
    labels: e.label
      ? [
          {
            text: e.label,
            width: edgeLabelWidth(e),
            height: METRICS.labelHeight,
          },
        ]
      : [],
  }));
  for (const h of hidden) {
    elkEdges.push({
      id: `${HIDDEN}${h.target}`,
      sources: [`${h.source}${OUT}`],
      targets: [`${h.target}${IN}`],
    });
  }
  return { id, layoutOptions: LAYOUT_OPTIONS, children, edges: elkEdges };
}

/** The text an edge label shows: its ports, and how many links it stands for. */
export function edgeText(e: TopologyEdge): string {
  return e.count && e.count > 1 ? `${e.label} ×${e.count}` : e.label;
}

/** The width an edge label takes (at most 40 characters drawn). */
export function edgeLabelWidth(e: TopologyEdge): number {
  return textWidth(truncate(edgeText(e), 40), METRICS.labelCharWidth) + 6;
}

function pointsOf(e: ElkExtendedEdge, dx: number, dy: number): Point[] {
  const out: Point[] = [];
  for (const s of e.sections ?? []) {
    for (const p of [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]) {
      const q = { x: p.x + dx, y: p.y + dy };
      const last = out[out.length - 1];
      if (!last || last.x !== q.x || last.y !== q.y) out.push(q);
    }
  }
  return out;
}

/** Whether two boxes come closer than the node spacing. */
const overlaps = (a: NodeBox, b: NodeBox, gap = 12) =>
  a.x < b.x + b.width + gap &&
  b.x < a.x + a.width + gap &&
  a.y < b.y + b.height + gap &&
  b.y < a.y + a.height + gap;

/**
 * A node no drawn link touches (a container no Service port reaches) may sit a layer apart from its lane: the
 * labels of linked chains take a layer of their own. Move it to the column most of its lane stands in, when
 * that overlaps nothing; its links are layout-only, so no route changes.
 */
function alignUnlinked(boxes: NodeBox[], linked: ReadonlySet<string>): void {
  boxes.forEach((b, i) => {
    if (linked.has(b.node.id)) return;
    const counts = new Map<number, number>();
    for (const p of boxes)
      if (p.node.lane === b.node.lane && linked.has(p.node.id)) counts.set(p.x, (counts.get(p.x) ?? 0) + 1);
    const best = [...counts].sort((x, y) => y[1] - x[1] || y[0] - x[0])[0]?.[0];
    if (best === undefined || best === b.x) return;
    const moved = { ...b, x: best };
    if (boxes.some((o, j) => j !== i && overlaps(moved, o))) return;
    boxes[i] = moved;
  });
}

/** The lane titles of a namespace, over the leftmost node of each lane. */
function laneTitles(laneX: ReadonlyMap<Lane, number>): NamespaceBox['lanes'] {
  return LANES.filter((l) => laneX.has(l)).map((l) => ({
    lane: l,
    title: LANE_TITLES[l],
    x: laneX.get(l) as number,
  }));
}

/** Lays out every namespace and stacks them; resolves once ELK is done. */
export async function layoutTopology(t: Topology): Promise<TopologyLayout> {
  // Made on first need: a drawing of chains only never starts ELK.
  let elk: ElkApi | undefined;
  const ix = indexTopology(t);
  const namespaces: NamespaceBox[] = [];
  const nodes: NodeBox[] = [];
  const edges: EdgePath[] = [];
  const edgesByNs = new Map<string, TopologyEdge[]>();
  const edgeById = new Map(t.edges.map((e) => [e.id, e]));
  for (const e of t.edges) {
    const ns = ix.node.get(e.source)?.namespace ?? '';
    const list = edgesByNs.get(ns);
    if (list) list.push(e);
    else edgesByNs.set(ns, [e]);
  }
  let y = 0;
  let width = 0;
  for (const group of t.groups) {
    const members = group.nodes.map((id) => ix.node.get(id)).filter((n): n is TopologyNode => !!n);
    if (members.length === 0) continue;
    const nsEdges = edgesByNs.get(group.namespace) ?? [];
    const ox = METRICS.namespacePad;
    const oy = y + METRICS.namespaceHeader;
    const laneX = new Map<Lane, number>();
    // Chains are placed directly (layout-chains.ts); ELK only lays out namespaces of another shape.
    const chains = layoutChains(members, nsEdges, ox, oy);
    if (chains) {
      for (const b of chains.nodes) {
        nodes.push(b);
        laneX.set(b.node.lane, Math.min(laneX.get(b.node.lane) ?? Number.POSITIVE_INFINITY, b.x));
      }
      edges.push(...chains.edges);
      const w = chains.width + METRICS.namespacePad * 2;
      const h = METRICS.namespaceHeader + chains.height + METRICS.namespacePad;
      namespaces.push({ group, x: 0, y, width: w, height: h, lanes: laneTitles(laneX) });
      width = Math.max(width, w);
      y += h + METRICS.namespaceGap;
      continue;
    }
    elk ??= new ELK();
    const laid = await elk.layout(elkGraph(members, nsEdges, group.id));
    const boxes: NodeBox[] = [];
    for (const c of laid.children ?? []) {
      const n = ix.node.get(c.id) as TopologyNode;
      const top = (c.y ?? 0) + oy;
      const h = headerHeight(n);
      boxes.push({
        node: n,
        x: (c.x ?? 0) + ox,
        y: top,
        width: c.width ?? 0,
        height: c.height ?? 0,
        headerHeight: h,
        rows: n.ports.map((port, i) => ({ port, y: top + h + i * METRICS.rowHeight })),
      });
    }
    const linked = new Set((edgesByNs.get(group.namespace) ?? []).flatMap((e) => [e.source, e.target]));
    alignUnlinked(boxes, linked);
    for (const b of boxes) {
      nodes.push(b);
      laneX.set(b.node.lane, Math.min(laneX.get(b.node.lane) ?? Number.POSITIVE_INFINITY, b.x));
    }
    const right = Math.max(0, ...boxes.map((b) => b.x + b.width - ox));
    for (const e of laid.edges ?? []) {
      const edge = edgeById.get(e.id);
      if (!edge) continue;
      const l = e.labels?.[0];
      edges.push({
        edge,
        points: pointsOf(e, ox, oy),
        ...(l && edge.label
          ? { label: { text: edgeText(edge), x: (l.x ?? 0) + ox, y: (l.y ?? 0) + oy, width: l.width ?? 0 } }
          : {}),
      });
    }
    const w = Math.max(laid.width ?? 0, right) + METRICS.namespacePad * 2;
    const h = METRICS.namespaceHeader + (laid.height ?? 0) + METRICS.namespacePad;
    namespaces.push({
      group,
      x: 0,
      y,
      width: w,
      height: h,
      lanes: laneTitles(laneX),
    });
    width = Math.max(width, w);
    y += h + METRICS.namespaceGap;
  }
  // Every namespace box as wide as the widest, so the page reads as one column.
  const boxes = namespaces.map((n) => ({ ...n, width }));
  return { width, height: Math.max(0, y - METRICS.namespaceGap), namespaces: boxes, nodes, edges };
}
