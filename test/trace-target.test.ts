/** TARGET, --from and --protocol as `portchain trace` reads them. */
import { describe, expect, it } from 'vitest';
import { parseProtocol, parseSource, parseTarget, TargetError } from '../src/trace/target.js';

describe('parseTarget', () => {
  it.each([
    [
      'http://shop.example.com/cart',
      { kind: 'url', scheme: 'http', host: 'shop.example.com', path: '/cart' },
    ],
    ['HTTPS://Shop.example.com', { kind: 'url', scheme: 'https', host: 'Shop.example.com', path: '/' }],
    ['http://foo.bar.com:80/a?b=c', { kind: 'url', host: 'foo.bar.com:80', path: '/a?b=c' }],
    ['http://_/resource', { kind: 'url', host: '', path: '/resource' }],
    ['http://_:8080', { kind: 'url', host: '', path: '/' }],
    ['http://user@host.example/x', { kind: 'url', host: 'host.example', path: '/x' }],
    ['svc/web', { kind: 'service', name: 'web', namespace: null, port: null }],
    ['svc/web:80', { kind: 'service', name: 'web', namespace: null, port: 80 }],
    ['svc/web.shop:http', { kind: 'service', name: 'web', namespace: 'shop', port: 'http' }],
    ['service/web.shop:8080', { kind: 'service', name: 'web', namespace: 'shop', port: 8080 }],
    ['web.shop.svc.cluster.local:80', { kind: 'service', name: 'web', namespace: 'shop', port: 80 }],
    ['web.shop.svc:metrics', { kind: 'service', name: 'web', namespace: 'shop', port: 'metrics' }],
    ['web.shop.svc.corp.internal.:80', { kind: 'service', name: 'web', namespace: 'shop', port: 80 }],
    ['10.96.0.10:80', { kind: 'ip', ip: '10.96.0.10', port: 80 }],
    ['[fd00::a]:443', { kind: 'ip', ip: 'fd00::a', port: 443 }],
    ['node:31111', { kind: 'node-port', node: null, port: 31111 }],
    ['node/worker-2:31111', { kind: 'node-port', node: 'worker-2', port: 31111 }],
    ['lb/web.shop:443', { kind: 'load-balancer', name: 'web', namespace: 'shop', port: 443 }],
    ['lb/web', { kind: 'load-balancer', name: 'web', namespace: null, port: null }],
  ])('%s', (raw, want) => {
    expect(parseTarget(raw)).toMatchObject({ raw: raw.trim(), ...want });
  });

  it.each([
    ['', /empty/],
    ['shop.example.com/cart', /not a TARGET/],
    ['ftp://host/x', /not an http/],
    ['http:///x', /no host/],
    ['svc/Web:80', /lower-case/],
    ['svc/a.b.c:80', /NAME or NAME.NAMESPACE/],
    ['svc/web:0', /not in 1-65535/],
    ['svc/web:http_x', /neither a port number nor a port name/],
    ['node:abc', /not a number/],
    ['10.96.0.10:70000', /not in 1-65535/],
    ['web:80', /not a TARGET/],
  ])('rejects %j', (raw, message) => {
    expect(() => parseTarget(raw)).toThrow(TargetError);
    expect(() => parseTarget(raw)).toThrow(message);
  });
});

describe('parseSource', () => {
  it.each([
    ['external', { kind: 'external', ip: null }],
    ['external/203.0.113.7', { kind: 'external', ip: '203.0.113.7' }],
    ['pod/client', { kind: 'pod', name: 'client', namespace: null }],
    ['pod/client.shop', { kind: 'pod', name: 'client', namespace: 'shop' }],
    ['namespace/monitoring', { kind: 'namespace', name: 'monitoring' }],
    ['ns/monitoring', { kind: 'namespace', name: 'monitoring' }],
  ])('%s', (raw, want) => expect(parseSource(raw)).toEqual(want));

  it.each(['internet', 'pod/', 'external/nope', 'namespace/Bad_Name'])('rejects %s', (raw) => {
    expect(() => parseSource(raw)).toThrow(TargetError);
  });
});

describe('parseProtocol', () => {
  it('takes tcp, udp and sctp in any case', () => {
    expect(['tcp', 'UDP', 'Sctp'].map(parseProtocol)).toEqual(['TCP', 'UDP', 'SCTP']);
    expect(() => parseProtocol('http')).toThrow(/expected tcp, udp or sctp/);
  });
});
