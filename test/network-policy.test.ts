import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKind, loadText, type Manifest } from '../src/model/load.js';
import type { PodSpec } from '../src/model/types.js';
import {
  cidrContains,
  ingressIsolation,
  ingressVerdictKey,
  isEgressAllowed,
  isIngressAllowed,
  namespaceLabelsOf,
  type PolicyPeer,
  type PolicyPod,
} from '../src/semantics/network-policy.js';

function policies(text: string): Manifest<'NetworkPolicy'>[] {
  return loadText({ name: 'np.yaml', text }).manifests.filter((m): m is Manifest<'NetworkPolicy'> =>
    isKind(m, 'NetworkPolicy'),
  );
}

const webSpec: PodSpec = {
  containers: [
    { name: 'app', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] },
    { name: 'metrics', ports: [{ name: 'metrics', containerPort: 9100, protocol: 'TCP' }] },
  ],
  initContainers: [
    {
      name: 'proxy',
      restartPolicy: 'Always',
      ports: [{ name: 'proxy', containerPort: 15001, protocol: 'TCP' }],
    },
    { name: 'setup', ports: [{ name: 'setup', containerPort: 7000, protocol: 'TCP' }] },
  ],
};
const web: PolicyPod = { namespace: 'prod', labels: { app: 'web', tier: 'front' }, podSpec: webSpec };

const pod = (
  namespace: string,
  labels: Record<string, string>,
  nsLabels: Record<string, string> = {},
  ip?: string,
  podSpec?: PodSpec,
): PolicyPeer => ({
  kind: 'pod',
  namespace,
  labels,
  namespaceLabels: nsLabels,
  ...(ip ? { ip } : {}),
  ...(podSpec ? { podSpec } : {}),
});
const external = (ip?: string): PolicyPeer => ({ kind: 'external', ...(ip ? { ip } : {}) });

const np = (name: string, spec: string, namespace = 'prod') => `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${spec}`;

