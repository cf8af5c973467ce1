/**
 * /proc/net/{tcp,tcp6,udp,udp6} as the Linux kernel prints them, and back: what `kubectl exec POD -- cat
 * /proc/net/tcp` shows in a container, for `portchain up`'s pods (the exec subresource, src/apiserver/exec.ts)
 * and for `--probe` reading a real cluster (parseProcNet).
 *
 * Kernel formats (net/ipv4/tcp_ipv4.c tcp4_seq_show/get_tcp4_sock, net/ipv6/tcp_ipv6.c get_tcp6_sock,
 * net/ipv4/udp.c udp4_format_sock, net/ipv6/datagram.c __ip6_dgram_sock_seq_show):
 *   - addresses are the raw network-order words printed with %08X on a little-endian machine: 127.0.0.1 is
 *     `0100007F`; IPv6 is four such words (`::1` is `00000000000000000000000001000000`); ports are %04X;
 *   - `st` is the TCP state: 0A LISTEN, 01 ESTABLISHED; a bound unconnected UDP socket is 07 (TCP_CLOSE);
 *   - tcp and udp (IPv4) lines and headers are padded with spaces to 149 and 127 characters (seq_pad);
 *     tcp6 and udp6 are not; `sl` is the line number for tcp, the hash slot for udp.
 * `cat` of the four files prints them one after the other; parseProcNet splits such output on the headers.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import type { PodNetwork } from './images/run.js';
import type { ClusterPlan } from './plan.js';

export type ProcNetFile = 'tcp' | 'tcp6' | 'udp' | 'udp6';
export const PROC_NET_FILES: readonly ProcNetFile[] = ['tcp', 'tcp6', 'udp', 'udp6'];

/** include/net/tcp_states.h */
export const TCP_ESTABLISHED = 0x01;
export const TCP_CLOSE = 0x07;
export const TCP_LISTEN = 0x0a;

/** A socket as a table line says it; absent fields take the values of a fresh listening/bound socket. */
export interface ProcNetSocket {
  readonly protocol: 'TCP' | 'UDP';
  /** Local address: dotted IPv4, or IPv6 (IPv4-mapped as `::ffff:a.b.c.d`). */
  readonly address: string;
  readonly port: number;
  /** Default 0.0.0.0 or :: (unconnected). */
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  /** Default LISTEN (0A) for TCP, 07 for UDP. */
  readonly state?: number;
  readonly uid?: number;
  readonly inode?: number;
}

/** A parsed line: every field filled, plus which file it came from. */
export interface ParsedProcNetSocket extends Required<ProcNetSocket> {
  readonly file: ProcNetFile;
  readonly family: 4 | 6;
  /** TCP in LISTEN, or UDP bound and unconnected (state 07, remote port 0): a port that accepts traffic. */
  readonly listening: boolean;
}

const HEADERS: Record<ProcNetFile, string> = {
  tcp: `${'  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'.padEnd(149)}`,
  tcp6: '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  udp: `${'   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops'.padEnd(127)}`,
  udp6: '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
};

const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');

/** The 16 bytes of an IPv6 address (`::`, embedded IPv4 and zone-less forms); null when it is none. */
function ipv6Bytes(ip: string): number[] | null {
  if (!isIPv6(ip)) return null;
  let text = ip.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const b = v4[1].split('.').map(Number);
    text = `${text.slice(0, v4.index)}${hex(((b[0] ?? 0) << 8) | (b[1] ?? 0), 1)}:${hex(((b[2] ?? 0) << 8) | (b[3] ?? 0), 1)}`;
  }
  const [head = '', tail] = text.split('::');
  const words = (s: string) => (s === '' ? [] : s.split(':').map((w) => Number.parseInt(w, 16)));
  const h = words(head);
  const t = tail === undefined ? [] : words(tail);
  const all = [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((w) => [(w >> 8) & 255, w & 255]);
}

