/**
 * `check`'s JSON, text and JUnit reports are written in pieces (jsonReport, textReport, junitReport): a
 * report of many findings is more text than one V8 string holds. The pieces join to the report as one text would read, and a big
 * report is cut into pieces of about a MiB, each ending at a line's end.
 */
import { describe, expect, it } from 'vitest';
import type { CheckSummary } from '../src/check.js';
import type { Finding } from '../src/model/finding.js';
import { jsonReport } from '../src/report/json.js';
import { junitReport } from '../src/report/junit.js';
import { textReport } from '../src/report/text.js';

const source = Array.from({ length: 30 }, (_, i) => `line ${i + 1}: ${'x'.repeat(60)}`).join('\n');

/** `n` findings of about 500 characters each, at lines 1-30 of one file, every fourth with no location. */
function findings(n: number): Finding[] {
  return Array.from({ length: n }, (_, i) => ({
    rule: 'target-port-not-listening',
    severity: i % 3 === 0 ? 'warning' : 'error',
    message: `Service default/web-${i}:80 -> Deployment web: nothing listens on 8080; ${'why '.repeat(90)}`,
    object: { apiVersion: 'v1', kind: 'Service', namespace: 'default', name: `web-${i}` },
    field: 'spec.ports[0].targetPort',
    location: i % 4 === 3 ? null : { file: 'big.yaml', line: (i % 30) + 1, column: 5 },
    ...(i % 2 === 0 ? { fix: `Set targetPort: 80 on Service web-${i}.` } : {}),
  }));
}

const summaryOf = (list: readonly Finding[]): CheckSummary => ({
  errors: list.filter((f) => f.severity === 'error').length,
  warnings: list.filter((f) => f.severity === 'warning').length,
  infos: 0,
  files: 1,
  documents: list.length,
  objects: list.length,
  skippedKinds: {},
});

describe('reports in pieces', () => {
  it('JSON: the pieces join to JSON.stringify of the report, with a final newline', () => {
    for (const n of [0, 1, 999, 1000, 1001, 2500]) {
      const list = findings(n);
      const summary = summaryOf(list);
      expect([...jsonReport(list, summary)].join('')).toBe(
        `${JSON.stringify({ findings: list, summary }, null, 2)}\n`,
      );
    }
  });

  it('text: pieces of about a MiB, each ending a line, joining to every finding in order and the summary', () => {
    const list = findings(6000);
    const pieces = [
      ...textReport(list, summaryOf(list), { color: false, sources: new Map([['big.yaml', source]]) }),
    ];
    // About 3.3 MB of findings: four pieces at least, none much over a MiB.
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    for (const p of pieces) {
      expect(p.endsWith('\n')).toBe(true);
      expect(p.length).toBeLessThan(1.2 * 2 ** 20);
    }
    const text = pieces.join('');
    const heads = text.split('\n').filter((l) => / \[target-port-not-listening\] /.test(l));
    expect(heads).toHaveLength(6000);
    heads.forEach((line, i) => {
      const where = i % 4 === 3 ? '<input>' : `big.yaml:${(i % 30) + 1}:5`;
      expect(line.startsWith(`${where}: ${i % 3 === 0 ? 'warning' : 'error'} `)).toBe(true);
      expect(line).toContain(`web-${i}:80`);
    });
    // A finding with a location quotes its line; one with a fix says it; a blank line after each.
    expect(text).toContain(`${' '.repeat(3)}1 | line 1: ${'x'.repeat(60)}\n`);
    expect(text.split('\n  fix: ').length - 1).toBe(3000);
    expect(text.endsWith(`✖ 4000 errors, 2000 warnings, 0 info: 6000 objects checked in 1 file\n`)).toBe(
      true,
    );
    // One blank line after each finding, wherever the pieces were cut.
    expect(text.split('\n\n').length - 1).toBe(6000);
    expect(text).not.toContain('\n\n\n');
  });

  it('JUnit: pieces of about a MiB, each ending a line, a testcase per object in order, counted in the head', () => {
    const list = findings(6000);
    const objects = list.map((f) => ({
      file: f.location?.file ?? '<input>',
      ref: f.object as NonNullable<Finding['object']>,
    }));
    const pieces = [...junitReport(list, summaryOf(list), objects)];
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    for (const p of pieces) {
      expect(p.endsWith('\n')).toBe(true);
      expect(p.length).toBeLessThan(1.2 * 2 ** 20);
    }
    const xml = pieces.join('');
    expect(
      xml.startsWith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="portchain" tests="6000" failures="6000" ',
      ),
    ).toBe(true);
    expect(xml.endsWith('    </testcase>\n  </testsuite>\n</testsuites>\n')).toBe(true);
    // Each testcase opens on a line of its own, in the objects' order.
    const names = [
      ...xml.matchAll(/\n {4}<testcase classname="[^"]+" name="Service default\/(web-\d+)"/g),
    ].map((m) => m[1]);
    expect(names).toEqual(list.map((_, i) => `web-${i}`));
    expect(xml).not.toMatch(/<\/testcase>[^\n]/);
  });
});
