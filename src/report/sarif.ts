/**
 * SARIF 2.1.0 as GitHub code scanning accepts it: one run, every rule in tool.driver.rules, one result per
 * finding at its file:line:column, a `results` array even when there is nothing to report, and at most
 * 25,000 results (GitHub's limit per run; the most severe are kept and a notification says how many went).
 */
import { createHash } from 'node:crypto';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Finding, ObjectRef, Severity } from '../model/finding.js';
import { inputFindings } from '../rules/input-findings.js';
import type { RuleMeta } from '../rules/rule.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
/** GitHub code scanning rejects runs with more results ("results exceed limit"). */
export const GITHUB_MAX_RESULTS = 25_000;
const SRCROOT = '%SRCROOT%';
const FINGERPRINT_KEY = 'portchainFinding/v1';

export interface SarifOptions {
  readonly version: string;
  readonly informationUri: string;
  /** Every rule portchain knows, in the order they are listed (ruleIndex points into it). */
  readonly rules: readonly RuleMeta[];
  /** Relative artifact URIs are relative to this folder (the working directory). */
  readonly cwd: string;
  readonly maxResults?: number;
  /** Extra facts per finding for `result.properties`, e.g. the Helm template a line was rendered from. */
  readonly properties?: (f: Finding) => Record<string, string> | undefined;
}

type Level = 'error' | 'warning' | 'note';

interface Notification {
  readonly level: Level;
  readonly message: { readonly text: string };
  readonly associatedRule?: { readonly id: string; readonly index?: number };
}
const LEVEL: Record<Severity, Level> = { error: 'error', warning: 'warning', info: 'note' };
const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** `node-port-allocation` → `NodePortAllocation`. */
const pascal = (id: string) =>
  id
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

const fenceFor = (text: string) => (/^\s*(portchain|kubectl|helm)\s/.test(text) ? 'sh' : 'yaml');

function sarifRule(m: RuleMeta, inputIds: ReadonlySet<string>) {
  const bad = m.docs.bad;
  const good = m.docs.good;
  return {
    id: m.id,
    name: pascal(m.id),
    shortDescription: { text: m.description },
    fullDescription: { text: m.docs.details },
    help: {
      text: `${m.description}\n\n${m.docs.details}\n\nBroken:\n${bad}\n\nFixed:\n${good}`,
      markdown: [
        m.description,
        '',
        m.docs.details,
        '',
        'Broken:',
        '',
        `\`\`\`${fenceFor(bad)}`,
        bad,
        '```',
        '',
        'Fixed:',
        '',
        `\`\`\`${fenceFor(good)}`,
        good,
        '```',
      ].join('\n'),
    },
    defaultConfiguration: { level: LEVEL[m.severity] },
    properties: { tags: ['kubernetes', inputIds.has(m.id) ? 'input' : 'port-chain'] },
  };
}

/**
 * A file inside the working directory: a relative URI with forward slashes against %SRCROOT%, which is
 * how GitHub matches results to repository files. Elsewhere: an absolute file URI. `<stdin>` and other
 * pseudo-files: their name, percent-encoded.
 */
export function artifactLocation(file: string, cwd: string): { uri: string; uriBaseId?: string } {
  if (file.startsWith('<')) return { uri: encodeURIComponent(file) };
  const abs = resolve(cwd, file);
  const rel = relative(cwd, abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return { uri: pathToFileURL(abs).href };
  return { uri: rel.split(sep).map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

function logicalLocation(o: ObjectRef) {
  const fullyQualifiedName = o.namespace ? `${o.namespace}/${o.kind}/${o.name}` : `${o.kind}/${o.name}`;
  return { name: o.name, fullyQualifiedName, kind: 'resource' };
}

/**
 * Rule + object (kind, namespace, name) + field, and the file: survives line moves and rewording, and keeps
 * apart the same object defined in several files (kustomize overlays, one folder per environment).
 */
function fingerprintBase(f: Finding, cwd: string): string {
  const file = f.location ? artifactLocation(f.location.file, cwd).uri : '';
  const what = f.object
    ? [f.rule, f.object.kind, f.object.namespace ?? '', f.object.name, f.field ?? '', file]
    : [f.rule, f.field ?? '', file, f.message];
  return createHash('sha256').update(JSON.stringify(what)).digest('hex').slice(0, 32);
}

const messageText = (f: Finding) => (f.fix ? `${f.message}\n\nFix: ${f.fix}` : f.message);

/** Keeps the `max` most severe findings (stable), in their original order. */
function keepMostSevere(findings: readonly Finding[], max: number): Finding[] {
  if (findings.length <= max) return [...findings];
  const keep = findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => RANK[a.f.severity] - RANK[b.f.severity] || a.i - b.i)
    .slice(0, max)
    .sort((a, b) => a.i - b.i);
  return keep.map((x) => x.f);
}

export function formatSarif(findings: readonly Finding[], options: SarifOptions): string {
  const ruleIndex = new Map(options.rules.map((m, i) => [m.id, i]));
  const inputIds = new Set(inputFindings.map((m) => m.id));
  const max = options.maxResults ?? GITHUB_MAX_RESULTS;
  // GitHub rejects the whole file when one result has no physical location, so a finding without one (a
  // rule that crashed) becomes a tool notification instead.
  const located = findings.filter((f) => f.location !== null);
  const kept = keepMostSevere(located, max);
  const dropped = located.length - kept.length;
  const seen = new Map<string, number>();

  const results = kept.map((f) => {
    const loc = f.location!;
    const base = fingerprintBase(f, options.cwd);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const index = ruleIndex.get(f.rule);
    const properties = { ...(f.field ? { field: f.field } : {}), ...(options.properties?.(f) ?? {}) };
    return {
      ruleId: f.rule,
      ...(index !== undefined ? { ruleIndex: index } : {}),
      level: LEVEL[f.severity],
      message: { text: messageText(f) },
      locations: [
        {
          physicalLocation: {
            artifactLocation: artifactLocation(loc.file, options.cwd),
            region: { startLine: loc.line, startColumn: loc.column },
          },
          ...(f.object ? { logicalLocations: [logicalLocation(f.object)] } : {}),
        },
      ],
      partialFingerprints: { [FINGERPRINT_KEY]: `${base}:${n}` },
      ...(Object.keys(properties).length > 0 ? { properties } : {}),
    };
  });

  const notifications: Notification[] = findings
    .filter((f) => f.location === null)
    .map((f) => {
      const index = ruleIndex.get(f.rule);
      return {
        level: LEVEL[f.severity],
        message: { text: messageText(f) },
        associatedRule: { id: f.rule, ...(index !== undefined ? { index } : {}) },
      };
    });
  if (dropped > 0) {
    notifications.push({
      level: 'warning',
      message: {
        text: `${dropped} of ${located.length} results were dropped: GitHub code scanning accepts at most ${max} results per run, so the ${max} most severe are kept.`,
      },
    });
  }

  const sarif = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'portchain',
            version: options.version,
            semanticVersion: options.version,
            informationUri: options.informationUri,
            rules: options.rules.map((m) => sarifRule(m, inputIds)),
          },
        },
        invocations: [
          {
            executionSuccessful: true,
            ...(notifications.length > 0 ? { toolExecutionNotifications: notifications } : {}),
          },
        ],
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(`${resolve(options.cwd)}${sep}`).href } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
