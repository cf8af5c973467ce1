import { describe, expect, it } from 'vitest';
import { allRuleMetas } from '../src/rules/registry.js';
import { runCli } from './helpers/cli.js';

describe('portchain rules', () => {
  it('lists every rule id with its default severity and description', async () => {
    const r = await runCli(['rules']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RULE\s+DEFAULT\s+DESCRIPTION$/);
    expect(lines).toHaveLength(allRuleMetas.length + 1);
    allRuleMetas.forEach((m, i) => {
      expect(lines[i + 1]).toMatch(new RegExp(`^${m.id}\\s+${m.severity}\\s+`));
      expect(lines[i + 1]!.endsWith(m.description)).toBe(true);
    });
    // Columns line up.
    const column = lines[0]!.indexOf('DEFAULT');
    for (const l of lines.slice(1)) expect(l.slice(column)).toMatch(/^(error|warning|info)\s/);
  });

  it('prints the rule metadata as JSON', async () => {
    const r = await runCli(['rules', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(allRuleMetas);
  });

  it('rejects other formats', async () => {
    expect((await runCli(['rules', '--format', 'sarif'])).code).toBe(2);
  });
});