/** RFC 5952 text of 16 bytes (IPv4-mapped written `::ffff:a.b.c.d`, as Node and `ss` write it). */
function ipv6Text(bytes: readonly number[]): string {
  const words = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff)
    return `::ffff:${bytes.slice(12).join('.')}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const part = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (best < 0) return part(words);
  return `${part(words.slice(0, best))}::${part(words.slice(best + bestLen))}`;
}

/** `127.0.0.1` → `0100007F`; an IPv6 address → its four little-endian words (32 hex digits). */
export function encodeProcNetAddress(ip: string): string {
  if (isIPv4(ip)) {
    const b = ip.split('.').map(Number);
    return [3, 2, 1, 0].map((i) => hex(b[i] ?? 0, 2)).join('');
  }
  const bytes = ipv6Bytes(ip);
  if (!bytes) throw new Error(`not an IP address: ${ip}`);
  let out = '';
  for (let w = 0; w < 4; w++) for (const i of [3, 2, 1, 0]) out += hex(bytes[4 * w + i] ?? 0, 2);
  return out;
}

/** The inverse of encodeProcNetAddress (8 hex digits: IPv4, 32: IPv6); null for anything else. */
export function decodeProcNetAddress(text: string): string | null {
  if (!/^(?:[0-9A-Fa-f]{8}|[0-9A-Fa-f]{32})$/.test(text)) return null;
  const bytes: number[] = [];
  for (let w = 0; w < text.length / 8; w++) {
    const word = text.slice(8 * w, 8 * w + 8);
    for (const i of [3, 2, 1, 0]) bytes.push(Number.parseInt(word.slice(2 * i, 2 * i + 2), 16));
  }
  return bytes.length === 4 ? bytes.join('.') : ipv6Text(bytes);
}

const familyOf = (ip: string): 4 | 6 | null => (isIPv4(ip) ? 4 : isIPv6(ip) ? 6 : null);

/** Which file a socket is listed in: by protocol, and by the family of its local address. */
export function procNetFileOf(s: Pick<ProcNetSocket, 'protocol' | 'address'>): ProcNetFile | null {
  const family = familyOf(s.address);
  if (family === null) return null;
  return `${s.protocol === 'TCP' ? 'tcp' : 'udp'}${family === 6 ? '6' : ''}` as ProcNetFile;
}

/** One table line, fields as the kernel's seq_printf writes them. */
function formatLine(file: ProcNetFile, index: number, s: ProcNetSocket): string {
  const v6 = file.endsWith('6');
  const tcp = file.startsWith('tcp');
  const remote = s.remoteAddress ?? (v6 ? '::' : '0.0.0.0');
  const state = s.state ?? (tcp ? TCP_LISTEN : TCP_CLOSE);
  const local = `${encodeProcNetAddress(s.address)}:${hex(s.port, 4)}`;
  const rem = `${encodeProcNetAddress(remote)}:${hex(s.remotePort ?? 0, 4)}`;
  const uid = String(s.uid ?? 0).padStart(5);
  const inode = String(s.inode ?? 0);
  // tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode refcount pointer(%pK: zeros without privilege).
  const common = `${hex(state, 2)} 00000000:00000000 00:00000000 00000000 ${uid}        0 ${inode}`;
  if (tcp) {
    // rto ato quick|pingpong cwnd ssthresh (listeners: rto 1s = 100 ticks, max_qlen 0; loopback connections).
    const tail = state === TCP_LISTEN ? '1 0000000000000000 100 0 0 10 0' : '1 0000000000000000 20 0 0 10 -1';
    const line = `${String(index).padStart(4)}: ${local} ${rem} ${common} ${tail}`;
    return v6 ? line : line.padEnd(149);
  }
  // udp: ref pointer drops.
  const line = `${String(index).padStart(5)}: ${local} ${rem} ${common} 2 0000000000000000 0`;
  return v6 ? line : line.padEnd(127);
}

/** The text of /proc/net/FILE listing those of `sockets` that belong in it (header, then one line each). */
export function formatProcNet(file: ProcNetFile, sockets: readonly ProcNetSocket[]): string {
  const lines = [HEADERS[file]];
  for (const s of sockets) {
    if (procNetFileOf(s) !== file) continue;
    // tcp: the line number; udp: the hash slot (udp_hashfn, salted per namespace), here the port's low bits.
    lines.push(formatLine(file, file.startsWith('udp') ? s.port & 0x7f : lines.length - 1, s));
  }
  return `${lines.join('\n')}\n`;
}

/** The file a header line starts: by `remote_address` (IPv6) and `ref pointer drops` (udp); null: no header. */
function headerFile(line: string): ProcNetFile | null {
  const words = line.trim().split(/\s+/);
  if (words[0] !== 'sl' || words[1] !== 'local_address') return null;
  const v6 = words[2] === 'remote_address';
  const udp = words.includes('drops');
  return `${udp ? 'udp' : 'tcp'}${v6 ? '6' : ''}` as ProcNetFile;
}

/**
 * The sockets a /proc/net table lists. `file` says which table `text` is; without it, the tables are told
 * apart by their header lines, so the output of `cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp
 * /proc/net/udp6` parses whole. Lines that are not socket lines are skipped.
 */
export function parseProcNet(text: string, file?: ProcNetFile): ParsedProcNetSocket[] {
  const out: ParsedProcNetSocket[] = [];
  let current: ProcNetFile | null = file ?? null;
  for (const line of text.split(/\r?\n/)) {
    const h = headerFile(line);
    if (h) {
      current = file ?? h;
      continue;
    }
    if (!current) continue;
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^\d+:$/.test(f[0] ?? '')) continue;
    const [localHex = '', localPort = ''] = (f[1] ?? '').split(':');
    const [remoteHex = '', remotePort = ''] = (f[2] ?? '').split(':');
    const address = decodeProcNetAddress(localHex);
    const remoteAddress = decodeProcNetAddress(remoteHex);
    if (address === null || remoteAddress === null || !/^[0-9A-Fa-f]{4}$/.test(localPort)) continue;
    const state = Number.parseInt(f[3] ?? '', 16);
    const protocol = current.startsWith('tcp') ? 'TCP' : 'UDP';
    const port = Number.parseInt(localPort, 16);
    const rport = Number.parseInt(remotePort, 16) || 0;
    out.push({
      file: current,
      family: localHex.length === 8 ? 4 : 6,
      protocol,
      address,
      port,
      remoteAddress,
      remotePort: rport,
      state,
      uid: Number(f[7]) || 0,
      inode: Number(f[9]) || 0,
      listening: protocol === 'TCP' ? state === TCP_LISTEN : state === TCP_CLOSE && rport === 0,
    });
  }
  return out;
}

/** The four tables for one set of sockets (what every container of a pod sees: one network namespace). */
export function formatProcNetFiles(sockets: readonly ProcNetSocket[]): Record<ProcNetFile, string> {
  return {
    tcp: formatProcNet('tcp', sockets),
    tcp6: formatProcNet('tcp6', sockets),
    udp: formatProcNet('udp', sockets),
    udp6: formatProcNet('udp6', sockets),
  };
}

// ---- The adapter: the sockets a pod of `portchain up` really has. ----

/** What proc-net reads of the kubelet (src/runtime/images/run.ts RunningPods.network). */
export interface PodNetworkSource {
  network?(namespace: string, pod: string): PodNetwork | undefined;
}

async function readTables(dir: string): Promise<ParsedProcNetSocket[]> {
  const out: ParsedProcNetSocket[] = [];
  for (const f of PROC_NET_FILES) {
    try {
      out.push(...parseProcNet(await readFile(`${dir}/${f}`, 'utf8'), f));
    } catch {
      // A kernel without IPv6 has no tcp6/udp6.
    }
  }
  return out;
}

/** The pids in the process groups the local commands lead (started detached: pgid = pid), with children. */
async function processGroupMembers(leaders: readonly number[]): Promise<number[]> {
  if (leaders.length === 0) return [];
  const groups = new Set(leaders);
  const out = new Set(leaders);
  let entries: string[] = [];
  try {
    entries = await readdir('/proc');
  } catch {
    return [...out];
  }
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        try {
          const stat = await readFile(`/proc/${e}/stat`, 'utf8');
          // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses; fields follow the last ')'.
          const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
          if (groups.has(pgrp)) out.add(Number(e));
        } catch {
          // Gone meanwhile.
        }
      }),
  );
  return [...out];
}

/** Socket inodes the processes hold open (/proc/PID/fd/N → `socket:[INODE]`). */
async function socketInodes(pids: readonly number[]): Promise<Set<number>> {
  const out = new Set<number>();
  await Promise.all(
    pids.map(async (pid) => {
      let fds: string[] = [];
      try {
        fds = await readdir(`/proc/${pid}/fd`);
      } catch {
        return;
      }
      await Promise.all(
        fds.map(async (fd) => {
          try {
            const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`));
            if (m?.[1]) out.add(Number(m[1]));
          } catch {
            // Closed meanwhile.
          }
        }),
      );
    }),
  );
  return out;
}

