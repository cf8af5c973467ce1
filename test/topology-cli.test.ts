import { Readable } from 'node:stream';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { graphCommand } from '../src/cli/graph.js';
import type { Topology } from '../src/topology/model.js';
import { tempTree } from './helpers/cli.js';
import { shopYaml } from './topology-fixtures.js';

interface Run {
  code: number | undefined;
  stdout: string;
  stderr: string;
}

/** `portchain graph ...` through a fresh program, as main.ts will mount it. */
async function graph(args: string[], stdin = '', env: NodeJS.ProcessEnv = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  let code: number | undefined;
  const io = {
    stdout: (s: string) => {
      stdout += s;
    },
    stderr: (s: string) => {
      stderr += s;
    },
    stdin: Readable.from([stdin]),
    isTTY: false,
    env,
  };
  const program = new Command('portchain')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  program.addCommand(
    graphCommand(io, (c) => {
      code = c;
    }),
  );
  try {
    await program.parseAsync(['graph', ...args], { from: 'user' });
  } catch (e) {
    stderr += `thrown: ${(e as Error).message}`;
  }
  return { code, stdout, stderr };
}

/** Where an ANSI colour sequence starts. */
const ESC = '\u001b[';

const EXAMPLE = 'examples/port-from-configmap/';

describe('portchain graph', () => {
  it('prints the tree by default and exits 0, findings or not', async () => {
    const r = await graph([EXAMPLE, '--no-config']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('namespace port-from-configmap\n└─ Ingress books  class nginx\n');
    expect(r.stdout).toContain('namespace port-from-configmap-broken-ingress-port');
    expect(r.stdout).toMatch(/✖ :3005 \(no such Service port\) → Service books/);
    expect(r.stdout).toMatch(/✖ error \[[a-z-]+\] Ingress books -> Service books:3005/);
  });

  it('prints each format', async () => {
    const mermaid = await graph([EXAMPLE, '--no-config', '--format', 'mermaid']);
    expect(mermaid.stdout.startsWith('flowchart LR\n')).toBe(true);
    const dot = await graph([EXAMPLE, '--no-config', '-f', 'dot']);
    expect(dot.stdout.startsWith('digraph portchain {')).toBe(true);
    const svg = await graph([EXAMPLE, '--no-config', '-f', 'svg']);
    expect(svg.stdout.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const json = await graph([EXAMPLE, '--no-config', '-f', 'json']);
    const t = JSON.parse(json.stdout) as Topology;
    expect(t.version).toBe(1);
    expect(t.groups.map((g) => g.namespace)).toEqual([
      'port-from-configmap',
      'port-from-configmap-broken-ingress-port',
      'port-from-configmap-broken-configmap',
    ]);
    expect(t.findings.some((f) => f.targets.length > 0 && f.severity === 'error')).toBe(true);
    for (const r of [mermaid, dot, svg, json]) expect(r.code).toBe(0);
  });

  it('reads stdin, and groups as asked', async () => {
    const yaml = shopYaml().replace('replicas: 2', 'replicas: 2');
    const none = await graph(['-', '--no-config', '--group', 'none'], yaml);
    expect(none.stdout).toContain('→ Deployment web  2 pods');
    const grouped = await graph(['-', '--no-config', '--group', 'workloads'], yaml);
    expect(grouped.stdout).toContain('→ Deployment web ×2');
    expect(grouped.stdout).toContain('Grouped (--group none shows everything)');
  });

  it('reads the config file: -n and a rule turned off there', async () => {
    const dir = tempTree({
      'app.yaml': shopYaml()
        .replace(/namespace: shop/g, 'namespace: other')
        .replace(/ {2}namespace: shop\n/g, ''),
      'portchain.yaml': 'namespace: other\n',
    });
    const r = await graph([`${dir}/app.yaml`, '--config', `${dir}/portchain.yaml`]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('namespace other');
  });

  it('exits 2 when nothing could be read, and rejects an unknown format', async () => {
    const r = await graph(['/nonexistent/portchain-graph', '--no-config']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('portchain: no such file or folder: /nonexistent/portchain-graph\n');
    expect(r.stderr).toContain('portchain: nothing could be read\n');
    const bad = await graph([EXAMPLE, '--format', 'png']);
    expect(bad.stderr).toContain("argument 'png' is invalid");
  });

  it('colours the tree only when asked', async () => {
    const plain = await graph([EXAMPLE, '--no-config']);
    expect(plain.stdout).not.toContain(ESC);
    const forced = await graph([EXAMPLE, '--no-config'], '', { FORCE_COLOR: '1' });
    expect(forced.stdout).toContain(ESC);
    const off = await graph([EXAMPLE, '--no-config', '--no-color'], '', { FORCE_COLOR: '1' });
    expect(off.stdout).not.toContain(ESC);
  });
});
