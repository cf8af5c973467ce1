/**
 * The last link of the port chain: which port(s) a container's process really binds. containerPort is only
 * documentation; this reads the image, its command and args, and its environment (ConfigMaps and Secrets
 * included) and says what the process listens on and how sure that is. Pure: strings are parsed, never run.
 */
import {
  type ImageKnowledge,
  type ImagePort,
  imageKnowledge,
  type PortEnv,
  type PortFlag,
  type PortFormat,
  type PortSetting,
  programKnowledge,
} from '../knowledge/images.js';
import { FieldPath } from '../model/field-path.js';
import { listText } from '../model/list-text.js';
import { isKind, type Manifest } from '../model/load.js';
import type { Container, Protocol } from '../model/types.js';

export type Confidence = 'certain' | 'likely' | 'unknown';

export interface ListeningEvidence {
  readonly port: number;
  readonly protocol: Protocol;
  readonly confidence: Confidence;
  /** One readable sentence: why we believe the process binds this port. */
  readonly because: string;
  /** Relative to the container: `env[2].valueFrom`, `args[1]`, `image`. */
  readonly field?: FieldPath;
  /** The bind address when one is known and it is not every interface (`127.0.0.1`, `localhost`). */
  readonly host?: string;
}

export interface ListeningInference {
  /** The knowledge matched by the image name, if any. */
  readonly image?: ImageKnowledge;
  readonly ports: readonly ListeningEvidence[];
  /** True when we believe these are ALL the ports the process binds. */
  readonly complete: boolean;
  readonly notes: readonly string[];
  /** Set when the ports were read from the pod's sockets (`--probe`), not inferred: see observedListening. */
  readonly observed?: ObservedPodSockets;
}

export interface ConfigLookup {
  configMap(name: string): Record<string, string> | undefined;
  /** base64-decoded `data` merged with `stringData`. */
  secret(name: string): Record<string, string> | undefined;
}

export interface ResolvedEnvVar {
  /** Undefined when it cannot be known (a ConfigMap that is not among the manifests, a fieldRef...). */
  readonly value?: string;
  /** Where it comes from, readable: `env[0].value`, `ConfigMap app-config key PORT`. */
  readonly from: string;
  readonly field: FieldPath;
  /** Why the value is unknown, or what is wrong with it. */
  readonly problem?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Image names

export interface ImageName {
  /** The registry host when it is not Docker Hub. */
  readonly registry?: string;
  /** Path without registry, tag or digest; Docker Hub's `library/` removed. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
  /** What knowledge `match` lists: `registry/repository`, or just `repository` for Docker Hub. */
  readonly name: string;
}

const DOCKER_HUB = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);

/** `docker.io/library/nginx:1.27@sha256:…` → `nginx`; `quay.io/prometheus/node-exporter:v1` → itself, untagged. */
export function normaliseImage(image: string): ImageName {
  let rest = image.trim().toLowerCase();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/').filter((p) => p !== '');
  let registry: string | undefined;
  const first = parts[0];
  if (parts.length > 1 && first && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = parts.shift();
    if (registry && DOCKER_HUB.has(registry)) registry = undefined;
  }
  if (!registry && parts.length > 1 && parts[0] === 'library') parts.shift();
  const repository = parts.join('/');
  return { registry, repository, tag, digest, name: registry ? `${registry}/${repository}` : repository };
}

export interface ImageMatch {
  readonly knowledge: ImageKnowledge;
  /** False when matched by repository path only (a mirror or private registry): less than certain. */
  readonly exact: boolean;
}

/** The knowledge for an image reference; `extra` entries win over the built-in ones. */
export function findImageKnowledge(
  image: string,
  extra: readonly ImageKnowledge[] = [],
): ImageMatch | undefined {
  const ref = normaliseImage(image);
  const all = [...extra, ...imageKnowledge];
  const exact = all.find((k) => k.match.includes(ref.name));
  if (exact) return { knowledge: exact, exact: true };
  if (!ref.registry) return undefined;
  // A mirror or pull-through cache: public.ecr.aws/docker/library/nginx, harbor.corp/prom/prometheus.
  const path = ref.repository.replace(/^(docker\/library|library)\//, '');
  const mirrored = all.find((k) => k.match.includes(path));
  return mirrored ? { knowledge: mirrored, exact: false } : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// ConfigMaps, Secrets and the environment

/** ConfigMaps and Secrets of one namespace, as the kubelet would read them. */
export function configLookupFor(namespace: string, manifests: readonly Manifest[]): ConfigLookup {
  const configMaps = new Map<string, Record<string, string>>();
  const secrets = new Map<string, Record<string, string>>();
  for (const m of manifests) {
    if (m.namespace !== namespace) continue;
    if (isKind(m, 'ConfigMap')) configMaps.set(m.name, { ...(m.object.data ?? {}) });
    else if (isKind(m, 'Secret')) {
      const data: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.object.data ?? {})) {
        data[k] = Buffer.from(String(v), 'base64').toString('utf8');
      }
      // The API server merges stringData over data.
      for (const [k, v] of Object.entries(m.object.stringData ?? {})) data[k] = String(v);
      secrets.set(m.name, data);
    }
  }
  return { configMap: (name) => configMaps.get(name), secret: (name) => secrets.get(name) };
}

export interface Expansion {
  /** Undefined when a referenced variable's value is unknown. */
  readonly text?: string;
  readonly used: readonly string[];
  /** `$(X)` left as written because X is not defined. */
  readonly missing: readonly string[];
  readonly unknown: readonly string[];
}

/**
 * Kubernetes' `$(VAR)` expansion (third_party/forked/golang/expansion): `$$` is a literal `$`, `$(VAR)` is
 * replaced when VAR is defined and kept as written when not.
 */
export function kubeExpand(input: string, lookup: (name: string) => ResolvedEnvVar | undefined): Expansion {
  let out = '';
  const used: string[] = [];
  const missing: string[] = [];
  const unknown: string[] = [];
  for (let i = 0; i < input.length; i++) {
    const c = input[i] as string;
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const next = input[i + 1] as string;
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        // An incomplete reference: `$(` is written as is and the scan goes on (tryReadVariableName).
        out += '$(';
        i++;
        continue;
      }
      const name = input.slice(i + 2, close);
      const v = lookup(name);
      if (!v) {
        missing.push(name);
        out += `$(${name})`;
      } else {
        used.push(name);
        if (v.value === undefined) unknown.push(name);
        out += v.value ?? `$(${name})`;
      }
      i = close;
    } else {
      out += c + next;
      i++;
    }
  }
  return { text: unknown.length > 0 ? undefined : out, used, missing, unknown };
}

/** Names the kubelet accepts from envFrom (validation.IsEnvVarName: C identifiers, dots and dashes allowed). */
export const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

interface EnvResolution {
  readonly vars: Map<string, ResolvedEnvVar>;
  readonly notes: string[];
  /** envFrom sources we cannot see: any variable may come from them. */
  readonly opaque: string[];
}

