/**
 * Turns YAML/JSON text into typed, defaulted objects that remember where each field was written.
 * Bad input never throws: it becomes a finding at its line, and the other documents are still loaded.
 */
import type { Document, Node, Scalar } from 'yaml';
import { type ByteSource, startsLikeJson } from './byte-source.js';
import { type ItemsRead, STREAM_SIZES } from './byte-window.js';
import { type DecodeError, decodeObjectAs } from './decode.js';
import { applyDefaults } from './defaults.js';
import { looksLikeJson, parseJsonFast } from './fast-json.js';
import { parseYamlFast } from './fast-yaml.js';
import { FieldPath } from './field-path.js';
import type { Finding, ObjectRef, SourceLocation } from './finding.js';
import { readJsonListStream } from './json-list-stream.js';
import { splitJsonStream } from './json-stream.js';
import { LazyPositions, type Locator } from './lazy-positions.js';
import { isPlainObject } from './plain-object.js';
import { kindSchemas, legacyIngressSchema } from './schema.js';
import { type DocumentSpan, firstContentOffset, splitDocuments } from './split-documents.js';
import { clusterScopedKinds, type Kind, type KindMap } from './types.js';
import { readYamlDocumentsStream } from './yaml-documents-stream.js';
import { yamlLib } from './yaml-lib.js';
import { readYamlListStream } from './yaml-list-stream.js';
import { firstControlCharacter, goYamlTagError, unlessUnsupported, unsupported } from './yaml-scalars.js';

export interface SourceText {
  /** A path, or `<stdin>`. */
  readonly name: string;
  /** The whole text; a streamed source (`bytes`) decodes it only when asked, and may then throw. */
  readonly text: string;
  /** The bytes of a big dump, which the loader streams item by item (a List) instead of reading `text`. */
  readonly bytes?: ByteSource;
}

export interface ObjectSource {
  readonly file: string;
  /** 0-based index of the YAML document within the file. */
  readonly doc: number;
  /** Where a field of this object was written; the nearest written ancestor when the field is absent. */
  locate(path?: FieldPath): SourceLocation;
}

export interface Manifest<K extends Kind = Kind> {
  readonly kind: K;
  readonly apiVersion: string;
  /**
   * Decoded and defaulted, as the API server would store it. It is `raw` itself, or a copy sharing every
   * subtree decoding and defaulting left as it was (decode.ts, defaults.ts): neither may be modified; copy
   * what you change.
   */
  readonly object: KindMap[K];
  /** As written (plain JSON), to tell an omitted field from a defaulted one. Read-only, as `object`. */
  readonly raw: Record<string, unknown>;
  readonly name: string;
  /** The namespace it lands in (`default` or `--namespace` when unset); "" for cluster-scoped kinds. */
  readonly namespace: string;
  readonly ref: ObjectRef;
  readonly source: ObjectSource;
  /** A field could not be decoded into its API type: the API server would stop there (400 BadRequest). */
  readonly decodeFailed: boolean;
}

export interface LoadOptions {
  /** Namespace for objects that name none, as `kubectl apply -n` would place them. */
  readonly defaultNamespace?: string;
  /**
   * `fast` (default) reads kubectl/Helm-shaped YAML and JSON with the fast readers and falls back to the
   * `yaml` library for anything else; `plain` always uses the library (the reference the fast readers are
   * tested against). The environment variable PORTCHAIN_READER=plain forces `plain` too.
   */
  readonly reader?: 'fast' | 'plain';
  /**
   * Told how many objects of this source have been read so far, every thousand or so, while a streaming
   * reader reads a big one (the only reading that takes long enough to show).
   */
  readonly onObjects?: ItemsRead;
}

/** Which reader loaded a source (for tests and benchmarks). */
export type ReaderUsed =
  | 'fast-yaml'
  | 'fast-json'
  | 'fast-yaml-stream'
  | 'fast-yaml-documents-stream'
  | 'fast-json-stream'
  | 'plain';

export interface LoadResult {
  readonly manifests: Manifest[];
  readonly findings: Finding[];
  /** Kinds that are not part of the port chain, counted and skipped. */
  readonly skippedKinds: Record<string, number>;
  readonly documents: number;
}

/** One document's value and how to find positions in it. */
interface ReadDocument {
  readonly value: unknown;
  readonly docIndex: number;
  readonly at: Locator;
}

/**
 * Reads a source with the fast readers, or returns undefined when they do not copy something in it; then
 * the plain path reads it, so errors, their findings and positions are the library's.
 */
