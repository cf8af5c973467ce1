/**
 * `portchain trace --format json` on the shared vectors:
 * - every ../shared/vectors/ingress case: the request `{scheme}://{host}{path}` (an empty host is `_`, a request
 *   to a bare IP) gives the expected backend (null for 404; for 503 the backend the Ingress asked for), backend
 *   port and verdict (200 delivered, 404 "404", 503 "503");
 * - every ../shared/vectors/endpoints case: `trace svc/NAME.NAMESPACE:PORT` lists the endpoints (pod, IP, port,
 *   ready) that `portchain endpoints` lists for that Service port.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKind, loadText } from '../src/model/load.js';
import type { EndpointSlice } from '../src/model/types.js';
import { runCli } from './helpers/cli.js';
import { vectorsDir } from './helpers/shared.js';
import { traceJson } from './helpers/trace.js';

interface IngressExpected {
  request: { scheme: string; host: string; path: string };
  status: 200 | 404 | 503;
  service: string | null;
  via: string;
  backendPort: { number: number } | { name: string } | null;
  ingressClass: string | null;
}

const ingressDir = join(vectorsDir, 'ingress');
const ingressCases = readdirSync(ingressDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

const VERDICT = { 200: 'delivered', 404: '404', 503: '503' } as const;

describe('trace: ingress vectors', () => {
  it('finds the vectors', () => expect(ingressCases.length).toBeGreaterThanOrEqual(49));

  it.each(ingressCases)('%s', async (id) => {
    const dir = join(ingressDir, id);
    const e = JSON.parse(readFileSync(join(dir, 'expect.json'), 'utf8')) as IngressExpected;
    const url = `${e.request.scheme}://${e.request.host === '' ? '_' : e.request.host}${e.request.path}`;
    const args = [
      url,
      join(dir, 'manifest.yaml'),
      ...(e.ingressClass ? ['--ingress-class', e.ingressClass] : []),
    ];
    const t = await traceJson(args);
    expect(t.verdict).toBe(VERDICT[e.status]);
    expect(t.code).toBe(e.status === 200 ? 0 : 1);
    if (e.status === 404) {
      expect(t.backend).toBeNull();
      expect(t.brokenAt?.kind).toBe('ingress');
    } else if (e.status === 200) {
      expect(t.backend?.service?.name).toBe(e.service);
      expect(t.backend?.port).toEqual(e.backendPort);
      expect(t.backend?.viaDefaultBackend).toBe(e.via === 'ingressDefaultBackend');
      expect(t.brokenAt).toBeNull();
    } else {
      // 503: the backend still names what the Ingress asked for; the chain stops at it or at its endpoints.
      expect(t.backend?.service).not.toBeNull();
      expect(['ingress-backend', 'service-port']).toContain(t.brokenAt?.kind);
    }
  });
});

interface EndpointsExpected {
  service: { namespace: string; name: string };
  title: string;
  controllerManaged: boolean;
}

const endpointsDir = join(vectorsDir, 'endpoints');
const endpointCases = readdirSync(endpointsDir).sort();

type Row = { pod: string | null; ip: string; port: number | null; ready: boolean };
const sortRows = (rows: Row[]) => [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/** The verdicts the endpoint cases imply (the images are unknown, so the process hop is `?`, not broken). */
const ENDPOINT_VERDICTS: Record<string, string> = {
  'EP-11': 'refused', // the named targetPort resolves in no pod: no endpoint for the port
  'EP-17': 'refused', // every pod not ready: kube-proxy rejects
  'EP-20': 'delivered', // only serving-terminating pods: kube-proxy falls back to them
  'EP-26': 'refused', // no selector and no Endpoints, in a dump with live pods: there are none
  'EP-28': 'not-routed', // headless: DNS returns the pod IPs
  'EP-29': 'not-routed', // ExternalName: DNS returns a CNAME
  'EP-35': 'refused', // selects no pod
};

describe('trace: endpoint vectors agree with portchain endpoints', () => {
  it('finds the vectors', () => expect(endpointCases.length).toBeGreaterThanOrEqual(24));

  it.each(endpointCases)('%s', async (id) => {
    const manifest = join(endpointsDir, id, 'manifest.yaml');
    const e = JSON.parse(readFileSync(join(endpointsDir, id, 'expect.json'), 'utf8')) as EndpointsExpected;
    const listed = await runCli(['endpoints', manifest, '--format', 'json']);
    const slices = (JSON.parse(listed.stdout) as EndpointSlice[]).filter(
      (s) =>
        s.metadata.namespace === e.service.namespace &&
        s.metadata.labels?.['kubernetes.io/service-name'] === e.service.name,
    );
    const svc = loadText({ name: manifest, text: readFileSync(manifest, 'utf8') }).manifests.find(
      (m) => isKind(m, 'Service') && m.name === e.service.name,
    );
    if (!svc || !isKind(svc, 'Service')) throw new Error(`${id}: no Service`);
    const ports = svc.object.spec.ports ?? [];
    const targets =
      ports.length > 0
        ? ports.map((p) => ({ port: p.port, name: p.name ?? '', protocol: p.protocol ?? 'TCP' }))
        : [null];
    let verdict: string | undefined;
    for (const p of targets) {
      const target = `svc/${e.service.name}.${e.service.namespace}${p ? `:${p.port}` : ''}`;
      const t = await traceJson([target, manifest, ...(p ? ['--protocol', p.protocol.toLowerCase()] : [])]);
      verdict ??= t.verdict;
      const want: Row[] = slices.flatMap((s) => {
        const sp = p
          ? (s.ports ?? []).find((x) => (x.name ?? '') === p.name && (x.protocol ?? 'TCP') === p.protocol)
          : (s.ports ?? []).length === 0
            ? { port: null }
            : undefined;
        if (!sp) return [];
        return s.endpoints.map((ep) => ({
          pod: ep.targetRef?.name ?? null,
          ip: ep.addresses[0] as string,
          port: sp.port ?? null,
          ready: ep.conditions?.ready ?? true,
        }));
      });
      const got = t.endpoints.map(({ pod, ip, port, ready }) => ({ pod, ip, port, ready }));
      expect(sortRows(got)).toEqual(sortRows(want));
    }
    expect(verdict).toBe(ENDPOINT_VERDICTS[id] ?? 'delivered');
  });
});