describe('isolation', () => {
  it('no policy: everything is allowed and the pod is not isolated', () => {
    const v = isIngressAllowed([], web, external('1.2.3.4'), 80, 'TCP');
    expect(v).toMatchObject({ allowed: true, isolated: false, direction: 'Ingress' });
  });

  it('default deny: empty podSelector, no ingress rules', () => {
    const ps = policies(np('deny', '  podSelector: {}\n  policyTypes: [Ingress]\n'));
    const v = isIngressAllowed(ps, web, pod('prod', { app: 'api' }), 8080, 'TCP');
    expect(v).toMatchObject({ allowed: false, isolated: true });
    expect(v.policies[0]).toMatchObject({ selectsPod: true, isolates: true, matched: false });
  });

  it('a policy of another namespace, or one not selecting the pod, does not isolate it', () => {
    const ps = policies(
      np('other-ns', '  podSelector: {}\n', 'dev') +
        np('other-pods', '  podSelector: {matchLabels: {app: db}}\n'),
    );
    const v = isIngressAllowed(ps, web, external(), 80, 'TCP');
    expect(v).toMatchObject({ allowed: true, isolated: false });
    expect(v.policies.map((p) => [p.policy.name, p.selectsPod])).toEqual([['other-pods', false]]);
  });

  it('an Egress-only policy does not isolate for ingress (policyTypes)', () => {
    const ps = policies(np('egress-only', '  podSelector: {}\n  policyTypes: [Egress]\n'));
    expect(isIngressAllowed(ps, web, external(), 80, 'TCP')).toMatchObject({
      allowed: true,
      isolated: false,
    });
    expect(isEgressAllowed(ps, web, external('8.8.8.8'), 53, 'UDP')).toMatchObject({
      allowed: false,
      isolated: true,
    });
  });

  it('policyTypes defaults to Ingress (plus Egress when egress rules exist)', () => {
    const ps = policies(np('defaulted', '  podSelector: {}\n  egress:\n  - {}\n'));
    expect(ps[0]?.object.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(isIngressAllowed(ps, web, external(), 80, 'TCP').allowed).toBe(false);
    expect(isEgressAllowed(ps, web, external('8.8.8.8'), 53, 'UDP').allowed).toBe(true);
  });

  it('policies are additive: one allowing policy is enough', () => {
    const ps = policies(
      np('deny', '  podSelector: {}\n  policyTypes: [Ingress]\n') +
        np(
          'allow-api',
          '  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: api}}\n',
        ),
    );
    const v = isIngressAllowed(ps, web, pod('prod', { app: 'api' }), 8080, 'TCP');
    expect(v.allowed).toBe(true);
    expect(v.policies.map((p) => [p.policy.name, p.matched])).toEqual([
      ['deny', false],
      ['allow-api', true],
    ]);
  });

  it('an empty ingress rule allows everything', () => {
    const ps = policies(np('allow-all', '  podSelector: {}\n  ingress:\n  - {}\n'));
    expect(isIngressAllowed(ps, web, external(), 1, 'SCTP').allowed).toBe(true);
  });
});

describe('peers', () => {
  const text =
    np(
      'ns-and-pod',
      `  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: ops}}
      podSelector: {matchLabels: {role: monitor}}
`,
    ) +
    np(
      'ns-or-pod',
      `  podSelector: {matchLabels: {tier: front}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: data}}
    - podSelector: {matchLabels: {role: client}}
`,
    ) +
    np(
      'by-ns-name',
      `  podSelector: {matchExpressions: [{key: app, operator: In, values: [web, api]}]}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}
`,
    );
  const ps = policies(text);
  const allowedBy = (peer: PolicyPeer) => {
    const v = isIngressAllowed(ps, web, peer, 8080, 'TCP');
    return v.policies.filter((p) => p.matched).map((p) => p.policy.name);
  };

  it.each<[string, PolicyPeer, string[]]>([
    [
      'AND: monitor pod in an ops namespace',
      pod('mon', { role: 'monitor' }, { team: 'ops' }),
      ['ns-and-pod'],
    ],
    ['AND: monitor pod elsewhere', pod('mon', { role: 'monitor' }, { team: 'dev' }), []],
    ['AND: other pod in an ops namespace', pod('mon', { role: 'x' }, { team: 'ops' }), []],
    ['OR: any pod of a data namespace', pod('etl', { any: 'thing' }, { team: 'data' }), ['ns-or-pod']],
    ['OR: client pod of the policy namespace', pod('prod', { role: 'client' }), ['ns-or-pod']],
    ['podSelector alone is the policy namespace only', pod('dev', { role: 'client' }), []],
    [
      'namespace by kubernetes.io/metadata.name (added automatically)',
      pod('ingress-nginx', { app: 'controller' }),
      ['by-ns-name'],
    ],
    ['external peers never match selectors', external('10.0.0.1'), []],
  ])('%s', (_, peer, expected) => {
    expect(allowedBy(peer)).toEqual(expected);
  });

  it('explains each peer', () => {
    const v = isIngressAllowed(ps, web, pod('dev', { role: 'client' }), 8080, 'TCP');
    const rule = v.policies.find((p) => p.policy.name === 'ns-or-pod')?.rules[0];
    expect(rule?.field.toString()).toBe('spec.ingress[0]');
    expect(rule?.peers.map((p) => [p.field.toString(), p.matched, p.detail])).toEqual([
      ['spec.ingress[0].from[0]', false, 'namespaceSelector does not select namespace dev'],
      [
        'spec.ingress[0].from[1]',
        false,
        "podSelector alone selects pods of the policy's namespace prod, not dev",
      ],
    ]);
    expect(v.allowed).toBe(false);
    expect(v.detail).toContain('isolated for ingress');
  });

  it('namespaceLabelsOf adds the name label', () => {
    expect(namespaceLabelsOf('shop', { team: 'a' })).toEqual({
      team: 'a',
      'kubernetes.io/metadata.name': 'shop',
    });
  });
});

describe('ports', () => {
  const ps = policies(
    np(
      'ports',
      `  podSelector: {}
  ingress:
  - ports:
    - {port: http}
    - {port: 9000, endPort: 9200}
    - {port: 53, protocol: UDP}
    - {port: proxy}
    - {port: setup}
`,
    ),
  );
  const allowed = (target: PolicyPod, port: number, protocol = 'TCP') =>
    isIngressAllowed(ps, target, pod('prod', {}), port, protocol).allowed;

  it.each<[string, number, string, boolean]>([
    ['named port resolves on the target pod', 8080, 'TCP', true],
    ['the name is not the number', 80, 'TCP', false],
    ['endPort range, low end', 9000, 'TCP', true],
    ['endPort range includes 9100', 9100, 'TCP', true],
    ['endPort range, high end', 9200, 'TCP', true],
    ['beyond endPort', 9201, 'TCP', false],
    ['protocol must match', 53, 'TCP', false],
    ['UDP port', 53, 'UDP', true],
    ['lower-case protocol from the caller', 53, 'udp', true],
    ['sidecar ports are named ports too', 15001, 'TCP', true],
    ['plain init container ports are not', 7000, 'TCP', false],
  ])('%s: %i/%s → %s', (_, port, protocol, expected) => {
    expect(allowed(web, port, protocol)).toBe(expected);
  });

  it('a named port is unresolvable without the target pod spec', () => {
    const v = isIngressAllowed(ps, { namespace: 'prod', labels: {} }, pod('prod', {}), 8080, 'TCP');
    expect(v.allowed).toBe(false);
    const named = v.policies[0]?.rules[0]?.ports[0];
    expect(named).toMatchObject({ matched: false, resolved: null });
    expect(named?.field.toString()).toBe('spec.ingress[0].ports[0]');
  });

  it('a named port needs the same protocol on the container', () => {
    const udpOnly: PolicyPod = {
      namespace: 'prod',
      labels: {},
      podSpec: {
        containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080, protocol: 'UDP' }] }],
      },
    };
    expect(allowed(udpOnly, 8080)).toBe(false);
  });

  it('a rule needs both a peer and a port match', () => {
    const both = policies(
      np(
        'both',
        '  podSelector: {}\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {a: b}}\n    ports:\n    - {port: 80}\n',
      ),
    );
    expect(isIngressAllowed(both, web, pod('prod', { a: 'b' }), 80, 'TCP').allowed).toBe(true);
    expect(isIngressAllowed(both, web, pod('prod', { a: 'b' }), 81, 'TCP').allowed).toBe(false);
    expect(isIngressAllowed(both, web, pod('prod', { a: 'c' }), 80, 'TCP').allowed).toBe(false);
  });
});

