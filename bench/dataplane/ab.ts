/**
 * A/B of two builds of the data plane in the same minutes (the machine is shared, so only figures taken
 * side by side compare): one pod, a proxy process per build (bench-dist directories, each with its own
 * ClusterIPs and ingress address), optionally haproxy and nginx as peers, rounds interleaved across targets.
 *
 *   node bench-dist/bench/dataplane/ab.js --a <dist> [--b <dist>] [--rounds 4] [--parts bulk,conn,http]
 *     [--peers] [--bare pipe,onread:65536]
 *     [--flags-a '<node flags>'] [--flags-b '<node flags>']
 *
 * `<dist>` is a copy of bench-dist (what `npx tsc -p bench/tsconfig.json` emits). `--bare` adds bare-node.js relays
 * (each mode listed), with no portchain code at all, as the floor of what Node costs. Prints the median of the rounds
 * (round 1, cold JIT, left out when there are more than two) and the proxy CPU per unit of work. Uses the
 * benchmark's block (127.80-82.x.x, ports 44500-44599), apart from run.ts's addresses and ports.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterPlan } from '../../src/runtime/plan.js';
import { median } from '../stats.js';
import { connectionRate, tcpThroughput } from './load.js';
import { type Child, groupCpuSeconds, start, wrk } from './peers.js';
import type { BenchProxySpec } from './proxy-main.js';
import { INGRESS_HOST, INGRESS_PATH, ingressYaml, planService } from './setup.js';

const here = dirname(fileURLToPath(import.meta.url));
const POD = '127.81.0.9';
const P = {
  source: 44500,
  http: 44501,
  pong: 44502,
  bulk: 44510,
  pongSvc: 44511,
  web: 44512,
  ingress: 44520,
};
const HAPROXY = { ip: '127.80.9.1', bulk: 44530, pong: 44531 };
const NGINX = { ip: '127.80.9.2', port: 44540 };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

/** Build n's plan: ClusterIPs 127.82.<n>.1-3, node 127.80.<n>.1. */
function plan(n: number): ClusterPlan {
  const ip = (k: number) => `127.82.${n}.${k}`;
  return {
    node: `127.80.${n}.1`,
    lowPortOffset: 0,
    pods: [],
    services: [
      planService('bulk', ip(1), P.bulk, P.source, null, POD),
      planService('pong', ip(2), P.pongSvc, P.pong, null, POD),
      planService('api', ip(3), P.web, P.http, null, POD),
      planService('web', ip(4), P.web, P.http, null, POD),
    ],
    notes: [],
  };
}

const INGRESS = ingressYaml(P.web, P.web);

