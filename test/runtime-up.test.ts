/**
 * `portchain up` on real loopback sockets: requests through the ClusterIP, a NodePort and a LoadBalancer address
 * reach the simulated processes, a broken targetPort is refused, and `trace` predicts each outcome; the ingress
 * controller and the cluster DNS are wired to the plan; the command prints its table, writes --state and stops.
 * One file on purpose: the examples fix addresses (127.1.0.1, nodePort 31111), so these tests never run in
 * parallel with each other.
 */
import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { upCommand } from '../src/cli/up.js';
import { NGINX_WELCOME } from '../src/runtime/images/http-images.js';
import { startUp, type Up } from '../src/runtime/up.js';
import { parseTarget } from '../src/trace/target.js';
import { traceRequest } from '../src/trace/trace.js';

/** Ports below 1024 are bound at +40000: the tests never depend on binding port 80. */
const LOW = 40000;
const source = (path: string) => ({ name: path, text: readFileSync(path, 'utf8') });

let running: Up[] = [];
afterEach(async () => {
  await Promise.all(running.map((u) => u.close()));
  running = [];
});

async function up(path: string): Promise<Up> {
  const u = await startUp([source(path)], { lowPortOffset: LOW });
  running.push(u);
  return u;
}

type Outcome = { kind: 'delivered'; status: number; body: string } | { kind: 'refused'; code: string };

function get(host: string, port: number, path = '/'): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ kind: 'delivered', status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ kind: 'refused', code: e.code ?? e.message }));
  });
}

const service = (u: Up, ns: string, name: string) => {
  const s = u.plan.services.find((x) => x.namespace === ns && x.name === name);
  if (!s) throw new Error(`no Service ${ns}/${name} in the plan`);
  return s;
};

describe('portchain up: the plan', () => {
  it('gives pods 127.1.x.y, Services 127.96.x.y and binds where graph.listening says', async () => {
    const u = await up('examples/two-ports-one-pod/0-sound.yaml');
    expect(u.plan.pods.map((p) => p.ip)).toEqual(['127.1.0.1']);
    const pod = u.plan.pods[0];
    expect(pod?.containers.map((c) => [c.name, c.imageId, c.binds.map((b) => b.port)])).toEqual([
      ['nginx', 'nginx', [80]],
      ['node-exporter', 'node-exporter', [9100]],
    ]);
    const web = service(u, 'two-ports', 'web');
    expect(web.clusterIP).toBe('127.96.0.1');
    expect(
      web.ports.map((p) => [p.name, p.port, p.endpoints.map((e) => `${e.ip}:${e.port}:${e.ready}`)]),
    ).toEqual([
      ['http', 80, ['127.1.0.1:80:true']],
      ['metrics', 9100, ['127.1.0.1:9100:true']],
    ]);
  });

  it('allocates LoadBalancer addresses and keeps the nodePorts of the graph', async () => {
    const u = await up('examples/node-port-and-load-balancer/0-sound.yaml');
    expect(u.plan.pods.map((p) => p.ip)).toEqual(['127.1.0.1', '127.1.0.2']);
    const np = service(u, 'node-ports', 'whoami-nodeport');
    expect(np.ports[0]?.nodePort).toBe(31111);
    const lb = service(u, 'node-ports', 'whoami-lb');
    expect(lb.loadBalancerIP).toBe('127.97.0.1');
    expect(lb.ports[0]?.nodePort).toBeGreaterThanOrEqual(30000);
  });
});

