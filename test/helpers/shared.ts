import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { SourceText } from '../../src/model/load.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** ../shared beside the repo root, as CI lays it out. */
export const sharedDir = resolve(repoRoot, '..', 'shared');
export const corpusDir = join(sharedDir, 'corpus');
export const vectorsDir = join(sharedDir, 'vectors');

/** True when `command` is on the PATH (tests that need iproute2, iptables, ... skip without it). */
export const hasCommand = (command: string): boolean =>
  spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

let gc: (() => void) | undefined;

/** The heap in use after two full collections (V8's gc, exposed for the tests that measure what is kept). */
export function heapAfterGc(): number {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export function readSource(path: string): SourceText {
  return { name: path, text: readFileSync(path, 'utf8') };
}

/**
 * The corpus' analysis units (corpus/SOURCES.md): each folder loads together, except the two folders whose
 * files are alternatives defining the same objects.
 */
export function corpusUnits(): { name: string; files: string[] }[] {
  const units: { name: string; files: string[] }[] = [];
  for (const folder of readdirSync(corpusDir, { withFileTypes: true })) {
    if (!folder.isDirectory()) continue;
    const files = readdirSync(join(corpusDir, folder.name))
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => join(corpusDir, folder.name, f));
    if (folder.name === 'kubernetes__ingress-nginx' || folder.name === 'argoproj__argo-cd') {
      const together = files.filter((f) => f.includes('docker-registry'));
      if (together.length > 0) units.push({ name: `${folder.name}/docker-registry`, files: together });
      for (const f of files.filter((x) => !together.includes(x)))
        units.push({ name: `${folder.name}/${f.split('/').pop()}`, files: [f] });
    } else units.push({ name: folder.name, files });
  }
  return units;
}
