/**
 * Every example folder, run by `portchain up` on real loopback sockets, and every request a learner would make
 * against it: each Service port through its DNS name and ClusterIP, its NodePort and its LoadBalancer address
 * (where the type has them), each Ingress rule (and a host no rule matches) through the ingress controller, DNS
 * over UDP and TCP to port 53. The requests are generated from the manifests and the plan, not listed per
 * example; for each one `trace` predicts a verdict before the request is made, and the test checks that what
 * really happened on the socket is what that verdict means (refused, a 404 or 503 from the controller, a name
 * that does not resolve because the API server refused the Service...).
 *
 * A folder is loaded whole, as `portchain check examples/FOLDER` reads it (a duplicate nodePort clashes with
 * the sound file's). Addresses: pods 127.61/16, Services 127.62/16, load balancers 127.63/16, the node
 * 127.60.0.1; ports below 1024 at +42000; DNS 127.60.0.53:42053, ingress 127.60.0.1:42080. No other test
 * uses them, and the folders run one after the other.
 */
import dgram from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { check } from '../src/check.js';
import { formatServiceTable, liveServiceTable } from '../src/cli/up.js';
import { type ClusterPlan, type PlanAddressBase, planCluster } from '../src/runtime/plan.js';
import { startUp, type Up } from '../src/runtime/up.js';
import type { ResolvedGraph } from '../src/semantics/graph.js';
import type { TraceResult, Verdict } from '../src/trace/model.js';
import { parseTarget } from '../src/trace/target.js';
import { traceRequest } from '../src/trace/trace.js';

const ADDRESS_BASE: Required<PlanAddressBase> = {
  pods: '127.61.0.0',
  services: '127.62.0.0',
  loadBalancers: '127.63.0.0',
  node: '127.60.0.1',
};
const LOW = 42000;
const DNS = { host: '127.60.0.53', port: 42053 };
const INGRESS = { host: '127.60.0.1', port: 42080 };
/** A host no Ingress rule of the examples names: the controller's default backend answers. */
const UNMATCHED_HOST = 'unmatched.portchain.invalid';
const shift = (port: number) => (port < 1024 ? port + LOW : port);
/** Binding this port fails with EACCES (injected below), as binding 80 does without root. */
const PRIVILEGED_STAND_IN = 42079;

// The ingress controller, with one injected failure: binding PRIVILEGED_STAND_IN is "not permitted". Nothing
// else changes, and no test binds a low port to provoke it.
vi.mock('../src/runtime/ingress-controller.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/runtime/ingress-controller.js')>();
  return {
    ...actual,
    startIngressController: (...args: Parameters<typeof actual.startIngressController>) => {
      const [, options] = args;
      if (options.port !== PRIVILEGED_STAND_IN) return actual.startIngressController(...args);
      const e: NodeJS.ErrnoException = new Error(
        `listen EACCES: permission denied ${options.host}:${options.port}`,
      );
      e.code = 'EACCES';
      return Promise.reject(e);
    },
  };
});

/** What a client really saw. */
type Happened =
  | 'delivered'
  /** ECONNREFUSED, ICMP port unreachable for UDP, or a reset before any answer (the pod refused the proxy). */
  | 'refused'
  | 'timeout'
  /** The Service's DNS name does not resolve (NXDOMAIN): the API server refused it, so it does not exist. */
  | 'no such host'
  /** Nothing gives the client an address to dial (a refused LoadBalancer Service has no status address). */
  | 'no address'
  | `HTTP ${number}`;

type Route = 'cluster-ip' | 'node-port' | 'load-balancer' | 'ingress';

interface Request {
  readonly route: Route;
  /** The trace TARGET. */
  readonly target: string;
  readonly protocol: 'TCP' | 'UDP';
  /** HTTP, or a DNS query (port 53 and UDP ports: the examples' UDP is DNS). */
  readonly speaks: 'http' | 'dns';
  /** How the client reaches it, from the plan. */
  readonly dial:
    | {
        readonly kind: 'dns-name';
        readonly name: string;
        readonly port: number;
        /** What the cluster DNS must answer: the planned clusterIP (null: the Service does not run). */
        readonly clusterIP: string | null;
      }
    | { readonly kind: 'address'; readonly host: string; readonly port: number }
    | { readonly kind: 'ingress'; readonly host: string; readonly path: string }
    | { readonly kind: 'none' };
}

