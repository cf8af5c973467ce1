import { describe, expect, it } from 'vitest';
import { isKind, loadText, type Manifest } from '../src/model/load.js';
import {
  computeEndpointSlices,
  ENDPOINTSLICE_CONTROLLER,
  ENDPOINTSLICE_MIRRORING_CONTROLLER,
  legacyEndpoints,
  mirrorEndpoints,
  repackSubsets,
} from '../src/semantics/endpoints.js';
import { resolveGraph } from '../src/semantics/graph.js';
import { PodIndex } from '../src/semantics/selectors.js';
import { podsFromManifests } from '../src/semantics/workloads.js';

function setup(text: string, nodes?: string[]) {
  const r = loadText({ name: 'e.yaml', text });
  expect(r.findings).toEqual([]);
  const index = new PodIndex(podsFromManifests(r.manifests, nodes ? { nodes } : {}));
  const service = (name: string): Manifest<'Service'> => {
    const m = r.manifests.find((x) => isKind(x, 'Service') && x.name === name);
    if (!m || !isKind(m, 'Service')) throw new Error(`no Service ${name}`);
    return m;
  };
  const selected = (svc: Manifest<'Service'>) => index.select(svc.namespace, svc.object.spec.selector);
  return { manifests: r.manifests, service, selected };
}

const pod = (name: string, ip: string, ports: string, extra = '', labels = 'app: web') => `---
apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {${labels}}${extra}}
spec:
  nodeName: node-a
  containers: [{name: app, image: nginx, ports: [${ports}]}]
status:
  phase: Running
  podIP: ${ip}
  podIPs: [{ip: ${ip}}]
  conditions: [{type: Ready, status: 'True'}]
`;

/** Service web with two named targetPorts, `http` and `admin`. */
const twoPorts = `---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}, {name: admin, port: 9000, targetPort: admin}]
`;

describe('computeEndpointSlices: the objects', () => {
  const { service, selected } = setup(`---
apiVersion: v1
kind: Service
metadata: {name: web, labels: {team: shop, kubernetes.io/service-name: spoof}, uid: svc-uid}
spec:
  selector: {app: web}
  clusterIP: 10.96.0.10
  ports: [{name: http, port: 80, targetPort: http, appProtocol: http}]
${pod('a', '10.0.0.1', '{name: http, containerPort: 8080}')}`);
  const svc = service('web');
  const r = computeEndpointSlices(svc, selected(svc));

  it('is a real discovery.k8s.io/v1 EndpointSlice', () => {
    expect(r.controllerManaged).toBe(true);
    expect(r.slices).toHaveLength(1);
    const s = r.slices[0]!;
    expect(s.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(s).toEqual({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: s.metadata.name,
        generateName: 'web-',
        namespace: 'default',
        labels: {
          team: 'shop',
          'kubernetes.io/service-name': 'web',
          'endpointslice.kubernetes.io/managed-by': ENDPOINTSLICE_CONTROLLER,
        },
        ownerReferences: [
          { apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true },
        ],
      },
      addressType: 'IPv4',
      endpoints: [
        {
          addresses: ['10.0.0.1'],
          conditions: { ready: true, serving: true, terminating: false },
          nodeName: 'node-a',
          targetRef: { kind: 'Pod', namespace: 'default', name: 'a' },
        },
      ],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'http' }],
    });
  });

  it('is deterministic', () => {
    expect(computeEndpointSlices(svc, selected(svc))).toEqual(r);
  });
});

