/**
 * Server-side printing (meta.k8s.io/v1 Table), the columns and cells of pkg/printers/internalversion/
 * printers.go, so `kubectl get` prints what it prints against a real API server.
 */
import { arrayAt, isJsonObject, type JsonObject, type JsonValue, objectAt, stringAt } from './json.js';
import type { ResourceType } from './resources.js';

interface Column {
  readonly name: string;
  readonly type: string;
  readonly format?: string;
  readonly priority?: number;
  readonly description?: string;
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    return dy === 0 ? `${Math.trunc(hours / 24 / 365)}y` : `${Math.trunc(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** translateTimestampSince. */
export function age(o: JsonObject, now = Date.now()): string {
  const ts = stringAt(o, 'metadata', 'creationTimestamp');
  if (!ts) return '<unknown>';
  return humanDuration(now - Date.parse(ts));
}

const NAME: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
};
const AGE: Column = {
  name: 'Age',
  type: 'string',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
};
const col = (name: string, type = 'string', priority = 0): Column => ({
  name,
  type,
  ...(priority ? { priority } : {}),
});

const nameOf = (o: JsonObject) => stringAt(o, 'metadata', 'name') ?? '';
const strings = (v: JsonValue[]) => v.filter((x): x is string => typeof x === 'string');

/** labels.FormatLabels / metav1.FormatLabelSelector for a plain map: sorted `k=v`, `<none>` when empty. */
function formatLabels(m: JsonObject | undefined): string {
  const keys = Object.keys(m ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${String(m?.[k])}`).join(',');
}

/** metav1.FormatLabelSelector. */
function formatSelector(sel: JsonObject | undefined): string {
  if (!sel) return '<none>';
  const parts: string[] = [];
  const ml = objectAt(sel, 'matchLabels') ?? {};
  for (const k of Object.keys(ml).sort()) parts.push(`${k}=${String(ml[k])}`);
  for (const e of arrayAt(sel, 'matchExpressions')) {
    if (!isJsonObject(e)) continue;
    const vals = strings(arrayAt(e, 'values'));
    const op = String(e.operator);
    const key = String(e.key);
    if (op === 'In') parts.push(`${key} in (${vals.join(',')})`);
    else if (op === 'NotIn') parts.push(`${key} notin (${vals.join(',')})`);
    else if (op === 'Exists') parts.push(key);
    else if (op === 'DoesNotExist') parts.push(`!${key}`);
  }
  const s = parts.join(',');
  return s === '' ? '<none>' : s;
}

/** loadBalancerStatusStringer. */
function lbStatus(o: JsonObject, wide: boolean): string {
  const ips = arrayAt(o, 'status', 'loadBalancer', 'ingress')
    .filter(isJsonObject)
    .map((i) => (typeof i.ip === 'string' && i.ip ? i.ip : typeof i.hostname === 'string' ? i.hostname : ''))
    .filter((x) => x);
  const r = ips.join(',');
  return !wide && r.length > 16 ? `${r.slice(0, 13)}...` : r;
}

/** getServiceExternalIP. */
function serviceExternalIP(o: JsonObject, wide: boolean): string {
  const type = stringAt(o, 'spec', 'type') ?? 'ClusterIP';
  const external = strings(arrayAt(o, 'spec', 'externalIPs'));
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      return external.length > 0 ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = lbStatus(o, wide);
      if (external.length > 0) return [...external, ...(lb ? [lb] : [])].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return stringAt(o, 'spec', 'externalName') ?? '';
    default:
      return '<unknown>';
  }
}

/** makePortString. */
function servicePorts(o: JsonObject): string {
  const ports = arrayAt(o, 'spec', 'ports').filter(isJsonObject);
  if (ports.length === 0) return '<none>';
  return ports
    .map((p) => {
      const protocol = typeof p.protocol === 'string' ? p.protocol : 'TCP';
      return typeof p.nodePort === 'number' && p.nodePort !== 0
        ? `${p.port}:${p.nodePort}/${protocol}`
        : `${p.port}/${protocol}`;
    })
    .join(',');
}

