/**
 * The page: loads the model (GET /api/graph), hands it to the layout worker with the view the user chose, draws
 * what comes back, traces on click (GET /api/trace), and listens to the server's events (reload, live traffic).
 */
import type { JSX } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { METRICS, TopologyLayout } from '../../src/topology/layout.js';
import { indexTopology, type TopologyFinding } from '../../src/topology/model.js';
import type { GroupMode } from '../../src/topology/simplify.js';
import type { GraphPayload, TracePayload, TrafficPayload } from '../../src/ui/api.js';
import { Diagram, type Selection } from './diagram.js';
import { plural } from './format.js';
import { Panel, type TraceState } from './panel.js';
import { drawnPath, EMPTY_PATH } from './trace-view.js';
import { DEFAULT_VIEW, type MinSeverity, type ViewRequest, type ViewResult } from './view.js';
import type { WorkerAnswer, WorkerRequest } from './worker.js';

interface Drawn {
  readonly view: ViewResult;
  readonly layout: TopologyLayout;
  readonly metrics: typeof METRICS;
  readonly viewMs: number;
  readonly layoutMs: number;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { cache: 'no-store' });
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

const GROUP_LABELS: Readonly<Record<GroupMode, string>> = {
  auto: 'auto (by size)',
  none: 'none (everything)',
  workloads: 'pods by workload',
  namespaces: 'sound namespaces folded',
};

