/**
 * The real kubectl for end-to-end tests: whether one is on PATH (tests skip, saying so, where it is not), and
 * one kubectl run to completion against a test's kubeconfig.
 */
import { execFileSync } from 'node:child_process';
import { type Run, run } from './up-process.js';

export type { Run } from './up-process.js';

export const hasKubectl: boolean = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Warns once per test file that its kubectl steps are skipped. */
export function warnWithoutKubectl(file: string): void {
  if (!hasKubectl) console.warn(`${file}: kubectl not found on PATH; skipping the kubectl steps`);
}

export interface KubectlOptions {
  /** The kubeconfig kubectl reads (KUBECONFIG itself is emptied, so ~/.kube is never read). */
  kubeconfig: string;
  /** Its discovery cache: one per test, so no run reads another's. */
  cacheDir: string;
  /** Added to the environment. */
  env?: NodeJS.ProcessEnv;
  /** Written to kubectl's stdin (`apply -f -`, `exec -i`); stdin is closed either way. */
  input?: string;
  /** kubectl is killed after this long (default 30 s), so a hung run ends. */
  timeoutMs?: number;
}

/** `kubectl --kubeconfig K --cache-dir C ARGS` to completion: its exit code and output; never rejects. */
export function runKubectl(options: KubectlOptions, args: string[]): Promise<Run> {
  return run(
    'kubectl',
    ['--kubeconfig', options.kubeconfig, '--cache-dir', options.cacheDir, ...args],
    options.input,
    {
      env: options.env,
      timeoutMs: options.timeoutMs ?? 30_000,
    },
  );
}
