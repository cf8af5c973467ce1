/**
 * `portchain graph`: the whole topology (Ingress -> Service -> Pods -> containers) with the ports of every link
 * and the findings of `check` attached where they break, as a terminal tree, Mermaid, DOT, SVG or JSON.
 * Exit codes: 0 drawn (whatever the findings: `check` is the gate); 2 usage or config error, a renderer
 * missing, or nothing could be read.
 */
import { getHeapStatistics } from 'node:v8';
import { Command, Option } from 'commander';
import { check } from '../check.js';
import { formatDot } from '../report/dot.js';
import { formatMermaid } from '../report/mermaid.js';
import { formatTopologyJson } from '../report/topology-json.js';
import { formatTree } from '../report/tree.js';
import type { Topology } from '../topology/model.js';
import { buildSimplifiedTopology, GROUP_MODES, type GroupMode } from '../topology/simplify.js';
import { addInputOptions, type InputFlags, readInputs, settingsFor, useColor } from './inputs.js';
import { type Io, writePieces } from './main.js';
import { describeDrawing, progressFor } from './progress.js';

export const GRAPH_FORMATS = ['tree', 'mermaid', 'dot', 'svg', 'json'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

interface GraphFlags extends InputFlags {
  format: GraphFormat;
  group: GroupMode;
  color?: boolean;
}

/** Renders a topology in one of the graph formats, as pieces to write one after another. */
export async function renderGraph(
  t: Topology,
  format: GraphFormat,
  color = false,
): Promise<Iterable<string>> {
  switch (format) {
    case 'json':
      // An ungrouped cluster's topology is more JSON than one string may hold.
      return formatTopologyJson(t);
    case 'mermaid':
      return [formatMermaid(t)];
    case 'dot':
      return [formatDot(t)];
    case 'svg':
      // Loaded when asked for: the layout engine (elkjs) is a third of a second of start-up.
      return [await (await import('../report/svg.js')).formatSvg(t)];
    default:
      return [formatTree(t, { color })];
  }
}

export function graphCommand(io: Io, setExit: (code: number) => void): Command {
  const cwd = io.cwd ?? process.cwd();
  // addCommand() does not pass the parent's settings on, so the command sets main.ts's own: output to io,
  // errors thrown (CommanderError) instead of process.exit.
  const cmd = new Command('graph')
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
    );
  return addInputOptions(cmd, 'draw')
    .option('--no-color', 'never colour the tree (NO_COLOR is honoured too)')
    .addHelpText(
      'after',
      '\nExamples:\n  portchain graph examples/port-from-configmap/\n  portchain graph k8s/ --format mermaid > topology.mmd\n  portchain graph k8s/ --format svg > topology.svg\n  portchain graph k8s/ --format dot | dot -Tpng > topology.png',
    )
    .action(async (paths: string[], o: GraphFlags) => {
      const settings = settingsFor(o, cwd);
      const progress = progressFor(io);
      const read = await readInputs(paths, o, io, settings, { onRead: progress.onRead });
      if (read.sources.length === 0) {
        progress.done();
        for (const f of read.findings) io.stderr(`portchain: ${f.message}\n`);
        io.stderr('portchain: nothing could be read\n');
        setExit(2);
        return;
      }
      const result = check(read.sources, { ...settings.check, onProgress: progress.onCheck }, read);
      // Folding and drawing a cluster dump take seconds more (3 s at bench/'s 1x; an SVG's layout too).
      progress.step(() => describeDrawing(result.summary.objects, o.format));
      // Folded while building: a cluster dump's pods never get a row and edges each (issue 7).
      const topology = buildSimplifiedTopology(result.graph, result.findings, {
        mode: o.group,
        heapLimit: getHeapStatistics().heap_size_limit,
      });
      const drawn = await renderGraph(topology, o.format, useColor(io, o.color));
      progress.done();
      await writePieces(io, drawn);
      setExit(0);
    });
}
