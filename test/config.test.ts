import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import {
  ConfigError,
  type ConfigProblem,
  findConfigFile,
  formatConfigProblem,
  type PortchainConfig,
  parseConfig,
} from '../src/config/config.js';
import { resolveSettings, SettingsError } from '../src/config/options.js';
import type { Finding } from '../src/model/finding.js';
import { allRuleMetas } from '../src/rules/registry.js';
import { applyRuleSettings } from '../src/rules/run.js';
import { tempTree } from './helpers/cli.js';
import { repoRoot } from './helpers/shared.js';

const ids = allRuleMetas.map((m) => m.id);

function problems(text: string): string[] {
  try {
    parseConfig(text, '.portchain.yaml', ids);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.map((p: ConfigProblem) => formatConfigProblem(p));
  }
  throw new Error('expected a ConfigError');
}

describe('config file search', () => {
  it('finds the nearest .portchain.yaml upward, and stops at the repository root', () => {
    const root = tempTree({});
    mkdirSync(join(root, 'repo', '.git'), { recursive: true });
    mkdirSync(join(root, 'repo', 'deploy', 'prod'), { recursive: true });
    writeFileSync(join(root, '.portchain.yaml'), 'failOn: never\n'); // above the repository: never read
    expect(findConfigFile(join(root, 'repo', 'deploy', 'prod'))).toBeUndefined();
    writeFileSync(join(root, 'repo', '.portchain.yaml'), 'failOn: warning\n');
    expect(findConfigFile(join(root, 'repo', 'deploy', 'prod'))).toBe(join(root, 'repo', '.portchain.yaml'));
    writeFileSync(join(root, 'repo', 'deploy', '.portchain.yml'), '{}\n');
    expect(findConfigFile(join(root, 'repo', 'deploy', 'prod'))).toBe(
      join(root, 'repo', 'deploy', '.portchain.yml'),
    );
  });

  it('searches up to the filesystem root when there is no repository', () => {
    const root = tempTree({ '.portchain.yaml': '{}\n' });
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    expect(findConfigFile(join(root, 'a', 'b'))).toBe(join(root, '.portchain.yaml'));
  });
});

