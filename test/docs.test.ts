import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderRulesMarkdown } from '../src/rules/docs.js';
import { allRuleMetas } from '../src/rules/registry.js';
import { repoRoot } from './helpers/shared.js';

describe('docs/rules.md', () => {
  it('is generated from the rule modules (run `npm run docs` when this fails)', () => {
    const onDisk = readFileSync(join(repoRoot, 'docs', 'rules.md'), 'utf8');
    expect(onDisk).toBe(renderRulesMarkdown(allRuleMetas));
  });

  it('documents every rule with a bad and a good example', () => {
    const ids = allRuleMetas.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of allRuleMetas) {
      expect(m.id).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(m.docs.bad.trim()).not.toBe('');
      expect(m.docs.good.trim()).not.toBe('');
      expect(m.docs.bad).not.toBe(m.docs.good);
    }
  });
});