describe('ipBlock', () => {
  const ps = policies(
    np(
      'cidr',
      `  podSelector: {}
  ingress:
  - from:
    - ipBlock:
        cidr: 172.17.0.0/16
        except: [172.17.1.0/24]
    - ipBlock:
        cidr: 2001:db8::/32
`,
    ),
  );
  it.each<[string, PolicyPeer, boolean]>([
    ['inside the CIDR', external('172.17.2.3'), true],
    ['inside except', external('172.17.1.9'), false],
    ['outside', external('10.1.2.3'), false],
    ['IPv6 inside', external('2001:db8:1::5'), true],
    ['IPv6 outside', external('2001:db9::1'), false],
    ['unknown IP', external(), false],
    ['a pod with an IP in the block', pod('other', {}, {}, '172.17.5.5'), true],
  ])('%s', (_, peer, expected) => {
    expect(isIngressAllowed(ps, web, peer, 443, 'TCP').allowed).toBe(expected);
  });

  it.each([
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['192.168.1.7/32', '192.168.1.7', true],
    ['::/0', '::1', true],
    ['fe80::/10', 'fe80::1%eth0', true],
    ['::ffff:0:0/96', '::ffff:10.0.0.1', true],
    ['10.0.0.0/8', '::ffff:10.0.0.1', false],
    ['10.0.0.0/33', '10.0.0.1', false],
    ['bogus', '10.0.0.1', false],
  ])('cidrContains(%s, %s) = %s', (cidr, ip, expected) => {
    expect(cidrContains(cidr, ip)).toBe(expected);
  });
});

describe('egress', () => {
  const ps = policies(
    np(
      'egress',
      `  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports:
    - {port: 53, protocol: UDP}
    - {port: dns-tcp}
  - to:
    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}
`,
    ),
  );
  const dnsSpec: PodSpec = {
    containers: [{ name: 'dns', ports: [{ name: 'dns-tcp', containerPort: 53, protocol: 'TCP' }] }],
  };
  const dns = pod('kube-system', { 'k8s-app': 'kube-dns' }, {}, '10.244.0.10', dnsSpec);

  it.each<[string, PolicyPeer, number, string, boolean]>([
    ['DNS over UDP', dns, 53, 'UDP', true],
    ['DNS over TCP via the destination named port', dns, 53, 'TCP', true],
    ['another port to DNS', dns, 80, 'TCP', false],
    ['internet', external('93.184.216.34'), 443, 'TCP', true],
    ['cluster-internal by IP', external('10.3.4.5'), 443, 'TCP', false],
    ['a pod in another namespace', pod('shop', { app: 'db' }, {}, '10.244.0.9'), 5432, 'TCP', false],
  ])('%s', (_, peer, port, protocol, expected) => {
    expect(isEgressAllowed(ps, web, peer, port, protocol).allowed).toBe(expected);
  });

  it('evaluates the source pod\u2019s policies, not the destination\u2019s', () => {
    const other: PolicyPod = { namespace: 'prod', labels: { app: 'other' } };
    expect(isEgressAllowed(ps, other, external('10.3.4.5'), 443, 'TCP')).toMatchObject({
      allowed: true,
      isolated: false,
    });
    const v = isEgressAllowed(ps, web, external('10.3.4.5'), 443, 'TCP');
    expect(v.direction).toBe('Egress');
    expect(v.policies[0]?.rules.map((r) => r.field.toString())).toEqual(['spec.egress[0]', 'spec.egress[1]']);
    expect(v.policies[0]?.rules[1]?.peers[0]?.detail).toBe(
      '10.3.4.5 is in 0.0.0.0/0 but excepted by 10.0.0.0/8',
    );
  });
});

