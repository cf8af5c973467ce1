/**
 * Strategic merge patch metadata of the kinds served: which lists merge and by which key, which maps carry
 * retainKeys, as the Go struct tags of k8s.io/api say (`patchStrategy:"merge" patchMergeKey:"name"`). Lists
 * not named here are atomic: a patch replaces them whole (the default for lists without a strategy).
 */
export interface PatchMeta {
  readonly fields?: Readonly<Record<string, PatchMeta>>;
  /** For a list: merge its items (by `mergeKey` for lists of objects; a union for lists of scalars). */
  readonly merge?: {
    readonly mergeKey?: string;
    /**
     * The list-map keys server-side apply matches items by (`x-kubernetes-list-map-keys`), when they differ
     * from the strategic merge key: container ports and Service ports are keyed by port and protocol.
     */
    readonly applyKeys?: readonly string[];
  };
  /** For a list of objects: the metadata of its items. */
  readonly items?: PatchMeta;
  /** The map (or each item of the list) honours `$retainKeys` (patchStrategy:"retainKeys"). */
  readonly retainKeys?: boolean;
}

const byKey = (mergeKey: string, items?: PatchMeta): PatchMeta => ({
  merge: { mergeKey },
  ...(items ? { items } : {}),
});

// k8s.io/apimachinery/pkg/apis/meta/v1/types.go ObjectMeta.
const objectMeta: PatchMeta = {
  fields: { finalizers: { merge: {} }, ownerReferences: byKey('uid') },
};

// k8s.io/api/core/v1/types.go Container.
const container: PatchMeta = {
  fields: {
    ports: { merge: { mergeKey: 'containerPort', applyKeys: ['containerPort', 'protocol'] } },
    env: byKey('name'),
    volumeMounts: byKey('mountPath'),
    volumeDevices: byKey('devicePath'),
  },
};

// k8s.io/api/core/v1/types.go PodSpec.
const podSpec: PatchMeta = {
  fields: {
    volumes: { merge: { mergeKey: 'name' }, items: { retainKeys: true } },
    initContainers: byKey('name', container),
    containers: byKey('name', container),
    ephemeralContainers: byKey('name', container),
    imagePullSecrets: byKey('name'),
    hostAliases: byKey('ip'),
    topologySpreadConstraints: byKey('topologyKey'),
    schedulingGates: byKey('name'),
    resourceClaims: { merge: { mergeKey: 'name' }, items: { retainKeys: true } },
  },
};

const podTemplate: PatchMeta = { fields: { metadata: objectMeta, spec: podSpec } };

const top = (spec?: PatchMeta, status?: PatchMeta): PatchMeta => ({
  fields: { metadata: objectMeta, ...(spec ? { spec } : {}), ...(status ? { status } : {}) },
});

const KINDS: Readonly<Record<string, PatchMeta>> = {
  Pod: top(podSpec, { fields: { conditions: byKey('type') } }),
  // ServiceSpec.Ports: patchStrategy:"merge" patchMergeKey:"port" (only `port`, not protocol: the known
  // limitation of client-side apply with 53/TCP + 53/UDP, kubernetes#47249).
  Service: top({ fields: { ports: { merge: { mergeKey: 'port', applyKeys: ['port', 'protocol'] } } } }),
  Deployment: top({ fields: { template: podTemplate, strategy: { retainKeys: true } } }),
  StatefulSet: top({ fields: { template: podTemplate } }),
  DaemonSet: top({ fields: { template: podTemplate } }),
  ReplicaSet: top({ fields: { template: podTemplate } }),
  Job: top({ fields: { template: podTemplate } }),
  CronJob: top({ fields: { jobTemplate: { fields: { spec: { fields: { template: podTemplate } } } } } }),
  Namespace: top(),
  ConfigMap: top(),
  Secret: top(),
  Ingress: top(),
  IngressClass: top(),
  NetworkPolicy: top(),
};

export function patchMetaOf(kind: string): PatchMeta {
  return KINDS[kind] ?? top();
}
