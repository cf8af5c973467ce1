/**
 * Merges the config file and the command line into the options `check` takes. Flags override the file;
 * each setting that neither names keeps the pipeline's default.
 */
import type { CheckOptions } from '../check.js';
import type { Severity } from '../model/finding.js';
import type { RunOptions } from '../rules/run.js';
import { parseNodePortRange } from '../semantics/node-ports.js';
import { type FailOn, type ImageCommand, type PortchainConfig, unknownRuleMessage } from './config.js';

export interface CliSettings {
  readonly namespace?: string;
  readonly nodePortRange?: string;
  readonly failOn?: FailOn;
  /** `--rule`: only these rules run. */
  readonly rules?: readonly string[];
  /** `--disable`: these rules do not run. */
  readonly disable?: readonly string[];
}

export interface Settings {
  readonly failOn: FailOn;
  readonly check: CheckOptions;
  /** `images:` as a mapping: the local commands `portchain up` runs for images (see ImageCommand). */
  readonly imageCommands?: Readonly<Record<string, ImageCommand>>;
}

/** A problem with a flag's value; the CLI reports it as a usage error (exit 2). */
export class SettingsError extends Error {}

/** `--rule a,b --rule c` → [a, b, c]. */
export const splitIds = (values: readonly string[] | undefined): string[] =>
  (values ?? [])
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);

function checkIds(flag: string, ids: readonly string[], known: ReadonlySet<string>): void {
  const bad = ids.filter((id) => !known.has(id));
  if (bad.length > 0) {
    throw new SettingsError(
      bad.map((id) => `${flag} ${id}: ${unknownRuleMessage(id, [...known])}`).join('\n'),
    );
  }
}

/** Rule selection: the file's `rules` (off / a severity), then `--rule` (only these) and `--disable`. */
export function runOptions(
  config: PortchainConfig,
  cli: CliSettings,
  knownRules: readonly string[],
): RunOptions {
  const known = new Set(knownRules);
  const only = splitIds(cli.rules);
  const disable = splitIds(cli.disable);
  checkIds('--rule', only, known);
  checkIds('--disable', disable, known);
  const disabled = new Set<string>();
  const severities: Record<string, Severity> = {};
  for (const [id, setting] of Object.entries(config.rules ?? {})) {
    if (setting === 'off') disabled.add(id);
    else severities[id] = setting;
  }
  // Naming a rule with --rule runs it even when the file turns it off: flags override the file.
  for (const id of only) disabled.delete(id);
  for (const id of disable) disabled.add(id);
  return {
    ...(only.length > 0 ? { only: new Set(only) } : {}),
    ...(disabled.size > 0 ? { disabled } : {}),
    ...(Object.keys(severities).length > 0 ? { severities } : {}),
  };
}

export function resolveSettings(
  config: PortchainConfig,
  cli: CliSettings,
  knownRules: readonly string[],
): Settings {
  const namespace = cli.namespace ?? config.namespace;
  const range = cli.nodePortRange ?? config.nodePortRange;
  let nodePortRange: CheckOptions['nodePortRange'];
  try {
    nodePortRange = range === undefined ? undefined : parseNodePortRange(range);
  } catch (e) {
    throw new SettingsError(`--node-port-range: ${(e as Error).message}`);
  }
  return {
    failOn: cli.failOn ?? config.failOn ?? 'error',
    check: {
      ...runOptions(config, cli, knownRules),
      ...(namespace ? { defaultNamespace: namespace } : {}),
      ...(nodePortRange ? { nodePortRange } : {}),
      ...(config.ingressNamespace ? { ingressNamespace: config.ingressNamespace } : {}),
      ...(config.images ? { extraImages: config.images } : {}),
    },
    ...(config.imageCommands ? { imageCommands: config.imageCommands } : {}),
  };
}