function resolveEnvDetailed(container: Container, lookup: ConfigLookup): EnvResolution {
  const vars = new Map<string, ResolvedEnvVar>();
  const notes: string[] = [];
  const opaque: string[] = [];
  (container.envFrom ?? []).forEach((src, i) => {
    const prefix = src.prefix ?? '';
    const base = FieldPath.root('envFrom').index(i);
    const ref = src.configMapRef
      ? { kind: 'ConfigMap', name: src.configMapRef.name ?? '', optional: src.configMapRef.optional === true }
      : src.secretRef
        ? { kind: 'Secret', name: src.secretRef.name ?? '', optional: src.secretRef.optional === true }
        : undefined;
    if (!ref) return;
    const field = base.child(ref.kind === 'ConfigMap' ? 'configMapRef' : 'secretRef');
    const data = ref.kind === 'ConfigMap' ? lookup.configMap(ref.name) : lookup.secret(ref.name);
    const withPrefix = prefix ? ` with prefix ${prefix}` : '';
    if (!data) {
      opaque.push(`${ref.kind} ${ref.name}`);
      notes.push(
        `envFrom[${i}] imports ${ref.kind} ${ref.name}${withPrefix}, which is not among the manifests` +
          (ref.optional
            ? ' (optional): the variables it may set are unknown'
            : ': the variables it sets are unknown, and without it the container does not start'),
      );
      return;
    }
    for (const [key, value] of Object.entries(data)) {
      const name = prefix + key;
      if (!ENV_NAME.test(name)) continue; // the kubelet skips invalid names (an InvalidEnvironmentVariableNames event)
      vars.set(name, {
        value,
        from: `${ref.kind} ${ref.name} key ${key}${withPrefix} (envFrom[${i}])`,
        field,
      });
    }
  });
  (container.env ?? []).forEach((e, i) => {
    const base = FieldPath.root('env').index(i);
    const from = e.valueFrom;
    if (!from) {
      const x = kubeExpand(e.value ?? '', envLookup(vars));
      const problem =
        x.unknown.length > 0
          ? `it refers to ${x.unknown.map((n) => `$(${n})`).join(', ')}, whose value is unknown`
          : undefined;
      const via = x.used.map((n) => `$(${n}): ${describeVar(n, vars.get(n))}`).join('; ');
      const from = via ? `env[${i}].value, expanding ${via}` : `env[${i}].value`;
      vars.set(e.name, { value: x.text, from, field: base.child('value'), problem });
      return;
    }
    const field = base.child('valueFrom');
    const keyRef = from.configMapKeyRef
      ? { kind: 'ConfigMap', ref: from.configMapKeyRef }
      : from.secretKeyRef
        ? { kind: 'Secret', ref: from.secretKeyRef }
        : undefined;
    if (keyRef) {
      const name = keyRef.ref.name ?? '';
      const key = keyRef.ref.key ?? '';
      const optional = keyRef.ref.optional === true;
      const where = `${keyRef.kind} ${name} key ${key}`;
      const data = keyRef.kind === 'ConfigMap' ? lookup.configMap(name) : lookup.secret(name);
      if (!data) {
        const problem = `${keyRef.kind} ${name} is not among the manifests`;
        notes.push(
          `${e.name} comes from ${where}, but ${problem}` +
            (optional ? ' (optional): its value is unknown' : ': its value is unknown'),
        );
        vars.set(e.name, { from: where, field, problem });
      } else if (!(key in data)) {
        if (optional) {
          notes.push(
            `${e.name} comes from ${where}, which has no such key (optional): the variable is not set`,
          );
        } else {
          const problem = `${keyRef.kind} ${name} has no key ${key}: the kubelet refuses to start the container (CreateContainerConfigError)`;
          notes.push(`${e.name} comes from ${where}, but ${problem}`);
          vars.set(e.name, { from: where, field, problem });
        }
      } else vars.set(e.name, { value: data[key], from: where, field });
      return;
    }
    if (from.fieldRef) {
      vars.set(e.name, {
        from: `fieldRef ${from.fieldRef.fieldPath ?? ''}`,
        field,
        problem: 'set from the pod at run time',
      });
    } else if (from.resourceFieldRef) {
      vars.set(e.name, {
        from: `resourceFieldRef ${from.resourceFieldRef.resource ?? ''}`,
        field,
        problem: 'set from the container resources at run time',
      });
    }
  });
  return { vars, notes, opaque };
}

/** The container's environment as the kubelet builds it: envFrom first, then env, `$(VAR)` expanded. */
export function resolveEnv(container: Container, env: ConfigLookup): Map<string, ResolvedEnvVar> {
  return resolveEnvDetailed(container, env).vars;
}

// ---------------------------------------------------------------------------------------------------------
// Command lines

interface Word {
  /** After expansion; undefined when it depends on a value we cannot know. */
  readonly text?: string;
  /** As written (a shell word: as written in the script). */
  readonly raw: string;
  readonly field: FieldPath;
  /** Came out of a `sh -c` script. */
  readonly shell: boolean;
  /** How variables were expanded, for the explanation: `PORT=3005 from ConfigMap app-config key PORT`. */
  readonly via: readonly string[];
  /** Why the value is unknown or broken. */
  readonly problem?: string;
}

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'busybox-sh']);
const WRAPPERS = new Set(['tini', 'tini-static', 'dumb-init', 'nohup', 'time', 'exec', 'catatonit']);
const USER_WRAPPERS = new Set(['gosu', 'su-exec']);

const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
const isPython = (p: string): boolean => /^python(\d+(\.\d+)?)?$/.test(p);

function describeVar(name: string, v: ResolvedEnvVar | undefined): string {
  if (!v) return `${name} is not defined`;
  if (v.value === undefined) return `${name} comes from ${v.from}${v.problem ? ` (${v.problem})` : ''}`;
  return `${name}=${v.value} from ${v.from}`;
}

/**
 * Variables the kubelet adds for each Service of the namespace (enableServiceLinks, on by default):
 * FOO_SERVICE_HOST, FOO_SERVICE_PORT[_NAME], FOO_PORT, FOO_PORT_80_TCP[_PROTO|_PORT|_ADDR].
 */
const SERVICE_LINK =
  /^[A-Z0-9_]+_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT|PORT_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)$/;

/** Looks a name up in the container env; Service link variables we cannot see count as unknown, not undefined. */
function envLookup(vars: Map<string, ResolvedEnvVar>): (name: string) => ResolvedEnvVar | undefined {
  return (name) =>
    vars.get(name) ??
    (SERVICE_LINK.test(name)
      ? {
          from: 'a Service link variable the kubelet may add (enableServiceLinks)',
          field: FieldPath.root('env'),
          problem: 'its value depends on the Services of the namespace',
        }
      : undefined);
}

function argWord(raw: string, field: FieldPath, vars: Map<string, ResolvedEnvVar>): Word {
  const lookup = envLookup(vars);
  const x = kubeExpand(raw, lookup);
  const via = x.used.map((n) => describeVar(n, lookup(n)));
  let problem: string | undefined;
  if (x.missing.length > 0) {
    problem = `${x.missing.map((n) => `$(${n})`).join(', ')} is not defined in the container's env, so the kubelet passes it on literally`;
  } else if (x.unknown.length > 0) {
    problem = `${x.unknown.map((n) => describeVar(n, lookup(n))).join('; ')}`;
  }
  return { text: x.text, raw, field, shell: false, via, problem };
}

type Piece =
  | { kind: 'lit'; text: string }
  | { kind: 'var'; name: string; fallback?: string }
  | { kind: 'opaque'; text: string };
type ShellToken = { kind: 'word'; pieces: Piece[]; raw: string } | { kind: 'op'; op: string };

