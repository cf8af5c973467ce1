/**
 * `portchain trace TARGET [paths...]`: reads the manifests, runs `check()` (the resolved graph and the findings
 * of the registered rules), follows one request with the trace engine and prints it.
 * Exit codes: 0 delivered; 1 any other verdict; 2 a TARGET or option that cannot be read, a config error, or
 * nothing readable.
 */
import { Command, Option } from 'commander';
import { check } from '../check.js';
import { type Settings, SettingsError } from '../config/options.js';
import { formatTraceJson } from '../report/trace-json.js';
import { formatTraceText } from '../report/trace-text.js';
import {
  parseProtocol,
  parseSource,
  parseTarget,
  SOURCE_FORMS,
  TARGET_FORMS,
  TargetError,
  type TraceSource,
  type TraceTarget,
} from '../trace/target.js';
import { traceRequest } from '../trace/trace.js';
import { addInputOptions, type InputFlags, readInputs, settingsFor, useColor } from './inputs.js';
import type { Io } from './main.js';

const EXIT_OK = 0;
const EXIT_NOT_DELIVERED = 1;
const EXIT_USAGE = 2;

interface TraceFlags extends InputFlags {
  format: string;
  protocol: string;
  from?: string;
  ingressClass?: string;
  ingressNamespace?: string;
  color?: boolean;
}

const FORMS_TEXT = `TARGET forms:\n${TARGET_FORMS.map((f) => `  ${f}`).join('\n')}\n\n--from forms:\n${SOURCE_FORMS.map((f) => `  ${f}`).join('\n')}`;

interface Parsed {
  readonly target: TraceTarget;
  readonly from: TraceSource | null;
  readonly protocol: ReturnType<typeof parseProtocol>;
}

function parseArgs(target: string, o: TraceFlags): Parsed {
  return {
    target: parseTarget(target),
    from: o.from === undefined ? null : parseSource(o.from),
    protocol: parseProtocol(o.protocol),
  };
}

export function traceCommand(io: Io, setExit: (code: number) => void): Command {
  const cwd = io.cwd ?? process.cwd();
  const usage = (message: string, withForms: boolean) => {
    io.stderr(`portchain trace: ${message}\n`);
    if (withForms) io.stderr(`\n${FORMS_TEXT}\n`);
    setExit(EXIT_USAGE);
  };
  const cmd = new Command('trace')
    .description(
      'follow one request hop by hop, from the client to the port the process binds, and say whether it arrives',
    )
    .argument(
      '<target>',
      'where the request goes: a URL, svc/NAME[.NS]:PORT, IP:PORT, node:PORT or lb/NAME[.NS]:PORT',
    )
    .argument('[paths...]', 'files, folders (searched for .yaml, .yml, .json) or - for stdin', [])
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('--protocol <protocol>', 'tcp, udp or sctp').default('tcp'))
    .addOption(
      new Option(
        '--from <source>',
        "who connects: external[/IP], pod/NAME[.NS] or namespace/NAME (default: external for URLs, nodePorts and load balancers; a pod of the Service's namespace for Service addresses)",
      ),
    )
    .addOption(
      new Option(
        '--ingress-class <name>',
        'trace through the Ingresses of this class only (default: every Ingress)',
      ),
    )
    .addOption(
      new Option(
        '--ingress-namespace <ns>',
        'where the ingress controller runs, for NetworkPolicies (default: ingress-nginx)',
      ),
    );
  return addInputOptions(cmd, 'trace through')
    .option('--no-color', 'never colour the output (NO_COLOR is honoured too)')
    .addHelpText(
      'after',
      `\n${FORMS_TEXT}\n\nExit codes: 0 delivered; 1 refused, dropped, 404, 503, not routed or unknown; 2 usage error or nothing readable.\n\nExamples:\n  portchain trace http://books.example.com/ examples/port-from-configmap/0-sound.yaml\n  portchain trace svc/web.named-port:80 examples/named-port/\n  portchain trace node:31111 --from external examples/node-port-and-load-balancer/\n  helm template ./chart | portchain trace svc/api:http -n prod -\n  portchain trace svc/api.prod:http --cluster --probe`,
    )
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError()
    .exitOverride()
    .action(async (target: string, paths: string[], o: TraceFlags) => {
      let parsed: Parsed;
      try {
        parsed = parseArgs(target, o);
      } catch (e) {
        if (e instanceof TargetError) return usage(e.message, true);
        throw e;
      }
      let settings: Settings;
      try {
        settings = settingsFor(o, cwd);
      } catch (e) {
        // A ConfigError goes on to main(), which prints each problem and exits 2 for every command.
        if (e instanceof SettingsError) return usage(e.message, false);
        throw e;
      }
      const read = await readInputs(paths, o, io, settings);
      for (const f of read.findings) io.stderr(`portchain: ${f.message}\n`);
      if (read.sources.length === 0) {
        io.stderr('portchain: nothing could be read\n');
        setExit(EXIT_USAGE);
        return;
      }
      const options = {
        ...settings.check,
        ...(o.ingressNamespace ? { ingressNamespace: o.ingressNamespace } : {}),
      };
      const result = check(read.sources, options, read);
      const findings = result.findings;
      let traced: ReturnType<typeof traceRequest>;
      try {
        traced = traceRequest(result.graph, findings, {
          target: parsed.target,
          protocol: parsed.protocol,
          from: parsed.from,
          ingressClass: o.ingressClass ?? null,
          defaultNamespace: options.defaultNamespace ?? 'default',
        });
      } catch (e) {
        if (e instanceof TargetError) return usage(e.message, false);
        throw e;
      }
      io.stdout(
        o.format === 'json'
          ? formatTraceJson(traced)
          : formatTraceText(traced, { color: useColor(io, o.color) }),
      );
      setExit(traced.verdict === 'delivered' ? EXIT_OK : EXIT_NOT_DELIVERED);
    });
}
