/**
 * `npm run bench:dataplane`: portchain's data plane against a direct connection and against its peers, on
 * loopback, bounded in time (about three minutes).
 *
 *   - TCP bulk throughput (one connection, the pod streams) and connection rate (connect, one byte each way,
 *     close; 16 at a time) through a ClusterIP and a NodePort of the userspace kube-proxy, beside the pod
 *     directly, socat (`fork`) and haproxy (`mode tcp`) routed the same way, and reference relays in C
 *     (bench/dataplane/relay.c, built with `cc` when there is one): read/write through 64 KiB (most proxies'
 *     read size) and through 1 MiB (what portchain's kube-proxy reads in bulk: the ceiling of a copying
 *     userspace proxy here), and splice(2), which keeps the bytes in the kernel;
 *   - HTTP requests per second and p99 latency (wrk -t1 -c50) through portchain's ingress controller, beside
 *     the pod directly and nginx as a reverse proxy with the same host and path routes; upstream keep-alive
 *     everywhere;
 *   - as root, kube-proxy's iptables and nftables modes (kernel DNAT), measured in a network namespace the
 *     benchmark creates (pc-h6-bench-*) against a direct connection in that same namespace.
 *
 * Each figure is the best of three rounds (BENCH_ROUNDS), interleaved across targets; the Ingress ratios and
 * the main throughput ratios are also given from the medians of the rounds. Writes bench-output/dataplane.json and prints a table. The pod,
 * the proxy and every peer are separate processes, killed on exit.
 *
 * `--only tcp,http,kernel` runs only the parts listed (all by default); bench/dataplane/ab.ts compares two
 * builds side by side.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProxyMode } from '../../src/runtime/proxy-mode.js';
import { median } from '../stats.js';
import { type ConnectionRate, connectionRate, type Throughput, tcpThroughput } from './load.js';
import { rounds } from './measure.js';
import {
  ensurePackages,
  groupCpuSeconds,
  type Machine,
  machine,
  start,
  type WrkResult,
  wrk,
} from './peers.js';
import type { BenchProxySpec } from './proxy-main.js';
import {
  benchPlan,
  CLUSTER_IP,
  haproxyConf,
  INGRESS_HOST,
  INGRESS_PATH,
  INGRESS_YAML,
  NODE,
  nginxConf,
  PEER_IP,
  POD,
  PORTS,
} from './setup.js';

const here = dirname(fileURLToPath(import.meta.url));
const TCP_SECONDS = Number(process.env.BENCH_TCP_SECONDS ?? 2);
const HTTP_SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 4);
/**
 * Rounds per target (best of them, interleaved). Two were too few here: the same build's cost per request
 * moves between two levels from one round to the next (48-53 against 73-86 µs, with the pod alone slowing
 * too), and with two rounds one target could draw the slow level twice.
 */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const onlyAt = process.argv.indexOf('--only');
const PARTS = new Set((onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? '') : 'tcp,http,kernel').split(','));
const WRK_CONNECTIONS = 50;

interface TcpRow {
  readonly target: string;
  readonly throughputGbps: number;
  readonly throughputRounds: readonly number[];
  readonly connectionsPerSecond: number;
  readonly connectionRounds: readonly number[];
  readonly connectionFailures: number;
  /** CPU time of the proxy per GB carried (bulk rounds), null for direct and kernel modes. */
  readonly proxyCpuSecondsPerGB: number | null;
  /** CPU time of the proxy per connection (connection-rate rounds). */
  readonly proxyCpuMicrosPerConnection: number | null;
}

interface HttpRow {
  readonly target: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  /** CPU time of the proxy (all its processes) per request. */
  readonly proxyCpuMicrosPerRequest: number | null;
  readonly rounds: readonly WrkResult[];
}

