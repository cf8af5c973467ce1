/**
 * Generators for the fuzz tests: valid manifests (a Deployment, its Service, an Ingress) in namespace `ok`, and
 * one bad document in namespace `bad` (a hostile value in a field the API server validates, or a corrupted
 * document), each knowing the line(s) where portchain must report it. The bad document shares no name, label
 * or namespace with the valid ones, so the valid ones' findings must not change when it is added.
 */
import fc from 'fast-check';
import { isMap, isSeq, LineCounter, type Node, parseDocument, stringify } from 'yaml';

/**
 * Runs and seed: `quickRuns` in `npm test`; FUZZ_RUNS / `divisor` when FUZZ_RUNS is set (npm run fuzz: 100000; the
 * slow properties divide it to keep the run within tens of minutes); FUZZ_SEED replays a failure.
 */
export function fuzzParams(quickRuns = 200, divisor = 1): { numRuns: number; seed: number } {
  const runs = process.env.FUZZ_RUNS ? Math.floor(Number(process.env.FUZZ_RUNS) / divisor) : quickRuns;
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261125;
  return { numRuns: Math.max(1, runs), seed };
}

/** True in `npm run fuzz` (FUZZ_RUNS set): the big inputs run at full size. */
export const fullFuzz = process.env.FUZZ_RUNS !== undefined;

/** Per-test timeout of a property: generous in `npm test` (a loaded machine), an hour in `npm run fuzz`. */
export const PROPERTY_TIMEOUT = fullFuzz ? 3_600_000 : 180_000;

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const dnsLabel = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
const validPort = fc.integer({ min: 1, max: 65535 });

/** A sound app: nginx behind a Service (by number or by name) and, sometimes, an Ingress. */
export const validApp = fc
  .record({
    name: dnsLabel,
    servicePort: validPort,
    byName: fc.boolean(),
    ingress: fc.boolean(),
    replicas: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ name, servicePort, byName, ingress, replicas }): Obj[] => {
    const app = `ok-${name}`;
    const docs: Obj[] = [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: app, namespace: 'ok' },
        spec: {
          replicas,
          selector: { matchLabels: { app } },
          template: {
            metadata: { labels: { app } },
            spec: {
              containers: [
                { name: 'web', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 80 }] },
              ],
            },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: app, namespace: 'ok' },
        spec: {
          selector: { app },
          ports: [{ name: 'http', port: servicePort, targetPort: byName ? 'http' : 80 }],
        },
      },
    ];
    if (ingress)
      docs.push({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: app, namespace: 'ok' },
        spec: {
          ingressClassName: 'nginx',
          rules: [
            {
              host: `${app}.example.com`,
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: app, port: { number: servicePort } } },
                  },
                ],
              },
            },
          ],
        },
      });
    return docs;
  });

/** Several valid apps with distinct names. */
export const validApps = fc
  .uniqueArray(validApp, { maxLength: 3, selector: (d) => (d[0]?.metadata as Obj | undefined)?.name })
  .map((apps) => apps.flat());

/** Text with unicode, control characters, quotes and markup. */
const hostileText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '<script>x</script>',
    '\u0000',
    '\u0007bell',
    '\u202Eevil',
    'é'.repeat(50),
    '$' + '{HOME}',
    '`id`',
  ),
);

/** Values that are never a valid port (1-65535 integer) whatever their type. */
export const invalidPort: fc.Arbitrary<Json> = fc.oneof(
  fc.integer({ max: 0 }),
  fc.integer({ min: 65536 }),
  fc.constantFrom(1e12, 2 ** 53, -(2 ** 53), 1e300, -1e300, 0.5, 80.5, 65535.0001),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
  fc.boolean(),
  fc.constant(null),
  fc.constant([] as Json[]),
  fc.constant({} as Obj),
  fc.array(fc.integer(), { minLength: 1, maxLength: 3 }),
  hostileText.filter((s) => !/^\s*[+-]?\d/.test(s)),
);