export function readFast(
  src: SourceText,
  onObjects?: ItemsRead,
): { docs: ReadDocument[]; documents: number; reader: ReaderUsed } | undefined {
  // Unsupported input, or input deep enough to exhaust the stack: the library reads it.
  return unlessUnsupported(() => {
    if (src.bytes) {
      const json = startsLikeJson(src.bytes);
      const stream = onObjects ? { ...STREAM_SIZES, onItems: onObjects } : STREAM_SIZES;
      const list = json
        ? readJsonListStream(src.bytes, src.name, stream)
        : readYamlListStream(src.bytes, src.name, stream);
      if (list)
        return {
          docs: [{ value: list.value, docIndex: 0, at: list.at }],
          documents: 1,
          reader: json ? 'fast-json-stream' : 'fast-yaml-stream',
        };
      // Not one List: YAML documents one after another (Helm, Kustomize) are streamed document by document.
      const documents = json ? undefined : readYamlDocumentsStream(src.bytes, src.name, stream);
      if (documents) return { ...documents, reader: 'fast-yaml-documents-stream' };
    }
    const positions = new LazyPositions(src.text, src.name);
    if (looksLikeJson(src.text)) {
      const doc = unlessUnsupported(() => parseJsonFast(src.text));
      if (doc)
        return {
          docs: [{ value: doc.value, docIndex: 0, at: positions.json(doc) }],
          documents: 1,
          reader: 'fast-json',
        };
      // Not one JSON value: perhaps several objects one after another, as kubectl reads them.
      const spans = splitJsonStream(src.text);
      if (!spans) return unsupported('not JSON');
      const docs = spans.map((span, i) => {
        const part = src.text.slice(span.start, span.end);
        const d = parseJsonFast(part);
        return { value: d.value, docIndex: i, at: positions.jsonPart(d, part, span.start) };
      });
      return { docs, documents: docs.length, reader: 'fast-json' };
    }
    const docs = parseYamlFast(src.text);
    return {
      docs: docs.map((d, i) => ({ value: d.value, docIndex: i, at: positions.yaml(d, i) })),
      documents: docs.length,
      reader: 'fast-yaml',
    };
  });
}

const LEGACY_INGRESS = new Set(['extensions/v1beta1', 'networking.k8s.io/v1beta1']);

function locateIn(
  doc: Document,
  location: (offset: number) => SourceLocation,
  keys: readonly (string | number)[],
): SourceLocation {
  const { isAlias, isMap, isScalar, isSeq } = yamlLib();
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (const key of keys) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return location(offset);
}

const finding = (
  rule: string,
  message: string,
  location: SourceLocation,
  extra: Partial<Finding> = {},
): Finding => ({ rule, severity: 'error', message, object: null, field: null, location, ...extra });

/** networking.k8s.io/v1beta1 → v1: serviceName/servicePort → service.{name,port}, backend → defaultBackend. */
function convertLegacyIngress(o: Record<string, unknown>): void {
  type Legacy = { serviceName?: string; servicePort?: number | string; resource?: unknown };
  const convert = (b: Legacy | undefined) => {
    if (!b) return undefined;
    const out: Record<string, unknown> = {};
    if (b.resource) out.resource = b.resource;
    if (b.serviceName !== undefined || b.servicePort !== undefined) {
      const port = typeof b.servicePort === 'string' ? { name: b.servicePort } : { number: b.servicePort };
      out.service = { name: b.serviceName, port };
    }
    return out;
  };
  const spec = (o.spec ?? {}) as { backend?: Legacy; defaultBackend?: unknown; rules?: unknown[] };
  if (spec.backend) {
    spec.defaultBackend = convert(spec.backend);
    delete spec.backend;
  }
  for (const rule of (spec.rules ?? []) as {
    http?: { paths?: { backend?: Legacy; pathType?: string }[] };
  }[]) {
    for (const p of rule.http?.paths ?? []) {
      p.backend = convert(p.backend) as Legacy;
      // v1beta1 defaulted pathType; v1 has no default (pkg/apis/networking/v1beta1/defaults.go).
      p.pathType ||= 'ImplementationSpecific';
    }
  }
}