const unmapped = (ip: string) => (ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip);
/** Identity of a socket across sources (the runtime's view and the kernel's tables). */
const key = (s: ProcNetSocket) => {
  const remote = s.remoteAddress ?? (isIPv4(s.address) ? '0.0.0.0' : '::');
  return `${s.protocol}|${unmapped(s.address)}|${s.port}|${unmapped(remote)}|${s.remotePort ?? 0}`;
};

/**
 * The sockets a pod of `up` has bound, as its own network namespace lists them (all its containers share it):
 *   - simulated containers: the listeners (and accepted connections) the runtime opened for the pod, with the
 *     uid and inode the host's tables give them;
 *   - local commands: the host's sockets whose local address is the pod IP, or that the commands' processes
 *     hold (a program binding 0.0.0.0 shows 0.0.0.0, as in its pod); with `--isolation netns` the pod's own
 *     namespace (/proc/PID/net/*) whole.
 * Ports are the container's: a port the plan shifted by lowPortOffset (80 bound at 80 + offset) reads as the
 * port the container asked for, as kube-proxy and port-forward map it back. undefined: the pod does not run here.
 */
export async function podSockets(
  up: { readonly plan: ClusterPlan; readonly pods: PodNetworkSource },
  namespace: string,
  pod: string,
): Promise<ProcNetSocket[] | undefined> {
  const net = up.pods.network?.(namespace, pod);
  if (!net) return undefined;
  const planned = up.plan.pods.find((p) => p.namespace === namespace && p.name === pod);
  const shifted = new Map<string, number>();
  for (const b of planned?.containers.flatMap((c) => c.binds) ?? [])
    if (b.listenPort !== b.port) shifted.set(`${b.protocol}|${b.listenPort}`, b.port);
  const containerPort = (protocol: string, port: number) => shifted.get(`${protocol}|${port}`) ?? port;

  const host = await readTables('/proc/net');
  const byKey = new Map(host.map((s) => [key(s), s]));
  const out: ProcNetSocket[] = [];
  for (const s of net.sockets) {
    const seen = byKey.get(key(s));
    out.push({ ...s, ...(seen ? { uid: seen.uid, inode: seen.inode } : {}) });
  }
  if (net.pids.length > 0) {
    const members = await processGroupMembers(net.pids);
    let own: ParsedProcNetSocket[];
    if (net.netns) {
      own = [];
      // `ip netns exec` switches namespace, then execs the program (same pid): a pid still in ours is skipped.
      const ours = await readlink('/proc/self/ns/net').catch(() => '');
      for (const pid of members) {
        const ns = await readlink(`/proc/${pid}/ns/net`).catch(() => ours);
        if (ns === ours) continue;
        own = await readTables(`/proc/${pid}/net`);
        break;
      }
    } else {
      const inodes = await socketInodes(members);
      own = host.filter((s) => (s.inode !== 0 && inodes.has(s.inode)) || unmapped(s.address) === net.ip);
    }
    const have = new Set(out.map(key));
    for (const s of own) {
      const { file: _f, family: _fam, listening: _l, ...socket } = s;
      if (!have.has(key(socket))) out.push(socket);
    }
  }
  return out.map((s) => ({ ...s, port: containerPort(s.protocol, s.port) }));
}

/** The four tables of a pod of `up` (see podSockets); undefined: the pod does not run here. */
export async function podProcNet(
  up: { readonly plan: ClusterPlan; readonly pods: PodNetworkSource },
  namespace: string,
  pod: string,
): Promise<Record<ProcNetFile, string> | undefined> {
  const sockets = await podSockets(up, namespace, pod);
  return sockets ? formatProcNetFiles(sockets) : undefined;
}