describe('computeEndpointSlices: rules', () => {
  it('headless: the headless label, and hostname when subdomain names the Service', () => {
    const { service, selected } = setup(`---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: postgres}]}
`);
    const svc = service('db');
    const r = computeEndpointSlices(svc, selected(svc));
    expect(r.slices).toHaveLength(1);
    const s = r.slices[0]!;
    expect(s.metadata.labels?.['service.kubernetes.io/headless']).toBe('');
    expect(s.ports).toEqual([]);
    expect(s.endpoints.map((e) => [e.targetRef?.name, e.hostname])).toEqual([
      ['db-0', 'db-0'],
      ['db-1', 'db-1'],
    ]);
  });

  it('reports the ports that did not resolve and the pods left out', () => {
    const { service, selected } =
      setup(`${twoPorts}${pod('a', '10.0.0.1', '{name: http, containerPort: 8080}')}
---
apiVersion: v1
kind: Pod
metadata: {name: done, labels: {app: web}}
spec: {containers: [{name: app, image: nginx}]}
status: {phase: Succeeded, podIP: 10.0.0.9}
`);
    const svc = service('web');
    const r = computeEndpointSlices(svc, selected(svc));
    expect(r.unresolved.map((u) => [u.pod.name, u.portIndex])).toEqual([['a', 1]]);
    expect(r.unresolved[0]?.reason).toContain('no suitable port for manifest');
    expect(r.excluded.map((e) => [e.pod.name, e.reason])).toEqual([['done', 'pod phase is Succeeded']]);
    expect(r.slices.map((s) => s.ports?.map((p) => p.name))).toEqual([['http']]);
  });

  it('skips pods on unknown nodes only when nodes are given, and never with publishNotReadyAddresses', () => {
    const text = (pnra: boolean) => `---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, publishNotReadyAddresses: ${pnra}, ports: [{port: 80}]}
${pod('a', '10.0.0.1', '')}`;
    for (const [pnra, nodes, want] of [
      [false, undefined, 1],
      [false, ['node-b'], 0],
      [true, ['node-b'], 1],
      [false, ['node-a'], 1],
    ] as const) {
      const { service, selected } = setup(text(pnra));
      const svc = service('web');
      const r = computeEndpointSlices(svc, selected(svc), nodes ? { nodes } : {});
      expect(r.slices.reduce((n, s) => n + s.endpoints.length, 0)).toBe(want);
    }
  });

  it('dual-stack: one set of slices per family, a placeholder for the family no pod has', () => {
    const { service, selected } = setup(`---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ipFamilies: [IPv4, IPv6], ports: [{port: 80}]}
${pod('a', '10.0.0.1', '')}`);
    const svc = service('web');
    const r = computeEndpointSlices(svc, selected(svc));
    expect(r.slices.map((s) => [s.addressType, s.endpoints.length, s.ports?.length])).toEqual([
      ['IPv4', 1, 1],
      ['IPv6', 0, 0],
    ]);
  });

  it('honours maxEndpointsPerSlice and gives every slice a distinct name', () => {
    const pods = Array.from({ length: 7 }, (_, i) => pod(`p${i}`, `10.0.1.${i + 1}`, '')).join('');
    const { service, selected } = setup(`---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
${pods}`);
    const svc = service('web');
    const r = computeEndpointSlices(svc, selected(svc), { maxEndpointsPerSlice: 3 });
    expect(r.slices.map((s) => s.endpoints.length)).toEqual([3, 3, 1]);
    expect(new Set(r.slices.map((s) => s.metadata.name)).size).toBe(3);
  });

  it('ExternalName and selectorless Services are not managed', () => {
    const { service } = setup(`---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: example.com, selector: {app: web}}
---
apiVersion: v1
kind: Service
metadata: {name: empty}
spec: {selector: {}, ports: [{port: 80}]}
`);
    for (const name of ['ext', 'empty']) {
      expect(computeEndpointSlices(service(name), [])).toMatchObject({
        controllerManaged: false,
        slices: [],
      });
      expect(legacyEndpoints(service(name), [])).toBeNull();
    }
  });

  it('works from workloads: a Deployment behind a named targetPort', () => {
    const { service, selected } = setup(`---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: http}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: nginx, ports: [{name: http, containerPort: 8080}]}]}
`);
    const svc = service('web');
    const r = computeEndpointSlices(svc, selected(svc));
    expect(r.slices).toHaveLength(1);
    expect(r.slices[0]?.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(r.slices[0]?.endpoints.map((e) => e.addresses[0])).toEqual([
      '10.244.0.1',
      '10.244.0.2',
      '10.244.0.3',
    ]);
  });
});

describe('mirrorEndpoints', () => {
  const text = `---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {ports: [{name: pg, port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: selected}
spec: {selector: {app: x}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: db, labels: {team: data}, annotations: {note: hi, endpoints.kubernetes.io/last-change-trigger-time: x}}
subsets:
- addresses: [{ip: 192.168.1.10, nodeName: n1}, {ip: not-an-ip}]
  notReadyAddresses: [{ip: 192.168.1.11}]
  ports: [{name: pg, port: 5432}]
- addresses: [{ip: "fd00::1"}]
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: skipped, labels: {endpointslice.kubernetes.io/skip-mirror: "true"}}
subsets: [{addresses: [{ip: 10.0.0.1}], ports: [{port: 80}]}]
`;
  const r = loadText({ name: 'm.yaml', text });
  const eps = r.manifests.filter((m): m is Manifest<'Endpoints'> => isKind(m, 'Endpoints'));
  const svcs = r.manifests.filter((m): m is Manifest<'Service'> => isKind(m, 'Service'));

  it('mirrors ports verbatim, ready and not-ready addresses, per address family', () => {
    const slices = mirrorEndpoints(eps[0]!, { service: svcs[0]! });
    expect(slices.map((s) => s.addressType)).toEqual(['IPv4', 'IPv6']);
    const v4 = slices[0]!;
    expect(v4.metadata.labels).toEqual({
      team: 'data',
      'kubernetes.io/service-name': 'db',
      'endpointslice.kubernetes.io/managed-by': ENDPOINTSLICE_MIRRORING_CONTROLLER,
    });
    expect(v4.metadata.annotations).toEqual({ note: 'hi' });
    expect(v4.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Endpoints', name: 'db', controller: true },
    ]);
    expect(v4.ports).toEqual([{ name: 'pg', port: 5432, protocol: 'TCP' }]);
    expect(v4.endpoints).toEqual([
      { addresses: ['192.168.1.10'], conditions: { ready: true }, nodeName: 'n1' },
      { addresses: ['192.168.1.11'], conditions: { ready: false } },
    ]);
  });

  it('does not mirror skip-mirror Endpoints, or for a Service with a selector or no Service', () => {
    expect(mirrorEndpoints(eps[1]!)).toEqual([]);
    expect(mirrorEndpoints(eps[0]!, { service: svcs[1]! })).toEqual([]);
    expect(mirrorEndpoints(eps[0]!, { service: null })).toEqual([]);
  });
});