interface Target {
  readonly bulk?: readonly [string, number];
  readonly pong?: readonly [string, number];
  readonly http?: string;
  readonly group?: number;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

async function main(): Promise<void> {
  const dists = [arg('a'), arg('b')].filter((d): d is string => d !== undefined).map((d) => resolve(d));
  const rounds = Number(arg('rounds') ?? 4);
  const parts = new Set((arg('parts') ?? 'bulk,conn,http').split(','));
  const seconds = Number(arg('seconds') ?? 2);
  const tmp = mkdtempSync(join(tmpdir(), 'portchain-ab-'));
  const children: Child[] = [];
  const targets: Record<string, Target> = {};
  try {
    children.push(
      await start(
        'node',
        [join(here, 'pod.js'), POD, String(P.source), String(P.http), String(P.pong)],
        'ready',
      ),
    );
    targets.direct = {
      bulk: [POD, P.source],
      pong: [POD, P.pong],
      http: `http://${POD}:${P.http}${INGRESS_PATH}`,
    };
    writeFileSync(join(tmp, 'ingress.yaml'), INGRESS);
    for (const [i, dist] of dists.entries()) {
      const n = i + 1;
      const spec: BenchProxySpec = {
        mode: 'userspace',
        plan: plan(n),
        ingress: { file: join(tmp, 'ingress.yaml'), host: `127.80.${n}.1`, port: P.ingress },
      };
      const nodeFlags = arg(`flags-${i === 0 ? 'a' : 'b'}`)?.split(' ') ?? [];
      const c = await start(
        'node',
        [...nodeFlags, join(dist, 'bench', 'dataplane', 'proxy-main.js'), JSON.stringify(spec)],
        'ready',
      );
      children.push(c);
      targets[i === 0 ? 'A' : 'B'] = {
        bulk: [`127.82.${n}.1`, P.bulk],
        pong: [`127.82.${n}.2`, P.pongSvc],
        http: `http://127.80.${n}.1:${P.ingress}${INGRESS_PATH}`,
        ...(c.process.pid !== undefined ? { group: c.process.pid } : {}),
      };
    }
    for (const [i, mode] of (arg('bare')?.split(',') ?? []).entries()) {
      const ip = `127.80.8.${i + 1}`;
      const c = await start(
        'node',
        [
          join(here, 'bare-node.js'),
          mode,
          ip,
          `${P.bulk}=${POD}:${P.source}`,
          `${P.pongSvc}=${POD}:${P.pong}`,
        ],
        'ready',
      );
      children.push(c);
      targets[`bare ${mode}`] = {
        bulk: [ip, P.bulk],
        pong: [ip, P.pongSvc],
        ...(c.process.pid !== undefined ? { group: c.process.pid } : {}),
      };
    }
    if (flag('peers')) {
      writeFileSync(
        join(tmp, 'haproxy.cfg'),
        `global\n  maxconn 8000\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n` +
          `listen bulk\n  bind ${HAPROXY.ip}:${HAPROXY.bulk}\n  server pod ${POD}:${P.source}\n` +
          `listen pong\n  bind ${HAPROXY.ip}:${HAPROXY.pong}\n  server pod ${POD}:${P.pong}\n`,
      );
      const h = await start('haproxy', ['-f', join(tmp, 'haproxy.cfg'), '-db'], null, 800);
      children.push(h);
      const prefix = join(tmp, 'nginx');
      mkdirSync(prefix);
      writeFileSync(
        join(prefix, 'nginx.conf'),
        `worker_processes auto;\npid ${prefix}/nginx.pid;\nerror_log ${prefix}/error.log warn;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n  client_body_temp_path ${prefix}/body;\n  proxy_temp_path ${prefix}/proxy;\n  keepalive_requests 100000;\n  upstream api { server ${POD}:${P.http}; keepalive 320; keepalive_requests 100000; }\n  server {\n    listen ${NGINX.ip}:${NGINX.port};\n    server_name ${INGRESS_HOST};\n    location /api { proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; proxy_set_header X-Real-IP $remote_addr; proxy_set_header X-Forwarded-For $remote_addr; proxy_set_header X-Forwarded-Proto $scheme; }\n  }\n}\n`,
      );
      const g = await start(
        'nginx',
        ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'],
        null,
        800,
      );
      children.push(g);
      targets.haproxy = {
        bulk: [HAPROXY.ip, HAPROXY.bulk],
        pong: [HAPROXY.ip, HAPROXY.pong],
        ...(h.process.pid !== undefined ? { group: h.process.pid } : {}),
      };
      targets.nginx = {
        http: `http://${NGINX.ip}:${NGINX.port}${INGRESS_PATH}`,
        ...(g.process.pid !== undefined ? { group: g.process.pid } : {}),
      };
    }
    const podGroup = children[0]?.process.pid;
    const podCpu = () => (podGroup === undefined ? 0 : groupCpuSeconds(podGroup));
    const names = Object.keys(targets);
    const results = new Map<string, Record<string, number[]>>();
    const push = (t: string, k: string, v: number) => {
      const row = results.get(t) ?? {};
      const values = row[k] ?? [];
      values.push(v);
      row[k] = values;
      results.set(t, row);
    };
    const cpu = (t: string) => {
      const g = targets[t]?.group;
      return g === undefined ? 0 : groupCpuSeconds(g);
    };
    for (let r = 0; r < rounds; r++) {
      for (const t of r % 2 === 0 ? names : [...names].reverse()) {
        const tg = targets[t] as Target;
        if (parts.has('bulk') && tg.bulk) {
          const c0 = cpu(t);
          const p0 = podCpu();
          const u0 = process.cpuUsage();
          const b = await tcpThroughput(tg.bulk[0], tg.bulk[1], seconds * 1000, 0);
          const u = process.cpuUsage(u0);
          const gb = b.bytes / 1e9;
          push(t, 'Gbit/s', b.gbps);
          if (tg.group !== undefined) push(t, 'CPU s/GB', (cpu(t) - c0) / gb);
          // The two ends' own cost per GB: the pod (sender) and this process (the reading client).
          push(t, 'pod CPU s/GB', (podCpu() - p0) / gb);
          push(t, 'client CPU s/GB', (u.user + u.system) / 1e6 / gb);
        }
        if (parts.has('conn') && tg.pong) {
          const c0 = cpu(t);
          const c = await connectionRate(tg.pong[0], tg.pong[1], seconds * 1000, 16);
          push(t, 'conn/s', c.perSecond);
          if (c.failures > 0) push(t, 'conn failures', c.failures);
          if (tg.group !== undefined) push(t, 'CPU us/conn', ((cpu(t) - c0) * 1e6) / c.connections);
        }
        if (parts.has('http') && tg.http) {
          const c0 = cpu(t);
          const w = wrk(tg.http, INGRESS_HOST, seconds * 2, 50);
          push(t, 'req/s', w.requestsPerSecond);
          push(t, 'p50 ms', w.p50Ms);
          push(t, 'p99 ms', w.p99Ms);
          if (w.errors > 0) push(t, 'errors', w.errors);
          if (tg.group !== undefined)
            push(t, 'CPU us/req', ((cpu(t) - c0) * 1e6) / (w.requestsPerSecond * seconds * 2));
        }
      }
    }
    const skip = rounds > 2 ? 1 : 0;
    const lines: string[] = [];
    for (const [t, row] of results) {
      const cells = Object.entries(row).map(
        ([k, vs]) => `${k} ${r2(median(vs.length > skip ? vs.slice(skip) : vs))} [${vs.map(r2).join(' ')}]`,
      );
      lines.push(`${t}: ${cells.join('; ')}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const c of children.reverse()) await c.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
