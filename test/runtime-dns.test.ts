import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  answerDnsMessage,
  clusterDnsRecords,
  type DnsRecords,
  type DnsServer,
  type DnsService,
  startDnsServer,
} from '../src/runtime/dns.js';

const HOST = '127.0.0.1';

const services: DnsService[] = [
  {
    name: 'web',
    namespace: 'shop',
    clusterIP: '10.96.0.10',
    headless: false,
    readyPodIPs: ['10.244.0.5'],
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { port: 9090 }],
  },
  {
    name: 'db',
    namespace: 'shop',
    clusterIP: 'None',
    headless: true,
    readyPodIPs: ['10.244.1.1', '10.244.1.2'],
    ports: [{ name: 'pg', port: 5432 }],
  },
  { name: 'empty', namespace: 'shop', clusterIP: 'None', headless: true, readyPodIPs: [] },
  { name: 'ext', namespace: 'shop', headless: false, readyPodIPs: [], externalName: 'api.example.com' },
  {
    name: 'alias',
    namespace: 'shop',
    headless: false,
    readyPodIPs: [],
    externalName: 'web.shop.svc.cluster.local',
  },
];

const servers: DnsServer[] = [];
const clients: (net.Socket | dgram.Socket)[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) {
    if (client instanceof net.Socket) client.destroy();
    else client.close();
  }
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(
  records: DnsRecords | (() => DnsRecords) = clusterDnsRecords(services),
): Promise<number> {
  const server = await startDnsServer(records, { host: HOST, port: 0 });
  servers.push(server);
  return server.address.port;
}

function query(name: string, type: dnsPacket.RecordType, extra: Partial<dnsPacket.Packet> = {}): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: Math.floor(Math.random() * 0xffff),
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }],
    ...extra,
  });
}

function udpExchange(port: number, messages: readonly Buffer[]): Promise<dnsPacket.DecodedPacket> {
  const socket = dgram.createSocket('udp4');
  clients.push(socket);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no UDP answer')), 2000);
    socket.once('message', (message) => {
      clearTimeout(timer);
      resolve(dnsPacket.decode(message));
    });
    for (const message of messages) socket.send(message, port, HOST);
  });
}

const rcodeOf = (packet: dnsPacket.DecodedPacket): number => (packet.flags ?? 0) & 0xf;

/** One TCP connection; `ask` writes length-prefixed messages and reads that many answers. */
async function tcpSession(port: number) {
  const socket = net.connect({ host: HOST, port });
  clients.push(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buffered: Buffer = Buffer.alloc(0);
  const waiting: ((packet: dnsPacket.DecodedPacket) => void)[] = [];
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
      const length = buffered.readUInt16BE(0);
      const packet = dnsPacket.decode(buffered.subarray(2, 2 + length));
      buffered = buffered.subarray(2 + length);
      waiting.shift()?.(packet);
    }
  });
  const frame = (message: Buffer): Buffer => {
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16BE(message.length, 0);
    return Buffer.concat([prefix, message]);
  };
  return {
    closed,
    async ask(messages: readonly Buffer[], splitWrites = false): Promise<dnsPacket.DecodedPacket[]> {
      const answers = messages.map(
        () =>
          new Promise<dnsPacket.DecodedPacket>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('no TCP answer')), 2000);
            waiting.push((packet) => {
              clearTimeout(timer);
              resolve(packet);
            });
          }),
      );
      const bytes = Buffer.concat(messages.map(frame));
      if (splitWrites) {
        for (let i = 0; i < bytes.length; i += 7) socket.write(bytes.subarray(i, i + 7));
      } else socket.write(bytes);
      return Promise.all(answers);
    },
    writeRaw(bytes: Buffer): void {
      socket.write(bytes);
    },
    frame,
  };
}

function resolver(port: number): Resolver {
  const r = new Resolver({ timeout: 1000, tries: 1 });
  r.setServers([`${HOST}:${port}`]);
  return r;
}

