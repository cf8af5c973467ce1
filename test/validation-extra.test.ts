/**
 * Cases beyond the shared vectors: the format checks with their exact texts, and table-driven objects for
 * each kind. Each object case lists every error expected as `<path> <CauseType>` (order ignored).
 */
import { describe, expect, it } from 'vitest';
import { type FieldError, renderFieldError } from '../src/model/field-error.js';
import { FieldPath } from '../src/model/field-path.js';
import { loadText, type Manifest } from '../src/model/load.js';
import type { KindMap, WorkloadKind } from '../src/model/types.js';
import {
  isDNS1035Label,
  isDNS1123Label,
  isQualifiedName,
  isValidCIDR,
  isValidPortName,
  isWildcardDNS1123Subdomain,
  maskTrailingDash,
  parseCIDRSloppy,
  parseIPSloppy,
  validateNonSpecialIP,
  validateObject,
  validateTemplateAsPod,
} from '../src/model/validation/index.js';

/** Loads one object written as a JS value (JSON is YAML). */
function load(obj: unknown): Manifest {
  const r = loadText({ name: 'case.yaml', text: JSON.stringify(obj) });
  expect(r.findings).toEqual([]);
  expect(r.manifests).toHaveLength(1);
  return r.manifests[0] as Manifest;
}

const keys = (errs: FieldError[]) => errs.map((e) => `${e.field.toString()} ${e.reason}`).sort();

interface Case {
  readonly name: string;
  readonly obj: unknown;
  readonly errors: string[];
  /** Fragments that must appear in the rendered errors. */
  readonly messages?: string[];
}

function runCases(cases: readonly Case[]): void {
  for (const c of cases) {
    it(c.name, () => {
      const errs = validateObject(load(c.obj));
      expect(keys(errs)).toEqual([...c.errors].sort());
      const rendered = errs.map(renderFieldError).join('\n');
      for (const m of c.messages ?? []) expect(rendered).toContain(m);
    });
  }
}

// ---- builders ----

const svc = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'web' }) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata,
  spec: { selector: { app: 'web' }, ...spec },
});
const container = (extra: Record<string, unknown> = {}) => ({ name: 'app', image: 'nginx', ...extra });
const pod = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'app' }) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata,
  spec,
});
const deployment = (podSpec: Record<string, unknown>, templateMeta: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'app' },
  spec: {
    selector: { matchLabels: { app: 'app' } },
    template: { metadata: { labels: { app: 'app' }, ...templateMeta }, spec: podSpec },
  },
});
const ingress = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'web' }) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata,
  spec,
});
const backend = (port: Record<string, unknown> = { number: 80 }, name = 'web') => ({
  service: { name, port },
});
const rule = (paths: unknown[], host = 'example.com') => ({ host, http: { paths } });
const netpol = (spec: Record<string, unknown>) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'np' },
  spec: { podSelector: {}, ...spec },
});
const npPorts = (...ports: unknown[]) => netpol({ ingress: [{ ports }] });

// ---- format checks ----

