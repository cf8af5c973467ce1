/**
 * The cluster DNS server of `portchain up`: answers the Service names of the Kubernetes DNS spec the way
 * CoreDNS's kubernetes plugin does, over UDP and TCP on the same loopback host:port.
 *
 * Copied from CoreDNS / the DNS spec (https://github.com/kubernetes/dns/blob/master/docs/specification.md):
 * `NAME.NAMESPACE.svc.ZONE` → A of the ClusterIP; a headless Service → one A per ready endpoint (and
 * NXDOMAIN while it has none, as CoreDNS answers); an ExternalName Service → a CNAME (chased inside the zone
 * only); a named port → SRV `_PORT._PROTO.NAME.NAMESPACE.svc.ZONE`, with the in-zone target addresses
 * in the additional section. TTL 5 s (the kubernetes plugin's default `ttl`). Existing names queried for a type they lack →
 * NOERROR with no answer (NODATA) and the zone's SOA in the authority section, as CoreDNS does; unknown names
 * in the zone → NXDOMAIN. The server is authoritative for the cluster zone only: there is no `forward`
 * plugin here, so it never recurses, and names outside the zone are REFUSED (RA is never set).
 * Clients send FQDNs: the short forms a pod's resolv.conf search path would expand are not needed.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

export interface DnsSrv {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  /** A name, lower-case, without the trailing dot. */
  readonly target: string;
}

/** What one name holds. */
export interface DnsEntry {
  readonly a?: readonly string[];
  readonly aaaa?: readonly string[];
  readonly cname?: string;
  readonly srv?: readonly DnsSrv[];
}

/** The records of one zone; read on every query, so it may change live. */
export interface DnsRecords {
  /** The authoritative zone (default `cluster.local`); names outside it are REFUSED. */
  readonly zone?: string;
  /** `name` is lower-cased, without the trailing dot; undefined → NXDOMAIN. */
  lookup(name: string): DnsEntry | undefined;
}

/** A named port gets SRV records `_NAME._PROTO.SVC.NS.svc.ZONE` (DNS spec §2.4.1 / §2.4.2). */
export interface DnsServicePort {
  /** Unnamed ports get no SRV record. */
  readonly name?: string;
  /**
   * The port announced: the Service port for a ClusterIP Service, the endpoint port (the EndpointSlice's
   * `ports[].port`, i.e. the resolved targetPort) for a headless one.
   */
  readonly port: number;
  /** TCP (default), UDP or SCTP. */
  readonly protocol?: string;
}

export interface DnsService {
  readonly name: string;
  readonly namespace: string;
  readonly clusterIP?: string | null;
  readonly headless: boolean;
  readonly readyPodIPs: readonly string[];
  readonly externalName?: string;
  readonly ports?: readonly DnsServicePort[];
}

export interface DnsServer {
  readonly address: { readonly host: string; readonly port: number };
  /** Stops both listeners and closes open TCP connections. */
  close(): Promise<void>;
}

export interface DnsServerOptions {
  /** A 127.0.0.0/8 address. */
  readonly host: string;
  /** 0 picks a port free for both UDP and TCP. */
  readonly port: number;
  /** An idle TCP connection is closed after this long (CoreDNS's idle timeout is 10 s). */
  readonly tcpIdleTimeoutMs?: number;
}

/** The kubernetes plugin's default TTL. */
export const DNS_TTL_SECONDS = 5;
const DEFAULT_ZONE = 'cluster.local';
/** RFC 1035 §4.2.1: without EDNS a UDP answer is at most 512 bytes. */
const PLAIN_UDP_LIMIT = 512;
const EDNS_UDP_SIZE = 1232;
const MAX_UDP_PAYLOAD = 65_507;
const MAX_CNAME_CHAIN = 8;

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

function normalize(name: string): string {
  return name.toLowerCase().replace(/\.+$/, '');
}

/** CoreDNS names a headless endpoint without a hostname after its IP, dots (or colons) made dashes. */
function endpointLabel(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}

