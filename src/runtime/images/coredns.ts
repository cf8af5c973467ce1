/**
 * coredns/coredns. Started without a Corefile (no `-conf`), CoreDNS serves `.:53` with its whoami plugin: every
 * query is answered, authoritative, with the client's address as an A record and `_<proto>.<qname>` SRV
 * carrying the client's port, both in the additional section (plugin/whoami/whoami.go). With `-conf` the pod
 * stands for cluster DNS (the kubernetes plugin): the DNS module answers from the plan's Services.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { type DnsRecords, startDnsServer } from '../dns.js';

export interface RunningDns {
  close(): Promise<void>;
}

/** The whoami plugin's reply to `message` from `ip:port` over `proto`; undefined for what is not a query. */
export function whoamiAnswer(
  message: Buffer,
  ip: string,
  port: number,
  proto: 'udp' | 'tcp',
): Buffer | undefined {
  let q: dnsPacket.DecodedPacket;
  try {
    q = dnsPacket.decode(message);
  } catch {
    return undefined;
  }
  if (q.type === 'response') return undefined;
  const question = q.questions?.[0];
  const qname = question?.name ?? '';
  const srvName = qname === '' ? `_${proto}` : `_${proto}.${qname}`;
  const family = net.isIPv4(ip) ? { type: 'A' as const } : { type: 'AAAA' as const };
  return dnsPacket.encode({
    id: q.id ?? 0,
    type: 'response',
    flags: dnsPacket.AUTHORITATIVE_ANSWER | ((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED),
    questions: q.questions ?? [],
    answers: [],
    additionals: [
      { ...family, name: qname, class: 'IN', ttl: 0, data: ip },
      {
        type: 'SRV',
        name: srvName,
        class: 'IN',
        ttl: 0,
        data: { priority: 0, weight: 0, port, target: '.' },
      },
    ],
  });
}

/** The whoami plugin on host:port, UDP and/or TCP (RFC 1035 §4.2.2 framing over TCP). */
export async function startWhoamiDns(
  host: string,
  port: number,
  protocols: ReadonlySet<string>,
): Promise<RunningDns> {
  const closers: (() => Promise<void>)[] = [];
  const sockets = new Set<net.Socket>();
  if (protocols.has('UDP')) {
    const udp = dgram.createSocket('udp4');
    udp.on('message', (m, r) => {
      const a = whoamiAnswer(m, r.address, r.port, 'udp');
      if (a) udp.send(a, r.port, r.address);
    });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ address: host, port }, () => {
        udp.removeListener('error', reject);
        resolve();
      });
    });
    closers.push(() => new Promise((r) => udp.close(() => r())));
  }
  if (protocols.has('TCP')) {
    const tcp = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
      let pending = Buffer.alloc(0);
      s.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 2) {
          const n = pending.readUInt16BE(0);
          if (pending.length < 2 + n) break;
          const a = whoamiAnswer(pending.subarray(2, 2 + n), s.remoteAddress ?? '', s.remotePort ?? 0, 'tcp');
          pending = pending.subarray(2 + n);
          if (!a) return void s.destroy();
          const len = Buffer.alloc(2);
          len.writeUInt16BE(a.length, 0);
          s.write(Buffer.concat([len, a]));
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen({ host, port }, () => {
        tcp.removeListener('error', reject);
        resolve();
      });
    });
    closers.push(
      () =>
        new Promise((r) => {
          for (const s of sockets) s.destroy();
          tcp.close(() => r());
        }),
    );
  }
  return { close: async () => void (await Promise.all(closers.map((c) => c()))) };
}

/** CoreDNS with a Corefile: cluster DNS from the plan (the DNS module binds UDP and TCP together). */
export async function startClusterDns(
  host: string,
  port: number,
  records: () => DnsRecords,
): Promise<RunningDns> {
  const server = await startDnsServer(records, { host, port });
  return { close: () => server.close() };
}
