/**
 * The shared corpus (its analysis units, SOURCES.md) with one field changed so that a link of the chain breaks,
 * each kind of change paired with the rule that must then report it at the changed field's line:
 * - a numeric targetPort moved to a port no container declares or listens on: target-port-not-listening or
 *   target-port-undeclared;
 * - a named targetPort renamed: target-port-name-unresolved;
 * - a Service port's protocol flipped TCP -> UDP when its targetPort is named: target-port-name-unresolved;
 * - a selector label value changed: service-selects-nothing (at that label);
 * - an Ingress backend port.number / port.name changed: ingress-backend-port-mismatch.
 * Only links that are sound before the change are mutated (no finding of that rule there yet). The text is
 * edited in place (the value's characters only), so every other line stays where it was. `npm test` checks a
 * seeded sample of the mutation sites; `npm run fuzz` checks every site.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments, type YAMLMap } from 'yaml';
import { check } from '../../src/check.js';
import type { SourceText } from '../../src/model/load.js';
import { corpusUnits } from '../helpers/shared.js';
import { fullFuzz, fuzzParams } from './manifests.js';

interface Site {
  readonly unit: string;
  readonly file: string;
  readonly what: string;
  /** Character range of the value to replace, and its replacement. */
  readonly range: [number, number];
  readonly replacement: string;
  /** The line(s) the finding must be at (1-based): the field's, or for a selector label also `selector:`'s. */
  readonly lines: readonly number[];
  readonly rules: readonly string[];
  /** The object the finding must be about. */
  readonly object: string;
}

const get = (m: unknown, key: string): unknown =>
  isMap(m) ? (m.items.find((p) => isScalar(p.key) && p.key.value === key)?.value ?? undefined) : undefined;
const keyOf = (m: unknown, key: string): Node | undefined =>
  isMap(m)
    ? (m.items.find((p) => isScalar(p.key) && p.key.value === key)?.key as Node | undefined)
    : undefined;
const str = (n: unknown): string | undefined =>
  isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number') ? String(n.value) : undefined;

/** Every place in one file where a single value change breaks a link. */
function sitesOf(unit: string, file: string, text: string): Site[] {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, version: '1.1' });
  if (!Array.isArray(docs)) return [];
  const out: Site[] = [];
  const lineAt = (n: Node | undefined) => lc.linePos(n?.range?.[0] ?? 0).line;
  const site = (
    value: unknown,
    keys: (Node | undefined)[],
    replacement: string,
    what: string,
    rules: string[],
    object: string,
  ) => {
    if (!isScalar(value) || !value.range) return;
    out.push({
      unit,
      file,
      what,
      range: [value.range[0], value.range[1]],
      replacement,
      lines: keys.map(lineAt),
      rules,
      object,
    });
  };
  for (const doc of docs) {
    if (doc.errors.length > 0) continue;
    const root = doc.contents;
    const kind = str(get(root, 'kind'));
    const name = str(get(get(root, 'metadata'), 'name')) ?? '';
    const spec = get(root, 'spec');
    if (kind === 'Service') {
      const ports = get(spec, 'ports');
      if (isSeq(ports))
        ports.items.forEach((p, i) => {
          const tp = get(p, 'targetPort');
          const at = `Service ${name} spec.ports[${i}]`;
          if (isScalar(tp) && typeof tp.value === 'number')
            site(tp, [keyOf(p, 'targetPort')], '1', `${at}.targetPort ${tp.value} -> 1`, NUMERIC, name);
          if (isScalar(tp) && typeof tp.value === 'string') {
            site(
              tp,
              [keyOf(p, 'targetPort')],
              'zz-renamed',
              `${at}.targetPort ${tp.value} -> zz-renamed`,
              NAMED,
              name,
            );
            const proto = get(p, 'protocol');
            if (str(proto) === 'TCP' || proto === undefined) {
              if (isScalar(proto))
                site(
                  proto,
                  [keyOf(p, 'protocol'), keyOf(p, 'targetPort')],
                  'UDP',
                  `${at}.protocol TCP -> UDP (named)`,
                  NAMED,
                  name,
                );
            }
          }
        });
      const selector = get(spec, 'selector');
      // A selector holding the StatefulSet controller's runtime label (statefulset.kubernetes.io/pod-name) is
      // reported at that label whichever other label breaks (see RELIABILITY.md): not a single-field site.
      const runtimeLabel =
        isMap(selector) && selector.items.some((p) => str(p.key)?.startsWith('statefulset.'));
      if (isMap(selector) && !runtimeLabel)
        (selector as YAMLMap).items.forEach((pair) => {
          site(
            pair.value,
            [pair.key as Node, keyOf(spec, 'selector')],
            'zz-mutated',
            `Service ${name} spec.selector.${str(pair.key)} -> zz-mutated`,
            ['service-selects-nothing'],
            name,
          );
        });
    }
    if (kind === 'Ingress') {
      const backends: { b: unknown; at: string }[] = [];
      const def = get(spec, 'defaultBackend');
      if (def) backends.push({ b: def, at: 'defaultBackend' });
      const rules = get(spec, 'rules');
      if (isSeq(rules))
        rules.items.forEach((r, ri) => {
          const paths = get(get(r, 'http'), 'paths');
          if (isSeq(paths))
            paths.items.forEach((p, pi) => {
              backends.push({ b: get(p, 'backend'), at: `rules[${ri}].http.paths[${pi}].backend` });
            });
        });
      for (const { b, at } of backends) {
        const port = get(get(b, 'service'), 'port');
        const number = get(port, 'number');
        const portName = get(port, 'name');
        if (isScalar(number))
          site(number, [keyOf(port, 'number')], '1', `Ingress ${name} ${at} port.number -> 1`, INGRESS, name);
        if (isScalar(portName))
          site(
            portName,
            [keyOf(port, 'name')],
            'zz-renamed',
            `Ingress ${name} ${at} port.name -> zz-renamed`,
            INGRESS,
            name,
          );
      }
    }
  }
  return out;
}

