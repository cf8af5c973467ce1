import { describe, expect, it, vi } from 'vitest';
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';
import { FieldPath } from '../src/model/field-path.js';
import { isKind, loadText } from '../src/model/load.js';

const yaml = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
  - name: https
    port: eighty
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: p, namespace: shop}
  spec:
    containers:
    - name: app
      image: nginx
      ports:
      - containerPort: 80
- apiVersion: v1
  kind: Widget
  metadata: {name: w}
`;

describe('loadText', () => {
  const r = loadText({ name: 'a.yaml', text: yaml });

  it('keeps modelled kinds, counts the others', () => {
    expect(r.manifests.map((m) => `${m.kind}/${m.namespace}/${m.name}`)).toEqual([
      'Service/default/web',
      'Pod/shop/p',
    ]);
    expect(r.skippedKinds).toEqual({ Widget: 1 });
  });

  it('defaults as the API server does', () => {
    const svc = r.manifests[0]!;
    if (!isKind(svc, 'Service')) throw new Error('not a service');
    expect(svc.object.spec.type).toBe('ClusterIP');
    expect(svc.object.spec.ports?.[0]).toMatchObject({ protocol: 'TCP', targetPort: 80 });
  });

  it('reports a wrong type with the API words, at the field line', () => {
    const f = r.findings.find((x) => x.rule === 'api-decode');
    expect(f?.field).toBe('spec.ports[1].port');
    expect(f?.message).toContain(
      'cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32',
    );
    expect(f?.location).toEqual({ file: 'a.yaml', line: 12, column: 5 });
  });

  it('locates fields of List items', () => {
    const pod = r.manifests[1]!;
    const path = FieldPath.root('spec', 'containers').index(0).child('ports').index(0).child('containerPort');
    expect(pod.source.locate(path)).toEqual({ file: 'a.yaml', line: 25, column: 9 });
  });

  it('survives bad YAML and keeps the good documents', () => {
    const bad = loadText({
      name: 'b.yaml',
      text: 'kind: Service\napiVersion: v1\nmetadata: {name: a}\n---\nfoo: [unclosed\n---\n- a list\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n',
    });
    expect(bad.manifests.map((m) => m.name)).toEqual(['a', 'c']);
    expect(bad.findings.map((f) => f.rule)).toEqual(['yaml-syntax', 'not-an-object']);
    // The parser notices the unclosed flow sequence where the next document starts.
    expect(bad.findings[0]?.location?.line).toBe(6);
  });

  it('reports a List item that is not an object at its line, and keeps the other items', () => {
    const yaml =
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n- just text\n';
    const json = JSON.stringify(
      {
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, 'just text'],
      },
      null,
      2,
    );
    for (const [name, text, line] of [
      ['l.yaml', yaml, 7],
      ['l.json', json, 12],
    ] as const) {
      const r = loadText({ name, text });
      expect(r.manifests.map((m) => m.name)).toEqual(['c']);
      expect(r.findings.map((f) => [f.rule, f.message, f.location?.line])).toEqual([
        ['not-an-object', 'items[1] is not a Kubernetes object', line],
      ]);
    }
  });

  it('stops alias bombs', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++)
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
      );
    const r2 = loadText({ name: 'bomb.yaml', text: bomb.join('\n') });
    expect(r2.findings[0]?.rule).toBe('yaml-syntax');
    expect(r2.findings[0]?.message).toMatch(/alias/i);
  });
});

/** Every finding as `rule line:column`, in order. */
const at = (r: ReturnType<typeof loadText>) =>
  r.findings.map((f) => `${f.rule} ${f.location?.line}:${f.location?.column}`);

const svc = (name: string, extra = '') =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n${extra}spec:\n  ports:\n  - port: 80\n`;