/** Splits a `sh -c` script into words and operators; `$VAR`/`${VAR:-x}` are kept as variable pieces. */
function tokenizeShell(script: string): ShellToken[] {
  const out: ShellToken[] = [];
  let i = 0;
  const n = script.length;
  const readVar = (pieces: Piece[]): void => {
    // at script[i] === '$'
    const next = script[i + 1] ?? '';
    if (next === '{') {
      const close = script.indexOf('}', i + 2);
      const body = close < 0 ? script.slice(i + 2) : script.slice(i + 2, close);
      const m = /^([A-Za-z_][A-Za-z0-9_]*|\d+)(?::?[-=](.*))?$/.exec(body);
      pieces.push(
        m ? { kind: 'var', name: m[1] as string, fallback: m[2] } : { kind: 'opaque', text: `\${${body}}` },
      );
      i = close < 0 ? n : close + 1;
    } else if (next === '(') {
      // command substitution (or an unexpanded $(VAR)): unknowable
      let depth = 0;
      let j = i + 1;
      for (; j < n; j++) {
        if (script[j] === '(') depth++;
        else if (script[j] === ')' && --depth === 0) break;
      }
      pieces.push({ kind: 'opaque', text: script.slice(i, j + 1) });
      i = j + 1;
    } else {
      const m = /^([A-Za-z_][A-Za-z0-9_]*|\d|[@*#?$!-])/.exec(script.slice(i + 1));
      if (m) {
        pieces.push({ kind: 'var', name: m[1] as string });
        i += 1 + (m[1] as string).length;
      } else {
        pieces.push({ kind: 'lit', text: '$' });
        i++;
      }
    }
  };
  while (i < n) {
    const c = script[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && script[i] !== '\n') i++;
      continue;
    }
    if (c === '\n' || c === ';') {
      out.push({ kind: 'op', op: ';' });
      i++;
      continue;
    }
    if (c === '&' || c === '|') {
      const two = script.slice(i, i + 2);
      if (two === '&&' || two === '||') {
        out.push({ kind: 'op', op: two });
        i += 2;
      } else {
        out.push({ kind: 'op', op: c });
        i++;
      }
      continue;
    }
    if (c === '>' || c === '<') {
      // a redirection: skip the operator and its target word
      while (i < n && /[<>&0-9]/.test(script[i] as string)) i++;
      while (i < n && (script[i] === ' ' || script[i] === '\t')) i++;
      while (i < n && !/[\s;&|]/.test(script[i] as string)) i++;
      continue;
    }
    const pieces: Piece[] = [];
    const start = i;
    while (i < n) {
      const ch = script[i] as string;
      if (/[\s;&|<>]/.test(ch)) {
        // `2>&1` style redirections glued to a word end it
        break;
      }
      if (ch === "'") {
        const close = script.indexOf("'", i + 1);
        pieces.push({ kind: 'lit', text: close < 0 ? script.slice(i + 1) : script.slice(i + 1, close) });
        i = close < 0 ? n : close + 1;
      } else if (ch === '"') {
        i++;
        while (i < n && script[i] !== '"') {
          const d = script[i] as string;
          if (d === '\\' && i + 1 < n && '$`"\\\n'.includes(script[i + 1] as string)) {
            pieces.push({ kind: 'lit', text: script[i + 1] as string });
            i += 2;
          } else if (d === '$') readVar(pieces);
          else if (d === '`') {
            const close = script.indexOf('`', i + 1);
            pieces.push({ kind: 'opaque', text: script.slice(i, close < 0 ? n : close + 1) });
            i = close < 0 ? n : close + 1;
          } else {
            pieces.push({ kind: 'lit', text: d });
            i++;
          }
        }
        i++;
      } else if (ch === '\\') {
        pieces.push({ kind: 'lit', text: script[i + 1] ?? '' });
        i += 2;
      } else if (ch === '$') readVar(pieces);
      else if (ch === '`') {
        const close = script.indexOf('`', i + 1);
        pieces.push({ kind: 'opaque', text: script.slice(i, close < 0 ? n : close + 1) });
        i = close < 0 ? n : close + 1;
      } else {
        pieces.push({ kind: 'lit', text: ch });
        i++;
      }
    }
    out.push({ kind: 'word', pieces, raw: script.slice(start, i) });
  }
  return out;
}

interface Segment {
  readonly words: Word[];
  readonly background: boolean;
  readonly exec: boolean;
}

/** Evaluates a script's words against the container env plus the script's own assignments. */
function shellSegments(
  script: string,
  field: FieldPath,
  vars: Map<string, ResolvedEnvVar>,
): { segments: Segment[]; overlay: Map<string, ResolvedEnvVar> } {
  const overlay = new Map<string, ResolvedEnvVar>();
  const segments: Segment[] = [];
  const lookup = (name: string, local: Map<string, ResolvedEnvVar>) =>
    local.get(name) ?? overlay.get(name) ?? vars.get(name);
  const evalWord = (t: { pieces: Piece[]; raw: string }, local: Map<string, ResolvedEnvVar>): Word => {
    let text: string | undefined = '';
    const via: string[] = [];
    let problem: string | undefined;
    for (const p of t.pieces) {
      if (p.kind === 'lit') text = text === undefined ? undefined : text + p.text;
      else if (p.kind === 'opaque') {
        text = undefined;
        problem = `${p.text} is computed when the script runs`;
      } else {
        const v = lookup(p.name, local);
        if (v?.value !== undefined) {
          via.push(describeVar(p.name, v));
          text = text === undefined ? undefined : text + v.value;
        } else if (p.fallback !== undefined && !v) {
          via.push(`${p.name} is not set in the pod spec, so the script uses its default ${p.fallback}`);
          text = text === undefined ? undefined : text + p.fallback;
        } else {
          text = undefined;
          problem = v
            ? describeVar(p.name, v)
            : `$${p.name} is not set in the pod spec (the image may set it)`;
        }
      }
    }
    return { text, raw: t.raw, field, shell: true, via, problem };
  };
  let current: ShellToken[] = [];
  const flush = (op: string | undefined) => {
    const local = new Map<string, ResolvedEnvVar>();
    const words: Word[] = [];
    let exec = false;
    let commandStarted = false;
    let exported = false;
    for (const t of current) {
      if (t.kind !== 'word') continue;
      const w = evalWord(t, local);
      const assign =
        !commandStarted && w.text !== undefined ? /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(w.text) : null;
      if (assign) {
        const v: ResolvedEnvVar = { value: assign[2], from: `the script in ${field.toString()}`, field };
        (exported ? overlay : local).set(assign[1] as string, v);
        continue;
      }
      if (!commandStarted && w.text === 'export') {
        exported = true;
        continue;
      }
      if (!commandStarted && w.text === 'exec') exec = true;
      commandStarted = true;
      words.push(w);
    }
    // `FOO=1; cmd` (assignments alone) act for the rest of the script
    if (words.length === 0) for (const [k, v] of local) overlay.set(k, v);
    else segments.push({ words, background: op === '&', exec });
    current = [];
  };
  for (const t of tokenizeShell(script)) {
    if (t.kind === 'op') flush(t.op);
    else current.push(t);
  }
  flush(undefined);
  return { segments, overlay };
}

interface Invocation {
  /** Basename of the program started; undefined when the image's own entrypoint/CMD runs. */
  readonly program?: string;
  /** Arguments after the program (all of `args` when the image's entrypoint runs). */
  readonly words: readonly Word[];
  /** The container sets `command`, replacing the image's entrypoint. */
  readonly explicit: boolean;
  readonly shell: boolean;
  /** Variables set by the script for the program. */
  readonly overlay: Map<string, ResolvedEnvVar>;
  readonly notes: readonly string[];
}

/** Skips wrappers (tini, dumb-init, exec, env, gosu user...) and `python -m`; returns the program index. */
function programStart(words: readonly Word[]): { index: number; program?: string } {
  let i = 0;
  while (i < words.length) {
    const t = words[i]?.text;
    if (t === undefined) return { index: i };
    const b = basename(t);
    if (t === '--') {
      i++;
    } else if (WRAPPERS.has(b)) {
      i++;
      while (i < words.length && (words[i]?.text ?? '').startsWith('-') && words[i]?.text !== '--') i++;
    } else if (USER_WRAPPERS.has(b)) {
      i += 2;
    } else if (b === 'env') {
      i++;
      while (i < words.length && /^(-|[A-Za-z_][A-Za-z0-9_]*=)/.test(words[i]?.text ?? '')) i++;
    } else if (isPython(b)) {
      let j = i + 1;
      while (j < words.length && (words[j]?.text ?? '').startsWith('-') && words[j]?.text !== '-m') j++;
      const module = words[j]?.text === '-m' ? words[j + 1]?.text : undefined;
      return module ? { index: j + 1, program: module } : { index: i, program: b };
    } else return { index: i, program: b };
  }
  return { index: i };
}

function invocation(
  container: Container,
  vars: Map<string, ResolvedEnvVar>,
  knownPrograms: ReadonlySet<string>,
): Invocation {
  const command = (container.command ?? []).map((c, i) =>
    argWord(c, FieldPath.root('command').index(i), vars),
  );
  const args = (container.args ?? []).map((a, i) => argWord(a, FieldPath.root('args').index(i), vars));
  const explicit = command.length > 0;
  const all = [...command, ...args];
  const notes: string[] = [];
  const start = programStart(explicit ? all : args);
  const head = explicit ? all : args;
  // `sh -c 'script'`
  if (start.program && SHELLS.has(start.program)) {
    const flagIndex = start.index + 1;
    const flag = head[flagIndex]?.text ?? '';
    const scriptWord = head[flagIndex + 1];
    if (/^-[a-z]*c[a-z]*$/.test(flag) && scriptWord) {
      if (scriptWord.text === undefined) {
        notes.push(
          `the script in ${scriptWord.field.toString()} depends on unknown values: ${scriptWord.problem ?? ''}`,
        );
        return { program: undefined, words: [], explicit: true, shell: true, overlay: new Map(), notes };
      }
      const { segments, overlay } = shellSegments(scriptWord.text, scriptWord.field, vars);
      const main = segments.find((s) => s.exec) ?? [...segments].reverse().find((s) => !s.background);
      for (const s of segments) {
        if (s.background && s !== main) {
          const p = programStart(s.words).program;
          notes.push(
            `the script in ${scriptWord.field.toString()} also starts ${p ?? 'a program'} in the background; its ports are not inferred`,
          );
        }
      }
      if (!main) return { program: undefined, words: [], explicit: true, shell: true, overlay, notes };
      const ms = programStart(main.words);
      return {
        program: ms.program,
        words: main.words.slice(ms.index + 1),
        explicit: true,
        shell: true,
        overlay,
        notes,
      };
    }
  }
  if (explicit)
    return {
      program: start.program,
      words: all.slice(start.index + 1),
      explicit,
      shell: false,
      overlay: new Map(),
      notes,
    };
  // No command: the image's entrypoint runs and receives args. args[0] may still name the program (redis-server,
  // /usr/local/bin/argocd-server) when the entrypoint execs it.
  if (start.program && knownPrograms.has(start.program)) {
    return {
      program: start.program,
      words: args.slice(start.index + 1),
      explicit,
      shell: false,
      overlay: new Map(),
      notes,
    };
  }
  return { program: undefined, words: args, explicit, shell: false, overlay: new Map(), notes };
}

// ---------------------------------------------------------------------------------------------------------
// Flags and values

interface FlagHit {
  /** The value, or undefined when unknown. */
  readonly value?: string;
  /** What to show: `--port=6380` or `--port 6380`. */
  readonly shown: string;
  readonly field: FieldPath;
  readonly words: readonly Word[];
  readonly index: number;
}

const stripDashes = (s: string): string => s.replace(/^--?/, '');

function flagMatcher(flag: string): (name: string) => boolean {
  const bare = stripDashes(flag);
  if (bare.includes('*')) {
    const re = new RegExp(
      `^${bare
        .split('*')
        .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^.=]+')}$`,
      'i',
    );
    return (name) => re.test(name);
  }
  return (name) => name === bare;
}

/** Every occurrence of a flag: `--f=v`, `--f v`, `-f v`, `-f=v`; single letters also `-p8080`, `-Ekey=v`. */
function findFlag(words: readonly Word[], flag: string, key?: string): FlagHit[] {
  const hits: FlagHit[] = [];
  const single = /^-[A-Za-z]$/.test(flag);
  const matches = flagMatcher(flag);
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as Word;
    const t = w.text ?? w.raw;
    if (!t.startsWith('-') || t === '-' || t === '--') continue;
    let value: string | undefined;
    let valueWord: Word | undefined;
    let shown = w.raw;
    let consumed = false;
    if (single) {
      if (t === flag) consumed = true;
      else if (t.startsWith(`${flag}=`)) value = t.slice(3);
      else if (t.startsWith(flag)) {
        const rest = t.slice(2);
        if (/^\d+$/.test(rest) || (key && rest.startsWith(`${key}=`))) value = rest;
        else continue;
      } else continue;
    } else {
      if (!/^--?[^-]/.test(t)) continue;
      const eq = t.indexOf('=');
      const name = stripDashes(eq < 0 ? t : t.slice(0, eq));
      if (!matches(name)) continue;
      if (eq < 0) consumed = true;
      else value = t.slice(eq + 1);
    }
    if (consumed) {
      valueWord = words[i + 1];
      if (!valueWord) continue;
      value = valueWord.text;
      shown = `${w.raw} ${valueWord.raw}`;
    } else if (w.text === undefined) value = undefined;
    if (key) {
      // The value must be `key=...`; an unknown value counts only when it is written that way.
      if (value !== undefined) {
        if (!value.startsWith(`${key}=`)) continue;
        value = value.slice(key.length + 1);
      } else if (!(valueWord ?? w).raw.includes(`${key}=`)) continue;
    }
    hits.push({ value, shown, field: w.field, words: valueWord ? [w, valueWord] : [w], index: i });
    if (consumed) i++;
  }
  return hits;
}

