import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import AjvDraft04 from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { main } from '../src/cli/main.js';
import type { Finding, Severity } from '../src/model/finding.js';
import { artifactLocation, formatSarif, GITHUB_MAX_RESULTS } from '../src/report/sarif.js';
import { allRuleMetas } from '../src/rules/registry.js';
import { tempTree } from './helpers/cli.js';
import { corpusUnits, readSource, repoRoot } from './helpers/shared.js';

/** The official SARIF 2.1.0 schema (draft-04), as shipped by @microsoft/jest-sarif. */
const schemaPath = createRequire(import.meta.url).resolve(
  '@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json',
);
// unicodeRegExp: false because one pattern of the official schema is not a valid `u` regular expression.
const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
/** RFC 3986 characters only, and every `%` starts an escape: what a SARIF consumer can parse. */
const URI_CHARS = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
ajv.addFormat('uri-reference', URI_CHARS);
ajv.addFormat('uri', (s: string) => URI_CHARS.test(s) && /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s));
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
const validateSarif = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);

function expectValid(sarif: unknown): void {
  const ok = validateSarif(sarif);
  expect(ok ? [] : validateSarif.errors?.slice(0, 5)).toEqual([]);
}

const ONLY = 'api-validation,node-port-allocation';

async function sarifOf(args: string[], cwd: string, stdin = '') {
  let stdout = '';
  let stderr = '';
  // Only the rules these inputs are written for: other rules may see more in them.
  const code = await main(['check', ...args, '--format', 'sarif', '--no-config', '--rule', ONLY], {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    stdin: Readable.from([stdin]),
    isTTY: false,
    env: {},
    cwd,
  });
  return { code, stderr, sarif: JSON.parse(stdout) as Sarif };
}

interface SarifResult {
  ruleId: string;
  ruleIndex?: number;
  level: string;
  message: { text: string };
  locations: {
    physicalLocation: {
      artifactLocation: { uri: string; uriBaseId?: string };
      region: Record<string, number>;
    };
    logicalLocations?: { name: string; fullyQualifiedName: string; kind: string }[];
  }[];
  partialFingerprints: Record<string, string>;
  properties?: Record<string, string>;
}
interface Sarif {
  $schema: string;
  version: string;
  runs: {
    tool: {
      driver: {
        name: string;
        version: string;
        rules: { id: string; defaultConfiguration: { level: string } }[];
      };
    };
    invocations: {
      executionSuccessful: boolean;
      toolExecutionNotifications?: { message: { text: string } }[];
    }[];
    results: SarifResult[];
  }[];
}

const broken = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
  - port: 443
    targetPort: "8443"
`;

const sound = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
`;

