/**
 * JUnit XML for CI test reports: one testsuite "portchain", one testcase per object checked (grouped by
 * file: classname = file, name = `Kind namespace/name`), plus one per file whose input findings belong to
 * no object. A testcase with error or warning findings has one <failure> listing all of them: Jenkins,
 * GitLab and Azure DevOps show only the first <failure> of a testcase, so several would hide findings.
 * Info findings go to the testcase's <system-out>.
 */
import type { CheckSummary } from '../check.js';
import type { Finding, ObjectRef } from '../model/finding.js';
import { gathered } from './pieces.js';

export interface CheckedObject {
  readonly file: string;
  readonly ref: ObjectRef;
}

interface Case {
  readonly file: string;
  readonly name: string;
  readonly findings: Finding[];
}

/**
 * What XML 1.0's Char production leaves out: controls but tab, newline and CR; lone surrogates (the `u`
 * flag reads a pair as one code point, from U+10000, which is allowed); U+FFFE and U+FFFF.
 */
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/**
 * Replaces what XML cannot hold at all (NUL, other controls, lone surrogates) with U+FFFD. One regular
 * expression, not a string built a character at a time: that took 10 s of a 19 s JUnit report of 490,000
 * findings, most of it collecting garbage (BENCHMARKS.md, stop 27).
 */
function xmlSafe(s: string): string {
  return s.replace(NOT_XML_CHAR, '\uFFFD');
}

export function escapeXmlText(s: string): string {
  return xmlSafe(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values also escape quotes, and line breaks (which parsers would turn into spaces). */
export function escapeXmlAttr(s: string): string {
  return escapeXmlText(s)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

const objectName = (o: ObjectRef) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
const NO_OBJECT = '(file)';

function line(f: Finding): string {
  const loc = f.location;
  const at = loc ? `${loc.file}:${loc.line}:${loc.column}: ` : '';
  return `${at}${f.severity} [${f.rule}] ${f.message}${f.fix ? `\n  fix: ${f.fix}` : ''}`;
}

/** Testcases in input order: every object, then files whose findings belong to no object. */
function cases(findings: readonly Finding[], objects: readonly CheckedObject[]): Case[] {
  const byKey = new Map<string, Case>();
  const add = (file: string, name: string) => {
    const key = `${file}\u0000${name}`;
    let c = byKey.get(key);
    if (!c) {
      c = { file, name, findings: [] };
      byKey.set(key, c);
    }
    return c;
  };
  for (const o of objects) add(o.file, objectName(o.ref));
  for (const f of findings) {
    const file = f.location?.file ?? '<input>';
    add(file, f.object ? objectName(f.object) : NO_OBJECT).findings.push(f);
  }
  return [...byKey.values()];
}

function testcase(c: Case): string {
  const failing = c.findings.filter((f) => f.severity !== 'info');
  const infos = c.findings.filter((f) => f.severity === 'info');
  const open = `    <testcase classname="${escapeXmlAttr(c.file)}" name="${escapeXmlAttr(c.name)}" file="${escapeXmlAttr(c.file)}" time="0"`;
  if (failing.length === 0 && infos.length === 0) return `${open}/>`;
  const out = [`${open}>`];
  const first = failing[0];
  if (first) {
    const errors = failing.filter((f) => f.severity === 'error').length;
    const more = failing.length > 1 ? ` (and ${failing.length - 1} more)` : '';
    out.push(
      `      <failure message="${escapeXmlAttr(`${first.message}${more}`)}" type="${errors > 0 ? 'error' : 'warning'}">${escapeXmlText(failing.map(line).join('\n'))}</failure>`,
    );
  }
  if (infos.length > 0)
    out.push(`      <system-out>${escapeXmlText(infos.map(line).join('\n'))}</system-out>`);
  out.push('    </testcase>');
  return out.join('\n');
}

export function formatJunit(
  findings: readonly Finding[],
  summary: CheckSummary,
  objects: readonly CheckedObject[],
): string {
  return [...junitReport(findings, summary, objects)].join('');
}

/**
 * formatJunit's text as pieces of about a MiB that join to it: 810,000 findings made 497 MB of XML, next to
 * the most one V8 string holds (BENCHMARKS.md, stop 27). Each testcase is rendered as it is written.
 */
export function junitReport(
  findings: readonly Finding[],
  summary: CheckSummary,
  objects: readonly CheckedObject[],
): Generator<string> {
  const all = cases(findings, objects);
  const failures = all.filter((c) => c.findings.some((f) => f.severity !== 'info')).length;
  const counts = `tests="${all.length}" failures="${failures}" errors="0" skipped="0" time="0"`;
  const head = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="portchain" ${counts}>`,
    `  <testsuite name="portchain" ${counts}>`,
    '    <properties>',
    `      <property name="errors" value="${summary.errors}"/>`,
    `      <property name="warnings" value="${summary.warnings}"/>`,
    `      <property name="infos" value="${summary.infos}"/>`,
    `      <property name="files" value="${summary.files}"/>`,
    '    </properties>',
  ];
  return gathered(junitLines(head, all));
}

/** The head, each testcase rendered as it is asked for, then the closing tags; each ends a line. */
function* junitLines(head: readonly string[], all: readonly Case[]): Generator<string> {
  yield `${head.join('\n')}\n`;
  for (const c of all) yield `${testcase(c)}\n`;
  yield '  </testsuite>\n</testsuites>\n';
}