/**
 * What a cluster client sees for each verdict (docs/trace.md). `not-routed` depends on where the chain stops: a
 * Service the API server refused has no DNS name and no load balancer address; a port the Service does not
 * have, at an address that exists, and a node port no Service holds, are refused (kube-proxy's nftables and
 * IPVS modes reject them; iptables mode lets a clusterIP one time out).
 */
function expectedFor(result: TraceResult, r: Request): Happened | null {
  const verdict = result.verdict;
  switch (verdict) {
    case 'delivered':
      return r.route === 'ingress' ? 'HTTP 200' : 'delivered';
    case 'refused':
      return r.route === 'ingress' ? 'HTTP 502' : 'refused';
    case 'dropped':
      return 'timeout';
    case '404':
      return 'HTTP 404';
    case '503':
      return 'HTTP 503';
    case 'not-routed':
      if (result.brokenAt?.kind === 'service-port') return 'refused';
      if (r.dial.kind === 'dns-name') return 'no such host';
      if (r.dial.kind === 'none') return 'no address';
      return 'refused';
    case 'unknown':
      return null;
  }
}

/** Every request worth making against a folder, from its manifests and the plan `up` will run. */
function requestsFor(graph: ResolvedGraph, plan: ClusterPlan): Request[] {
  const out: Request[] = [];
  for (const svc of graph.ofKind('Service')) {
    const spec = svc.object.spec;
    const type = spec.type ?? 'ClusterIP';
    if (type === 'ExternalName' || spec.clusterIP === 'None') continue; // no proxying: nothing to carry
    const planned = plan.services.find((s) => s.namespace === svc.namespace && s.name === svc.name);
    const ref = `${svc.name}.${svc.namespace}`;
    const seen = new Set<string>();
    for (const [i, sp] of (spec.ports ?? []).entries()) {
      const protocol = sp.protocol === 'UDP' ? 'UDP' : 'TCP';
      // A DNS client falls back to TCP when an answer is truncated: port 53 is asked over both.
      const protocols = sp.port === 53 ? (['UDP', 'TCP'] as const) : ([protocol] as const);
      for (const p of protocols) {
        if (seen.has(`${sp.port}/${p}`)) continue;
        seen.add(`${sp.port}/${p}`);
        const speaks = sp.port === 53 || p === 'UDP' ? 'dns' : 'http';
        out.push({
          route: 'cluster-ip',
          target: `svc/${ref}:${sp.port}`,
          protocol: p,
          speaks,
          dial: {
            kind: 'dns-name',
            name: `${svc.name}.${svc.namespace}.svc.cluster.local`,
            port: shift(sp.port),
            clusterIP: planned?.clusterIP ?? null,
          },
        });
        const nodePort = sp.nodePort ?? planned?.ports[i]?.nodePort ?? null;
        if (nodePort !== null && p === protocol)
          out.push({
            route: 'node-port',
            target: `node:${nodePort}`,
            protocol: p,
            speaks,
            dial: { kind: 'address', host: plan.node, port: nodePort },
          });
        if (type === 'LoadBalancer' && p === protocol)
          out.push({
            route: 'load-balancer',
            target: `lb/${ref}:${sp.port}`,
            protocol: p,
            speaks,
            dial: planned?.loadBalancerIP
              ? { kind: 'address', host: planned.loadBalancerIP, port: shift(sp.port) }
              : { kind: 'none' },
          });
      }
    }
  }
  const ingresses = graph.ofKind('Ingress');
  for (const ing of ingresses) {
    for (const rule of ing.object.spec?.rules ?? [])
      for (const path of rule.http?.paths ?? []) {
        const host = rule.host ?? '_';
        const p = path.path ?? '/';
        out.push({
          route: 'ingress',
          target: `http://${host}${p}`,
          protocol: 'TCP',
          speaks: 'http',
          dial: { kind: 'ingress', host: rule.host ?? '', path: p },
        });
      }
  }
  if (ingresses.length > 0)
    out.push({
      route: 'ingress',
      target: `http://${UNMATCHED_HOST}/`,
      protocol: 'TCP',
      speaks: 'http',
      dial: { kind: 'ingress', host: UNMATCHED_HOST, path: '/' },
    });
  return out;
}

const TIMEOUT_MS = 1500;

/** Errors a client sees when the connection is refused, or reset before any answer. */
const REFUSALS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'socket hang up']);

