import { describe, expect, it } from 'vitest';
import { isKind, loadText, type Manifest } from '../src/model/load.js';
import {
  type BackendResolution,
  defaultIngressClassName,
  effectiveIngressClass,
  type IngressBackendEnv,
  type IngressRoutesOptions,
  type IngressRouteTable,
  ingressPathMatches,
  ingressResponseStatus,
  ingressRoutes,
  matchIngressRequest,
  normalizeRequestHost,
  normalizeRequestPath,
  resolveIngressBackend,
  wildcardHostMatches,
} from '../src/semantics/ingress.js';

function load(text: string): Manifest[] {
  return loadText({ name: 'test.yaml', text }).manifests;
}
const ingressesOf = (ms: Manifest[]) => ms.filter((m): m is Manifest<'Ingress'> => isKind(m, 'Ingress'));

/** One Ingress document: `paths` are `host|path|pathType|service|port` (host "-" = none). */
function ingress(
  name: string,
  paths: string[],
  extra: { defaultBackend?: string; meta?: string; spec?: string } = {},
) {
  const byHost = new Map<string, string[]>();
  for (const p of paths) {
    const [host = '-', path = '/', pathType = 'Prefix', service = 'svc', port = '80'] = p.split('|');
    const portYaml = /^\d+$/.test(port) ? `number: ${port}` : `name: ${port}`;
    const entry = `      - path: ${path}\n        pathType: ${pathType}\n        backend:\n          service:\n            name: ${service}\n            port:\n              ${portYaml}`;
    byHost.set(host, [...(byHost.get(host) ?? []), entry]);
  }
  const rules = [...byHost.entries()]
    .map(
      ([host, entries]) =>
        `  - ${host === '-' ? '' : `host: '${host}'\n    `}http:\n      paths:\n${entries.join('\n')}`,
    )
    .join('\n');
  const db = extra.defaultBackend
    ? `  defaultBackend:\n    service:\n      name: ${extra.defaultBackend}\n      port:\n        number: 80\n`
    : '';
  return `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
${extra.meta ?? ''}spec:
${extra.spec ?? ''}${db}${rules ? `  rules:\n${rules}\n` : ''}`;
}

function table(text: string, options?: IngressRoutesOptions): IngressRouteTable {
  return ingressRoutes(ingressesOf(load(text)), options);
}

/** The Service the request lands on (rule or Ingress default backend), or 'controller' for the 404 default. */
function target(t: IngressRouteTable, host: string, path: string): string {
  const m = matchIngressRequest(t, { host, path });
  return m.backend?.service?.name ?? 'controller';
}

