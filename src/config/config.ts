/**
 * `.portchain.yaml`: found upward from the working directory (stopping at the filesystem root or at a
 * folder that holds .git, the top of a repository), or named with `--config`. It is checked against
 * schema/portchain-config.schema.json and then against what only the code knows (rule ids, the node-port
 * range syntax); every problem carries file:line:column, like a finding.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import type { Document, LineCounter, Node } from 'yaml';
import type { ImageKnowledge, ImagePort } from '../knowledge/images.js';
import type { Severity } from '../model/finding.js';
import { yamlLib } from '../model/yaml-lib.js';
import { normaliseImage } from '../semantics/listening.js';
import { parseNodePortRange } from '../semantics/node-ports.js';

/** The names looked for, in this order, in each folder. */
export const CONFIG_FILE_NAMES: readonly string[] = ['.portchain.yaml', '.portchain.yml'];

export type RuleSetting = 'off' | Severity;
export type FailOn = Severity | 'never';

/** The configuration file, as validated. Every field is optional: an empty file is a valid config. */
export interface PortchainConfig {
  /** Per rule id: `off`, or the severity its findings get. */
  readonly rules?: Readonly<Record<string, RuleSetting>>;
  readonly failOn?: FailOn;
  /** Namespace of objects that name none. */
  readonly namespace?: string;
  /** Namespace the ingress controller runs in (for NetworkPolicy checks of Ingress traffic). */
  readonly ingressNamespace?: string;
  /** The API server's --service-node-port-range, as written (`30000-32767`). */
  readonly nodePortRange?: string;
  /** Extra image knowledge, consulted before the built-in entries; `source` and `purpose` default to the file. */
  readonly images?: readonly ImageKnowledge[];
  /**
   * `images:` written as a mapping: image reference → the local command `portchain up` runs for its
   * containers (workingDir made absolute, against the file's folder, when read from a file).
   */
  readonly imageCommands?: Readonly<Record<string, ImageCommand>>;
}

/** A local program standing for an image's process in `portchain up` (see the schema's imageCommand). */
export interface ImageCommand {
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly workingDir?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** The program listens on $PORT; without `command`, the simulated app serving one page on $PORT runs. */
  readonly honoursPort?: boolean;
}

export interface LoadedConfig {
  /** The file as shown in messages (relative to the working directory when found by search). */
  readonly file: string;
  readonly config: PortchainConfig;
}

export interface ConfigProblem {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** The setting, in dotted notation (`rules.foo`, `images[1]`); empty for the file as a whole. */
  readonly field: string;
  readonly message: string;
}

