/** `-k DIR`: renders a kustomization with `kubectl kustomize DIR`, or `kustomize build DIR` without kubectl. */
import type { SourceText } from '../model/load.js';
import { findOnPath, renderWith } from './exec.js';

export const KUSTOMIZE_NOT_FOUND =
  'kubectl is not on PATH: install it (or kustomize) or pipe `kubectl kustomize DIR` output into `portchain check -`';

export function renderKustomize(dir: string, env: NodeJS.ProcessEnv): Promise<SourceText> {
  const how = { name: `<kustomize ${dir}>`, notFound: KUSTOMIZE_NOT_FOUND };
  if (!findOnPath('kubectl', env) && findOnPath('kustomize', env)) {
    return renderWith('kustomize', ['build', dir], env, how);
  }
  return renderWith('kubectl', ['kustomize', dir], env, how);
}
