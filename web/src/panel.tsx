/**
 * The side panel: what is selected (a node with its rows, or a link), every finding on it with its message,
 * rule, file:line and fix, and the trace a click ran (hops and verdict). With nothing selected, the list of
 * findings; a finding that is drawn selects its element.
 */
import type { JSX } from 'preact';
import { severityMark, type TopologyFinding, type TopologyIndex } from '../../src/topology/model.js';
import type { TraceHop } from '../../src/trace/model.js';
import type { GraphPayload, TracePayload } from '../../src/ui/api.js';
import type { Selection } from './diagram.js';
import { findingsOf, KIND_NAMES, locationText, nodeFindings, severityWord } from './format.js';

export type TraceState =
  | { readonly target: string; readonly status: 'loading' }
  | { readonly target: string; readonly status: 'done'; readonly result: TracePayload }
  | { readonly target: string; readonly status: 'failed'; readonly error: string };

function FindingItem(props: { f: TopologyFinding; onShow?: (f: TopologyFinding) => void }): JSX.Element {
  const { f } = props;
  const loc = locationText(f);
  return (
    <li class={`finding ${f.severity}`}>
      <div>
        <span class="sev">{severityWord(f.severity)}</span> <code class="rule">{f.rule}</code>
      </div>
      <div class="message">{f.message}</div>
      {loc ? <div class="loc">{loc}</div> : null}
      {f.fix ? <div class="fix">fix: {f.fix}</div> : null}
      {props.onShow && f.targets.length > 0 ? (
        <button type="button" class="link" onClick={() => props.onShow?.(f)}>
          show in the drawing
        </button>
      ) : null}
    </li>
  );
}

const HOP_MARK: Readonly<Record<TraceHop['status'], string>> = { ok: '✔', broken: '✖', unknown: '?' };

function TraceView(props: { trace: TraceState }): JSX.Element {
  const t = props.trace;
  if (t.status === 'loading') return <p class="trace-status">tracing {t.target}…</p>;
  if (t.status === 'failed')
    return (
      <p class="trace-status failed" role="alert">
        ✖ trace {t.target}: {t.error}
      </p>
    );
  const r = t.result.trace;
  const ok = r.verdict === 'delivered';
  return (
    <section class="trace" aria-label="trace">
      <h3>
        trace <code>{r.request.target}</code>
      </h3>
      <p class={`verdict ${ok ? 'ok' : 'bad'}`} data-verdict={r.verdict} role="status">
        {ok ? '✔' : '✖'} {r.verdict}
      </p>
      {r.brokenAt ? (
        <p class="broken-at">
          breaks at {r.brokenAt.kind}: {r.brokenAt.reason}
          {r.brokenAt.rule ? ` [${r.brokenAt.rule}]` : ''}
          {r.brokenAt.location ? ` at ${r.brokenAt.location.file}:${r.brokenAt.location.line}` : ''}
          {r.brokenAt.fix ? <span class="fix"> fix: {r.brokenAt.fix}</span> : null}
        </p>
      ) : null}
      <ol class="hops">
        {r.hops.map((h, i) => (
          <li key={i} class={`hop ${h.status} depth-${Math.min(h.depth, 3)}`}>
            <span class="hop-mark">{HOP_MARK[h.status]}</span> {h.summary}
          </li>
        ))}
      </ol>
    </section>
  );
}

export interface PanelProps {
  readonly payload: GraphPayload;
  readonly ix: TopologyIndex;
  readonly selection: Selection;
  readonly trace: TraceState | null;
  readonly onClose: () => void;
  readonly onShowFinding: (f: TopologyFinding) => void;
  readonly onTrace: (target: string, protocol: string) => void;
  /** Namespaces folded in the drawing. */
  readonly folded: readonly string[];
  /** Draws a folded namespace (null: one node per folded namespace). */
  readonly onExpand: (namespace: string | null) => void;
}