/** Invalid IANA_SVC_NAME / DNS label values (upper case, too long, digits only, symbols, unicode, empty). */
const invalidName = fc.oneof(
  fc.constantFrom('UPPER', 'a-very-long-port-name-x', '8080', '-dash', 'dash-', 'a--b', 'has space', 'ü', ''),
  fc.stringMatching(/^[A-Z_<>!]{1,10}$/),
);

/** Invalid DNS-1123 labels (a Service port name): upper case, edges, symbols, unicode, over 63 characters. */
const invalidLabel = fc.oneof(
  fc.constantFrom('UPPER', '-dash', 'dash-', 'has space', 'ü', 'a'.repeat(64), '_x', 'a.b'),
  fc.stringMatching(/^[A-Z_<>!]{1,10}$/),
);

const invalidProtocol = fc.oneof(
  fc.constantFrom('tcp', 'udp', 'HTTP', 'ICMP', 'TCP ', 'SCTP\u0000'),
  fc.integer(),
  fc.boolean(),
  fc.constant([] as Json[]),
);

export interface FieldMutation {
  readonly kind: string;
  /** The key path (as written) whose line the finding must be at. */
  readonly path: readonly (string | number)[];
  readonly value: Json;
}

const svcPaths = [
  ['spec', 'ports', 0, 'port'],
  ['spec', 'ports', 0, 'targetPort'],
  ['spec', 'ports', 0, 'protocol'],
  ['spec', 'ports', 0, 'name'],
] as const;
const ctr = ['spec', 'template', 'spec', 'containers', 0] as const;

/** A hostile value at a validated field of a Service, Deployment or Ingress. */
export const fieldMutation: fc.Arbitrary<FieldMutation> = fc.oneof(
  invalidPort.map((value) => ({ kind: 'Service', path: svcPaths[0], value })),
  fc
    .oneof(
      // 0 (and null, "") is not invalid here: the API server defaults targetPort to port (defaults.go).
      invalidPort.filter((v) => typeof v !== 'string' && v !== null && v !== 0),
      fc.constantFrom('8080', 'UPPER', 'a-very-long-port-name-x', 'has space', '-x'),
    )
    .map((value) => ({ kind: 'Service', path: svcPaths[1], value })),
  invalidProtocol.map((value) => ({ kind: 'Service', path: svcPaths[2], value })),
  invalidLabel.map((value) => ({ kind: 'Service', path: svcPaths[3], value })),
  invalidPort.map((value) => ({ kind: 'Deployment', path: [...ctr, 'ports', 0, 'containerPort'], value })),
  invalidProtocol.map((value) => ({ kind: 'Deployment', path: [...ctr, 'ports', 0, 'protocol'], value })),
  invalidName
    .filter((v) => v !== '')
    .map((value) => ({ kind: 'Deployment', path: [...ctr, 'ports', 0, 'name'], value })),
  invalidPort.map((value) => ({
    kind: 'Ingress',
    path: ['spec', 'rules', 0, 'http', 'paths', 0, 'backend', 'service', 'port', 'number'],
    value,
  })),
);

/** The bad objects: unique names, namespace `bad`, labels no valid object selects. */
export function badObject(kind: string): Obj {
  const app = 'bad-app';
  if (kind === 'Service')
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: app, namespace: 'bad' },
      spec: { selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
    };
  if (kind === 'Ingress')
    return {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: app, namespace: 'bad' },
      spec: {
        rules: [
          {
            host: 'bad.example.com',
            http: {
              paths: [
                { path: '/', pathType: 'Prefix', backend: { service: { name: app, port: { number: 80 } } } },
              ],
            },
          },
        ],
      },
    };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app, namespace: 'bad' },
    spec: {
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'registry.example/app:1',
              ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
            },
          ],
        },
      },
    },
  };
}

function setIn(o: Json, path: readonly (string | number)[], value: Json): void {
  let cur = o as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, Json>;
  cur[path[path.length - 1] as string | number] = value;
}

/** The 1-based line of a key path in one YAML document's text (found by the yaml library, not by portchain). */
export function lineOf(text: string, path: readonly (string | number)[]): number {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  let node: unknown = doc.contents;
  let offset = (node as Node).range?.[0] ?? 0;
  for (const k of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown }).value) === String(k));
      if (!pair) throw new Error(`no key ${k}`);
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof k === 'number') {
      node = node.items[k];
      offset = (node as Node).range?.[0] ?? offset;
    } else throw new Error(`cannot follow ${k}`);
  }
  return lc.linePos(offset).line;
}

