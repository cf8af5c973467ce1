/**
 * `portchain up [paths...]`: runs the manifests as a local data plane on loopback (simulated pods, kube-proxy,
 * ingress controller, optionally cluster DNS), prints the Services and where they answer, and runs until
 * SIGINT or SIGTERM. Exit codes: 0 after a clean stop; 2 a usage or config error, nothing readable, or a
 * listener that cannot start.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import {
  ApiAddressError,
  defaultKubeconfigPath,
  exportLine,
  parseApiAddress,
  userKubeconfigPath,
} from '../apiserver/address.js';
import type { ApiServer } from '../apiserver/server.js';
import { type Settings, SettingsError } from '../config/options.js';
import type { ClusterPlan, PlanAddressBase } from '../runtime/plan.js';
import { isProxyMode, PROXY_MODES } from '../runtime/proxy-mode.js';
import type { ServicePortTraffic } from '../runtime/stats.js';
import type { Up } from '../runtime/up.js';
import type { WatchOptions } from '../runtime/watch.js';
import { isPodReady } from '../semantics/endpoints.js';
import type { UiServer } from '../ui/server.js';
import { addInputOptions, type InputFlags, readInputs, settingsFor } from './inputs.js';
import { onSignal, parsePortFlag, type StopSignal } from './long-running.js';
import type { Io } from './main.js';

const EXIT_OK = 0;
const EXIT_USAGE = 2;
const DEFAULT_INGRESS_PORT = 80;
const FALLBACK_INGRESS_PORT = 8080;

interface UpFlags extends InputFlags {
  ingressPort?: string;
  ingressClass?: string;
  dns?: string;
  state?: string;
  lowPortOffset?: string;
  watch?: boolean;
  isolation?: string;
  api?: string | boolean;
  kubeconfig?: string;
  mergeKubeconfig?: boolean;
  ui?: boolean;
  proxyMode?: string;
  addressBase?: string;
}

function parseHostPort(raw: string): { host: string; port: number } {
  const m = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}):(\d+)$/.exec(raw);
  if (!m)
    throw new SettingsError(`--dns ${raw}: expected HOST:PORT with a 127.0.0.0/8 host, e.g. 127.0.0.53:5353`);
  return { host: m[1] as string, port: parsePortFlag(m[2] as string, '--dns') };
}

/**
 * `--address-base PODS,SERVICES,LOADBALANCERS,NODE` (hidden from --help): the /16 bases of pod IPs,
 * clusterIPs and LoadBalancer addresses and the node's address, all in 127.0.0.0/8, so two `up`s (tests
 * running in parallel) never share an address. Maps to UpOptions.addressBase (plan.ts PlanAddressBase).
 */
function parseAddressBase(raw: string): PlanAddressBase {
  const parts = raw.split(',');
  const loopback = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
  const ok = (a: string) => {
    const m = loopback.exec(a);
    return m?.slice(1).every((x) => Number(x) <= 255) === true;
  };
  if (parts.length !== 4 || !parts.every(ok))
    throw new SettingsError(
      `--address-base ${raw}: expected PODS,SERVICES,LOADBALANCERS,NODE, four 127.0.0.0/8 addresses, e.g. 127.121.0.0,127.122.0.0,127.123.0.0,127.120.0.1`,
    );
  const [pods, services, loadBalancers, node] = parts as [string, string, string, string];
  return { pods, services, loadBalancers, node };
}

/** What the table shows besides the plan, when `up` runs. */
export interface ServiceTableLive {
  /** kube-proxy's counters (kubeProxy.stats(), the stats.ts contract): adds a CONNECTIONS column. */
  readonly traffic?: readonly ServicePortTraffic[];
  /** Where the ingress controller listens: a line under the table. */
  readonly ingress?: { readonly host: string; readonly port: number } | null;
}

/** `2 active, 17 total, 1 failed` for one Service port (no counters yet: nothing carried). */
function connectionsCell(
  traffic: readonly ServicePortTraffic[],
  namespace: string,
  name: string,
  port: number,
  protocol: string,
): string {
  const t = traffic.find(
    (x) => x.namespace === namespace && x.name === name && x.port === port && x.protocol === protocol,
  );
  const cell = `${t?.active ?? 0} active, ${t?.total ?? 0} total`;
  return t && t.failed > 0 ? `${cell}, ${t.failed} failed` : cell;
}