function httpGet(host: string, port: number, path: string, hostHeader?: string): Promise<Happened> {
  return new Promise((resolve) => {
    const req = http.get(
      { host, port, path, agent: false, headers: hostHeader ? { host: hostHeader } : {} },
      (res) => {
        res.resume();
        // Through the ingress controller the status is the outcome; straight to a pod any answer is delivery.
        res.on('end', () => resolve(hostHeader ? `HTTP ${res.statusCode ?? 0}` : 'delivered'));
      },
    );
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.message === 'timeout') return resolve('timeout');
      const code = e.code ?? e.message;
      if (!REFUSALS.has(code)) throw new Error(`unexpected client error ${code}`);
      resolve('refused');
    });
  });
}

/** One DNS query over UDP or TCP: the decoded answer, or what the client saw instead. */
function dnsQuery(
  host: string,
  port: number,
  protocol: 'UDP' | 'TCP',
  name: string,
): Promise<dnsPacket.DecodedPacket | 'refused' | 'timeout'> {
  const query = dnsPacket.encode({ id: 42, type: 'query', questions: [{ type: 'A', name }] });
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: dnsPacket.DecodedPacket | 'refused' | 'timeout', close: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      close();
      resolve(r);
    };
    let close: () => void = () => undefined;
    const timer = setTimeout(() => finish('timeout', close), TIMEOUT_MS);
    if (protocol === 'UDP') {
      const s = dgram.createSocket('udp4');
      close = () => s.close();
      s.on('error', () => finish('refused', close));
      s.on('message', (m) => finish(dnsPacket.decode(m), close));
      s.connect(port, host, () => s.send(query));
      return;
    }
    const s = net.connect({ host, port });
    close = () => s.destroy();
    let got = Buffer.alloc(0);
    s.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length, 0);
      s.write(Buffer.concat([len, query]));
    });
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0))
        finish(dnsPacket.decode(got.subarray(2, 2 + got.readUInt16BE(0))), close);
    });
    s.on('error', () => finish('refused', close));
    s.on('close', () => finish('refused', close));
  });
}

/** The cluster DNS of `up`: the A record of a Service name, or null for NXDOMAIN. */
async function resolveName(name: string): Promise<string | null> {
  const r = await dnsQuery(DNS.host, DNS.port, 'UDP', name);
  if (typeof r === 'string') throw new Error(`cluster DNS did not answer ${name}: ${r}`);
  if (((r.flags ?? 0) & 0xf) === 3) return null; // RCODE 3, NXDOMAIN
  const a = r.answers?.find((x) => x.type === 'A');
  const ip = a && 'data' in a ? a.data : undefined;
  if (typeof ip !== 'string') throw new Error(`cluster DNS: no A record for ${name}`);
  return ip;
}

async function speak(r: Request, host: string, port: number): Promise<Happened> {
  if (r.speaks === 'http') return httpGet(host, port, '/');
  const answer = await dnsQuery(host, port, r.protocol, 'example.org');
  if (typeof answer === 'string') return answer;
  // CoreDNS's whoami plugin (the examples run CoreDNS without a Corefile): the client's address as A and its
  // port as SRV `_udp`/`_tcp`, so the answer shows the query really went over the protocol asked.
  const srv = answer.additionals?.find((a) => a.type === 'SRV');
  if (srv?.name !== `_${r.protocol.toLowerCase()}.example.org`)
    throw new Error(`unexpected DNS answer: ${JSON.stringify(answer.additionals)}`);
  return 'delivered';
}

/** Makes the request for real. */
async function perform(r: Request): Promise<Happened> {
  switch (r.dial.kind) {
    case 'none':
      return 'no address';
    case 'ingress':
      return httpGet(INGRESS.host, INGRESS.port, r.dial.path, r.dial.host);
    case 'address':
      return speak(r, r.dial.host, r.dial.port);
    case 'dns-name': {
      const ip = await resolveName(r.dial.name);
      if (ip !== r.dial.clusterIP)
        throw new Error(`${r.dial.name} resolved to ${ip}, planned ${r.dial.clusterIP}`);
      return ip === null ? 'no such host' : speak(r, ip, r.dial.port);
    }
  }
}