describe('names', () => {
  it.each([
    ['80abc', []],
    ['http', []],
    ['abcdefghijklmno', []],
    ['abcdefghijklmnop', ['must be no more than 15 characters']],
    [
      'HTTP',
      [
        'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'must contain at least one letter (a-z)',
      ],
    ],
    ['80', ['must contain at least one letter (a-z)']],
    ['a--b', ['must not contain consecutive hyphens']],
    ['-a', ['must not begin or end with a hyphen']],
    ['a-', ['must not begin or end with a hyphen']],
    ['http_alt', ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)']],
  ])('IsValidPortName(%j)', (value, expected) => {
    expect(isValidPortName(value)).toEqual(expected);
  });

  it('IsDNS1123Label keeps the double space of RegexError', () => {
    expect(isDNS1123Label('HTTP')).toEqual([
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
    expect(isDNS1123Label('a.b')).toEqual(['must not contain dots']);
    expect(isDNS1123Label('443')).toEqual([]);
    expect(isDNS1123Label('a'.repeat(64))).toEqual(['must be no more than 63 characters']);
  });

  it('IsDNS1035Label must start with a letter', () => {
    expect(isDNS1035Label('web-80')).toEqual([]);
    expect(isDNS1035Label('80-web')[0]).toContain(
      "start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123'",
    );
  });

  it.each([
    ['*.example.com', true],
    ['*.a', true],
    ['*', false],
    ['*.*.example.com', false],
    ['foo.*.example.com', false],
    ['*foo.example.com', false],
    ['*.Example.com', false],
  ])('IsWildcardDNS1123Subdomain(%j) valid=%s', (value, valid) => {
    expect(isWildcardDNS1123Subdomain(value).length === 0).toBe(valid);
  });

  it.each([
    ['HTTP', []],
    ['h2c', []],
    ['kubernetes.io/h2c', []],
    ['kubernetes.io/ws', []],
    ['my_proto.v1', []],
    ['HTTP/1.1', ['prefix part a lowercase RFC 1123 subdomain']],
    ['/h2c', ['prefix part must be non-empty']],
    ['example.com/', ['name part must be non-empty', 'name part must consist of alphanumeric']],
    ['a/b/c', ["a valid label key must consist of alphanumeric characters, '-', '_' or '.'"]],
    ['my protocol', ['name part must consist of alphanumeric characters']],
    [`${'a'.repeat(64)}`, ['name part must be no more than 63 bytes']],
  ])('IsQualifiedName(%j)', (value, fragments) => {
    const msgs = isQualifiedName(value);
    expect(msgs).toHaveLength(fragments.length);
    fragments.forEach((f, i) => {
      expect(msgs[i]).toContain(f);
    });
  });

  it('maskTrailingDash drops two characters (upstream quirk)', () => {
    expect(maskTrailingDash('web-')).toBe('wea');
    expect(maskTrailingDash('-')).toBe('-');
    expect(maskTrailingDash('web')).toBe('web');
  });
});

describe('IP checks', () => {
  it.each([
    ['10.0.0.1', true],
    ['010.001.002.003', true],
    ['255.255.255.255', true],
    ['1.2.3', false],
    ['1.2.3.256', false],
    ['1.2.3.4 ', false],
    ['::', true],
    ['::1', true],
    ['2001:db8::ffff', true],
    ['::ffff:1.2.3.4', true],
    ['1::2::3', false],
    ['1:2:3:4:5:6:7:8', true],
    ['1:2:3:4:5:6:7:8:9', false],
    ['fe80::1%eth0', false],
    ['CLUSTER_DNS_IP', false],
    ['', false],
  ])('ParseIPSloppy(%j) valid=%s', (value, valid) => {
    expect(parseIPSloppy(value) !== null).toBe(valid);
  });

  it('parses CIDRs loosely, as ParseCIDRSloppy', () => {
    expect(parseCIDRSloppy('10.0.0.0/8')?.prefix).toBe(8);
    expect(parseCIDRSloppy('10.1.2.3/8')?.ip).toEqual(new Uint8Array([10, 0, 0, 0]));
    expect(parseCIDRSloppy('2001:db8::/64')?.prefix).toBe(64);
    expect(parseCIDRSloppy('10.0.0.0/33')).toBeNull();
    expect(parseCIDRSloppy('10.0.0.0')).toBeNull();
    expect(isValidCIDR(FieldPath.root('x'), 'nope').map(renderFieldError)).toEqual([
      'x: Invalid value: "nope": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    ]);
  });

  it.each([
    ['1.2.3.4', []],
    ['0.0.0.0', ['may not be unspecified (0.0.0.0)']],
    ['127.0.0.1', ['may not be in the loopback range (127.0.0.0/8, ::1/128)']],
    ['::1', ['may not be in the loopback range (127.0.0.0/8, ::1/128)']],
    ['169.254.1.1', ['may not be in the link-local range (169.254.0.0/16, fe80::/10)']],
    ['fe80::1', ['may not be in the link-local range (169.254.0.0/16, fe80::/10)']],
    ['224.0.0.5', ['may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)']],
    ['ff02::1', ['may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)']],
  ])('ValidateNonSpecialIP(%j)', (value, expected) => {
    expect(validateNonSpecialIP(value, FieldPath.root('ip')).map((e) => e.detail)).toEqual(expected);
  });
});

// ---- objects ----

describe('Service', () => {
  runCases([
    {
      name: 'a 16-character Service port name is a valid DNS_LABEL',
      obj: svc({ ports: [{ name: 'metrics-exporter', port: 9100 }] }),
      errors: [],
    },
    {
      name: 'lowercase protocol tcp is rejected',
      obj: svc({ ports: [{ port: 80, protocol: 'tcp' }] }),
      errors: ['spec.ports[0].protocol FieldValueNotSupported'],
      messages: ['Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"'],
    },
    {
      name: 'ExternalName ports are validated like any others',
      obj: svc({
        type: 'ExternalName',
        externalName: 'db.example.com.',
        ports: [{ name: 'DB', port: 0, targetPort: 'PG' }],
      }),
      errors: [
        'spec.ports[0].name FieldValueInvalid',
        'spec.ports[0].port FieldValueInvalid',
        'spec.ports[0].targetPort FieldValueInvalid',
        'spec.ports[0].targetPort FieldValueInvalid',
      ],
    },
    {
      name: 'ExternalName needs a name',
      obj: svc({ type: 'ExternalName', externalName: '.' }),
      errors: ['spec.externalName FieldValueRequired'],
    },
    {
      name: 'appProtocol forms: HTTP, h2c and kubernetes.io/ws are fine',
      obj: svc({
        ports: [
          { name: 'a', port: 80, appProtocol: 'HTTP' },
          { name: 'b', port: 81, appProtocol: 'h2c' },
          { name: 'c', port: 82, appProtocol: 'kubernetes.io/ws' },
        ],
      }),
      errors: [],
    },
    {
      name: 'appProtocol HTTP/1.1 fails on its prefix',
      obj: svc({ ports: [{ port: 80, appProtocol: 'HTTP/1.1' }] }),
      errors: ['spec.ports[0].appProtocol FieldValueInvalid'],
      messages: ['prefix part a lowercase RFC 1123 subdomain'],
    },
    {
      name: 'duplicate port names are reported once, on the later entry',
      obj: svc({
        ports: [
          { name: 'http', port: 80 },
          { name: 'http', port: 81 },
        ],
      }),
      errors: ['spec.ports[1].name FieldValueDuplicate'],
    },
    {
      name: 'a quoted numeric targetPort is a name',
      obj: svc({ ports: [{ port: 80, targetPort: '8080' }] }),
      errors: ['spec.ports[0].targetPort FieldValueInvalid'],
      messages: ['must contain at least one letter (a-z)'],
    },
    {
      name: 'the same nodePort and protocol twice is a Duplicate (validation view)',
      obj: svc({
        type: 'NodePort',
        ports: [
          { name: 'a', port: 80, nodePort: 30080 },
          { name: 'b', port: 81, nodePort: 30080 },
        ],
      }),
      errors: ['spec.ports[1].nodePort FieldValueDuplicate'],
    },
    {
      name: 'the same nodePort with TCP and UDP passes validation',
      obj: svc({
        type: 'NodePort',
        ports: [
          { name: 'a', port: 80, nodePort: 30080 },
          { name: 'b', port: 81, protocol: 'UDP', nodePort: 30080 },
        ],
      }),
      errors: [],
    },
    {
      name: 'nodePort has no static range check',
      obj: svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 1 }] }),
      errors: [],
    },
    {
      name: 'ExternalName with a nodePort is not rejected by validation',
      obj: svc({
        type: 'ExternalName',
        externalName: 'db.example.com',
        ports: [{ port: 5432, nodePort: 30432 }],
      }),
      errors: [],
    },
    {
      name: 'loadBalancerSourceRanges on ClusterIP: Forbidden on the capital-L path, and each CIDR checked',
      obj: svc({ ports: [{ port: 80 }], loadBalancerSourceRanges: [' 10.0.0.0/8 ', 'nope'] }),
      errors: [
        'spec.LoadBalancerSourceRanges FieldValueForbidden',
        'spec.LoadBalancerSourceRanges[1] FieldValueInvalid',
      ],
    },
    {
      name: 'the source-ranges annotation follows the same rule',
      obj: svc(
        { ports: [{ port: 80 }] },
        {
          name: 'web',
          annotations: { 'service.beta.kubernetes.io/load-balancer-source-ranges': '10.0.0.0/8,x' },
        },
      ),
      errors: [
        'metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges] FieldValueForbidden',
        'metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges] FieldValueInvalid',
      ],
    },
    {
      name: 'loadBalancerClass is LoadBalancer-only',
      obj: svc({ ports: [{ port: 80 }], loadBalancerClass: 'example.com/lb' }),
      errors: ['spec.loadBalancerClass FieldValueForbidden'],
    },
    {
      name: 'LoadBalancer with SCTP, mixed protocols and port 10250 is fine',
      obj: svc({
        type: 'LoadBalancer',
        ports: [
          { name: 'a', port: 10250 },
          { name: 'b', port: 3868, protocol: 'SCTP' },
          { name: 'c', port: 53, protocol: 'UDP' },
        ],
      }),
      errors: [],
    },
    {
      name: 'externalIPs must be usable addresses',
      obj: svc({ ports: [{ port: 80 }], externalIPs: ['1.2.3.4', '127.0.0.1', 'x'] }),
      errors: ['spec.externalIPs[1] FieldValueInvalid', 'spec.externalIPs[2] FieldValueInvalid'],
    },
    {
      name: 'externalTrafficPolicy is allowed on ClusterIP with externalIPs',
      obj: svc({ ports: [{ port: 80 }], externalIPs: ['1.2.3.4'], externalTrafficPolicy: 'Local' }),
      errors: [],
    },
    {
      name: 'healthCheckNodePort without LoadBalancer + Local',
      obj: svc({ type: 'NodePort', ports: [{ port: 80 }], healthCheckNodePort: 30100 }),
      errors: ['spec.healthCheckNodePort FieldValueInvalid'],
    },
    {
      name: 'internalTrafficPolicy must be Cluster or Local',
      obj: svc({ ports: [{ port: 80 }], internalTrafficPolicy: 'Node' }),
      errors: ['spec.internalTrafficPolicy FieldValueNotSupported'],
    },
    {
      name: 'ClientIP timeout 86400 is accepted, 0 is not',
      obj: svc({
        ports: [{ port: 80 }],
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: -1 } },
      }),
      errors: ['spec.sessionAffinityConfig.clientIP.timeoutSeconds FieldValueInvalid'],
    },
    {
      name: 'clusterIP and clusterIPs must agree',
      obj: svc({ ports: [{ port: 80 }], clusterIP: '10.0.0.10', clusterIPs: ['10.0.0.11'] }),
      errors: ['spec.clusterIPs FieldValueInvalid'],
      messages: ['first value must match `clusterIP`'],
    },
    {
      name: 'two clusterIPs of one family',
      obj: svc({
        ports: [{ port: 80 }],
        clusterIPs: ['10.0.0.10', '10.0.0.11'],
        ipFamilyPolicy: 'PreferDualStack',
      }),
      errors: ['spec.clusterIPs FieldValueInvalid'],
      messages: ['may specify no more than one IP for each IP family'],
    },
    {
      name: "'None' must be alone",
      obj: svc({ ports: [{ port: 80 }], clusterIPs: ['None', '10.0.0.1'] }),
      errors: ['spec.clusterIPs FieldValueInvalid'],
    },
    {
      name: 'ipFamilies: unknown and repeated',
      obj: svc({ ports: [{ port: 80 }], ipFamilies: ['IPv4', 'IPv4', 'IPv5'] }),
      errors: ['spec.ipFamilies[1] FieldValueDuplicate', 'spec.ipFamilies[2] FieldValueNotSupported'],
    },
    {
      name: 'headless Service without ports is fine',
      obj: svc({ clusterIP: 'None' }),
      errors: [],
    },
    {
      name: 'an unknown type is NotSupported (sorted list)',
      obj: svc({ type: 'Internal', ports: [{ port: 80 }] }),
      errors: ['spec.type FieldValueNotSupported'],
      messages: ['supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
    },
    {
      name: 'selector values must be label values',
      obj: svc({ ports: [{ port: 80 }], selector: { app: 'web app' } }),
      errors: ['spec.selector FieldValueInvalid'],
    },
    {
      name: 'metadata: name required',
      obj: svc({ ports: [{ port: 80 }] }, {}),
      errors: ['metadata.name FieldValueRequired'],
      messages: ['metadata.name: Required value: name or generateName is required'],
    },
    {
      name: 'metadata: generateName may end with a dash; the generated name is checked',
      obj: svc({ ports: [{ port: 80 }] }, { generateName: 'web-' }),
      errors: [],
    },
    {
      name: 'metadata: a generateName starting with a digit fails twice (prefix and generated name)',
      obj: svc({ ports: [{ port: 80 }] }, { generateName: '1web-' }),
      errors: ['metadata.generateName FieldValueInvalid', 'metadata.name FieldValueInvalid'],
    },
    {
      name: 'metadata: namespace must be a DNS label',
      obj: svc({ ports: [{ port: 80 }] }, { name: 'web', namespace: 'my.ns' }),
      errors: ['metadata.namespace FieldValueInvalid'],
      messages: ['must not contain dots'],
    },
    {
      name: 'metadata: label values and annotation keys',
      obj: svc(
        { ports: [{ port: 80 }] },
        { name: 'web', labels: { app: '-x' }, annotations: { 'a b': 'c', 'Example.COM/Key': 'ok' } },
      ),
      errors: ['metadata.annotations FieldValueInvalid', 'metadata.labels FieldValueInvalid'],
    },
  ]);
});