export function formatConfigProblem(p: ConfigProblem): string {
  const at = p.line !== undefined ? `:${p.line}:${p.column ?? 1}` : '';
  return `${p.file}${at}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map(formatConfigProblem).join('\n'));
  }
}

const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/** The nearest config file at or above `cwd`, not above the repository root; undefined when none. */
export function findConfigFile(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    for (const name of CONFIG_FILE_NAMES) {
      const p = join(dir, name);
      if (isFile(p)) return p;
    }
    if (existsSync(join(dir, '.git'))) return undefined;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

// ---- validation ----

const SCHEMA_URL = new URL('../../schema/portchain-config.schema.json', import.meta.url);
let compiled: ValidateFunction | undefined;

/**
 * Compiled once, on first use: most runs have no config file and never pay for it, nor for loading ajv
 * (a CommonJS package, so `require` can load it when it is needed).
 */
function schemaValidator(): ValidateFunction {
  if (!compiled) {
    const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as Record<string, unknown>;
    // useDefaults fills `protocol: TCP` in image ports, as the Kubernetes API defaults container ports.
    compiled = new Ajv({ allErrors: true, verbose: true, useDefaults: true }).compile(schema);
  }
  return compiled;
}

type Segment = string | number;

/** `rules.foo`, `images[1].ports`. */
export function renderField(segments: readonly Segment[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

/** A JSON pointer (`/images/1`) as path segments; array indices become numbers. */
function pointerSegments(pointer: string, data: unknown): Segment[] {
  if (pointer === '') return [];
  const out: Segment[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg: Segment = Array.isArray(node) ? Number(key) : key;
    out.push(seg);
    node = (node as Record<string | number, unknown> | undefined)?.[seg];
  }
  return out;
}

/** The line and column of a setting: its key when `atKey`, else its value; the nearest parent when absent. */
function locate(
  doc: Document,
  lines: LineCounter,
  segments: readonly Segment[],
  atKey: boolean,
): { line: number; column: number } {
  const { isMap, isPair, isScalar, isSeq } = yamlLib();
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  segments.forEach((seg, i) => {
    if (node === undefined) return;
    const last = i === segments.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) {
        node = undefined;
        return;
      }
      const keyNode = pair.key as Node;
      const valueNode = pair.value as Node | null;
      offset = (last && atKey) || !valueNode?.range ? (keyNode.range?.[0] ?? offset) : valueNode.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      offset = item?.range?.[0] ?? offset;
      node = item;
    } else node = undefined;
  });
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

const RFC1123_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : JSON.stringify(v);

function schemaMessage(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return unknownSetting(e);
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).join(', ')}, not ${describe(e.data)}`;
    case 'type':
      if (e.instancePath === '/images')
        return `must be a list (image knowledge) or a mapping (image → local command), not ${describe(e.data)}`;
      return `must be ${p.type === 'object' ? 'a mapping' : p.type === 'array' ? 'a list' : `a ${String(p.type)}`}, not ${describe(e.data)}`;
    case 'pattern':
      return `invalid value ${describe(e.data)}: ${RFC1123_LABEL}`;
    case 'required':
      return `"${String(p.missingProperty)}" is required`;
    case 'minimum':
      return `must be at least ${String(p.limit)}, not ${describe(e.data)}`;
    case 'maximum':
      return `must be at most ${String(p.limit)}, not ${describe(e.data)}`;
    case 'minItems':
      return `must list at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`;
    case 'anyOf':
      // Only `appliesTo` has alternatives.
      return `must be a port number (1-65535) or "all", not ${describe(e.data)}`;
    case 'maxLength':
      return `must be no more than ${String(p.limit)} characters`;
    case 'minLength':
      return 'must not be empty';
    default:
      return e.message ?? 'invalid';
  }
}

/** Levenshtein distance, for "did you mean" on rule ids. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known word closest to `word`, when it is close enough to be a typo. */
function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = distance(word.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** `unknown rule "foo"`, with the closest known id when one is close. */
export function unknownRuleMessage(id: string, known: readonly string[]): string {
  const best = closest(id, known);
  return `unknown rule "${id}"${best ? `; did you mean "${best}"?` : '; `portchain rules` lists them'}`;
}

function unknownSetting(e: ErrorObject): string {
  const name = (e.params as { additionalProperty: string }).additionalProperty;
  const known = Object.keys((e.parentSchema?.properties ?? {}) as Record<string, unknown>);
  const best = closest(name, known);
  return `unknown setting${best ? `; did you mean "${best}"?` : `; the settings are ${known.join(', ')}`}`;
}

const byPosition = (problems: ConfigProblem[]) =>
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));