const folders = readdirSync('examples', { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const sourcesOf = (folder: string) =>
  readdirSync(join('examples', folder))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({
      name: join('examples', folder, f),
      text: readFileSync(join('examples', folder, f), 'utf8'),
    }));

/** Every row compared, for the coverage checks at the end. */
const compared: { folder: string; route: Route; protocol: string; verdict: Verdict; happened: Happened }[] =
  [];

describe.each(folders)('examples/%s under portchain up', (folder) => {
  const sources = sourcesOf(folder);
  // The plan is pure: computed here to name the tests, it is the plan `up` runs (checked below).
  const r = check(sources);
  const plan = planCluster(r.graph, r.findings, { addressBase: ADDRESS_BASE, lowPortOffset: LOW });
  const requests = requestsFor(r.graph, plan);
  let up: Up;

  beforeAll(async () => {
    up = await startUp(sources, {
      addressBase: ADDRESS_BASE,
      lowPortOffset: LOW,
      dns: DNS,
      ingress: { host: INGRESS.host, port: INGRESS.port },
    });
  });
  afterAll(async () => {
    await up?.close();
  });

  it('runs the plan the requests were generated from', () => {
    expect(up.plan).toEqual(plan);
    expect(requests.length).toBeGreaterThan(0);
  });

  it.each(requests.map((q) => [`${q.target} ${q.protocol} (${q.route})`, q] as const))(
    '%s: what happens is what trace predicts',
    async (_name, q) => {
      const predicted = traceRequest(up.graph, up.findings, {
        target: parseTarget(q.target),
        protocol: q.protocol,
        from: null,
        ingressClass: null,
        defaultNamespace: 'default',
      });
      const verdict = predicted.verdict;
      const expected = expectedFor(predicted, q);
      const happened = await perform(q);
      compared.push({ folder, route: q.route, protocol: q.protocol, verdict, happened });
      expect(expected, `trace cannot tell for ${q.target}`).not.toBeNull();
      expect(`${q.target} ${happened}`).toBe(`${q.target} ${expected}`);
    },
  );
});

describe('the generated requests', () => {
  it('cover every route, both DNS protocols, and every way the examples fail', () => {
    const has = (f: (c: (typeof compared)[number]) => boolean) => compared.some(f);
    expect(new Set(compared.map((c) => c.folder))).toEqual(new Set(folders));
    for (const route of ['cluster-ip', 'node-port', 'load-balancer', 'ingress'] as const)
      expect(has((c) => c.route === route && (c.happened === 'delivered' || c.happened === 'HTTP 200'))).toBe(
        true,
      );
    for (const protocol of ['UDP', 'TCP'])
      expect(
        has((c) => c.folder === 'dns-tcp-udp' && c.protocol === protocol && c.happened === 'delivered'),
      ).toBe(true);
    for (const happened of ['refused', 'no such host', 'HTTP 404', 'HTTP 503'] as const)
      expect(has((c) => c.happened === happened)).toBe(true);
  });
});

describe('portchain up: the ingress port fallback', () => {
  it('says binding the ingress port is not permitted and listens on the fallback port', async () => {
    const u = await startUp(sourcesOf('port-from-configmap'), {
      addressBase: ADDRESS_BASE,
      lowPortOffset: LOW,
      ingress: { host: INGRESS.host, port: PRIVILEGED_STAND_IN, fallbackPort: INGRESS.port },
    });
    try {
      expect(u.ingress).toEqual(INGRESS);
      expect(u.notes).toContain(
        `ingress: binding ${INGRESS.host}:${PRIVILEGED_STAND_IN} is not permitted; the ingress controller listens on ${INGRESS.port}`,
      );
      expect(await httpGet(INGRESS.host, INGRESS.port, '/', 'books.example.com')).toBe('HTTP 200');
      expect(formatServiceTable(u.plan, { ingress: u.ingress })).toMatch(
        new RegExp(`\\nINGRESS  http://${INGRESS.host}:${INGRESS.port}\\n$`),
      );
    } finally {
      await u.close();
    }
  });

  it('without a fallback port, the bind error stops up and everything it started is closed', async () => {
    await expect(
      startUp(sourcesOf('port-from-configmap'), {
        addressBase: ADDRESS_BASE,
        lowPortOffset: LOW,
        ingress: { host: INGRESS.host, port: PRIVILEGED_STAND_IN },
      }),
    ).rejects.toMatchObject({ code: 'EACCES' });
    // The pods and kube-proxy it had started are gone: the planned clusterIP refuses.
    const r = check(sourcesOf('port-from-configmap'));
    const plan = planCluster(r.graph, r.findings, { addressBase: ADDRESS_BASE, lowPortOffset: LOW });
    const books = plan.services.find((s) => s.name === 'books');
    expect(await httpGet(books?.clusterIP as string, 8080, '/')).toBe('refused');
  });
});

describe('README: `portchain up examples/multi-port` shows what really runs', () => {
  const readme = readFileSync('README.md', 'utf8');
  const from = readme.indexOf('$ portchain up examples/multi-port\n');
  const lines = readme.slice(from, readme.indexOf('```', from)).trimEnd().split('\n').slice(1);
  const readyAt = lines.findIndex((l) => l.startsWith('portchain up: ready'));
  const shownTable = lines.slice(0, readyAt);
  const cells = (line: string) => line.split(/ {2,}/);
  /** README clusterIP -> Service, from the README's own table. */
  const shownService = new Map(
    shownTable.slice(1).map((l) => [cells(l)[2] as string, cells(l)[0] as string]),
  );
  /** A README output line matches when its `...`-separated pieces appear in order. */
  const matches = (shown: string, real: string) => {
    let at = 0;
    for (const piece of shown.split('...')) {
      const i = real.indexOf(piece, at);
      if (i < 0) return false;
      at = i + piece.length;
    }
    return true;
  };
  let u: Up;
  beforeAll(async () => {
    u = await startUp(sourcesOf('multi-port'), {
      addressBase: ADDRESS_BASE,
      lowPortOffset: LOW,
      ingress: { host: INGRESS.host, port: INGRESS.port },
    });
  });
  afterAll(async () => {
    await u?.close();
  });

  it('has the table rows and columns the README shows (addresses and ports of this test)', () => {
    expect(from).toBeGreaterThan(0);
    expect(readyAt).toBeGreaterThan(1);
    const real = liveServiceTable(u).trimEnd().split('\n');
    const shape = (line: string) => {
      const c = cells(line);
      if (c[0] === 'INGRESS') return ['INGRESS'];
      if (c[0] === 'SERVICE') return c;
      // The addresses come from the address block, the listening ports from the low port offset.
      return [c[0], c[1], c[2]?.startsWith('127.') ? 'IP' : c[2], ...c.slice(3)].map((x) =>
        (x ?? '').replace(/ \(on \d+\)$/, ''),
      );
    };
    expect(real.map(shape)).toEqual(shownTable.map(shape));
    expect(real.at(-1)).toBe(`INGRESS  http://${INGRESS.host}:${INGRESS.port}`);
    const counts = /(\d+) service listeners, (\d+) processes/.exec(lines[readyAt] ?? '');
    expect([u.kubeProxy.listening().length, u.pods.listening.length]).toEqual([
      Number(counts?.[1]),
      Number(counts?.[2]),
    ]);
  });

  it('answers each curl of the README as shown, and the table then counts the connections', async () => {
    const curls = lines
      .map((l, i) => ({ l, i }))
      .filter(({ l }) => l.startsWith('$ curl'))
      .map(({ l, i }) => {
        const m = /^\$ curl -sS? http:\/\/([\d.]+)(?::(\d+))?(\/\S*)(?: \| (grep |head -)(\S+))?$/.exec(l);
        if (!m) throw new Error(`README curl line not understood: ${l}`);
        const next = lines.slice(i + 1).findIndex((x) => x.startsWith('$'));
        const output = lines.slice(i + 1, next < 0 ? undefined : i + 1 + next);
        return {
          ip: m[1] as string,
          port: Number(m[2] ?? 80),
          path: m[3] as string,
          filter: m[4],
          arg: m[5],
          output,
        };
      });
    expect(curls.length).toBe(3);
    for (const c of curls) {
      const [ns, name] = (shownService.get(c.ip) ?? '').split('/');
      const svc = u.plan.services.find((s) => s.namespace === ns && s.name === name);
      expect(svc, c.ip).toBeDefined();
      const body = await new Promise<string | 'refused'>((resolve) => {
        const req = http.get(
          { host: svc?.clusterIP as string, port: shift(c.port), path: c.path, agent: false },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => {
              text += d;
            });
            res.on('end', () => resolve(text));
          },
        );
        req.on('error', () => resolve('refused'));
      });
      if (body === 'refused') {
        expect(c.output).toHaveLength(1);
        expect(c.output[0]).toMatch(
          /^curl: \(7\) Failed to connect to [\d.]+ port \d+ after \d+ ms: Couldn't connect to server$/,
        );
        continue;
      }
      const all = body.split('\n');
      const shown =
        c.filter === 'grep '
          ? all.filter((l) => l.includes(c.arg as string))
          : all.slice(0, Number(c.arg ?? all.length));
      expect(shown.length).toBe(c.output.length);
      shown.forEach((real, i) => {
        expect(matches(c.output[i] as string, real), `${c.output[i]} vs ${real}`).toBe(true);
      });
    }
    // Two requests carried (one per port of multi-port/web); the refused one never reached kube-proxy.
    // kube-proxy sees each client close a moment after the response ended: wait for the counts to settle.
    await vi.waitFor(
      () => {
        const table = liveServiceTable(u);
        expect(table).toMatch(/multi-port\/web .* 80\/TCP http .* 0 active, 1 total\n/);
        expect(table).toMatch(/multi-port\/web .* 9100\/TCP metrics .* 0 active, 1 total\n/);
      },
      { timeout: 5000, interval: 20 },
    );
  });
});

