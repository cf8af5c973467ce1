import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/config.js';
import { allRuleMetas } from '../src/rules/registry.js';
import { repoRoot } from './helpers/shared.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

/** The first fenced block of `lang` after `heading`. */
function blockAfter(heading: string, lang: string): string {
  const from = readme.indexOf(heading);
  expect(from).toBeGreaterThanOrEqual(0);
  const open = readme.indexOf(`\`\`\`${lang}\n`, from);
  const close = readme.indexOf('```', open + 3 + lang.length);
  return readme.slice(open + 4 + lang.length, close);
}

// Each claim in the README is something that runs.
describe('README', () => {
  it('has the two Quick start commands', () => {
    expect(blockAfter('## Quick start', 'sh').trim()).toBe('npm ci && npm start\nnpm test');
  });

  it('shows a configuration file portchain accepts', () => {
    const text = blockAfter('### Configuration', 'yaml');
    const config = parseConfig(
      text,
      '.portchain.yaml',
      allRuleMetas.map((m) => m.id),
    );
    expect(config.rules).toEqual({ 'host-port': 'off', 'exposed-admin-port': 'error' });
    expect(config.images?.length).toBe(1);
  });
});