interface ParsedPort {
  readonly port: number;
  readonly protocol?: Protocol;
  readonly host?: string;
}
type Parse = { ok: true; ports: ParsedPort[]; warning?: string } | { ok: false; error: string };

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/i;
const ANY_HOST = new Set(['', '0.0.0.0', '::', '[::]', '*']);

function parseNumber(s: string): number | undefined {
  return /^-?\d+$/.test(s) ? Number(s) : undefined;
}

/** Reads ports from a flag or variable value, by format. Port 0 or negative means "off" (returned as 0). */
function parsePorts(raw: string, format: PortFormat): Parse {
  const value = raw.trim();
  const bad = (why: string): Parse => ({ ok: false, error: `\`${value}\` ${why}` });
  const checkRange = (n: number, p: Omit<ParsedPort, 'port'> = {}): Parse =>
    n > 65535 ? bad('is out of the port range') : { ok: true, ports: [{ ...p, port: Math.max(n, 0) }] };
  if (format === 'port') {
    const range = /^(\d+)-(\d+)$/.exec(value);
    if (range) return checkRange(Number(range[1]));
    const n = parseNumber(value);
    return n === undefined ? bad('is not a port number') : checkRange(n);
  }
  if (format === 'hostport') {
    let v = value;
    let protocol: Protocol | undefined;
    const proto = /\/(tcp|udp|sctp)$/i.exec(v);
    if (proto) {
      protocol = (proto[1] as string).toUpperCase() as Protocol;
      v = v.slice(0, proto.index);
    }
    const m = /^(.*):(\d+)$/.exec(v);
    if (m) {
      const host = (m[1] as string).replace(/^\[(.*)\]$/, '$1');
      return checkRange(Number(m[2]), { protocol, host: ANY_HOST.has(host) ? undefined : host });
    }
    const n = parseNumber(v);
    if (n !== undefined) {
      const r = checkRange(n, { protocol });
      return r.ok
        ? { ...r, warning: 'has no `:` before the port; Go programs reject it ("missing port in address")' }
        : r;
    }
    return bad('has no port');
  }
  if (format === 'url') {
    const ports: ParsedPort[] = [];
    for (const item of value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const m = /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]]*\]|[^:/?#]*)(?::(\d+))?/i.exec(item);
      if (!m) {
        const hp = parsePorts(item, 'hostport');
        if (!hp.ok) return hp;
        ports.push(...hp.ports);
        continue;
      }
      const scheme = (m[1] as string).toLowerCase();
      if (scheme === 'unix' || scheme === 'unixs') continue;
      const host = (m[2] as string).replace(/^\[(.*)\]$/, '$1');
      const port =
        m[3] !== undefined ? Number(m[3]) : scheme === 'https' ? 443 : scheme === 'http' ? 80 : undefined;
      if (port === undefined) return bad('names no port');
      if (port > 65535) return bad('is out of the port range');
      ports.push({ port, host: ANY_HOST.has(host) ? undefined : host });
    }
    return ports.length > 0 ? { ok: true, ports } : bad('names no TCP port');
  }
  return bad('is not a port');
}

/** Splits a flags-in-a-variable value (JENKINS_OPTS) into words; quotes are honoured, nothing is expanded. */
function splitArgs(value: string, field: FieldPath, via: string): Word[] {
  const words: Word[] = [];
  for (const t of tokenizeShell(value)) {
    if (t.kind !== 'word') continue;
    const text = t.pieces.every((p) => p.kind === 'lit')
      ? t.pieces.map((p) => (p.kind === 'lit' ? p.text : '')).join('')
      : undefined;
    words.push({ text, raw: t.raw, field, shell: false, via: [via] });
  }
  return words;
}

// ---------------------------------------------------------------------------------------------------------
// Inference