export function App(): JSX.Element {
  const [payload, setPayload] = useState<GraphPayload | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [req, setReq] = useState<ViewRequest>(DEFAULT_VIEW);
  const [drawn, setDrawn] = useState<Drawn | null>(null);
  const [selection, setSelection] = useState<Selection>(null);
  const [trace, setTrace] = useState<TraceState | null>(null);
  const [traffic, setTraffic] = useState<TrafficPayload | null>(null);
  const [zoom, setZoom] = useState(1);
  const [focusRequest, setFocusRequest] = useState<{ id: string; seq: number } | null>(null);
  const [searchText, setSearchText] = useState('');
  const [status, setStatus] = useState('loading…');
  const [reloaded, setReloaded] = useState<string | null>(null);
  const worker = useRef<Worker | null>(null);
  const seq = useRef(0);
  const lastFocused = useRef<string | null>(null);
  const traceTarget = useRef<string | null>(null);

  const fullIx = useMemo(() => (payload ? indexTopology(payload.topology) : null), [payload]);
  const ix = useMemo(() => (drawn ? indexTopology(drawn.view.topology) : null), [drawn]);

  const runTrace = useCallback(async (target: string, protocol = 'TCP') => {
    traceTarget.current = target;
    setTrace({ target, status: 'loading' });
    try {
      const q = new URLSearchParams({ target, protocol: protocol.toLowerCase() });
      const result = await getJson<TracePayload>(`/api/trace?${q}`);
      if (traceTarget.current === target) setTrace({ target, status: 'done', result });
    } catch (e) {
      if (traceTarget.current === target) setTrace({ target, status: 'failed', error: (e as Error).message });
    }
  }, []);

  const load = useCallback(async () => {
    try {
      const p = await getJson<GraphPayload>('/api/graph');
      setPayload(p);
      setError(null);
      worker.current?.postMessage({ type: 'load', topology: p.topology } satisfies WorkerRequest);
      setReq((r) => ({ ...r }));
      return p;
    } catch (e) {
      setError((e as Error).message);
      return null;
    }
  }, []);

  // The worker, the model, the server's events.
  useEffect(() => {
    const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    worker.current = w;
    w.onmessage = (e: MessageEvent<WorkerAnswer>) => {
      const a = e.data;
      if ((a.type !== 'view' && a.type !== 'error') || a.seq !== seq.current) return;
      if (a.type === 'error') {
        setError(`layout: ${a.message}`);
        return;
      }
      setDrawn({
        view: a.view,
        layout: a.layout,
        metrics: a.metrics,
        viewMs: a.viewMs,
        layoutMs: a.layoutMs,
      });
    };
    void load();
    const events = new EventSource('/api/events');
    events.onopen = () => document.body.setAttribute('data-events', 'open');
    events.onerror = () => document.body.setAttribute('data-events', 'retrying');
    events.addEventListener('reload', () => {
      void load().then((p) => {
        if (!p) return;
        setReloaded(`reloaded at ${new Date().toLocaleTimeString()} (version ${p.version})`);
        const t = traceTarget.current;
        if (t) void runTrace(t);
      });
    });
    events.addEventListener('traffic', (e) =>
      setTraffic(JSON.parse((e as MessageEvent<string>).data) as TrafficPayload),
    );
    return () => {
      events.close();
      w.terminate();
    };
  }, [load, runTrace]);

  // Every change of the view asks the worker for a new drawing.
  useEffect(() => {
    if (!payload || !worker.current) return;
    seq.current++;
    worker.current.postMessage({ type: 'view', seq: seq.current, request: req } satisfies WorkerRequest);
  }, [req, payload]);

  // Search as you type, without a layout per key stroke.
  useEffect(() => {
    const t = setTimeout(
      () => setReq((r) => (r.search === searchText ? r : { ...r, search: searchText })),
      200,
    );
    return () => clearTimeout(t);
  }, [searchText]);

  useEffect(() => {
    if (!drawn || !payload) return;
    const s = drawn.view.topology.simplified;
    const folded = s
      ? [
          s.workloads > 0 ? `${plural(s.workloads, 'workload')} as one row` : '',
          s.namespaces.length > 0 ? `${plural(s.namespaces.length, 'sound namespace')} folded` : '',
          s.chains > 0 ? `${plural(s.chains, 'sound chain')} folded` : '',
        ].filter(Boolean)
      : [];
    setStatus(
      `${drawn.layout.nodes.length} of ${drawn.view.total} nodes drawn${folded.length > 0 ? ` (${folded.join(', ')})` : ''}; layout ${drawn.layoutMs} ms`,
    );
  }, [drawn, payload]);

  const path = useMemo(() => {
    if (!drawn || !fullIx || !ix || trace?.status !== 'done') return EMPTY_PATH;
    return drawnPath(trace.result.path, fullIx, drawn.view.topology, ix);
  }, [drawn, fullIx, ix, trace]);

  const activate = useCallback(
    (kind: 'node' | 'edge', id: string, port?: string) => {
      if (!payload || !ix) return;
      if (kind === 'edge') {
        setSelection({ kind, id });
        return;
      }
      const node = ix.node.get(id);
      if (!node) return;
      if (node.kind === 'summary') {
        // Many sound namespaces in one node: the panel lists them, each can be expanded. Else expand.
        if (node.id === 'summary/namespaces') setSelection({ kind: 'node', id });
        else setReq((r) => ({ ...r, expanded: [...r.expanded, node.namespace] }));
        return;
      }
      if (
        node.kind === 'workload' &&
        !port &&
        node.ports.some((p) => p.kind === 'pods' || p.kind === 'pod') &&
        (node.count ?? 0) > 1
      ) {
        setReq((r) => ({
          ...r,
          togglePods: r.togglePods.includes(id)
            ? r.togglePods.filter((x) => x !== id)
            : [...r.togglePods, id],
        }));
      }
      setSelection({ kind: 'node', id });
      const target = (port && payload.targets[port]) || payload.targets[id];
      if (target) void runTrace(target.target, target.protocol);
    },
    [payload, ix, runTrace],
  );

  const close = useCallback(() => {
    setSelection(null);
    setTrace(null);
    traceTarget.current = null;
    if (lastFocused.current) setFocusRequest({ id: lastFocused.current, seq: Date.now() });
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') close();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [close]);

  const showFinding = useCallback(
    (f: TopologyFinding) => {
      const t = f.targets[0];
      if (!t || !ix || !fullIx) return;
      const nodeId = t.kind === 'node' ? t.id : t.kind === 'port' ? fullIx.portNode.get(t.id)?.id : undefined;
      if (t.kind === 'edge') {
        setSelection({ kind: 'edge', id: t.id });
        return;
      }
      if (!nodeId) return;
      const ns = fullIx.node.get(nodeId)?.namespace;
      if (!ix.node.has(nodeId) && ns !== undefined) setReq((r) => ({ ...r, expanded: [...r.expanded, ns] }));
      setSelection({ kind: 'node', id: nodeId });
      setFocusRequest({ id: nodeId, seq: Date.now() });
    },
    [ix, fullIx],
  );

  if (error && !payload)
    return (
      <p class="fatal" role="alert">
        portchain ui: {error}
      </p>
    );
  if (!payload) return <p class="loading">loading…</p>;
  const namespaces = payload.topology.groups.map((g) => g.namespace);
  const s = payload.summary;
  const matches = new Set(drawn?.view.matches ?? []);
  return (
    <div class="app" data-version={payload.version} data-ready={drawn ? 'true' : 'false'}>
      <header class="toolbar">
        <h1>portchain</h1>
        <span class="summary">
          <span class="error">✖ {plural(s.errors, 'error')}</span> ·{' '}
          <span class="warning">⚠ {plural(s.warnings, 'warning')}</span> ·{' '}
          <span class="info">ℹ {s.infos} info</span>
        </span>
        <label>
          namespace{' '}
          <select
            value={req.namespace ?? ''}
            onChange={(e) => {
              const v = (e.currentTarget as HTMLSelectElement).value;
              setReq((r) => ({ ...r, namespace: v === '' ? null : v }));
            }}
          >
            <option value="">all namespaces</option>
            {namespaces.map((ns) => (
              <option key={ns} value={ns}>
                {ns === '' ? '(cluster-scoped)' : ns}
              </option>
            ))}
          </select>
        </label>
        <label>
          severity{' '}
          <select
            value={req.minSeverity}
            onChange={(e) =>
              setReq((r) => ({
                ...r,
                minSeverity: (e.currentTarget as HTMLSelectElement).value as MinSeverity,
              }))
            }
          >
            <option value="all">everything</option>
            <option value="info">chains with any finding</option>
            <option value="warning">chains with a warning or error</option>
            <option value="error">chains with an error</option>
          </select>
        </label>
        <label>
          group{' '}
          <select
            value={req.mode}
            onChange={(e) =>
              setReq((r) => ({ ...r, mode: (e.currentTarget as HTMLSelectElement).value as GroupMode }))
            }
          >
            {(Object.keys(GROUP_LABELS) as GroupMode[]).map((m) => (
              <option key={m} value={m}>
                {GROUP_LABELS[m]}
              </option>
            ))}
          </select>
        </label>
        <input
          type="search"
          placeholder="search by name"
          aria-label="search by name"
          value={searchText}
          onInput={(e) => setSearchText((e.currentTarget as HTMLInputElement).value)}
        />
        {req.search ? <span class="matches">{plural(matches.size, 'match')}</span> : null}
        <span class="zoom">
          <button type="button" aria-label="zoom out" onClick={() => setZoom((z) => Math.max(0.2, z / 1.25))}>
            −
          </button>
          <button type="button" aria-label="zoom 100%" onClick={() => setZoom(1)}>
            {Math.round(zoom * 100)}%
          </button>
          <button type="button" aria-label="zoom in" onClick={() => setZoom((z) => Math.min(4, z * 1.25))}>
            +
          </button>
        </span>
        {payload.live ? <span class="live-badge">● live</span> : null}
      </header>
      <p class="status" role="status" aria-live="polite">
        {status}
        {reloaded ? ` · ${reloaded}` : ''}
        {error ? ` — ${error}` : ''}
      </p>
      <p class="legend">
        <span class="legend-broken">✖ red dashed: broken link (error)</span>{' '}
        <span class="legend-warning">⚠ amber dashed: warning</span>{' '}
        <span class="legend-traced">▶ thick blue: traced path</span> · click a Service or an Ingress path to
        trace it; Tab and arrow keys move, Enter opens, Escape closes
      </p>
      <main class="main">
        <div class="canvas">
          {drawn && ix ? (
            <Diagram
              layout={drawn.layout}
              metrics={drawn.metrics}
              ix={ix}
              zoom={zoom}
              selection={selection}
              path={path}
              matches={matches}
              traffic={traffic}
              focusRequest={focusRequest}
              onActivate={activate}
              onNavigate={(id) => setFocusRequest({ id, seq: Date.now() })}
              onFocused={(id) => {
                lastFocused.current = id;
              }}
              onEscape={close}
            />
          ) : (
            <p class="loading">laying out…</p>
          )}
        </div>
        {ix ? (
          <Panel
            payload={payload}
            ix={ix}
            selection={selection}
            trace={trace}
            onClose={close}
            onShowFinding={showFinding}
            onTrace={(t, p) => void runTrace(t, p)}
            folded={drawn?.view.topology.simplified?.namespaces ?? []}
            onExpand={(ns) => {
              setReq((r) =>
                ns === null ? { ...r, splitNamespaces: true } : { ...r, expanded: [...r.expanded, ns] },
              );
              setSelection(null);
            }}
          />
        ) : null}
      </main>
    </div>
  );
}
