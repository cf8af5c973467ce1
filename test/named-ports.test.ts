import { describe, expect, it } from 'vitest';
import type { Container, PodSpec } from '../src/model/types.js';
import { findContainerPortByName, findPort } from '../src/semantics/named-ports.js';

const c = (name: string, ports: [string | undefined, number, string?][], extra: Partial<Container> = {}) => ({
  name,
  ports: ports.map(([n, containerPort, protocol]) => ({
    ...(n === undefined ? {} : { name: n }),
    containerPort,
    protocol: protocol ?? 'TCP',
  })),
  ...extra,
});

const spec = (
  containers: Container[],
  initContainers?: Container[],
  ephemeralContainers?: Container[],
): PodSpec => ({
  containers,
  ...(initContainers ? { initContainers } : {}),
  ...(ephemeralContainers ? { ephemeralContainers } : {}),
});

interface Row {
  title: string;
  spec: PodSpec;
  targetPort?: number | string;
  port?: number;
  protocol?: string;
  want:
    | { port: number; container?: string; containerIndex?: number; portIndex?: number; init?: boolean }
    | string;
}

const rows: Row[] = [
  {
    title: 'numeric targetPort declared by a container is reported with it',
    spec: spec([c('app', [['http', 8080]])]),
    targetPort: 8080,
    want: { port: 8080, container: 'app', containerIndex: 0, portIndex: 0 },
  },
  {
    title: 'numeric targetPort nobody declares is used verbatim',
    spec: spec([c('app', [['http', 8080]])]),
    targetPort: 9999,
    want: { port: 9999 },
  },
  {
    title: 'numeric targetPort on a pod without any container ports',
    spec: spec([{ name: 'app' }]),
    targetPort: 8080,
    want: { port: 8080 },
  },
  {
    title: 'absent targetPort means port',
    spec: spec([c('app', [[undefined, 80]])]),
    port: 80,
    want: { port: 80, container: 'app', containerIndex: 0, portIndex: 0 },
  },
  {
    title: 'named port resolves to its containerPort',
    spec: spec([
      c('app', [
        ['metrics', 9100],
        ['http', 8080],
      ]),
    ]),
    targetPort: 'http',
    want: { port: 8080, container: 'app', containerIndex: 0, portIndex: 1 },
  },
  {
    title: 'first container in spec order wins for a duplicate name',
    spec: spec([c('first', [['http', 8080]]), c('second', [['http', 9090]])]),
    targetPort: 'http',
    want: { port: 8080, container: 'first', containerIndex: 0, portIndex: 0 },
  },
  {
    title: 'protocol mismatch: a UDP port does not satisfy a TCP Service port',
    spec: spec([c('dns', [['dns', 53, 'UDP']])]),
    targetPort: 'dns',
    protocol: 'TCP',
    want: 'no suitable port for manifest',
  },
  {
    title: 'protocol filter skips the UDP port and picks the TCP one in a later container',
    spec: spec([c('udp', [['dns', 53, 'UDP']]), c('tcp', [['dns', 5353, 'TCP']])]),
    targetPort: 'dns',
    protocol: 'TCP',
    want: { port: 5353, container: 'tcp', containerIndex: 1, portIndex: 0 },
  },
  {
    title: 'matching UDP protocol resolves',
    spec: spec([c('dns', [['dns', 53, 'UDP']])]),
    targetPort: 'dns',
    protocol: 'UDP',
    want: { port: 53, container: 'dns', containerIndex: 0, portIndex: 0 },
  },
  {
    title: 'sidecar init container (restartPolicy Always) is searched after the containers',
    spec: spec([c('app', [['http', 8080]])], [c('proxy', [['admin', 15000]], { restartPolicy: 'Always' })]),
    targetPort: 'admin',
    want: { port: 15000, container: 'proxy', containerIndex: 0, portIndex: 0, init: true },
  },
  {
    title: 'regular containers beat a sidecar with the same name',
    spec: spec([c('app', [['http', 8080]])], [c('proxy', [['http', 15001]], { restartPolicy: 'Always' })]),
    targetPort: 'http',
    want: { port: 8080, container: 'app', containerIndex: 0, portIndex: 0 },
  },
  {
    title: 'plain init container is never searched',
    spec: spec([c('app', [])], [c('setup', [['http', 8080]])]),
    targetPort: 'http',
    want: 'is not a sidecar',
  },
  {
    title: 'ephemeral container is never searched',
    spec: spec([c('app', [])], undefined, [c('debug', [['http', 8080]])]),
    targetPort: 'http',
    want: 'ephemeral container "debug"',
  },
  {
    title: 'name that nobody declares',
    spec: spec([c('app', [['web', 8080]])]),
    targetPort: 'http',
    want: 'no container port named "http" with protocol TCP',
  },
  {
    title: 'a numeric-looking string is a name, not a number',
    spec: spec([c('app', [['http', 8080]])]),
    targetPort: '8080',
    want: 'no suitable port for manifest',
  },
];

describe('findPort', () => {
  it.each(rows)('$title', ({ spec: s, targetPort, port, protocol, want }) => {
    const sp = {
      port: port ?? 80,
      protocol: protocol ?? 'TCP',
      ...(targetPort === undefined ? {} : { targetPort }),
    };
    const r = findPort(s, sp);
    if (typeof want === 'string') {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toContain(want);
    } else {
      expect(r).toEqual({ ok: true, ...want });
    }
  });

  it('mentions the declaring container when only the protocol differs', () => {
    const r = findPort(spec([c('dns', [['dns', 53, 'UDP']])]), {
      port: 53,
      targetPort: 'dns',
      protocol: 'TCP',
    });
    expect(r).toEqual({
      ok: false,
      reason:
        'no suitable port for manifest: no container port named "dns" with protocol TCP (container "dns" declares "dns" as UDP)',
    });
  });
});

describe('findContainerPortByName', () => {
  const s = spec(
    [c('app', [['http', 8080]]), c('side', [['metrics', 9100, 'UDP']])],
    [c('proxy', [['admin', 15000]], { restartPolicy: 'Always' })],
  );
  it.each([
    { name: 'http', protocol: undefined, container: undefined, want: 8080 },
    { name: 'metrics', protocol: undefined, container: undefined, want: 9100 },
    { name: 'metrics', protocol: 'TCP', container: undefined, want: null },
    { name: 'admin', protocol: undefined, container: undefined, want: 15000 },
    // kubelet probes look only at the probed container, any protocol.
    { name: 'http', protocol: undefined, container: 'app', want: 8080 },
    { name: 'http', protocol: undefined, container: 'side', want: null },
    { name: 'metrics', protocol: undefined, container: 'side', want: 9100 },
    { name: 'admin', protocol: undefined, container: 'proxy', want: 15000 },
    { name: 'http', protocol: undefined, container: 'missing', want: null },
  ])('$name in $container ($protocol) -> $want', ({ name, protocol, container, want }) => {
    const r = findContainerPortByName(s, name, protocol, container);
    if (want === null) expect(r.ok).toBe(false);
    else expect(r).toMatchObject({ ok: true, port: want });
  });
});
