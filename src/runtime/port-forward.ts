/**
 * `portchain port-forward` against a running `portchain up`, as `kubectl port-forward` does: `svc/NAME` picks
 * ONE pod of the Service's selector (a ready one first; it must be Running) and resolves each REMOTE as a Service
 * port (number or name) to that pod's targetPort (kubectl's LookupContainerPortNumberByServicePort); `pod/NAME`
 * takes REMOTE as the container port itself, or as a container port name looked up in the
 * pod's spec (kubectl's LookupContainerPortNumberByName). Nothing goes through the Service's load balancing:
 * the connection goes straight to the pod, as kubectl's does. The running `up` is found through its
 * `--state` file (the plan: pods with their loopback IPs, Services with their endpoints). Only TCP is
 * forwarded (kubectl has no UDP); a connection that cannot reach the pod is closed and reported, the forward
 * keeps running.
 */
import net from 'node:net';

/** An error before anything is forwarded: the command exits 2 with this message. */
export class PortForwardError extends Error {}

/** What port-forward reads of the `up --state` file (see upState in src/cli/up.ts). */
export interface StateEndpoint {
  readonly pod: string | null;
  readonly ip: string;
  readonly port: number;
  readonly dialPort: number;
  readonly ready: boolean;
}
export interface StateServicePort {
  readonly name: string;
  readonly protocol: string;
  readonly port: number;
  /** As written (absent in a state file of an older `up`: the endpoints then tell the pod port). */
  readonly targetPort?: number | string;
  readonly endpoints: readonly StateEndpoint[];
}
export interface StateService {
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  readonly clusterIP?: string | null;
  /** The pods the selector picks (absent in a state file of an older `up`). */
  readonly selectedPods?: readonly string[];
  readonly ports: readonly StateServicePort[];
}
export interface StatePod {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
  /** status.phase (absent: Running). */
  readonly phase?: string;
  readonly containers: readonly {
    readonly binds: readonly { readonly port: number; readonly listenPort: number }[];
    /** The declared container ports (absent in a state file of an older `up`). */
    readonly ports?: readonly { readonly name: string | null; readonly containerPort: number }[];
  }[];
}
export interface UpStateView {
  readonly lowPortOffset: number;
  readonly services: readonly StateService[];
  readonly pods: readonly StatePod[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Parses the JSON of a state file; throws PortForwardError when it is not one `up` wrote. */
export function parseUpState(text: string, file: string): UpStateView {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PortForwardError(`${file}: not JSON (${(e as Error).message})`);
  }
  if (!isObj(raw) || !Array.isArray(raw.services) || !Array.isArray(raw.pods))
    throw new PortForwardError(`${file}: not a state file written by \`portchain up --state\``);
  return {
    lowPortOffset: typeof raw.lowPortOffset === 'number' ? raw.lowPortOffset : 0,
    services: raw.services as StateService[],
    pods: raw.pods as StatePod[],
  };
}

/** One `LOCAL:REMOTE` argument: local 0 = a random port; remote a number or a port name. */
export interface PortMapping {
  readonly local: number;
  readonly remote: string;
}

const portNumber = (s: string) => /^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= 65535;

/** kubectl's forms: `8080:80`, `80` (same local port), `:80` and `0:80` (random local port). */
export function parsePortMapping(arg: string): PortMapping {
  const parts = arg.split(':');
  if (parts.length > 2) throw new PortForwardError(`invalid port format '${arg}': expected [LOCAL:]REMOTE`);
  const [a, b] = parts as [string, string | undefined];
  const remote = b ?? a;
  const named = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(remote) && /[a-z]/.test(remote);
  if (!portNumber(remote) && !named)
    throw new PortForwardError(
      `invalid port format '${arg}': remote port ${remote} is not a port number or name`,
    );
  if (b === undefined) {
    if (!portNumber(a))
      throw new PortForwardError(
        `invalid port format '${arg}': a named remote port needs a local port (LOCAL:${a})`,
      );
    return { local: Number(a), remote };
  }
  if (a === '' || a === '0') return { local: 0, remote };
  if (!portNumber(a))
    throw new PortForwardError(`invalid port format '${arg}': local port ${a} is not a port number`);
  return { local: Number(a), remote };
}

/** `svc/NAME`, `service/NAME`, `pod/NAME` or a bare pod name (kubectl's default kind), optionally `.NS`. */
export interface ForwardObject {
  readonly kind: 'service' | 'pod';
  readonly name: string;
}

export function parseForwardObject(arg: string): ForwardObject {
  const slash = arg.indexOf('/');
  if (slash < 0) return { kind: 'pod', name: arg };
  const kind = arg.slice(0, slash).toLowerCase();
  const name = arg.slice(slash + 1);
  if (name === '') throw new PortForwardError(`${arg}: no name after the /`);
  if (['svc', 'service', 'services'].includes(kind)) return { kind: 'service', name };
  if (['po', 'pod', 'pods'].includes(kind)) return { kind: 'pod', name };
  throw new PortForwardError(`${arg}: port-forward takes svc/NAME or pod/NAME (not ${kind})`);
}

/** Where one mapping dials. */
export interface ForwardTarget {
  readonly local: number;
  /** What kubectl prints after `->`: the pod port. */
  readonly remotePort: number;
  readonly host: string;
  /** The port really dialled (remotePort, or remotePort + lowPortOffset below 1024). */
  readonly dialPort: number;
}

export interface ResolvedForward {
  readonly namespace: string;
  readonly pod: string;
  readonly targets: readonly ForwardTarget[];
}

/** `NAME` in `namespace`, or, when absent and NAME has a dot, `NAME.NS` split at the last dot. */
function lookup<T extends { namespace: string; name: string }>(
  items: readonly T[],
  name: string,
  namespace: string,
  nsGiven: boolean,
): T | undefined {
  const exact = items.find((x) => x.namespace === namespace && x.name === name);
  if (exact) return exact;
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const ns = name.slice(dot + 1);
  if (nsGiven && ns !== namespace) return undefined;
  return items.find((x) => x.namespace === ns && x.name === name.slice(0, dot));
}

const shift = (state: UpStateView, port: number) => (port < 1024 ? port + state.lowPortOffset : port);

/** kubectl's LookupContainerPortNumberByName: the first container port of that name, containers in order. */
function containerPortByName(pod: StatePod, name: string): number {
  if (pod.containers.every((c) => c.ports === undefined))
    throw new PortForwardError(
      `pod/${pod.name}: the state file does not carry container port names; give the port number instead of '${name}'`,
    );
  for (const c of pod.containers) for (const p of c.ports ?? []) if (p.name === name) return p.containerPort;
  throw new PortForwardError(`Pod '${pod.name}' does not have a named port '${name}'`);
}

function podTarget(state: UpStateView, pod: StatePod, m: PortMapping): ForwardTarget {
  const port = portNumber(m.remote) ? Number(m.remote) : containerPortByName(pod, m.remote);
  const bind = pod.containers.flatMap((c) => c.binds).find((b) => b.port === port);
  return { local: m.local, remotePort: port, host: pod.ip, dialPort: bind?.listenPort ?? shift(state, port) };
}

/** kubectl port-forward: `if pod.Status.Phase != corev1.PodRunning` it refuses, naming the phase. */
function mustRun(pod: StatePod): void {
  const phase = pod.phase ?? 'Running';
  if (phase !== 'Running')
    throw new PortForwardError(`unable to forward port because pod is not running. Current status=${phase}`);
}

/**
 * kubectl's LookupContainerPortNumberByServicePort: a headless Service forwards the port itself; a numeric
 * targetPort is the pod port (0 or omitted: the port); a named one is looked up in the pod's container ports.
 */
function podPortForServicePort(svc: StateService, sp: StateServicePort, pod: StatePod): number {
  if (svc.clusterIP === null && svc.type !== 'ExternalName') return sp.port;
  const t = sp.targetPort ?? sp.port;
  if (typeof t === 'number') return t === 0 ? sp.port : t;
  return containerPortByName(pod, t);
}

/**
 * Resolves the object and the mappings against the plan, as kubectl's port-forward: a Service is only a way
 * to pick one pod of its selector (a ready one first, as kubectl's GetFirstPod sorts them) and to translate
 * Service ports to that pod's ports, from the pod spec; neither the endpoints nor the proxy are involved.
 */
export function resolveForward(
  state: UpStateView,
  object: ForwardObject,
  mappings: readonly PortMapping[],
  namespace = 'default',
  nsGiven = false,
): ResolvedForward {
  if (mappings.length === 0) throw new PortForwardError('at least one port is required: LOCAL:REMOTE');
  if (object.kind === 'pod') {
    const pod = lookup(state.pods, object.name, namespace, nsGiven);
    if (!pod) throw new PortForwardError(`pods "${object.name}" not found in namespace "${namespace}"`);
    mustRun(pod);
    return {
      namespace: pod.namespace,
      pod: pod.name,
      targets: mappings.map((m) => podTarget(state, pod, m)),
    };
  }
  const svc = lookup(state.services, object.name, namespace, nsGiven);
  if (!svc) throw new PortForwardError(`services "${object.name}" not found in namespace "${namespace}"`);
  const where = `service ${svc.namespace}/${svc.name}`;
  if (svc.type === 'ExternalName')
    throw new PortForwardError(`${where} is an ExternalName Service: it has no pods to forward to`);
  const servicePorts = mappings.map((m) => {
    const sp = portNumber(m.remote)
      ? svc.ports.find((p) => p.port === Number(m.remote))
      : svc.ports.find((p) => p.name === m.remote);
    // kubectl's LookupServicePortNumberByName and LookupContainerPortNumberByServicePort messages.
    if (!sp)
      throw new PortForwardError(
        portNumber(m.remote)
          ? `Service ${svc.name} does not have a service port ${m.remote}`
          : `Service '${svc.name}' does not have a named port '${m.remote}'`,
      );
    if (sp.protocol !== 'TCP')
      throw new PortForwardError(
        `Service ${svc.name} port ${sp.port} is ${sp.protocol}: port-forward carries TCP only (as kubectl)`,
      );
    return sp;
  });
  if (svc.selectedPods === undefined || servicePorts.some((sp) => sp.targetPort === undefined))
    return viaEndpoints(svc, where, mappings, servicePorts);
  const ready = new Set(
    svc.ports.flatMap((p) =>
      p.endpoints.filter((e) => e.ready && e.pod !== null).map((e) => e.pod as string),
    ),
  );
  const pods = svc.selectedPods
    .map((n) => state.pods.find((p) => p.namespace === svc.namespace && p.name === n))
    .filter((p): p is StatePod => p !== undefined);
  if (pods.length === 0)
    throw new PortForwardError(
      svc.ports.some((p) => p.endpoints.length > 0)
        ? `${where}: its endpoints name no pod (a Service without a selector)`
        : `unable to forward port because no pods back ${where} (its selector matches no pod)`,
    );
  const pod = pods.find((p) => ready.has(p.name)) ?? (pods[0] as StatePod);
  mustRun(pod);
  const targets = mappings.map((m, i) =>
    podTarget(state, pod, {
      local: m.local,
      remote: String(podPortForServicePort(svc, servicePorts[i] as StateServicePort, pod)),
    }),
  );
  return { namespace: svc.namespace, pod: pod.name, targets };
}

/** A state file of an older `up` (no selected pods, no targetPorts): the first ready endpoint's pod and ports. */
function viaEndpoints(
  svc: StateService,
  where: string,
  mappings: readonly PortMapping[],
  servicePorts: readonly StateServicePort[],
): ResolvedForward {
  const endpoints = svc.ports.flatMap((p) => p.endpoints);
  if (endpoints.length === 0)
    throw new PortForwardError(`unable to forward port because no pods back ${where} (no endpoints)`);
  // kubectl attaches to one pod of the selector, the most "active" one: ready before not ready.
  const chosen = endpoints.find((e) => e.ready && e.pod !== null);
  if (!chosen) {
    if (endpoints.every((e) => e.pod === null))
      throw new PortForwardError(`${where}: its endpoints name no pod (a Service without a selector)`);
    throw new PortForwardError(
      `unable to forward port because pod is not running: no ready pods back ${where}`,
    );
  }
  const podName = chosen.pod as string;
  const targets = mappings.map((m, i) => {
    const sp = servicePorts[i] as StateServicePort;
    const e = sp.endpoints.find((x) => x.pod === podName && x.ip === chosen.ip);
    if (!e)
      throw new PortForwardError(
        `Pod '${podName}' has no port for service port ${sp.name || sp.port} (its targetPort does not resolve on this pod)`,
      );
    return { local: m.local, remotePort: e.port, host: e.ip, dialPort: e.dialPort };
  });
  return { namespace: svc.namespace, pod: podName, targets };
}

/**
 * `--address`: comma-separated IPs or `localhost`, as kubectl's. The default is loopback only; any other address
 * (0.0.0.0, a LAN address) is used only because the user wrote it, as kubectl does.
 */
export function parseForwardAddresses(raw: string): string[] {
  const out: string[] = [];
  for (const part of raw.split(',')) {
    const a = part.trim();
    const ip = a === 'localhost' ? '127.0.0.1' : a;
    if (net.isIP(ip) === 0) throw new PortForwardError(`--address ${a}: not an IP address or localhost`);
    if (!out.includes(ip)) out.push(ip);
  }
  return out;
}

export interface ForwardListener {
  readonly address: string;
  readonly local: number;
  readonly remotePort: number;
}

export interface PortForward {
  readonly listeners: readonly ForwardListener[];
  close(): Promise<void>;
}

export interface PortForwardOptions {
  /** Where to listen; default ['127.0.0.1'] (see parseForwardAddresses). */
  readonly addresses?: readonly string[];
  /** kubectl prints `Handling connection for PORT` for each connection. */
  readonly onConnection?: (local: number) => void;
  /** A connection that could not be carried: reported, the forward keeps running. */
  readonly onError?: (message: string) => void;
}

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((done, fail) => {
    const onError = (e: Error) => fail(e);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      done((server.address() as net.AddressInfo).port);
    });
  });
}

