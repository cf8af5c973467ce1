/**
 * What every command that reads manifests shares: colour choice, the configuration file, flag settings and
 * the inputs (paths, stdin, `helm template`, `kubectl kustomize`).
 */
import { relative, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { CheckOptions } from '../check.js';
import { findConfigFile, type LoadedConfig, loadConfigFile } from '../config/config.js';
import { type CliSettings, resolveSettings, type Settings, SettingsError } from '../config/options.js';
import type { SourceText } from '../model/load.js';
import { allRuleMetas } from '../rules/registry.js';
import type { ClusterReadResult } from '../sources/cluster.js';
import { type OnRead, type ReadResult, readSources } from '../sources/files.js';
import { renderHelm } from '../sources/helm.js';
import { renderKustomize } from '../sources/kustomize.js';
import type { Io } from './main.js';

export const RULE_IDS: readonly string[] = allRuleMetas.map((m) => m.id);

/** The input flags common to check, endpoints, graph and trace. */
export interface InputFlags {
  namespace?: string;
  nodePortRange?: string;
  /** A path, `false` for --no-config, undefined to search. */
  config?: string | false;
  helm?: string;
  values?: string[];
  release?: string;
  kustomize?: string[];
  /** --cluster: read the live cluster of the kubeconfig's context (read-only). */
  cluster?: boolean;
  /** --context NAME, with --cluster. */
  context?: string;
  /** -A, --all-namespaces, with --cluster. */
  allNamespaces?: boolean;
  /** --probe, with --cluster: read running pods' sockets through exec instead of inferring them. */
  probe?: boolean;
}

/** commander's accumulator for repeatable options. */
export const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** --no-color, NO_COLOR and FORCE_COLOR, else colour on a terminal only. */
export function useColor(io: Io, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return io.isTTY;
}

/** --config FILE, else the nearest .portchain.yaml at or above the working directory, unless --no-config. */
export function loadConfig(o: { config?: string | false }, cwd: string): LoadedConfig | undefined {
  if (o.config === false) return undefined;
  if (typeof o.config === 'string') return loadConfigFile(resolve(cwd, o.config), o.config, RULE_IDS);
  const found = findConfigFile(cwd);
  if (!found) return undefined;
  const shown = relative(cwd, found);
  return loadConfigFile(found, shown === '' ? found : shown, RULE_IDS);
}

/** The configuration file overridden by the flags. */
export function settingsFor(o: InputFlags, cwd: string, extra: CliSettings = {}): Settings {
  if ((o.values?.length || o.release) && !o.helm)
    throw new SettingsError('--values and --release need --helm CHART');
  if (o.probe && !o.cluster)
    throw new SettingsError('--probe needs --cluster: it reads the sockets of running pods through exec');
  const config = loadConfig(o, cwd)?.config ?? {};
  return resolveSettings(
    config,
    {
      ...(o.namespace ? { namespace: o.namespace } : {}),
      ...(o.nodePortRange ? { nodePortRange: o.nodePortRange } : {}),
      ...extra,
    },
    RULE_IDS,
  );
}

/** Paths (or `.` when nothing at all is named), then what helm and kustomize render. */
export async function readInputs(
  paths: string[],
  o: InputFlags,
  io: Io,
  settings: Settings,
  /**
   * `up` and `ui` watch the files and keep a changed file's last good text: they read every file whole.
   * `onRead` is told of the bytes read while reading takes time (src/sources/files.ts).
   */
  use: { readonly watching?: boolean; readonly onRead?: OnRead } = {},
): Promise<ReadResult> {
  const rendered: SourceText[] = [];
  if (o.helm) {
    const ns = settings.check.defaultNamespace;
    rendered.push(
      await renderHelm(
        {
          chart: o.helm,
          ...(o.values ? { values: o.values } : {}),
          ...(o.release ? { release: o.release } : {}),
          ...(ns ? { namespace: ns } : {}),
        },
        io.env,
      ),
    );
  }
  for (const dir of o.kustomize ?? []) rendered.push(await renderKustomize(dir, io.env));
  const live = o.cluster ? await readLiveCluster(o, io) : null;
  if (live) rendered.push(...live.sources);
  const observed = live?.observed;
  if (observed) {
    // --probe: every command passes settings.check to check(), so the observed sockets reach the graph there.
    (settings as { check: CheckOptions }).check = {
      ...settings.check,
      observedListening: (ns, name) => observed.get(`${ns}/${name}`),
    };
  }
  const read =
    paths.length > 0 || (rendered.length === 0 && !o.cluster)
      ? await readSources(paths.length > 0 ? paths : ['.'], io.stdin, {
          ...(use.watching ? { streamFrom: Infinity } : {}),
          ...(use.onRead ? { onRead: use.onRead } : {}),
        })
      : { sources: [], findings: [], order: [] };
  return {
    sources: [...read.sources, ...rendered],
    findings: [...read.findings, ...(live?.findings ?? [])],
    order: [...read.order, ...rendered.map((s) => s.name)],
  };
}

/** --cluster: the live objects, with progress on a terminal; an unreachable cluster is a finding. */
async function readLiveCluster(
  o: InputFlags,
  io: Io,
): Promise<ReadResult & Pick<ClusterReadResult, 'observed'>> {
  const progress = io.isTTY ? (m: string) => io.stderr(`\rportchain: ${m}\u001b[K`) : undefined;
  // The cluster client (and the WebSocket one of --probe) loads with --cluster only.
  const { ClusterError, readCluster } = await import('../sources/cluster.js');
  try {
    const r = await readCluster({
      ...(o.context ? { context: o.context } : {}),
      ...(o.namespace ? { namespace: o.namespace } : {}),
      ...(o.allNamespaces ? { allNamespaces: true } : {}),
      ...(o.probe ? { probe: true } : {}),
      ...(io.env.KUBECONFIG && !io.env.KUBECONFIG.includes(':') ? { kubeconfig: io.env.KUBECONFIG } : {}),
      ...(progress ? { onProgress: progress } : {}),
    });
    if (progress) io.stderr('\r\u001b[K');
    return r;
  } catch (e) {
    if (!(e instanceof ClusterError)) throw e;
    return {
      sources: [],
      findings: [
        {
          rule: 'input-unreadable',
          severity: 'error',
          message: `--cluster: ${e.message}`,
          object: null,
          field: null,
          location: null,
        },
      ],
      order: [],
    };
  }
}

/** --config/--no-config, the options every manifest-reading command takes. */
export function addConfigOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--config <file>',
        'the config file (default: the nearest .portchain.yaml, up to the repository root)',
      ),
    )
    .addOption(new Option('--no-config', 'ignore .portchain.yaml files'));
}