describe('portchain up: requests along the chain', () => {
  it('reaches nginx and node-exporter through the ClusterIP of a two-port Service', async () => {
    const u = await up('examples/two-ports-one-pod/0-sound.yaml');
    const web = service(u, 'two-ports', 'web');
    const ip = web.clusterIP as string;
    const page = await get(ip, 80 + LOW);
    expect(page).toEqual({ kind: 'delivered', status: 200, body: NGINX_WELCOME });
    const metrics = await get(ip, 9100, '/metrics');
    expect(metrics.kind).toBe('delivered');
    if (metrics.kind === 'delivered') expect(metrics.body).toContain('node_exporter_build_info');
  });

  it('reaches whoami through the NodePort and the LoadBalancer address, across both pods', async () => {
    const u = await up('examples/node-port-and-load-balancer/0-sound.yaml');
    const viaNode = await get('127.0.0.1', 31111);
    expect(viaNode.kind).toBe('delivered');
    if (viaNode.kind === 'delivered') expect(viaNode.body).toMatch(/^Hostname: whoami-/);
    const lb = service(u, 'node-ports', 'whoami-lb');
    const hosts = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await get(lb.loadBalancerIP as string, 80 + LOW);
      expect(r.kind).toBe('delivered');
      if (r.kind === 'delivered') hosts.add(r.body.split('\n')[0] ?? '');
    }
    // Round robin over both endpoints.
    expect(hosts.size).toBe(2);
    const nodePort = lb.ports[0]?.nodePort as number;
    expect((await get('127.0.0.1', nodePort)).kind).toBe('delivered');
  });

  it('refuses a Service port whose targetPort nothing listens on, and keeps the other port', async () => {
    const u = await up('examples/two-ports-one-pod/1-broken-target-port.yaml');
    const web = service(u, 'two-ports-broken-target-port', 'web');
    const r = await get(web.clusterIP as string, 80 + LOW);
    expect(r.kind).toBe('refused');
    expect((await get(web.clusterIP as string, 9100, '/metrics')).kind).toBe('delivered');
  });

  it('closes every listener on close()', async () => {
    const u = await up('examples/two-ports-one-pod/0-sound.yaml');
    const ip = service(u, 'two-ports', 'web').clusterIP as string;
    await u.close();
    running = [];
    expect((await get(ip, 80 + LOW)).kind).toBe('refused');
    expect((await get('127.1.0.1', 9100)).kind).toBe('refused');
  });
});

describe('portchain up agrees with trace', () => {
  const cases = [
    {
      file: 'examples/two-ports-one-pod/0-sound.yaml',
      target: 'svc/web.two-ports:80',
      ns: 'two-ports',
      port: 0,
    },
    {
      file: 'examples/two-ports-one-pod/0-sound.yaml',
      target: 'svc/web.two-ports:9100',
      ns: 'two-ports',
      port: 1,
    },
    {
      file: 'examples/two-ports-one-pod/1-broken-target-port.yaml',
      target: 'svc/web.two-ports-broken-target-port:80',
      ns: 'two-ports-broken-target-port',
      port: 0,
    },
    {
      file: 'examples/two-ports-one-pod/1-broken-target-port.yaml',
      target: 'svc/web.two-ports-broken-target-port:9100',
      ns: 'two-ports-broken-target-port',
      port: 1,
    },
  ];
  for (const c of cases) {
    it(`${c.target} in ${c.file}`, async () => {
      const u = await up(c.file);
      const predicted = traceRequest(u.graph, u.findings, {
        target: parseTarget(c.target),
        protocol: 'TCP',
        from: null,
        ingressClass: null,
        defaultNamespace: 'default',
      }).verdict;
      const web = service(u, c.ns, 'web');
      const sp = web.ports[c.port];
      const real = await get(web.clusterIP as string, sp?.listenPort as number);
      const happened = real.kind === 'delivered' ? 'delivered' : 'refused';
      expect(happened).toBe(predicted);
    });
  }
});

