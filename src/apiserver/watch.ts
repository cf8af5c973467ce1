/**
 * `?watch=1`: a chunked stream of JSON watch events ({type, object}), one per line, as the API server's watch
 * handler writes them. Without a resourceVersion (or "0") the current objects come first as ADDED; from an
 * expired one, a single ERROR event with a 410 Expired Status. With a Table Accept header each event carries
 * a one-row Table, the column definitions only in the first (kubectl reuses them, as against a real server).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { entryObject, type RequestTarget } from './handlers.js';
import type { JsonObject } from './json.js';
import { selectorFilter } from './selectors.js';
import type { ObjectStore, StoreEvent } from './store.js';
import { type IncludeObject, toTable } from './tables.js';

export function watchObjects(
  req: IncomingMessage,
  res: ServerResponse,
  store: ObjectStore,
  target: RequestTarget,
  query: URLSearchParams,
  table: IncludeObject | null,
): void {
  const filter = selectorFilter(query.get('labelSelector'), query.get('fieldSelector'));
  const matches = (e: StoreEvent['entry'], o: JsonObject) =>
    e.type === target.type &&
    (!target.type.namespaced || target.namespace === undefined || e.namespace === target.namespace) &&
    (!filter || filter(o));
  res.writeHead(200, {
    'Content-Type': table ? 'application/json;as=Table;v=v1;g=meta.k8s.io' : 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  let first = true;
  const write = (type: string, o: JsonObject) => {
    const object = table
      ? toTable(
          target.type,
          [o],
          { resourceVersion: String((o.metadata as JsonObject).resourceVersion ?? '') },
          table,
          first,
        )
      : o;
    first = false;
    res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const rvParam = query.get('resourceVersion');
  if (!rvParam || rvParam === '0') {
    for (const e of store.list(target.type)) {
      const o = entryObject(e);
      if (matches(e, o)) write('ADDED', o);
    }
  } else {
    const events = store.since(Number(rvParam));
    if (events === null) {
      res.end(
        `${JSON.stringify({
          type: 'ERROR',
          object: {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message: `too old resource version: ${rvParam} (${store.oldestWatchable})`,
            reason: 'Expired',
            code: 410,
          },
        })}\n`,
      );
      return;
    }
    for (const ev of events) {
      const o = entryObject(ev.entry);
      if (matches(ev.entry, o)) write(ev.type, o);
    }
  }
  const unsubscribe = store.subscribe((ev) => {
    const o = entryObject(ev.entry);
    if (matches(ev.entry, o)) write(ev.type, o);
  });
  const timeout = Number(query.get('timeoutSeconds') ?? 0);
  const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : null;
  const stop = () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
  };
  res.on('close', stop);
  req.on('close', stop);
}