export const toYaml = (o: Json): string => stringify(o, { lineWidth: 0 });

/** One bad document: its text and the lines (relative, 1-based) where a finding must be. */
export interface BadDocument {
  readonly what: string;
  readonly text: string;
  /** A finding must be at one of these lines of the document (1-based within it). */
  readonly lines: readonly number[];
  /** A known loader bug this case hits (see KNOWN_BUGS in loader.test.ts). */
  readonly bug?: string;
}

/**
 * Loader bugs the fuzzer found that are not fixed yet: cases tagged with one are still run (no throw, sane
 * lines) but not held to "reported at its line, the rest still checked". Remove an id once fixed: its
 * regression test in loader.test.ts then must pass instead of fail. Fixed so far (RELIABILITY.md, "Loader
 * bugs found"): unclosed-quote-swallows-following-documents, control-characters-accepted,
 * self-referencing-alias-accepted, bad-tagged-value-accepted.
 */
export const KNOWN_BUGS: ReadonlySet<string> = new Set<string>([]);

export const fieldMutationDoc: fc.Arbitrary<BadDocument> = fieldMutation.map((m) => {
  const o = badObject(m.kind);
  setIn(o, m.path, m.value);
  const text = toYaml(o);
  // A zero value (null, 0) is a missing field: Kubernetes may report it at a parent (`backend: Required value`).
  const zero = m.value === null || m.value === 0;
  const lines = zero ? m.path.map((_, i) => lineOf(text, m.path.slice(0, i + 1))) : [lineOf(text, m.path)];
  return { what: `${m.kind} ${m.path.join('.')} = ${JSON.stringify(m.value)}`, text, lines };
});

const lineCount = (text: string) => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
const allLines = (text: string) => Array.from({ length: lineCount(text) }, (_, i) => i + 1);

/** Whole-document corruptions: the finding may be anywhere inside the document. */
export const corruptDoc: fc.Arbitrary<BadDocument> = fc.oneof(
  // Not an object: a scalar or a sequence.
  fc
    .oneof(fc.integer(), fc.string({ minLength: 1, maxLength: 30 }), fc.array(fc.integer(), { minLength: 1 }))
    .map((v) => {
      const text = toYaml(v as Json);
      return { what: 'not an object', text, lines: allLines(text) };
    }),
  // A YAML syntax error injected into the Service; some hit a known loader bug (KNOWN_BUGS).
  fc
    .tuple(
      fc.constantFrom<[string, string?]>(
        ['  bad: [1, 2'],
        ['  bad: "unclosed', 'unclosed-quote-swallows-following-documents'],
        ["  bad: 'unclosed", 'unclosed-quote-swallows-following-documents'],
        ['  bad: {a: 1'],
        ['\tbad: tab'],
        ['  bad: a: b'],
        ['  bad: @reserved'],
        ['  bad: `tick'],
        ['  bad: *undefinedAlias'],
        [' bad: misindented'],
        ['  bad: !!int notanint', 'bad-tagged-value-accepted'],
        ['  bad: \u0001control', 'control-characters-accepted'],
        ['  bad: "\u0007"', 'control-characters-accepted'],
        ['  bad: \u001b[31m', 'control-characters-accepted'],
        ['  bad: \uFFFEnonchar', 'control-characters-accepted'],
        ['  bad: &a [*a]', 'self-referencing-alias-accepted'],
      ),
      fc.integer({ min: 0, max: 7 }),
    )
    .map(([[inject, bug], at]) => {
      const lines = toYaml(badObject('Service')).split('\n');
      const line = Math.min(at + 1, lines.length - 1);
      lines.splice(line, 0, inject);
      const text = lines.join('\n');
      return {
        what: `syntax ${JSON.stringify(inject)} at line ${line + 1}`,
        text,
        lines: allLines(text),
        ...(bug ? { bug } : {}),
      };
    }),
  // A duplicate key: reported at the second one.
  fc.constantFrom('kind: Service', 'metadata:\n  name: dup', 'apiVersion: v1').map((dup) => {
    const text = `${toYaml(badObject('Service'))}${dup}\n`;
    return {
      what: `duplicate ${dup.split(':')[0]}`,
      text,
      lines: [lineCount(toYaml(badObject('Service'))) + 1],
    };
  }),
  // Missing apiVersion or kind.
  fc.constantFrom('apiVersion', 'kind').map((k) => {
    const o = badObject('Service');
    delete o[k];
    const text = toYaml(o);
    return { what: `no ${k}`, text, lines: allLines(text) };
  }),
  // An alias bomb (billion laughs), small enough to write, huge once expanded.
  fc.integer({ min: 3, max: 9 }).map((depth) => {
    const rows = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i <= depth; i++)
      rows.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\n  namespace: bad\ndata:\n${rows.map((r) => `  ${r}`).join('\n')}\n`;
    return { what: `alias bomb depth ${depth}`, text, lines: allLines(text) };
  }),
  // Deep nesting, flow and block.
  fc.integer({ min: 100, max: 3000 }).map((depth) => {
    const text = `apiVersion: v1\nkind: Service\nmetadata:\n  name: deep\n  namespace: bad\nspec:\n  ports: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
    return { what: `flow nesting ${depth}`, text, lines: allLines(text) };
  }),
  // Types swapped at the top: spec as a list, metadata as a string, ports as a map.
  fc
    .constantFrom<[string, Json]>(
      ['spec', [1, 2]],
      ['metadata', 'web'],
      ['spec', 'x'],
      ['spec', 5],
      ['metadata', [{ name: 'x' }]],
    )
    .map(([key, value]) => {
      const o = badObject('Service');
      o[key] = value;
      const text = toYaml(o);
      return { what: `${key} = ${JSON.stringify(value)}`, text, lines: [lineOf(text, [key])] };
    }),
);

