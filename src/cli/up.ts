/**
 * `portchain up [paths...]`: runs the manifests as a local data plane on loopback (simulated pods, kube-proxy,
 * ingress controller, optionally cluster DNS), prints the Services and where they answer, and runs until
 * SIGINT or SIGTERM. Exit codes: 0 after a clean stop; 2 a usage or config error, nothing readable, or a
 * listener that cannot start.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, formatConfigProblem } from '../config/config.js';
import { type Settings, SettingsError } from '../config/options.js';
import type { ClusterPlan } from '../runtime/plan.js';
import { startUp, type Up } from '../runtime/up.js';
import { watchInputs } from '../runtime/watch.js';
import { addInputOptions, type InputFlags, readInputs, settingsFor } from './inputs.js';
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
}

/** Resolves when the data plane should stop; SIGINT/SIGTERM by default. */
export type StopSignal = () => Promise<void>;

const onSignal: StopSignal = () =>
  new Promise((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

function parsePort(raw: string, what: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw new SettingsError(`${what}: not a port number: ${raw}`);
  return n;
}

function parseHostPort(raw: string): { host: string; port: number } {
  const m = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}):(\d+)$/.exec(raw);
  if (!m)
    throw new SettingsError(`--dns ${raw}: expected HOST:PORT with a 127.0.0.0/8 host, e.g. 127.0.0.53:5353`);
  return { host: m[1] as string, port: parsePort(m[2] as string, '--dns') };
}

/** One row per Service port: where it answers and how many endpoints are ready. */
export function formatServiceTable(plan: ClusterPlan): string {
  const rows: string[][] = [['SERVICE', 'TYPE', 'CLUSTER-IP', 'LB', 'PORT', 'NODE-PORT', 'ENDPOINTS']];
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
      ]);
    }
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return `${rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/** The `--state` file: the plan and every address that listens. */
export function upState(u: Up): Record<string, unknown> {
  return {
    node: u.plan.node,
    lowPortOffset: u.plan.lowPortOffset,
    ingress: u.ingress,
    dns: u.dns,
    services: u.plan.services,
    pods: u.plan.pods,
    listeners: u.kubeProxy.listening(),
    processes: u.pods.listening,
    notes: u.notes,
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
        'watch the inputs; on a change, check and plan again and reconcile the running pods, Services and routes',
      ),
    )
    .addOption(
      new Option(
        '--low-port-offset <n>',
        'bind ports below 1024 (pods, Service ports) at port + n, for users who may not bind them',
      ),
    );
  return addInputOptions(cmd, 'run')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError()
    .exitOverride()
    .action(async (paths: string[], o: UpFlags) => {
      let settings: Settings;
      let ingressPort: number | undefined;
      let dns: { host: string; port: number } | undefined;
      let lowPortOffset = 0;
      try {
        settings = settingsFor(o, cwd);
        if (o.ingressPort !== undefined) ingressPort = parsePort(o.ingressPort, '--ingress-port');
        if (o.dns !== undefined) dns = parseHostPort(o.dns);
        if (o.lowPortOffset !== undefined) lowPortOffset = parsePort(o.lowPortOffset, '--low-port-offset');
      } catch (e) {
        if (e instanceof ConfigError) {
          for (const p of e.problems) io.stderr(`portchain: ${formatConfigProblem(p)}\n`);
          setExit(EXIT_USAGE);
          return;
        }
        if (e instanceof SettingsError) return fail(e.message);
        throw e;
      }
      const read = await readInputs(paths, o, io, settings);
      for (const f of read.findings) io.stderr(`portchain: ${f.message}\n`);
      if (read.sources.length === 0) return fail('nothing could be read');
      let u: Up;
      try {
        u = await startUp(read.sources, {
          ...settings.check,
          read,
          lowPortOffset,
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
      io.stdout(formatServiceTable(u.plan));
      for (const n of u.notes) io.stdout(`note: ${n}\n`);
      if (o.state) writeFileSync(resolve(cwd, o.state), `${JSON.stringify(upState(u), null, 2)}\n`);
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
              read: () => readInputs(paths, o, io, settings),
              onReconcile: (r) => {
                for (const k of r.kept) io.stderr(`portchain up: ${k}\n`);
                io.stdout(
                  `portchain up: reconciled (${r.changes.length > 0 ? r.changes.join('; ') : 'no change'})\n`,
                );
                io.stdout(formatServiceTable(u.plan));
                if (o.state) writeFileSync(resolve(cwd, o.state), `${JSON.stringify(upState(u), null, 2)}\n`);
              },
              onError: (e) => io.stderr(`portchain up: watch: ${e.message}\n`),
            },
          )
        : null;
      await stop();
      await watcher?.close();
      await u.close();
      io.stdout('portchain up: stopped, every listener closed\n');
      setExit(EXIT_OK);
    });
}
