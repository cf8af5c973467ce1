/**
 * layoutTopology's time in Node (no browser, no worker): the same generated input as bench/ui/layout.ts, built
 * into a topology and laid out as drawn with every node (`none`) and with the default folding (`auto`). Quicker to
 * run than the browser benchmark, for A/B runs of layout changes.
 *
 * Usage (after `tsc -p bench/tsconfig.json`): node bench-dist/bench/ui/layout-node.js [--nodes 5000] [--per-namespace 10]
 */
import { check } from '../../src/check.js';
import { buildTopology } from '../../src/topology/build.js';
import { layoutTopology } from '../../src/topology/layout.js';
import { simplifyTopology } from '../../src/topology/simplify.js';
import { largeManifests } from './generate.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

async function main(): Promise<void> {
  const nodes = arg('nodes', 5000);
  const perNamespace = arg('per-namespace', 10);
  const services = Math.ceil(nodes / 3);
  const r = check([{ name: 'bench.yaml', text: largeManifests({ services, pods: services, perNamespace }) }]);
  const t = buildTopology(r.graph, r.findings);
  for (const mode of ['auto', 'none'] as const) {
    const view = simplifyTopology(t, { mode });
    const t0 = performance.now();
    const layout = await layoutTopology(view);
    const ms = Math.round(performance.now() - t0);
    console.log(
      JSON.stringify({ mode, drawn: layout.nodes.length, edges: layout.edges.length, layoutMs: ms }),
    );
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