interface Profile {
  readonly label: string;
  readonly knowledge: ImageKnowledge;
  readonly ports: readonly ImagePort[];
  readonly portFlags: readonly PortFlag[];
  readonly portEnv: readonly PortEnv[];
  /** Image matched exactly, and nothing else lowers trust. */
  readonly exact: boolean;
  /** The ports listed are all the process binds (when nothing else says otherwise). */
  readonly complete: boolean;
}

/** A port value found in flags or env, aimed at one default port, at all of them, or added. */
interface Override {
  readonly rank: number; // 3 flag, 2 image variable, 1 PORT
  readonly target: number | 'all' | 'extra';
  readonly purpose?: string;
  readonly ports: readonly ParsedPort[];
  /** Set when the value cannot be read: the default stays, but unknown. */
  readonly unknown?: string;
  readonly because: string;
  readonly field: FieldPath;
  readonly confidence: Confidence;
  readonly order: number;
  /** The value was a bare port: the bind address stays what it was. */
  readonly bare: boolean;
}

const weaker = (a: Confidence, b: Confidence): Confidence =>
  a === 'unknown' || b === 'unknown' ? 'unknown' : a === 'likely' || b === 'likely' ? 'likely' : 'certain';

const HINT_ENV = ['SERVER_PORT', 'HTTP_PORT', 'LISTEN_PORT', 'APP_PORT', 'WEB_PORT'];

/** Generic flag names for unknown programs: `--port`, `--grpc-port`, `--listen`, `--metrics-bind-address`... */
const PORTISH = /(^|[-_.])(port|http-?port)$/i;
const ADDRISH =
  /(^|[-_.])(listen|bind|addr|address|listen-address|bind-address|listen-addr|http-address|host-port)$/i;
const REMOTE =
  /(^|[-_.])(db|database|redis|postgres|pg|mysql|mongo|mongodb|upstream|target|remote|backend|proxy|peer|broker|smtp|mail|ldap|kafka|nats|amqp|rabbitmq|elasticsearch|es|statsd|jaeger|otlp|collector|agent|zipkin|sentry|apiserver|master|cache|memcached|dns|ssh|ftp|registry|consul|vault|etcd|zookeeper|zk|endpoint|advertise|advertised|external|public|node|cluster-peer)([-_.]|$)/i;

export function inferListening(
  container: Container,
  env: ConfigLookup,
  extraKnowledge?: readonly ImageKnowledge[],
): ListeningInference {
  const notes: string[] = [];
  const resolution = resolveEnvDetailed(container, env);
  notes.push(...resolution.notes);
  const imageText = container.image ?? '';
  const match = imageText ? findImageKnowledge(imageText, extraKnowledge ?? []) : undefined;
  const ref = imageText ? normaliseImage(imageText) : undefined;
  const knowledge = match?.knowledge;
  if (!imageText) notes.push('the container names no image');

  const knownPrograms = new Set<string>([
    ...(knowledge?.programs ?? []),
    ...(knowledge?.variants ?? []).map((v) => v.program),
    ...programKnowledge.flatMap((p) => p.match),
  ]);
  const inv = invocation(container, resolution.vars, knownPrograms);
  notes.push(...inv.notes);
  const vars = new Map([...resolution.vars, ...inv.overlay]);

  // Does the image's knowledge describe the process that runs?
  let applies = !!knowledge;
  if (knowledge && inv.program && inv.explicit) {
    const own = [...(knowledge.programs ?? []), ...(knowledge.variants ?? []).map((v) => v.program)];
    if (own.length > 0 && !own.includes(inv.program)) {
      applies = false;
      if (knowledge.ports.length > 0) {
        notes.push(
          `the command runs ${inv.program}, not ${knowledge.id}'s own server: ${knowledge.id}'s ports do not apply`,
        );
      }
    }
  }
  if (knowledge && match && !match.exact) {
    notes.push(
      `${imageText} was taken for ${knowledge.id} by its repository path only (registry ${ref?.registry ?? ''})`,
    );
  }

  const tag = ref?.tag ?? 'latest';
  const forTag = (ports: readonly ImagePort[]) =>
    ports.filter(
      (p) => (!p.whenTag || tag.includes(p.whenTag)) && (!p.unlessTag || !tag.includes(p.unlessTag)),
    );

  let profile: Profile | undefined;
  if (knowledge && applies) {
    const variant = knowledge.variants?.find((v) => v.program === inv.program);
    if (variant) {
      profile = {
        label: `${knowledge.id} (${variant.program})`,
        knowledge,
        ports: variant.ports,
        portFlags: variant.portFlags ?? [],
        portEnv: variant.portEnv ?? [],
        exact: match?.exact ?? false,
        complete: true,
      };
    } else {
      const ports = forTag(knowledge.ports);
      if (ports.length > 0 || knowledge.configFile || knowledge.complete === true) {
        profile = {
          label: knowledge.id,
          knowledge,
          ports,
          portFlags: knowledge.portFlags ?? [],
          portEnv: knowledge.portEnv ?? [],
          exact: match?.exact ?? false,
          complete: knowledge.complete ?? ports.length > 0,
        };
      } else if (knowledge.variants) {
        notes.push(`${knowledge.id} runs one of several programs; the command/args do not name a known one`);
      }
    }
  }
  if (!profile && inv.program) {
    const pk = programKnowledge.find(
      (p) =>
        p.match.includes(inv.program as string) && (p.argv ?? []).every((a, i) => inv.words[i]?.text === a),
    );
    if (pk) {
      profile = {
        label: pk.id === 'python-http.server' ? 'python -m http.server' : inv.program,
        knowledge: pk,
        ports: pk.ports,
        portFlags: pk.portFlags ?? [],
        portEnv: pk.portEnv ?? [],
        exact: true,
        complete: pk.complete ?? pk.ports.length > 0,
      };
    }
  }

  const result = profile
    ? fromProfile(profile, container, inv, vars, resolution.opaque, notes)
    : generic(
        container,
        inv,
        vars,
        notes,
        knowledge && applies ? knowledge : undefined,
        !!knowledge,
        imageText,
      );
  return { image: knowledge, ports: result.ports, complete: result.complete, notes: dedupe(notes) };
}

function dedupe(notes: readonly string[]): string[] {
  return [...new Set(notes)];
}

function containerPortRemark(container: Container, port: number, protocol: Protocol): string {
  const declared = (container.ports ?? []).filter((p) => p.containerPort !== undefined);
  if (declared.length === 0) return '';
  if (declared.some((p) => p.containerPort === port && (p.protocol ?? 'TCP') === protocol)) return '';
  const list = declared.map((p) => String(p.containerPort)).join(', ');
  return `; containerPort ${list} does not change it`;
}

function valueOfVar(v: ResolvedEnvVar): string {
  return v.value === undefined ? `${v.from} (${v.problem ?? 'unknown'})` : `${v.value} from ${v.from}`;
}