describe('clusterDnsRecords', () => {
  const records = clusterDnsRecords(services);

  it('answers the ClusterIP, the ready pod IPs of a headless Service, and a CNAME for ExternalName', () => {
    expect(records.lookup('web.shop.svc.cluster.local')).toEqual({ a: ['10.96.0.10'], aaaa: [] });
    expect(records.lookup('db.shop.svc.cluster.local')?.a).toEqual(['10.244.1.1', '10.244.1.2']);
    expect(records.lookup('ext.shop.svc.cluster.local')).toEqual({ cname: 'api.example.com' });
    expect(records.zone).toBe('cluster.local');
  });

  it('has no record for a headless Service without ready endpoints, nor for unknown names', () => {
    expect(records.lookup('empty.shop.svc.cluster.local')).toBeUndefined();
    expect(records.lookup('nope.shop.svc.cluster.local')).toBeUndefined();
    expect(records.lookup('web.shop')).toBeUndefined();
  });

  it('honours a custom cluster domain and IPv6 ClusterIPs', () => {
    const custom = clusterDnsRecords(
      [{ name: 'v6', namespace: 'ns', clusterIP: 'fd00::10', headless: false, readyPodIPs: [] }],
      'Corp.Example.',
    );
    expect(custom.zone).toBe('corp.example');
    expect(custom.lookup('v6.ns.svc.corp.example')).toEqual({ a: [], aaaa: ['fd00::10'] });
  });
});

