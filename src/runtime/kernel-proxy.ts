/**
 * kube-proxy's kernel modes for `portchain up --proxy-mode iptables|nftables`: instead of relaying bytes in
 * this process, DNAT rules send each Service address to a ready endpoint, the way kube-proxy's iptables
 * proxier (pkg/proxy/iptables/proxier.go: KUBE-SERVICES → KUBE-SVC-* → KUBE-SEP-* with
 * `-m statistic --mode random --probability 1/n`, session affinity with `-m recent`, REJECT in the filter
 * table for a Service without endpoints) and its nftables proxier (pkg/proxy/nftables/proxier.go: a
 * service-ips verdict map, `numgen random mod n vmap`, a no-endpoint reject) do. The rules match
 * clusterIP:port, node:nodePort and the LoadBalancer address:port; they are hooked in nat OUTPUT (where
 * connections made on this host are translated, loopback included) and PREROUTING.
 *
 * Everything lives in chains named PORTCHAIN-* (iptables) or the table `ip portchain` (nftables), rewritten
 * whole and atomically on every update (iptables-restore --noflush, one nft transaction) and removed on
 * close. Established connections keep their translation (conntrack), as with kube-proxy. Root only.
 *
 * Live traffic comes from the kernel: per endpoint, the packet counters of the DNAT rules (the nat table sees
 * the first packet of a connection only, so they count connections); failed, the REJECT rules' counters;
 * bytes, counting rules on the original destination (conntrack; IP packet bytes, headers included, both
 * ways since loopback traffic passes OUTPUT both ways); active, the conntrack table. The counters
 * are read in the background, so stats() answers at once with values up to one read old.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { KubeProxy } from './kube-proxy.js';
import type { ClusterPlan, PlanService, PlanServicePort } from './plan.js';
import type { ServicePortTraffic } from './stats.js';

export type KernelProxyMode = 'iptables' | 'nftables';

export interface KernelProxyOptions {
  /** Shuffles an endpoint list (tests pass the identity). Order only matters for reading the rules. */
  readonly shuffle?: <T>(list: readonly T[]) => T[];
  /**
   * Program the tables of this network namespace (`ip netns exec NAME ...`) instead of this process's own:
   * tests and benchmarks never touch the host's rules.
   */
  readonly netns?: string;
}

/** The error of a kernel mode that cannot run here (not root, the tool missing). */
export class KernelProxyUnavailable extends Error {}

// ---------------------------------------------------------------------------------------------------------
// What the rules say, independent of the backend.

/** One address a Service port is reached at. */
export interface KernelFrontend {
  readonly ip: string;
  readonly port: number;
  readonly kind: 'clusterIP' | 'nodePort' | 'loadBalancer';
}

/** One Service port as the rules carry it. */
export interface KernelServicePort {
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly frontends: readonly KernelFrontend[];
  /** Ready endpoints `ip:port`. Empty: REJECT. */
  readonly endpoints: readonly { readonly ip: string; readonly port: number }[];
  /** ClientIP affinity timeout in seconds, null without affinity. */
  readonly affinitySeconds: number | null;
  /** Chain-name suffix, stable for the Service port (kube-proxy servicePortChainName: a hash of the name). */
  readonly id: string;
}

const hash = (text: string): string =>
  createHash('sha256').update(text).digest('base64url').replace(/[-_]/g, 'X').slice(0, 12).toUpperCase();

const portProtocol = (p: PlanServicePort): KernelServicePort['protocol'] =>
  p.protocol === 'UDP' || p.protocol === 'SCTP' ? p.protocol : 'TCP';

/** The Service ports of a plan that kube-proxy programs (not headless, not ExternalName). */
export function kernelServicePorts(plan: ClusterPlan, options: KernelProxyOptions = {}): KernelServicePort[] {
  const shuffle = options.shuffle ?? (<T>(l: readonly T[]) => [...l]);
  const out: KernelServicePort[] = [];
  for (const svc of plan.services) {
    if (svc.clusterIP === null) continue;
    for (const p of svc.ports) out.push(kernelServicePort(plan, svc, p, shuffle));
  }
  return out;
}