/** Known image or program: start from its defaults, then apply PORT, its variables, its flags. */
function fromProfile(
  profile: Profile,
  container: Container,
  inv: Invocation,
  vars: Map<string, ResolvedEnvVar>,
  opaque: readonly string[],
  notes: string[],
): { ports: ListeningEvidence[]; complete: boolean } {
  const k = profile.knowledge;
  const label = profile.label;
  const overrides: Override[] = [];
  let order = 0;
  const baseConfidence: Confidence = !profile.exact || inv.shell ? 'likely' : 'certain';
  const imageField = FieldPath.root('image');

  // Config files handed over in args: `-c /etc/nginx/custom.conf`, `redis-server /etc/redis.conf`.
  const configHit = findConfigArg(k.configArgs ?? [], inv.words);
  if (configHit) {
    notes.push(
      `${configHit.shown} (${configHit.field.toString()}) gives ${label} a config file portchain cannot read` +
        (k.configFile ? ` (${k.configFile})` : '') +
        '; its ports may differ from the defaults',
    );
  } else if (k.configFile && profile.ports.length === 0) {
    notes.push(`${label} takes its ports from ${k.configFile}, which portchain cannot read`);
  }

  const settingTarget = (s: PortSetting): number | 'all' | 'extra' =>
    s.extra ? 'extra' : (s.appliesTo ?? profile.ports[0]?.port ?? 'extra');

  const addFromValue = (
    s: PortSetting,
    format: PortFormat,
    value: string | undefined,
    rank: number,
    describe: (value: string | undefined) => string,
    field: FieldPath,
    confidence: Confidence,
    problem: string | undefined,
  ) => {
    const base = {
      rank,
      target: settingTarget(s),
      purpose: s.extra,
      field,
      order: order++,
      bare: format === 'port',
    };
    if (value === undefined) {
      overrides.push({
        ...base,
        ports: [],
        unknown: problem ?? 'its value is unknown',
        because: describe(undefined),
        confidence: 'unknown',
      });
      return;
    }
    const parsed = parsePorts(value, format);
    if (!parsed.ok) {
      const why = problem ? `${parsed.error}: ${problem}` : parsed.error;
      overrides.push({ ...base, ports: [], unknown: why, because: describe(value), confidence: 'unknown' });
      notes.push(`${describe(value)}: ${why}`);
      return;
    }
    if (parsed.warning) notes.push(`${describe(value)}: \`${value}\` ${parsed.warning}`);
    overrides.push({
      ...base,
      ports: parsed.ports,
      because: describe(value),
      confidence: parsed.warning ? 'unknown' : confidence,
    });
  };
  const envText = (name: string, v: ResolvedEnvVar) => (val: string | undefined) =>
    val === undefined || v.value === undefined
      ? `${name} comes from ${v.from}`
      : `${name}=${val} from ${v.from}`;

  // PORT, when the program reads it.
  if (k.honoursPORT) {
    const v = vars.get('PORT');
    if (v) {
      addFromValue(
        { appliesTo: profile.ports[0]?.port },
        'port',
        v.value,
        1,
        (val) => `${envText('PORT', v)(val)} (${label} listens on PORT)`,
        v.field,
        baseConfidence,
        v.problem,
      );
    }
  }
  // The image's own variables.
  for (const s of profile.portEnv) {
    const v = vars.get(s.name);
    if (!v) continue;
    const format = s.format ?? 'port';
    if (format === 'args') {
      if (v.value === undefined) {
        notes.push(`${s.name} comes from ${v.from}, whose value is unknown: flags in it cannot be read`);
        continue;
      }
      const words = splitArgs(v.value, v.field, `${s.name}=${v.value} from ${v.from}`);
      for (const f of profile.portFlags) {
        for (const hit of findFlag(words, f.flag, f.key)) {
          addFromValue(
            f,
            f.format,
            hit.value,
            2,
            () => `${s.name} (${valueOfVar(v)}) passes \`${hit.shown}\` to ${label}`,
            v.field,
            baseConfidence,
            undefined,
          );
        }
      }
      continue;
    }
    addFromValue(s, format, v.value, 2, envText(s.name, v), v.field, baseConfidence, v.problem);
  }
  // PORT set for a server that ignores it: a common mistake worth saying.
  const portVar = vars.get('PORT');
  if (k.honoursPORT === false && portVar && profile.ports.length > 0) {
    notes.push(`PORT (${valueOfVar(portVar)}) does not move ${label}: it does not read PORT`);
  }
  // Flags in command/args.
  for (const f of profile.portFlags) {
    const hits = findFlag(inv.words, f.flag, f.key);
    const use = f.repeatable || f.appliesTo === 'all' ? hits : hits.slice(-1);
    for (const hit of use) {
      const w = hit.words[hit.words.length - 1] as Word;
      const conf: Confidence = hit.words.some((x) => x.shell)
        ? weaker(baseConfidence, 'likely')
        : baseConfidence;
      const via = hit.words.flatMap((x) => x.via);
      addFromValue(
        f,
        f.format,
        hit.value,
        3,
        () => `\`${hit.shown}\` in ${hit.field.toString()}` + (via.length > 0 ? ` (${via.join('; ')})` : ''),
        hit.field,
        conf,
        w.problem,
      );
    }
  }
  // A bare positional port: `python -m http.server 8080`.
  if (k.positionalPort) {
    const valueFlags = new Set(k.valueFlags ?? []);
    let found: Word | undefined;
    inv.words.forEach((w, i) => {
      const prev = inv.words[i - 1]?.text;
      if (w.text !== undefined && /^\d+$/.test(w.text) && !(prev && valueFlags.has(prev))) found = w;
    });
    if (found) {
      addFromValue(
        { appliesTo: profile.ports[0]?.port },
        'port',
        found.text,
        3,
        (val) => `the port argument ${val ?? '?'} in ${found?.field.toString() ?? ''}`,
        found.field,
        baseConfidence,
        undefined,
      );
    }
  }

  // The bind address of the first port, when the program has a host flag or variable.
  let hostOverride: string | undefined;
  for (const name of k.hostEnv ?? []) {
    const v = vars.get(name);
    if (v?.value !== undefined) hostOverride = v.value;
  }
  for (const f of k.hostFlags ?? []) {
    const hits = findFlag(inv.words, f);
    const last = hits[hits.length - 1];
    if (last?.value !== undefined) hostOverride = last.value;
  }

  // Assemble: every default port, replaced by the strongest override aimed at it.
  const evidence: ListeningEvidence[] = [];
  const requiresMissing = k.requires && !requirementMet(k.requires, inv.words, vars);
  if (requiresMissing && k.requires) notes.push(`${k.requires.why}: nothing may be listening`);
  const allGroup = topGroup(overrides.filter((o) => o.target === 'all'));
  const allBad = allGroup.find((o) => o.unknown !== undefined);
  const opaqueMatters = opaque.length > 0 && (profile.portEnv.length > 0 || !!k.honoursPORT);
  const trustDefaults = !configHit && !opaqueMatters && !requiresMissing;
  if (opaqueMatters) notes.push(`${opaque.join(', ')} may set variables ${label} reads for its ports`);

  const defaults = profile.ports.filter((p) =>
    p.config === 'custom' ? !!configHit : p.config === 'bundled' ? !configHit : true,
  );
  if (allGroup.length > 0 && !allBad) {
    for (const o of allGroup) {
      for (const p of o.ports) {
        if (p.port > 0)
          evidence.push(overrideEvidence(p, 'TCP', o, `${o.because}: ${label} listens on ${p.port}`));
      }
    }
  } else {
    const used = new Set<Override>();
    const seen = new Set<string>();
    for (const d of defaults) {
      const key = `${d.port}/${d.protocol}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const o = strongest(overrides.filter((x) => x.target === d.port));
      if (o) used.add(o);
      if (!o || o.unknown !== undefined) {
        let confidence: Confidence = baseConfidence;
        if (d.likely || !trustDefaults) confidence = weaker(confidence, 'likely');
        if (requiresMissing || (d.config === 'custom' && !configHit)) confidence = 'unknown';
        let because = `${label} listens on ${d.port}/${d.protocol} by default: ${d.purpose}`;
        const bad = o ?? allBad;
        if (bad) {
          confidence = 'unknown';
          because = `${bad.because}, so the port is unknown (${bad.unknown}); ${label}'s default is ${d.port}`;
        } else because += containerPortRemark(container, d.port, d.protocol);
        const host = hostOverride !== undefined && d === defaults[0] ? hostOverride : d.host;
        evidence.push({
          port: d.port,
          protocol: d.protocol,
          confidence,
          because,
          field: bad?.field ?? imageField,
          ...hostField(host && !ANY_HOST.has(host) ? host : undefined),
        });
        continue;
      }
      if (o.ports.length === 0 || o.ports.every((p) => p.port === 0)) {
        notes.push(`${o.because} turns off ${label}'s port ${d.port}`);
        continue;
      }
      o.ports.forEach((p, i) => {
        if (p.port === 0) return;
        const text =
          i === 0
            ? `${o.because}: ${label} listens on ${p.port} instead of ${d.port}`
            : `${o.because}: ${label} also listens on ${p.port}`;
        // A bare port keeps the bind address (uvicorn --port keeps 127.0.0.1); gunicorn's PORT binds 0.0.0.0.
        const host =
          p.host ??
          (o.bare
            ? d === defaults[0] && hostOverride !== undefined
              ? hostOverride
              : o.rank === 1
                ? undefined
                : d.host
            : undefined);
        const withHost = host && !ANY_HOST.has(host) ? { ...p, host } : { ...p, host: undefined };
        evidence.push(
          overrideEvidence(
            withHost,
            d.protocol,
            o,
            p.port === d.port ? `${o.because}: ${label} listens on ${p.port}` : text,
          ),
        );
      });
    }
    for (const o of overrides) {
      if (o.target !== 'extra' || o.unknown !== undefined) continue;
      for (const p of o.ports) {
        if (p.port === 0) continue;
        evidence.push(
          overrideEvidence(
            p,
            'TCP',
            o,
            `${o.because}: ${label} also listens on ${p.port} (${o.purpose ?? 'extra port'})`,
          ),
        );
      }
    }
    // Overrides aimed at a default that the tag or config removed still mean a port.
    for (const o of overrides) {
      if (used.has(o) || typeof o.target !== 'number' || o.unknown !== undefined) continue;
      if (defaults.some((d) => d.port === o.target)) continue;
      for (const p of o.ports) {
        if (p.port > 0)
          evidence.push(overrideEvidence(p, 'TCP', o, `${o.because}: ${label} listens on ${p.port}`));
      }
    }
  }

  // Bind addresses that no Service can reach.
  for (const e of evidence) {
    if (e.host && LOOPBACK.test(e.host)) {
      notes.push(`${label} binds ${e.host}:${e.port}, which only the pod itself can reach: a Service cannot`);
    }
  }

  const ports = uniqueEvidence(evidence);
  const anyUnknown =
    ports.some((p) => p.confidence === 'unknown') || overrides.some((o) => o.unknown !== undefined);
  const complete = profile.complete && trustDefaults && !anyUnknown && !inv.shell && inv.notes.length === 0;
  return { ports, complete };
}

