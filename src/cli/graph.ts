/**
 * `portchain graph`: the whole topology (Ingress -> Service -> Pods -> containers) with the ports of every link
 * and the findings of `check` attached where they break, as a terminal tree, Mermaid, DOT, SVG or JSON.
 * Exit codes: 0 drawn (whatever the findings: `check` is the gate); 2 usage or config error, a renderer
 * missing, or nothing could be read.
 */
import { relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { check } from '../check.js';
import { findConfigFile, type LoadedConfig, loadConfigFile } from '../config/config.js';
import { applyRuleSettings, resolveSettings, type Settings, SettingsError } from '../config/options.js';
import type { SourceText } from '../model/load.js';
import { formatDot } from '../report/dot.js';
import { formatMermaid } from '../report/mermaid.js';
import { formatSvg } from '../report/svg.js';
import { formatTree } from '../report/tree.js';
import { allRuleMetas } from '../rules/registry.js';
import { type ReadResult, readSources } from '../sources/files.js';
import { renderHelm } from '../sources/helm.js';
import { renderKustomize } from '../sources/kustomize.js';
import { buildTopology } from '../topology/build.js';
import { formatTopologyJson, type Topology } from '../topology/model.js';
import { GROUP_MODES, type GroupMode, simplifyTopology } from '../topology/simplify.js';
import type { Io } from './main.js';

export const GRAPH_FORMATS = ['tree', 'mermaid', 'dot', 'svg', 'json'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

interface GraphFlags {
  format: GraphFormat;
  group: GroupMode;
  namespace?: string;
  nodePortRange?: string;
  config?: string | false;
  helm?: string;
  values?: string[];
  release?: string;
  kustomize?: string[];
  color?: boolean;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

function useColor(io: Io, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return io.isTTY;
}

/** --config FILE, else the nearest .portchain.yaml at or above the working directory, unless --no-config. */
function loadConfig(o: GraphFlags, cwd: string, ruleIds: readonly string[]): LoadedConfig | undefined {
  if (o.config === false) return undefined;
  if (typeof o.config === 'string') return loadConfigFile(resolve(cwd, o.config), o.config, ruleIds);
  const found = findConfigFile(cwd);
  if (!found) return undefined;
  const shown = relative(cwd, found);
  return loadConfigFile(found, shown === '' ? found : shown, ruleIds);
}

function settingsFor(o: GraphFlags, cwd: string): Settings {
  if ((o.values?.length || o.release) && !o.helm)
    throw new SettingsError('--values and --release need --helm CHART');
  const ruleIds = allRuleMetas.map((m) => m.id);
  const config = loadConfig(o, cwd, ruleIds)?.config ?? {};
  return resolveSettings(
    config,
    {
      ...(o.namespace ? { namespace: o.namespace } : {}),
      ...(o.nodePortRange ? { nodePortRange: o.nodePortRange } : {}),
    },
    ruleIds,
  );
}

/** Paths (or `.` when nothing at all is named), then what helm and kustomize render. */
async function readInputs(paths: string[], o: GraphFlags, io: Io, settings: Settings): Promise<ReadResult> {
  const rendered: SourceText[] = [];
  if (o.helm) {
    const ns = settings.check.defaultNamespace;
    rendered.push(
      await renderHelm(
        {
          chart: o.helm,
          ...(o.values ? { values: o.values } : {}),
          ...(o.release ? { release: o.release } : {}),
          ...(ns ? { namespace: ns } : {}),
        },
        io.env,
      ),
    );
  }
  for (const dir of o.kustomize ?? []) rendered.push(await renderKustomize(dir, io.env));
  const read =
    paths.length > 0 || rendered.length === 0
      ? await readSources(paths.length > 0 ? paths : ['.'], io.stdin)
      : { sources: [], findings: [], order: [] };
  return {
    sources: [...read.sources, ...rendered],
    findings: read.findings,
    order: [...read.order, ...rendered.map((s) => s.name)],
  };
}

/** Renders a topology in one of the graph formats. */
export async function renderGraph(t: Topology, format: GraphFormat, color = false): Promise<string> {
  switch (format) {
    case 'json':
      return formatTopologyJson(t);
    case 'mermaid':
      return formatMermaid(t);
    case 'dot':
      return formatDot(t);
    case 'svg':
      return formatSvg(t);
    default:
      return formatTree(t, { color });
  }
}

export function graphCommand(io: Io, setExit: (code: number) => void): Command {
  const cwd = io.cwd ?? process.cwd();
  // addCommand() does not pass the parent's settings on, so the command sets main.ts's own: output to io,
  // errors thrown (CommanderError) instead of process.exit.
  return new Command('graph')
    .description(
      'draw the topology: Ingress -> Service -> Pods -> containers, ports on every link, broken links marked',
    )
    .showHelpAfterError()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .argument('[paths...]', 'files, folders (searched for .yaml, .yml, .json) or - for stdin', [])
    .addOption(
      new Option('-f, --format <format>', 'output format').choices([...GRAPH_FORMATS]).default('tree'),
    )
    .addOption(
      new Option(
        '--group <mode>',
        'fold large inputs: auto (by size), none, workloads (one node per workload), namespaces (also fold sound namespaces)',
      )
        .choices([...GROUP_MODES])
        .default('auto'),
    )
    .addOption(new Option('-n, --namespace <ns>', 'namespace for objects that name none'))
    .addOption(new Option('--node-port-range <range>', "the API server's --service-node-port-range"))
    .addOption(
      new Option(
        '--config <file>',
        'the config file (default: the nearest .portchain.yaml, up to the repository root)',
      ),
    )
    .addOption(new Option('--no-config', 'ignore .portchain.yaml files'))
    .addOption(
      new Option('--helm <chart>', 'also draw what `helm template CHART` renders (helm must be on PATH)'),
    )
    .addOption(new Option('--values <file>', 'a values file for --helm (repeatable)').argParser(collect))
    .addOption(new Option('--release <name>', 'the release name for --helm'))
    .addOption(
      new Option(
        '-k, --kustomize <dir>',
        'also draw what `kubectl kustomize DIR` renders (kubectl or kustomize must be on PATH; repeatable)',
      ).argParser(collect),
    )
    .option('--no-color', 'never colour the tree (NO_COLOR is honoured too)')
    .addHelpText(
      'after',
      '\nExamples:\n  portchain graph examples/port-from-configmap/\n  portchain graph k8s/ --format mermaid > topology.mmd\n  portchain graph k8s/ --format svg > topology.svg\n  portchain graph k8s/ --format dot | dot -Tpng > topology.png',
    )
    .action(async (paths: string[], o: GraphFlags) => {
      const settings = settingsFor(o, cwd);
      const read = await readInputs(paths, o, io, settings);
      if (read.sources.length === 0) {
        for (const f of read.findings) io.stderr(`portchain: ${f.message}\n`);
        io.stderr('portchain: nothing could be read\n');
        setExit(2);
        return;
      }
      const result = check(read.sources, settings.check, read);
      const findings = applyRuleSettings(result.findings, settings.check);
      const topology = simplifyTopology(buildTopology(result.graph, findings), { mode: o.group });
      io.stdout(await renderGraph(topology, o.format, useColor(io, o.color)));
      setExit(0);
    });
}
