/**
 * kube-proxy's kernel modes (`--proxy-mode iptables|nftables`): the rules as text, and the real thing inside a
 * network namespace this test creates (never the host's tables). Clients and servers run in that namespace as
 * child processes (`ip netns exec`); the proxy programs its tables through the `netns` option. Needs root and
 * iproute2; iptables and nftables (Debian packages) for the modes themselves.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  iptablesRules,
  kernelProxyProblem,
  kernelServicePorts,
  nftablesScript,
  parseConntrack,
  parseIptablesCounters,
  staleUdpFlows,
  startKernelProxy,
} from '../src/runtime/kernel-proxy.js';
import type { KubeProxy } from '../src/runtime/kube-proxy.js';
import type { ClusterPlan, PlanEndpoint, PlanService } from '../src/runtime/plan.js';
import { ep, planOf, svc } from './helpers/plan-builders.js';
import { hasCommand } from './helpers/shared.js';

const plan = (services: PlanService[]): ClusterPlan => planOf('127.80.0.1', services);

describe('kernel proxy rules (text)', () => {
  const p = plan([
    svc(
      'web',
      '127.82.3.1',
      44301,
      [ep('127.81.3.1', 8080), ep('127.81.3.2', 8080), ep('127.81.3.3', 8080)],
      {
        type: 'LoadBalancer',
        loadBalancerIP: '127.83.3.1',
        ports: [
          {
            name: 'http',
            protocol: 'TCP',
            port: 44301,
            listenPort: 44301,
            nodePort: 44302,
            endpoints: [ep('127.81.3.1', 8080), ep('127.81.3.2', 8080), ep('127.81.3.3', 8080)],
          },
        ],
      },
    ),
    svc('empty', '127.82.3.2', 44303, [ep('127.81.3.4', 8080, false)]),
    svc('headless', '', 44304, [ep('127.81.3.5', 8080)], { clusterIP: null }),
  ]);
  const ports = kernelServicePorts(p);

  it('maps clusterIP, nodePort and LoadBalancer addresses to the ready endpoints', () => {
    expect(
      ports.map((sp) => [
        sp.name,
        sp.frontends.map((f) => `${f.kind} ${f.ip}:${f.port}`),
        sp.endpoints.length,
      ]),
    ).toEqual([
      [
        'web',
        ['clusterIP 127.82.3.1:44301', 'nodePort 127.80.0.1:44302', 'loadBalancer 127.83.3.1:44301'],
        3,
      ],
      ['empty', ['clusterIP 127.82.3.2:44303'], 0],
    ]);
  });

  it('writes KUBE-SVC/KUBE-SEP style chains with 1/(n-i) probabilities, and REJECT without endpoints', () => {
    const { text, chains } = iptablesRules(ports, null, true);
    const svcChain = chains.nat.find((c) => c.startsWith('PORTCHAIN-SVC-')) as string;
    const picks = text
      .split('\n')
      .filter((l) => l.startsWith(`-A ${svcChain}`))
      .map((l) => /--probability ([\d.]+)/.exec(l)?.[1] ?? 'last');
    expect(picks).toEqual(['0.33333333333', '0.50000000000', 'last']);
    expect(text.match(/-j DNAT --to-destination 127\.81\.3\.\d:8080/g)).toHaveLength(3);
    expect(text).toMatch(/-A PORTCHAIN-FILTER .*-d 127\.82\.3\.2\/32 -p tcp -m tcp --dport 44303 -j REJECT/);
    expect(text).toContain('-I OUTPUT 1 -j PORTCHAIN-SERVICES');
    // Every name fits iptables' 28 characters.
    for (const c of [...chains.nat, ...chains.filter]) expect(c.length).toBeLessThanOrEqual(28);
    // The next update without the Service deletes its chains, and does not hook again.
    const next = iptablesRules(kernelServicePorts(plan([])), chains, false);
    expect(next.text).toContain(`-X ${svcChain}`);
    expect(next.text).not.toContain('-I OUTPUT');
  });

  it('writes ClientIP affinity as -m recent, and nftables as a numgen vmap', () => {
    const sticky = kernelServicePorts(
      plan([
        svc('s', '127.82.3.3', 44305, [ep('127.81.3.6', 1), ep('127.81.3.7', 1)], {
          sessionAffinity: 'ClientIP',
          affinityTimeoutSeconds: 60,
        }),
      ]),
    );
    expect(iptablesRules(sticky, null, false).text).toMatch(
      /-m recent --name PORTCHAIN-SEP-\w+ --rcheck --seconds 60 --reap/,
    );
    const nft = nftablesScript(ports);
    expect(nft).toContain('numgen random mod 3 vmap');
    expect(nft).toContain('127.82.3.1 . tcp . 44301 : goto svc-');
    expect(nft).toMatch(/ip daddr 127\.82\.3\.2 meta l4proto tcp th dport 44303 counter reject/);
    expect(nftablesScript(sticky)).toMatch(/update @affinity-sep-\w+ \{ ip saddr \}/);
  });

  it('clears the UDP flows of endpoints that left, and of Service ports that had none (as kube-proxy)', () => {
    const dns = (endpoints: PlanEndpoint[]): PlanService => ({
      ...svc('dns', '127.82.1.4', 53, []),
      type: 'NodePort',
      ports: [{ name: '', protocol: 'UDP', port: 53, listenPort: 53, nodePort: 30053, endpoints }],
    });
    const web = (endpoints: PlanEndpoint[]) => svc('web', '127.82.1.5', 80, endpoints);
    const a = ep('127.81.1.1', 53);
    const b = ep('127.81.1.2', 53);
    const ports = (services: PlanService[]) => kernelServicePorts(plan(services));
    // b left: its flows through the clusterIP and the node port go; a's stay; TCP is never touched.
    expect(staleUdpFlows(ports([dns([a, b]), web([a, b])]), ports([dns([a]), web([a])]))).toEqual([
      ['-D', '--orig-dst', '127.82.1.4', '-p', 'udp', '--dst-nat', '127.81.1.2'],
      ['-D', '-p', 'udp', '--dport', '30053', '--dst-nat', '127.81.1.2'],
    ]);
    // No endpoint before, one now: every flow to its addresses goes (they were made while nothing matched).
    expect(staleUdpFlows(ports([dns([])]), ports([dns([a])]))).toEqual([
      ['-D', '--orig-dst', '127.82.1.4', '-p', 'udp'],
      ['-D', '-p', 'udp', '--dport', '30053'],
    ]);
    // Nothing changed: nothing to clear.
    expect(staleUdpFlows(ports([dns([a, b])]), ports([dns([b, a])]))).toEqual([]);
  });

  it('reads connection counters and conntrack entries', () => {
    const { chains } = iptablesRules(ports, null, false);
    const sep = chains.nat.find((c) => c.startsWith('PORTCHAIN-SEP-')) as string;
    const counted = parseIptablesCounters(
      `[7:420] -A ${sep} -p tcp -m tcp -j DNAT --to-destination 127.81.3.1:8080\n[3:180] -A PORTCHAIN-FILTER -d 127.82.3.2/32 -p tcp -m tcp --dport 44303 -j REJECT\n[9:999] -A PORTCHAIN-ACCOUNT -p tcp -m conntrack --ctorigdst 127.82.3.1 --ctorigdstport 44301\n`,
    );
    expect(counted.connections.get(sep)).toBe(7);
    expect(counted.rejected.get('127.82.3.2:44303/tcp')).toBe(3);
    expect(counted.bytes.get('127.82.3.1:44301/tcp')).toBe(999);
    parseConntrack(
      'ipv4     2 tcp      6 431999 ESTABLISHED src=127.0.0.1 dst=127.82.3.1 sport=40000 dport=44301 src=127.81.3.1 dst=127.0.0.1 sport=8080 dport=40000 [ASSURED] mark=0 use=2\nipv4     2 tcp      6 100 TIME_WAIT src=127.0.0.1 dst=127.82.3.1 sport=40001 dport=44301 src=127.81.3.1 dst=127.0.0.1 sport=8080 dport=40001 [ASSURED] mark=0 use=1\n',
      counted,
    );
    expect(counted.active.get('127.82.3.1:44301/tcp')).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Inside a network namespace.

const root = process.getuid?.() === 0;
const why = !root ? 'not root' : !hasCommand('ip') ? 'iproute2 (ip) is not installed' : null;
if (why) console.warn(`runtime-kernel-proxy namespace tests skipped: ${why}`);

const NS = `pc-h6-k${process.pid % 100000}`;
const ns = (args: readonly string[]) =>
  execFileSync('ip', ['netns', 'exec', NS, ...args], { encoding: 'utf8' });

/** Servers inside the namespace: each TCP one writes its name and closes; prints `{ip: port}` when ready. */
const SERVERS = `
const net = require('node:net');
const ips = JSON.parse(process.argv[1]);
const ports = {};
let n = 0;
const dgram = require('node:dgram');
const done = () => { if (++n === 2 * ips.length) process.stdout.write(JSON.stringify(ports) + '\\n'); };
for (const ip of ips) {
  const s = net.createServer((c) => { c.on('error', () => {}); c.end(ip); });
  s.listen({ host: ip, port: 0 }, () => { ports[ip] = s.address().port; done(); });
  const u = dgram.createSocket('udp4');
  u.on('message', (m, r) => u.send(ip, r.port, r.address));
  u.bind({ address: ip, port: 0 }, () => { ports['udp:' + ip] = u.address().port; done(); });
}
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
`;