function kernelServicePort(
  plan: ClusterPlan,
  svc: PlanService,
  p: PlanServicePort,
  shuffle: <T>(l: readonly T[]) => T[],
): KernelServicePort {
  const frontends: KernelFrontend[] = [];
  if (svc.clusterIP) frontends.push({ ip: svc.clusterIP, port: p.listenPort, kind: 'clusterIP' });
  if (p.nodePort !== null) frontends.push({ ip: plan.node, port: p.nodePort, kind: 'nodePort' });
  if (svc.loadBalancerIP)
    frontends.push({ ip: svc.loadBalancerIP, port: p.listenPort, kind: 'loadBalancer' });
  const protocol = portProtocol(p);
  return {
    namespace: svc.namespace,
    name: svc.name,
    port: p.port,
    protocol,
    frontends,
    endpoints: shuffle(p.endpoints.filter((e) => e.ready).map((e) => ({ ip: e.ip, port: e.dialPort }))),
    affinitySeconds: svc.sessionAffinity === 'ClientIP' ? svc.affinityTimeoutSeconds : null,
    id: hash(`${svc.namespace}/${svc.name}:${p.port}/${protocol}`),
  };
}

const sepId = (sp: KernelServicePort, e: { ip: string; port: number }): string =>
  hash(`${sp.id}/${e.ip}:${e.port}`);

// ---------------------------------------------------------------------------------------------------------
// iptables (iptables-restore input).

const NAT_SERVICES = 'PORTCHAIN-SERVICES';
const FILTER_SERVICES = 'PORTCHAIN-FILTER';
const ACCOUNT = 'PORTCHAIN-ACCOUNT';

/** The built-in chains that jump to ours: nat OUTPUT/PREROUTING, filter OUTPUT (kube-proxy's jump rules). */
const IPTABLES_HOOKS: readonly (readonly [table: 'nat' | 'filter', chain: string, target: string])[] = [
  ['nat', 'OUTPUT', NAT_SERVICES],
  ['nat', 'PREROUTING', NAT_SERVICES],
  ['filter', 'OUTPUT', FILTER_SERVICES],
  ['filter', 'OUTPUT', ACCOUNT],
];

const comment = (text: string): string => `-m comment --comment "${text.replace(/["\\]/g, '')}"`;
const proto = (sp: KernelServicePort): string => sp.protocol.toLowerCase();

export interface IptablesRuleset {
  /** iptables-restore --noflush input. */
  readonly text: string;
  /** The chains it defines, per table (so that the next update deletes the ones gone). */
  readonly chains: { readonly nat: readonly string[]; readonly filter: readonly string[] };
}

/**
 * The rules for `ports`, replacing those of `previous` (chains no longer used are deleted). `hook` adds the
 * jump rules from the built-in chains (first apply only).
 */
