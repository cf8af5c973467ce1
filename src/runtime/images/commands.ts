/**
 * Local commands standing for images (`.portchain.yaml` `images:` as a mapping): which entry an image
 * reference matches, and the container's process: spawned without a shell, with the kubelet's environment,
 * its output in the container log, stopped as the kubelet stops a container (SIGTERM, then SIGKILL after the
 * grace period; kuberuntime_container.go killContainer).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { ImageCommand } from '../../config/config.js';
import { normaliseImage } from '../../semantics/listening.js';
import type { ContainerLog } from './logs.js';

/**
 * The entry for `image`: a key naming the same repository (Docker Hub's docker.io/ and library/ ignored) with
 * the same digest wins, then the same tag, then a key with neither tag nor digest.
 */
export function findImageCommand(
  image: string,
  commands: Readonly<Record<string, ImageCommand>> | undefined,
): { readonly key: string; readonly entry: ImageCommand } | undefined {
  if (!commands) return undefined;
  const ref = normaliseImage(image);
  let best: { key: string; entry: ImageCommand; rank: number } | undefined;
  for (const [key, entry] of Object.entries(commands)) {
    const k = normaliseImage(key);
    if (k.name !== ref.name) continue;
    let rank = 0;
    if (k.digest) {
      if (k.digest !== ref.digest) continue;
      rank = 3;
    } else if (k.tag) {
      if (k.tag !== (ref.tag ?? 'latest')) continue;
      rank = 2;
    } else rank = 1;
    if (!best || rank > best.rank) best = { key, entry, rank };
  }
  return best ? { key: best.key, entry: best.entry } : undefined;
}

/** The `.portchain.yaml` lines that map `image` to a local command (said once per unmapped image). */
export function imageCommandHint(image: string): string {
  const ref = normaliseImage(image);
  return [
    `images:`,
    `  ${JSON.stringify(ref.name)}:`,
    `    command: ["/path/to/program"]  # runs with the container's env; bind $POD_IP (and $PORT)`,
    `    # args: [...]            # default: the container's args, $(VAR) expanded`,
    `    # workingDir: .          # relative to .portchain.yaml`,
    `    # honoursPort: true      # the program listens on $PORT`,
  ].join('\n');
}

export interface ContainerProcess {
  readonly pid: number | undefined;
  /** Resolves with the exit code (or the signal) when the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly running: boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs: number): Promise<void>;
}

export interface SpawnOptions {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly log: ContainerLog;
}

/** Starts the process in its own process group (so stopping it stops its children too). */
export function spawnContainerProcess(o: SpawnOptions): ContainerProcess {
  const [file, ...rest] = o.argv;
  if (!file) throw new Error('empty command');
  let running = true;
  const child: ChildProcess = spawn(file, rest, {
    shell: false,
    cwd: o.cwd,
    env: { ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (c: string) => o.log.write(c));
  child.stderr?.on('data', (c: string) => o.log.write(c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (e) => {
      running = false;
      o.log.line(`portchain: cannot start ${file}: ${e.message}`);
      resolve({ code: 127, signal: null });
    });
    child.once('close', (code, signal) => {
      running = false;
      o.log.flush();
      resolve({ code, signal });
    });
  });
  const signal = (sig: NodeJS.Signals) => {
    if (!running || child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      child.kill(sig);
    }
  };
  return {
    get pid() {
      return child.pid;
    },
    exited,
    get running() {
      return running;
    },
    stop: async (graceMs) => {
      if (!running) return;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