function hostField(host: string | undefined): { host?: string } {
  return host ? { host } : {};
}

function overrideEvidence(
  p: ParsedPort,
  protocol: Protocol,
  o: Override,
  because: string,
): ListeningEvidence {
  return {
    port: p.port,
    protocol: p.protocol ?? protocol,
    confidence: o.confidence,
    because,
    field: o.field,
    ...hostField(p.host),
  };
}

/** Settings that replace every default (Kafka listeners, Traefik entry points): those of the strongest rank. */
function topGroup(list: readonly Override[]): Override[] {
  const top = strongest(list);
  return top ? list.filter((o) => o.rank === top.rank) : [];
}

function strongest(list: readonly Override[]): Override | undefined {
  let best: Override | undefined;
  for (const o of list) {
    if (!best || o.rank > best.rank || (o.rank === best.rank && o.order > best.order)) best = o;
  }
  return best;
}

function uniqueEvidence(list: readonly ListeningEvidence[]): ListeningEvidence[] {
  const rank: Record<Confidence, number> = { certain: 2, likely: 1, unknown: 0 };
  const out: ListeningEvidence[] = [];
  for (const e of list) {
    const i = out.findIndex((x) => x.port === e.port && x.protocol === e.protocol);
    if (i < 0) out.push(e);
    else if (rank[e.confidence] > rank[(out[i] as ListeningEvidence).confidence]) out[i] = e;
  }
  return out;
}

function findConfigArg(configArgs: readonly string[], words: readonly Word[]): FlagHit | undefined {
  for (const c of configArgs) {
    if (c.startsWith('*.')) {
      const ext = c.slice(1);
      const i = words.findIndex((w) => {
        const t = w.text ?? '';
        return !t.startsWith('-') && t.toLowerCase().endsWith(ext);
      });
      const w = words[i];
      if (w) return { value: w.text, shown: w.text ?? w.raw, field: w.field, words: [w], index: i };
    } else if (c.endsWith('=')) {
      const i = words.findIndex((w) => stripDashes(w.text ?? '').startsWith(c));
      const w = words[i];
      if (w) return { value: w.text, shown: w.text ?? w.raw, field: w.field, words: [w], index: i };
    } else {
      const hit = findFlag(words, c)[0];
      if (hit) return hit;
    }
  }
  return undefined;
}

function requirementMet(
  req: NonNullable<ImageKnowledge['requires']>,
  words: readonly Word[],
  vars: Map<string, ResolvedEnvVar>,
): boolean {
  if ((req.flags ?? []).some((f) => findFlag(words, f).length > 0)) return true;
  return (req.env ?? []).some((name) => {
    const v = vars.get(name);
    return v !== undefined && v.value !== '';
  });
}

/** Unknown image or a base image: read flags by their names and PORT, none of it certain. */
function generic(
  container: Container,
  inv: Invocation,
  vars: Map<string, ResolvedEnvVar>,
  notes: string[],
  runtime: ImageKnowledge | undefined,
  known: boolean,
  image: string,
): { ports: ListeningEvidence[]; complete: boolean } {
  const evidence: ListeningEvidence[] = [];
  const who = inv.program ? `${inv.program}` : 'the process';
  if (runtime?.note && runtime.ports.length === 0) notes.push(`${runtime.id}: ${runtime.note}`);
  if (image && !known) {
    notes.push(`${image} is not a known image: its ports are read from flags and PORT only, by name`);
  }
  const words = inv.words;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as Word;
    const t = w.text;
    if (t === undefined || !t.startsWith('-')) continue;
    // -Dserver.port=8080 (Spring Boot as a Java system property)
    const sys = /^-D(server\.port|http\.port|port)=(\d+)$/.exec(t);
    if (sys) {
      pushGeneric(evidence, Number(sys[2]), undefined, w.raw, ` (the Java property ${sys[1]})`, w, who);
      continue;
    }
    const eq = t.indexOf('=');
    const name = stripDashes(eq < 0 ? t : t.slice(0, eq));
    const valueWord = eq < 0 ? words[i + 1] : undefined;
    const value = eq < 0 ? valueWord?.text : t.slice(eq + 1);
    const shown = eq < 0 ? `${w.raw} ${valueWord?.raw ?? ''}`.trim() : w.raw;
    const via = [...w.via, ...(valueWord?.via ?? [])];
    const viaText = via.length > 0 ? ` (${via.join('; ')})` : '';
    if (name === 'p' && t.startsWith('-') && !t.startsWith('--')) {
      if (value !== undefined && /^\d+$/.test(value)) {
        pushGeneric(evidence, Number(value), undefined, shown, viaText, w, who);
        if (eq < 0) i++;
      }
      continue;
    }
    if (name.length < 2 || REMOTE.test(name)) continue;
    if (PORTISH.test(name)) {
      if (value !== undefined && /^\d+$/.test(value) && Number(value) > 0 && Number(value) <= 65535) {
        pushGeneric(evidence, Number(value), undefined, shown, viaText, w, who);
        if (eq < 0) i++;
      } else if (valueWord || eq >= 0) {
        const problem =
          (valueWord ?? w).problem ??
          (value === undefined ? 'its value is unknown' : `\`${value}\` is not a port number`);
        notes.push(`\`${shown}\` in ${w.field.toString()} sets a port that cannot be read: ${problem}`);
      }
      continue;
    }
    if (ADDRISH.test(name) && value !== undefined) {
      const m = /^(.*):(\d+)(\/(tcp|udp))?$/i.exec(value);
      const host = m ? (m[1] as string).replace(/^\[(.*)\]$/, '$1') : undefined;
      if (m && (ANY_HOST.has(host ?? '') || LOOPBACK.test(host ?? ''))) {
        const port = Number(m[2]);
        if (port > 0 && port <= 65535) {
          pushGeneric(evidence, port, host && !ANY_HOST.has(host) ? host : undefined, shown, viaText, w, who);
          if (eq < 0) i++;
        }
      } else if (/^\d+$/.test(value) && Number(value) > 0 && Number(value) <= 65535 && /listen/i.test(name)) {
        pushGeneric(evidence, Number(value), undefined, shown, viaText, w, who);
        if (eq < 0) i++;
      }
    }
  }
  // PORT: a convention many servers follow (Heroku, Cloud Run, Knative).
  const port = vars.get('PORT');
  if (port) {
    if (port.value === undefined) {
      notes.push(
        `PORT comes from ${port.from}, whose value is unknown (${port.problem ?? 'unknown'}): the port cannot be known`,
      );
    } else if (/^\d+$/.test(port.value) && Number(port.value) > 0 && Number(port.value) <= 65535) {
      const n = Number(port.value);
      if (!evidence.some((e) => e.port === n)) {
        evidence.push({
          port: n,
          protocol: 'TCP',
          confidence: 'likely',
          because: `PORT=${port.value} from ${port.from}; many servers listen on PORT, but ${runtime ? `the ${runtime.id} image does not say whether ${who} does` : 'nothing says this image does'}`,
          field: port.field,
        });
      }
    } else notes.push(`PORT=${port.value} from ${port.from} is not a port number`);
  }
  for (const name of HINT_ENV) {
    const v = vars.get(name);
    if (v?.value === undefined || !/^\d+$/.test(v.value)) continue;
    const n = Number(v.value);
    if (n <= 0 || n > 65535 || evidence.some((e) => e.port === n)) continue;
    evidence.push({
      port: n,
      protocol: 'TCP',
      confidence: 'unknown',
      because: `${name}=${v.value} from ${v.from} suggests ${n}, but nothing says ${who} reads ${name}`,
      field: v.field,
    });
  }
  for (const e of evidence) {
    if (e.host && LOOPBACK.test(e.host)) {
      notes.push(`${who} binds ${e.host}:${e.port}, which only the pod itself can reach: a Service cannot`);
    }
  }
  if (evidence.length === 0 && (container.ports ?? []).length > 0) {
    notes.push(
      'nothing in the spec says which port the process binds; containerPort alone does not make it listen',
    );
  }
  return { ports: uniqueEvidence(evidence), complete: false };
}