describe('the service table', () => {
  const r = check(sourcesOf('multi-port'));
  const plan = planCluster(r.graph, r.findings, { addressBase: ADDRESS_BASE, lowPortOffset: LOW });
  const traffic = (port: number, failed: number) => ({
    namespace: 'multi-port',
    name: 'web',
    port,
    protocol: 'TCP' as const,
    active: 2,
    total: 9,
    failed,
    bytes: 1234,
    byEndpoint: {},
  });

  it('has no CONNECTIONS column without live traffic, and no ingress line without a controller', () => {
    const table = formatServiceTable(plan);
    expect(table.split('\n')[0]).toBe(
      'SERVICE                             TYPE       CLUSTER-IP  LB  PORT                    NODE-PORT  ENDPOINTS',
    );
    expect(table).not.toContain('INGRESS');
  });

  it('counts connections per Service port, failures only when there are some', () => {
    const rows = formatServiceTable(plan, { traffic: [traffic(80, 0), traffic(9100, 3)] }).split('\n');
    expect(rows[0]?.endsWith('ENDPOINTS             CONNECTIONS')).toBe(true);
    expect(rows[1]).toMatch(/^multi-port\/web .* 80\/TCP http .* 2 active, 9 total$/);
    expect(rows[2]).toMatch(/^multi-port\/web .* 9100\/TCP metrics .* 2 active, 9 total, 3 failed$/);
    // A port kube-proxy reports nothing for has carried nothing.
    expect(rows[3]).toMatch(/^multi-port-broken-metrics-name\/web .* 0 active, 0 total$/);
  });
});

