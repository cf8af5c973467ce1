/**
 * `GET pods/NAME/log`: what a simulated container printed. RunningPods may offer
 * `logs(namespace, pod, container)` (src/runtime/images/run.ts); without it the log is empty, as for a
 * container that printed nothing.
 */
import { arrayAt, isJsonObject, type JsonObject, stringAt } from './json.js';
import { badRequest } from './status.js';

/** What the API reads of the running pods: their logs, when the kubelet keeps them (RunningPods.logs). */
export interface PodLogSource {
  logs?(namespace: string, pod: string, container?: string): unknown;
  /** The kubelet's readiness (probes, local commands); undefined: the manifests' status stands. */
  ready?(namespace: string, pod: string): boolean | undefined;
}

function asText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((l) => `${String(l)}\n`).join('');
  return '';
}

export async function podLogs(
  pods: PodLogSource,
  pod: JsonObject,
  container: string | null,
): Promise<string> {
  const containers = arrayAt(pod, 'spec', 'containers')
    .filter(isJsonObject)
    .map((c) => String(c.name));
  const name = stringAt(pod, 'metadata', 'name') ?? '';
  const namespace = stringAt(pod, 'metadata', 'namespace') ?? '';
  let c = container;
  if (!c) {
    if (containers.length !== 1)
      throw badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
      );
    c = containers[0] as string;
  } else if (!containers.includes(c)) {
    throw badRequest(`container ${c} is not valid for pod ${name}`);
  }
  if (typeof pods.logs !== 'function') return '';
  return asText(await pods.logs(namespace, name, c));
}
