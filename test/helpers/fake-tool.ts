import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempTree } from './cli.js';

/**
 * A fake command-line tool in a fresh folder, to put first on PATH: a real executable (a node script, so it
 * needs nothing else on PATH) that records its arguments in argv.json beside it, prints `out`, prints
 * `err` to stderr and exits with `code`.
 */
export function fakeTool(
  name: string,
  out: string,
  code = 0,
  err = '',
): { dir: string; argv: () => string[] } {
  const dir = tempTree({ 'out.txt': out, 'err.txt': err });
  const script = join(dir, name);
  writeFileSync(
    script,
    `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
fs.writeFileSync(path.join(__dirname, 'argv.json'), JSON.stringify(process.argv.slice(2)));
process.stdout.write(fs.readFileSync(path.join(__dirname, 'out.txt'), 'utf8'));
process.stderr.write(fs.readFileSync(path.join(__dirname, 'err.txt'), 'utf8'));
process.exitCode = ${code};
`,
  );
  chmodSync(script, 0o755);
  return { dir, argv: () => JSON.parse(readFileSync(join(dir, 'argv.json'), 'utf8')) as string[] };
}