/** A streamed source whose bytes could not be read again (changed, gone, or too long for one string). */
function unreadableText(file: string, e: unknown): Finding {
  const tooLong = e instanceof RangeError || (e as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG';
  return finding(
    'input-unreadable',
    tooLong
      ? `cannot read ${file}: larger than the 512 MiB Node can hold as one text, and not one List (a List is read item by item, whatever its size)`
      : `cannot read ${file}: ${(e as Error).message}`,
    { file, line: 1, column: 1 },
    tooLong
      ? {
          fix: 'Dump it as one List (`kubectl get -A -o yaml` or `-o json` prints one), or split it into several files and pass them all: they are checked together.',
        }
      : {},
  );
}

const plainForced = (options: LoadOptions): boolean =>
  options.reader === 'plain' || process.env.PORTCHAIN_READER === 'plain';

/** Loads every document of one source. */
export function loadText(src: SourceText, options: LoadOptions = {}): LoadResult {
  return loadTextWith(src, options).result;
}

/** loadText, also telling which reader read the source. */
export function loadTextWith(
  src: SourceText,
  options: LoadOptions = {},
): { result: LoadResult; reader: ReaderUsed } {
  const out = new DocumentLoader(src.name, options.defaultNamespace ?? 'default');
  let fast: ReturnType<typeof readFast>;
  try {
    fast = plainForced(options) ? undefined : readFast(src, options.onObjects);
    // The plain path reads the whole text; a streamed source decodes it here, which can fail.
    if (!fast) void src.text;
  } catch (e) {
    if (!src.bytes) throw e;
    out.findings.push(unreadableText(src.name, e));
    return { result: out.result(0), reader: 'plain' };
  }
  if (fast) {
    for (const d of fast.docs) out.addDocument(d.value, d.docIndex, d.at);
    return { result: out.result(fast.documents), reader: fast.reader };
  }
  return { result: loadPlain(src, out), reader: 'plain' };
}

/**
 * The plain path: the source is split into its documents on `---` lines first, as kubectl's YAMLReader does
 * (k8s.io/apimachinery/pkg/util/yaml/decoder.go), and the `yaml` library reads each alone, with its errors
 * and positions; what go-yaml (sigs.k8s.io/yaml, what kubectl decodes with) rejects and the library accepts
 * is reported too. One broken document never takes the others with it.
 */
function loadPlain(src: SourceText, out: DocumentLoader): LoadResult {
  const positions = new LazyPositions(src.text, src.name);
  const parsed = new ParsedDocuments(src.text);
  let documents = 0;
  // Objects one after another in JSON are documents to kubectl; anything else splits on `---` lines.
  for (const span of splitJsonStream(src.text) ?? splitDocuments(src.text))
    documents += loadSpan(src.text, span, positions, parsed, documents, out);
  return out.result(documents);
}

const PARSE_OPTIONS = {
  version: '1.1',
  uniqueKeys: true,
  // A collection as a mapping key is reported as go-yaml's "invalid map key", not warned on stderr.
  logLevel: 'error',
} as const;

/** How many parsed documents to keep for `locate()`: a rule asks for several fields of one object in a row. */
const PARSED_CACHE_SIZE = 256;

/**
 * The parsed documents `locate()` walks, kept only for the most recent ones and parsed again when asked
 * for: a manifest holding its whole syntax tree costs about 4 KB per small object, so a million of them ran
 * a 4 GB heap out of memory. Parsing is deterministic, so a parsed-again document has the same positions.
 */
class ParsedDocuments {
  private readonly cache = new Map<string, Document.Parsed>();

  constructor(private readonly whole: string) {}

  remember(span: DocumentSpan, i: number, doc: Document.Parsed): void {
    const key = `${span.start}/${i}`;
    this.cache.delete(key);
    if (this.cache.size >= PARSED_CACHE_SIZE) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, doc);
  }

  get(span: DocumentSpan, i: number): Document.Parsed | undefined {
    const hit = this.cache.get(`${span.start}/${i}`);
    if (hit) return hit;
    let doc: Document.Parsed | undefined;
    try {
      const docs = yamlLib().parseAllDocuments(this.whole.slice(span.start, span.end), PARSE_OPTIONS);
      doc = Array.isArray(docs) ? (docs[i] as Document.Parsed | undefined) : undefined;
    } catch {
      // Asked from deeper in the stack than the first parse: the document's first line stands in.
      return undefined;
    }
    if (doc) this.remember(span, i, doc);
    return doc;
  }
}

/** A parser or `toJS` recursion that ran out of stack: a document nested too deep to read. */
const isStackOverflow = (e: unknown): boolean => e instanceof RangeError && /call stack/i.test(e.message);

