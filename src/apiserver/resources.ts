/**
 * The resources the API serves: the kinds of the port chain, as the real API server's discovery names them
 * (plural, singular, short names, categories, verbs). `computed` resources are read-only views the semantic
 * core derives from the running `up` (EndpointSlices, Endpoints, Events); pods are both stored (Pods written
 * through the API) and derived (the pods of the workloads).
 */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly verbs: readonly string[];
  /** Read-only: derived from up's graph and plan, never written through the API. */
  readonly computed: boolean;
  /** Subresources served (`exec`, `log`, `portforward`, `status`). */
  readonly subresources: readonly { name: string; kind: string; verbs: readonly string[] }[];
}

const WRITE = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const READ = ['get', 'list', 'watch'];

const r = (
  group: string,
  kind: string,
  plural: string,
  o: Partial<Omit<ResourceType, 'group' | 'kind' | 'plural'>> = {},
): ResourceType => ({
  group,
  version: 'v1',
  kind,
  plural,
  singular: kind.toLowerCase(),
  namespaced: true,
  shortNames: [],
  categories: [],
  verbs: WRITE,
  computed: false,
  subresources: [],
  ...o,
});

export const RESOURCES: readonly ResourceType[] = [
  r('', 'Namespace', 'namespaces', { namespaced: false, shortNames: ['ns'] }),
  r('', 'Service', 'services', {
    shortNames: ['svc'],
    categories: ['all'],
    subresources: [{ name: 'status', kind: 'Service', verbs: ['get', 'patch', 'update'] }],
  }),
  r('', 'Pod', 'pods', {
    shortNames: ['po'],
    categories: ['all'],
    subresources: [
      { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
      { name: 'status', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
    ],
  }),
  r('', 'Endpoints', 'endpoints', { singular: 'endpoints', shortNames: ['ep'], verbs: READ, computed: true }),
  r('', 'ConfigMap', 'configmaps', { shortNames: ['cm'] }),
  r('', 'Secret', 'secrets'),
  r('', 'Event', 'events', { shortNames: ['ev'], verbs: READ, computed: true }),
  r('apps', 'Deployment', 'deployments', { shortNames: ['deploy'], categories: ['all'] }),
  r('apps', 'StatefulSet', 'statefulsets', { shortNames: ['sts'], categories: ['all'] }),
  r('apps', 'DaemonSet', 'daemonsets', { shortNames: ['ds'], categories: ['all'] }),
  // Derived from the Deployments (computed.ts replicaSets): read-only here, as `up` rolls out at once.
  r('apps', 'ReplicaSet', 'replicasets', {
    shortNames: ['rs'],
    categories: ['all'],
    verbs: READ,
    computed: true,
  }),
  r('networking.k8s.io', 'Ingress', 'ingresses', { shortNames: ['ing'] }),
  r('networking.k8s.io', 'IngressClass', 'ingressclasses', { namespaced: false }),
  r('networking.k8s.io', 'NetworkPolicy', 'networkpolicies', { shortNames: ['netpol'] }),
  r('discovery.k8s.io', 'EndpointSlice', 'endpointslices', { verbs: READ, computed: true }),
];

export const groupVersion = (t: ResourceType) => (t.group ? `${t.group}/${t.version}` : t.version);

/** `services`, `deployments.apps`: how Status messages name a resource (schema.GroupResource.String()). */
export const groupResource = (t: ResourceType) => (t.group ? `${t.plural}.${t.group}` : t.plural);

/** `Service`, `Deployment.apps`: how Invalid messages name a kind (schema.GroupKind.String()). */
export const groupKind = (t: ResourceType) => (t.group ? `${t.kind}.${t.group}` : t.kind);

export function resourceFor(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCES.find((t) => t.group === group && t.version === version && t.plural === plural);
}

/** The resource of an object by apiVersion and kind (only the versions served). */
export function resourceOfKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCES.find((t) => groupVersion(t) === apiVersion && t.kind === kind);
}

export const API_GROUPS: readonly string[] = [...new Set(RESOURCES.map((t) => t.group).filter((g) => g))];
