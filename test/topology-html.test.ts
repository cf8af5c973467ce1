// @vitest-environment jsdom
/** The HTML report, read back with a real HTML and XML parser (jsdom). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CheckResult, check, summarize } from '../src/check.js';
import { formatHtml } from '../src/report/html.js';
import { formatSvg } from '../src/report/svg.js';
import { shopFindings, shopTopology, shopYaml, XSS } from './topology-fixtures.js';

/** The little of the DOM these tests read (tsconfig has no DOM lib; jsdom provides the objects). */
interface El {
  readonly id: string;
  readonly className: string;
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  getAttributeNames(): string[];
  querySelector(selector: string): El | null;
  querySelectorAll(selector: string): Iterable<El> & { readonly length: number };
  closest(selector: string): El | null;
}
interface Doc extends El {
  readonly documentElement: El;
  getElementById(id: string): El | null;
  getElementsByTagName(name: string): { readonly length: number };
}
const { DOMParser } = globalThis as unknown as {
  DOMParser: new () => { parseFromString(text: string, type: string): Doc };
};

function page(html: string): Doc {
  return new DOMParser().parseFromString(html, 'text/html');
}

function shopResult(odd = 'shop'): CheckResult {
  const r = check([{ name: 'case.yaml', text: shopYaml(odd) }], { rules: [] });
  const findings = shopFindings();
  const { errors: _e, warnings: _w, infos: _i, ...counts } = r.summary;
  return { ...r, findings, summary: summarize(findings, counts) };
}

const sources = (yaml: string) => new Map([['case.yaml', yaml]]);

describe('formatHtml', () => {
  it('is one self-contained page: inline SVG and CSS, no script, no external request', async () => {
    const html = await formatHtml(shopResult(), sources(shopYaml()));
    const doc = page(html);
    expect(doc.querySelectorAll('script, link, iframe, object, embed, img').length).toBe(0);
    expect(doc.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content')).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    );
    expect(doc.querySelectorAll('style').length).toBe(2);
    expect(doc.querySelectorAll('svg').length).toBe(1);
    for (const el of doc.querySelectorAll('*')) {
      for (const a of el.getAttributeNames()) {
        expect(a.startsWith('on')).toBe(false);
        expect(a).not.toBe('src');
        if (a === 'href') expect(el.getAttribute(a)?.startsWith('#')).toBe(true);
      }
    }
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).not.toMatch(/url\((?!#pc-arrow)/);
  });

  it('links each finding to its element in the diagram, and each element back to its finding', async () => {
    const doc = page(await formatHtml(shopResult(), sources(shopYaml())));
    const items = [...doc.querySelectorAll('li.finding')];
    expect(items.map((li) => [li.id, li.className])).toEqual([
      ['pc-f0', 'finding error'],
      ['pc-f1', 'finding warning'],
      ['pc-f2', 'finding info'],
    ]);
    for (const li of items) {
      const links = [...li.querySelectorAll('.where a')];
      expect(links.length).toBeGreaterThan(0);
      for (const a of links) {
        const el = doc.getElementById((a.getAttribute('href') ?? '').slice(1));
        expect(el?.closest('svg')).not.toBeNull();
        // The element (or its first finding's link) leads back to this finding.
        const back = el?.querySelector('a')?.getAttribute('href');
        expect(back).toBe(`#${li.id}`);
      }
    }
    expect(items[0]?.querySelector('.where')?.textContent).toMatch(
      /^in the diagram \(namespace shop\): Service web → Deployment web \(:9100 -> 9100\/TCP\) Service web → Deployment web/,
    );
    expect(items[0]?.querySelector('pre')?.textContent).toBe(`    1 | \n      | ^`);
    expect(doc.querySelector('.summary')?.textContent).toBe(
      '✖ 1 error, 1 warning, 1 info: 3 objects checked in 1 file',
    );
  });

  it('escapes a <script> in a label value, an annotation and an Ingress host (and in finding messages)', async () => {
    const yaml = shopYaml(XSS);
    const r = check([{ name: 'case.yaml', text: yaml }]);
    const html = await formatHtml(r, sources(yaml));
    expect(html.toLowerCase()).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const doc = page(html);
    expect(doc.querySelectorAll('script').length).toBe(0);
    // Shown as text, exactly as written: in the diagram (route row, selector) and in the quoted source.
    const svgText = doc.querySelector('svg')?.textContent ?? '';
    expect(svgText).toContain(`${XSS}/ (Prefix)`);
    expect(svgText).toContain(`tier=${XSS}`.slice(0, 40));
  });

  it('lists findings that nothing drawn stands for, without a link', async () => {
    const r = check([{ name: 'case.yaml', text: shopYaml() }], { rules: [] });
    const html = await formatHtml(
      {
        ...r,
        findings: [
          {
            rule: 'yaml-syntax',
            severity: 'error',
            message: `bad ${XSS}`,
            object: null,
            field: null,
            location: { file: 'case.yaml', line: 2, column: 1 },
          },
        ],
      },
      sources(shopYaml()),
    );
    const li = page(html).querySelector('li.finding');
    expect(li?.querySelector('.nodraw')?.textContent).toBe(
      'not in the diagram (nothing drawn stands for its object)',
    );
    expect(li?.textContent).toContain(`bad ${XSS}`);
  });

  it('reports the examples: every drawn element with an error is marked, the SVG is well-formed XML', async () => {
    const files = [
      'examples/port-from-configmap/0-sound.yaml',
      'examples/port-from-configmap/1-broken-ingress-port.yaml',
    ];
    const srcs = files.map((f) => ({ name: f, text: readFileSync(f, 'utf8') }));
    const r = check(srcs);
    const html = await formatHtml(r, new Map(srcs.map((s) => [s.name, s.text])));
    const doc = page(html);
    expect(doc.querySelectorAll('li.finding').length).toBe(r.findings.length);
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>') + 6);
    const xml = new DOMParser().parseFromString(svg, 'image/svg+xml');
    expect(xml.getElementsByTagName('parsererror').length).toBe(0);
  });
});

describe('formatSvg', () => {
  it('is well-formed XML even with hostile input', async () => {
    const svg = await formatSvg(shopTopology(`${XSS} & "q" 'a' \u0001`));
    const xml = new DOMParser().parseFromString(svg, 'image/svg+xml');
    expect(xml.getElementsByTagName('parsererror').length).toBe(0);
    expect(xml.getElementsByTagName('script').length).toBe(0);
    expect(xml.documentElement.textContent).toContain(`${XSS} & "q" 'a' \uFFFD/ (Prefix)`);
  });
});