describe('legacyEndpoints (v1 Endpoints after RepackSubsets)', () => {
  it('groups by address set, not by port list: 3 subsets where slices have 2', () => {
    const { service, selected } = setup(`---
apiVersion: v1
kind: Service
metadata: {name: web, labels: {team: shop}}
spec:
  selector: {app: web}
  clusterIP: 10.96.0.10
  ports: [{name: http, port: 80, targetPort: http}, {name: admin, port: 9000}]
${pod('a', '10.0.0.1', '{name: http, containerPort: 8080}')}${pod('b', '10.0.0.2', '{name: http, containerPort: 9090}')}`);
    const svc = service('web');
    expect(computeEndpointSlices(svc, selected(svc)).slices).toHaveLength(2);
    const ep = legacyEndpoints(svc, selected(svc));
    expect(ep?.metadata).toEqual({ name: 'web', namespace: 'default', labels: { team: 'shop' } });
    const view = (ep?.subsets ?? []).map((s) => ({
      ips: (s.addresses ?? []).map((a) => a.ip),
      ports: (s.ports ?? []).map((p) => `${p.name}:${p.port}`),
    }));
    expect(view).toHaveLength(3);
    expect(view).toEqual(
      expect.arrayContaining([
        { ips: ['10.0.0.1', '10.0.0.2'], ports: ['admin:9000'] },
        { ips: ['10.0.0.1'], ports: ['http:8080'] },
        { ips: ['10.0.0.2'], ports: ['http:9090'] },
      ]),
    );
    expect(ep?.subsets?.[0]?.addresses?.[0]).toMatchObject({
      nodeName: 'node-a',
      targetRef: { kind: 'Pod', namespace: 'default' },
    });
  });

  it('not-ready pods go to notReadyAddresses; terminating pods only with publishNotReadyAddresses', () => {
    const text = (pnra: boolean) => `---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, publishNotReadyAddresses: ${pnra}, ports: [{port: 80}]}
${pod('ready', '10.0.0.1', '')}${pod('gone', '10.0.0.2', '', ', deletionTimestamp: "2026-01-01T00:00:00Z"')}---
apiVersion: v1
kind: Pod
metadata: {name: starting, labels: {app: web}}
spec: {containers: [{name: app, image: nginx}]}
status: {phase: Pending, podIP: 10.0.0.3, conditions: [{type: Ready, status: 'False'}]}
`;
    const strict = setup(text(false));
    const s1 = legacyEndpoints(strict.service('web'), strict.selected(strict.service('web')));
    expect(s1?.subsets).toEqual([
      {
        addresses: [expect.objectContaining({ ip: '10.0.0.1' })],
        notReadyAddresses: [expect.objectContaining({ ip: '10.0.0.3' })],
        ports: [{ name: '', port: 80, protocol: 'TCP' }],
      },
    ]);
    const loose = setup(text(true));
    const s2 = legacyEndpoints(loose.service('web'), loose.selected(loose.service('web')));
    expect(s2?.subsets?.[0]?.addresses?.map((a) => a.ip)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(s2?.subsets?.[0]?.notReadyAddresses).toBeUndefined();
  });

  it('headless without ports keeps the addresses (Port -1 sentinel) and labels the Endpoints headless', () => {
    const { service, selected } = setup(`---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {clusterIP: None, selector: {app: web}}
${pod('a', '10.0.0.1', '')}${pod('b', '10.0.0.2', '')}`);
    const ep = legacyEndpoints(service('web'), selected(service('web')));
    expect(ep?.metadata.labels).toEqual({ 'service.kubernetes.io/headless': '' });
    expect(ep?.subsets).toEqual([
      {
        addresses: [expect.objectContaining({ ip: '10.0.0.1' }), expect.objectContaining({ ip: '10.0.0.2' })],
      },
    ]);
  });

  it('repackSubsets: not ready trumps ready for the same address and port', () => {
    const port = { name: 'p', port: 80, protocol: 'TCP' };
    expect(
      repackSubsets([
        { addresses: [{ ip: '10.0.0.1' }], ports: [port] },
        { notReadyAddresses: [{ ip: '10.0.0.1' }], ports: [port] },
      ]),
    ).toEqual([{ notReadyAddresses: [{ ip: '10.0.0.1' }], ports: [port] }]);
  });

  it('caps at 1000 addresses and annotates over-capacity', () => {
    const pods = Array.from({ length: 1005 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `p${i}`, labels: { app: 'web' } },
      spec: { containers: [{ name: 'c' }] },
      status: {
        phase: 'Running',
        podIP: `10.1.${i >> 8}.${i & 255}`,
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    }));
    const text = [
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
      }),
      ...pods.map((p) => JSON.stringify(p)),
    ].join('\n---\n');
    const { service, selected } = setup(text);
    const ep = legacyEndpoints(service('web'), selected(service('web')));
    expect(ep?.metadata.annotations).toEqual({ 'endpoints.kubernetes.io/over-capacity': 'truncated' });
    expect(ep?.subsets?.[0]?.addresses).toHaveLength(1000);
  });
});

describe("resolveGraph's Service views", () => {
  it('build the slices when first asked for, once, equal to computeEndpointSlices; the per-pod results at once', () => {
    const text = `${twoPorts}${pod('a', '10.0.0.1', '{name: http, containerPort: 8080}, {name: admin, containerPort: 9000}')}${pod('b', '10.0.0.2', '{name: http, containerPort: 8080}')}${pod('c', '10.0.0.3', '{name: http, containerPort: 8080}', ', deletionTimestamp: "2026-01-01T00:00:00Z"')}`;
    const { manifests, service, selected } = setup(text);
    const view = resolveGraph(manifests).service('default', 'web');
    const want = computeEndpointSlices(service('web'), selected(service('web')));
    // The terminating pod c gets an endpoint too (not ready), so its missing admin port is unresolved.
    expect(view?.unresolved.map((u) => [u.pod.name, u.portIndex])).toEqual([
      ['b', 1],
      ['c', 1],
    ]);
    expect(view?.unresolved).toEqual(want.unresolved);
    expect(view?.excluded).toEqual(want.excluded);
    expect(view?.slices).toEqual(want.slices);
    expect(view?.slices).toBe(view?.slices);
    expect(view?.readyByPort).toEqual([2, 1]);
  });
});
