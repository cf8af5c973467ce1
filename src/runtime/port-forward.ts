/**
 * `portchain port-forward` against a running `portchain up`, as `kubectl port-forward` does: `svc/NAME` picks
 * ONE ready pod of the Service and resolves each REMOTE as a Service port (number or name) to that pod's
 * targetPort; `pod/NAME` takes REMOTE as the container port itself. The running `up` is found through its
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
  readonly endpoints: readonly StateEndpoint[];
}
export interface StateService {
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  readonly ports: readonly StateServicePort[];
}
export interface StatePod {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
  readonly containers: readonly {
    readonly binds: readonly { readonly port: number; readonly listenPort: number }[];
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

function podTarget(state: UpStateView, pod: StatePod, m: PortMapping): ForwardTarget {
  if (!portNumber(m.remote))
    throw new PortForwardError(
      `pod/${pod.name}: the state file does not carry container port names; give the port number instead of '${m.remote}'`,
    );
  const port = Number(m.remote);
  const bind = pod.containers.flatMap((c) => c.binds).find((b) => b.port === port);
  return { local: m.local, remotePort: port, host: pod.ip, dialPort: bind?.listenPort ?? shift(state, port) };
}

/**
 * Resolves the object and the mappings against the plan, as kubectl's port-forward: a Service is only a way
 * to pick one pod (the first ready endpoint) and to translate Service ports to that pod's targetPorts.
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
    if (!sp) throw new PortForwardError(`Service ${svc.name} does not have a service port ${m.remote}`);
    if (sp.protocol !== 'TCP')
      throw new PortForwardError(
        `Service ${svc.name} port ${sp.port} is ${sp.protocol}: port-forward carries TCP only (as kubectl)`,
      );
    return sp;
  });
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
  /** Where to listen (127.0.0.0/8 only); default ['127.0.0.1']. */
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