/** go-yaml stops at 10,000 levels ("exceeded max depth of 10000"); the library runs out of stack first. */
const TOO_DEEP =
  'cannot parse: exceeded max depth: the document is nested too deep to read (the parser ran out of stack)';

/** Reads one document's text (rarely several: `...` may end one inside it); returns how many it held. */
function loadSpan(
  whole: string,
  span: DocumentSpan,
  positions: LazyPositions,
  parsed: ParsedDocuments,
  firstIndex: number,
  out: DocumentLoader,
): number {
  const { findings } = out;
  const text = span.start === 0 && span.end === whole.length ? whole : whole.slice(span.start, span.end);
  const location = (offset: number) => positions.location(span.start + Math.max(0, offset));
  const documentStart = () => positions.location(firstContentOffset(whole, span));
  let docs: Document.Parsed[];
  try {
    docs = yamlLib().parseAllDocuments(text, PARSE_OPTIONS) as Document.Parsed[];
    if (!Array.isArray(docs)) docs = [];
  } catch (e) {
    const message = isStackOverflow(e) ? TOO_DEEP : `cannot parse: ${(e as Error).message}`;
    findings.push(finding('yaml-syntax', message, documentStart()));
    return 1;
  }

  // go-yaml's reader refuses the whole document on a control character (yaml_parser_update_buffer in
  // readerc.go: "control characters are not allowed"); the library reads them as text.
  const control = firstControlCharacter(text);
  if (control) {
    const code = control.char.codePointAt(0) ?? 0;
    findings.push(
      finding(
        'yaml-syntax',
        `YAML syntax error: control characters are not allowed (U+${code.toString(16).toUpperCase().padStart(4, '0')})`,
        location(control.offset),
      ),
    );
  }

  docs.forEach((doc, i) => {
    parsed.remember(span, i, doc);
    // Holds the span, not the tree: the tree is parsed again if it has left the cache.
    const at = (keys: readonly (string | number)[]) => {
      const tree = parsed.get(span, i);
      return tree ? locateIn(tree, location, keys) : documentStart();
    };
    const fatal = doc.errors.filter((e) => e.code !== 'DUPLICATE_KEY');
    // The library catches its own stack overflows (RESOURCE_EXHAUSTION, one per level it unwinds): one finding.
    if (doc.errors.some((e) => e.code === 'RESOURCE_EXHAUSTION'))
      findings.push(finding('yaml-syntax', TOO_DEEP, documentStart()));
    for (const e of doc.errors) {
      if (e.code === 'RESOURCE_EXHAUSTION') continue;
      // The library's message names its position in this document's text: name it in the file instead.
      const noticed = location(e.pos[0]);
      const line = (e.message.split('\n')[0] ?? e.message).replace(
        / at line \d+, column \d+:?\s*$/,
        ` at line ${noticed.line}, column ${noticed.column}`,
      );
      const duplicate = e.code === 'DUPLICATE_KEY';
      findings.push(
        finding(
          duplicate ? 'yaml-duplicate-key' : 'yaml-syntax',
          duplicate
            ? `${line}: the API server (strict decoding) rejects this document`
            : `YAML syntax error: ${line}`,
          location(errorOffset(doc, e.code, line, e.pos[0])),
        ),
      );
    }
    if (fatal.length > 0 || control) return;

    let value: unknown;
    try {
      const rejected = goYamlRejects(doc, text);
      if (rejected) {
        findings.push(
          finding(
            'yaml-syntax',
            `cannot load document: yaml: ${rejected.message}`,
            location(rejected.offset),
          ),
        );
        return;
      }
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      const message = isStackOverflow(e) ? TOO_DEEP : `cannot load document: ${(e as Error).message}`;
      findings.push(finding('yaml-syntax', message, isStackOverflow(e) ? documentStart() : at([])));
      return;
    }
    out.addDocument(value, firstIndex + i, at);
  });
  return docs.length;
}

/**
 * Where a syntax error is reported. An unclosed quote runs to the end of its document, where the library
 * reports it; libyaml names the quote's start ("while scanning a quoted scalar"), which is where to look.
 */