interface Report {
  readonly date: string;
  readonly machine: Machine;
  readonly settings: Record<string, number | string>;
  readonly tcp: readonly TcpRow[];
  readonly http: readonly HttpRow[];
  readonly kernel: readonly { readonly mode: string; readonly tcp: readonly TcpRow[] }[];
  readonly skipped: readonly string[];
  readonly ratios: Record<string, number>;
}

type Targets = Record<
  string,
  {
    readonly bulk: readonly [string, number];
    readonly pong: readonly [string, number];
    /** The proxy's process groups (bulk, pong), whose CPU time is measured (none for direct). */
    readonly groups?: readonly [number | undefined, number | undefined];
  }
>;

/** CPU seconds a measurement cost `group`'s processes (null without a group). */
async function withCpu<T>(
  group: number | undefined,
  run: () => Promise<T>,
): Promise<{ r: T; cpu: number | null }> {
  const before = group === undefined ? 0 : groupCpuSeconds(group);
  const r = await run();
  return { r, cpu: group === undefined ? null : groupCpuSeconds(group) - before };
}

/** Throughput and connection rate for each target, best of ROUNDS. */
async function measureTcp(targets: Targets): Promise<TcpRow[]> {
  const names = Object.keys(targets);
  const bulk = await rounds(
    names,
    ROUNDS,
    (t) => {
      const [host, port] = targets[t]?.bulk ?? ['', 0];
      return withCpu(targets[t]?.groups?.[0], () => tcpThroughput(host, port, TCP_SECONDS * 1000, 0));
    },
    (a: { r: Throughput }, b: { r: Throughput }) => a.r.gbps > b.r.gbps,
  );
  const rate = await rounds(
    names,
    ROUNDS,
    (t) => {
      const [host, port] = targets[t]?.pong ?? ['', 0];
      return withCpu(targets[t]?.groups?.[1], () => connectionRate(host, port, TCP_SECONDS * 1000, 16));
    },
    (a: { r: ConnectionRate }, b: { r: ConnectionRate }) => a.r.perSecond > b.r.perSecond,
  );
  return names.map((target) => {
    const b = bulk.get(target);
    const r = rate.get(target);
    const bytes = (b?.all ?? []).reduce((n, x) => n + x.r.bytes, 0);
    const conns = (r?.all ?? []).reduce((n, x) => n + x.r.connections, 0);
    const cpuBulk = (b?.all ?? []).reduce((n, x) => n + (x.cpu ?? 0), 0);
    const cpuConns = (r?.all ?? []).reduce((n, x) => n + (x.cpu ?? 0), 0);
    const measured = b?.best.cpu !== null && b?.best.cpu !== undefined;
    return {
      target,
      throughputGbps: round(b?.best.r.gbps ?? 0, 2),
      throughputRounds: (b?.all ?? []).map((x) => round(x.r.gbps, 2)),
      connectionsPerSecond: Math.round(r?.best.r.perSecond ?? 0),
      connectionRounds: (r?.all ?? []).map((x) => Math.round(x.r.perSecond)),
      connectionFailures: (r?.all ?? []).reduce((n, x) => n + x.r.failures, 0),
      proxyCpuSecondsPerGB: measured && bytes > 0 ? round(cpuBulk / (bytes / 1e9), 3) : null,
      proxyCpuMicrosPerConnection: measured && conns > 0 ? Math.round((cpuConns * 1e6) / conns) : null,
    };
  });
}

