/**
 * What memory costs on this machine, the measurement behind the streaming readers (src/model/*-list-stream.ts):
 * writing fresh pages against writing the same pages again, and a dump read whole (as one Buffer, or as one
 * string the way readFile(file, 'utf8') builds it) against the same dump streamed through one reused 1 MiB
 * buffer. Every figure is wall time in ms; each pass also counts the dump's line breaks, so all of them touch
 * every byte.
 *
 * Usage: node bench-dist/bench/static/fresh-memory.js FILE [--json]
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

const MB = 2 ** 20;

function lineBreaks(b: Buffer, len = b.length): number {
  let n = 0;
  for (let i = b.indexOf(10); i !== -1 && i < len; i = b.indexOf(10, i + 1)) n++;
  return n;
}

async function time<T>(what: () => T | Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await what();
  return { ms: Math.round(performance.now() - t), value };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) {
    process.stderr.write('usage: fresh-memory.js FILE [--json]\n');
    process.exit(2);
  }
  const out: Record<string, number> = {};

  // 1. The same 400 MB written twice: the first pass takes the page faults.
  const size = 400 * MB;
  const fresh = Buffer.allocUnsafe(size);
  out['fill 400 MB, fresh pages'] = (await time(() => fresh.fill(1))).ms;
  out['fill 400 MB, same pages again'] = (await time(() => fresh.fill(2))).ms;

  // 2. The dump read whole into a Buffer, then scanned twice.
  const whole = await time(() => readFile(file));
  out['read whole into a Buffer'] = whole.ms;
  out['first scan of that Buffer'] = (await time(() => lineBreaks(whole.value))).ms;
  out['second scan of that Buffer'] = (await time(() => lineBreaks(whole.value))).ms;
  out['file MB'] = Math.round(whole.value.length / MB);

  // 3. As one string, as readFile(file, 'utf8') builds it (chunk by chunk), then flattened by its first use.
  const text = await time(() => readFile(file, 'utf8'));
  out["readFile(file, 'utf8')"] = text.ms;
  out['first use of that string (flattening it)'] = (await time(() => text.value.slice(0, 10).length)).ms;

  // 4. Streamed through one reused 1 MiB buffer, counting line breaks chunk by chunk.
  out['streamed through 1 MiB, scanned'] = (
    await time(() => {
      const fd = openSync(file, 'r');
      const buf = Buffer.allocUnsafe(MB);
      let n = 0;
      try {
        for (let pos = 0; ; ) {
          const got = readSync(fd, buf, 0, MB, pos);
          if (got === 0) break;
          n += lineBreaks(buf, got);
          pos += got;
        }
      } finally {
        closeSync(fd);
      }
      return n;
    })
  ).ms;

  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(out)}\n`);
  else for (const [k, v] of Object.entries(out)) process.stdout.write(`${k.padEnd(44)} ${v}\n`);
}

await main();
