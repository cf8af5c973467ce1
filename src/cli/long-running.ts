/**
 * What the long-running commands (`up`, `ui`, `port-forward`) share: how they learn to stop, and how a port
 * number given on the command line is read.
 */
import { SettingsError } from '../config/options.js';

/** Resolves when the command should stop; tests pass their own. */
export type StopSignal = () => Promise<void>;

/**
 * The reader of the output went away (main.ts): a command waiting in onSignal stops, and one not yet waiting
 * will not wait.
 */
let outputGone = false;
const waiting = new Set<() => void>();

export function stopForClosedOutput(): void {
  outputGone = true;
  for (const stop of [...waiting]) stop();
}

/**
 * SIGINT (Ctrl-C) or SIGTERM, once, or the output's reader going away; the handlers are removed so a second
 * signal kills as usual.
 */
export const onSignal: StopSignal = () =>
  new Promise((done) => {
    if (outputGone) {
      done();
      return;
    }
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      waiting.delete(stop);
      done();
    };
    waiting.add(stop);
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

/** A port number flag (0-65535); `what` names the flag in the error. */
export function parsePortFlag(raw: string, what: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw new SettingsError(`${what}: not a port number: ${raw}`);
  return n;
}