/** Builds bench/dataplane/relay.c with the system's C compiler; null (and a note) when there is none. */
function compileRelay(tmp: string, skipped: string[]): string | null {
  const source = join(here, '../../../bench/dataplane/relay.c');
  const out = join(tmp, 'relay');
  const r = spawnSync('cc', ['-O2', '-pthread', '-o', out, source], { encoding: 'utf8' });
  if (r.status === 0) return out;
  skipped.push(
    `C reference relays: cc failed (${(r.error?.message ?? r.stderr ?? '').trim().slice(0, 200)})`,
  );
  return null;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

function proxySpec(
  mode: ProxyMode,
  ingress: BenchProxySpec['ingress'] | undefined,
  plan = benchPlan(),
): string {
  const spec: BenchProxySpec = { mode, plan, ...(ingress ? { ingress } : {}) };
  return JSON.stringify(spec);
}

async function userspace(tmp: string, skipped: string[], missing: readonly string[]) {
  const pongs = Object.values(PORTS.pong).map(String);
  const pod = await start(
    'node',
    [join(here, 'pod.js'), POD, String(PORTS.source), String(PORTS.http), ...pongs],
    'ready',
  );
  const ingressFile = join(tmp, 'ingress.yaml');
  writeFileSync(ingressFile, INGRESS_YAML);
  const proxy = await start(
    'node',
    [
      join(here, 'proxy-main.js'),
      proxySpec('userspace', { file: ingressFile, host: NODE, port: PORTS.ingress }),
    ],
    'ready',
  );
  const targets: Targets = {
    direct: { bulk: [POD, PORTS.source], pong: [POD, PORTS.pong.direct] },
    'userspace ClusterIP': {
      bulk: [CLUSTER_IP.bulk, PORTS.bulk.service],
      pong: [CLUSTER_IP.pong, PORTS.pongClusterIP],
      groups: [proxy.process.pid, proxy.process.pid],
    },
    'userspace NodePort': {
      bulk: [NODE, PORTS.bulk.nodePort],
      pong: [NODE, PORTS.pongNodePort.nodePort],
      groups: [proxy.process.pid, proxy.process.pid],
    },
  };
  const peers: { stop(): Promise<void> }[] = [];
  if (!missing.includes('socat')) {
    const socat = async (port: number, target: number) => {
      const c = await start(
        'socat',
        [`TCP-LISTEN:${port},bind=${PEER_IP.socat},reuseaddr,fork,backlog=1024`, `TCP:${POD}:${target}`],
        null,
      );
      peers.push(c);
      return c.process.pid;
    };
    targets.socat = {
      bulk: [PEER_IP.socat, PORTS.socat.bulk],
      pong: [PEER_IP.socat, PORTS.socat.pong],
      groups: [await socat(PORTS.socat.bulk, PORTS.source), await socat(PORTS.socat.pong, PORTS.pong.socat)],
    };
  } else skipped.push('socat: not installed');
  if (!missing.includes('haproxy')) {
    const conf = join(tmp, 'haproxy.cfg');
    writeFileSync(conf, haproxyConf());
    const haproxy = await start('haproxy', ['-f', conf, '-db'], null, 800);
    peers.push(haproxy);
    targets.haproxy = {
      bulk: [PEER_IP.haproxy, PORTS.haproxy.bulk],
      pong: [PEER_IP.haproxy, PORTS.haproxy.pong],
      groups: [haproxy.process.pid, haproxy.process.pid],
    };
  } else skipped.push('haproxy: not installed');
  // The C reference relays: a copying userspace proxy with no runtime of its own, at the 64 KiB most proxies
  // read and at the 1 MiB portchain's kube-proxy reads in bulk, and what splice(2) adds.
  const relay = compileRelay(tmp, skipped);
  if (relay) {
    for (const [name, mode, key] of [
      ['C relay (read/write)', 'copy', 'copyRelay'],
      ['C relay (read/write, 1 MiB)', `copy:${2 ** 20}`, 'copyRelayBig'],
      ['C relay (splice)', 'splice', 'spliceRelay'],
    ] as const) {
      const ip = PEER_IP[key];
      const c = await start(
        relay,
        [
          mode,
          ip,
          `${PORTS[key].bulk}=${POD}:${PORTS.source}`,
          `${PORTS[key].pong}=${POD}:${PORTS.pong[key]}`,
        ],
        'ready',
      );
      peers.push(c);
      targets[name] = {
        bulk: [ip, PORTS[key].bulk],
        pong: [ip, PORTS[key].pong],
        groups: [c.process.pid, c.process.pid],
      };
    }
  }

  const tcp = PARTS.has('tcp') ? await measureTcp(targets) : [];

  const http: HttpRow[] = [];
  if (!PARTS.has('http')) skipped.push('HTTP: not asked for (--only)');
  else if (!missing.includes('wrk')) {
    const httpTargets: Record<string, { url: string; group?: number | undefined }> = {
      direct: { url: `http://${POD}:${PORTS.http}${INGRESS_PATH}` },
      'portchain ingress': {
        url: `http://${NODE}:${PORTS.ingress}${INGRESS_PATH}`,
        group: proxy.process.pid,
      },
    };
    if (!missing.includes('nginx')) {
      for (const [name, workers, ip] of [
        ['nginx', 'auto', PEER_IP.nginx],
        ['nginx (1 worker)', 1, PEER_IP.nginx1],
      ] as const) {
        const prefix = join(tmp, `nginx-${workers}`);
        mkdirSync(prefix, { recursive: true });
        writeFileSync(join(prefix, 'nginx.conf'), nginxConf(prefix, workers, ip));
        const n = await start(
          'nginx',
          ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'],
          null,
          800,
        );
        peers.push(n);
        httpTargets[name] = { url: `http://${ip}:${PORTS.nginx}${INGRESS_PATH}`, group: n.process.pid };
      }
    } else skipped.push('nginx: not installed');
    const measured = await rounds(
      Object.keys(httpTargets),
      ROUNDS,
      (t) =>
        withCpu(httpTargets[t]?.group, async () =>
          wrk(httpTargets[t]?.url ?? '', INGRESS_HOST, HTTP_SECONDS, WRK_CONNECTIONS),
        ),
      (a, b) => a.r.requestsPerSecond > b.r.requestsPerSecond,
    );
    for (const [name, m] of measured) http.push(httpRow(name, m.best, m.all));
  } else skipped.push('HTTP: wrk is not installed');

  for (const p of peers) await p.stop();
  await proxy.stop();
  await pod.stop();
  return { tcp, http: sortHttp(http) };
}

const HTTP_ORDER = ['direct', 'portchain ingress', 'nginx', 'nginx (1 worker)'];
const sortHttp = (rows: HttpRow[]) =>
  [...rows].sort((a, b) => HTTP_ORDER.indexOf(a.target) - HTTP_ORDER.indexOf(b.target));

/** The median over a row's rounds of one of their figures (undefined without the row). */
function medianOf(row: HttpRow | undefined, figure: (r: WrkResult) => number): number | undefined {
  return row ? median(row.rounds.map(figure)) : undefined;
}

function httpRow(
  target: string,
  best: { r: WrkResult; cpu: number | null },
  all: readonly { r: WrkResult; cpu: number | null }[],
): HttpRow {
  const requests = all.reduce((n, x) => n + x.r.requestsPerSecond * HTTP_SECONDS, 0);
  const cpu = all.reduce((n, x) => n + (x.cpu ?? 0), 0);
  return {
    target,
    requestsPerSecond: Math.round(best.r.requestsPerSecond),
    p50Ms: best.r.p50Ms,
    p99Ms: best.r.p99Ms,
    errors: all.reduce((n, x) => n + x.r.errors, 0),
    proxyCpuMicrosPerRequest: best.cpu !== null && requests > 0 ? Math.round((cpu * 1e6) / requests) : null,
    rounds: all.map((x) => x.r),
  };
}

/**
 * The kernel modes, inside a network namespace of their own (the host's tables are never touched): this
 * script again, as `--netns MODE`, started with `ip netns exec`.
 */
function kernel(mode: 'iptables' | 'nftables', skipped: string[]): TcpRow[] {
  const name = `pc-h6-bench-${process.pid % 100000}`;
  spawnSync('ip', ['netns', 'del', name]);
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) {
    skipped.push(`${mode}: cannot create a network namespace (${add.stderr.trim()})`);
    return [];
  }
  try {
    spawnSync('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
    const r = spawnSync(
      'ip',
      ['netns', 'exec', name, process.execPath, fileURLToPath(import.meta.url), '--netns', mode],
      {
        encoding: 'utf8',
        timeout: 90_000,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    if (r.status !== 0) {
      skipped.push(`${mode}: the run in the namespace failed (${r.status ?? r.signal})`);
      return [];
    }
    return JSON.parse(r.stdout) as TcpRow[];
  } finally {
    spawnSync('ip', ['netns', 'del', name]);
  }
}

/** Inside the namespace: the pod, the kernel proxy, and direct vs ClusterIP vs NodePort. */
async function inNamespace(mode: 'iptables' | 'nftables'): Promise<void> {
  const pongs = Object.values(PORTS.pong).map(String);
  const pod = await start(
    'node',
    [join(here, 'pod.js'), POD, String(PORTS.source), String(PORTS.http), ...pongs],
    'ready',
  );
  const proxy = await start('node', [join(here, 'proxy-main.js'), proxySpec(mode, undefined)], 'ready');
  const rows = await measureTcp({
    direct: { bulk: [POD, PORTS.source], pong: [POD, PORTS.pong.direct] },
    [`${mode} ClusterIP`]: {
      bulk: [CLUSTER_IP.bulk, PORTS.bulk.service],
      pong: [CLUSTER_IP.pong, PORTS.pongClusterIP],
    },
    [`${mode} NodePort`]: { bulk: [NODE, PORTS.bulk.nodePort], pong: [NODE, PORTS.pongNodePort.nodePort] },
  });
  await proxy.stop();
  await pod.stop();
  process.stdout.write(JSON.stringify(rows));
}

function ratio(a: number | undefined, b: number | undefined): number {
  return rounded(fraction(a, b));
}

/** A ratio as the report prints it: two decimals, 0 when it could not be measured. */
function rounded(f: number | undefined): number {
  return f === undefined ? 0 : round(f, 2);
}

/** a / b unrounded, for ratios of ratios; undefined when either is missing or zero. */
function fraction(a: number | undefined, b: number | undefined): number | undefined {
  return a && b ? a / b : undefined;
}

function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [
    line(cells[0] ?? []),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

async function main(): Promise<void> {
  const netnsAt = process.argv.indexOf('--netns');
  if (netnsAt >= 0) {
    await inNamespace(process.argv[netnsAt + 1] === 'nftables' ? 'nftables' : 'iptables');
    process.exit(0);
  }
  const started = Date.now();
  const skipped: string[] = [];
  const missing = ensurePackages({ socat: 'socat', haproxy: 'haproxy', nginx: 'nginx', wrk: 'wrk' });
  const m = machine();
  const tmp = mkdtempSync(join(tmpdir(), 'portchain-dataplane-'));
  try {
    const { tcp, http } = await userspace(tmp, skipped, missing);
    const kernelRuns: Report['kernel'][number][] = [];
    if (!PARTS.has('kernel')) skipped.push('iptables/nftables modes: not asked for (--only)');
    else if (process.getuid?.() === 0) {
      const tools = ensurePackages({ 'iptables-restore': 'iptables', nft: 'nftables' });
      for (const mode of ['iptables', 'nftables'] as const) {
        if (tools.includes(mode === 'iptables' ? 'iptables-restore' : 'nft'))
          skipped.push(`${mode}: not installed`);
        else kernelRuns.push({ mode, tcp: kernel(mode, skipped) });
      }
    } else skipped.push('iptables/nftables modes: need root');

    const by = (rows: readonly TcpRow[], t: string) => rows.find((r) => r.target === t);
    const h = (t: string) => http.find((r) => r.target === t);
    const gbps = (a: string, b: string) => ratio(by(tcp, a)?.throughputGbps, by(tcp, b)?.throughputGbps);
    const medianGbps = (t: string) => {
      const rounds = by(tcp, t)?.throughputRounds;
      return rounds?.length ? median(rounds) : undefined;
    };
    const gbpsMedians = (a: string, b: string) => ratio(medianGbps(a), medianGbps(b));
    const conns = (a: string, b: string) =>
      ratio(by(tcp, a)?.connectionsPerSecond, by(tcp, b)?.connectionsPerSecond);
    const ratios: Record<string, number> = {
      'ClusterIP throughput / direct': gbps('userspace ClusterIP', 'direct'),
      'NodePort throughput / direct': gbps('userspace NodePort', 'direct'),
      'ClusterIP throughput / socat': gbps('userspace ClusterIP', 'socat'),
      'ClusterIP throughput / haproxy': gbps('userspace ClusterIP', 'haproxy'),
      'ClusterIP conn/s / direct': conns('userspace ClusterIP', 'direct'),
      'ClusterIP conn/s / socat': conns('userspace ClusterIP', 'socat'),
      'ClusterIP conn/s / haproxy': conns('userspace ClusterIP', 'haproxy'),
      'C relay (read/write) throughput / direct': gbps('C relay (read/write)', 'direct'),
      'C relay (read/write, 1 MiB) throughput / direct': gbps('C relay (read/write, 1 MiB)', 'direct'),
      'C relay (splice) throughput / direct': gbps('C relay (splice)', 'direct'),
      'ClusterIP throughput / C relay (read/write)': gbps('userspace ClusterIP', 'C relay (read/write)'),
      'ClusterIP throughput / C relay (read/write, 1 MiB)': gbps(
        'userspace ClusterIP',
        'C relay (read/write, 1 MiB)',
      ),
      // Throughput varies a lot from round to round here (one proxy and two endpoints on two cores): the
      // same ratios from the medians of the rounds, beside the best rounds' above.
      'ClusterIP throughput / direct, medians': gbpsMedians('userspace ClusterIP', 'direct'),
      'NodePort throughput / direct, medians': gbpsMedians('userspace NodePort', 'direct'),
      'C relay (read/write, 1 MiB) throughput / direct, medians': gbpsMedians(
        'C relay (read/write, 1 MiB)',
        'direct',
      ),
      'ClusterIP throughput / haproxy, medians': gbpsMedians('userspace ClusterIP', 'haproxy'),
      'Ingress req/s / nginx': ratio(
        h('portchain ingress')?.requestsPerSecond,
        h('nginx')?.requestsPerSecond,
      ),
      'Ingress p99 / nginx p99': ratio(h('portchain ingress')?.p99Ms, h('nginx')?.p99Ms),
      // The same two ratios from the medians of the rounds, beside the best rounds' above.
      'Ingress req/s / nginx, medians': ratio(
        medianOf(h('portchain ingress'), (r) => r.requestsPerSecond),
        medianOf(h('nginx'), (r) => r.requestsPerSecond),
      ),
      'Ingress p99 / nginx p99, medians': ratio(
        medianOf(h('portchain ingress'), (r) => r.p99Ms),
        medianOf(h('nginx'), (r) => r.p99Ms),
      ),
      'Ingress req/s / direct': ratio(
        h('portchain ingress')?.requestsPerSecond,
        h('direct')?.requestsPerSecond,
      ),
    };
    // The namespace's direct connections are not the host's (veth, not lo): a kernel mode and haproxy
    // compare by what each keeps of its own direct figure (unrounded: rounding both first moved it 0.06).
    const haproxy = by(tcp, 'haproxy');
    const hostDirect = by(tcp, 'direct');
    const haproxyThroughput = fraction(haproxy?.throughputGbps, hostDirect?.throughputGbps);
    const haproxyRate = fraction(haproxy?.connectionsPerSecond, hostDirect?.connectionsPerSecond);
    for (const k of kernelRuns) {
      const cluster = by(k.tcp, `${k.mode} ClusterIP`);
      const direct = by(k.tcp, 'direct');
      const throughput = fraction(cluster?.throughputGbps, direct?.throughputGbps);
      const rate = fraction(cluster?.connectionsPerSecond, direct?.connectionsPerSecond);
      ratios[`${k.mode} ClusterIP throughput / direct`] = rounded(throughput);
      ratios[`${k.mode} ClusterIP conn/s / direct`] = rounded(rate);
      ratios[`${k.mode} vs haproxy, throughput (each x its direct)`] = ratio(throughput, haproxyThroughput);
      ratios[`${k.mode} vs haproxy, conn/s (each x its direct)`] = ratio(rate, haproxyRate);
    }
    const report: Report = {
      date: new Date().toISOString(),
      machine: m,
      settings: {
        tcpSeconds: TCP_SECONDS,
        httpSeconds: HTTP_SECONDS,
        rounds: ROUNDS,
        connectionConcurrency: 16,
        wrk: `wrk -t1 -c${WRK_CONNECTIONS} -d${HTTP_SECONDS}s --latency -H 'Host: ${INGRESS_HOST}' <url>${INGRESS_PATH}`,
        wallSeconds: Math.round((Date.now() - started) / 1000),
        loadAverageAtEnd: machine().load,
      },
      tcp,
      http,
      kernel: kernelRuns,
      skipped,
      ratios,
    };
    mkdirSync('bench-output', { recursive: true });
    writeFileSync(join('bench-output', 'dataplane.json'), `${JSON.stringify(report, null, 2)}\n`);

    const out: string[] = [];
    out.push(`machine: ${m.nproc} cores, ${m.cpu}, node ${m.node}, load ${m.load}`);
    out.push(
      `tools: ${Object.entries(m.tools)
        .map(([k, v]) => `${k} ${v ?? 'missing'}`)
        .join(', ')}`,
      '',
    );
    const tcpRows = [
      ...tcp,
      ...kernelRuns.flatMap((k) =>
        k.tcp.map((r) => ({ ...r, target: r.target === 'direct' ? `direct (${k.mode} netns)` : r.target })),
      ),
    ];
    out.push(
      table(
        ['TCP', 'Gbit/s', 'x direct', 'conn/s', 'x direct', 'proxy CPU s/GB', 'proxy CPU us/conn'],
        tcpRows.map((r) => {
          const direct = r.target.includes('iptables')
            ? by(kernelRuns.find((k) => k.mode === 'iptables')?.tcp ?? [], 'direct')
            : r.target.includes('nftables')
              ? by(kernelRuns.find((k) => k.mode === 'nftables')?.tcp ?? [], 'direct')
              : by(tcp, 'direct');
          return [
            r.target,
            r.throughputGbps,
            ratio(r.throughputGbps, direct?.throughputGbps),
            r.connectionsPerSecond,
            ratio(r.connectionsPerSecond, direct?.connectionsPerSecond),
            r.proxyCpuSecondsPerGB ?? '-',
            r.proxyCpuMicrosPerConnection ?? '-',
          ];
        }),
      ),
      '',
    );
    if (http.length > 0)
      out.push(
        table(
          ['HTTP (wrk -c50)', 'req/s', 'x nginx', 'p50 ms', 'p99 ms', 'errors', 'proxy CPU us/req'],
          http.map((r) => [
            r.target,
            r.requestsPerSecond,
            ratio(r.requestsPerSecond, h('nginx')?.requestsPerSecond),
            r.p50Ms,
            r.p99Ms,
            r.errors,
            r.proxyCpuMicrosPerRequest ?? '-',
          ]),
        ),
        '',
      );
    out.push(table(['ratio', 'value'], Object.entries(ratios)));
    if (skipped.length > 0) out.push('', `skipped: ${skipped.join('; ')}`);
    out.push('', `wrote bench-output/dataplane.json in ${report.settings.wallSeconds} s`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