/** A client inside the namespace: `count` connections to host:port in turn, what each read (or its error). */
const CLIENT = `
const net = require('node:net');
const [host, port, count] = process.argv.slice(1);
const out = [];
const one = (i) => {
  if (i === Number(count)) { process.stdout.write(JSON.stringify(out)); return; }
  const s = net.connect({ host, port: Number(port) });
  let got = '';
  s.on('data', (d) => { got += d; });
  s.on('error', (e) => { got = 'error:' + e.code; });
  s.on('close', () => { out.push(got); one(i + 1); });
};
one(0);
`;

/** A UDP client inside the namespace: one datagram, the answer (or `timeout`). */
const UDP_CLIENT = `
const s = require('node:dgram').createSocket('udp4');
const [host, port, sport] = process.argv.slice(1);
const t = setTimeout(() => { process.stdout.write('timeout'); process.exit(0); }, 2000);
s.on('message', (m) => { clearTimeout(t); process.stdout.write(String(m)); process.exit(0); });
s.bind(Number(sport), () => s.send('?', Number(port), host));
`;

function ask(host: string, port: number, sourcePort?: number): string {
  return ns(['node', '-e', UDP_CLIENT, host, String(port), String(sourcePort ?? 0)]);
}

function connect(host: string, port: number, count: number): string[] {
  return JSON.parse(ns(['node', '-e', CLIENT, host, String(port), String(count)])) as string[];
}