describe('host matching', () => {
  const t = table(
    ingress('hosts', ['*.bar.com|/|Prefix|wild', 'foo.bar.com|/|Prefix|exact', '-|/|Prefix|anyhost']),
  );
  it.each([
    ['foo.bar.com', 'exact', 'exact host beats wildcard'],
    ['x.bar.com', 'wild', 'wildcard covers one label'],
    ['a.b.bar.com', 'anyhost', 'wildcard does not cover two labels'],
    ['bar.com', 'anyhost', 'wildcard needs a label'],
    ['foo.bar.com:8080', 'exact', 'port is stripped'],
    ['FOO.Bar.COM', 'exact', 'host is case-insensitive'],
    ['foo.bar.com.', 'exact', 'trailing dot is dropped'],
    ['10.0.0.1', 'anyhost', 'bare IP reaches host-less rules'],
    ['', 'anyhost', 'no host reaches host-less rules'],
    ['[::1]:80', 'anyhost', 'IPv6 literal with port'],
  ])('%s → %s (%s)', (host, expected) => {
    expect(target(t, host, '/')).toBe(expected);
  });

  it('reports how the host was selected', () => {
    expect(matchIngressRequest(t, { host: 'x.bar.com', path: '/' }).request).toMatchObject({
      selectedHost: '*.bar.com',
      hostMatch: 'wildcard',
    });
    expect(matchIngressRequest(t, { host: 'nope', path: '/' }).request).toMatchObject({
      selectedHost: null,
      hostMatch: 'none',
    });
  });

  it('an unmatched path on a claimed host does not fall back to wildcard or host-less rules', () => {
    const t2 = table(
      ingress('h', ['foo.bar.com|/bar|Prefix|bar', '*.bar.com|/foo|Prefix|wild', '-|/foo|Prefix|anyhost']),
    );
    const m = matchIngressRequest(t2, { host: 'foo.bar.com', path: '/foo' });
    expect(m.via).toBe('controllerDefaultBackend');
    expect(m.backend).toBeNull();
    const reasons = m.considered.map((c) => [c.route?.backend.service?.name, c.reason]);
    expect(reasons).toEqual([
      ['bar', 'path-mismatch'],
      ['wild', 'host-shadowed'],
      ['anyhost', 'host-shadowed'],
    ]);
  });

  it('a host rule without http still claims the host', () => {
    const text = `${ingress('paths', ['-|/|Prefix|anyhost'])}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: claim}
spec:
  defaultBackend: {service: {name: claimed, port: {number: 80}}}
  rules:
  - host: only.example
`;
    const t2 = table(text);
    expect(target(t2, 'only.example', '/x')).toBe('claimed');
    expect(target(t2, 'other.example', '/x')).toBe('anyhost');
  });

  it.each([
    ['*.foo.com', 'bar.foo.com', true],
    ['*.foo.com', 'baz.bar.foo.com', false],
    ['*.foo.com', 'foo.com', false],
    ['*.foo.com', '.foo.com', false],
    ['foo.com', 'foo.com', false],
  ])('wildcardHostMatches(%s, %s) = %s', (pattern, host, expected) => {
    expect(wildcardHostMatches(pattern, host)).toBe(expected);
  });

  it.each([
    ['Foo.COM:443', 'foo.com'],
    ['[2001:db8::1]:8080', '2001:db8::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['', ''],
  ])('normalizeRequestHost(%s) = %s', (raw, expected) => {
    expect(normalizeRequestHost(raw)).toBe(expected);
  });
});

describe('path matching', () => {
  it.each([
    ['Exact', '/foo', '/foo', true],
    ['Exact', '/foo', '/foo/', false],
    ['Exact', '/foo/', '/foo', false],
    ['Exact', '/foo', '/FOO', false],
    ['Prefix', '/', '/anything/at/all', true],
    ['Prefix', '/foo', '/foo', true],
    ['Prefix', '/foo', '/foo/', true],
    ['Prefix', '/foo/', '/foo', true],
    ['Prefix', '/foo', '/foo/bar', true],
    ['Prefix', '/aaa', '/aaaccc', false],
    ['Prefix', '/aaa/bbb', '/aaa/bbbxyz', false],
    ['Prefix', '/aaa/bb', '/aaa/bbb', false],
    ['Prefix', '/foo', '/FOO', false],
    ['ImplementationSpecific', '/foo', '/foo/bar', true],
    ['ImplementationSpecific', '/foo', '/foobar', false],
  ] as const)('%s %s vs %s → %s', (pathType, rule, request, expected) => {
    expect(ingressPathMatches(pathType, rule, request)).toBe(expected);
  });

  it.each([
    ['/foo?x=1', '/foo'],
    ['/foo#frag', '/foo'],
    ['', '/'],
    ['/a//b', '/a/b'],
    ['/a/./b/../c/', '/a/c/'],
    ['/%66oo', '/foo'],
    ['/bad%zz', '/bad%zz'],
  ])('normalizeRequestPath(%s) = %s', (raw, expected) => {
    expect(normalizeRequestPath(raw)).toBe(expected);
  });

  const t = table(
    ingress('paths', [
      'p.example|/foo|Exact|foo-exact',
      'p.example|/foo|Prefix|foo-prefix',
      'p.example|/foo/bar|Prefix|foobar',
      'p.example|/aaa|Prefix|aaa',
      'e.example|/foo|Exact|e-foo',
      'e.example|/foo/|Exact|e-foo-slash',
    ]),
  );
  it.each([
    ['p.example', '/foo', 'foo-exact', 'Exact beats Prefix at equal length'],
    ['p.example', '/foo/', 'foo-prefix', 'Exact /foo does not match /foo/'],
    ['p.example', '/foo/bar/baz', 'foobar', 'longest path wins'],
    ['p.example', '/foo?q=/foo/bar', 'foo-exact', 'query string is ignored'],
    ['p.example', '/aaaccc', 'controller', 'Prefix /aaa does not match /aaaccc'],
    ['p.example', '/aaa/ccc', 'aaa', 'Prefix /aaa matches /aaa/ccc'],
    ['e.example', '/foo', 'e-foo', 'Exact /foo'],
    ['e.example', '/foo/', 'e-foo-slash', 'Exact /foo/'],
    ['e.example', '/foo/x', 'controller', 'Exact never matches a longer path'],
  ])('%s%s → %s (%s)', (host, path, expected) => {
    expect(target(t, host, path)).toBe(expected);
  });

  it('explains why the other candidates lost', () => {
    const m = matchIngressRequest(t, { host: 'p.example', path: '/foo' });
    const byService = Object.fromEntries(
      m.considered.map((c) => [c.route?.backend.service?.name, c.reason ?? 'selected']),
    );
    expect(byService).toMatchObject({
      'foo-exact': 'selected',
      'foo-prefix': 'exact-preferred',
      foobar: 'path-mismatch',
      aaa: 'path-mismatch',
      'e-foo': 'host-mismatch',
    });
    const m2 = matchIngressRequest(t, { host: 'p.example', path: '/foo/bar' });
    expect(m2.considered.find((c) => c.route?.backend.service?.name === 'foo-prefix')?.reason).toBe(
      'shorter-path',
    );
    expect(m2.route?.field.toString()).toBe('spec.rules[0].http.paths[2]');
  });

  it('flags the ingress-nginx string-prefix reading of ImplementationSpecific', () => {
    const t2 = table(ingress('is', ['-|/foo|ImplementationSpecific|foo']));
    const m = matchIngressRequest(t2, { host: 'x', path: '/foobar' });
    expect(m.via).toBe('controllerDefaultBackend');
    expect(m.quirks.map((q) => q.kind)).toEqual(['ingress-nginx-implementation-specific-prefix']);
    expect(target(t2, 'x', '/foo/bar')).toBe('foo');
  });
});

describe('several Ingresses', () => {
  const text = [
    ingress('a', ['shop.example|/api|Prefix|a-api']),
    ingress('b', ['shop.example|/web|Prefix|b-web', 'shop.example|/api|Prefix|b-api'], {
      defaultBackend: 'b-default',
    }),
    ingress('c', ['other.example|/|Prefix|c-root'], { defaultBackend: 'c-default' }),
  ].join('');
  const t = table(text);

  it('merges rules of the same host', () => {
    expect(target(t, 'shop.example', '/web/x')).toBe('b-web');
  });

  it('on the same host, path and pathType the older Ingress wins', () => {
    const m = matchIngressRequest(t, { host: 'shop.example', path: '/api' });
    expect(m.backend?.service?.name).toBe('a-api');
    expect(m.ingress?.name).toBe('a');
    expect(m.considered.find((c) => c.route?.backend.service?.name === 'b-api')?.reason).toBe(
      'earlier-route',
    );
  });

  it('an unmatched path of a host uses the defaultBackend of an Ingress with rules for that host', () => {
    const m = matchIngressRequest(t, { host: 'shop.example', path: '/nothing' });
    expect(m.via).toBe('ingressDefaultBackend');
    expect(m.backend?.service?.name).toBe('b-default');
    expect(m.defaultBackend?.field.toString()).toBe('spec.defaultBackend');
    // ingress-nginx uses the default backend of the Ingress that first declared the host (a: none).
    expect(m.quirks.map((q) => q.kind)).toEqual(['ingress-nginx-default-backend']);
    const c = m.considered.find((x) => x.defaultBackend?.ingress.name === 'c');
    expect(c?.reason).toBe('other-host');
  });

  it('a request for no known host takes the oldest defaultBackend', () => {
    const m = matchIngressRequest(t, { host: 'unknown.example', path: '/' });
    expect(m.backend?.service?.name).toBe('b-default');
    expect(m.considered.find((x) => x.defaultBackend?.ingress.name === 'c')?.reason).toBe(
      'earlier-default-backend',
    );
  });

  it('a matching rule beats every defaultBackend', () => {
    const m = matchIngressRequest(t, { host: 'other.example', path: '/x' });
    expect(m.via).toBe('rule');
    expect(m.considered.filter((x) => x.kind === 'defaultBackend').map((x) => x.reason)).toEqual([
      'rule-matched',
      'rule-matched',
    ]);
  });

  it('a rule-less Ingress is the catch-all; no quirk then', () => {
    const t2 = table(ingress('catch', [], { defaultBackend: 'catch-all' }));
    const m = matchIngressRequest(t2, { host: 'any', path: '/x' });
    expect(m.backend?.service?.name).toBe('catch-all');
    expect(m.quirks).toEqual([]);
  });
});

describe('IngressClass filtering', () => {
  const text = [
    ingress('field-nginx', ['-|/a|Prefix|a'], { spec: '  ingressClassName: nginx\n' }),
    ingress('field-traefik', ['-|/b|Prefix|b'], { spec: '  ingressClassName: traefik\n' }),
    ingress('annotation-nginx', ['-|/c|Prefix|c'], {
      meta: '  annotations:\n    kubernetes.io/ingress.class: nginx\n',
    }),
    ingress('annotation-other', ['-|/d|Prefix|d'], {
      meta: '  annotations:\n    kubernetes.io/ingress.class: other\n',
    }),
    ingress('classless', ['-|/e|Prefix|e']),
  ].join('');
  const ings = ingressesOf(load(text));
  const classes = (defaults: Record<string, string>) =>
    load(
      Object.entries(defaults)
        .map(
          ([name, ts]) =>
            `---\napiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: ${name}\n  creationTimestamp: '${ts}'\n  annotations:\n    ingressclass.kubernetes.io/is-default-class: "true"\n`,
        )
        .join(''),
    ).filter((m): m is Manifest<'IngressClass'> => isKind(m, 'IngressClass'));
  const served = (options: IngressRoutesOptions) => ingressRoutes(ings, options).ingresses.map((i) => i.name);

  it.each<[string, IngressRoutesOptions, string[]]>([
    [
      'no controller class: everything',
      {},
      ['field-nginx', 'field-traefik', 'annotation-nginx', 'annotation-other', 'classless'],
    ],
    [
      'nginx, no class information',
      { ingressClass: 'nginx' },
      ['field-nginx', 'annotation-nginx', 'classless'],
    ],
    [
      'nginx is the default class',
      { ingressClass: 'nginx', defaultClassName: 'nginx' },
      ['field-nginx', 'annotation-nginx', 'classless'],
    ],
    [
      'traefik is the default class',
      { ingressClass: 'nginx', defaultClassName: 'traefik' },
      ['field-nginx', 'annotation-nginx'],
    ],
    [
      'traefik serves the default-class Ingress',
      { ingressClass: 'traefik', defaultClassName: 'traefik' },
      ['field-traefik', 'classless'],
    ],
    [
      'classes known, none default',
      { ingressClass: 'nginx', classes: [] },
      ['field-nginx', 'annotation-nginx'],
    ],
    [
      'explicit withoutClass',
      { ingressClass: 'nginx', defaultClassName: null, withoutClass: true },
      ['field-nginx', 'annotation-nginx', 'classless'],
    ],
    [
      'default from IngressClass objects',
      { ingressClass: 'nginx', classes: classes({ nginx: '2024-01-01T00:00:00Z' }) },
      ['field-nginx', 'annotation-nginx', 'classless'],
    ],
  ])('%s', (_, options, expected) => {
    expect(served(options)).toEqual(expected);
  });

  it('records why an Ingress is excluded', () => {
    const t = ingressRoutes(ings, { ingressClass: 'nginx', defaultClassName: null });
    expect(t.excluded.map((e) => [e.ingress.name, e.reason, e.classSource])).toEqual([
      ['field-traefik', 'ingress-class', 'field'],
      ['annotation-other', 'ingress-class', 'annotation'],
      ['classless', 'no-class', 'none'],
    ]);
    // Requests then behave as if the excluded Ingresses did not exist.
    expect(target(t, 'x', '/b')).toBe('controller');
    expect(target(t, 'x', '/c')).toBe('c');
  });

  it('picks the newest default IngressClass, then the name', () => {
    expect(
      defaultIngressClassName(classes({ old: '2020-01-01T00:00:00Z', new: '2024-01-01T00:00:00Z' })),
    ).toBe('new');
    expect(defaultIngressClassName(classes({ b: '2024-01-01T00:00:00Z', a: '2024-01-01T00:00:00Z' }))).toBe(
      'a',
    );
    expect(defaultIngressClassName([])).toBeNull();
  });

  it('the field wins over the annotation, which wins over the default', () => {
    const [fieldNginx, , annotationNginx, , classless] = ings as [
      Manifest<'Ingress'>,
      Manifest<'Ingress'>,
      Manifest<'Ingress'>,
      Manifest<'Ingress'>,
      Manifest<'Ingress'>,
    ];
    expect(effectiveIngressClass(fieldNginx, 'x')).toEqual({ className: 'nginx', source: 'field' });
    expect(effectiveIngressClass(annotationNginx, 'x')).toEqual({ className: 'nginx', source: 'annotation' });
    expect(effectiveIngressClass(classless, 'x')).toEqual({ className: 'x', source: 'default' });
    expect(effectiveIngressClass(classless, null)).toEqual({ className: null, source: 'none' });
  });
});

describe('backend resolution', () => {
  const manifests = load(`
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports:
  - {name: web, port: 80, targetPort: http}
  - {name: admin, port: 9000, targetPort: 9090}
---
apiVersion: v1
kind: Service
metadata: {name: dns, namespace: shop}
spec:
  selector: {app: dns}
  ports:
  - {name: dns-udp, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, protocol: TCP}
---
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: shop}
spec:
  selector: {app: empty}
  ports:
  - {port: 80}
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: shop}
spec:
  type: ExternalName
  externalName: example.com
  ports:
  - {port: 443}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: other}
spec:
  selector: {app: api}
  ports:
  - {port: 8080}
`);
  const services = manifests.filter((m): m is Manifest<'Service'> => isKind(m, 'Service'));
  const env: IngressBackendEnv = {
    service: (ns, name) => services.find((s) => s.namespace === ns && s.name === name),
    readyEndpoints: (svc) => (svc.name === 'empty' || svc.name === 'ext' ? 0 : 2),
  };
  const resolve = (backend: Parameters<typeof resolveIngressBackend>[1], ns = 'shop') =>
    resolveIngressBackend(ns, backend, env);
  const summary = (r: BackendResolution) =>
    r.ok
      ? { ok: true, index: r.servicePortIndex, quirks: r.quirks.map((q) => q.kind) }
      : { ok: false, reason: r.reason, quirks: r.quirks.map((q) => q.kind) };

  it.each<[string, Parameters<typeof resolveIngressBackend>[1], ReturnType<typeof summary>]>([
    ['named port', { service: { name: 'api', port: { name: 'web' } } }, { ok: true, index: 0, quirks: [] }],
    ['port number', { service: { name: 'api', port: { number: 9000 } } }, { ok: true, index: 1, quirks: [] }],
    [
      'a named targetPort is not a Service port name',
      { service: { name: 'api', port: { name: 'http' } } },
      { ok: false, reason: 'port-not-found', quirks: ['ingress-nginx-targetport-match'] },
    ],
    [
      'a numeric targetPort is not a Service port',
      { service: { name: 'api', port: { number: 9090 } } },
      { ok: false, reason: 'port-not-found', quirks: ['ingress-nginx-targetport-match'] },
    ],
    [
      'unknown port',
      { service: { name: 'api', port: { number: 1234 } } },
      { ok: false, reason: 'port-not-found', quirks: [] },
    ],
    [
      'TCP port preferred among equal numbers',
      { service: { name: 'dns', port: { number: 53 } } },
      { ok: true, index: 1, quirks: ['ingress-nginx-different-port', 'ingress-nginx-non-tcp-port'] },
    ],
    [
      'UDP port by name',
      { service: { name: 'dns', port: { name: 'dns-udp' } } },
      { ok: true, index: 0, quirks: ['ingress-nginx-non-tcp-port'] },
    ],
    [
      'missing Service',
      { service: { name: 'nope', port: { number: 80 } } },
      { ok: false, reason: 'service-not-found', quirks: [] },
    ],
    [
      'no ready endpoints',
      { service: { name: 'empty', port: { number: 80 } } },
      { ok: false, reason: 'no-ready-endpoints', quirks: [] },
    ],
    [
      'ExternalName needs no endpoints',
      { service: { name: 'ext', port: { number: 443 } } },
      { ok: true, index: 0, quirks: [] },
    ],
    [
      'resource backend',
      { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'static' } },
      { ok: false, reason: 'resource-backend', quirks: [] },
    ],
    ['empty backend', {}, { ok: false, reason: 'no-backend', quirks: [] }],
    ['no port', { service: { name: 'api' } }, { ok: false, reason: 'port-not-found', quirks: [] }],
  ])('%s', (_, backend, expected) => {
    expect(summary(resolve(backend))).toEqual(expected);
  });

  it("only looks in the Ingress's namespace", () => {
    expect(summary(resolve({ service: { name: 'api', port: { number: 8080 } } }))).toMatchObject({
      ok: false,
      reason: 'port-not-found',
    });
    expect(summary(resolve({ service: { name: 'api', port: { number: 8080 } } }, 'other'))).toMatchObject({
      ok: true,
    });
    expect(summary(resolve({ service: { name: 'empty', port: { number: 80 } } }, 'other'))).toMatchObject({
      ok: false,
      reason: 'service-not-found',
    });
  });

  it('explains a missing port with the ports the Service has', () => {
    const r = resolve({ service: { name: 'api', port: { number: 9090 } } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.detail).toContain('spec.ports[1] (admin: 9000/TCP -> 9090)');
  });

  it('maps match and resolution to a status', () => {
    const t = table(
      ingress('s', ['-|/ok|Prefix|api|web', '-|/bad|Prefix|api|http', '-|/res|Prefix|api|web']),
    );
    const status = (path: string) => {
      const m = matchIngressRequest(t, { host: 'x', path });
      const r = m.backend && m.ingress ? resolveIngressBackend('shop', m.backend, env) : null;
      return ingressResponseStatus(m, r);
    };
    expect(status('/ok')).toBe(200);
    expect(status('/bad')).toBe(503);
    expect(status('/none')).toBe(404);
    const resource = resolve({ resource: { kind: 'Bucket', name: 'b' } });
    const m = matchIngressRequest(t, { host: 'x', path: '/res' });
    expect(ingressResponseStatus(m, resource)).toBe(404);
  });
});

describe('routes table', () => {
  it('keeps field paths, skips paths the API would reject', () => {
    const t = table(`
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: x, namespace: web}
spec:
  rules:
  - host: A.Example
    http:
      paths:
      - {path: /ok, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}
      - {path: /nopt, backend: {service: {name: s, port: {number: 80}}}}
      - {path: relative, pathType: Exact, backend: {service: {name: s, port: {number: 80}}}}
      - {pathType: ImplementationSpecific, backend: {service: {name: s, port: {number: 80}}}}
`);
    expect(t.routes.map((r) => [r.host, r.path, r.pathType, r.field.toString()])).toEqual([
      ['a.example', '/ok', 'Prefix', 'spec.rules[0].http.paths[0]'],
      ['a.example', '/', 'ImplementationSpecific', 'spec.rules[0].http.paths[3]'],
    ]);
    expect(t.invalid.map((i) => [i.field.toString(), i.detail])).toEqual([
      ['spec.rules[0].http.paths[1].pathType', 'pathType must be specified'],
      ['spec.rules[0].http.paths[2].path', 'must be an absolute path'],
    ]);
    expect(t.hosts.map((h) => h.field.toString())).toEqual(['spec.rules[0].host']);
  });

  it('locates a v1beta1 default backend at spec.backend', () => {
    const t = table(`
apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata: {name: legacy}
spec:
  backend: {serviceName: fallback, servicePort: 80}
  rules:
  - http:
      paths:
      - path: /app
        backend: {serviceName: app, servicePort: http}
`);
    expect(t.defaultBackends[0]?.field.toString()).toBe('spec.backend');
    expect(t.routes[0]).toMatchObject({
      pathType: 'ImplementationSpecific',
      backend: { service: { name: 'app', port: { name: 'http' } } },
    });
    expect(target(t, 'x', '/app/1')).toBe('app');
    expect(target(t, 'x', '/other')).toBe('fallback');
  });
});