/**
 * One row per Service port: where it answers, how many endpoints are ready and, given live traffic, how many
 * connections it carries; then the ingress controller's address.
 */
export function formatServiceTable(plan: ClusterPlan, live: ServiceTableLive = {}): string {
  const traffic = live.traffic;
  const head = ['SERVICE', 'TYPE', 'CLUSTER-IP', 'LB', 'PORT', 'NODE-PORT', 'ENDPOINTS'];
  const rows: string[][] = [traffic ? [...head, 'CONNECTIONS'] : head];
  for (const s of plan.services) {
    const name = `${s.namespace}/${s.name}`;
    if (s.ports.length === 0)
      rows.push([
        name,
        s.type,
        s.clusterIP ?? (s.externalName ? `-> ${s.externalName}` : 'None'),
        '-',
        '-',
        '-',
        '-',
        ...(traffic ? ['-'] : []),
      ]);
    for (const p of s.ports) {
      const ready = p.endpoints.filter((e) => e.ready).length;
      const listen = p.listenPort !== p.port ? ` (on ${p.listenPort})` : '';
      rows.push([
        name,
        s.type,
        s.clusterIP ?? 'None',
        s.loadBalancerIP ?? '-',
        `${p.port}/${p.protocol}${p.name ? ` ${p.name}` : ''}${listen}`,
        p.nodePort === null ? '-' : `${plan.node}:${p.nodePort}`,
        `${ready} ready, ${p.endpoints.length - ready} not ready`,
        ...(traffic ? [connectionsCell(traffic, s.namespace, s.name, p.port, p.protocol)] : []),
      ]);
    }
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const table = rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
  const ingress = live.ingress ? `\nINGRESS  http://${live.ingress.host}:${live.ingress.port}` : '';
  return `${table}${ingress}\n`;
}

/** The table of a running `up`: its plan, kube-proxy's live counters, the ingress controller's address. */
export function liveServiceTable(u: Up): string {
  return formatServiceTable(u.plan, { traffic: u.kubeProxy.stats(), ingress: u.ingress });
}

/** The `--state` file: the plan and every address that listens. */
export function upState(u: Up): Record<string, unknown> {
  return {
    node: u.plan.node,
    lowPortOffset: u.plan.lowPortOffset,
    ingress: u.ingress,
    dns: u.dns,
    services: u.plan.services,
    // Ready: the pod's Ready condition in the semantic core (the probes' verdict, as the endpoints read it).
    pods: u.plan.pods.map((p) => {
      const pod = u.graph.pods.find((g) => g.namespace === p.namespace && g.name === p.name)?.pod;
      return { ...p, ready: pod ? isPodReady(pod) : true };
    }),
    listeners: u.kubeProxy.listening(),
    processes: u.pods.listening,
    notes: u.notes,
  };
}

/** `--watch` with `--api`: file edits go through the API's store (see ApiServer.applyFiles). */
function applyThroughApi(api: ApiServer): NonNullable<WatchOptions['apply']> {
  return async (sources) => {
    const r = await api.applyFiles(sources);
    return {
      changes: r.reconciled?.changes ?? [],
      pods: r.reconciled?.pods ?? { started: [], restarted: [], stopped: [] },
      notes: [...r.deleted.map((d) => `${d}: no longer in the files; deleted`), ...r.refused],
    };
  };
}

export function upCommand(io: Io, setExit: (code: number) => void, stop: StopSignal = onSignal): Command {
  const cwd = io.cwd ?? process.cwd();
  const fail = (message: string) => {
    io.stderr(`portchain up: ${message}\n`);
    setExit(EXIT_USAGE);
  };
  const cmd = new Command('up')
    .description(
      'run the manifests on loopback: simulated pods, kube-proxy (clusterIP, nodePort, load balancer) and an ingress controller carry real TCP, UDP and HTTP',
    )
    .argument('[paths...]', 'files, folders (searched for .yaml, .yml, .json) or - for stdin', [])
    .addOption(
      new Option(
        '--ingress-port <port>',
        `where the ingress controller listens on 127.0.0.1 (default ${DEFAULT_INGRESS_PORT}, ${FALLBACK_INGRESS_PORT} when ${DEFAULT_INGRESS_PORT} is not permitted)`,
      ),
    )
    .addOption(
      new Option('--ingress-class <name>', 'serve the Ingresses of this class only (default: every Ingress)'),
    )
    .addOption(new Option('--dns <host:port>', 'serve cluster DNS (UDP and TCP) there, e.g. 127.0.0.53:5353'))
    .addOption(new Option('--state <file>', 'write the plan and every listening address as JSON'))
    .addOption(
      new Option(
        '--watch',
        'watch the inputs; on a change, check and plan again and reconcile the running pods, Services and routes (with --api: applied through the API, as kubectl apply --server-side --prune)',
      ),
    )
    .addOption(
      new Option(
        '--low-port-offset <n>',
        'bind ports below 1024 (pods, Service ports) at port + n, for users who may not bind them',
      ),
    )
    .addOption(
      new Option(
        '--isolation <mode>',
        'netns: each pod running a local command (.portchain.yaml images:) gets its own network namespace (root and iproute2); none: pods share the host network on their own loopback IP',
      )
        .choices(['none', 'netns'])
        .default('none'),
    )
    .addOption(
      new Option(
        '--proxy-mode <mode>',
        'userspace: kube-proxy relays in this process (no privileges); iptables, nftables: DNAT rules in the kernel, as kube-proxy (root)',
      )
        .choices([...PROXY_MODES])
        .default('userspace'),
    )
    .addOption(
      new Option(
        '--api [host:port]',
        'serve a Kubernetes API for kubectl there (HTTPS, bearer token; default 127.0.0.1:6443)',
      ),
    )
    .addOption(
      new Option(
        '--kubeconfig <file>',
        'with --api: where to write the kubeconfig (default .portchain/kubeconfig)',
      ),
    )
    .addOption(
      new Option(
        '--merge-kubeconfig',
        'with --api: also add the portchain context to $KUBECONFIG or ~/.kube/config (removed on stop)',
      ),
    )
    .addOption(new Option('--ui', 'serve the portchain ui page with live traffic on 127.0.0.1 (a free port)'))
    // Hidden: for tests and for two `up`s on one machine (see parseAddressBase).
    .addOption(new Option('--address-base <pods,services,loadBalancers,node>').hideHelp());
  return addInputOptions(cmd, 'run')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError()
    .exitOverride()
    .action(async (paths: string[], o: UpFlags) => {
      // The data plane loads with the command, not with every portchain run; the API server and the page
      // only when asked for (--api, --ui).
      const [{ startUp }, { watchInputs }] = await Promise.all([
        import('../runtime/up.js'),
        import('../runtime/watch.js'),
      ]);
      let settings: Settings;
      let ingressPort: number | undefined;
      let dns: { host: string; port: number } | undefined;
      let lowPortOffset = 0;
      let api: { host: string; port: number } | undefined;
      let addressBase: PlanAddressBase | undefined;
      try {
        settings = settingsFor(o, cwd);
        if (o.ingressPort !== undefined) ingressPort = parsePortFlag(o.ingressPort, '--ingress-port');
        if (o.dns !== undefined) dns = parseHostPort(o.dns);
        if (o.lowPortOffset !== undefined)
          lowPortOffset = parsePortFlag(o.lowPortOffset, '--low-port-offset');
        if (o.api !== undefined) api = parseApiAddress(o.api);
        if (o.addressBase !== undefined) addressBase = parseAddressBase(o.addressBase);
      } catch (e) {
        if (e instanceof ApiAddressError) return fail(e.message);
        // A ConfigError goes on to main(), which prints each problem and exits 2 for every command.
        if (e instanceof SettingsError) return fail(e.message);
        throw e;
      }
      const read = await readInputs(paths, o, io, settings, { watching: true });
      for (const f of read.findings) io.stderr(`portchain: ${f.message}\n`);
      if (read.sources.length === 0) return fail('nothing could be read');
      let u: Up;
      let started: Up | undefined;
      let ui: UiServer | null = null;
      const writeState = () => {
        if (o.state && started)
          writeFileSync(resolve(cwd, o.state), `${JSON.stringify(upState(started), null, 2)}\n`);
      };
      // Every reconcile (probes, the API, --watch) is told the same way: the changes, the table, the page, --state.
      const reconciled = (changes: readonly string[]) => {
        if (!started) return;
        io.stdout(`portchain up: reconciled (${changes.length > 0 ? changes.join('; ') : 'no change'})\n`);
        io.stdout(liveServiceTable(started));
        void ui?.notify();
        writeState();
      };
      try {
        u = await startUp(read.sources, {
          ...settings.check,
          read,
          lowPortOffset,
          ...(addressBase ? { addressBase } : {}),
          ...(settings.imageCommands ? { imageCommands: settings.imageCommands } : {}),
          isolation: o.isolation === 'netns' ? 'netns' : 'none',
          proxyMode: o.proxyMode !== undefined && isProxyMode(o.proxyMode) ? o.proxyMode : 'userspace',
          // Probes flip readiness: the endpoints follow, as after a watch reconcile.
          onReadiness: (r) => reconciled(r.changes),
          ingress: {
            host: '127.0.0.1',
            port: ingressPort ?? DEFAULT_INGRESS_PORT,
            ingressClass: o.ingressClass ?? null,
            ...(ingressPort === undefined ? { fallbackPort: FALLBACK_INGRESS_PORT } : {}),
          },
          ...(dns ? { dns } : {}),
        });
      } catch (e) {
        return fail((e as Error).message);
      }
      started = u;
      io.stdout(liveServiceTable(u));
      // An unmapped image is said once, by its hint (which names it), not also by the note.
      const hinted = u.pods.imageHints.length > 0;
      for (const n of u.notes)
        if (!(hinted && / not simulated; nothing listens for its containers$/.test(n)))
          io.stdout(`note: ${n}\n`);
      for (const h of u.pods.imageHints) io.stdout(`${h}\n`);
      writeState();
      let apiServer: ApiServer | undefined;
      try {
        if (api) {
          const { startApiServer } = await import('../apiserver/server.js');
          apiServer = await startApiServer({
            up: u,
            sources: read.sources,
            host: api.host,
            port: api.port,
            kubeconfigPath: resolve(cwd, o.kubeconfig ?? defaultKubeconfigPath(cwd)),
            ...(o.mergeKubeconfig ? { mergeKubeconfig: userKubeconfigPath(io.env) } : {}),
            ...(settings.check.defaultNamespace ? { defaultNamespace: settings.check.defaultNamespace } : {}),
            ...(settings.check.nodePortRange ? { nodePortRange: settings.check.nodePortRange } : {}),
            onReconcile: reconciled,
            onError: (e) => io.stderr(`portchain up: api: ${e.message}\n`),
          });
          io.stdout(
            `portchain up: Kubernetes API at ${apiServer.url}\n${exportLine(apiServer.kubeconfigPath)}\n`,
          );
        }
        if (o.ui) {
          const { startUpUi } = await import('../ui/server.js');
          ui = await startUpUi(u, { onError: (e) => io.stderr(`portchain up: ui: ${e.message}\n`) });
          io.stdout(`portchain up: ui ${ui.url}\n`);
        }
      } catch (e) {
        await apiServer?.close();
        await u.close();
        return fail(`${api && !apiServer ? '--api' : '--ui'}: ${(e as Error).message}`);
      }
      const where = [
        u.ingress ? `ingress http://${u.ingress.host}:${u.ingress.port}` : null,
        u.dns ? `dns ${u.dns.host}:${u.dns.port}` : null,
        `${u.kubeProxy.listening().length} service listeners`,
        `${u.pods.listening.length} processes`,
      ].filter((x) => x !== null);
      io.stdout(`portchain up: ready (${where.join(', ')}); Ctrl-C to stop\n`);
      const watcher = o.watch
        ? watchInputs(
            paths.map((p) => (p === '-' ? p : resolve(cwd, p))),
            u,
            {
              initial: read.sources,
              check: settings.check,
              read: () => readInputs(paths, o, io, settings, { watching: true }),
              // With --api, an edited file is applied through the API (as `kubectl apply --server-side
              // --prune`), so kubectl's writes and the files' stay in one store; the API reports the reconcile.
              ...(apiServer ? { apply: applyThroughApi(apiServer) } : {}),
              onReconcile: (r) => {
                for (const k of r.kept) io.stderr(`portchain up: ${k}\n`);
                if (!apiServer) reconciled(r.changes);
              },
              onError: (e) => io.stderr(`portchain up: watch: ${e.message}\n`),
            },
          )
        : null;
      await stop();
      await watcher?.close();
      await ui?.close();
      await apiServer?.close();
      await u.close();
      io.stdout('portchain up: stopped, every listener closed\n');
      setExit(EXIT_OK);
    });
}