/** The namespaces folded into one node, each a button that draws it. */
function FoldedList(props: {
  folded: readonly string[];
  onExpand: (ns: string | null) => void;
}): JSX.Element {
  const shown = props.folded.slice(0, 500);
  return (
    <div class="folded">
      <h3>{props.folded.length} namespaces with no error or warning</h3>
      {props.folded.length <= 100 ? (
        <button type="button" onClick={() => props.onExpand(null)}>
          one node per namespace
        </button>
      ) : null}
      <ul class="folded-list">
        {shown.map((ns) => (
          <li key={ns}>
            <button type="button" class="link" data-namespace={ns} onClick={() => props.onExpand(ns)}>
              draw {ns}
            </button>
          </li>
        ))}
      </ul>
      {props.folded.length > shown.length ? <p class="muted">… search by name to find the others</p> : null}
    </div>
  );
}

export function Panel(props: PanelProps): JSX.Element {
  const { ix, selection, payload } = props;
  const node = selection?.kind === 'node' ? ix.node.get(selection.id) : undefined;
  const edge = selection?.kind === 'edge' ? ix.edge.get(selection.id) : undefined;
  let body: JSX.Element;
  if (node) {
    const list = nodeFindings(ix, node);
    const target = payload.targets[node.id];
    body = (
      <div>
        <h2>
          {node.label} <span class="kind">({KIND_NAMES[node.kind]})</span>
        </h2>
        {node.namespace ? <p class="muted">namespace {node.namespace}</p> : null}
        <ul class="details">
          {node.detail.map((d, i) => (
            <li key={i}>{d}</li>
          ))}
        </ul>
        {node.location ? (
          <p class="loc">
            {node.location.file}:{node.location.line}
          </p>
        ) : null}
        {node.ports.length > 0 ? (
          <ul class="rows">
            {node.ports.slice(0, 50).map((p) => (
              <li key={p.id}>
                {p.label} {p.findings.length > 0 ? severityMark(ix.severityOf(p.findings)) : ''}
                {p.detail ? <div class="muted">{p.detail}</div> : null}
              </li>
            ))}
          </ul>
        ) : null}
        {target ? (
          <button type="button" onClick={() => props.onTrace(target.target, target.protocol)}>
            trace {target.target}
          </button>
        ) : null}
        <h3>{list.length === 0 ? 'no finding' : `${list.length} finding${list.length === 1 ? '' : 's'}`}</h3>
        <ol class="findings">
          {list.map((f) => (
            <FindingItem key={f.id} f={f} />
          ))}
        </ol>
        {node.id === 'summary/namespaces' ? (
          <FoldedList folded={props.folded} onExpand={props.onExpand} />
        ) : null}
      </div>
    );
  } else if (edge) {
    const list = findingsOf(ix, edge.findings);
    body = (
      <div>
        <h2>link {edge.label}</h2>
        <p>
          {ix.node.get(edge.source)?.label ?? edge.source} → {ix.node.get(edge.target)?.label ?? edge.target}
          {edge.count && edge.count > 1 ? ` (×${edge.count})` : ''}
        </p>
        <h3>{list.length === 0 ? 'no finding' : `${list.length} finding${list.length === 1 ? '' : 's'}`}</h3>
        <ol class="findings">
          {list.map((f) => (
            <FindingItem key={f.id} f={f} />
          ))}
        </ol>
      </div>
    );
  } else {
    const all = payload.topology.findings.filter((f) => f.severity !== 'info');
    const shown = all.slice(0, 200);
    body = (
      <div>
        <h2>findings</h2>
        <p class="muted">
          {all.length === 0 ? 'no error or warning' : `${all.length} errors and warnings`}
          {all.length > shown.length ? ` (first ${shown.length} listed)` : ''}
        </p>
        <ol class="findings">
          {shown.map((f) => (
            <FindingItem key={f.id} f={f} onShow={props.onShowFinding} />
          ))}
        </ol>
      </div>
    );
  }
  return (
    <aside class="panel" aria-label="details">
      {selection || props.trace ? (
        <button type="button" class="close" aria-label="close the panel (Escape)" onClick={props.onClose}>
          ×
        </button>
      ) : null}
      {props.trace ? <TraceView trace={props.trace} /> : null}
      {body}
    </aside>
  );
}
