/**
 * `portchain port-forward svc/NAME[.NS]|pod/NAME[.NS] [LOCAL:]REMOTE... --state FILE`: forwards local TCP ports
 * to one pod of a running `portchain up`, as `kubectl port-forward`. `up` writes no state file by default, so
 * --state (the file given to `portchain up --state`) is required. Exit codes: 0 after a clean stop; 2 when
 * nothing can be forwarded (usage, state file, unknown object or port, no ready pod, a port that cannot listen).
 */
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import {
  type ForwardObject,
  type PortForward,
  PortForwardError,
  type PortMapping,
  parseForwardAddresses,
  parseForwardObject,
  parsePortMapping,
  parseUpState,
  resolveForward,
  startPortForward,
} from '../runtime/port-forward.js';
import { onSignal, type StopSignal } from './long-running.js';
import type { Io } from './main.js';

const EXIT_OK = 0;
const EXIT_USAGE = 2;

interface PortForwardFlags {
  state?: string;
  address: string;
  namespace?: string;
}

export function portForwardCommand(
  io: Io,
  setExit: (code: number) => void,
  stop: StopSignal = onSignal,
): Command {
  const cwd = io.cwd ?? process.cwd();
  return new Command('port-forward')
    .description(
      'forward local TCP ports to one pod of a running `portchain up` (svc/NAME picks one ready pod and maps Service ports to its targetPorts), as kubectl port-forward',
    )
    .argument('<object>', 'svc/NAME, pod/NAME or a pod name; NAME.NS names the namespace')
    .argument('<ports...>', 'LOCAL:REMOTE, REMOTE (the same local port) or :REMOTE (a random local port)')
    .addOption(
      new Option('--state <file>', 'the state file of the running `portchain up --state FILE` (required)'),
    )
    .addOption(
      new Option(
        '--address <addresses>',
        'where to listen: IPs or localhost, comma-separated; an address outside 127.0.0.0/8 exposes the pod beyond this machine',
      ).default('127.0.0.1'),
    )
    .addOption(new Option('-n, --namespace <ns>', 'the namespace of the object (default: default)'))
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError()
    .exitOverride()
    .action(async (objectArg: string, portArgs: string[], o: PortForwardFlags) => {
      const fail = (message: string) => {
        io.stderr(`portchain port-forward: error: ${message}\n`);
        setExit(EXIT_USAGE);
      };
      let forward: PortForward;
      try {
        if (!o.state)
          throw new PortForwardError(
            '--state FILE is required: `portchain up` writes no state by default; start it with `portchain up --state FILE` and give the same FILE here',
          );
        const file = resolve(cwd, o.state);
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (e) {
          throw new PortForwardError(
            `cannot read the state file ${o.state} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): is \`portchain up --state ${o.state}\` running?`,
          );
        }
        const state = parseUpState(text, o.state);
        const object: ForwardObject = parseForwardObject(objectArg);
        const mappings: PortMapping[] = portArgs.map(parsePortMapping);
        const addresses = parseForwardAddresses(o.address);
        const resolved = resolveForward(
          state,
          object,
          mappings,
          o.namespace ?? 'default',
          o.namespace !== undefined,
        );
        forward = await startPortForward(resolved, {
          addresses,
          onConnection: (local) => io.stdout(`Handling connection for ${local}\n`),
          onError: (m) => io.stderr(`portchain port-forward: ${m}\n`),
        });
      } catch (e) {
        if (e instanceof PortForwardError) return fail(e.message);
        throw e;
      }
      for (const l of forward.listeners)
        io.stdout(
          `Forwarding from ${isIPv6(l.address) ? `[${l.address}]` : l.address}:${l.local} -> ${l.remotePort}\n`,
        );
      await stop();
      await forward.close();
      setExit(EXIT_OK);
    });
}