function getHost(port: number, host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const statusOf = (verdict: string) => (verdict === 'delivered' ? 200 : verdict === '404' ? 404 : 503);

describe('portchain up: ingress and DNS', () => {
  for (const file of [
    'examples/port-from-configmap/0-sound.yaml',
    'examples/port-from-configmap/1-broken-ingress-port.yaml',
  ]) {
    it(`the ingress controller answers as trace predicts (${file})`, async () => {
      const u = await startUp([source(file)], {
        lowPortOffset: LOW,
        ingress: { host: '127.0.0.1', port: 0 },
      });
      running.push(u);
      const port = u.ingress?.port as number;
      const predicted = traceRequest(u.graph, u.findings, {
        target: parseTarget('http://books.example.com/'),
        protocol: 'TCP',
        from: null,
        ingressClass: null,
        defaultNamespace: 'default',
      }).verdict;
      const r = await getHost(port, 'books.example.com');
      expect(r.status).toBe(statusOf(predicted));
      if (r.status === 200) expect(r.body).toContain('audiobookshelf');
      // No rule for this host and no defaultBackend: ingress-nginx's 404.
      expect((await getHost(port, 'nobody.example.com')).status).toBe(404);
    });
  }

  it('cluster DNS answers the planned clusterIP', async () => {
    const u = await startUp([source('examples/two-ports-one-pod/0-sound.yaml')], {
      lowPortOffset: LOW,
      dns: { host: '127.0.0.1', port: 0 },
    });
    running.push(u);
    const r = new Resolver({ timeout: 2000, tries: 1 });
    r.setServers([`${u.dns?.host}:${u.dns?.port}`]);
    expect(await r.resolve4('web.two-ports.svc.cluster.local')).toEqual(['127.96.0.1']);
  });
});

describe('portchain up: the command', () => {
  it('prints the Services, writes --state, says ready, and closes everything when stopped', async () => {
    let stdout = '';
    let stderr = '';
    let code = -1;
    let stop: () => void = () => undefined;
    let ready: () => void = () => undefined;
    const isReady = new Promise<void>((r) => {
      ready = r;
    });
    const io = {
      stdout: (s: string) => {
        stdout += s;
        if (s.startsWith('portchain up: ready')) ready();
      },
      stderr: (s: string) => {
        stderr += s;
      },
      stdin: Readable.from(['']),
      isTTY: false,
      env: {},
    };
    const state = join(mkdtempSync(join(tmpdir(), 'portchain-up-')), 'state.json');
    const program = new Command('portchain').exitOverride();
    program.addCommand(
      upCommand(
        io,
        (c) => {
          code = c;
        },
        () =>
          new Promise<void>((r) => {
            stop = r;
          }),
      ),
    );
    const done = program.parseAsync(
      [
        'up',
        'examples/node-port-and-load-balancer/0-sound.yaml',
        '--ingress-port',
        '0',
        '--low-port-offset',
        String(LOW),
        '--state',
        state,
        '--no-config',
      ],
      { from: 'user' },
    );
    await isReady;
    expect(stderr).toBe('');
    expect(stdout).toMatch(
      /node-ports\/whoami-nodeport\s+NodePort\s+127\.96\.0\.\d+\s+-\s+80\/TCP http \(on 40080\)\s+127\.0\.0\.1:31111\s+2 ready, 0 not ready/,
    );
    expect(stdout).toMatch(/node-ports\/whoami-lb\s+LoadBalancer\s+127\.96\.0\.\d+\s+127\.97\.0\.1/);
    const saved = JSON.parse(readFileSync(state, 'utf8')) as {
      services: { name: string }[];
      listeners: string[];
    };
    expect(saved.services.map((s) => s.name)).toEqual(['whoami-nodeport', 'whoami-lb']);
    expect(saved.listeners).toContain('TCP 127.0.0.1:31111');
    stop();
    await done;
    expect(code).toBe(0);
    expect(stdout).toContain('every listener closed');
    // Closed: the nodePort refuses again.
    const refused = await new Promise<string>((r) => {
      const req = http.get({ host: '127.0.0.1', port: 31111, agent: false }, () => r('answered'));
      req.on('error', (e: NodeJS.ErrnoException) => r(e.code ?? ''));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});

/** One DNS query for `name` over UDP or TCP: the decoded answer, or what went wrong. */
function dnsQuery(
  host: string,
  port: number,
  protocol: 'UDP' | 'TCP',
  name: string,
): Promise<dnsPacket.DecodedPacket | string> {
  const query = dnsPacket.encode({ id: 7, type: 'query', questions: [{ type: 'A', name }] });
  return new Promise((resolve) => {
    if (protocol === 'UDP') {
      const s = dgram.createSocket('udp4');
      const timer = setTimeout(() => {
        s.close();
        resolve('timeout');
      }, 1000);
      s.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        s.close();
        resolve(e.code ?? 'error');
      });
      s.on('message', (m) => {
        clearTimeout(timer);
        s.close();
        resolve(dnsPacket.decode(m));
      });
      s.connect(port, host, () => s.send(query));
      return;
    }
    const s = net.connect({ host, port });
    let got = Buffer.alloc(0);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(query.length, 0);
    s.on('connect', () => s.write(Buffer.concat([len, query])));
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        s.destroy();
        resolve(dnsPacket.decode(got.subarray(2, 2 + got.readUInt16BE(0))));
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    s.on('close', () => resolve('closed'));
  });
}

describe('portchain up: DNS over UDP and TCP through kube-proxy (CoreDNS whoami plugin)', () => {
  const files = [
    ['examples/dns-tcp-udp/0-sound.yaml', 'dns-tcp-udp'],
    ['examples/dns-tcp-udp/1-broken-udp-only.yaml', 'dns-tcp-udp-broken-udp-only'],
    ['examples/dns-tcp-udp/2-broken-tcp-name.yaml', 'dns-tcp-udp-broken-tcp-name'],
  ] as const;
  for (const [file, ns] of files) {
    for (const protocol of ['UDP', 'TCP'] as const) {
      it(`${protocol} to svc/dns.${ns}:53 happens as trace predicts`, async () => {
        const u = await startUp([source(file)], { lowPortOffset: LOW });
        running.push(u);
        const predicted = traceRequest(u.graph, u.findings, {
          target: parseTarget(`svc/dns.${ns}:53`),
          protocol,
          from: null,
          ingressClass: null,
          defaultNamespace: 'default',
        }).verdict;
        const svc = service(u, ns, 'dns');
        const r = await dnsQuery(svc.clusterIP as string, 53 + LOW, protocol, 'example.org');
        const happened = typeof r === 'string' ? 'not delivered' : 'delivered';
        expect(happened).toBe(predicted === 'delivered' ? 'delivered' : 'not delivered');
        if (typeof r !== 'string') {
          // whoami: the client address (kube-proxy's, on loopback) as A, its port as _proto SRV.
          expect(r.additionals?.map((a) => [a.type, a.name])).toEqual([
            ['A', 'example.org'],
            ['SRV', `_${protocol.toLowerCase()}.example.org`],
          ]);
        }
      });
    }
  }
});

/** Delivered or not, as a client of the Service sees it: HTTP for web ports, a DNS query for port 53. */
async function probe(host: string, port: number, protocol: string, servicePort: number): Promise<boolean> {
  if (servicePort === 53 || protocol === 'UDP') {
    const r = await dnsQuery(host, port, protocol === 'UDP' ? 'UDP' : 'TCP', 'example.org');
    return typeof r !== 'string';
  }
  const r = await get(host, port);
  return r.kind === 'delivered';
}

describe('portchain up agrees with trace on every Service port of every example', () => {
  const examples = readdirSync('examples', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(join('examples', d.name))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => join('examples', d.name, f)),
    );
  for (const file of examples) {
    it(file, async () => {
      const u = await startUp([source(file)], { lowPortOffset: LOW });
      running.push(u);
      const compared: string[] = [];
      for (const svc of u.graph.ofKind('Service')) {
        for (const sp of svc.object.spec.ports ?? []) {
          const protocol = (sp.protocol ?? 'TCP') as 'TCP' | 'UDP';
          const predicted = traceRequest(u.graph, u.findings, {
            target: parseTarget(`svc/${svc.name}.${svc.namespace}:${sp.port}`),
            protocol,
            from: null,
            ingressClass: null,
            defaultNamespace: 'default',
          }).verdict;
          const planned = u.plan.services.find((s) => s.namespace === svc.namespace && s.name === svc.name);
          const port = planned?.ports.find((p) => p.port === sp.port && p.protocol === protocol);
          // A Service the API server rejects does not exist: nothing can be delivered to it.
          const delivered =
            planned?.clusterIP && port
              ? await probe(planned.clusterIP, port.listenPort, protocol, sp.port)
              : false;
          compared.push(`${svc.namespace}/${svc.name}:${sp.port}/${protocol} ${predicted}`);
          if (predicted === 'unknown') continue;
          expect(`${svc.name}:${sp.port}/${protocol} ${delivered ? 'delivered' : 'not delivered'}`).toBe(
            `${svc.name}:${sp.port}/${protocol} ${predicted === 'delivered' ? 'delivered' : 'not delivered'}`,
          );
        }
      }
      expect(compared.length).toBeGreaterThan(0);
    });
  }
});
