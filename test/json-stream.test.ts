/**
 * Several JSON objects one after another are several documents, as kubectl's YAMLOrJSONDecoder reads them
 * (src/model/json-stream.ts): each object at its own position, the same through the fast and plain readers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FieldPath } from '../src/model/field-path.js';
import { splitJsonStream } from '../src/model/json-stream.js';
import { loadTextWith } from '../src/model/load.js';
import { compareReaders } from './helpers/compare-readers.js';
import { jsonValues, trickyStrings } from './helpers/json-arbitraries.js';

const service = (name: string, targetPort: number | string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'shop' },
  spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort }] },
});

describe('splitJsonStream', () => {
  it.each([
    {
      what: 'one object per line',
      text: '{"a":1}\n{"b":2}\n',
      spans: [
        [0, 7],
        [8, 15],
      ],
    },
    {
      what: 'objects back to back',
      text: '{"a":1}{"b":[{}]}',
      spans: [
        [0, 7],
        [7, 17],
      ],
    },
    {
      what: 'JSON white space around them',
      text: ' \t\r\n{"a":1}\r\n\t{"b":2} ',
      spans: [
        [4, 11],
        [14, 21],
      ],
    },
    {
      what: 'braces and escaped quotes in strings',
      text: '{"a":"}{\\"}"}{"b":"\\\\"}',
      spans: [
        [0, 13],
        [13, 23],
      ],
    },
    { what: 'a single object', text: '{"a":{"b":2}}\n', spans: undefined },
    { what: 'a JSON array (YAML to kubectl)', text: '[{"a":1}]\n[{"b":2}]', spans: undefined },
    { what: 'YAML', text: 'a: 1\n---\nb: 2\n', spans: undefined },
    { what: 'an object left open', text: '{"a":1}\n{"b":2', spans: undefined },
    { what: 'a string left open', text: '{"a":1}\n{"b":"2}', spans: undefined },
    { what: 'something other than an object after one', text: '{"a":1}\n[1]', spans: undefined },
    { what: 'an object closed by a bracket', text: '{"a":1}\n{"b":2]', spans: undefined },
  ])('$what', ({ text, spans }) => {
    expect(splitJsonStream(text)?.map((s) => [s.start, s.end])).toEqual(spans);
  });
});

describe('loading a stream of JSON objects', () => {
  it('reads each object as a document, at its own line, as `jq -c .items[]` prints them', () => {
    const text = `${[service('web', 'http'), service('api', 8080)].map((o) => JSON.stringify(o)).join('\n')}\n`;
    expect(compareReaders({ name: 's.json', text })).toBe('fast-json');
    const { result } = loadTextWith({ name: 's.json', text });
    expect(result.findings).toEqual([]);
    expect(result.documents).toBe(2);
    expect(result.manifests.map((m) => [m.name, m.source.doc])).toEqual([
      ['web', 0],
      ['api', 1],
    ]);
    const api = result.manifests[1];
    const column = (text.split('\n')[1] as string).indexOf('"targetPort"') + 1;
    const field = FieldPath.root('spec', 'ports').index(0).child('targetPort');
    expect(api?.source.locate(field)).toMatchObject({ line: 2, column });
  });

  it('reads pretty-printed objects one after another the same way', () => {
    const text = `${JSON.stringify(service('web', 'http'), null, 2)}\n${JSON.stringify(service('api', 8080), null, 4)}`;
    expect(compareReaders({ name: 'p.json', text })).toBe('fast-json');
    expect(loadTextWith({ name: 'p.json', text }).result.manifests.map((m) => m.name)).toEqual([
      'web',
      'api',
    ]);
  });

  it('reports a broken object at its line and still reads the others', () => {
    const text = `${JSON.stringify(service('web', 80))}\n{"apiVersion": "v1" "kind": "Service"}\n${JSON.stringify(service('api', 80))}\n`;
    const { result } = loadTextWith({ name: 'b.json', text });
    expect(result.manifests.map((m) => m.name)).toEqual(['web', 'api']);
    expect(result.findings.length).toBeGreaterThan(0);
    for (const f of result.findings) expect([f.rule, f.location?.line]).toEqual(['yaml-syntax', 2]);
  });

  it('splits any stream of objects into them, read the same by every reader, positions included', () => {
    const tricky = trickyStrings(['a', '{', '}', '[', ']', '"', '\\', ':', ',', ' ', 'é']);
    const key = fc.oneof(fc.constantFrom('apiVersion', 'kind', 'metadata', 'spec'), tricky);
    const object = fc.dictionary(key, jsonValues(tricky), { minKeys: 1, maxKeys: 4 });
    const gap = fc.constantFrom('', '\n', ' \n', '\n\n  ');
    fc.assert(
      fc.property(fc.array(fc.tuple(object, gap, fc.boolean()), { minLength: 2, maxLength: 5 }), (parts) => {
        const text = parts.map(([o, g, pretty]) => `${JSON.stringify(o, null, pretty ? 2 : 0)}${g}`).join('');
        compareReaders({ name: 'g.json', text });
        expect(splitJsonStream(text)?.length).toBe(parts.length);
      }),
      { numRuns: 150 },
    );
  });
});