const NUMERIC = ['target-port-not-listening', 'target-port-undeclared'];
const NAMED = ['target-port-name-unresolved'];
const INGRESS = ['ingress-backend-port-mismatch'];

const units = corpusUnits().map((u) => ({
  name: u.name,
  sources: u.files.map((f): SourceText => ({ name: f, text: readFileSync(f, 'utf8') })),
}));

const baseline = new Map<string, ReturnType<typeof check>['findings']>();
function findingsOf(unit: string, sources: SourceText[]) {
  let f = baseline.get(unit);
  if (!f) {
    f = check(sources).findings;
    baseline.set(unit, f);
  }
  return f;
}

/** Sites whose link is sound now: no finding of the expected rules at that line, a Service with endpoints. */
const sites: Site[] = units.flatMap((u) =>
  u.sources.flatMap((s) =>
    sitesOf(u.name, s.name, s.text).filter((site) => {
      const before = findingsOf(u.name, u.sources);
      const here = (f: (typeof before)[number]) => f.location?.file === site.file;
      const atSite = (f: (typeof before)[number]) => site.lines.includes(f.location?.line ?? 0);
      if (before.some((f) => here(f) && atSite(f) && site.rules.includes(f.rule))) return false;
      // A Service that already selects nothing (pods from an operator) has no link to break behind it.
      const selectsNothing = (svc: string) =>
        before.some((f) => f.rule === 'service-selects-nothing' && f.object?.name === svc);
      if (
        site.rules !== INGRESS &&
        site.rules[0] !== 'service-selects-nothing' &&
        selectsNothing(site.object)
      )
        return false;
      return true;
    }),
  ),
);

function mutate(site: Site): { findings: ReturnType<typeof check>['findings']; text: string } {
  const unit = units.find((u) => u.name === site.unit);
  if (!unit) throw new Error(`no unit ${site.unit}`);
  let text = '';
  const sources = unit.sources.map((s) => {
    if (s.name !== site.file) return s;
    text = s.text.slice(0, site.range[0]) + site.replacement + s.text.slice(site.range[1]);
    return { name: s.name, text };
  });
  return { findings: check(sources).findings, text };
}

describe('single-field mutations of the shared corpus', () => {
  it('has mutation sites of every kind', () => {
    const kinds = new Set(sites.map((s) => s.rules[0]));
    expect([...kinds].sort()).toEqual(
      [
        'ingress-backend-port-mismatch',
        'service-selects-nothing',
        'target-port-name-unresolved',
        'target-port-not-listening',
      ].sort(),
    );
    expect(sites.length).toBeGreaterThan(100);
    const byRule = new Map<string, number>();
    for (const s of sites) byRule.set(s.rules[0] as string, (byRule.get(s.rules[0] as string) ?? 0) + 1);
    console.log(
      `${sites.length} mutation sites in ${units.length} corpus units:`,
      Object.fromEntries(byRule),
    );
  });

  it('each broken link is reported by its rule at the mutated line', () => {
    const check1 = (site: Site) => {
      const { findings } = mutate(site);
      const at = findings.filter(
        (f) =>
          f.location?.file === site.file &&
          site.lines.includes(f.location.line) &&
          site.rules.includes(f.rule),
      );
      expect(
        at.length,
        `${site.unit}: ${site.what} (line ${site.lines.join('|')}) not reported by ${site.rules.join('|')}; got ${JSON.stringify(
          findings.filter((f) => f.location?.file === site.file && f.object?.name === site.object),
        )}`,
      ).toBeGreaterThan(0);
    };
    if (fullFuzz) {
      for (const site of sites) check1(site);
      return;
    }
    fc.assert(fc.property(fc.constantFrom(...sites), check1), { ...fuzzParams(40), numRuns: 40 });
  }, 600_000);
});
