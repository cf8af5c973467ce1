/**
 * The drawing: namespaces stacked, lanes left to right (Ingress -> Service -> Pods -> Containers), each link
 * labelled with its ports. A broken link is red (amber for a warning), dashed, and its label starts with ✖ or
 * ⚠; the traced path is thick and marked ▶. Every node is a button (Tab, arrows, Enter) with an aria-label;
 * every link has one too. All text is rendered as text nodes (Preact escapes it), never as markup.
 */
import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { METRICS, NodeBox, TopologyLayout } from '../../src/topology/layout.js';
import { isBroken, severityMark, type TopologyIndex } from '../../src/topology/model.js';
import type { TrafficPayload } from '../../src/ui/api.js';
import { clip, edgeAriaLabel, findingsOf, liveText, nodeAriaLabel, tooltip } from './format.js';
import type { DrawnPath } from './trace-view.js';

export type Selection = { readonly kind: 'node' | 'edge'; readonly id: string } | null;

export interface DiagramProps {
  readonly layout: TopologyLayout;
  /** The metrics the layout was computed with (src/topology/layout.ts METRICS, sent by the worker). */
  readonly metrics: typeof METRICS;
  readonly ix: TopologyIndex;
  readonly zoom: number;
  readonly selection: Selection;
  readonly path: DrawnPath;
  readonly matches: ReadonlySet<string>;
  readonly traffic: TrafficPayload | null;
  /** Focus moves to this node when the request changes (keyboard navigation, Escape). */
  readonly focusRequest: { readonly id: string; readonly seq: number } | null;
  readonly onActivate: (kind: 'node' | 'edge', id: string, port?: string) => void;
  readonly onNavigate: (id: string) => void;
  /** A node got the focus (to give it back after Escape). */
  readonly onFocused: (id: string) => void;
  readonly onEscape: () => void;
}

const pointsText = (pts: readonly { x: number; y: number }[]) =>
  pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');

/** The node the arrow key leads to: along links first, then the nearest box in that direction. */
function neighbour(
  layout: TopologyLayout,
  ix: TopologyIndex,
  from: NodeBox,
  key: string,
): string | undefined {
  const boxes = layout.nodes;
  const cx = (b: NodeBox) => b.x + b.width / 2;
  const cy = (b: NodeBox) => b.y + b.height / 2;
  const box = (id: string) => boxes.find((b) => b.node.id === id);
  if (key === 'ArrowRight' || key === 'ArrowLeft') {
    const linked =
      key === 'ArrowRight'
        ? ix.outgoing(from.node.id).map((e) => e.target)
        : ix.incoming(from.node.id).map((e) => e.source);
    const first = linked
      .map(box)
      .filter((b): b is NodeBox => !!b)
      .sort((a, b) => Math.abs(cy(a) - cy(from)) - Math.abs(cy(b) - cy(from)))[0];
    if (first) return first.node.id;
  }
  const dir = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowDown: [0, 1], ArrowUp: [0, -1] }[key];
  if (!dir) return undefined;
  const [dx, dy] = dir as [number, number];
  let best: { id: string; d: number } | undefined;
  for (const b of boxes) {
    if (b === from) continue;
    const ddx = cx(b) - cx(from);
    const ddy = cy(b) - cy(from);
    const along = ddx * dx + ddy * dy;
    if (along <= 1) continue;
    const across = Math.abs(dx !== 0 ? ddy : ddx);
    const d = along + across * 3;
    if (!best || d < best.d) best = { id: b.node.id, d };
  }
  return best?.id;
}