describe('startDnsServer over UDP', () => {
  it('answers A records with TTL 5 to a stock resolver', async () => {
    const r = resolver(await serve());
    expect(await r.resolve4('web.shop.svc.cluster.local', { ttl: true })).toEqual([
      { address: '10.96.0.10', ttl: 5 },
    ]);
    expect((await r.resolve4('DB.shop.svc.cluster.local')).sort()).toEqual(['10.244.1.1', '10.244.1.2']);
    expect(await r.resolveCname('ext.shop.svc.cluster.local')).toEqual(['api.example.com']);
  });

  it('answers NXDOMAIN inside the zone and REFUSED outside it (no recursion)', async () => {
    const r = resolver(await serve());
    await expect(r.resolve4('nope.shop.svc.cluster.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(r.resolve4('empty.shop.svc.cluster.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(r.resolve4('example.com')).rejects.toMatchObject({ code: 'EREFUSED' });
  });

  it('sets AA, clears RA, echoes the question and puts the SOA in negative answers', async () => {
    const port = await serve();
    const nx = await udpExchange(port, [query('Nope.shop.svc.cluster.local', 'A')]);
    expect(rcodeOf(nx)).toBe(3);
    expect(nx.flag_aa).toBe(true);
    expect(nx.flag_ra).toBe(false);
    expect(nx.flag_rd).toBe(true);
    expect(nx.questions?.[0]?.name).toBe('Nope.shop.svc.cluster.local');
    expect(nx.authorities?.[0]).toMatchObject({ type: 'SOA', name: 'cluster.local', ttl: 5 });

    const refused = await udpExchange(port, [query('kubernetes.io', 'A')]);
    expect(rcodeOf(refused)).toBe(5);
    expect(refused.answers).toEqual([]);
  });

  it('answers AAAA for an existing IPv4-only name with NOERROR and no answer', async () => {
    const port = await serve();
    const reply = await udpExchange(port, [query('web.shop.svc.cluster.local', 'AAAA')]);
    expect(rcodeOf(reply)).toBe(0);
    expect(reply.answers).toEqual([]);
    expect(reply.authorities?.[0]?.type).toBe('SOA');
  });

  it('answers an A query on ExternalName with the CNAME alone, chasing it only inside the zone', async () => {
    const port = await serve();
    const ext = await udpExchange(port, [query('ext.shop.svc.cluster.local', 'A')]);
    expect(rcodeOf(ext)).toBe(0);
    expect(ext.answers).toEqual([
      expect.objectContaining({ type: 'CNAME', data: 'api.example.com', ttl: 5 }),
    ]);
    const alias = await udpExchange(port, [query('alias.shop.svc.cluster.local', 'A')]);
    expect(alias.answers?.map((a) => [a.name, a.type, 'data' in a ? a.data : undefined])).toEqual([
      ['alias.shop.svc.cluster.local', 'CNAME', 'web.shop.svc.cluster.local'],
      ['web.shop.svc.cluster.local', 'A', '10.96.0.10'],
    ]);
  });

  it('ignores a garbage packet and still answers the next query', async () => {
    const port = await serve();
    const reply = await udpExchange(port, [
      Buffer.from([1, 2, 3]),
      Buffer.from('not a dns message at all, really not'),
      query('web.shop.svc.cluster.local', 'A'),
    ]);
    expect(reply.answers?.[0]).toMatchObject({ type: 'A', data: '10.96.0.10' });
  });

  it('re-reads a records function on every query, so reconciles are visible', async () => {
    let current = clusterDnsRecords(services);
    const r = resolver(await serve(() => current));
    expect(await r.resolve4('web.shop.svc.cluster.local')).toEqual(['10.96.0.10']);
    current = clusterDnsRecords([
      { name: 'web', namespace: 'shop', clusterIP: '10.96.0.99', headless: false, readyPodIPs: [] },
    ]);
    expect(await r.resolve4('web.shop.svc.cluster.local')).toEqual(['10.96.0.99']);
    await expect(r.resolve4('db.shop.svc.cluster.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('answers SERVFAIL when the records function throws', async () => {
    const port = await serve(() => {
      throw new Error('model not ready');
    });
    const reply = await udpExchange(port, [query('web.shop.svc.cluster.local', 'A')]);
    expect(rcodeOf(reply)).toBe(2);
  });

  it('sets TC when the answer exceeds 512 bytes without EDNS, and honours an EDNS buffer size', async () => {
    const readyPodIPs = Array.from({ length: 60 }, (_, i) => `10.244.2.${i + 1}`);
    const port = await serve(
      clusterDnsRecords([{ name: 'big', namespace: 'shop', headless: true, readyPodIPs }]),
    );
    const plain = await udpExchange(port, [query('big.shop.svc.cluster.local', 'A')]);
    expect(plain.flag_tc).toBe(true);
    expect(plain.answers).toEqual([]);
    const edns = await udpExchange(port, [
      query('big.shop.svc.cluster.local', 'A', {
        additionals: [
          {
            name: '.',
            type: 'OPT',
            udpPayloadSize: 4096,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: 0,
            flag_do: false,
            options: [],
          },
        ],
      }),
    ]);
    expect(edns.flag_tc).toBe(false);
    expect(edns.answers).toHaveLength(60);
    expect(edns.additionals?.[0]?.type).toBe('OPT');
    const session = await tcpSession(port);
    const [tcp] = await session.ask([query('big.shop.svc.cluster.local', 'A')]);
    expect(tcp?.flag_tc).toBe(false);
    expect(tcp?.answers).toHaveLength(60);
  });
});

describe('SRV records for named ports', () => {
  it('names the ClusterIP Service as target, and each headless endpoint with its dashed IP', () => {
    const records = clusterDnsRecords(services);
    expect(records.lookup('_http._tcp.web.shop.svc.cluster.local')?.srv).toEqual([
      { priority: 0, weight: 100, port: 80, target: 'web.shop.svc.cluster.local' },
    ]);
    expect(records.lookup('_pg._tcp.db.shop.svc.cluster.local')?.srv).toEqual([
      { priority: 0, weight: 50, port: 5432, target: '10-244-1-1.db.shop.svc.cluster.local' },
      { priority: 0, weight: 50, port: 5432, target: '10-244-1-2.db.shop.svc.cluster.local' },
    ]);
    expect(records.lookup('10-244-1-2.db.shop.svc.cluster.local')?.a).toEqual(['10.244.1.2']);
    expect(records.lookup('_http._udp.web.shop.svc.cluster.local')).toBeUndefined();
  });

  it('serves SRV with the target addresses in the additional section', async () => {
    const port = await serve();
    const r = resolver(port);
    expect(await r.resolveSrv('_http._tcp.web.shop.svc.cluster.local')).toEqual([
      { name: 'web.shop.svc.cluster.local', port: 80, priority: 0, weight: 100 },
    ]);
    const reply = await udpExchange(port, [query('_pg._tcp.db.shop.svc.cluster.local', 'SRV')]);
    expect(reply.answers).toHaveLength(2);
    expect(reply.additionals?.map((a) => [a.name, a.type, 'data' in a ? a.data : undefined])).toEqual([
      ['10-244-1-1.db.shop.svc.cluster.local', 'A', '10.244.1.1'],
      ['10-244-1-2.db.shop.svc.cluster.local', 'A', '10.244.1.2'],
    ]);
    expect(await r.resolve4('10-244-1-1.db.shop.svc.cluster.local')).toEqual(['10.244.1.1']);
  });
});

describe('startDnsServer over TCP', () => {
  it('answers several length-prefixed queries on one connection, even split across writes', async () => {
    const session = await tcpSession(await serve());
    const [web, db, ext, nx, out] = await session.ask(
      [
        query('web.shop.svc.cluster.local', 'A'),
        query('db.shop.svc.cluster.local', 'A'),
        query('ext.shop.svc.cluster.local', 'CNAME'),
        query('nope.shop.svc.cluster.local', 'A'),
        query('example.com', 'A'),
      ],
      true,
    );
    expect(web?.answers?.map((a) => ('data' in a ? a.data : undefined))).toEqual(['10.96.0.10']);
    expect(db?.answers?.map((a) => ('data' in a ? a.data : undefined))).toEqual(['10.244.1.1', '10.244.1.2']);
    expect(ext?.answers?.[0]).toMatchObject({ type: 'CNAME', data: 'api.example.com' });
    expect(nx && rcodeOf(nx)).toBe(3);
    expect(out && rcodeOf(out)).toBe(5);
    const [again] = await session.ask([query('web.shop.svc.cluster.local', 'A')]);
    expect(again?.answers).toHaveLength(1);
  });

  it('closes the connection on a malformed message and keeps serving others', async () => {
    const port = await serve();
    const bad = await tcpSession(port);
    bad.writeRaw(bad.frame(Buffer.from([0xde, 0xad, 0xbe, 0xef])));
    await bad.closed;
    const good = await tcpSession(port);
    const [reply] = await good.ask([query('web.shop.svc.cluster.local', 'A')]);
    expect(reply?.answers).toHaveLength(1);
  });

  it('close() ends open connections', async () => {
    const server = await startDnsServer(clusterDnsRecords(services), { host: HOST, port: 0 });
    const session = await tcpSession(server.address.port);
    await server.close();
    await session.closed;
  });
});

describe('answerDnsMessage on hostile input', () => {
  it('never throws on random bytes or corrupted queries', () => {
    const records = clusterDnsRecords(services);
    const valid = query('_pg._tcp.db.shop.svc.cluster.local', 'SRV');
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.constantFrom<'udp' | 'tcp'>('udp', 'tcp'),
        (random, flips, transport) => {
          answerDnsMessage(Buffer.from(random), records, transport);
          const corrupted = Buffer.from(valid);
          for (const [at, byte] of flips) corrupted[at] = byte;
          const reply = answerDnsMessage(corrupted, records, transport);
          if (reply !== undefined) expect(reply.length).toBeGreaterThanOrEqual(12);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('startDnsServer binding', () => {
  it('refuses a non-loopback host', async () => {
    await expect(startDnsServer(clusterDnsRecords([]), { host: '0.0.0.0', port: 0 })).rejects.toThrow(/127/);
  });

  it('serves UDP and TCP on the same explicit port', async () => {
    const first = await serve();
    await servers.pop()?.close();
    const server = await startDnsServer(clusterDnsRecords(services), { host: HOST, port: first });
    servers.push(server);
    expect(server.address.port).toBe(first);
    expect(await resolver(first).resolve4('web.shop.svc.cluster.local')).toEqual(['10.96.0.10']);
    const [reply] = await (await tcpSession(first)).ask([query('web.shop.svc.cluster.local', 'A')]);
    expect(reply?.answers).toHaveLength(1);
  });
});
