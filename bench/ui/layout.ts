/**
 * The UI's layout time in a real browser: a generated input (bench/ui/generate.ts) served by startUiServer,
 * opened in chromium; the page reports, per drawing, how long the worker's elkjs layout took. Measured with the
 * default grouping (`auto`: sound namespaces folded) and with `none` (every node laid out).
 *
 * Usage (after `npm run build` and `tsc -p bench/tsconfig.json`):
 *   node bench-dist/bench/ui/layout.js [--nodes 5000] [--per-namespace 10] [--static DIR] [--out NAME]
 *     [--auto-only]
 * `--auto-only` skips the drawing of every node (100,000 nodes are not meant to be drawn at once).
 * `--static` serves another build of the page (an A/B run against an older layout); results go to stdout and
 * bench-output/NAME (ui-layout.json by default).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { check } from '../../src/check.js';
import { startUiServer } from '../../src/ui/server.js';
import { largeManifests } from './generate.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

const text = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};

async function main(): Promise<void> {
  const nodes = arg('nodes', 5000);
  const staticDir = resolve(text('static', join(ROOT, 'dist/web')));
  const perNamespace = arg('per-namespace', 10);
  // One Service, one Deployment of one pod and one container per chain: three nodes.
  const services = Math.ceil(nodes / 3);
  const r = check([{ name: 'bench.yaml', text: largeManifests({ services, pods: services, perNamespace }) }]);
  const server = await startUiServer({
    load: async () => ({ graph: r.graph, findings: r.findings }),
    staticDir,
  });
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'portchain-bench-ui-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1600, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-sync'],
  });
  const results: { mode: string; drawn: number; total: number; layoutMs: number; pageMs: number }[] = [];
  try {
    const page = await context.newPage();
    const read = async (mode: string, started: number) => {
      const status = (await page.locator('.status').textContent()) ?? '';
      const m = /^(\d+) of (\d+) nodes drawn.*layout (\d+) ms/.exec(status);
      if (!m) throw new Error(`unexpected status: ${status}`);
      results.push({
        mode,
        drawn: Number(m[1]),
        total: Number(m[2]),
        layoutMs: Number(m[3]),
        pageMs: Math.round(performance.now() - started),
      });
    };
    let t0 = performance.now();
    await page.goto(server.url);
    await page.waitForSelector('.app[data-ready="true"]', { timeout: 600_000 });
    await read('auto', t0);
    if (!process.argv.includes('--auto-only')) {
      t0 = performance.now();
      await page.locator('select').nth(2).selectOption('none');
      // All nodes drawn: `N of N nodes drawn` (page code reaches the DOM through globalThis; no DOM library here).
      await page.waitForFunction(
        () => {
          const doc = (
            globalThis as unknown as {
              document: { querySelector(s: string): { textContent: string } | null };
            }
          ).document;
          return /^(\d+) of \1 nodes drawn/.test(doc.querySelector('.status')?.textContent ?? '');
        },
        undefined,
        { timeout: 1_800_000, polling: 500 },
      );
      await read('none', t0);
    }
  } finally {
    await context.close();
    await server.close();
  }
  const report = {
    requested: nodes,
    manifests: r.graph.manifests.length,
    perNamespace,
    staticDir,
    cpus: cpus().length,
    load: loadavg()[0],
    results,
  };
  console.log(JSON.stringify(report, null, 2));
  mkdirSync(join(ROOT, 'bench-output'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench-output', text('out', 'ui-layout.json')),
    `${JSON.stringify(report, null, 2)}\n`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