/** CoreDNS spreads SRV weight so that the records of one priority sum to about 100. */
function srvSet(port: number, targets: readonly string[]): DnsSrv[] {
  const weight = Math.max(1, Math.floor(100 / Math.max(1, targets.length)));
  return targets.map((target) => ({ priority: 0, weight, port, target }));
}

function splitFamilies(ips: readonly string[]): { a: string[]; aaaa: string[] } {
  return { a: ips.filter((ip) => net.isIPv4(ip)), aaaa: ips.filter((ip) => net.isIPv6(ip)) };
}

/**
 * The Service records of the DNS spec: `NAME.NAMESPACE.svc.ZONE` (§2.3), for a headless Service also one
 * `IP-WITH-DASHES.NAME.NAMESPACE.svc.ZONE` per ready endpoint (§2.4.1, as CoreDNS names hostname-less
 * endpoints), and SRV `_PORT._PROTO.NAME.NAMESPACE.svc.ZONE` per named port (§2.3.2 / §2.4.2).
 */
export function clusterDnsRecords(services: readonly DnsService[], clusterDomain = DEFAULT_ZONE): DnsRecords {
  const zone = normalize(clusterDomain);
  const table = new Map<string, DnsEntry>();
  for (const svc of services) {
    const fqdn = normalize(`${svc.name}.${svc.namespace}.svc.${zone}`);
    if (svc.externalName !== undefined && svc.externalName !== '') {
      table.set(fqdn, { cname: normalize(svc.externalName) });
      continue;
    }
    const ips = svc.headless
      ? [...new Set(svc.readyPodIPs)]
      : svc.clusterIP && svc.clusterIP !== 'None'
        ? [svc.clusterIP]
        : [];
    // A headless Service without ready endpoints is NXDOMAIN in CoreDNS (no record at all).
    if (ips.length === 0) continue;
    table.set(fqdn, splitFamilies(ips));
    const targets = svc.headless ? ips.map((ip) => `${endpointLabel(ip)}.${fqdn}`) : [fqdn];
    if (svc.headless) {
      ips.forEach((ip, i) => {
        const target = targets[i];
        if (target !== undefined) table.set(target, splitFamilies([ip]));
      });
    }
    for (const port of svc.ports ?? []) {
      if (!port.name) continue;
      const proto = (port.protocol ?? 'TCP').toLowerCase();
      table.set(normalize(`_${port.name}._${proto}.${fqdn}`), { srv: srvSet(port.port, targets) });
    }
  }
  return { zone, lookup: (name) => table.get(normalize(name)) };
}

type Answer = dnsPacket.Answer;

function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

function soa(zone: string): Answer {
  return {
    name: zone,
    type: 'SOA',
    ttl: DNS_TTL_SECONDS,
    data: {
      mname: `ns.dns.${zone}`,
      rname: `hostmaster.${zone}`,
      serial: 1,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: DNS_TTL_SECONDS,
    },
  };
}

/** The answer RRs for `owner` (as asked, case kept) and type; a CNAME is followed inside the zone only. */
function answersFor(
  records: DnsRecords,
  zone: string,
  owner: string,
  type: string,
  depth = 0,
): Answer[] | undefined {
  const entry = records.lookup(normalize(owner));
  if (entry === undefined) return undefined;
  const ttl = DNS_TTL_SECONDS;
  if (entry.cname !== undefined) {
    // RFC 1034 §3.6.2: a CNAME node answers its CNAME for any other type asked.
    const cname: Answer = { name: owner, type: 'CNAME', ttl, data: entry.cname };
    if (type === 'CNAME' || depth >= MAX_CNAME_CHAIN || !inZone(entry.cname, zone)) return [cname];
    return [cname, ...(answersFor(records, zone, entry.cname, type, depth + 1) ?? [])];
  }
  const a: Answer[] = (entry.a ?? []).map((ip) => ({ name: owner, type: 'A', ttl, data: ip }));
  const aaaa: Answer[] = (entry.aaaa ?? []).map((ip) => ({ name: owner, type: 'AAAA', ttl, data: ip }));
  const srv: Answer[] = (entry.srv ?? []).map((data) => ({ name: owner, type: 'SRV', ttl, data }));
  if (type === 'SRV') return srv;
  if (type === 'A') return a;
  if (type === 'AAAA') return aaaa;
  if (type === 'ANY') return [...a, ...aaaa, ...srv];
  return [];
}

