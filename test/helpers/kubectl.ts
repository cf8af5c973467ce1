/**
 * The real kubectl for end-to-end tests: whether one is on PATH (tests skip, saying so, where it is not).
 */
import { execFileSync } from 'node:child_process';

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