describe('config validation', () => {
  it('accepts every setting', () => {
    const config = parseConfig(
      `rules:
  node-port-allocation: warning
  api-validation: off
ingressNamespace: ingress-nginx
nodePortRange: "30000-32767"
failOn: warning
namespace: shop
images:
  - id: my-app
    match: [registry.example.com/my-app]
    ports: [{ port: 8080, protocol: TCP, purpose: HTTP }]
`,
      '.portchain.yaml',
      ids,
    );
    expect(config).toEqual({
      rules: { 'node-port-allocation': 'warning', 'api-validation': 'off' },
      ingressNamespace: 'ingress-nginx',
      nodePortRange: '30000-32767',
      failOn: 'warning',
      namespace: 'shop',
      images: [
        {
          id: 'my-app',
          match: ['registry.example.com/my-app'],
          ports: [{ port: 8080, protocol: 'TCP', purpose: 'HTTP' }],
          source: '.portchain.yaml',
        },
      ],
    });
  });

  it('checks image knowledge entries and fills in what a config file need not say', () => {
    const config = parseConfig(
      `images:
  - id: my-app
    match: [registry.example.com/team/app]
    ports: [{ port: 9000 }, { port: 9001, protocol: UDP, purpose: metrics }]
    portEnv: [{ name: APP_PORT }]
    portFlags: [{ flag: --listen, format: hostport, appliesTo: all }]
    source: https://example.com/app/Dockerfile
`,
      'ci/portchain.yaml',
      ids,
    );
    expect(config.images).toEqual([
      {
        id: 'my-app',
        match: ['registry.example.com/team/app'],
        ports: [
          { port: 9000, protocol: 'TCP', purpose: 'declared in ci/portchain.yaml' },
          { port: 9001, protocol: 'UDP', purpose: 'metrics' },
        ],
        portEnv: [{ name: 'APP_PORT' }],
        portFlags: [{ flag: '--listen', format: 'hostport', appliesTo: 'all' }],
        source: 'https://example.com/app/Dockerfile',
      },
    ]);
    expect(
      problems(`images:
  - id: x
    ports:
      - port: 70000
        protocol: tcp
    portFlags: [{ flag: --port, format: port, appliesTo: first }]
    match: []
    listens: 80
`),
    ).toEqual([
      '.portchain.yaml:4:15: images[0].ports[0].port: must be at most 65535, not 70000',
      '.portchain.yaml:5:19: images[0].ports[0].protocol: must be one of TCP, UDP, SCTP, not "tcp"',
      '.portchain.yaml:6:58: images[0].portFlags[0].appliesTo: must be a port number (1-65535) or "all", not "first"',
      '.portchain.yaml:7:12: images[0].match: must list at least 1 item',
      '.portchain.yaml:8:5: images[0].listens: unknown setting; the settings are id, match, ports, portEnv, portFlags, honoursPORT, configFile, configArgs, programs, variants, complete, requires, argv, positionalPort, valueFlags, hostFlags, hostEnv, source, note',
    ]);
    expect(problems('images:\n  - id: x\n    ports: []\n')).toEqual([
      '.portchain.yaml:2:5: images[0]: "match" is required',
    ]);
  });

  it('accepts an empty file and a file of comments', () => {
    expect(parseConfig('', 'c', ids)).toEqual({});
    expect(parseConfig('# nothing yet\n', 'c', ids)).toEqual({});
  });

  it('reports an unknown rule at its key, with the closest id', () => {
    expect(
      problems('failOn: error\nrules:\n  api-validation: warning\n  node-port-alocation: off\n  foo: off\n'),
    ).toEqual([
      '.portchain.yaml:4:3: rules.node-port-alocation: unknown rule "node-port-alocation"; did you mean "node-port-allocation"?',
      '.portchain.yaml:5:3: rules.foo: unknown rule "foo"; `portchain rules` lists them',
    ]);
  });

  it('reports schema violations at the offending value or key', () => {
    expect(
      problems(`rules:
  api-validation: fatal
failOn: sometimes
namespace: Shop
nodePortRange: 30000
images: 3
colour: true
`),
    ).toEqual([
      '.portchain.yaml:2:19: rules.api-validation: must be one of off, error, warning, info, not "fatal"',
      '.portchain.yaml:3:9: failOn: must be one of error, warning, info, never, not "sometimes"',
      '.portchain.yaml:4:12: namespace: invalid value "Shop": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character',
      '.portchain.yaml:5:16: nodePortRange: must be a string, not 30000',
      '.portchain.yaml:6:9: images: must be a list (image knowledge) or a mapping (image → local command), not 3',
      '.portchain.yaml:7:1: colour: unknown setting; the settings are rules, failOn, namespace, ingressNamespace, nodePortRange, images',
    ]);
    expect(problems('images:\n  - nginx\n')).toEqual([
      '.portchain.yaml:2:5: images[0]: must be a mapping, not "nginx"',
    ]);
    expect(problems('failon: never\n')).toEqual([
      '.portchain.yaml:1:1: failon: unknown setting; did you mean "failOn"?',
    ]);
    expect(problems('- rules\n')).toEqual(['.portchain.yaml:1:1: must be a mapping, not a list']);
  });

  it('checks the node-port range as the API server parses it', () => {
    expect(problems('nodePortRange: "32767-30000"\n')).toEqual([
      '.portchain.yaml:1:16: nodePortRange: end port cannot be less than start port: 32767-30000',
    ]);
    expect(parseConfig('nodePortRange: "30000+2767"\n', 'c', ids)).toEqual({ nodePortRange: '30000+2767' });
  });

  it('reports YAML errors and duplicate keys with their position', () => {
    expect(problems('rules: {api-validation: off\n')[0]).toMatch(/^\.portchain\.yaml:2:1: /);
    expect(problems('failOn: error\nfailOn: never\n')).toEqual([
      '.portchain.yaml:2:1: Map keys must be unique',
    ]);
  });

  it('reads `off` as a string (YAML 1.2), not as false', () => {
    expect(parseConfig('rules: {api-validation: off}\n', 'c', ids).rules).toEqual({
      'api-validation': 'off',
    });
  });
});

describe('schema/portchain-config.schema.json', () => {
  it('is a valid draft-07 schema that names exactly the settings PortchainConfig has', () => {
    const schema = JSON.parse(readFileSync(join(repoRoot, 'schema', 'portchain-config.schema.json'), 'utf8'));
    new Ajv({ strict: true }).compile(schema);
    const keys: (keyof PortchainConfig)[] = [
      'rules',
      'failOn',
      'namespace',
      'ingressNamespace',
      'nodePortRange',
      'images',
    ];
    expect(Object.keys(schema.properties).sort()).toEqual([...keys].sort());
    expect(schema.properties.rules.additionalProperties.enum).toEqual(['off', 'error', 'warning', 'info']);
  });
});