describe('hostNetwork pods under up', () => {
  it('listen on the node address, and the Service reaches them there', async () => {
    const text = `
apiVersion: v1
kind: Pod
metadata: {name: edge, namespace: hn, labels: {app: edge}}
spec:
  hostNetwork: true
  containers:
  - {name: nginx, image: "nginx:1.27", ports: [{name: http, containerPort: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: edge, namespace: hn}
spec:
  selector: {app: edge}
  ports: [{name: http, port: 8080, targetPort: http}]
`;
    const u = await startUp([{ name: 'hn.yaml', text }], { addressBase: ADDRESS_BASE, lowPortOffset: LOW });
    try {
      expect(u.plan.pods.map((p) => p.ip)).toEqual([ADDRESS_BASE.node]);
      expect(await httpGet(ADDRESS_BASE.node, shift(80), '/')).toBe('delivered');
      const svc = u.plan.services[0];
      expect(svc?.ports[0]?.endpoints.map((e) => `${e.ip}:${e.dialPort}`)).toEqual([
        `${ADDRESS_BASE.node}:${shift(80)}`,
      ]);
      expect(await httpGet(svc?.clusterIP as string, 8080, '/')).toBe('delivered');
    } finally {
      await u.close();
    }
  });
});

describe('the service table of a running up', () => {
  it('counts a connection no endpoint answered as failed (a targetPort nothing listens on)', async () => {
    const u = await startUp(sourcesOf('port-from-configmap'), {
      addressBase: ADDRESS_BASE,
      lowPortOffset: LOW,
    });
    try {
      const svc = u.plan.services.find((s) => s.namespace === 'port-from-configmap-broken-configmap');
      // The endpoint is ready, but the process listens on 3000, not 3005: every dial is refused.
      expect(svc?.ports[0]?.endpoints.filter((e) => e.ready).length).toBe(1);
      expect(await httpGet(svc?.clusterIP as string, 8080, '/')).toBe('refused');
      await vi.waitFor(
        () =>
          expect(liveServiceTable(u)).toMatch(
            /port-from-configmap-broken-configmap\/books .* 8080\/TCP http .* 0 active, 1 total, 1 failed\n/,
          ),
        { timeout: 5000, interval: 20 },
      );
    } finally {
      await u.close();
    }
  });
});