describe('ingressVerdictKey', () => {
  const set = policies(
    [
      np('web', '  podSelector: {matchLabels: {app: web}}\n  ingress: [{ports: [{port: http}]}]'),
      np(
        'tiered',
        '  podSelector: {matchExpressions: [{key: tier, operator: Exists}]}\n  ingress: [{ports: [{port: 9100}]}]',
      ),
      np('other', '  podSelector: {matchLabels: {app: db}}\n  ingress: []', 'staging'),
    ].join('\n'),
  );
  const specWith = (port: number, name = 'http'): PodSpec => ({
    containers: [{ name: 'app', ports: [{ name, containerPort: port, protocol: 'TCP' }] }],
  });
  const podArb = fc.record({
    namespace: fc.constantFrom('prod', 'staging'),
    labels: fc.dictionary(
      fc.constantFrom('app', 'tier', 'pod-name', 'hash'),
      fc.constantFrom('web', 'db', 'a', 'b'),
    ),
    podSpec: fc.constantFrom(specWith(8080), specWith(8081), specWith(8080, 'web')),
  });

  it('pods with equal keys get equal verdicts on every port (the cache is exact)', () => {
    fc.assert(
      fc.property(podArb, podArb, fc.constantFrom(8080, 8081, 9100, 80), (a, b, port) => {
        if (ingressVerdictKey(set, a) !== ingressVerdictKey(set, b)) return;
        const strip = (p: PolicyPod) => JSON.stringify(isIngressAllowed(set, p, external(), port, 'TCP'));
        expect(strip(a)).toBe(strip(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('labels no podSelector reads do not split the key; selected labels and named ports do', () => {
    const base = { namespace: 'prod', labels: { app: 'web', 'pod-name': 'web-0' }, podSpec: specWith(8080) };
    const key = ingressVerdictKey(set, base);
    expect(ingressVerdictKey(set, { ...base, labels: { app: 'web', 'pod-name': 'web-1' } })).toBe(key);
    expect(ingressVerdictKey(set, { ...base, labels: { app: 'db', 'pod-name': 'web-0' } })).not.toBe(key);
    expect(ingressVerdictKey(set, { ...base, labels: { ...base.labels, tier: '' } })).not.toBe(key);
    expect(ingressVerdictKey(set, { ...base, podSpec: specWith(8081) })).not.toBe(key);
    expect(ingressVerdictKey(set, { ...base, namespace: 'staging' })).not.toBe(key);
  });
});

describe('ingressIsolation', () => {
  const set = policies(
    [
      np('web', '  podSelector: {matchLabels: {app: web}}\n  ingress: [{ports: [{port: http}]}]'),
      np(
        'web-tier',
        '  podSelector: {matchLabels: {tier: front, app: web}}\n  ingress: [{from: [{podSelector: {}}]}]',
      ),
      np(
        'tiered',
        '  podSelector: {matchExpressions: [{key: tier, operator: Exists}]}\n  ingress: [{ports: [{port: 9100, endPort: 9200}]}]',
      ),
      np('all', '  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{}]'),
      np('deny', '  podSelector: {}\n  policyTypes: [Ingress]'),
      np('udp', '  podSelector: {matchLabels: {app: db}}\n  ingress: [{ports: [{port: 53, protocol: UDP}]}]'),
      np('other', '  podSelector: {matchLabels: {app: db}}\n  ingress: []', 'staging'),
    ].join('\n'),
  );
  const podArb = fc.record({
    namespace: fc.constantFrom('prod', 'staging', 'empty'),
    labels: fc.dictionary(fc.constantFrom('app', 'tier', 'hash'), fc.constantFrom('web', 'db', 'front')),
    podSpec: fc.constant(webSpec),
  });

  it('is exactly the isolating evaluations of the full verdict (the rest are never evaluated)', () => {
    fc.assert(
      fc.property(
        podArb,
        fc.constantFrom(53, 8080, 9100, 9150, 15001, 80),
        fc.constantFrom('TCP', 'UDP', 'udp'),
        (p, port, protocol) => {
          const full = isIngressAllowed(set, p, external(), port, protocol);
          const reduced = ingressIsolation(set, p, external(), port, protocol);
          expect(reduced.isolated).toBe(full.isolated);
          expect(reduced.isolating).toEqual(full.policies.filter((e) => e.isolates));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('keeps input order among the isolating policies', () => {
    const v = ingressIsolation(
      set,
      { namespace: 'prod', labels: { app: 'web', tier: 'front' } },
      external(),
      8080,
      'TCP',
    );
    expect(v.isolating.map((e) => e.policy.name)).toEqual(['web', 'web-tier', 'tiered', 'deny']);
  });
});
