import type { RuleMeta } from './rule.js';

/** docs/rules.md, generated from the rule modules so it never drifts (a test fails when it is stale). */
export function renderRulesMarkdown(metas: readonly RuleMeta[]): string {
  const out: string[] = [
    '# portchain rules',
    '',
    '<!-- Generated from src/rules by `npm run docs`. Do not edit by hand. -->',
    '',
    'Each finding names its rule. Silence one object with the annotation `portchain.dev/ignore: rule-id[,rule-id]`.',
    '',
    '| rule | default severity | what breaks |',
    '|---|---|---|',
    ...metas.map((m) => `| [\`${m.id}\`](#${m.id}) | ${m.severity} | ${m.description} |`),
    '',
  ];
  for (const m of metas) {
    out.push(
      `## ${m.id}`,
      '',
      `Default severity: **${m.severity}**. ${m.description}`,
      '',
      m.docs.details,
      '',
    );
    out.push(
      'Broken:',
      '',
      '```yaml',
      m.docs.bad,
      '```',
      '',
      'Fixed:',
      '',
      '```yaml',
      m.docs.good,
      '```',
      '',
    );
  }
  return out.join('\n');
}