export function Diagram(props: DiagramProps): JSX.Element {
  const { layout, ix, zoom, selection, path, matches, traffic } = props;
  const refs = useRef(new Map<string, SVGGElement>());
  const request = props.focusRequest;
  useEffect(() => {
    if (!request) return;
    const el = refs.current.get(request.id);
    el?.focus();
    el?.scrollIntoView?.({ block: 'nearest', inline: 'nearest' });
  }, [request]);
  const notReady = new Set(traffic?.notReady ?? []);
  const M = props.metrics;
  const truncate = (text: string, max: number = M.maxChars) => clip(text, max);

  const onKey = (b: NodeBox) => (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      props.onActivate('node', b.node.id);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      props.onEscape();
    } else if (e.key.startsWith('Arrow')) {
      const next = neighbour(layout, ix, b, e.key);
      e.preventDefault();
      if (next) props.onNavigate(next);
    }
  };

  return (
    // biome-ignore lint/a11y/useSemanticElements: SVG has no <fieldset>; a role is how SVG groups are named
    <svg
      class="diagram"
      xmlns="http://www.w3.org/2000/svg"
      width={Math.ceil(layout.width * zoom) + 8}
      height={Math.ceil(layout.height * zoom) + 8}
      viewBox={`-4 -4 ${layout.width + 8} ${layout.height + 8}`}
      role="group"
      aria-label="port chain topology"
    >
      <defs>
        <Arrow id="arrow" cls="arrow" size={7} />
        <Arrow id="arrow-broken" cls="arrow broken" size={7} />
        <Arrow id="arrow-traced" cls="arrow traced" size={6} />
      </defs>
      {layout.namespaces.map((ns) => (
        <g class="namespace" key={ns.group.id}>
          <rect x={ns.x} y={ns.y} width={ns.width} height={ns.height} rx="6" />
          <text class="ns-title" x={ns.x + 10} y={ns.y + 18}>
            {ns.group.label}
            {ns.group.findings.length > 0 ? ` ${severityMark(ix.severityOf(ns.group.findings))}` : ''}
          </text>
          {ns.lanes.map((l) => (
            <text class="lane-title" key={l.lane} x={l.x} y={ns.y + 38}>
              {l.title}
            </text>
          ))}
        </g>
      ))}
      {layout.edges.map((p) => {
        const e = p.edge;
        const sev = ix.severityOf(e.findings);
        const broken = isBroken(sev);
        const down = !broken && !!e.targetPort && notReady.has(e.targetPort);
        const traced = path.edges.has(e.id);
        const tracedBroken = path.broken.has(e.id);
        const live = liveText(traffic?.edges[e.id]);
        const cls = [
          'edge',
          broken ? `broken ${sev}` : '',
          down ? 'broken notready' : '',
          traced ? 'traced' : '',
          tracedBroken ? 'trace-broken' : '',
          selection?.kind === 'edge' && selection.id === e.id ? 'selected' : '',
        ].join(' ');
        const mark = broken ? `${severityMark(sev)} ` : down ? '✖ ' : traced ? '▶ ' : '';
        const text = `${mark}${truncate(p.label?.text ?? '', 40)}${down ? ' (not ready)' : ''}`;
        const list = findingsOf(ix, e.findings);
        return (
          // biome-ignore lint/a11y/useSemanticElements: SVG has no <button>; role and aria-label name the link
          <g
            key={e.id}
            class={cls}
            data-id={e.id}
            data-kind="edge"
            role="button"
            aria-label={edgeAriaLabel(ix, e, down)}
            onClick={() => props.onActivate('edge', e.id)}
          >
            <title>
              {tooltip(`${p.label?.text ?? e.label}${down ? ' — endpoint not ready' : ''}`, list)}
            </title>
            <path class="hit" d={pointsText(p.points)} />
            <path
              class="line"
              d={pointsText(p.points)}
              marker-end={`url(#${broken || down ? 'arrow-broken' : traced ? 'arrow-traced' : 'arrow'})`}
            />
            {p.label ? (
              <g class="label">
                <rect
                  x={p.label.x - 2}
                  y={p.label.y - 1}
                  width={Math.max(p.label.width, text.length * M.labelCharWidth) + 4}
                  height={M.labelHeight + (live ? M.labelHeight : 0) + 2}
                  rx="3"
                />
                <text x={p.label.x + 1} y={p.label.y + M.labelHeight - 3}>
                  {text}
                </text>
                {live ? (
                  <text class="live" x={p.label.x + 1} y={p.label.y + 2 * M.labelHeight - 3}>
                    {live}
                  </text>
                ) : null}
              </g>
            ) : null}
          </g>
        );
      })}
      {layout.nodes.map((b) => {
        const n = b.node;
        const sev = ix.nodeSeverity(n);
        const own = findingsOf(ix, [...n.findings, ...n.ports.flatMap((p) => p.findings)]);
        const selected = selection?.kind === 'node' && selection.id === n.id;
        const cls = [
          'node',
          `kind-${n.kind}`,
          sev ? `sev-${sev}` : '',
          path.nodes.has(n.id) ? 'traced' : '',
          path.broken.has(n.id) ? 'trace-broken' : '',
          matches.has(n.id) ? 'match' : '',
          selected ? 'selected' : '',
        ].join(' ');
        return (
          // biome-ignore lint/a11y/useSemanticElements: SVG has no <button>; the node is focusable with a role
          <g
            key={n.id}
            class={cls}
            data-id={n.id}
            data-kind={n.kind}
            tabIndex={0}
            role="button"
            aria-label={nodeAriaLabel(ix, n)}
            aria-pressed={selected}
            ref={(el) => {
              if (el) refs.current.set(n.id, el);
              else refs.current.delete(n.id);
            }}
            onClick={(ev) => {
              // A click on a row (a Service port, an Ingress path) traces that row.
              const row = (ev.target as Element).closest('[data-port]')?.getAttribute('data-port');
              props.onActivate('node', n.id, row ?? undefined);
            }}
            onKeyDown={onKey(b)}
            onFocus={() => props.onFocused(n.id)}
          >
            <title>{tooltip([n.label, ...n.detail].join('\n'), own)}</title>
            <rect
              class="focus-ring"
              x={b.x - 4}
              y={b.y - 4}
              width={b.width + 8}
              height={b.height + 8}
              rx="8"
            />
            <rect class="box" x={b.x} y={b.y} width={b.width} height={b.height} rx="4" />
            <text class="title" x={b.x + M.padX} y={b.y + M.padY + M.fontSize}>
              {truncate(n.label)}
            </text>
            {sev ? (
              <text class={`mark ${sev}`} x={b.x + b.width - M.markWidth + 2} y={b.y + M.padY + M.fontSize}>
                {severityMark(sev)}
              </text>
            ) : null}
            {n.detail.map((d, i) => (
              <text
                key={i}
                class="detail"
                x={b.x + M.padX}
                y={b.y + M.padY + M.fontSize + (i + 1) * M.lineHeight}
              >
                {truncate(d)}
              </text>
            ))}
            {b.rows.map((r) => {
              const rsev = ix.severityOf(r.port.findings);
              const live = liveText(traffic?.ports[r.port.id]);
              const down = notReady.has(r.port.id);
              const rcls = [
                'row',
                rsev ? `sev-${rsev}` : '',
                path.ports.has(r.port.id) ? 'traced' : '',
                path.broken.has(r.port.id) ? 'trace-broken' : '',
                down ? 'notready' : '',
              ].join(' ');
              return (
                <g key={r.port.id} class={rcls} data-port={r.port.id}>
                  <title>
                    {tooltip(
                      [r.port.label, r.port.detail ?? ''].filter(Boolean).join('\n'),
                      findingsOf(ix, r.port.findings),
                    )}
                  </title>
                  <rect x={b.x + 1} y={r.y} width={b.width - 2} height={M.rowHeight} />
                  <text x={b.x + M.padX} y={r.y + M.rowHeight - 5}>
                    {truncate(r.port.label)}
                    {down ? ' ✖ not ready' : ''}
                    {live ? ` · ${live}` : ''}
                  </text>
                  {rsev ? (
                    <text
                      class={`mark ${rsev}`}
                      x={b.x + b.width - M.markWidth + 2}
                      y={r.y + M.rowHeight - 5}
                    >
                      {severityMark(rsev)}
                    </text>
                  ) : null}
                </g>
              );
            })}
          </g>
        );
      })}
    </svg>
  );
}

/** An arrowhead for the links (plain, broken, traced): the marker each link's `marker-end` names. */
function Arrow({ id, cls, size }: { id: string; cls: string; size: number }) {
  return (
    <marker
      id={id}
      viewBox="0 0 10 10"
      refX="9"
      refY="5"
      markerWidth={size}
      markerHeight={size}
      orient="auto-start-reverse"
    >
      <path d="M0,0 L10,5 L0,10 z" class={cls} />
    </marker>
  );
}