describe.skipIf(why !== null)('kernel proxy in a network namespace', () => {
  let servers: ChildProcess | undefined;
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    spawnSync('ip', ['netns', 'del', NS]);
    execFileSync('ip', ['netns', 'add', NS]);
    ns(['ip', 'link', 'set', 'lo', 'up']);
    servers = spawn(
      'ip',
      [
        'netns',
        'exec',
        NS,
        'node',
        '-e',
        SERVERS,
        JSON.stringify(['127.81.4.1', '127.81.4.2', '127.81.4.3']),
      ],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    Object.assign(
      ports,
      await new Promise<Record<string, number>>((resolve, reject) => {
        let out = '';
        servers?.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(JSON.parse(out) as Record<string, number>);
        });
        servers?.once('exit', (code) => reject(new Error(`servers exited with ${code}`)));
      }),
    );
  }, 60_000);

  afterAll(async () => {
    if (servers && servers.exitCode === null) {
      const exited = new Promise((r) => servers?.once('exit', r));
      servers.stdin?.end();
      await exited;
    }
    spawnSync('ip', ['netns', 'del', NS]);
  });

  for (const mode of ['iptables', 'nftables'] as const) {
    const tool = mode === 'iptables' ? 'iptables-restore' : 'nft';
    it.skipIf(!hasCommand(tool))(
      `${mode}: DNAT from clusterIP, nodePort and LB to the endpoints, REJECT, updates, close`,
      async () => {
        const a = ep('127.81.4.1', ports['127.81.4.1'] as number);
        const b = ep('127.81.4.2', ports['127.81.4.2'] as number);
        const c = ep('127.81.4.3', ports['127.81.4.3'] as number);
        const web: PlanService = {
          ...svc('web', '127.82.4.1', 44311, []),
          type: 'LoadBalancer',
          loadBalancerIP: '127.83.4.1',
          ports: [
            { name: '', protocol: 'TCP', port: 44311, listenPort: 44311, nodePort: 44312, endpoints: [a, b] },
          ],
        };
        const sticky = svc('sticky', '127.82.4.2', 44313, [a, b], { sessionAffinity: 'ClientIP' });
        const empty = svc('empty', '127.82.4.3', 44314, [ep('127.81.4.1', 1, false)]);
        const udp: PlanService = {
          ...svc('dns', '127.82.4.4', 44315, []),
          ports: [
            {
              name: '',
              protocol: 'UDP',
              port: 44315,
              listenPort: 44315,
              nodePort: null,
              endpoints: [ep('127.81.4.2', ports['udp:127.81.4.2'] as number)],
            },
          ],
        };
        let proxy: KubeProxy | undefined;
        try {
          proxy = await startKernelProxy(mode, plan([web, sticky, empty, udp]), { netns: NS });
          expect(proxy.listening()).toEqual([
            'TCP 127.82.4.1:44311',
            'TCP 127.80.0.1:44312',
            'TCP 127.83.4.1:44311',
            'TCP 127.82.4.2:44313',
            'UDP 127.82.4.4:44315',
          ]);
          // Random 1/n per connection (kube-proxy): 40 connections reach both endpoints, nothing else.
          const got = connect('127.82.4.1', 44311, 40);
          expect(new Set(got)).toEqual(new Set(['127.81.4.1', '127.81.4.2']));
          expect(connect('127.80.0.1', 44312, 3).every((r) => r === '127.81.4.1' || r === '127.81.4.2')).toBe(
            true,
          );
          expect(connect('127.83.4.1', 44311, 3).every((r) => r === '127.81.4.1' || r === '127.81.4.2')).toBe(
            true,
          );
          // ClientIP affinity: one endpoint for every connection of this client.
          expect(new Set(connect('127.82.4.2', 44313, 12)).size).toBe(1);
          // No ready endpoint: REJECT.
          expect(connect('127.82.4.3', 44314, 1)).toEqual(['error:ECONNREFUSED']);
          // UDP: the first datagram of a flow is translated, the answer comes back from the Service address.
          expect(ask('127.82.4.4', 44315)).toBe('127.81.4.2');

          // Live traffic from the kernel's counters (read in the background: ask, wait, ask again).
          const k = proxy;
          const counted = () => k.stats().find((x) => x.name === 'web')?.total === 46;
          for (let end = Date.now() + 15_000; !counted() && Date.now() < end; )
            await new Promise((r) => setTimeout(r, 100));
          const stats = new Map(proxy.stats().map((s) => [s.name, s]));
          const w = stats.get('web');
          expect(w?.total).toBe(46);
          expect(Object.values(w?.byEndpoint ?? {}).reduce((x, y) => x + y, 0)).toBe(46);
          expect(w?.bytes).toBeGreaterThan(0);
          expect(stats.get('empty')).toMatchObject({ failed: 1, total: 1 });
          expect(stats.get('dns')).toMatchObject({ protocol: 'UDP', total: 1 });
          // A UDP flow stays in conntrack until idle (30 s): this one, and the other mode's in this namespace.
          expect(stats.get('dns')?.active).toBeGreaterThanOrEqual(1);

          // Endpoints change: the rules follow.
          await proxy.update(
            plan([{ ...web, ports: web.ports.map((p) => ({ ...p, endpoints: [c] })) }, empty]),
          );
          expect(new Set(connect('127.82.4.1', 44311, 5))).toEqual(new Set(['127.81.4.3']));
          expect(connect('127.82.4.2', 44313, 1)).toEqual(['error:ECONNREFUSED']);

          // UDP: a client that keeps its source port keeps its conntrack entry. When its endpoint leaves, the
          // entry is cleared (conntrack -D, as kube-proxy does), so the next datagram goes to the new endpoint.
          if (hasCommand('conntrack')) {
            const sport = mode === 'iptables' ? 44390 : 44391;
            await proxy.update(plan([udp]));
            expect(ask('127.82.4.4', 44315, sport)).toBe('127.81.4.2');
            const moved: PlanService = {
              ...udp,
              ports: udp.ports.map((p) => ({
                ...p,
                endpoints: [ep('127.81.4.3', ports['udp:127.81.4.3'] as number)],
              })),
            };
            await proxy.update(plan([moved]));
            expect(ask('127.82.4.4', 44315, sport)).toBe('127.81.4.3');
            expect(proxy.problems).toEqual([]);
          }
        } finally {
          await proxy?.close();
        }
        // Closed: nothing of ours is left in the namespace's tables, and nothing is translated.
        expect(ns(['iptables-save'])).not.toContain('PORTCHAIN');
        if (hasCommand('nft')) expect(ns(['nft', 'list', 'tables'])).not.toContain('portchain');
        expect(connect('127.82.4.1', 44311, 1)).toEqual(['error:ECONNREFUSED']);
      },
      // About twenty client processes are started in the namespace: slow on a busy machine.
      90_000,
    );
  }
});

describe('kernel proxy preconditions', () => {
  it('names root as the requirement, and is silent for root', () => {
    expect(kernelProxyProblem('iptables', 1000)).toMatch(
      /--proxy-mode iptables .* needs root \(CAP_NET_ADMIN\).*userspace/,
    );
    expect(kernelProxyProblem('nftables', 0)).toBeNull();
  });
});