describe('Pod and templates', () => {
  runCases([
    {
      name: 'init container hostPort quirk: the error path always says initContainers[0]',
      obj: pod({
        initContainers: [
          container({ name: 'a' }),
          container({ name: 'b' }),
          container({
            name: 'c',
            ports: [
              { containerPort: 80, hostPort: 81 },
              { containerPort: 82, hostPort: 81 },
            ],
          }),
        ],
        containers: [container({ ports: [{ containerPort: 80, hostPort: 81 }] })],
      }),
      errors: ['spec.initContainers[0].ports[1].hostPort FieldValueDuplicate'],
      messages: ['Duplicate value: "TCP//81"'],
    },
    {
      name: 'hostNetwork Pod: an init container is not held to hostPort == containerPort',
      obj: pod({
        hostNetwork: true,
        initContainers: [container({ name: 'init', ports: [{ containerPort: 80, hostPort: 81 }] })],
        containers: [container({ ports: [{ containerPort: 8080 }] })],
      }),
      errors: [],
    },
    {
      name: 'hostNetwork template: hostPort 0 is accepted, a different one is not',
      obj: deployment({
        hostNetwork: true,
        containers: [container({ ports: [{ containerPort: 80 }, { containerPort: 81, hostPort: 82 }] })],
      }),
      errors: ['spec.template.spec.containers[0].ports[1].hostPort FieldValueInvalid'],
    },
    {
      name: 'hostPort conflicts need the same protocol and hostIP',
      obj: pod({
        containers: [
          container({ name: 'a', ports: [{ containerPort: 53, hostPort: 53, protocol: 'UDP' }] }),
          container({
            name: 'b',
            ports: [
              { containerPort: 53, hostPort: 53 },
              { containerPort: 54, hostPort: 53 },
            ],
          }),
        ],
      }),
      errors: ['spec.containers[1].ports[1].hostPort FieldValueDuplicate'],
    },
    {
      name: 'port name errors, then no duplicate check for the invalid name',
      obj: pod({
        containers: [
          container({
            ports: [
              { name: 'HTTP', containerPort: 80 },
              { name: 'HTTP', containerPort: 81 },
            ],
          }),
        ],
      }),
      errors: [
        'spec.containers[0].ports[0].name FieldValueInvalid',
        'spec.containers[0].ports[0].name FieldValueInvalid',
        'spec.containers[0].ports[1].name FieldValueInvalid',
        'spec.containers[0].ports[1].name FieldValueInvalid',
      ],
    },
    {
      name: 'two handlers: upstream order (exec, httpGet, tcpSocket, grpc) decides; the later is Forbidden, unchecked',
      obj: pod({
        containers: [container({ livenessProbe: { tcpSocket: { port: 0 }, httpGet: { port: 'HTTP' } } })],
      }),
      errors: [
        'spec.containers[0].livenessProbe.httpGet.port FieldValueInvalid',
        'spec.containers[0].livenessProbe.httpGet.port FieldValueInvalid',
        'spec.containers[0].livenessProbe.tcpSocket FieldValueForbidden',
      ],
      messages: ['may not specify more than 1 handler type'],
    },
    {
      name: 'a probe with no handler',
      obj: pod({ containers: [container({ readinessProbe: { periodSeconds: 5 } })] }),
      errors: ['spec.containers[0].readinessProbe FieldValueRequired'],
      messages: ['must specify a handler type'],
    },
    {
      name: 'grpc port 0, exec without command, lowercase scheme',
      obj: pod({
        containers: [
          container({
            livenessProbe: { grpc: { port: 0 } },
            readinessProbe: { exec: {} },
            startupProbe: { httpGet: { port: 8080, scheme: 'http' } },
          }),
        ],
      }),
      errors: [
        'spec.containers[0].livenessProbe.grpc.port FieldValueInvalid',
        'spec.containers[0].readinessProbe.exec.command FieldValueRequired',
        'spec.containers[0].startupProbe.httpGet.scheme FieldValueNotSupported',
      ],
    },
    {
      name: 'a named probe port is not cross-checked, and zero probe fields are defaulted',
      obj: pod({
        containers: [container({ livenessProbe: { httpGet: { port: 'metrics' }, successThreshold: 0 } })],
      }),
      errors: [],
    },
    {
      name: 'liveness successThreshold must be 1; negative fields fail',
      obj: pod({
        containers: [
          container({
            livenessProbe: { tcpSocket: { port: 80 }, successThreshold: 2, initialDelaySeconds: -1 },
          }),
        ],
      }),
      errors: [
        'spec.containers[0].livenessProbe.initialDelaySeconds FieldValueInvalid',
        'spec.containers[0].livenessProbe.successThreshold FieldValueInvalid',
      ],
    },
    {
      name: 'lifecycle handler ports are validated, httpGet path defaults',
      obj: pod({
        containers: [
          container({
            lifecycle: { postStart: { httpGet: { port: 70000 } }, preStop: { sleep: { seconds: 5 } } },
          }),
        ],
      }),
      errors: ['spec.containers[0].lifecycle.postStart.httpGet.port FieldValueInvalid'],
    },
    {
      name: 'probes on a plain init container are Forbidden, not validated',
      obj: pod({
        initContainers: [container({ name: 'init', readinessProbe: { tcpSocket: { port: 0 } } })],
        containers: [container()],
      }),
      errors: ['spec.initContainers[0].readinessProbe FieldValueForbidden'],
    },
    {
      name: 'a sidecar (restartPolicy Always) init container has its probes validated',
      obj: pod({
        initContainers: [
          container({ name: 'side', restartPolicy: 'Always', readinessProbe: { tcpSocket: { port: 0 } } }),
        ],
        containers: [container()],
      }),
      errors: ['spec.initContainers[0].readinessProbe.tcpSocket.port FieldValueInvalid'],
    },
    {
      name: 'restartPolicy: Always only on init containers',
      obj: pod({
        initContainers: [container({ name: 'init', restartPolicy: 'OnFailure' })],
        containers: [container({ restartPolicy: 'Always' })],
      }),
      errors: [
        'spec.containers[0].restartPolicy FieldValueForbidden',
        'spec.initContainers[0].restartPolicy FieldValueNotSupported',
      ],
    },
    {
      name: 'ephemeral containers: not on create, and no ports (which are still validated)',
      obj: pod({
        containers: [container()],
        ephemeralContainers: [container({ name: 'debug', ports: [{ containerPort: 0 }] })],
      }),
      errors: [
        'spec.ephemeralContainers FieldValueForbidden',
        'spec.ephemeralContainers[0].ports FieldValueForbidden',
        'spec.ephemeralContainers[0].ports[0].containerPort FieldValueRequired',
      ],
    },
    {
      name: 'ephemeral containers in a template',
      obj: deployment({ containers: [container()], ephemeralContainers: [container({ name: 'debug' })] }),
      errors: ['spec.template.spec.ephemeralContainers FieldValueForbidden'],
      messages: ['ephemeral containers not allowed in pod template'],
    },
    {
      name: 'template labels are reported without `metadata`',
      obj: deployment({ containers: [container()] }, { labels: { app: 'a b' } }),
      errors: ['spec.template.labels FieldValueInvalid'],
    },
    {
      name: 'Pod name is a DNS subdomain',
      obj: pod({ containers: [container()] }, { name: 'app.v1' }),
      errors: [],
    },
  ]);

  const workload = (kind: string, apiVersion: string, spec: Record<string, unknown>, name = 'app') => ({
    apiVersion,
    kind,
    metadata: { name },
    spec,
  });
  const badPod = { containers: [container({ ports: [{ name: 'Web', containerPort: 80 }] })] };
  const template = { metadata: { labels: { app: 'app' } }, spec: badPod };
  runCases([
    {
      name: 'ReplicaSet template path',
      obj: workload('ReplicaSet', 'apps/v1', { selector: { matchLabels: { app: 'app' } }, template }),
      errors: ['spec.template.spec.containers[0].ports[0].name FieldValueInvalid'],
    },
    {
      name: 'DaemonSet template path',
      obj: workload('DaemonSet', 'apps/v1', { selector: { matchLabels: { app: 'app' } }, template }),
      errors: ['spec.template.spec.containers[0].ports[0].name FieldValueInvalid'],
    },
    {
      name: 'Job template path',
      obj: workload('Job', 'batch/v1', {
        template: { ...template, spec: { ...badPod, restartPolicy: 'Never' } },
      }),
      errors: ['spec.template.spec.containers[0].ports[0].name FieldValueInvalid'],
    },
    {
      name: 'CronJob template path',
      obj: workload('CronJob', 'batch/v1', {
        schedule: '* * * * *',
        jobTemplate: { spec: { template: { ...template, spec: { ...badPod, restartPolicy: 'Never' } } } },
      }),
      errors: ['spec.jobTemplate.spec.template.spec.containers[0].ports[0].name FieldValueInvalid'],
    },
    {
      name: 'CronJob names are capped at 52 characters',
      obj: workload(
        'CronJob',
        'batch/v1',
        {
          schedule: '* * * * *',
          jobTemplate: { spec: { template: { spec: { containers: [container()] } } } },
        },
        'a'.repeat(53),
      ),
      errors: ['metadata.name FieldValueInvalid'],
      messages: ['must be no more than 52 characters'],
    },
    {
      name: 'ReplicationController template path',
      obj: workload('ReplicationController', 'v1', { template }),
      errors: ['spec.template.spec.containers[0].ports[0].name FieldValueInvalid'],
    },
    {
      name: 'StatefulSet: the API server does not validate the pod template spec',
      obj: workload('StatefulSet', 'apps/v1', {
        serviceName: 'app',
        selector: { matchLabels: { app: 'app' } },
        template,
      }),
      errors: [],
    },
    {
      name: 'StatefulSet names are DNS labels',
      obj: workload(
        'StatefulSet',
        'apps/v1',
        { selector: { matchLabels: { app: 'app' } }, template: { spec: { containers: [container()] } } },
        'db.v1',
      ),
      errors: ['metadata.name FieldValueInvalid'],
    },
  ]);

  it('validateTemplateAsPod reports what the StatefulSet controller’s Pods would be told', () => {
    const m = load(
      workload('StatefulSet', 'apps/v1', {
        selector: { matchLabels: { app: 'app' } },
        template: {
          spec: {
            hostNetwork: true,
            containers: [
              container({ name: 'a', ports: [{ containerPort: 80 }] }),
              container({ name: 'b', ports: [{ name: 'Web', containerPort: 80 }] }),
            ],
          },
        },
      }),
    );
    expect(keys(validateTemplateAsPod('StatefulSet', m.object as KindMap[WorkloadKind]))).toEqual([
      'spec.template.spec.containers[1].ports[0].hostPort FieldValueDuplicate',
      'spec.template.spec.containers[1].ports[0].name FieldValueInvalid',
    ]);
  });
});

