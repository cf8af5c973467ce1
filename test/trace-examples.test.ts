/**
 * A trace for the sound file and every broken variant of each example (examples/README.md): the sound chain
 * is delivered, and each broken one stops where the README says the chain breaks.
 */
import { describe, expect, it } from 'vitest';
import { traceJson } from './helpers/trace.js';

interface Case {
  readonly name: string;
  readonly args: string[];
  readonly verdict: string;
  /** The hop the chain stops at, its field and its line. */
  readonly brokenAt?: { kind: string; field: string | null; line?: number; rule?: string };
}

const ex = (path: string) => `examples/${path}`;

const cases: Case[] = [
  // two-ports-one-pod
  {
    name: 'two-ports sound, http',
    args: ['svc/web.two-ports:80', ex('two-ports-one-pod/0-sound.yaml')],
    verdict: 'delivered',
  },
  {
    name: 'two-ports sound, metrics by name',
    args: ['svc/web.two-ports:metrics', ex('two-ports-one-pod/0-sound.yaml')],
    verdict: 'delivered',
  },
  {
    name: 'two-ports broken targetPort 8080: nothing listens on 8080',
    args: ['svc/web.two-ports-broken-target-port:80', ex('two-ports-one-pod/1-broken-target-port.yaml')],
    verdict: 'refused',
    brokenAt: { kind: 'process', field: 'spec.containers[0].image' },
  },
  {
    name: 'two-ports broken unnamed port: the Service is rejected',
    args: ['svc/web.two-ports-broken-unnamed-port:80', ex('two-ports-one-pod/2-broken-unnamed-port.yaml')],
    verdict: 'not-routed',
    brokenAt: { kind: 'address', field: null, rule: 'api-validation' },
  },
  // named-port
  {
    name: 'named-port sound',
    args: ['svc/web.named-port:80', ex('named-port/0-sound.yaml')],
    verdict: 'delivered',
  },
  {
    name: 'named-port typo: no endpoint, kube-proxy rejects',
    args: ['svc/web.named-port-broken-typo:http', ex('named-port/1-broken-typo.yaml')],
    verdict: 'refused',
    brokenAt: { kind: 'service-port', field: 'spec.ports[0]', line: 56 },
  },
  {
    name: 'named-port underscore: the Service is rejected',
    args: ['svc/web.named-port-broken-underscore:80', ex('named-port/2-broken-underscore.yaml')],
    verdict: 'not-routed',
    brokenAt: { kind: 'address', field: null, rule: 'api-validation' },
  },
  {
    name: 'named-port quoted number: the Service is rejected',
    args: ['web.named-port-broken-quoted.svc.cluster.local:80', ex('named-port/3-broken-quoted.yaml')],
    verdict: 'not-routed',
    brokenAt: { kind: 'address', field: null, rule: 'api-validation' },
  },
  // three-apps-port-80
  {
    name: 'three-apps sound, static',
    args: ['svc/static.three-apps:80', ex('three-apps-port-80/0-sound.yaml')],
    verdict: 'delivered',
  },
  {
    name: 'three-apps sound, frontend',
    args: ['svc/frontend.three-apps:80', ex('three-apps-port-80/0-sound.yaml')],
    verdict: 'delivered',
  },
  {
    name: 'three-apps sound, greeter',
    args: ['svc/greeter:80', '-n', 'three-apps', ex('three-apps-port-80/0-sound.yaml')],
    verdict: 'delivered',
  },
  {
    name: 'three-apps broken targetPort 80: nginx-unprivileged listens on 8080',
    args: ['svc/static.three-apps-broken-target-port:80', ex('three-apps-port-80/1-broken-target-port.yaml')],
    verdict: 'refused',
    brokenAt: { kind: 'process', field: 'spec.template.spec.containers[0].image' },
  },
  {
    name: 'three-apps broken selector: no endpoint',
    args: ['svc/frontend.three-apps-broken-selector:80', ex('three-apps-port-80/2-broken-selector.yaml')],
    verdict: 'refused',
    brokenAt: { kind: 'service-port', field: 'spec.ports[0]' },
  },
  // dns-tcp-udp
  {
    name: 'dns sound, UDP',
    args: ['svc/dns.dns-tcp-udp:53', '--protocol', 'udp', ex('dns-tcp-udp/0-sound.yaml')],
    verdict: 'delivered',
  },
  {
    name: 'dns sound, TCP',
    args: ['svc/dns.dns-tcp-udp:53', ex('dns-tcp-udp/0-sound.yaml')],
    verdict: 'delivered',
  },
  {
    name: 'dns UDP only: no TCP port 53',
    args: ['svc/dns.dns-tcp-udp-broken-udp-only:53', ex('dns-tcp-udp/1-broken-udp-only.yaml')],
    verdict: 'not-routed',
    brokenAt: { kind: 'service-port', field: 'spec.ports' },
  },
  {
    name: 'dns UDP only still answers UDP',
    args: [
      'svc/dns.dns-tcp-udp-broken-udp-only:53',
      '--protocol',
      'UDP',
      ex('dns-tcp-udp/1-broken-udp-only.yaml'),
    ],
    verdict: 'delivered',
  },
  {
    name: 'dns TCP port targets the UDP name: no TCP endpoint',
    args: ['svc/dns.dns-tcp-udp-broken-tcp-name:dns-tcp', ex('dns-tcp-udp/2-broken-tcp-name.yaml')],
    verdict: 'refused',
    brokenAt: { kind: 'service-port', field: 'spec.ports[1]' },
  },
  // port-from-configmap
  {
    name: 'books sound through the Ingress',
    args: ['http://books.example.com/', ex('port-from-configmap/0-sound.yaml')],
    verdict: 'delivered',
  },
  {
    name: 'books sound, class nginx, whole examples folder',
    args: ['http://books.example.com/shelf', '--ingress-class', 'nginx', 'examples/'],
    verdict: 'delivered',
  },
  {
    name: 'books broken Ingress port: 503 at the Ingress backend',
    args: ['http://books-wrong-port.example.com/', ex('port-from-configmap/1-broken-ingress-port.yaml')],
    verdict: '503',
    brokenAt: {
      kind: 'ingress-backend',
      field: 'spec.rules[0].http.paths[0].backend.service.port.number',
      line: 88,
    },
  },
  {
    name: 'books broken ConfigMap: PORT 3000, targetPort 3005',
    args: [
      'svc/books.port-from-configmap-broken-configmap:8080',
      ex('port-from-configmap/2-broken-configmap.yaml'),
    ],
    verdict: 'refused',
    brokenAt: { kind: 'process', field: 'spec.template.spec.containers[0].env[0].valueFrom' },
  },
  // node-port-and-load-balancer
  {
    name: 'nodePort sound',
    args: ['node:31111', ex('node-port-and-load-balancer/0-sound.yaml')],
    verdict: 'delivered',
  },
  {
    name: 'load balancer sound',
    args: ['lb/whoami-lb.node-ports:80', ex('node-port-and-load-balancer/0-sound.yaml')],
    verdict: 'delivered',
  },
  {
    name: 'duplicate nodePort: 31111 still reaches the sound Service',
    args: ['node:31111', 'examples/node-port-and-load-balancer/'],
    verdict: 'delivered',
  },
  {
    name: 'duplicate nodePort: the second Service is rejected',
    args: ['svc/whoami.node-ports-broken-duplicate:80', 'examples/node-port-and-load-balancer/'],
    verdict: 'not-routed',
    brokenAt: { kind: 'address', field: null, rule: 'node-port-allocation' },
  },
  {
    name: 'nodePort out of range: nobody holds it',
    args: ['node:29999', ex('node-port-and-load-balancer/2-broken-range.yaml')],
    verdict: 'not-routed',
    brokenAt: { kind: 'address', field: null },
  },
  {
    name: 'nodePort on a ClusterIP Service: rejected',
    args: ['node:31112', ex('node-port-and-load-balancer/3-broken-cluster-ip.yaml')],
    verdict: 'not-routed',
    brokenAt: { kind: 'address', field: null },
  },
];

describe('trace: examples', () => {
  it.each(cases)('$name', async (c) => {
    const t = await traceJson(c.args);
    expect(t.verdict).toBe(c.verdict);
    expect(t.code).toBe(c.verdict === 'delivered' ? 0 : 1);
    if (!c.brokenAt) {
      expect(t.brokenAt).toBeNull();
      return;
    }
    expect(t.brokenAt).toMatchObject({ kind: c.brokenAt.kind, field: c.brokenAt.field });
    if (c.brokenAt.line !== undefined) expect(t.brokenAt?.location?.line).toBe(c.brokenAt.line);
    if (c.brokenAt.rule !== undefined) expect(t.brokenAt?.rule).toBe(c.brokenAt.rule);
    expect(t.hops[t.brokenAt?.hop ?? -1]?.kind).toBe(c.brokenAt.kind);
  });
});