export const badDocument: fc.Arbitrary<BadDocument> = fc.oneof(
  { arbitrary: fieldMutationDoc, weight: 3 },
  { arbitrary: corruptDoc, weight: 2 },
);

/** Valid documents with one bad document inserted among them, and where each one's lines are. */
export interface MixedInput {
  readonly valid: readonly string[];
  readonly bad: BadDocument;
  /** Index of the bad document among all documents. */
  readonly badIndex: number;
}

export const mixedInput: fc.Arbitrary<MixedInput> = fc
  .tuple(validApps, badDocument, fc.nat())
  .map(([objs, bad, n]) => ({ valid: objs.map(toYaml), bad, badIndex: n % (objs.length + 1) }));

/** The documents in order, joined with `---`; for each, its first line in the joined text. */
export function joinDocuments(docs: readonly string[]): { text: string; starts: number[] } {
  const starts: number[] = [];
  let line = 1;
  let text = '';
  for (const d of docs) {
    const body = d.endsWith('\n') ? d : `${d}\n`;
    text += '---\n';
    line += 1;
    starts.push(line);
    text += body;
    line += lineCount(body);
  }
  return { text, starts };
}

export function assemble(m: MixedInput): {
  text: string;
  badStart: number;
  /** Line in the mixed text -> line in the valid-only text, for lines of valid documents. */
  mapLine: (line: number) => number | undefined;
  validText: string;
} {
  const docs = [...m.valid];
  docs.splice(m.badIndex, 0, m.bad.text);
  const all = joinDocuments(docs);
  const alone = joinDocuments(m.valid);
  const ranges = docs.map((d, i) => ({ start: all.starts[i] as number, n: lineCount(d), i }));
  const mapLine = (line: number): number | undefined => {
    for (const r of ranges) {
      if (r.i === m.badIndex) continue;
      if (line >= r.start && line < r.start + r.n) {
        const vi = r.i < m.badIndex ? r.i : r.i - 1;
        return (alone.starts[vi] as number) + (line - r.start);
      }
    }
    return undefined;
  };
  return { text: all.text, badStart: all.starts[m.badIndex] as number, mapLine, validText: alone.text };
}