/** formatEndpoints. */
function formatEndpoints(o: JsonObject): string {
  const subsets = arrayAt(o, 'subsets').filter(isJsonObject);
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addrs = arrayAt(ss, 'addresses').filter(isJsonObject);
    const ports = arrayAt(ss, 'ports').filter(isJsonObject);
    if (ports.length === 0) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(String(a.ip));
      }
      continue;
    }
    for (const port of ports) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        const ip = String(a.ip);
        list.push(`${ip.includes(':') ? `[${ip}]` : ip}:${String(port.port)}`);
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

function listWithMore(list: string[], more: boolean, count: number, max: number): string {
  const ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret === '' ? '<unset>' : ret;
}

function sliceCells(o: JsonObject): [string, string] {
  const max = 3;
  const ports: string[] = [];
  let morePorts = false;
  let portCount = 0;
  for (const p of arrayAt(o, 'ports').filter(isJsonObject)) {
    if (ports.length < max)
      ports.push(typeof p.port === 'number' ? String(p.port) : typeof p.name === 'string' ? p.name : '*');
    else if (ports.length === max) morePorts = true;
    portCount++;
  }
  const addrs: string[] = [];
  let moreAddrs = false;
  let addrCount = 0;
  for (const e of arrayAt(o, 'endpoints').filter(isJsonObject))
    for (const a of strings(arrayAt(e, 'addresses'))) {
      if (addrs.length < max) addrs.push(a);
      else if (addrs.length === max) moreAddrs = true;
      addrCount++;
    }
  return [listWithMore(ports, morePorts, portCount, max), listWithMore(addrs, moreAddrs, addrCount, max)];
}

/** formatHosts. */
function ingressHosts(o: JsonObject): string {
  const rules = arrayAt(o, 'spec', 'rules').filter(isJsonObject);
  const list: string[] = [];
  const max = 4;
  let more = false;
  for (const r of rules) {
    if (list.length === max) more = true;
    if (!more && typeof r.host === 'string' && r.host) list.push(r.host);
  }
  if (list.length === 0) return '*';
  const ret = list.join(',');
  return more ? `${ret} + ${rules.length - max} more...` : ret;
}

function podCells(o: JsonObject): JsonValue[] {
  const statuses = arrayAt(o, 'status', 'containerStatuses').filter(isJsonObject);
  const total = arrayAt(o, 'spec', 'containers').length;
  const ready = statuses.filter((s) => s.ready === true).length;
  const restarts = statuses.reduce(
    (n, s) => n + (typeof s.restartCount === 'number' ? s.restartCount : 0),
    0,
  );
  const phase = stringAt(o, 'status', 'phase') ?? 'Pending';
  // printPod: a container's waiting reason (CrashLoopBackOff), else its terminated reason (Error, Completed)
  // stands for the pod, the last container's first; a deletion for all.
  const stateReason = (s: JsonObject, key: 'waiting' | 'terminated') =>
    isJsonObject(s.state) && isJsonObject(s.state[key]) ? s.state[key].reason : undefined;
  const waiting = statuses
    .map((s) => stateReason(s, 'waiting') ?? stateReason(s, 'terminated'))
    .filter((r): r is string => typeof r === 'string' && r !== '')
    .at(-1);
  const reason = stringAt(o, 'metadata', 'deletionTimestamp')
    ? 'Terminating'
    : (waiting ?? stringAt(o, 'status', 'reason') ?? phase);
  const gates = arrayAt(o, 'spec', 'readinessGates').length;
  return [
    nameOf(o),
    `${ready}/${total}`,
    reason,
    String(restarts),
    age(o),
    stringAt(o, 'status', 'podIP') || '<none>',
    stringAt(o, 'spec', 'nodeName') || '<none>',
    stringAt(o, 'status', 'nominatedNodeName') || '<none>',
    gates === 0 ? '<none>' : `0/${gates}`,
  ];
}

