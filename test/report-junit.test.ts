import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckSummary } from '../src/check.js';
import type { Finding } from '../src/model/finding.js';
import { escapeXmlAttr, escapeXmlText, formatJunit } from '../src/report/junit.js';
import { runCli, tempTree } from './helpers/cli.js';

interface Element {
  name: string;
  attrs: Record<string, string>;
  children: Element[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#\d+|#x[0-9a-fA-F]+|[a-z]+);/g, (_, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number(e.slice(1)));
    const v = ENTITIES[e];
    if (v === undefined) throw new Error(`unknown entity &${e};`);
    return v;
  });
}

/**
 * A minimal XML parser, enough to prove the output well-formed: balanced tags, quoted attributes, no raw
 * `<` or `&` in text or attribute values, only known entities.
 */
function parseXml(xml: string): Element {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at offset ${i}: ${JSON.stringify(xml.slice(i, i + 40))}`);
  };
  if (xml.startsWith('<?xml')) i = xml.indexOf('?>') + 2;
  const root: Element = { name: '#root', attrs: {}, children: [], text: '' };
  const stack = [root];
  while (i < xml.length) {
    const top = stack[stack.length - 1]!;
    if (xml[i] !== '<') {
      const end = xml.indexOf('<', i);
      const raw = xml.slice(i, end === -1 ? undefined : end);
      if (/&(?!(#\d+|#x[0-9a-fA-F]+|[a-z]+);)/.test(raw) || raw.includes('>')) fail('raw & or > in text');
      top.text += decode(raw);
      i = end === -1 ? xml.length : end;
      continue;
    }
    const close = /^<\/([A-Za-z][\w.-]*)\s*>/.exec(xml.slice(i));
    if (close) {
      if (top.name !== close[1]) fail(`</${close[1]}> closes <${top.name}>`);
      stack.pop();
      i += close[0].length;
      continue;
    }
    const open = /^<([A-Za-z][\w.-]*)((?:\s+[A-Za-z][\w.-]*="[^"<]*")*)\s*(\/?)>/.exec(xml.slice(i));
    if (!open) fail('malformed tag');
    const el: Element = { name: open![1]!, attrs: {}, children: [], text: '' };
    for (const m of open![2]!.matchAll(/([A-Za-z][\w.-]*)="([^"]*)"/g)) {
      if (m[1]! in el.attrs) fail(`duplicate attribute ${m[1]}`);
      if (/&(?!(#\d+|#x[0-9a-fA-F]+|[a-z]+);)/.test(m[2]!)) fail('raw & in attribute');
      el.attrs[m[1]!] = decode(m[2]!);
    }
    top.children.push(el);
    if (open![3] !== '/') stack.push(el);
    i += open![0].length;
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  const elements = root.children;
  if (elements.length !== 1) throw new Error('not exactly one root element');
  return elements[0]!;
}

const all = (el: Element, name: string): Element[] =>
  el.children.flatMap((c) => (c.name === name ? [c, ...all(c, name)] : all(c, name)));

const summary: CheckSummary = {
  errors: 0,
  warnings: 0,
  infos: 0,
  files: 1,
  documents: 1,
  objects: 1,
  skippedKinds: {},
};

describe('--format junit', () => {
  it('has one testcase per object, and one failure per testcase with errors or warnings', async () => {
    const svc = (name: string, extra = '') => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  ports:
  - port: 80${extra}
`;
    const dir = tempTree({
      'a.yaml': `${svc('ok')}---\n${svc('two', '\n  - port: 81')}`,
      'b.yaml': 'ports: [80, 443\n',
    });
    const r = await runCli(['check', dir, '--format', 'junit', '--no-config', '--rule', 'api-validation']);
    expect(r.code).toBe(1);
    const suites = parseXml(r.stdout);
    expect(suites.name).toBe('testsuites');
    const [suite] = all(suites, 'testsuite');
    expect(suite!.attrs).toMatchObject({ name: 'portchain', tests: '3', failures: '2', errors: '0' });
    const cases = all(suite!, 'testcase');
    expect(cases.map((c) => [c.attrs.classname, c.attrs.name, all(c, 'failure').length])).toEqual([
      [join(dir, 'a.yaml'), 'Service default/ok', 0],
      [join(dir, 'a.yaml'), 'Service default/two', 1],
      [join(dir, 'b.yaml'), '(file)', 1],
    ]);
    const failure = all(cases[1]!, 'failure')[0]!;
    expect(failure.attrs.type).toBe('error');
    expect(failure.attrs.message).toBe(
      'Service "two" is invalid: spec.ports[0].name: Required value (and 1 more)',
    );
    expect(failure.text).toBe(
      [
        `${join(dir, 'a.yaml')}:15:5: error [api-validation] Service "two" is invalid: spec.ports[0].name: Required value`,
        `${join(dir, 'a.yaml')}:16:5: error [api-validation] Service "two" is invalid: spec.ports[1].name: Required value`,
      ].join('\n'),
    );
  });

  it('escapes names and messages', async () => {
    const dir = tempTree({
      'svc.yaml': `apiVersion: v1
kind: Service
metadata:
  name: "a<b>&'\\"c"
spec:
  ports:
  - port: 80
`,
    });
    const r = await runCli(['check', dir, '--format', 'junit', '--no-config', '--rule', 'api-validation']);
    const cases = all(parseXml(r.stdout), 'testcase');
    expect(cases).toHaveLength(1);
    expect(cases[0]!.attrs.name).toBe(`Service default/a<b>&'"c`);
    expect(all(cases[0]!, 'failure')[0]!.text).toContain(`metadata.name: Invalid value: "a<b>&'\\"c"`);
  });

  it('writes info findings to system-out, keeps control characters out, and escapes line breaks in attributes', () => {
    const f = (severity: Finding['severity'], message: string): Finding => ({
      rule: 'node-port-allocation',
      severity,
      message,
      object: { apiVersion: 'v1', kind: 'Service', namespace: 'x', name: 'web' },
      field: null,
      location: { file: 'svc.yaml', line: 2, column: 1 },
      fix: 'Do this & that.',
    });
    const xml = formatJunit(
      [f('warning', 'bad\u0000 <port>\nsecond line'), f('info', 'fyi & so on')],
      summary,
      [{ file: 'svc.yaml', ref: { apiVersion: 'v1', kind: 'Service', namespace: 'x', name: 'web' } }],
    );
    expect(xml).not.toContain('\u0000');
    const tc = all(parseXml(xml), 'testcase');
    expect(tc).toHaveLength(1);
    const failure = all(tc[0]!, 'failure')[0]!;
    expect(failure.attrs).toEqual({ message: 'bad\uFFFD <port>\nsecond line', type: 'warning' });
    expect(failure.text).toBe(
      'svc.yaml:2:1: warning [node-port-allocation] bad\uFFFD <port>\nsecond line\n  fix: Do this & that.',
    );
    expect(all(tc[0]!, 'system-out')[0]!.text).toBe(
      'svc.yaml:2:1: info [node-port-allocation] fyi & so on\n  fix: Do this & that.',
    );
    expect(all(parseXml(xml), 'testsuite')[0]!.attrs.failures).toBe('1');
  });

  it('has a well-formed empty report', () => {
    const suites = parseXml(formatJunit([], { ...summary, objects: 0, files: 0 }, []));
    expect(all(suites, 'testsuite')[0]!.attrs).toMatchObject({ tests: '0', failures: '0' });
  });

  it('escapes the five XML specials', () => {
    expect(escapeXmlText(`<a href="x">&'</a>`)).toBe(`&lt;a href="x"&gt;&amp;'&lt;/a&gt;`);
    expect(escapeXmlAttr(`"it's" <&>\n`)).toBe('&quot;it&apos;s&quot; &lt;&amp;&gt;&#10;');
    // Lone surrogates and U+FFFF are not XML characters; a pair (an emoji) is.
    expect(escapeXmlText('a\uD800b\uFFFFc\u{1F600}\u0007')).toBe('a\uFFFDb\uFFFDc\u{1F600}\uFFFD');
  });
});