function errorOffset(doc: Document.Parsed, code: string, message: string, pos: number): number {
  if (code !== 'MISSING_CHAR' || !/^Missing closing ["']quote/.test(message)) return pos;
  const { visit } = yamlLib();
  let start = pos;
  try {
    visit(doc, {
      Scalar(_key, node) {
        const range = node.range;
        if (range && range[1] === pos && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE')) {
          start = range[0];
          return visit.BREAK;
        }
        return undefined;
      },
    });
  } catch {
    // Too deep to walk: the library's position stands.
  }
  return start;
}

/**
 * The first thing in a document that go-yaml refuses to decode (sigs.k8s.io/yaml's goyaml.v2 decode.go and
 * resolve.go) although the library builds a value from it: an alias of an undefined anchor, an alias inside
 * the node its anchor names, a collection as a mapping key, a scalar whose explicit tag does not fit it.
 * Walks the document in order, as go-yaml decodes it; `text` is the document's source (for messages).
 */
function goYamlRejects(doc: Document.Parsed, text: string): { message: string; offset: number } | undefined {
  const { isAlias, isMap, isPair, isScalar, isSeq, visit } = yamlLib();
  const anchors = new Map<string, Node>();
  let found: { message: string; offset: number } | undefined;
  const collection = (n: unknown): boolean => isMap(n) || isSeq(n);
  visit(doc, (_key, node) => {
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      const offset = node.range?.[0] ?? 0;
      if (!target) found = { message: `unknown anchor '${node.source}' referenced`, offset };
      else {
        const [start, , end] = target.range ?? [0, 0, 0];
        if (offset >= start && offset < end)
          found = { message: `anchor '${node.source}' value contains itself`, offset };
      }
    } else if (isPair(node)) {
      const key = isAlias(node.key) ? anchors.get(node.key.source) : node.key;
      if (collection(key)) {
        const range = (node.key as Node).range ?? [0, 0, 0];
        const source = text.slice(range[0], range[1]).replace(/\s+/g, ' ');
        found = {
          message: `invalid map key: ${source.length > 40 ? `${source.slice(0, 37)}...` : source}`,
          offset: range[0],
        };
      }
    } else if (isScalar(node)) {
      const error = node.tag ? goYamlTagError(node.tag, scalarSource(node)) : undefined;
      if (error) found = { message: error, offset: node.range?.[0] ?? 0 };
    }
    if (found) return visit.BREAK;
    if (!isPair(node) && (node as Node).anchor) anchors.set((node as Node).anchor as string, node as Node);
    return undefined;
  });
  return found;
}

/** The scalar's text as go-yaml resolves it: its content (after quotes and escapes are read). */
const scalarSource = (node: Scalar): string =>
  typeof node.source === 'string' ? node.source : String(node.value ?? '');

/** Turns document values into manifests and findings; shared by the fast and the plain path. */
class DocumentLoader {
  readonly manifests: Manifest[] = [];
  readonly findings: Finding[] = [];
  readonly skippedKinds: Record<string, number> = {};

  constructor(
    private readonly file: string,
    private readonly defaultNamespace: string,
  ) {}

  result(documents: number): LoadResult {
    return { manifests: this.manifests, findings: this.findings, skippedKinds: this.skippedKinds, documents };
  }

  addDocument(value: unknown, docIndex: number, at: Locator): void {
    const { findings } = this;
    if (value === null || value === undefined) return; // an empty document, e.g. a trailing `---`
    if (!isPlainObject(value)) {
      const what = Array.isArray(value) ? 'a sequence' : `a ${typeof value}`;
      findings.push(
        finding(
          'not-an-object',
          `document is ${what}, not a Kubernetes object (a mapping with apiVersion and kind)`,
          at([]),
        ),
      );
      return;
    }
    const kind = value.kind;
    if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(value.items)) {
      value.items.forEach((item, i) => {
        if (isPlainObject(item)) this.addObject(item, i, docIndex, at);
        else
          findings.push(finding('not-an-object', `items[${i}] is not a Kubernetes object`, at(['items', i])));
      });
      return;
    }
    this.addObject(value, -1, docIndex, at);
  }

  /** `item`: the object's index in its List's `items`, or -1 when it is the document. */
  private addObject(raw: Record<string, unknown>, item: number, docIndex: number, at: Locator): void {
    const { findings, file } = this;
    const source = new ReadSource(file, docIndex, at, item);
    const kind = raw.kind;
    const apiVersion = raw.apiVersion;
    const missing = [
      typeof apiVersion === 'string' && apiVersion ? '' : 'apiVersion',
      typeof kind === 'string' && kind ? '' : 'kind',
    ].filter(Boolean);
    if (missing.length > 0) {
      findings.push(
        finding(
          'object-invalid',
          `error validating data: [${missing.map((m) => `${m} not set`).join(', ')}]`,
          source.locate(),
          {
            fix: 'Every object needs apiVersion and kind, for example `apiVersion: v1` and `kind: Service`.',
          },
        ),
      );
      return;
    }
    const k = kind as string;
    const av = apiVersion as string;
    const legacyIngress = k === 'Ingress' && LEGACY_INGRESS.has(av);
    const schema = legacyIngress ? legacyIngressSchema : kindSchemas[k];
    if (!schema) {
      this.skippedKinds[k] = (this.skippedKinds[k] ?? 0) + 1;
      return;
    }
    const decoded = decodeObjectAs(raw, schema, FieldPath.empty);
    const meta = (decoded.object.metadata ?? {}) as {
      name?: string;
      generateName?: string;
      namespace?: string;
    };
    const name = meta.name ?? meta.generateName ?? '';
    const namespace = clusterScopedKinds.has(k) ? '' : meta.namespace || this.defaultNamespace;
    const ref: ObjectRef = clusterScopedKinds.has(k)
      ? { apiVersion: av, kind: k, name }
      : { apiVersion: av, kind: k, namespace, name };
    for (const err of decoded.errors) findings.push(decodeFinding(err, ref, source));
    // Decoding shares the source's unchanged parts, so the conversion, which edits in place, gets a copy.
    let converted = decoded.object;
    if (legacyIngress) {
      converted = structuredClone(converted);
      convertLegacyIngress(converted);
    }
    const object = applyDefaults(k as Kind, converted as unknown as KindMap[Kind]);
    this.manifests.push({
      kind: k as Kind,
      apiVersion: av,
      object,
      raw,
      name,
      namespace,
      ref,
      source,
      decodeFailed: decoded.errors.length > 0,
    });
  }
}