/** RFC 6891 §6.1.1: a responder that understands EDNS answers an EDNS query with its own OPT. */
const ednsOpt: dnsPacket.OptAnswer = {
  name: '.',
  type: 'OPT',
  udpPayloadSize: EDNS_UDP_SIZE,
  extendedRcode: 0,
  ednsVersion: 0,
  flags: 0,
  flag_do: false,
  options: [],
};

function encodeWithin(response: dnsPacket.Packet, limit: number): Buffer {
  const full = dnsPacket.encode(response);
  if (full.length <= limit) return full;
  // RFC 2181 §9: additional data may be dropped without TC; OPT is kept.
  const opt = (response.additionals ?? []).filter((r) => r.type === 'OPT');
  const lean = dnsPacket.encode({ ...response, additionals: opt });
  if (lean.length <= limit) return lean;
  // Still too large for the transport → TC set, records dropped; the client retries over TCP.
  return dnsPacket.encode({
    ...response,
    flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE,
    answers: [],
    authorities: [],
    additionals: opt,
  });
}

/**
 * The reply to one DNS message, or undefined when it is not a query worth answering (undecodable, or a
 * response): ignored over UDP, the connection closed over TCP.
 */
export function answerDnsMessage(
  message: Buffer,
  source: DnsRecords | (() => DnsRecords),
  transport: 'udp' | 'tcp',
): Buffer | undefined {
  let query: dnsPacket.DecodedPacket;
  try {
    query = dnsPacket.decode(message);
  } catch {
    return undefined;
  }
  if (query.type === 'response') return undefined;
  const flags = query.flags ?? 0;
  const opcode = (flags >> 11) & 0xf;
  const questions = query.questions ?? [];
  const opt = (query.additionals ?? []).find((r): r is dnsPacket.OptAnswer => r.type === 'OPT');
  const limit =
    transport === 'tcp'
      ? 0xffff
      : opt
        ? Math.min(MAX_UDP_PAYLOAD, Math.max(PLAIN_UDP_LIMIT, opt.udpPayloadSize))
        : PLAIN_UDP_LIMIT;
  // The reply copies the opcode and RD; RA stays clear (no recursion offered).
  const replyFlags = (opcode << 11) | (flags & dnsPacket.RECURSION_DESIRED);
  const reply = (rcode: number, extra: Partial<dnsPacket.Packet> = {}): Buffer | undefined => {
    try {
      return encodeWithin(
        {
          id: query.id ?? 0,
          type: 'response',
          flags: replyFlags | rcode | (extra.flags ?? 0),
          questions,
          answers: extra.answers ?? [],
          authorities: extra.authorities ?? [],
          additionals: [...(extra.additionals ?? []), ...(opt ? [ednsOpt] : [])],
        },
        limit,
      );
    } catch {
      return undefined; // a question dns-packet decoded but cannot re-encode: treat as malformed
    }
  };

  if (opcode !== 0) return reply(RCODE.NOTIMP);
  const question = questions[0];
  if (question === undefined || questions.length !== 1) return reply(RCODE.FORMERR);
  if (question.class !== undefined && question.class !== 'IN' && question.class !== 'ANY') {
    return reply(RCODE.REFUSED);
  }
  let records: DnsRecords;
  try {
    records = typeof source === 'function' ? source() : source;
  } catch {
    return reply(RCODE.SERVFAIL);
  }
  const zone = normalize(records.zone ?? DEFAULT_ZONE);
  const name = normalize(question.name);
  // Authoritative for the cluster zone only; no upstream to forward to, so no recursion.
  if (!inZone(name, zone)) return reply(RCODE.REFUSED);
  const aa = dnsPacket.AUTHORITATIVE_ANSWER;
  const negative = { flags: aa, authorities: [soa(zone)] };
  if (name === zone) {
    return question.type === 'SOA'
      ? reply(RCODE.NOERROR, { flags: aa, answers: [soa(zone)] })
      : reply(RCODE.NOERROR, negative);
  }
  let answers: Answer[] | undefined;
  let additionals: Answer[] = [];
  try {
    answers = answersFor(records, zone, question.name.replace(/\.+$/, ''), question.type);
    if (answers !== undefined) additionals = glue(records, zone, answers);
  } catch {
    return reply(RCODE.SERVFAIL);
  }
  if (answers === undefined) return reply(RCODE.NXDOMAIN, negative);
  if (answers.length === 0) return reply(RCODE.NOERROR, negative);
  return reply(RCODE.NOERROR, { flags: aa, answers, additionals });
}

