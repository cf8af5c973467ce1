import { describe, expect, it } from 'vitest';
import { FieldPath } from '../src/model/field-path.js';
import type { Manifest } from '../src/model/load.js';
import type { LabelSelector, Labels, Pod } from '../src/model/types.js';
import {
  labelSelectorError,
  matchesLabelSelector,
  matchesLabels,
  PodIndex,
} from '../src/semantics/selectors.js';
import type { PodInstance } from '../src/semantics/workloads.js';

describe('matchesLabels (Service selector)', () => {
  it.each<{ selector: Labels; labels: Labels | undefined; want: boolean }>([
    { selector: { app: 'web' }, labels: { app: 'web' }, want: true },
    { selector: { app: 'web' }, labels: { app: 'web', tier: 'fe' }, want: true },
    { selector: { app: 'web', tier: 'fe' }, labels: { app: 'web' }, want: false },
    { selector: { app: 'web' }, labels: { app: 'Web' }, want: false },
    { selector: { app: 'web' }, labels: undefined, want: false },
    { selector: { app: '' }, labels: { app: '' }, want: true },
    { selector: { app: '' }, labels: {}, want: false },
    { selector: {}, labels: { app: 'web' }, want: true },
  ])('$selector vs $labels -> $want', ({ selector, labels, want }) => {
    expect(matchesLabels(selector, labels)).toBe(want);
  });
});

describe('matchesLabelSelector (metav1.LabelSelector)', () => {
  const L = { app: 'web', tier: 'fe', env: 'prod' };
  const rows: { title: string; sel: LabelSelector | null | undefined; labels?: Labels; want: boolean }[] = [
    { title: 'empty selector matches everything', sel: {}, labels: L, want: true },
    { title: 'empty selector matches a pod without labels', sel: {}, labels: undefined, want: true },
    { title: 'null selector matches nothing', sel: null, labels: L, want: false },
    { title: 'matchLabels subset', sel: { matchLabels: { app: 'web' } }, labels: L, want: true },
    { title: 'matchLabels mismatch', sel: { matchLabels: { app: 'api' } }, labels: L, want: false },
    {
      title: 'In: value in set',
      sel: { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev', 'prod'] }] },
      labels: L,
      want: true,
    },
    {
      title: 'In: value not in set',
      sel: { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] },
      labels: L,
      want: false,
    },
    {
      title: 'In: key absent',
      sel: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
      labels: L,
      want: false,
    },
    {
      title: 'NotIn: value in set',
      sel: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] },
      labels: L,
      want: false,
    },
    {
      title: 'NotIn: value not in set',
      sel: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] },
      labels: L,
      want: true,
    },
    {
      title: 'NotIn: key absent matches',
      sel: { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] },
      labels: L,
      want: true,
    },
    {
      title: 'Exists: present',
      sel: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
      labels: L,
      want: true,
    },
    {
      title: 'Exists: absent',
      sel: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] },
      labels: L,
      want: false,
    },
    {
      title: 'DoesNotExist: absent',
      sel: { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] },
      labels: L,
      want: true,
    },
    {
      title: 'DoesNotExist: present',
      sel: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] },
      labels: L,
      want: false,
    },
    {
      title: 'DoesNotExist on a pod without labels',
      sel: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] },
      labels: undefined,
      want: true,
    },
    {
      title: 'matchLabels AND matchExpressions',
      sel: {
        matchLabels: { app: 'web' },
        matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }],
      },
      labels: L,
      want: false,
    },
    {
      title: 'In with no values is invalid: matches nothing',
      sel: { matchExpressions: [{ key: 'env', operator: 'In', values: [] }] },
      labels: L,
      want: false,
    },
    {
      title: 'Exists with values is invalid: matches nothing',
      sel: { matchExpressions: [{ key: 'env', operator: 'Exists', values: ['prod'] }] },
      labels: L,
      want: false,
    },
    {
      title: 'unknown operator is invalid',
      sel: { matchExpressions: [{ key: 'env', operator: 'Equals', values: ['prod'] }] },
      labels: L,
      want: false,
    },
  ];
  it.each(rows)('$title', ({ sel, labels, want }) => {
    expect(matchesLabelSelector(sel, labels)).toBe(want);
  });

  it('explains malformed selectors', () => {
    expect(labelSelectorError({ matchExpressions: [{ key: 'a', operator: 'In' }] })).toContain(
      "can't be empty",
    );
    expect(labelSelectorError({ matchExpressions: [{ key: 'a', operator: 'Nope' }] })).toContain(
      'not a valid',
    );
    expect(labelSelectorError({ matchLabels: { a: 'b' } })).toBeNull();
  });
});

// ---- PodIndex ----

const owner = {} as Manifest;
function inst(name: string, namespace: string, labels?: Labels): PodInstance {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: { containers: [] },
  };
  return { pod, name, namespace, owner, specPath: FieldPath.root('spec'), synthesized: false };
}