/** The namespace, node-port range, config and renderer (helm, kustomize) options; `verb` is what is done. */
export function addInputOptions(cmd: Command, verb: string): Command {
  cmd
    .addOption(new Option('-n, --namespace <ns>', 'namespace for objects that name none'))
    .addOption(new Option('--node-port-range <range>', "the API server's --service-node-port-range"));
  return addConfigOptions(cmd)
    .addOption(
      new Option(
        '--helm <chart>',
        `also ${verb} what \`helm template CHART\` renders (helm must be on PATH)`,
      ),
    )
    .addOption(new Option('--values <file>', 'a values file for --helm (repeatable)').argParser(collect))
    .addOption(new Option('--release <name>', 'the release name for --helm'))
    .addOption(
      new Option(
        '-k, --kustomize <dir>',
        `also ${verb} what \`kubectl kustomize DIR\` renders (kubectl or kustomize must be on PATH; repeatable)`,
      ).argParser(collect),
    )
    .addOption(
      new Option(
        '--cluster',
        `also ${verb} the live cluster of the kubeconfig's current context (read-only: list only; the context's namespace unless -n or -A)`,
      ),
    )
    .addOption(new Option('--context <name>', 'the kubeconfig context to read with --cluster'))
    .addOption(new Option('-A, --all-namespaces', 'with --cluster: read every namespace'))
    .addOption(
      new Option(
        '--probe',
        'with --cluster: read the sockets running pods listen on (exec `cat /proc/net/tcp...`; needs get and create on pods/exec, see docs/probe-rbac.yaml) in place of inferring them',
      ),
    );
}
