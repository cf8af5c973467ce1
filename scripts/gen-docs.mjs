// Regenerates docs/rules.md from the built rule modules: `npm run docs`.
import { writeFileSync } from 'node:fs';
import { renderRulesMarkdown } from '../dist/rules/docs.js';
import { allRuleMetas } from '../dist/rules/registry.js';

writeFileSync(new URL('../docs/rules.md', import.meta.url), renderRulesMarkdown(allRuleMetas));
