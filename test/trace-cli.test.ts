/**
 * `portchain trace` as a command: text drawing and its marks, colour (TTY, NO_COLOR, FORCE_COLOR, --no-color),
 * the JSON contract, exit codes (0 delivered, 1 any other verdict, 2 usage errors or nothing readable), stdin,
 * and the config file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempTree } from './helpers/cli.js';
import { runTrace, traceJson } from './helpers/trace.js';

const SOUND = 'examples/port-from-configmap/0-sound.yaml';
const ESC = '\u001b[';

describe('trace: text', () => {
  it('draws the chain one hop per line, top to bottom, and ends with the verdict', async () => {
    const r = await runTrace(['http://books.example.com/', SOUND]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('trace http://books.example.com/ (TCP, from external client)');
    const hops = lines.filter((l) => /^\s*[✔✖?] /.test(l));
    const starts = [
      '✔ external client -> HTTP http://books.example.com/ (Host: book',
      '✔ Ingress port-from-configmap/books spec.rules[0].http.paths[0',
      '✔ -> Service books port 8080 in namespace port-from-configmap',
      '✔ Service port-from-configmap/books port http 8080/TCP -> targe',
      '✔ Deployment books: 1/1 endpoint ready',
      '✔ 10.244.0.1:3005 pod books-756755bb78-rrxf9 on node-1: ready',
      '✔ container audiobookshelf (ghcr.io/advplyr/audiobookshelf:2.19',
      '✔ the process of audiobookshelf listens on 3005/TCP (certain)',
      '✔ delivered',
    ];
    expect(hops).toHaveLength(starts.length);
    for (const [i, l] of hops.entries()) expect(l.trimStart().startsWith(starts[i] as string), l).toBe(true);
    expect(r.stdout).toContain(
      '    at examples/port-from-configmap/0-sound.yaml:89:9 spec.rules[0].http.paths[0]\n',
    );
    expect(r.stdout).toContain('· PORT=3005 from ConfigMap books-config key PORT');
    expect(r.stdout).not.toContain(ESC);
  });

  it('a broken link: ✖, the rule that fires there and its fix, then the verdict with where and how to fix it', async () => {
    const r = await runTrace([
      'http://books-wrong-port.example.com/',
      'examples/port-from-configmap/1-broken-ingress-port.yaml',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^✖ -> Service books port 3005 in namespace port-from-configmap-broken-ingress-port: unresolved$/m,
    );
    expect(r.stdout).toMatch(
      /^✖ 503 Service Unavailable: Service port-from-configmap-broken-ingress-port\/books has no port number 3005/m,
    );
    expect(r.stdout).toContain(
      '  at examples/port-from-configmap/1-broken-ingress-port.yaml:88:15 spec.rules[0].http.paths[0].backend.service.port.number\n',
    );
  });

  it('? marks what the input cannot tell, without colour', async () => {
    const dir = tempTree({
      'app.yaml': `apiVersion: v1
kind: Pod
metadata: {name: app, labels: {app: app}}
spec: {containers: [{name: app, image: registry.example.com/app:1}]}
---
apiVersion: v1
kind: Service
metadata: {name: app}
spec: {selector: {app: app}, ports: [{port: 80, targetPort: 8080}]}
`,
    });
    const r = await runTrace(['svc/app:80', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {4}\? no container declares 8080\/TCP/m);
    expect(r.stdout).toMatch(/^ {4}\? not known whether a process listens on 8080\/TCP$/m);
  });

  it('shows five ready endpoints per backend and counts the rest', async () => {
    const r = await runTrace([
      'svc/web.default:80',
      join('..', 'shared', 'vectors', 'endpoints', 'EP-34', 'manifest.yaml'),
    ]);
    expect(r.stdout).toContain('… 145 more ready endpoints (--format json lists them all)');
    expect(r.stdout.split('\n').filter((l) => /^ {4}✔ 10\./.test(l))).toHaveLength(5);
  });

  it('colours on a TTY; NO_COLOR, --no-color and a pipe turn it off; FORCE_COLOR turns it on', async () => {
    const args = ['http://books.example.com/', SOUND];
    expect((await runTrace(args, { isTTY: true })).stdout).toContain(ESC);
    expect((await runTrace(args, { isTTY: true, env: { NO_COLOR: '1' } })).stdout).not.toContain(ESC);
    expect((await runTrace([...args, '--no-color'], { isTTY: true })).stdout).not.toContain(ESC);
    expect((await runTrace(args, { env: { FORCE_COLOR: '1' } })).stdout).toContain(ESC);
    // The marks carry the meaning without colour.
    const plain = (await runTrace(args, { isTTY: true, env: { NO_COLOR: '1' } })).stdout;
    expect(plain).toMatch(/^✔ delivered$/m);
  });
});

describe('trace: JSON', () => {
  it('has exactly the documented top-level keys', async () => {
    const t = await traceJson(['http://books.example.com/', SOUND]);
    expect(Object.keys(t).filter((k) => k !== 'code')).toEqual([
      'request',
      'hops',
      'backend',
      'endpoints',
      'verdict',
      'brokenAt',
    ]);
    expect(t.request).toEqual({
      target: 'http://books.example.com/',
      kind: 'url',
      protocol: 'TCP',
      url: { scheme: 'http', host: 'books.example.com', path: '/' },
      ingressClass: null,
      from: 'external client',
    });
    expect(t.backend).toEqual({
      service: { namespace: 'port-from-configmap', name: 'books' },
      port: { number: 8080 },
      viaDefaultBackend: false,
    });
    expect(t.endpoints).toEqual([
      {
        pod: 'books-756755bb78-rrxf9',
        ip: '10.244.0.1',
        port: 3005,
        ready: true,
        serving: true,
        terminating: false,
        node: 'node-1',
      },
    ]);
    expect(t.hops[0]).toEqual({
      kind: 'client',
      status: 'ok',
      depth: 0,
      summary: 'external client -> HTTP http://books.example.com/ (Host: books.example.com)',
      details: [],
      object: null,
      field: null,
      location: null,
      findings: [],
    });
    expect(t.verdict).toBe('delivered');
    expect(t.brokenAt).toBeNull();
  });

  it('brokenAt names the hop, its object, field, location, and the rule that fires there', async () => {
    const t = await traceJson([
      'svc/web.named-port-broken-underscore:80',
      'examples/named-port/2-broken-underscore.yaml',
    ]);
    expect(t.brokenAt).toMatchObject({
      hop: 1,
      kind: 'address',
      object: { kind: 'Service', namespace: 'named-port-broken-underscore', name: 'web' },
      rule: 'api-validation',
    });
    expect(t.hops[1]?.findings[0]?.field).toBe('spec.ports[0].targetPort');
  });
});

describe('trace: exit codes and usage', () => {
  it('1 for every verdict other than delivered', async () => {
    expect((await runTrace(['http://nowhere.example.com/', SOUND])).code).toBe(1);
    expect((await runTrace(['svc/books.port-from-configmap:9999', SOUND])).code).toBe(1);
  });

  it('2 for a TARGET it cannot read, with the accepted forms', async () => {
    const r = await runTrace(['books.example.com', SOUND]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^portchain trace: books\.example\.com: not a TARGET portchain knows\n/);
    expect(r.stderr).toContain('svc/NAME[.NAMESPACE][:PORT]');
    expect(r.stderr).toContain('node:PORT, node/NODE:PORT');
    expect(r.stderr).toContain('http://_/PATH: a bare-IP request');
  });

  it.each([
    [['svc/books', '--from', 'internet', SOUND], /--from internet: not a source/],
    [['svc/books', '--protocol', 'http', SOUND], /--protocol http: expected tcp, udp or sctp/],
    [['http://books.example.com/', '--protocol', 'udp', SOUND], /HTTP runs over TCP/],
    [
      ['svc/books.port-from-configmap', '--from', 'pod/ghost', SOUND],
      /no pod or workload ghost in namespace default/,
    ],
    [
      ['svc/web.two-ports', 'examples/two-ports-one-pod/0-sound.yaml'],
      /has 2 ports \(http 80\/TCP, metrics 9100\/TCP\); name one/,
    ],
    [
      ['node/nowhere:31111', 'examples/node-port-and-load-balancer/0-sound.yaml'],
      /no node nowhere \(nodes: node-1\)/,
    ],
    [['svc/books', '--node-port-range', 'x', SOUND], /--node-port-range/],
  ])('2 for %j', async (args, message) => {
    const r = await runTrace(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('2 when nothing can be read, and for an unknown format', async () => {
    const missing = await runTrace(['svc/web:80', 'no/such/file.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('portchain: no such file or folder: no/such/file.yaml');
    expect(missing.stderr).toContain('portchain: nothing could be read');
    expect((await runTrace(['svc/web:80', SOUND, '--format', 'sarif'])).code).toBe(2);
  });

  it('--help lists the TARGET forms and exits 0', async () => {
    const r = await runTrace(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: portchain trace [options] <target> [paths...]');
    expect(r.stdout).toContain('lb/NAME[.NAMESPACE][:PORT]');
  });
});

describe('trace: inputs and settings', () => {
  it('reads stdin, with -n for objects and targets that name no namespace', async () => {
    const text = readFileSync('examples/two-ports-one-pod/0-sound.yaml', 'utf8').replaceAll(
      'namespace: two-ports',
      'namespace: shop',
    );
    const t = await traceJson(['svc/web:metrics', '-n', 'shop', '-'], { stdin: text });
    expect(t.verdict).toBe('delivered');
    expect(t.endpoints.map((e) => e.port)).toEqual([9100]);
  });

  it('takes the namespace from the config file; --no-config ignores it', async () => {
    const dir = tempTree({ '.portchain.yaml': 'namespace: named-port\n' });
    const manifest = join(process.cwd(), 'examples/named-port/0-sound.yaml');
    expect((await traceJson(['svc/web:80', manifest], { cwd: dir })).verdict).toBe('delivered');
    expect((await traceJson(['svc/web:80', manifest, '--no-config'], { cwd: dir })).verdict).toBe(
      'not-routed',
    );
    const bad = tempTree({ 'c.yaml': 'namespace: [1]\n' });
    const r = await runTrace(['svc/web:80', manifest, '--config', join(bad, 'c.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/c\.yaml/);
  });
});