describe('documents are split on `---` lines before parsing (kubectl YAMLReader)', () => {
  for (const reader of ['fast', 'plain'] as const)
    it(`an unclosed quote stops at the next document (${reader} reader)`, () => {
      for (const q of ['"', "'"]) {
        const text = `${svc('a', `  labels: {x: ${q}open}\n`)}---\n${svc('b')}---\n${svc('c')}`;
        const r = loadText({ name: 'q.yaml', text }, { reader });
        expect(r.manifests.map((m) => m.name)).toEqual(['b', 'c']);
        // Reported where the quote opens (libyaml: "while scanning a quoted scalar"), not at the file's end.
        expect(r.findings[0]).toMatchObject({
          rule: 'yaml-syntax',
          location: { line: 5, column: 15 },
        });
        expect(r.findings[0]?.message).toContain('quote');
        expect(r.findings.every((f) => (f.location?.line ?? 0) <= 10)).toBe(true);
        expect(r.documents).toBe(3);
      }
    });

  it('keeps document indexes and positions after comments, directives and markers with content', () => {
    const text = `# head\n%YAML 1.1\n---\n${svc('a')}--- # two\n${svc('b')}--- {apiVersion: v1, kind: Service, metadata: {name: c}, spec: {ports: [{port: eighty}]}}\n---\n`;
    const r = loadText({ name: 'd.yaml', text }, { reader: 'plain' });
    expect(r.manifests.map((m) => `${m.name}@${m.source.doc}`)).toEqual(['a@0', 'b@1', 'c@2']);
    expect(r.documents).toBe(4);
    const b = r.manifests[1];
    expect(b?.source.locate(FieldPath.root('spec', 'ports').index(0).child('port'))).toEqual({
      file: 'd.yaml',
      line: 18,
      column: 5,
    });
    expect(at(r)).toEqual(['api-decode 19:74']);
  });

  it('a syntax error names its line in the file, not in its document', () => {
    const r = loadText({
      name: 'e.yaml',
      text: `${svc('a')}---\n${svc('b')}---\nfoo: [unclosed\n---\n${svc('c')}`,
    });
    expect(r.manifests.map((m) => m.name)).toEqual(['a', 'b', 'c']);
    expect(at(r)).toEqual(['yaml-syntax 18:1']);
    expect(r.findings[0]?.message).toMatch(/ at line 18, column 1$/);
  });

  it('`---x` and `----` are not markers; `...` inside a document still ends it', () => {
    const r = loadText({ name: 'm.yaml', text: `${svc('a')}...\n${svc('b')}` }, { reader: 'plain' });
    expect(r.manifests.map((m) => m.name)).toEqual(['a', 'b']);
    const plainText = loadText({ name: 'm.yaml', text: 'a: |\n  x\n----\n' }, { reader: 'plain' });
    expect(plainText.documents).toBe(1);
  });
});

