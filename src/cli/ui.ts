/**
 * `portchain ui [paths...]`: serves a page on 127.0.0.1 that draws the port chain (the topology `graph` draws,
 * with every finding of `check` on the link it breaks), traces a Service or an Ingress path on click, and
 * reloads when the manifests change (with --cluster: when a periodic read of the cluster differs). Prints the URL; opens the browser unless --no-open; runs until SIGINT or
 * SIGTERM. Exit codes: 0 after a clean stop; 2 a usage or config error, nothing readable, or the port is taken.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { check } from '../check.js';
import { type Settings, SettingsError } from '../config/options.js';
import type { SourceText } from '../model/load.js';
import type { UiServer } from '../ui/server.js';
import { addInputOptions, type InputFlags, readInputs, settingsFor } from './inputs.js';
import { onSignal, parsePortFlag, type StopSignal } from './long-running.js';
import type { Io } from './main.js';
import { describeDrawing, type Progress, progressFor } from './progress.js';

const EXIT_OK = 0;
const EXIT_USAGE = 2;

interface UiFlags extends InputFlags {
  port?: string;
  refresh?: string;
  address?: string;
  open: boolean;
}

/** Opens `url` in the desktop's browser; no shell is involved. Resolves to an error message or null. */
export function openBrowser(url: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  return new Promise((done) => {
    try {
      const child = spawn(command, [url], { stdio: 'ignore', detached: true, env, shell: false });
      child.once('error', (e) => done(`${command}: ${e.message}`));
      child.once('spawn', () => {
        child.unref();
        done(null);
      });
    } catch (e) {
      done(`${command}: ${(e as Error).message}`);
    }
  });
}

/** Two reads are the same when every source's name and text are (compared in place, not joined: dumps are big). */
const sameSources = (a: readonly SourceText[], b: readonly SourceText[]) =>
  a.length === b.length && a.every((s, i) => s.name === b[i]?.name && s.text === b[i]?.text);

function parseRefresh(raw: string, cluster: boolean): number {
  if (!cluster) throw new SettingsError('--refresh: only with --cluster (files are watched instead)');
  const seconds = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(seconds))
    throw new SettingsError(`--refresh ${raw}: expected seconds, e.g. 10 (0: never)`);
  return Math.round(seconds * 1000);
}

export function uiCommand(io: Io, setExit: (code: number) => void, stop: StopSignal = onSignal): Command {
  const cwd = io.cwd ?? process.cwd();
  const fail = (message: string) => {
    io.stderr(`portchain ui: ${message}\n`);
    setExit(EXIT_USAGE);
  };
  const cmd = new Command('ui')
    .description(
      'serve a page that draws the port chain: Ingress -> Service -> Pods -> containers, ports on every link, broken links marked; click to trace',
    )
    .argument('[paths...]', 'files, folders (searched for .yaml, .yml, .json) or - for stdin', [])
    .addOption(new Option('--port <port>', 'where the page is served (default: a free port)'))
    .addOption(
      new Option('--address <ip>', 'the address to bind (default 127.0.0.1; anything else only when given)'),
    )
    .addOption(new Option('--no-open', 'do not open a browser'))
    .addOption(
      new Option(
        '--refresh <seconds>',
        'with --cluster: read the cluster again this often; the page reloads when it changed (default 10; 0: never)',
      ),
    );
  return addInputOptions(cmd, 'draw')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError()
    .exitOverride()
    .addHelpText('after', '\nExamples:\n  portchain ui examples/\n  portchain ui k8s/ --port 43210 --no-open')
    .action(async (paths: string[], o: UiFlags) => {
      let settings: Settings;
      let port = 0;
      let refreshMs = 10_000;
      try {
        settings = settingsFor(o, cwd);
        if (o.port !== undefined) port = parsePortFlag(o.port, '--port');
        if (o.refresh !== undefined) refreshMs = parseRefresh(o.refresh, o.cluster === true);
      } catch (e) {
        // A ConfigError goes on to main(), which prints each problem and exits 2 for every command.
        if (e instanceof SettingsError) return fail(e.message);
        throw e;
      }
      const read = await readInputs(paths, o, io, settings, { watching: true });
      for (const f of read.findings) io.stderr(`portchain: ${f.message}\n`);
      if (read.sources.length === 0) return fail('nothing could be read');
      // What was read last, and what a cluster refresh read that differs (load() then uses it, not a new read).
      let last = read.sources;
      let pending: typeof read | null = read;
      // The first load draws the progress line (a cluster dump takes seconds before the page is served);
      // reloads run beside the served page, and say nothing.
      let progress: Progress | null = progressFor(io);
      const load = async () => {
        const r = pending ?? (await readInputs(paths, o, io, settings, { watching: true }));
        pending = null;
        last = r.sources;
        const result = check(
          r.sources,
          progress ? { ...settings.check, onProgress: progress.onCheck } : settings.check,
          r,
        );
        progress?.step(() => describeDrawing(result.summary.objects, 'the page'));
        return {
          graph: result.graph,
          findings: result.findings,
          notes: r.findings.map((f) => f.message),
          ...(settings.check.defaultNamespace ? { defaultNamespace: settings.check.defaultNamespace } : {}),
        };
      };
      let server: UiServer;
      try {
        const { startUiServer } = await import('../ui/server.js');
        server = await startUiServer({
          load,
          host: o.address ?? '127.0.0.1',
          port,
          // With --cluster and no paths, there are no files to watch: the refresh timer reads the cluster.
          watch: (paths.length > 0 ? paths : o.cluster ? [] : ['.'])
            .filter((p) => p !== '-')
            .map((p) => resolve(cwd, p)),
          onError: (e) => io.stderr(`portchain ui: ${e.message}\n`),
        });
      } catch (e) {
        progress?.done();
        return fail((e as Error).message);
      }
      progress.done();
      progress = null;
      io.stdout(`portchain ui: serving ${server.url} (Ctrl-C to stop)\n`);
      if (o.open) {
        const problem = await openBrowser(server.url, io.env);
        if (problem) io.stderr(`portchain ui: could not open a browser (${problem}); open ${server.url}\n`);
      }
      let refreshing = false;
      const refresh =
        o.cluster && refreshMs > 0
          ? setInterval(() => {
              if (refreshing) return;
              refreshing = true;
              readInputs(paths, o, io, settings, { watching: true })
                .then((r) => {
                  if (sameSources(r.sources, last)) return;
                  pending = r;
                  return server.notify();
                })
                .catch((e: Error) => io.stderr(`portchain ui: --cluster: ${e.message}\n`))
                .finally(() => {
                  refreshing = false;
                });
            }, refreshMs)
          : null;
      await stop();
      if (refresh) clearInterval(refresh);
      await server.close();
      io.stdout('portchain ui: stopped\n');
      setExit(EXIT_OK);
    });
}
