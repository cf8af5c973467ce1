/**
 * Robustness on real manifests: every Service port and every Ingress rule of every corpus analysis unit
 * (../shared/corpus, SOURCES.md) traces without throwing, renders as text and JSON, and keeps the contract:
 * a verdict other than delivered names the hop it stops at, delivered names none, and a URL's backend is null
 * exactly for 404 answers of no rule.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { formatTraceJson } from '../src/report/trace-json.js';
import { formatTraceText } from '../src/report/trace-text.js';
import type { TraceResult } from '../src/trace/model.js';
import { parseTarget } from '../src/trace/target.js';
import { traceRequest } from '../src/trace/trace.js';
import { corpusUnits, readSource } from './helpers/shared.js';

function contract(t: TraceResult): void {
  if (t.verdict === 'delivered') expect(t.brokenAt).toBeNull();
  else {
    expect(t.brokenAt).not.toBeNull();
    expect(t.hops[t.brokenAt?.hop ?? -1]?.kind).toBe(t.brokenAt?.kind);
  }
  expect(JSON.parse(formatTraceJson(t))).toEqual(JSON.parse(JSON.stringify(t)));
  expect(formatTraceText(t, { color: false })).toMatch(/\n[✔✖?] \S/);
}

let total = 0;

describe('trace: corpus', () => {
  it.each(corpusUnits().map((u) => [u.name, u] as const))('%s', (_name, unit) => {
    const result = check(unit.files.map(readSource));
    const trace = (target: string, protocol: 'TCP' | 'UDP' | 'SCTP' = 'TCP') =>
      traceRequest(result.graph, result.findings, {
        target: parseTarget(target),
        protocol,
        from: null,
        ingressClass: null,
        defaultNamespace: 'default',
      });
    let traced = 0;
    for (const view of result.graph.services) {
      const svc = view.service;
      const ports = svc.object.spec.ports ?? [];
      const targets =
        ports.length > 0
          ? ports.map((p) => ({ port: `:${p.port}`, proto: p.protocol ?? 'TCP' }))
          : [{ port: '', proto: 'TCP' }];
      for (const p of targets) {
        const t = trace(`svc/${svc.name}.${svc.namespace}${p.port}`, p.proto as 'TCP');
        contract(t);
        traced++;
      }
    }
    for (const r of result.graph.ingress.routes) {
      const host = r.host === null ? '_' : r.host.replace(/^\*\./, 'any.');
      const t = trace(`http://${host}${r.path}`);
      contract(t);
      if (t.verdict === '404' && t.brokenAt?.kind === 'ingress') expect(t.backend).toBeNull();
      else expect(t.backend).not.toBeNull();
      traced++;
    }
    total += traced;
  });

  it('traced the corpus', () => expect(total).toBeGreaterThan(150));
});