/**
 * Where an object was read. One per object, holding its locator and item index rather than a closure and a
 * path of its own (at 150,000 objects those were 57 MB).
 */
class ReadSource implements ObjectSource {
  readonly #at: Locator;
  readonly #item: number;

  constructor(
    readonly file: string,
    readonly doc: number,
    at: Locator,
    item: number,
  ) {
    this.#at = at;
    this.#item = item;
  }

  locate(path: FieldPath = FieldPath.empty): SourceLocation {
    const keys = path.keys();
    return this.#at(this.#item < 0 ? keys : ['items', this.#item, ...keys]);
  }
}

function decodeFinding(err: DecodeError, ref: ObjectRef, source: ObjectSource): Finding {
  return {
    rule: 'api-decode',
    severity: 'error',
    message: `${ref.kind} in version "${ref.apiVersion.split('/').pop()}" cannot be handled as a ${ref.kind}: ${err.message}`,
    object: ref,
    field: err.field.toString(),
    location: source.locate(err.field),
    reason: 'FieldValueTypeInvalid',
    fix: 'Give the field the type the API expects (numbers unquoted, strings quoted when they look like numbers or booleans).',
  };
}

/** Where loadAll is: the source it reads (from 0), and the objects read so far from it and those before. */
export interface LoadProgress {
  readonly source: number;
  readonly objects: number;
}

export interface LoadAllOptions extends Omit<LoadOptions, 'onObjects'> {
  /** Told at the start of each source and, while a big one is read, every thousand or so objects. */
  readonly onProgress?: (p: LoadProgress) => void;
}

/** Loads several sources; the result is in input order. */
export function loadAll(sources: readonly SourceText[], options: LoadAllOptions = {}): LoadResult {
  const out: LoadResult = { manifests: [], findings: [], skippedKinds: {}, documents: 0 };
  let documents = 0;
  const { onProgress, ...loadOptions } = options;
  for (const [source, src] of sources.entries()) {
    // Objects of the sources before: those kept and those of kinds skipped.
    let before = out.manifests.length;
    for (const n of Object.values(out.skippedKinds)) before += n;
    onProgress?.({ source, objects: before });
    const r = loadText(
      src,
      onProgress
        ? { ...loadOptions, onObjects: (n) => onProgress({ source, objects: before + n }) }
        : loadOptions,
    );
    // A loop, not push(...spread): a dump of 150,000 objects would overflow the call stack.
    for (const m of r.manifests) out.manifests.push(m);
    for (const f of r.findings) out.findings.push(f);
    for (const [k, n] of Object.entries(r.skippedKinds)) out.skippedKinds[k] = (out.skippedKinds[k] ?? 0) + n;
    documents += r.documents;
  }
  return { ...out, documents };
}

/** Narrows a manifest to one kind. */
export function isKind<K extends Kind>(m: Manifest, kind: K): m is Manifest<K> {
  return m.kind === kind;
}
