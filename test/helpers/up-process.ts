/**
 * The real `portchain up` CLI as a child process, and the small clients its end-to-end tests use: a command
 * run to completion, an HTTP GET, a TCP connect probe. KUBECONFIG is emptied so no test reads ~/.kube.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';

export const BIN = join(process.cwd(), 'bin', 'portchain');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of `run`: `env` adds to the environment; after `timeoutMs` the command is killed (its run ends). */
export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs a command to completion, `input` on its stdin (closed either way); never rejects. */
export function run(cmd: string, args: string[], input?: string, options: RunOptions = {}): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, KUBECONFIG: '', NO_COLOR: '1', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
    const timer =
      options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill(), options.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** GET over plain HTTP; resolves with status and body, rejects on a socket error. */
export function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', fail);
  });
}

/** Resolves 'refused' when nothing listens there, 'open' when a connection succeeds. */
export function probe(host: string, port: number): Promise<'open' | 'refused' | string> {
  return new Promise((done) => {
    const s = net.connect({ host, port });
    s.setTimeout(3000, () => {
      s.destroy();
      done('timeout');
    });
    s.on('connect', () => {
      s.destroy();
      done('open');
    });
    s.on('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' ? 'refused' : String(e.code)));
  });
}

/** The long-running `up`: its output so far, and a wait for a line to appear after a given offset. */
export class UpProcess {
  out = '';
  err = '';
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  /** `portchain up ARGS`, or another long-running command (`ui`) with `command`; `env` adds to the environment. */
  constructor(args: string[], options: { command?: string; env?: NodeJS.ProcessEnv } = {}) {
    this.child = spawn(process.execPath, [BIN, options.command ?? 'up', ...args], {
      env: { ...process.env, KUBECONFIG: '', NO_COLOR: '1', ...options.env },
    });
    this.child.stdout?.on('data', (c: Buffer) => {
      this.out += c.toString();
    });
    this.child.stderr?.on('data', (c: Buffer) => {
      this.err += c.toString();
    });
    this.exited = new Promise((done) => this.child.on('exit', (code) => done(code)));
  }

  async waitFor(re: RegExp, from = 0, ms = 20_000): Promise<RegExpMatchArray> {
    const end = Date.now() + ms;
    for (;;) {
      const m = this.out.slice(from).match(re);
      if (m) return m;
      if (this.child.exitCode !== null || Date.now() > end)
        throw new Error(`no ${re} in output:\n${this.out}\nstderr:\n${this.err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