/** Parses and validates config text; throws ConfigError listing every problem. */
export function parseConfig(text: string, file: string, knownRules: readonly string[]): PortchainConfig {
  const { LineCounter, parseDocument } = yamlLib();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = [];
  const at = (segments: readonly Segment[], atKey: boolean) => ({
    file,
    ...locate(doc, lines, segments, atKey),
  });

  for (const e of doc.errors) {
    const { line, col } = lines.linePos(e.pos[0]);
    problems.push({ file, line, column: col, field: '', message: e.message.split('\n')[0] ?? e.message });
  }
  if (problems.length > 0) throw new ConfigError(problems);

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    throw new ConfigError([{ file, line: 1, column: 1, field: '', message: (e as Error).message }]);
  }
  const validate = schemaValidator();
  if (!validate(value)) {
    // The branches of an anyOf each fail; its own error says what is allowed.
    // An if/then/else reports its branch's errors and then its own `if` one, which adds nothing.
    const shown = (x: ErrorObject) => !x.schemaPath.includes('/anyOf/') && x.keyword !== 'if';
    for (const e of (validate.errors ?? []).filter(shown)) {
      const segments = pointerSegments(e.instancePath, value);
      const extra = e.keyword === 'additionalProperties';
      if (extra) segments.push(String((e.params as { additionalProperty: string }).additionalProperty));
      problems.push({ ...at(segments, extra), field: renderField(segments), message: schemaMessage(e) });
    }
  }

  // What the schema cannot know; checked even when it failed, so one run reports every problem.
  const config = value as PortchainConfig;
  const rules: unknown = config.rules;
  const known = new Set(knownRules);
  if (typeof rules === 'object' && rules !== null && !Array.isArray(rules)) {
    for (const id of Object.keys(rules).filter((k) => !known.has(k))) {
      problems.push({
        ...at(['rules', id], true),
        field: `rules.${id}`,
        message: unknownRuleMessage(id, knownRules),
      });
    }
  }
  if (typeof config.nodePortRange === 'string' && config.nodePortRange !== '') {
    try {
      parseNodePortRange(config.nodePortRange);
    } catch (e) {
      problems.push({
        ...at(['nodePortRange'], false),
        field: 'nodePortRange',
        message: (e as Error).message,
      });
    }
  }
  const images: unknown = config.images;
  if (typeof images === 'object' && images !== null && !Array.isArray(images)) {
    for (const [image, c] of Object.entries(images as Record<string, ImageCommand>)) {
      if (typeof c === 'object' && c !== null && c.command === undefined && c.honoursPort !== true)
        problems.push({
          ...at(['images', image], true),
          field: `images.${image}`,
          message: 'says neither `command` (the program to run) nor `honoursPort: true`',
        });
    }
  }
  if (problems.length > 0) throw new ConfigError(byPosition(problems));
  if (config.images && !Array.isArray(config.images)) {
    const commands = config.images as unknown as Record<string, ImageCommand>;
    const { images: _mapping, ...rest } = config;
    const knowledge = honoursPortKnowledge(commands, file);
    return { ...rest, imageCommands: commands, ...(knowledge.length > 0 ? { images: knowledge } : {}) };
  }
  return config.images ? { ...config, images: imagesWithDefaults(config.images, file) } : config;
}

/**
 * `honoursPort: true` is also a fact for the port-chain analysis: the image's program reads PORT (knowledge
 * with no default port, as an unknown image, but PORT certain).
 */
function honoursPortKnowledge(
  commands: Readonly<Record<string, ImageCommand>>,
  file: string,
): ImageKnowledge[] {
  return Object.entries(commands)
    .filter(([, c]) => c.honoursPort === true)
    .map(([image]) => ({
      id: `config:${normaliseImage(image).name}`,
      match: [normaliseImage(image).name],
      ports: [],
      honoursPORT: true,
      source: file,
    }));
}

/** What an image entry must say for the knowledge base, and a config file need not: where it comes from. */
function imagesWithDefaults(images: readonly ImageKnowledge[], file: string): ImageKnowledge[] {
  const port = (p: ImagePort): ImagePort => ({ ...p, purpose: p.purpose ?? `declared in ${file}` });
  return images.map((k) => ({
    ...k,
    ports: k.ports.map(port),
    ...(k.variants ? { variants: k.variants.map((v) => ({ ...v, ports: v.ports.map(port) })) } : {}),
    source: k.source ?? file,
  }));
}

/** Reads and validates one config file; `shown` is the name used in messages. */
export function loadConfigFile(path: string, shown: string, knownRules: readonly string[]): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'no such file' : `cannot read: ${(e as Error).message}`;
    throw new ConfigError([{ file: shown, field: '', message }]);
  }
  const config = parseConfig(text, shown, knownRules);
  if (!config.imageCommands) return { file: shown, config };
  // Working directories are relative to the file's folder, as a compose file's build contexts are.
  const base = dirname(resolve(path));
  const imageCommands = Object.fromEntries(
    Object.entries(config.imageCommands).map(([image, c]) => [
      image,
      { ...c, workingDir: resolve(base, c.workingDir ?? '.') },
    ]),
  );
  return { file: shown, config: { ...config, imageCommands } };
}