/** A deterministic PRNG (mulberry32), so the large case is reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('PodIndex', () => {
  const pods = [
    inst('a', 'default', { app: 'web', tier: 'fe' }),
    inst('b', 'default', { app: 'web' }),
    inst('c', 'other', { app: 'web', tier: 'fe' }),
    inst('d', 'default', { app: 'api', tier: 'fe' }),
    inst('e', 'default'),
  ];
  const index = new PodIndex(pods);
  const names = (ps: readonly PodInstance[]) => ps.map((p) => p.name);

  it('selects within the namespace only, in input order', () => {
    expect(names(index.select('default', { app: 'web' }))).toEqual(['a', 'b']);
    expect(names(index.select('default', { tier: 'fe' }))).toEqual(['a', 'd']);
    expect(names(index.select('default', { app: 'web', tier: 'fe' }))).toEqual(['a']);
    expect(names(index.select('other', { app: 'web' }))).toEqual(['c']);
    expect(names(index.select('nowhere', { app: 'web' }))).toEqual([]);
    expect(names(index.select('default', { app: 'db' }))).toEqual([]);
  });

  it('gives Services with the same selector, in any key order, the same list', () => {
    const one = index.select('default', { app: 'web', tier: 'fe' });
    expect(index.select('default', { tier: 'fe', app: 'web' })).toBe(one);
    expect(index.select('other', { app: 'web', tier: 'fe' })).not.toBe(one);
    // However its keys and values are spelled, a selector is never taken for another.
    const odd = new PodIndex([
      inst('f', 'default', { 'a",["b': 'c' }),
      inst('g', 'default', { a: 'b', c: '' }),
    ]);
    expect(names(odd.select('default', { a: 'b', c: '' }))).toEqual(['g']);
    expect(names(odd.select('default', { 'a",["b': 'c' }))).toEqual(['f']);
  });

  it('an empty or absent Service selector selects nothing', () => {
    expect(index.select('default', {})).toEqual([]);
    expect(index.select('default', null)).toEqual([]);
    expect(index.select('default', undefined)).toEqual([]);
  });

  it('selectBy serves LabelSelectors in one namespace or all', () => {
    expect(names(index.selectBy('default', {}))).toEqual(['a', 'b', 'd', 'e']);
    expect(names(index.selectBy(null, { matchLabels: { app: 'web' } }))).toEqual(['a', 'b', 'c']);
    expect(
      names(
        index.selectBy('default', {
          matchExpressions: [{ key: 'app', operator: 'In', values: ['api', 'web'] }],
        }),
      ),
    ).toEqual(['a', 'b', 'd']);
    expect(
      names(index.selectBy('default', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] })),
    ).toEqual(['b', 'e']);
    expect(names(index.selectBy(null, { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }))).toEqual([
      'a',
      'c',
      'd',
    ]);
    expect(index.selectBy('default', null)).toEqual([]);
  });

  it('inNamespace lists a namespace in input order', () => {
    expect(names(index.inNamespace('default'))).toEqual(['a', 'b', 'd', 'e']);
    expect(index.inNamespace('nowhere')).toEqual([]);
  });

  it('20,000 pods x 2,000 services: the index agrees with a naive scan', () => {
    const rand = rng(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const namespaces = ['default', 'shop', 'payments', 'ops', 'data'];
    const apps = Array.from({ length: 400 }, (_, i) => `app-${i}`);
    const tiers = ['fe', 'be', 'db', 'cache'];
    const envs = ['prod', 'staging', 'dev'];
    const big: PodInstance[] = [];
    for (let i = 0; i < 20_000; i++) {
      const labels: Labels = { app: pick(apps), tier: pick(tiers) };
      if (rand() < 0.7) labels.env = pick(envs);
      if (rand() < 0.1) labels.canary = 'true';
      big.push(inst(`pod-${i}`, pick(namespaces), labels));
    }
    const services = Array.from({ length: 2_000 }, () => {
      const selector: Labels = { app: pick(apps) };
      if (rand() < 0.5) selector.tier = pick(tiers);
      if (rand() < 0.3) selector.env = pick(envs);
      if (rand() < 0.05) selector.canary = 'true';
      return { namespace: pick(namespaces), selector };
    });
    const idx = new PodIndex(big);
    const results = services.map((s) => idx.select(s.namespace, s.selector));
    expect(results.reduce((n, r) => n + r.length, 0)).toBeGreaterThan(0);
    // The naive scan on a subset of the services (every 20th).
    for (let i = 0; i < services.length; i += 20) {
      const s = services[i] as (typeof services)[number];
      const naive = big.filter(
        (p) => p.namespace === s.namespace && matchesLabels(s.selector, p.pod.metadata.labels),
      );
      expect(results[i]).toEqual(naive);
    }
    // And LabelSelectors across all namespaces.
    for (let i = 0; i < 50; i++) {
      const sel: LabelSelector = {
        matchLabels: { tier: pick(tiers) },
        matchExpressions: [
          { key: 'env', operator: pick(['In', 'NotIn']), values: [pick(envs)] },
          { key: 'canary', operator: pick(['Exists', 'DoesNotExist']) },
        ],
      };
      const naive = big.filter((p) => matchesLabelSelector(sel, p.pod.metadata.labels));
      expect(idx.selectBy(null, sel)).toEqual(naive);
    }
  });
});