function containersAndImages(o: JsonObject): [string, string] {
  const cs = arrayAt(o, 'spec', 'template', 'spec', 'containers').filter(isJsonObject);
  return [cs.map((c) => String(c.name)).join(','), cs.map((c) => String(c.image ?? '')).join(',')];
}
const num = (o: JsonObject, ...keys: string[]): number => {
  const last = keys.at(-1) ?? '';
  const v = objectAt(o, ...keys.slice(0, -1))?.[last];
  return typeof v === 'number' ? v : 0;
};

/** READY of a Deployment or StatefulSet: ready replicas over spec.replicas (1 when unset, its default). */
const readyOfReplicas = (o: JsonObject): string =>
  `${num(o, 'status', 'readyReplicas')}/${typeof objectAt(o, 'spec')?.replicas === 'number' ? num(o, 'spec', 'replicas') : 1}`;

/** The -o wide columns the printers of Deployments, ReplicaSets and DaemonSets end with, and their cells. */
const WORKLOAD_WIDE_COLUMNS: readonly Column[] = [
  col('Containers', 'string', 1),
  col('Images', 'string', 1),
  col('Selector', 'string', 1),
];
const workloadWideCells = (o: JsonObject): JsonValue[] => [
  ...containersAndImages(o),
  formatSelector(objectAt(o, 'spec', 'selector')),
];

interface Printer {
  readonly columns: readonly Column[];
  cells(o: JsonObject): JsonValue[];
}