describe('settings: config file and flags', () => {
  it('maps every setting onto CheckOptions', () => {
    const image = { id: 'x', match: ['x'], ports: [], source: '.portchain.yaml' };
    const s = resolveSettings(
      {
        rules: { 'api-validation': 'off', 'node-port-allocation': 'warning' },
        namespace: 'shop',
        nodePortRange: '30000-30099',
        ingressNamespace: 'ingress-nginx',
        images: [image],
        failOn: 'warning',
      },
      {},
      ids,
    );
    expect(s).toEqual({
      failOn: 'warning',
      check: {
        disabled: new Set(['api-validation']),
        severities: { 'node-port-allocation': 'warning' },
        defaultNamespace: 'shop',
        nodePortRange: { base: 30000, size: 100 },
        ingressNamespace: 'ingress-nginx',
        extraImages: [image],
      },
    });
  });

  it('lets flags override the file', () => {
    const s = resolveSettings(
      {
        rules: { 'api-validation': 'off' },
        namespace: 'shop',
        failOn: 'warning',
        nodePortRange: '30000-30099',
      },
      {
        namespace: 'web',
        failOn: 'never',
        nodePortRange: '31000-31009',
        rules: ['api-validation,node-port-allocation'],
      },
      ids,
    );
    expect(s.failOn).toBe('never');
    expect(s.check.defaultNamespace).toBe('web');
    expect(s.check.nodePortRange).toEqual({ base: 31000, size: 10 });
    expect(s.check.only).toEqual(new Set(['api-validation', 'node-port-allocation']));
    expect(s.check.disabled).toBeUndefined(); // --rule api-validation runs it although the file turns it off
    expect(resolveSettings({}, { disable: ['api-validation'] }, ids).check.disabled).toEqual(
      new Set(['api-validation']),
    );
    expect(resolveSettings({}, {}, ids)).toEqual({ failOn: 'error', check: {} });
  });

  it('rejects unknown rule ids and bad ranges on the command line', () => {
    expect(() => resolveSettings({}, { rules: ['api-validaton'] }, ids)).toThrow(
      new SettingsError('--rule api-validaton: unknown rule "api-validaton"; did you mean "api-validation"?'),
    );
    expect(() => resolveSettings({}, { disable: ['nope'] }, ids)).toThrow(
      /--disable nope: unknown rule "nope"/,
    );
    expect(() => resolveSettings({}, { nodePortRange: '1-2-3' }, ids)).toThrow(SettingsError);
  });

  it('applies disabled rules and severities to input findings too', () => {
    const f = (rule: string): Finding => ({
      rule,
      severity: 'error',
      message: rule,
      object: null,
      field: null,
      location: null,
    });
    const out = applyRuleSettings([f('yaml-syntax'), f('yaml-duplicate-key'), f('api-validation')], {
      disabled: new Set(['yaml-syntax']),
      severities: { 'yaml-duplicate-key': 'warning' },
      only: new Set(['node-port-allocation']),
    });
    expect(out.map((x) => [x.rule, x.severity])).toEqual([
      ['yaml-duplicate-key', 'warning'],
      ['api-validation', 'error'],
    ]);
  });
});

describe('images from the config file', () => {
  it('reach the listening inference, before the built-in knowledge', () => {
    const config = parseConfig(
      'images:\n  - id: team-nginx\n    match: [registry.example.com/team/nginx, nginx]\n    ports: [{ port: 9000, purpose: HTTP }]\n',
      '.portchain.yaml',
      ids,
    );
    const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${image}
`;
    const listensOn = (image: string, options = resolveSettings(config, {}, ids).check) => {
      const { graph } = check([{ name: 'd.yaml', text: deployment(image) }], { ...options, only: new Set() });
      const pod = graph.pods[0]!;
      return graph.listening(pod, pod.pod.spec.containers[0]!).ports.map((p) => p.port);
    };
    expect(listensOn('registry.example.com/team/nginx:1.2')).toEqual([9000]);
    expect(listensOn('nginx:1.27')).toEqual([9000]); // the config wins over the built-in nginx entry
    expect(listensOn('nginx:1.27', {})).toEqual([80]);
  });
});