export function iptablesRules(
  ports: readonly KernelServicePort[],
  previous: IptablesRuleset['chains'] | null,
  hook: boolean,
): IptablesRuleset {
  const natChains = [NAT_SERVICES];
  const nat: string[] = [];
  const filter: string[] = [];
  for (const sp of ports) {
    const name = `${sp.namespace}/${sp.name}:${sp.port}/${sp.protocol}`;
    for (const f of sp.frontends) {
      const match = `-d ${f.ip}/32 -p ${proto(sp)} -m ${proto(sp)} --dport ${f.port}`;
      filter.push(
        `-A ${ACCOUNT} -p ${proto(sp)} -m conntrack --ctorigdst ${f.ip}/32 --ctorigdstport ${f.port}`,
      );
      if (sp.endpoints.length === 0) {
        // kube-proxy: "has no endpoints" → REJECT in the filter table.
        filter.push(`-A ${FILTER_SERVICES} ${comment(`${name} has no endpoints`)} ${match} -j REJECT`);
        continue;
      }
      nat.push(`-A ${NAT_SERVICES} ${comment(`${name} ${f.kind}`)} ${match} -j PORTCHAIN-SVC-${sp.id}`);
    }
    if (sp.endpoints.length === 0) continue;
    const svc = `PORTCHAIN-SVC-${sp.id}`;
    natChains.push(svc);
    const seps = sp.endpoints.map((e) => ({ e, chain: `PORTCHAIN-SEP-${sepId(sp, e)}` }));
    // Session affinity first: a client seen recently goes back to its endpoint (-m recent --rcheck).
    if (sp.affinitySeconds !== null)
      for (const { e, chain } of seps)
        nat.push(
          `-A ${svc} ${comment(`${name} -> ${e.ip}:${e.port}`)} -m recent --name ${chain} --rcheck --seconds ${sp.affinitySeconds} --reap -j ${chain}`,
        );
    // Then one of n at random: rule i matches with probability 1/(n-i), as kube-proxy writes it.
    seps.forEach(({ e, chain }, i) => {
      const left = seps.length - i;
      const pick = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(11)}` : '';
      nat.push(`-A ${svc} ${comment(`${name} -> ${e.ip}:${e.port}`)}${pick} -j ${chain}`);
    });
    for (const { e, chain } of seps) {
      natChains.push(chain);
      const recent = sp.affinitySeconds !== null ? ` -m recent --name ${chain} --set` : '';
      nat.push(
        `-A ${chain} ${comment(`${name} -> ${e.ip}:${e.port}`)} -p ${proto(sp)} -m ${proto(sp)}${recent} -j DNAT --to-destination ${e.ip}:${e.port}`,
      );
    }
  }
  const filterChains = [FILTER_SERVICES, ACCOUNT];
  const gone = (now: readonly string[], before: readonly string[] | undefined) =>
    (before ?? []).filter((c) => !now.includes(c));
  const table = (
    name: 'nat' | 'filter',
    chains: readonly string[],
    rules: readonly string[],
    old: readonly string[],
  ) => [
    `*${name}`,
    // Declaring a chain flushes it (iptables-restore --noflush); stale ones are flushed, then deleted.
    ...[...chains, ...old].map((c) => `:${c} - [0:0]`),
    ...(hook
      ? IPTABLES_HOOKS.filter(([t]) => t === name).map(([, c, target]) => `-I ${c} 1 -j ${target}`)
      : []),
    ...rules,
    ...old.map((c) => `-X ${c}`),
    'COMMIT',
  ];
  const lines = [
    ...table('nat', natChains, nat, gone(natChains, previous?.nat)),
    ...table('filter', filterChains, filter, gone(filterChains, previous?.filter)),
  ];
  return { text: `${lines.join('\n')}\n`, chains: { nat: natChains, filter: filterChains } };
}

/** Flushes and deletes the given PORTCHAIN chains (the jumps to them must be gone: unhookIptables). */
export function iptablesTeardown(chains: IptablesRuleset['chains']): string {
  const table = (name: 'nat' | 'filter', list: readonly string[]) => [
    `*${name}`,
    ...list.map((c) => `:${c} - [0:0]`),
    ...list.map((c) => `-X ${c}`),
    'COMMIT',
  ];
  return `${[...table('nat', chains.nat), ...table('filter', chains.filter)].join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// nftables (one `nft -f -` transaction).

export const NFT_TABLE = 'portchain';

const nftSet = (items: readonly string[]): string =>
  items.length > 0 ? ` elements = { ${items.join(', ')} }` : '';

/** The whole `table ip portchain`, replaced in one transaction (add, delete, define). */
export function nftablesScript(ports: readonly KernelServicePort[]): string {
  const serviceIps: string[] = [];
  const rejects: string[] = [];
  const chains: string[] = [];
  const sets: string[] = [];
  const account: string[] = [];
  for (const sp of ports) {
    const p = proto(sp);
    for (const f of sp.frontends) {
      const key = `${f.ip} . ${p} . ${f.port}`;
      // kube-proxy's no-endpoint-services: reject; one rule each so that its counter tells the refusals.
      if (sp.endpoints.length === 0)
        rejects.push(
          `    ip daddr ${f.ip} meta l4proto ${p} th dport ${f.port} counter reject comment "reject ${frontKey(f.ip, f.port, p)}"`,
        );
      else serviceIps.push(`${key} : goto svc-${sp.id}`);
      account.push(
        `    meta l4proto ${p} ct original ip daddr ${f.ip} ct original proto-dst ${f.port} counter comment "bytes ${frontKey(f.ip, f.port, p)}"`,
      );
    }
    if (sp.endpoints.length === 0) continue;
    const seps = sp.endpoints.map((e) => ({ e, chain: `sep-${sepId(sp, e)}` }));
    const affinity = sp.affinitySeconds !== null;
    const svc: string[] = [];
    if (affinity)
      for (const { chain } of seps) {
        sets.push(
          `  set affinity-${chain} { type ipv4_addr; flags dynamic,timeout; timeout ${sp.affinitySeconds}s; }`,
        );
        svc.push(`    ip saddr @affinity-${chain} goto ${chain}`);
      }
    svc.push(
      `    numgen random mod ${seps.length} vmap { ${seps.map(({ chain }, i) => `${i} : goto ${chain}`).join(', ')} }`,
    );
    chains.push(`  chain svc-${sp.id} {\n${svc.join('\n')}\n  }`);
    for (const { e, chain } of seps) {
      const update = affinity ? ` update @affinity-${chain} { ip saddr }` : '';
      chains.push(
        `  chain ${chain} {\n    meta l4proto ${p}${update} counter dnat to ${e.ip}:${e.port}\n  }`,
      );
    }
  }
  return `table ip ${NFT_TABLE}
delete table ip ${NFT_TABLE}
table ip ${NFT_TABLE} {
  map service-ips {
    type ipv4_addr . inet_proto . inet_service : verdict;${nftSet(serviceIps)}
  }
${sets.join('\n')}
  chain nat-output {
    type nat hook output priority -100; policy accept;
    ip daddr . meta l4proto . th dport vmap @service-ips
  }
  chain nat-prerouting {
    type nat hook prerouting priority -100; policy accept;
    ip daddr . meta l4proto . th dport vmap @service-ips
  }
  chain filter-output {
    type filter hook output priority 0; policy accept;
${[...rejects, ...account].join('\n')}
  }
${chains.join('\n')}
}
`;
}

// ---------------------------------------------------------------------------------------------------------
// Stale UDP flows.

const spKey = (sp: KernelServicePort) => `${sp.namespace}/${sp.name}:${sp.port}/${sp.protocol}`;

/**
 * The `conntrack` deletions kube-proxy makes after an update, so that UDP flows do not stick to what changed
 * (pkg/proxy/conntrack/cleanup.go: deleteStaleEndpointConnections and deleteStaleServiceConntrackEntries).
 * UDP has no connection end, so a client that keeps its source port keeps its conntrack entry, and with it:
 * - the translation to an endpoint that left: `ClearEntriesForNAT(frontend, endpoint)` (for a node port,
 *   `ClearEntriesForPortNAT(endpoint, nodePort)`), else its datagrams go on to the old pod;
 * - no translation at all, for a Service port that had no endpoint and now has one (the entry was made while
 *   nothing matched): `ClearEntriesForIP(frontend)` (`ClearEntriesForPort(nodePort)`).
 * Each result is one `conntrack` argument list.
 */
export function staleUdpFlows(
  before: readonly KernelServicePort[],
  after: readonly KernelServicePort[],
): string[][] {
  const out = new Map<string, string[]>();
  const add = (args: string[]) => out.set(args.join(' '), args);
  const afterByKey = new Map(after.map((sp) => [spKey(sp), sp]));
  const beforeByKey = new Map(before.map((sp) => [spKey(sp), sp]));
  for (const sp of before) {
    if (sp.protocol !== 'UDP') continue;
    const still = new Set((afterByKey.get(spKey(sp))?.endpoints ?? []).map((e) => e.ip));
    for (const e of sp.endpoints) {
      if (still.has(e.ip)) continue;
      for (const f of sp.frontends)
        add(
          f.kind === 'nodePort'
            ? ['-D', '-p', 'udp', '--dport', String(f.port), '--dst-nat', e.ip]
            : ['-D', '--orig-dst', f.ip, '-p', 'udp', '--dst-nat', e.ip],
        );
    }
  }
  for (const sp of after) {
    if (sp.protocol !== 'UDP' || sp.endpoints.length === 0) continue;
    if ((beforeByKey.get(spKey(sp))?.endpoints.length ?? 0) > 0) continue;
    for (const f of sp.frontends)
      add(
        f.kind === 'nodePort'
          ? ['-D', '-p', 'udp', '--dport', String(f.port)]
          : ['-D', '--orig-dst', f.ip, '-p', 'udp'],
      );
  }
  return [...out.values()];
}

// ---------------------------------------------------------------------------------------------------------
// Running the tools.

/** Runs `command` (in `netns` when given), feeding `input`; resolves with its stdout. */
function run(
  netns: string | undefined,
  command: string,
  args: readonly string[],
  input?: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const argv = netns ? ['netns', 'exec', netns, command, ...args] : args;
    const child = spawn(netns ? 'ip' : command, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new KernelProxyUnavailable(
              `${command} is not installed (Debian: apt-get install ${command.startsWith('nft') ? 'nftables' : command === 'conntrack' ? 'conntrack' : 'iptables'})`,
            )
          : e,
      ),
    );
    child.once('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} failed (${code}): ${err.trim()}`));
    });
    // A tool that exits before reading its input (an error) closes the pipe: that is not an error here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** Deletes every jump from a built-in chain to ours (each as often as it is there). */
async function unhookIptables(netns: string | undefined): Promise<void> {
  for (const [table, chain, target] of IPTABLES_HOOKS) {
    for (let i = 0; i < 16; i++) {
      const gone = await run(netns, 'iptables', ['-w', '5', '-t', table, '-D', chain, '-j', target]).then(
        () => false,
        () => true,
      );
      if (gone) break;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Live counters.

interface Counted {
  connections: Map<string, number>; // sep chain → connections
  rejected: Map<string, number>; // `ip:port/proto` → rejected packets
  bytes: Map<string, number>; // `ip:port/proto` → bytes both ways
  active: Map<string, number>; // `ip:port/proto` → conntrack entries
}

const emptyCounted = (): Counted => ({
  connections: new Map(),
  rejected: new Map(),
  bytes: new Map(),
  active: new Map(),
});

const frontKey = (ip: string, port: number, protocol: string) => `${ip}:${port}/${protocol.toLowerCase()}`;

/** Counters from `iptables-save -c` output. */
export function parseIptablesCounters(save: string, into: Counted = emptyCounted()): Counted {
  for (const line of save.split('\n')) {
    const m = /^\[(\d+):(\d+)\] -A (PORTCHAIN-[\w-]+) (.*)$/.exec(line);
    if (!m) continue;
    const [, packets, bytes, chain, rule] = m as unknown as [string, string, string, string, string];
    const p = /-p (\w+)/.exec(rule)?.[1] ?? '';
    if (chain.startsWith('PORTCHAIN-SEP-') && rule.includes('DNAT'))
      into.connections.set(chain, Number(packets));
    else if (chain === FILTER_SERVICES) {
      const d = /-d ([\d.]+)\/32/.exec(rule)?.[1];
      const port = /--dport (\d+)/.exec(rule)?.[1];
      if (d && port) into.rejected.set(frontKey(d, Number(port), p), Number(packets));
    } else if (chain === ACCOUNT) {
      const d = /--ctorigdst ([\d.]+)/.exec(rule)?.[1];
      const port = /--ctorigdstport (\d+)/.exec(rule)?.[1];
      if (d && port) into.bytes.set(frontKey(d, Number(port), p), Number(bytes));
    }
  }
  return into;
}

interface NftCounter {
  readonly packets: number;
  readonly bytes: number;
}

/** Counters from `nft -j list table ip portchain`. */
export function parseNftCounters(json: string, into: Counted = emptyCounted()): Counted {
  const doc = JSON.parse(json) as {
    nftables?: { rule?: { chain: string; comment?: string; expr: Record<string, unknown>[] } }[];
  };
  for (const item of doc.nftables ?? []) {
    const rule = item.rule;
    if (!rule) continue;
    const counter = rule.expr.find((e) => 'counter' in e)?.counter as NftCounter | undefined;
    if (!counter) continue;
    if (rule.chain.startsWith('sep-')) into.connections.set(rule.chain, counter.packets);
    else if (rule.chain === 'filter-output') {
      // The rules carry their key in a comment: `reject ip:port/proto`, `bytes ip:port/proto`.
      const [what, key] = (rule.comment ?? '').split(' ');
      if (what === 'reject' && key) into.rejected.set(key, counter.packets);
      else if (what === 'bytes' && key) into.bytes.set(key, counter.bytes);
    }
  }
  return into;
}

/** Entries of /proc/net/nf_conntrack per original destination (TCP: not yet closing; UDP: all). */
export function parseConntrack(table: string, into: Counted = emptyCounted()): Counted {
  for (const line of table.split('\n')) {
    const m =
      /^ipv4\s+\d+\s+(tcp|udp|sctp)\s+\d+\s+\d+\s+(?:([A-Z_]+)\s+)?src=\S+ dst=([\d.]+) sport=\d+ dport=(\d+)/.exec(
        line,
      );
    if (!m) continue;
    const [, p, state, dst, dport] = m as unknown as [string, string, string | undefined, string, string];
    if (p === 'tcp' && state !== 'ESTABLISHED' && state !== 'SYN_SENT' && state !== 'SYN_RECV') continue;
    const key = frontKey(dst, Number(dport), p);
    into.active.set(key, (into.active.get(key) ?? 0) + 1);
  }
  return into;
}

// ---------------------------------------------------------------------------------------------------------

/** Why `mode` cannot run for this user (null: it can), one sentence. */
export function kernelProxyProblem(mode: KernelProxyMode, uid = process.getuid?.() ?? -1): string | null {
  return uid === 0
    ? null
    : `--proxy-mode ${mode} programs the kernel's NAT table and needs root (CAP_NET_ADMIN); run as root or use the default userspace mode`;
}

export async function startKernelProxy(
  mode: KernelProxyMode,
  plan: ClusterPlan,
  options: KernelProxyOptions = {},
): Promise<KubeProxy> {
  const problem = kernelProxyProblem(mode);
  if (problem) throw new KernelProxyUnavailable(problem);
  const netns = options.netns;
  const exec = (command: string, args: readonly string[], input?: string) => run(netns, command, args, input);
  let ports = kernelServicePorts(plan, options);
  let chains: IptablesRuleset['chains'] | null = null;
  let hooked = false;
  let closed = false;
  const problems: string[] = [];
  let counted = emptyCounted();
  let reading: Promise<void> | null = null;

  const apply = async (): Promise<void> => {
    if (mode === 'iptables') {
      const rules = iptablesRules(ports, chains, !hooked);
      await exec('iptables-restore', ['--noflush', '-w', '5'], rules.text);
      hooked = true;
      chains = rules.chains;
    } else {
      await exec('nft', ['-f', '-'], nftablesScript(ports));
    }
  };

  const teardown = async (): Promise<void> => {
    if (mode === 'iptables') {
      await unhookIptables(netns);
      if (chains) await exec('iptables-restore', ['--noflush', '-w', '5'], iptablesTeardown(chains));
      chains = null;
    } else {
      await exec('nft', ['-f', '-'], `table ip ${NFT_TABLE}\ndelete table ip ${NFT_TABLE}\n`);
    }
  };

  // Leftovers of a run that did not close (killed) would shadow these rules: start clean.
  if (mode === 'iptables') {
    const save = await exec('iptables-save', []);
    const left = (table: string) => {
      const section = save.split(`*${table}`)[1]?.split('COMMIT')[0] ?? '';
      return [...section.matchAll(/^:(PORTCHAIN-[\w-]+)/gm)].map((m) => m[1] as string);
    };
    const stale = { nat: left('nat'), filter: left('filter') };
    if (stale.nat.length + stale.filter.length > 0) {
      await unhookIptables(netns);
      await exec('iptables-restore', ['--noflush', '-w', '5'], iptablesTeardown(stale));
    }
  }
  await apply();

  const read = async (): Promise<void> => {
    const next = emptyCounted();
    if (mode === 'iptables') {
      parseIptablesCounters(await exec('iptables-save', ['-c']), next);
    } else {
      parseNftCounters(await exec('nft', ['-j', 'list', 'table', 'ip', NFT_TABLE]), next);
    }
    const conntrack = netns
      ? exec('cat', ['/proc/net/nf_conntrack'])
      : readFile('/proc/net/nf_conntrack', 'utf8');
    parseConntrack(await conntrack.catch(() => ''), next);
    counted = next;
  };
  const refresh = (): void => {
    if (reading || closed) return;
    reading = read()
      .catch(() => undefined)
      .finally(() => {
        reading = null;
      });
  };
  await read().catch(() => undefined);

  let conntrackMissing = false;
  const flushStaleUdp = async (deletions: readonly string[][]): Promise<void> => {
    for (const args of deletions) {
      if (conntrackMissing) return;
      try {
        await exec('conntrack', args);
      } catch (e) {
        // conntrack exits 1 when no entry matched ("0 flow entries have been deleted"), as kube-proxy allows.
        if (/0 flow entries have been deleted/.test((e as Error).message)) continue;
        if (e instanceof KernelProxyUnavailable) {
          conntrackMissing = true;
          problems.push(
            `${e.message}: UDP flows to endpoints that left keep going there until idle (as with kube-proxy, it clears them)`,
          );
        } else problems.push((e as Error).message);
      }
    }
  };

  return {
    problems,
    listening: () =>
      ports.flatMap((sp) =>
        sp.endpoints.length === 0 ? [] : sp.frontends.map((f) => `${sp.protocol} ${f.ip}:${f.port}`),
      ),
    update: async (next: ClusterPlan) => {
      plan = next;
      const before = ports;
      ports = kernelServicePorts(next, options);
      if (closed) return;
      await apply();
      await flushStaleUdp(staleUdpFlows(before, ports));
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await reading;
      await teardown();
    },
    stats: (): ServicePortTraffic[] => {
      refresh();
      return ports.map((sp) => {
        const byEndpoint: Record<string, number> = {};
        let total = 0;
        for (const e of sp.endpoints) {
          const n = counted.connections.get(
            mode === 'iptables' ? `PORTCHAIN-SEP-${sepId(sp, e)}` : `sep-${sepId(sp, e)}`,
          );
          if (n === undefined) continue;
          byEndpoint[`${e.ip}:${e.port}`] = n;
          total += n;
        }
        let failed = 0;
        let bytes = 0;
        let active = 0;
        for (const f of sp.frontends) {
          const key = frontKey(f.ip, f.port, sp.protocol);
          failed += counted.rejected.get(key) ?? 0;
          bytes += counted.bytes.get(key) ?? 0;
          active += counted.active.get(key) ?? 0;
        }
        return {
          namespace: sp.namespace,
          name: sp.name,
          port: sp.port,
          protocol: sp.protocol,
          active,
          total: total + failed,
          failed,
          bytes,
          byEndpoint,
        };
      });
    },
  };
}