describe('--format sarif', () => {
  it('is checked by a validator that rejects broken SARIF', () => {
    expect(validateSarif({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).toBe(false);
    expect(
      validateSarif({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{}] }] }),
    ).toBe(false);
    const badUri = { uri: 'a b.yaml' };
    const run = {
      tool: { driver: { name: 'x' } },
      results: [{ message: { text: 'm' }, locations: [{ physicalLocation: { artifactLocation: badUri } }] }],
    };
    expect(validateSarif({ version: '2.1.0', runs: [run] })).toBe(false);
  });

  it('is valid SARIF 2.1.0 for sound input, with a results array even when empty', async () => {
    const dir = tempTree({ 'svc.yaml': sound });
    const { code, sarif } = await sarifOf([join(dir, 'svc.yaml')], dir);
    expect(code).toBe(0);
    expectValid(sarif);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toMatch(/sarif-2\.1\.0/);
    expect(sarif.runs).toHaveLength(1);
    expect(sarif.runs[0]!.results).toEqual([]);
    const driver = sarif.runs[0]!.tool.driver;
    expect(driver.name).toBe('portchain');
    expect(driver.version).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
    expect(driver.rules.map((r) => r.id)).toEqual(allRuleMetas.map((m) => m.id));
  });

  it('is valid SARIF for broken input and the bundled examples, with exact locations', async () => {
    const dir = tempTree({});
    mkdirSync(join(dir, 'k8s'));
    writeFileSync(join(dir, 'k8s', 'svc.yaml'), broken);
    const { code, sarif } = await sarifOf([join(dir, 'k8s')], dir);
    expect(code).toBe(1);
    expectValid(sarif);
    const run = sarif.runs[0]!;
    expect(run.results).toHaveLength(2);
    const r = run.results[0]!;
    expect(r.ruleId).toBe('api-validation');
    expect(run.tool.driver.rules[r.ruleIndex!]!.id).toBe('api-validation');
    expect(r.level).toBe('error');
    expect(r.message.text).toBe('Service "web" is invalid: spec.ports[1].name: Required value');
    expect(r.locations[0]!.physicalLocation).toEqual({
      artifactLocation: { uri: 'k8s/svc.yaml', uriBaseId: '%SRCROOT%' },
      region: { startLine: 11, startColumn: 5 },
    });
    expect(r.locations[0]!.logicalLocations).toEqual([
      { name: 'web', fullyQualifiedName: 'default/Service/web', kind: 'resource' },
    ]);
    expect(r.properties).toEqual({ field: 'spec.ports[1].name' });

    const examples = await sarifOf([join(repoRoot, 'examples')], repoRoot);
    expectValid(examples.sarif);
    expect(examples.sarif.runs[0]!.results.length).toBeGreaterThan(0);
    for (const res of examples.sarif.runs[0]!.results) {
      expect(res.locations[0]!.physicalLocation.artifactLocation.uri).toMatch(/^examples\/[^\\]+\.yaml$/);
    }
  });

  it('is valid SARIF for every corpus unit with every rule', () => {
    for (const unit of corpusUnits()) {
      const { findings } = check(unit.files.map(readSource));
      const sarif = JSON.parse(
        formatSarif(findings, {
          version: '0.1.0',
          informationUri: 'https://example.invalid/',
          rules: allRuleMetas,
          cwd: repoRoot,
        }),
      ) as Sarif;
      expectValid(sarif);
      expect(sarif.runs[0]!.results).toHaveLength(findings.filter((f) => f.location).length);
      for (const r of sarif.runs[0]!.results) expect(r.ruleIndex, r.ruleId).toBeDefined();
    }
  });

  it('gives the level each severity maps to and puts the fix in the message', () => {
    const f = (severity: Severity, fix?: string): Finding => ({
      rule: 'node-port-allocation',
      severity,
      message: `a ${severity}`,
      object: { apiVersion: 'v1', kind: 'Service', namespace: 'shop', name: 'web' },
      field: 'spec.ports[0].nodePort',
      location: { file: '/repo/svc.yaml', line: 3, column: 7 },
      ...(fix ? { fix } : {}),
    });
    const sarif = JSON.parse(
      formatSarif([f('error', 'Pick a free port.'), f('warning'), f('info')], {
        version: '1.2.3',
        informationUri: 'https://example.invalid/portchain',
        rules: allRuleMetas,
        cwd: '/repo',
      }),
    ) as Sarif;
    expectValid(sarif);
    const results = sarif.runs[0]!.results;
    expect(results.map((r) => r.level)).toEqual(['error', 'warning', 'note']);
    expect(results[0]!.message.text).toBe('a error\n\nFix: Pick a free port.');
    // Same rule, object and field: one fingerprint, told apart by its occurrence number.
    const prints = results.map((r) => r.partialFingerprints['portchainFinding/v1']!);
    expect(prints.map((p) => p.split(':')[1])).toEqual(['1', '2', '3']);
    expect(new Set(prints.map((p) => p.split(':')[0])).size).toBe(1);
  });

  it('keeps fingerprints stable when lines move', async () => {
    const dir = tempTree({ 'svc.yaml': broken });
    const before = await sarifOf([join(dir, 'svc.yaml')], dir);
    writeFileSync(join(dir, 'svc.yaml'), `# a comment\n# another\n${broken}`);
    const after = await sarifOf([join(dir, 'svc.yaml')], dir);
    const prints = (s: Sarif) => s.runs[0]!.results.map((r) => r.partialFingerprints['portchainFinding/v1']);
    expect(prints(after.sarif)).toEqual(prints(before.sarif));
    expect(after.sarif.runs[0]!.results[0]!.locations[0]!.physicalLocation.region.startLine).toBe(13);
    expect(new Set(prints(before.sarif)).size).toBe(2);
  });

  it('tells apart the same object defined in two files', async () => {
    const dir = tempTree({ 'prod.yaml': broken, 'staging.yaml': broken });
    const { sarif } = await sarifOf([dir], dir);
    const prints = sarif.runs[0]!.results.map((r) => r.partialFingerprints['portchainFinding/v1']!);
    expect(prints).toHaveLength(4);
    expect(new Set(prints.map((p) => p.split(':')[0])).size).toBe(4);
  });

  it('points at stdin and at files outside the working directory by URI', async () => {
    const { sarif } = await sarifOf(['-'], '/', broken);
    expectValid(sarif);
    expect(sarif.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation).toEqual({
      uri: '%3Cstdin%3E',
    });
    expect(artifactLocation('/elsewhere/my app/svc.yaml', '/repo')).toEqual({
      uri: 'file:///elsewhere/my%20app/svc.yaml',
    });
    expect(artifactLocation('k8s/a b#1.yaml', '/repo')).toEqual({
      uri: 'k8s/a%20b%231.yaml',
      uriBaseId: '%SRCROOT%',
    });
  });

  it('reports unreadable input as results and findings without a location as notifications', async () => {
    const dir = tempTree({ 'junk.yaml': 'ports: [80, 443\n' });
    const { code, sarif } = await sarifOf([join(dir, 'junk.yaml'), join(dir, 'missing.yaml')], dir);
    expect(code).toBe(1);
    expectValid(sarif);
    expect(sarif.runs[0]!.results.map((r) => r.ruleId)).toEqual(['yaml-syntax', 'input-unreadable']);

    const crashed: Finding = {
      rule: 'api-validation',
      severity: 'error',
      message: 'internal error in rule api-validation: boom',
      object: null,
      field: null,
      location: null,
    };
    const s = JSON.parse(
      formatSarif([crashed], {
        version: '0.1.0',
        informationUri: 'https://example.invalid/',
        rules: allRuleMetas,
        cwd: '/',
      }),
    ) as Sarif;
    expectValid(s);
    // GitHub rejects the whole upload when a result has no physical location.
    expect(s.runs[0]!.results).toEqual([]);
    expect(s.runs[0]!.invocations[0]!.toolExecutionNotifications?.[0]?.message.text).toContain('boom');
  });

  it(`keeps at most ${GITHUB_MAX_RESULTS} results, the most severe, and says how many were dropped`, () => {
    const findings: Finding[] = Array.from({ length: GITHUB_MAX_RESULTS + 2 }, (_, i) => ({
      rule: 'api-validation',
      severity: i < 2 ? 'info' : 'error',
      message: `finding ${i}`,
      object: { apiVersion: 'v1', kind: 'Service', namespace: 'default', name: `svc-${i}` },
      field: 'spec.ports[0].port',
      location: { file: `/repo/m/${i}.yaml`, line: 1, column: 1 },
    }));
    const sarif = JSON.parse(
      formatSarif(findings, {
        version: '0.1.0',
        informationUri: 'https://example.invalid/',
        rules: allRuleMetas,
        cwd: '/repo',
      }),
    ) as Sarif;
    const run = sarif.runs[0]!;
    expect(run.results).toHaveLength(GITHUB_MAX_RESULTS);
    expect(run.results[0]!.message.text).toBe('finding 2');
    expect(run.results.every((r) => r.level === 'error')).toBe(true);
    expect(run.invocations[0]!.toolExecutionNotifications?.[0]?.message.text).toBe(
      `2 of ${GITHUB_MAX_RESULTS + 2} results were dropped: GitHub code scanning accepts at most ${GITHUB_MAX_RESULTS} results per run, so the ${GITHUB_MAX_RESULTS} most severe are kept.`,
    );
    expectValid(sarif);
  });

  it('describes every rule with help text, markdown examples, a default level and tags', async () => {
    const { sarif } = await sarifOf(['-'], '/', sound);
    const rules = sarif.runs[0]!.tool.driver.rules as unknown as Record<string, unknown>[];
    for (const [i, m] of allRuleMetas.entries()) {
      expect(rules[i]).toMatchObject({
        id: m.id,
        shortDescription: { text: m.description },
        fullDescription: { text: m.docs.details },
        defaultConfiguration: { level: m.severity === 'info' ? 'note' : m.severity },
        properties: { tags: expect.arrayContaining(['kubernetes']) },
      });
      const help = rules[i]!.help as { text: string; markdown: string };
      expect(help.markdown).toContain(m.docs.bad);
      expect(help.markdown).toContain(m.docs.good);
      expect(help.markdown).toContain('```');
    }
  });
});
