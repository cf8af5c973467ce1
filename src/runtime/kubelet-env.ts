/**
 * A container's environment, command and args as the kubelet builds them (pkg/kubelet/kubelet_pods.go
 * makeEnvironmentVariables, pkg/kubelet/envvars/envvars.go, kubecontainer.ExpandContainerCommandAndArgs), from
 * the pod, the ConfigMaps and Secrets of its namespace and the planned Service addresses. Pure. The `$(VAR)`
 * expansion and the ConfigMap/Secret lookup are the semantic core's (src/semantics/listening.ts).
 */
import { FieldPath } from '../model/field-path.js';
import type { Container, Pod } from '../model/types.js';
import type { ResolvedGraph } from '../semantics/graph.js';
import { type ConfigLookup, ENV_NAME, kubeExpand, type ResolvedEnvVar } from '../semantics/listening.js';
import type { ClusterPlan, PlanPod } from './plan.js';

/** A Service as the kubelet's Service environment sees it: the planned clusterIP and ports. */
export interface EnvService {
  readonly namespace: string;
  readonly name: string;
  /** Null for headless and ExternalName Services (IsServiceIPSet false: no variables). */
  readonly clusterIP: string | null;
  readonly ports: readonly {
    readonly name: string;
    readonly protocol: string;
    /** spec.ports[].port: names the `_PORT_<port>_<PROTO>` variables. */
    readonly port: number;
    /** Where it really answers (the port, or port + lowPortOffset): the variables' values. */
    readonly listenPort: number;
  }[];
}

export interface KubeletEnvInput {
  readonly pod: Pod;
  readonly container: Container;
  /** ConfigMaps and Secrets of the pod's namespace (graph.config(namespace)). */
  readonly config: ConfigLookup;
  /** The pod IP as planned (status.podIP, POD_IP). */
  readonly podIP: string;
  /** The node address (status.hostIP). */
  readonly hostIP: string;
  /** Every Service of the plan; the kubelet picks those of the pod's namespace and default/kubernetes. */
  readonly services: readonly EnvService[];
}

export interface KubeletEnv {
  /** Name → value, in the order the kubelet lists them (envFrom and env first, then the Service variables). */
  readonly env: Readonly<Record<string, string>>;
  /** container.command with `$(VAR)` expanded (empty: the image's entrypoint). */
  readonly command: readonly string[];
  readonly args: readonly string[];
  /** Why the kubelet refuses to start the container (CreateContainerConfigError); empty: it starts. */
  readonly errors: readonly string[];
  /** What was skipped, one sentence each (invalid envFrom keys, resourceFieldRef). */
  readonly notes: readonly string[];
}

/** makeEnvVariableName: upper case, `-` → `_`. */
const envName = (s: string) => s.replace(/-/g, '_').toUpperCase();

/**
 * envvars.FromServices: per Service with a clusterIP, NAME_SERVICE_HOST, NAME_SERVICE_PORT (the first port),
 * NAME_SERVICE_PORT_<PORTNAME> (named ports), then the Docker link variables of makeLinkVariables.
 */
export function serviceEnv(services: readonly EnvService[]): [string, string][] {
  const out: [string, string][] = [];
  for (const s of services) {
    const ip = s.clusterIP;
    if (!ip || s.ports.length === 0) continue;
    const prefix = envName(s.name);
    const first = s.ports[0] as EnvService['ports'][number];
    out.push([`${prefix}_SERVICE_HOST`, ip]);
    out.push([`${prefix}_SERVICE_PORT`, String(first.listenPort)]);
    for (const p of s.ports)
      if (p.name) out.push([`${prefix}_SERVICE_PORT_${envName(p.name)}`, String(p.listenPort)]);
    s.ports.forEach((p, i) => {
      const proto = (p.protocol || 'TCP').toLowerCase();
      const url = `${proto}://${ip}:${p.listenPort}`;
      if (i === 0) out.push([`${prefix}_PORT`, url]); // Docker special-cases the first port
      const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.push([pp, url], [`${pp}_PROTO`, proto], [`${pp}_PORT`, String(p.listenPort)], [`${pp}_ADDR`, ip]);
    });
  }
  return out;
}

/**
 * getServiceEnvVarMap: the Services of the pod's namespace when enableServiceLinks is not false, and always
 * the `kubernetes` Service of `default` (the master service).
 */