const PRINTERS: Readonly<Record<string, Printer>> = {
  services: {
    columns: [
      NAME,
      col('Type'),
      col('Cluster-IP'),
      col('External-IP'),
      col('Port(s)'),
      AGE,
      col('Selector', 'string', 1),
    ],
    cells: (o) => [
      nameOf(o),
      stringAt(o, 'spec', 'type') ?? 'ClusterIP',
      strings(arrayAt(o, 'spec', 'clusterIPs'))[0] ?? '<none>',
      serviceExternalIP(o, false),
      servicePorts(o),
      age(o),
      formatLabels(objectAt(o, 'spec', 'selector')),
    ],
  },
  pods: {
    columns: [
      NAME,
      col('Ready'),
      col('Status'),
      col('Restarts'),
      AGE,
      col('IP', 'string', 1),
      col('Node', 'string', 1),
      col('Nominated Node', 'string', 1),
      col('Readiness Gates', 'string', 1),
    ],
    cells: podCells,
  },
  endpoints: {
    columns: [NAME, col('Endpoints'), AGE],
    cells: (o) => [nameOf(o), formatEndpoints(o), age(o)],
  },
  endpointslices: {
    columns: [NAME, col('AddressType'), col('Ports'), col('Endpoints'), AGE],
    cells: (o) => [nameOf(o), stringAt(o, 'addressType') ?? '', ...sliceCells(o), age(o)],
  },
  deployments: {
    columns: [
      NAME,
      col('Ready'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      AGE,
      ...WORKLOAD_WIDE_COLUMNS,
    ],
    cells: (o) => [
      nameOf(o),
      readyOfReplicas(o),
      num(o, 'status', 'updatedReplicas'),
      num(o, 'status', 'availableReplicas'),
      age(o),
      ...workloadWideCells(o),
    ],
  },
  replicasets: {
    // pkg/printers/internalversion printReplicaSet.
    columns: [
      NAME,
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      AGE,
      ...WORKLOAD_WIDE_COLUMNS,
    ],
    cells: (o) => [
      nameOf(o),
      num(o, 'spec', 'replicas'),
      num(o, 'status', 'replicas'),
      num(o, 'status', 'readyReplicas'),
      age(o),
      ...workloadWideCells(o),
    ],
  },
  statefulsets: {
    columns: [NAME, col('Ready'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1)],
    cells: (o) => [nameOf(o), readyOfReplicas(o), age(o), ...containersAndImages(o)],
  },
  daemonsets: {
    columns: [
      NAME,
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      col('Node Selector'),
      AGE,
      ...WORKLOAD_WIDE_COLUMNS,
    ],
    cells: (o) => [
      nameOf(o),
      num(o, 'status', 'desiredNumberScheduled'),
      num(o, 'status', 'currentNumberScheduled'),
      num(o, 'status', 'numberReady'),
      num(o, 'status', 'updatedNumberScheduled'),
      num(o, 'status', 'numberAvailable'),
      formatLabels(objectAt(o, 'spec', 'template', 'spec', 'nodeSelector')),
      age(o),
      ...workloadWideCells(o),
    ],
  },
  ingresses: {
    columns: [NAME, col('Class'), col('Hosts'), col('Address'), col('Ports'), AGE],
    cells: (o) => [
      nameOf(o),
      stringAt(o, 'spec', 'ingressClassName') ?? '<none>',
      ingressHosts(o),
      lbStatus(o, false),
      arrayAt(o, 'spec', 'tls').length > 0 ? '80, 443' : '80',
      age(o),
    ],
  },
  ingressclasses: {
    columns: [NAME, col('Controller'), col('Parameters'), AGE],
    cells: (o) => [nameOf(o), stringAt(o, 'spec', 'controller') ?? '', '<none>', age(o)],
  },
  networkpolicies: {
    columns: [NAME, col('Pod-Selector'), AGE],
    cells: (o) => [
      nameOf(o),
      formatSelector(objectAt(o, 'spec', 'podSelector')).replace('<none>', ''),
      age(o),
    ],
  },
  namespaces: {
    columns: [NAME, col('Status'), AGE],
    cells: (o) => [nameOf(o), stringAt(o, 'status', 'phase') ?? 'Active', age(o)],
  },
  configmaps: {
    columns: [NAME, col('Data', 'integer'), AGE],
    cells: (o) => [
      nameOf(o),
      Object.keys(objectAt(o, 'data') ?? {}).length + Object.keys(objectAt(o, 'binaryData') ?? {}).length,
      age(o),
    ],
  },
  secrets: {
    columns: [NAME, col('Type'), col('Data', 'integer'), AGE],
    cells: (o) => [
      nameOf(o),
      stringAt(o, 'type') ?? 'Opaque',
      Object.keys(objectAt(o, 'data') ?? {}).length,
      age(o),
    ],
  },
  events: {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Message')],
    cells: (o) => [
      age(o),
      stringAt(o, 'type') ?? '',
      stringAt(o, 'reason') ?? '',
      `${(stringAt(o, 'involvedObject', 'kind') ?? '').toLowerCase()}/${stringAt(o, 'involvedObject', 'name') ?? ''}`,
      stringAt(o, 'message') ?? '',
    ],
  },
};

/** Metadata of a row's object (includeObject=Metadata, the default): a PartialObjectMetadata. */
function partial(o: JsonObject): JsonObject {
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: objectAt(o, 'metadata') ?? {},
  };
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function toTable(
  t: ResourceType,
  objects: readonly JsonObject[],
  listMeta: JsonObject,
  include: IncludeObject = 'Metadata',
  withColumns = true,
): JsonObject {
  const p: Printer = PRINTERS[t.plural] ?? { columns: [NAME, AGE], cells: (o) => [nameOf(o), age(o)] };
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    ...(withColumns
      ? {
          columnDefinitions: p.columns.map((c) => ({
            name: c.name,
            type: c.type,
            format: c.format ?? '',
            description: c.description ?? '',
            priority: c.priority ?? 0,
          })),
        }
      : {}),
    rows: objects.map((o) => ({
      cells: p.cells(o),
      ...(include === 'None' ? {} : { object: include === 'Object' ? o : partial(o) }),
    })),
  };
}