describe('Ingress', () => {
  const path = (p: string | undefined, pathType: string | undefined, b: unknown = backend()) => ({
    ...(p === undefined ? {} : { path: p }),
    ...(pathType === undefined ? {} : { pathType }),
    backend: b,
  });
  runCases([
    {
      name: 'wildcard host forms',
      obj: ingress({
        rules: [
          rule([path('/', 'Prefix')], '*.example.com'),
          rule([path('/', 'Prefix')], '*.*.example.com'),
          rule([path('/', 'Prefix')], '*example.com'),
          rule([path('/', 'Prefix')], 'Example.com'),
          rule([path('/', 'Prefix')], 'example.com:8080'),
        ],
      }),
      errors: [
        'spec.rules[1].host FieldValueInvalid',
        'spec.rules[2].host FieldValueInvalid',
        'spec.rules[3].host FieldValueInvalid',
        'spec.rules[4].host FieldValueInvalid',
      ],
    },
    {
      name: 'an IPv6 host is an IP and not a subdomain either',
      obj: ingress({ rules: [rule([path('/', 'Prefix')], '::1')] }),
      errors: ['spec.rules[0].host FieldValueInvalid', 'spec.rules[0].host FieldValueInvalid'],
      messages: ['must be a DNS name, not an IP address'],
    },
    {
      name: 'path sequences: one error per sequence and suffix',
      obj: ingress({ rules: [rule([path('/a//b/./c/../%2f%2F/.', 'Exact')])] }),
      errors: Array(6).fill('spec.rules[0].http.paths[0].path FieldValueInvalid'),
      messages: [
        "must not contain '//'",
        "must not contain '/./'",
        "must not contain '/../'",
        "must not contain '%2f'",
        "must not contain '%2F'",
        "cannot end with '/.'",
      ],
    },
    {
      name: 'Prefix with an empty path is not absolute; ImplementationSpecific skips the sequence checks',
      obj: ingress({ rules: [rule([path(undefined, 'Prefix'), path('/a//b', 'ImplementationSpecific')])] }),
      errors: ['spec.rules[0].http.paths[0].path FieldValueInvalid'],
    },
    {
      name: 'backends: both kinds, neither, both port forms, no port, bad names',
      obj: ingress({
        rules: [
          rule([
            path('/a', 'Prefix', { ...backend(), resource: { kind: 'Bucket', name: 'b' } }),
            path('/b', 'Prefix', {}),
            path('/c', 'Prefix', backend({ name: 'http', number: 80 })),
            path('/d', 'Prefix', backend({})),
            path('/e', 'Prefix', backend({ name: 'HTTP' }, 'Web')),
            path('/f', 'Prefix', {
              resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'a/b' },
            }),
          ]),
        ],
      }),
      errors: [
        'spec.rules[0].http.paths[0].backend FieldValueInvalid',
        'spec.rules[0].http.paths[1].backend FieldValueInvalid',
        'spec.rules[0].http.paths[2].backend FieldValueInvalid',
        'spec.rules[0].http.paths[3].backend FieldValueRequired',
        'spec.rules[0].http.paths[4].backend.service.name FieldValueInvalid',
        'spec.rules[0].http.paths[4].backend.service.port.name FieldValueInvalid',
        'spec.rules[0].http.paths[4].backend.service.port.name FieldValueInvalid',
        'spec.rules[0].http.paths[5].backend.resource.name FieldValueInvalid',
      ],
      messages: ['cannot set both resource and service backends', 'resource or service backend is required'],
    },
    {
      name: 'TLS hosts follow the host rules; secretName is a DNS subdomain',
      obj: ingress({
        defaultBackend: backend(),
        tls: [{ hosts: ['*.example.com', 'a_b.example.com', '*'], secretName: 'Web_TLS' }],
      }),
      errors: [
        'spec.tls[0].hosts[1] FieldValueInvalid',
        'spec.tls[0].hosts[2] FieldValueInvalid',
        'spec.tls[0].secretName FieldValueInvalid',
      ],
    },
    {
      name: 'ingress.class annotation must match ingressClassName',
      obj: ingress(
        { ingressClassName: 'nginx', defaultBackend: backend() },
        { name: 'web', annotations: { 'kubernetes.io/ingress.class': 'traefik' } },
      ),
      errors: ['annotations.kubernetes.io/ingress.class FieldValueInvalid'],
    },
    {
      name: 'legacy extensions/v1beta1 Ingress is validated in its v1 shape (pathType ImplementationSpecific)',
      obj: {
        apiVersion: 'extensions/v1beta1',
        kind: 'Ingress',
        metadata: { name: 'web' },
        spec: {
          rules: [
            {
              host: 'example.com',
              http: { paths: [{ path: 'api', backend: { serviceName: 'web', servicePort: 'HTTP' } }] },
            },
          ],
        },
      },
      errors: [
        'spec.rules[0].http.paths[0].backend.service.port.name FieldValueInvalid',
        'spec.rules[0].http.paths[0].backend.service.port.name FieldValueInvalid',
        'spec.rules[0].http.paths[0].path FieldValueInvalid',
      ],
    },
  ]);
});

