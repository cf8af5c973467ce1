/**
 * Runs a rendering tool (helm, kubectl) found on PATH, with an argument array and never a shell, and
 * returns what it prints as one source. A missing tool or a failed run is a ToolError: the CLI prints it
 * and exits 2, because nothing of that input could be checked.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { SourceText } from '../model/load.js';

export class ToolError extends Error {}

/** Largest output accepted from a renderer: big charts render to a few MB. */
const MAX_OUTPUT = 256 * 1024 * 1024;

function isExecutable(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The full path of `command` on `env.PATH` (with PATHEXT on Windows); undefined when absent. */
export function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? '').split(delimiter).filter(Boolean);
  const exts =
    process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').concat(['']) : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const p = join(dir, command + ext);
      if (isExecutable(p)) return p;
    }
  }
  return undefined;
}

/** Runs `file args...` and resolves to its stdout; a non-zero exit rejects with its stderr. */
export function runTool(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  shown: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { env, maxBuffer: MAX_OUTPUT, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) {
        resolve(stdout);
        return;
      }
      const detail = (stderr || error.message).trim();
      const code = typeof error.code === 'number' ? ` (exit ${error.code})` : '';
      reject(new ToolError(`\`${shown}\` failed${code}${detail ? `:\n${detail}` : ''}`));
    });
  });
}

/** Renders with a tool on PATH, as one source called `name` (e.g. `<helm template ./chart>`). */
export async function renderWith(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  { name, notFound }: { name: string; notFound: string },
): Promise<SourceText> {
  const path = findOnPath(command, env);
  if (!path) throw new ToolError(notFound);
  return { name, text: await runTool(path, args, env, [command, ...args].join(' ')) };
}