/** CoreDNS adds the addresses of in-zone SRV targets to the additional section. */
function glue(records: DnsRecords, zone: string, answers: readonly Answer[]): Answer[] {
  const extra: Answer[] = [];
  const seen = new Set<string>();
  for (const answer of answers) {
    if (answer.type !== 'SRV') continue;
    const target = normalize(answer.data.target);
    if (seen.has(target) || !inZone(target, zone)) continue;
    seen.add(target);
    extra.push(
      ...(answersFor(records, zone, target, 'A') ?? []),
      ...(answersFor(records, zone, target, 'AAAA') ?? []),
    );
  }
  return extra;
}

function isLoopbackV4(host: string): boolean {
  return net.isIPv4(host) && host.startsWith('127.');
}

function listenTcp(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function bindUdp(socket: dgram.Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    socket.once('error', onError);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

function closeTcp(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

/** Serves `records` over UDP and TCP (RFC 1035 §4.2.2: 2-byte length prefix, several queries per connection). */
export async function startDnsServer(
  records: DnsRecords | (() => DnsRecords),
  options: DnsServerOptions,
): Promise<DnsServer> {
  const { host } = options;
  if (!isLoopbackV4(host)) throw new Error(`DNS server must bind a 127.0.0.0/8 address, not ${host}`);
  const idleMs = options.tcpIdleTimeoutMs ?? 10_000;
  const connections = new Set<net.Socket>();

  const makeTcp = (): net.Server =>
    net.createServer((socket) => {
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
      socket.on('error', () => socket.destroy());
      socket.setTimeout(idleMs, () => socket.destroy());
      let pending: Buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        while (pending.length >= 2) {
          const length = pending.readUInt16BE(0);
          if (pending.length < 2 + length) break;
          const message = pending.subarray(2, 2 + length);
          pending = pending.subarray(2 + length);
          const answer = answerDnsMessage(message, records, 'tcp');
          if (answer === undefined) {
            socket.destroy();
            return;
          }
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16BE(answer.length, 0);
          socket.write(Buffer.concat([prefix, answer]));
        }
      });
    });

  const makeUdp = (): dgram.Socket => {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (message, peer) => {
      const answer = answerDnsMessage(message, records, 'udp');
      if (answer !== undefined) socket.send(answer, peer.port, peer.address, () => {});
    });
    return socket;
  };

  // Port 0: take a free TCP port, then the same UDP port; retry if that UDP port is taken.
  const attempts = options.port === 0 ? 20 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const tcp = makeTcp();
    const udp = makeUdp();
    let port: number;
    try {
      port = await listenTcp(tcp, host, options.port);
    } catch (error) {
      await closeUdp(udp);
      throw error;
    }
    try {
      await bindUdp(udp, host, port);
    } catch (error) {
      lastError = error;
      await Promise.all([closeTcp(tcp), closeUdp(udp)]);
      continue;
    }
    udp.on('error', () => {}); // a send failure (ICMP unreachable) must not crash the server
    let closing: Promise<void> | undefined;
    return {
      address: { host, port },
      close: () => {
        closing ??= (async () => {
          for (const socket of connections) socket.destroy();
          await Promise.all([closeTcp(tcp), closeUdp(udp)]);
        })();
        return closing;
      },
    };
  }
  throw lastError instanceof Error ? lastError : new Error('could not bind the DNS server');
}