describe('NetworkPolicy', () => {
  runCases([
    {
      name: 'port 0 is invalid',
      obj: npPorts({ port: 0 }),
      errors: ['spec.ingress[0].ports[0].port FieldValueInvalid'],
    },
    {
      name: 'endPort below port and above 65535 at once',
      obj: npPorts({ port: 70000, endPort: 65536 }),
      errors: [
        'spec.ingress[0].ports[0].endPort FieldValueInvalid',
        'spec.ingress[0].ports[0].endPort FieldValueInvalid',
        'spec.ingress[0].ports[0].port FieldValueInvalid',
      ],
      messages: ['must be greater than or equal to `port`', 'must be between 1 and 65535, inclusive'],
    },
    {
      name: 'endPort with a named port',
      obj: npPorts({ port: 'http', endPort: 8080 }),
      errors: ['spec.ingress[0].ports[0].endPort FieldValueInvalid'],
      messages: ['may not be specified when `port` is non-numeric'],
    },
    {
      name: 'a quoted number is a port name',
      obj: npPorts({ port: '8080' }),
      errors: ['spec.ingress[0].ports[0].port FieldValueInvalid'],
      messages: ['at least one letter'],
    },
    {
      name: 'protocol list is not sorted',
      obj: netpol({ egress: [{ ports: [{ protocol: 'tcp', port: 53 }] }] }),
      errors: ['spec.egress[0].ports[0].protocol FieldValueNotSupported'],
      messages: ['supported values: "TCP", "UDP", "SCTP"'],
    },
    {
      name: 'peers: empty, ipBlock with a selector, except outside cidr',
      obj: netpol({
        ingress: [
          {
            from: [
              {},
              { ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} },
              { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16', '192.168.0.0/16', '10.0.0.0/8'] } },
              { ipBlock: { cidr: '10.0.0.0/33' } },
            ],
          },
        ],
      }),
      errors: [
        'spec.ingress[0].from[0] FieldValueRequired',
        'spec.ingress[0].from[1] FieldValueForbidden',
        'spec.ingress[0].from[2].ipBlock.except[1] FieldValueInvalid',
        'spec.ingress[0].from[2].ipBlock.except[2] FieldValueInvalid',
        'spec.ingress[0].from[3].ipBlock.cidr FieldValueInvalid',
      ],
    },
    {
      name: 'selectors: operators and values',
      obj: netpol({
        podSelector: {
          matchExpressions: [
            { key: 'app', operator: 'In' },
            { key: 'tier', operator: 'Exists', values: ['x'] },
            { key: 'x', operator: 'Matches', values: ['y'] },
          ],
        },
      }),
      errors: [
        'spec.podSelector.matchExpressions[0].values FieldValueRequired',
        'spec.podSelector.matchExpressions[1].values FieldValueForbidden',
        'spec.podSelector.matchExpressions[2].operator FieldValueInvalid',
      ],
    },
    {
      name: 'policyTypes must be Ingress or Egress',
      obj: netpol({ policyTypes: ['Ingress', 'Both'] }),
      errors: ['spec.policyTypes[1] FieldValueNotSupported'],
    },
  ]);
});

describe('kinds without rules', () => {
  it('returns [] for ConfigMaps and Namespaces', () => {
    expect(
      validateObject(load({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } })),
    ).toEqual([]);
    expect(validateObject(load({ apiVersion: 'v1', kind: 'Namespace', metadata: {} }))).toEqual([]);
  });
});