function pushGeneric(
  out: ListeningEvidence[],
  port: number,
  host: string | undefined,
  shown: string,
  via: string,
  w: Word,
  who: string,
): void {
  out.push({
    port,
    protocol: 'TCP',
    confidence: 'likely',
    because: `\`${shown}\` in ${w.field.toString()}${via} suggests ${who} listens on ${port} (read from the flag's name; the program is not known)`,
    field: w.field,
    ...hostField(host),
  });
}

// ---------------------------------------------------------------------------------------------------------
// Observed sockets (`--probe`): what the pod's network namespace really listens on

/** One socket read from /proc/net/{tcp,tcp6,udp,udp6}: TCP in LISTEN, or UDP bound and unconnected. */
export interface ObservedSocket {
  readonly protocol: 'TCP' | 'UDP';
  /** The local address as the kernel holds it: `0.0.0.0`, `::`, `127.0.0.1`, `::ffff:127.0.0.1`, a pod IP. */
  readonly address: string;
  readonly port: number;
  /** Where it was read: `/proc/net/tcp6`. */
  readonly file: string;
}

/**
 * What `--probe` read in one pod. A network namespace belongs to the pod, not to a container: every container
 * sees (and may own) every socket, so the sockets stand for the whole pod.
 */
export interface ObservedPodSockets {
  readonly namespace: string;
  readonly pod: string;
  /** The container the command ran in. */
  readonly container: string;
  readonly sockets: readonly ObservedSocket[];
  /** False when the pod was not Ready when probed: a process may not have bound its port yet. */
  readonly ready: boolean;
  /** status.podIPs: a socket bound to one of them is reachable even when the address is loopback (`up`). */
  readonly podIPs: readonly string[];
}

/** `::ffff:127.0.0.1` -> `127.0.0.1`: an IPv4-mapped address is the IPv4 address (a dual-stack socket). */
export function unmapAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? (m[1] as string) : address;
}

/** 127.0.0.0/8 and ::1 (mapped or not): only the pod itself can connect; a Service or a probe cannot. */
export function isLoopbackAddress(address: string): boolean {
  const a = unmapAddress(address);
  return a === '::1' || /^127\.\d+\.\d+\.\d+$/.test(a);
}

const hostPort = (address: string, port: number) =>
  `${address.includes(':') ? `[${address}]` : address}:${port}`;

/**
 * One port's sockets as evidence. A Service reaches `podIP:targetPort`, so a socket on the wildcard (`0.0.0.0`,
 * or `::`, which takes IPv4 too unless IPV6_V6ONLY: net.ipv6.bindv6only defaults to 0) or on the pod IP serves
 * it; a socket on 127.0.0.1 or ::1 only does not, and the evidence carries that host.
 */
function socketEvidence(
  protocol: 'TCP' | 'UDP',
  port: number,
  sockets: readonly ObservedSocket[],
  seen: ObservedPodSockets,
): ListeningEvidence {
  const reachable = sockets.filter(
    (s) => !isLoopbackAddress(s.address) || seen.podIPs.includes(unmapAddress(s.address)),
  );
  const shown = [
    ...new Set((reachable.length > 0 ? reachable : sockets).map((s) => hostPort(s.address, port))),
  ];
  const files = [...new Set(sockets.map((s) => s.file))];
  const state = protocol === 'TCP' ? 'LISTEN' : 'bound';
  const loopback = reachable.length === 0 ? unmapAddress((sockets[0] as ObservedSocket).address) : undefined;
  return {
    port,
    protocol,
    confidence: seen.ready ? 'certain' : 'likely',
    because: `observed with --probe: ${state} on ${listText(shown, Number.POSITIVE_INFINITY)} in ${files.join(', ')} of pod ${seen.pod}`,
    ...hostField(loopback),
  };
}

const observedMemo = new WeakMap<ObservedPodSockets, WeakMap<ListeningInference, ListeningInference>>();

/**
 * The pod's observed sockets in place of the inference: every TCP and UDP port is what the kernel says, certain
 * (likely when the pod was not Ready yet), complete. SCTP is not in /proc/net/{tcp,udp}: its inferred ports stay.
 * The image knowledge stays for naming and hints, without its config file: what the file says no longer matters.
 */
export function observedListening(
  inferred: ListeningInference,
  seen: ObservedPodSockets,
): ListeningInference {
  let byInference = observedMemo.get(seen);
  const hit = byInference?.get(inferred);
  if (hit) return hit;
  const groups = new Map<string, { protocol: 'TCP' | 'UDP'; port: number; sockets: ObservedSocket[] }>();
  for (const s of seen.sockets) {
    const key = `${s.port}/${s.protocol}`;
    const g = groups.get(key);
    if (g) g.sockets.push(s);
    else groups.set(key, { protocol: s.protocol, port: s.port, sockets: [s] });
  }
  const observed = [...groups.values()]
    .sort((a, b) => a.protocol.localeCompare(b.protocol) || a.port - b.port)
    .map((g) => socketEvidence(g.protocol, g.port, g.sockets, seen));
  const sctp = inferred.ports.filter((e) => e.protocol === 'SCTP');
  const notes = [
    `ports observed with --probe in pod ${seen.namespace}/${seen.pod} (/proc/net read in container ${seen.container}; the network namespace is the pod's, shared by its containers)`,
  ];
  if (!seen.ready)
    notes.push(`pod ${seen.pod} was not Ready when probed: a process may not have bound its port yet`);
  for (const e of inferred.ports) {
    if (e.protocol === 'SCTP' || groups.has(`${e.port}/${e.protocol}`)) continue;
    notes.push(`inferred ${e.port}/${e.protocol} (${e.because}), but nothing in the pod listens there`);
  }
  const image = inferred.image ? { ...inferred.image, configFile: undefined } : undefined;
  const result: ListeningInference = {
    ...(image ? { image } : {}),
    ports: [...observed, ...sctp],
    complete: true,
    notes,
    observed: seen,
  };
  if (!byInference) {
    byInference = new WeakMap();
    observedMemo.set(seen, byInference);
  }
  byInference.set(inferred, result);
  return result;
}

/** Why an observation is less than certain, for a message's closing `— likely: ...`. */
export function observedDoubts(inference: ListeningInference): string[] {
  const seen = inference.observed;
  return seen && !seen.ready
    ? [`pod ${seen.pod} was not Ready when probed: a process may not have bound its port yet`]
    : [];
}
