/** NodePort allocation across Services (src/semantics/node-ports.ts), table-driven. */
import { describe, expect, it } from 'vitest';
import { renderFieldError } from '../src/model/field-error.js';
import { isKind, loadText, type Manifest } from '../src/model/load.js';
import {
  allocateNodePorts,
  DEFAULT_NODE_PORT_RANGE,
  formatNodePortRange,
  type NodePortAllocationResult,
  type NodePortRange,
  parseNodePortRange,
  serviceCreateErrors,
  withAllocatedNodePorts,
} from '../src/semantics/node-ports.js';

type Spec = Record<string, unknown>;

/** Services named s0, s1 … from their specs, loaded and defaulted. */
function services(...specs: Spec[]): Manifest<'Service'>[] {
  const text = specs
    .map((spec, i) =>
      JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}` }, spec }),
    )
    .join('\n---\n');
  const r = loadText({ name: 'svc.yaml', text });
  expect(r.findings).toEqual([]);
  return r.manifests.filter((m): m is Manifest<'Service'> => isKind(m, 'Service'));
}

/** `s0[1]=30053` for ports, `s0 hc=30100` for health checks, `*` marking explicit ones. */
function summary(r: NodePortAllocationResult) {
  return {
    ports: r.allocations.map(
      (a) => `${a.service.name}[${a.portIndex}]=${a.nodePort}${a.explicit ? '*' : ''}`,
    ),
    healthChecks: r.healthCheckNodePorts.map(
      (h) => `${h.service.name} hc=${h.nodePort}${h.explicit ? '*' : ''}`,
    ),
    errors: r.errors.map((e) => `${e.service.name} ${e.error.reason} ${renderFieldError(e.error)}`),
  };
}

const np = (ports: unknown[], extra: Spec = {}): Spec => ({
  type: 'NodePort',
  selector: { app: 'a' },
  ports,
  ...extra,
});
const lb = (ports: unknown[], extra: Spec = {}): Spec => ({
  type: 'LoadBalancer',
  selector: { app: 'a' },
  ports,
  ...extra,
});

describe('parseNodePortRange', () => {
  it.each([
    ['30000-32767', { base: 30000, size: 2768 }],
    [' 30000-32767 ', { base: 30000, size: 2768 }],
    ['30000+2767', { base: 30000, size: 2768 }],
    ['31000', { base: 31000, size: 1 }],
    ['1-65535', { base: 1, size: 65535 }],
  ])('%j', (s, expected) => {
    expect(parseNodePortRange(s)).toEqual(expected);
    expect(formatNodePortRange(expected)).toBe(formatNodePortRange(parseNodePortRange(s)));
  });

  it.each(['', 'abc', '30000-', '32767-30000', '30000-70000', '1-2+3'])('rejects %j', (s) => {
    expect(() => parseNodePortRange(s)).toThrow();
  });

  it('defaults to 30000-32767', () => {
    expect(formatNodePortRange(DEFAULT_NODE_PORT_RANGE)).toBe('30000-32767');
  });
});

interface Case {
  readonly name: string;
  readonly specs: Spec[];
  readonly range?: NodePortRange;
  readonly ports?: string[];
  readonly healthChecks?: string[];
  readonly errors?: string[];
}

const cases: Case[] = [
  {
    name: 'auto-allocation starts at the dynamic band (30086 for the default range) and is stable',
    specs: [
      np([
        { name: 'a', port: 80 },
        { name: 'b', port: 443 },
      ]),
      np([{ port: 80 }]),
    ],
    ports: ['s0[0]=30086', 's0[1]=30087', 's1[0]=30088'],
  },
  {
    name: 'TCP and UDP 53 share one auto-allocated nodePort',
    specs: [
      np([
        { name: 'dns-udp', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53 },
      ]),
    ],
    ports: ['s0[0]=30086', 's0[1]=30086'],
  },
  {
    name: 'when one of them names the nodePort, the other inherits it',
    specs: [
      np([
        { name: 'dns-udp', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, nodePort: 30053 },
      ]),
    ],
    ports: ['s0[0]=30053', 's0[1]=30053*'],
  },
  {
    name: 'the same port number may still get two explicit nodePorts',
    specs: [
      np([
        { name: 'u', port: 53, protocol: 'UDP', nodePort: 30053 },
        { name: 't', port: 53, nodePort: 30054 },
      ]),
    ],
    ports: ['s0[0]=30053*', 's0[1]=30054*'],
  },
  {
    name: 'two Services cannot share 30053, even with different protocols',
    specs: [
      np([{ port: 53, protocol: 'UDP', nodePort: 30053 }]),
      np([{ port: 53, protocol: 'TCP', nodePort: 30053 }]),
    ],
    ports: ['s0[0]=30053*'],
    errors: [
      's1 FieldValueInvalid spec.ports[0].nodePort: Invalid value: 30053: provided port is already allocated',
    ],
  },
  {
    name: 'within one request, a different port number cannot reuse a nodePort (80/TCP + 81/UDP on 30080)',
    specs: [
      np([
        { name: 'a', port: 80, nodePort: 30080 },
        { name: 'b', port: 81, protocol: 'UDP', nodePort: 30080 },
      ]),
    ],
    errors: [
      's0 FieldValueInvalid spec.ports[1].nodePort: Invalid value: 30080: provided port is already allocated',
    ],
  },
  {
    name: 'out of range, with the configured range in the message',
    specs: [np([{ port: 80, nodePort: 30080 }])],
    range: { base: 31000, size: 100 },
    errors: [
      's0 FieldValueInvalid spec.ports[0].nodePort: Invalid value: 30080: provided port is not in the valid range. The range of valid ports is 31000-31099',
    ],
  },
  {
    name: 'explicit ports of later Services are reserved before any auto-allocation',
    specs: [np([{ port: 80 }]), np([{ port: 80, nodePort: 30086 }])],
    ports: ['s0[0]=30087', 's1[0]=30086*'],
  },
  {
    name: 'the lower (static) band is used once the upper one is full',
    specs: [
      np([
        { name: 'a', port: 1 },
        { name: 'b', port: 2 },
        { name: 'c', port: 3 },
      ]),
    ],
    range: { base: 30000, size: 18 },
    ports: ['s0[0]=30016', 's0[1]=30017', 's0[2]=30000'],
  },
  {
    name: 'range full is an InternalError; the failed Service releases its explicit port for the next one',
    specs: [
      np([
        { name: 'a', port: 1, nodePort: 30000 },
        { name: 'b', port: 2 },
      ]),
      np([{ port: 1, nodePort: 30000 }]),
    ],
    range: { base: 30000, size: 1 },
    ports: ['s1[0]=30000*'],
    errors: [
      's0 InternalError spec.ports[1].nodePort: Internal error: failed to allocate a nodePort: range is full',
    ],
  },
  {
    name: 'ClusterIP and ExternalName never allocate (a nodePort on ExternalName is just stored)',
    specs: [
      { selector: { app: 'a' }, ports: [{ port: 80 }] },
      { type: 'ExternalName', externalName: 'db.example.com', ports: [{ port: 5432, nodePort: 30432 }] },
      np([{ port: 80, nodePort: 30432 }]),
    ],
    ports: ['s2[0]=30432*'],
  },
  {
    name: 'LoadBalancer allocates like NodePort',
    specs: [
      lb(
        [
          { port: 443, nodePort: 31443 },
          { name: 'h', port: 80 },
        ].map((p, i) => ({ name: `p${i}`, ...p })),
      ),
    ],
    ports: ['s0[0]=31443*', 's0[1]=30086'],
  },
  {
    name: 'LoadBalancer with allocateLoadBalancerNodePorts false: only the explicit ones',
    specs: [
      lb(
        [
          { name: 'a', port: 80 },
          { name: 'b', port: 443, nodePort: 30443 },
        ],
        { allocateLoadBalancerNodePorts: false },
      ),
    ],
    ports: ['s0[1]=30443*'],
  },
  {
    name: 'LoadBalancer + Local gets an auto healthCheckNodePort after its nodePorts',
    specs: [lb([{ port: 80 }], { externalTrafficPolicy: 'Local' })],
    ports: ['s0[0]=30086'],
    healthChecks: ['s0 hc=30087'],
  },
  {
    name: 'an explicit healthCheckNodePort must be free',
    specs: [
      np([{ port: 80, nodePort: 30100 }]),
      lb([{ port: 80 }], { externalTrafficPolicy: 'Local', healthCheckNodePort: 30100 }),
    ],
    ports: ['s0[0]=30100*'],
    errors: [
      's1 InternalError spec.healthCheckNodePort: Internal error: failed to allocate requested HealthCheck NodePort 30100: provided port is already allocated',
    ],
  },
  {
    name: 'an explicit healthCheckNodePort must be in range',
    specs: [lb([{ port: 80 }], { externalTrafficPolicy: 'Local', healthCheckNodePort: 10256 })],
    errors: [
      's0 InternalError spec.healthCheckNodePort: Internal error: failed to allocate requested HealthCheck NodePort 10256: provided port is not in the valid range. The range of valid ports is 30000-32767',
    ],
  },
  {
    name: 'a Service rejected by validation releases its ports for the next one',
    specs: [np([{ name: 'HTTP', port: 80, nodePort: 30080 }]), np([{ port: 80, nodePort: 30080 }])],
    ports: ['s1[0]=30080*'],
  },
  {
    name: 'a Service rejected by allocation releases what it took before failing',
    specs: [
      np([
        { name: 'a', port: 80, nodePort: 30080 },
        { name: 'b', port: 81, nodePort: 40000 },
      ]),
      np([{ port: 80, nodePort: 30080 }]),
    ],
    ports: ['s1[0]=30080*'],
    errors: [
      's0 FieldValueInvalid spec.ports[1].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767',
    ],
  },
];

describe('allocateNodePorts', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = allocateNodePorts(services(...c.specs), c.range);
      expect(summary(r)).toEqual({
        ports: c.ports ?? [],
        healthChecks: c.healthChecks ?? [],
        errors: c.errors ?? [],
      });
    });
  }

  it('fills the allocated values into a copy, for validation', () => {
    const [s] = services(lb([{ port: 80 }], { externalTrafficPolicy: 'Local' }));
    if (!s) throw new Error('no service');
    const r = allocateNodePorts([s]);
    const filled = withAllocatedNodePorts(s, r);
    expect(filled.object.spec.ports?.[0]?.nodePort).toBe(30086);
    expect(filled.object.spec.healthCheckNodePort).toBe(30087);
    expect(s.object.spec.healthCheckNodePort).toBeUndefined();
    expect(serviceCreateErrors(s, r)).toEqual([]);
  });

  it('serviceCreateErrors returns allocation errors alone, as the API does', () => {
    const svcs = services(np([{ name: 'HTTP', port: 80, nodePort: 40000 }]));
    const r = allocateNodePorts(svcs);
    expect(serviceCreateErrors(svcs[0] as Manifest<'Service'>, r).map(renderFieldError)).toEqual([
      'spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767',
    ]);
  });

  it('serviceCreateErrors reports validation errors of a Service that allocation accepted', () => {
    const svcs = services(lb([{ name: 'HTTP', port: 80 }], { externalTrafficPolicy: 'Local' }));
    const r = allocateNodePorts(svcs);
    expect(serviceCreateErrors(svcs[0] as Manifest<'Service'>, r).map((e) => e.field.toString())).toEqual([
      'spec.ports[0].name',
    ]);
  });
});