/** Opens one listener per mapping and address; each connection dials the pod port and pipes both ways. */
export async function startPortForward(
  resolved: ResolvedForward,
  options: PortForwardOptions = {},
): Promise<PortForward> {
  const addresses = options.addresses ?? ['127.0.0.1'];
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const listeners: ForwardListener[] = [];
  const closeAll = async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((done) => s.close(() => done()))));
  };
  try {
    for (const t of resolved.targets) {
      // `:REMOTE` picks one random port, used on every address (as kubectl).
      let local = t.local;
      for (const address of addresses) {
        const server = net.createServer((client) => {
          sockets.add(client);
          options.onConnection?.(local);
          const upstream = net.connect({ host: t.host, port: t.dialPort });
          sockets.add(upstream);
          client.on('close', () => {
            sockets.delete(client);
            upstream.destroy();
          });
          upstream.on('close', () => {
            sockets.delete(upstream);
            client.destroy();
          });
          client.on('error', () => upstream.destroy());
          upstream.on('error', (e: NodeJS.ErrnoException) => {
            options.onError?.(
              `an error occurred forwarding ${local} -> ${t.remotePort}: error forwarding port ${t.remotePort} to pod ${resolved.namespace}/${resolved.pod} (${t.host}:${t.dialPort}): ${e.code ?? e.message}`,
            );
            client.destroy();
          });
          client.pipe(upstream);
          upstream.pipe(client);
        });
        servers.push(server);
        try {
          local = await listen(server, address, local);
        } catch (e) {
          throw new PortForwardError(
            `unable to listen on ${address}:${local}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
          );
        }
        listeners.push({ address, local, remotePort: t.remotePort });
      }
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  return { listeners, close: closeAll };
}
