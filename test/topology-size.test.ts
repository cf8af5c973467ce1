/**
 * A drawing too large for the heap is refused before it is built (src/topology/size.ts), with what to do,
 * instead of exhausting the heap minutes later with V8's report.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../src/check.js';
import { assertDrawable, BYTES_PER_LINK, serviceLinks, TopologyTooLarge } from '../src/topology/size.js';
import { repoRoot } from './helpers/shared.js';

/** `services` Services that each select the `replicas` pods of one Deployment. */
function sharedPods(services: number, replicas: number): string {
  const docs = [
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - {name: web, image: nginx:1.27, ports: [{name: http, containerPort: 80}]}\n`,
  ];
  for (let i = 0; i < services; i++)
    docs.push(
      `apiVersion: v1\nkind: Service\nmetadata: {name: web-${i}}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: http}]\n`,
    );
  return docs.join('---\n');
}

const dir = mkdtempSync(join(tmpdir(), 'portchain-topology-size-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('assertDrawable', () => {
  const { graph } = check([{ name: 'shared.yaml', text: sharedPods(30, 40) }]);

  it('counts every pod each Service selects', () => {
    expect(serviceLinks(graph)).toBe(30 * 40);
  });

  it('refuses past three quarters of the heap, with the count, the need and what to do', () => {
    const need = 30 * 40 * BYTES_PER_LINK;
    expect(() => assertDrawable(graph, need / 0.75)).not.toThrow();
    expect(() => assertDrawable(graph, need / 0.75 - 1)).toThrow(TopologyTooLarge);
    expect(() => assertDrawable(graph, 600_000)).toThrow(
      /^cannot draw: 1,200 Service-to-pod links \(Services that select the same pods\) would take about 0\.0 GB to draw, more than the 1 MB heap this run has\.\nWhat to do: draw fewer Services at once/,
    );
  });
});

describe('graph over a heap too small for the drawing', () => {
  it('exits 2 with the message, where a larger heap draws it', () => {
    // 300 Services over 600 pods: 180,000 links, about 100 MB to draw; more than 3/4 of the heap that
    // --max-old-space-size=48 gives (its limit counts the young generation too: about 80 MB).
    const file = join(dir, 'shared.yaml');
    writeFileSync(file, sharedPods(300, 600));
    const run = (heap: number, args = ['graph', file, '--no-config']) =>
      spawnSync(
        process.execPath,
        [`--max-old-space-size=${heap}`, join(repoRoot, 'bin', 'portchain'), ...args],
        {
          encoding: 'utf8',
          env: { ...process.env, CI: 'true' },
        },
      );
    // The HTML report draws the same diagram.
    for (const args of [
      ['graph', file, '--no-config'],
      ['check', file, '--no-config', '--format', 'html'],
    ]) {
      const small = run(48, args);
      expect(small.status, args[0]).toBe(2);
      expect(small.stdout).toBe('');
      expect(small.stderr).toMatch(
        /^portchain: cannot draw: 180,000 Service-to-pod links \(Services that select the same pods\) would take about 0\.1 GB to draw, more than the \d+ MB heap this run has\.\nportchain: What to do: /,
      );
      expect(small.stderr).not.toMatch(/FATAL ERROR|Last few GCs|\n\s+at /);
    }
    const large = run(512);
    expect(large.stderr).toBe('');
    expect(large.status).toBe(0);
    expect(large.stdout).toMatch(/1 sound chain[\s\S]*300 Services, 1 workload, 600 pods/);
  }, 60_000);
});
