/**
 * `portchain up --isolation netns`: each pod that runs a local command gets its own network namespace, so
 * unmodified programs that bind 0.0.0.0 (or a fixed port) work for every replica, as in a cluster where every
 * pod has its own network stack.
 *
 * Wiring, per pod (root and iproute2 needed):
 *   - `ip netns add NAME`; a veth pair, HOSTIF on the host and `eth0` inside;
 *   - inside: lo up, the pod IP (the planned 127.x.y.z) as a /32 on eth0, the local 127.0.0.0/8 route narrowed
 *     to 127.0.0.1 (so other 127.x addresses, the Services, leave through eth0), a route to the host side and a
 *     default route through it, route_localnet=1 (loopback-range addresses may cross eth0);
 *   - host: HOSTIF gets 10.251.Y.Z/32 (Y.Z = the pod IP's last two bytes), route_localnet=1, and a /32 route
 *     to the pod IP through HOSTIF in table `local`: more specific than `local 127.0.0.0/8 dev lo`, so
 *     kube-proxy and the ingress controller dial the pod IP exactly as without isolation.
 * Everything is removed on close (deleting the namespace deletes the veth pair and the routes).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';

export class NetnsUnavailable extends Error {}

export interface PodNetns {
  /** The namespace name (`ip netns list`). */
  readonly name: string;
  readonly podIP: string;
  /** The host side's address (the source kube-proxy's connections come from). */
  readonly hostIP: string;
  /** `ip netns exec NAME argv...`: the argv that runs `argv` inside the namespace. */
  wrap(argv: readonly string[]): string[];
  close(): Promise<void>;
}

export interface NetnsIsolation {
  /** Creates the namespace of a pod (replacing a stale one of the same name, left by a killed run). */
  add(podIP: string): Promise<PodNetns>;
  close(): Promise<void>;
}

export interface NetnsOptions {
  /** Prefix of namespace and interface names (at most 9 characters; default `pc-`). */
  readonly prefix?: string;
  /** The `ip` binary (default `ip`, from PATH). */
  readonly ip?: string;
}

function run(file: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, [...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Why netns isolation cannot run here, or null when it can (root and a working `ip netns`). */
export async function netnsProblem(ip = 'ip'): Promise<string | null> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return '--isolation netns needs root (network namespaces, veth pairs and routes are created); run as root or without --isolation';
  try {
    await run(ip, ['netns', 'list']);
  } catch (e) {
    return `--isolation netns needs iproute2's \`ip netns\`: ${(e as Error).message}`;
  }
  return null;
}

function lastTwoBytes(ip: string): [number, number] {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`not an IPv4 address: ${ip}`);
  return [parts[2] as number, parts[3] as number];
}

/** Starts the isolation; throws NetnsUnavailable (a sentence for the user) without root or `ip netns`. */
export async function startNetnsIsolation(options: NetnsOptions = {}): Promise<NetnsIsolation> {
  const ip = options.ip ?? 'ip';
  const prefix = options.prefix ?? 'pc-';
  if (prefix.length > 9 || !/^[a-zA-Z0-9_-]*$/.test(prefix))
    throw new Error(`netns prefix ${prefix}: at most 9 letters, digits, - or _`);
  const problem = await netnsProblem(ip);
  if (problem) throw new NetnsUnavailable(problem);
  const live = new Map<string, PodNetns>();

  const add = async (podIP: string): Promise<PodNetns> => {
    const [y, z] = lastTwoBytes(podIP);
    const tag = ((y << 8) | z).toString(16).padStart(4, '0');
    const name = `${prefix}${tag}`;
    const hostIf = `${prefix}${tag}h`;
    const hostIP = `10.251.${y}.${z}`;
    await run(ip, ['netns', 'del', name]).catch(() => undefined);
    await run(ip, ['link', 'del', hostIf]).catch(() => undefined);
    const close = async () => {
      live.delete(name);
      await run(ip, ['netns', 'del', name]).catch(() => undefined);
      await run(ip, ['link', 'del', hostIf]).catch(() => undefined);
    };
    try {
      // Four processes in all (`ip -batch`): namespace setup is on the path of every pod start.
      await run(
        ip,
        ['-batch', '-'],
        `netns add ${name}\nlink add ${hostIf} type veth peer name eth0 netns ${name}\n`,
      );
      await run(
        ip,
        ['-n', name, '-batch', '-'],
        [
          'link set lo up',
          'link set eth0 up',
          `addr add ${podIP}/32 dev eth0`,
          `route add ${hostIP}/32 dev eth0`,
          `route add default via ${hostIP} dev eth0 onlink src ${podIP}`,
          'route replace local 127.0.0.1/32 dev lo table local',
          'route del local 127.0.0.0/8 dev lo table local',
          '',
        ].join('\n'),
      );
      await run(
        ip,
        [
          'netns',
          'exec',
          name,
          'tee',
          '/proc/sys/net/ipv4/conf/all/route_localnet',
          '/proc/sys/net/ipv4/conf/eth0/route_localnet',
        ],
        '1\n',
      );
      await writeFile(`/proc/sys/net/ipv4/conf/${hostIf}/route_localnet`, '1\n');
      await run(
        ip,
        ['-batch', '-'],
        [
          `addr add ${hostIP}/32 dev ${hostIf}`,
          `link set ${hostIf} up`,
          `route replace ${podIP}/32 dev ${hostIf} src ${hostIP} table local`,
          '',
        ].join('\n'),
      );
    } catch (e) {
      await close();
      throw e;
    }
    const pod: PodNetns = {
      name,
      podIP,
      hostIP,
      wrap: (argv) => [ip, 'netns', 'exec', name, ...argv],
      close,
    };
    live.set(name, pod);
    return pod;
  };
  return {
    add,
    close: async () => {
      await Promise.all([...live.values()].map((p) => p.close()));
    },
  };
}