describe('go-yaml rejects what the yaml library accepts (sigs.k8s.io/yaml, as kubectl reads it)', () => {
  it.each([
    ['\u0000', 'U+0000'],
    ['\u0001', 'U+0001'],
    ['\u001b', 'U+001B'],
    ['\u007f', 'U+007F'],
    ['\u0080', 'U+0080'],
    ['\u009f', 'U+009F'],
    ['\uFFFE', 'U+FFFE'],
    ['\uFFFF', 'U+FFFF'],
  ])('a control character %j: a finding at its line, the next document loaded', (c, code) => {
    const text = `${svc('a', `  labels:\n    k: x${c}y\n`)}---\n${svc('b')}`;
    for (const reader of ['fast', 'plain'] as const) {
      const r = loadText({ name: 'c.yaml', text }, { reader });
      expect(r.manifests.map((m) => m.name)).toEqual(['b']);
      expect(at(r)).toEqual(['yaml-syntax 6:9']);
      expect(r.findings[0]?.message).toBe(`YAML syntax error: control characters are not allowed (${code})`);
    }
  });

  it('characters go-yaml allows load as before: tab, NEL, U+2028, a BOM, astral characters', () => {
    for (const c of ['\t', '\u0085', '\u2028', '\uFEFF', '\u{1F600}', '\uFFFD']) {
      const r = loadText({ name: 'ok.yaml', text: svc('a', `  labels:\n    k: "x${c}y"\n`) });
      expect(r.findings.map((f) => f.message)).toEqual([]);
      expect(r.manifests.map((m) => m.name)).toEqual(['a']);
    }
  });

  it.each([
    ['  x: &a [*a]\n', 'yaml-syntax 5:10', "cannot load document: yaml: anchor 'a' value contains itself"],
    [
      '  x: &a {k: [1, *a]}\n',
      'yaml-syntax 5:17',
      "cannot load document: yaml: anchor 'a' value contains itself",
    ],
    [
      '  x: &a\n    k: *a\n',
      'yaml-syntax 6:8',
      "cannot load document: yaml: anchor 'a' value contains itself",
    ],
    [
      '  x: 1\n  y: *nope\n',
      'yaml-syntax 6:6',
      "cannot load document: yaml: unknown anchor 'nope' referenced",
    ],
    [
      '  x: !!int notanint\n',
      'yaml-syntax 5:12',
      'cannot load document: yaml: cannot decode !!str `notanint` as a !!int',
    ],
    [
      '  x: !!int 1.5\n',
      'yaml-syntax 5:12',
      'cannot load document: yaml: cannot decode !!float `1.5` as a !!int',
    ],
    [
      '  x: !!bool maybe\n',
      'yaml-syntax 5:13',
      'cannot load document: yaml: cannot decode !!str `maybe` as a !!bool',
    ],
    [
      '  x: !!float abc\n',
      'yaml-syntax 5:14',
      'cannot load document: yaml: cannot decode !!str `abc` as a !!float',
    ],
    [
      '  x: !!null 0\n',
      'yaml-syntax 5:13',
      'cannot load document: yaml: cannot decode !!int `0` as a !!null',
    ],
    [
      '  x: !!binary "@@"\n',
      'yaml-syntax 5:15',
      'cannot load document: yaml: !!binary value contains invalid base64 data',
    ],
    ['  ? [a, b]\n  : v\n', 'yaml-syntax 5:5', 'cannot load document: yaml: invalid map key: [a, b]'],
    ['  k: &m {a: 1}\n  ? *m\n  : v\n', 'yaml-syntax 6:5', 'cannot load document: yaml: invalid map key: *m'],
  ])('%j: one finding at its own line, the next document loaded', (inject, where, message) => {
    const r = loadText({ name: 'g.yaml', text: `${svc('a', inject)}---\n${svc('b')}` });
    expect(r.manifests.map((m) => m.name)).toEqual(['b']);
    expect(at(r)).toEqual([where]);
    expect(r.findings[0]?.message).toBe(message);
  });

  it('tags go-yaml resolves to what they say, and tags it does not know, load as before', () => {
    const tagged = [
      '!!int "12"',
      '!!int 0x1F',
      '!!int 0o17',
      '!!float 1',
      '!!float .5',
      '!!bool yes',
      '!!str 12',
      '!!null ~',
      '!!timestamp 2024-01-02',
      '!!binary aGVsbG8=',
      '!custom text',
      '! 12',
    ];
    for (const t of tagged) {
      const r = loadText({ name: 't.yaml', text: svc('a', `  annotations: {k: ${t}}\n`) });
      expect(
        r.findings.filter((f) => f.rule === 'yaml-syntax'),
        t,
      ).toEqual([]);
      expect(r.manifests).toHaveLength(1);
    }
  });

  it('a collection as a mapping key is a finding, with no warning printed on stderr', () => {
    const spy = vi.spyOn(process, 'emitWarning');
    try {
      const r = loadText({ name: 'k.yaml', text: 'a:\n  ? [x]\n  : 1\n' });
      expect(at(r)).toEqual(['yaml-syntax 2:5']);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('a document too deep to parse loses only itself', () => {
  it.each([
    // Block nesting costs depth² characters: 6,000 levels (18 MB) already exhaust the parser's stack.
    ['flow', 30_000, (d: number) => `  x: ${'['.repeat(d)}${']'.repeat(d)}\n`],
    [
      'block',
      6_000,
      (d: number) => `  x:\n${Array.from({ length: d }, (_, i) => `${' '.repeat(i + 4)}k:`).join('\n')} 1\n`,
    ],
  ] as const)(
    '%s nesting %i deep: one finding at the document’s first line',
    (_what, depth, nest) => {
      const text = `${svc('a')}---\n# comment\n${svc('deep', nest(depth))}---\n${svc('c', '  labels: {k: "v"}\n')}`;
      const r = loadText({ name: 'deep.yaml', text });
      expect(r.manifests.map((m) => m.name)).toEqual(['a', 'c']);
      expect(r.findings.map((f) => f.message)).toEqual([
        'cannot parse: exceeded max depth: the document is nested too deep to read (the parser ran out of stack)',
      ]);
      // Line 8 is `---`, line 9 a comment: the document starts at line 10.
      expect(at(r)).toEqual(['yaml-syntax 10:1']);
      const c = r.manifests[1];
      const lines = text.split('\n');
      const labelLine = lines.findIndex((l, i) => i > 20 && l.includes('labels: {k: "v"}')) + 1;
      expect(c?.source.locate(FieldPath.root('metadata', 'labels', 'k'))).toEqual({
        file: 'deep.yaml',
        line: labelLine,
        column: 12,
      });
      expect(r.documents).toBe(3);
    },
    120_000,
  );
});

describe('the split keeps the positions of a whole-stream parse where the fast path cannot read', () => {
  /** Where the `yaml` library, reading the whole stream at once, puts a key path of document `doc`. */
  function wholeStream(text: string, doc: number, keys: readonly (string | number)[]): [number, number] {
    const lines = new LineCounter();
    const d = parseAllDocuments(text, { version: '1.1', lineCounter: lines })[doc];
    let node: unknown = d?.contents;
    let offset = (node as Node).range?.[0] ?? 0;
    for (const k of keys) {
      if (isAlias(node) && d) node = node.resolve(d);
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(k));
        if (!pair) break;
        offset = (pair.key as Node).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof k === 'number') {
        node = node.items[k];
        offset = (node as Node).range?.[0] ?? offset;
      } else break;
    }
    const p = lines.linePos(offset);
    return [p.line, p.col];
  }
  // Flow collections, anchors and tags send every document to the library: each is parsed alone here.
  const docs = [
    `apiVersion: v1\nkind: Service\nmetadata: {name: a, labels: &l {app: web}}\nspec:\n  selector: *l\n  ports: [{port: 80, targetPort: eighty}]\n`,
    `# comment\napiVersion: v1\nkind: Service\nmetadata:\n  name: !!str b\nspec:\n  ports:\n  - {port: 81, name: "x y"}\n`,
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        ports: [{containerPort: 70000}]\n`,
  ];
  it.each([
    ['---\n', ''],
    ['--- # marker comment\n', '# head\n\n'],
    ['\n# between\n---\n\n', '---\n'],
  ])('separator %j, prelude %j', (sep, head) => {
    const text = head + docs.join(sep);
    const r = loadText({ name: 's.yaml', text });
    expect(r.manifests.map((m) => m.name)).toEqual(['a', 'b', 'd']);
    const paths: FieldPath[] = [
      FieldPath.empty,
      FieldPath.root('metadata', 'name'),
      FieldPath.root('spec', 'selector', 'app'),
      FieldPath.root('spec', 'ports').index(0).child('port'),
      FieldPath.root('spec', 'ports').index(0).child('targetPort'),
      FieldPath.root('spec', 'template', 'spec', 'containers').index(0).child('ports').index(0),
    ];
    for (const m of r.manifests)
      for (const p of paths) {
        const { line, column } = m.source.locate(p);
        expect([line, column], `${m.name} ${p.toString()}`).toEqual(
          wholeStream(text, m.source.doc, p.keys()),
        );
      }
  });
});

describe('the plain path keeps few syntax trees', () => {
  it('positions of documents parsed again after leaving the cache are the same', () => {
    // An anchor sends the file to the plain path; 300 documents outgrow its 256 kept trees.
    const docs = Array.from(
      { length: 300 },
      (_, i) =>
        `apiVersion: v1\nkind: Service\nmetadata: {name: s${i}, labels: &l {app: a${i}}}\nspec:\n  selector: *l\n  ports:\n  - port: ${i % 7 === 0 ? 'bad' : 80}\n`,
    );
    const r = loadText({ name: 'many.yaml', text: docs.join('---\n') });
    expect(r.manifests).toHaveLength(300);
    const port = FieldPath.root('spec', 'ports').index(0).child('port');
    for (const i of [0, 1, 150, 299, 0]) {
      const m = r.manifests[i];
      expect(m?.source.locate(port)).toEqual({ file: 'many.yaml', line: i * 8 + 7, column: 5 });
      expect(m?.source.locate(FieldPath.root('spec', 'selector', 'app'))).toEqual({
        file: 'many.yaml',
        line: i * 8 + 3,
        column: 33 + String(i).length,
      });
    }
    expect(r.findings.filter((f) => f.rule === 'api-decode').map((f) => f.location?.line)).toEqual(
      Array.from({ length: 43 }, (_, k) => k * 7 * 8 + 7),
    );
  });
});
