/**
 * `--helm CHART`: renders a chart with `helm template` (as `helm template ... | portchain check -` would)
 * and reads each finding's template back from helm's `# Source: chart/templates/x.yaml` comments.
 */
import type { SourceText } from '../model/load.js';
import { renderWith } from './exec.js';

export interface HelmOptions {
  readonly chart: string;
  readonly values?: readonly string[];
  readonly release?: string;
  /** Passed as --namespace so `.Release.Namespace` renders as the objects will be checked. */
  readonly namespace?: string;
}

export const HELM_NOT_FOUND =
  'helm is not on PATH: install it or pipe `helm template` output into `portchain check -`';

export function helmArgs(o: HelmOptions): string[] {
  return [
    'template',
    ...(o.release ? [o.release] : []),
    o.chart,
    ...(o.namespace ? ['--namespace', o.namespace] : []),
    ...(o.values ?? []).flatMap((f) => ['--values', f]),
  ];
}

export function renderHelm(o: HelmOptions, env: NodeJS.ProcessEnv): Promise<SourceText> {
  return renderWith('helm', helmArgs(o), env, {
    name: `<helm template ${o.chart}>`,
    notFound: HELM_NOT_FOUND,
  });
}

const SOURCE_COMMENT = /^# Source: (.+?)\s*$/;
const DOCUMENT_START = /^---(\s|$)/;

/**
 * Per line (1-based) of rendered output, the chart template it came from: the nearest `# Source:` comment
 * above it in the same YAML document (helm writes `---` then `# Source:` before each document). Undefined
 * for text without such comments.
 */
export function helmSourceLines(text: string): ((line: number) => string | undefined) | undefined {
  if (!text.includes('# Source: ')) return undefined;
  const lines = text.split('\n');
  const owner: (string | undefined)[] = [undefined];
  let current: string | undefined;
  for (const l of lines) {
    const m = SOURCE_COMMENT.exec(l);
    if (m) current = m[1];
    else if (DOCUMENT_START.test(l)) current = undefined;
    owner.push(current);
  }
  return (line) => owner[line];
}