function servicesFor(
  namespace: string,
  enableServiceLinks: boolean,
  all: readonly EnvService[],
): EnvService[] {
  const byName = new Map<string, EnvService>();
  for (const s of all) {
    if (!s.clusterIP) continue;
    if (s.namespace === 'default' && s.name === 'kubernetes') {
      if (!byName.has(s.name)) byName.set(s.name, s);
    } else if (s.namespace === namespace && enableServiceLinks) byName.set(s.name, s);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** A stable stand-in for metadata.uid when the pod has none (synthesised pods): a UUID from its name. */
function stableUid(namespace: string, name: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  const s = `${namespace}/${name}`;
  for (let i = 0; i < s.length; i++) {
    h1 = Math.imul(h1 ^ s.charCodeAt(i), 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ s.charCodeAt(s.length - 1 - i), 0x811c9dc5) >>> 0;
  }
  const hex = (h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')).repeat(2);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * podFieldSelectorRuntimeValue and fieldpath.ExtractFieldPathAsString: the downward API fields an env var may
 * read. Undefined: not a supported field path (the API server would have rejected it).
 */
export function podFieldValue(pod: Pod, path: string, podIP: string, hostIP: string): string | undefined {
  const meta = pod.metadata;
  const spec = pod.spec;
  const sub = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (sub) {
    const map = (sub[1] === 'labels' ? meta.labels : meta.annotations) ?? {};
    return map[sub[2] as string] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? 'default';
    case 'metadata.uid':
      return meta.uid ?? stableUid(meta.namespace ?? 'default', meta.name ?? '');
    case 'spec.nodeName':
      return spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      // The ServiceAccount admission plugin sets `default` when the pod names none.
      return spec.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return hostIP;
    default:
      return undefined;
  }
}

const known = (value: string): ResolvedEnvVar => ({ value, from: '', field: FieldPath.root('env') });

/** makeEnvironmentVariables, then POD_IP and HOSTNAME (when the container does not set them). */
export function kubeletEnv(input: KubeletEnvInput): KubeletEnv {
  const { pod, container, config } = input;
  const namespace = pod.metadata.namespace ?? 'default';
  const spec = pod.spec;
  const errors: string[] = [];
  const notes: string[] = [];
  const svcEnv = new Map(
    serviceEnv(servicesFor(namespace, spec.enableServiceLinks !== false, input.services)),
  );
  const tmp = new Map<string, string>();

  for (const src of container.envFrom ?? []) {
    const ref = src.configMapRef
      ? { kind: 'ConfigMap', name: src.configMapRef.name ?? '', optional: src.configMapRef.optional === true }
      : src.secretRef
        ? { kind: 'Secret', name: src.secretRef.name ?? '', optional: src.secretRef.optional === true }
        : undefined;
    if (!ref) continue;
    const data = ref.kind === 'ConfigMap' ? config.configMap(ref.name) : config.secret(ref.name);
    if (!data) {
      if (!ref.optional) errors.push(`${ref.kind.toLowerCase()} "${ref.name}" not found`);
      continue;
    }
    const invalid: string[] = [];
    for (const key of Object.keys(data).sort()) {
      const name = (src.prefix ?? '') + key;
      // The kubelet skips keys that are not valid variable names (an InvalidEnvironmentVariableNames event).
      if (!ENV_NAME.test(name)) invalid.push(name);
      else tmp.set(name, data[key] as string);
    }
    if (invalid.length > 0)
      notes.push(
        `Keys [${invalid.join(', ')}] from the EnvFrom ${ref.kind.toLowerCase()} ${namespace}/${ref.name} were skipped since they are considered invalid environment variable names.`,
      );
  }

  // expansion.MappingFuncFor(tmpEnv, serviceEnv): the variables defined so far, then the Service ones.
  const lookup = (name: string) => {
    const v = tmp.get(name) ?? svcEnv.get(name);
    return v === undefined ? undefined : known(v);
  };
  for (const e of container.env ?? []) {
    const from = e.valueFrom;
    if (!from) {
      tmp.set(e.name, kubeExpand(e.value ?? '', lookup).text ?? '');
      continue;
    }
    const keyRef = from.configMapKeyRef
      ? { kind: 'ConfigMap', ref: from.configMapKeyRef }
      : from.secretKeyRef
        ? { kind: 'Secret', ref: from.secretKeyRef }
        : undefined;
    if (keyRef) {
      const name = keyRef.ref.name ?? '';
      const key = keyRef.ref.key ?? '';
      const data = keyRef.kind === 'ConfigMap' ? config.configMap(name) : config.secret(name);
      const optional = keyRef.ref.optional === true;
      if (!data) {
        if (!optional) errors.push(`${keyRef.kind.toLowerCase()} "${name}" not found`);
        continue;
      }
      const value = data[key];
      if (value === undefined) {
        if (!optional) errors.push(`couldn't find key ${key} in ${keyRef.kind} ${namespace}/${name}`);
        continue;
      }
      tmp.set(e.name, value);
    } else if (from.fieldRef) {
      const path = from.fieldRef.fieldPath ?? '';
      const value = podFieldValue(pod, path, input.podIP, input.hostIP);
      if (value === undefined) errors.push(`${e.name}: unsupported fieldRef ${path}`);
      else tmp.set(e.name, value);
    } else if (from.resourceFieldRef) {
      notes.push(
        `${e.name}: resourceFieldRef ${from.resourceFieldRef.resource ?? ''} is not simulated (no resources run here); the variable is not set`,
      );
    }
  }

  const env: Record<string, string> = Object.fromEntries(tmp);
  // Service variables never override the container's own (present in tmpEnv: skipped).
  for (const [k, v] of svcEnv) if (!tmp.has(k)) env[k] = v;
  // ExpandContainerCommandAndArgs reads the kubelet's list, before the runtime adds HOSTNAME.
  const final = (name: string) => (env[name] === undefined ? undefined : known(env[name] as string));
  const expand = (words: readonly string[] | undefined) =>
    (words ?? []).map((w) => kubeExpand(w, final).text ?? w);
  const command = expand(container.command);
  const args = expand(container.args);
  // The container runtime sets HOSTNAME to the pod's hostname; POD_IP is portchain's addition.
  env.POD_IP ??= input.podIP;
  env.HOSTNAME ??= spec.hostname ?? pod.metadata.name ?? '';
  return { env, command, args, errors, notes };
}

/** The environment of container `containerName` of planned pod `pod`, from the graph the plan came from. */
export function kubeletEnvFor(
  graph: ResolvedGraph,
  plan: ClusterPlan,
  pod: PlanPod,
  containerName: string,
): KubeletEnv | undefined {
  const inst = graph.pods.find((p) => p.namespace === pod.namespace && p.name === pod.name);
  const container = inst?.pod.spec.containers.find((c) => c.name === containerName);
  if (!inst || !container) return undefined;
  return kubeletEnv({
    pod: inst.pod,
    container,
    config: graph.config(pod.namespace),
    podIP: pod.ip,
    hostIP: plan.node,
    services: plan.services,
  });
}
