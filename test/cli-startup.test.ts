/**
 * What a command loads. Every run of `check` in CI pays for the modules it imports before it reads a byte,
 * so the other commands' heavier parts (the data plane and its API server, the page's server, the layout
 * engine, the cluster client, the config schema compiler) load only with the command or format that uses
 * them. Seen through the CommonJS packages each of those parts imports at its top: elkjs (svg, html), ws
 * (the API server, the page, --probe), selfsigned (the API server's certificate), dns-packet (up's DNS) and
 * ajv (a config file); and the yaml library, which only input portchain's own readers decline needs. Run
 * against the build, in a fresh Node, from a folder with no config file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/shared.js';

const HEAVY = ['elkjs', 'ws', 'selfsigned', 'dns-packet', 'ajv'];

/**
 * Runs main(args) from dist/ in a fresh Node; returns its exit code and the npm packages it had loaded. A
 * long-running command (`up`) is stopped as Ctrl-C stops it, once it says it is ready.
 */
function packagesLoaded(args: readonly string[], cwd: string): { code: number; packages: string[] } {
  const script = `
import { createRequire } from 'node:module';
const { main } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/cli/main.js')).href)});
const stdout = (s) => {
  if (/^portchain up: ready/m.test(s)) setImmediate(() => process.emit('SIGINT'));
};
const quiet = { stdout, stderr: () => {}, stdin: process.stdin, isTTY: false, env: {}, cwd: process.cwd() };
const code = await main(JSON.parse(process.argv[1]), quiet);
const names = new Set();
for (const f of Object.keys(createRequire(import.meta.url).cache)) {
  const m = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(f);
  if (m) names.add(m[1]);
}
process.stdout.write(JSON.stringify({ code, packages: [...names] }));
`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(args)], {
    cwd,
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { code: number; packages: string[] };
}

describe('what a command loads', () => {
  let cwd: string;
  const example = join(repoRoot, 'examples', 'dns-tcp-udp');
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'portchain-startup-'));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('check loads none of the other commands’ heavier parts', () => {
    const r = packagesLoaded(['check', example, '--format', 'json'], cwd);
    expect(r.code).toBe(1); // the example's broken files: the whole check ran
    expect(r.packages).toContain('commander');
    expect(r.packages.filter((p) => HEAVY.includes(p))).toEqual([]);
    // Its files are all read by portchain's own readers: the yaml library is not needed either.
    expect(r.packages).not.toContain('yaml');
  });

  it('the yaml library loads for what only it reads: a syntax error, with its position', () => {
    const file = join(cwd, 'broken.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  labels: {a: [}\n');
    const r = packagesLoaded(['check', file, '--format', 'json'], cwd);
    expect(r.code).toBe(1);
    expect(r.packages).toContain('yaml');
  });

  it('graph (tree) and trace load none of them either', () => {
    for (const args of [
      ['graph', example],
      ['trace', 'svc/dns.dns-tcp-udp:53', join(example, '0-sound.yaml')],
    ]) {
      const r = packagesLoaded(args, cwd);
      expect(r.code, args.join(' ')).toBe(0);
      expect(
        r.packages.filter((p) => HEAVY.includes(p)),
        args.join(' '),
      ).toEqual([]);
    }
  });

  it('up loads its API server and the page only when asked for (--api, --ui)', () => {
    const r = packagesLoaded(
      [
        'up',
        join(repoRoot, 'examples', 'multi-port', '0-sound.yaml'),
        '--address-base',
        '127.171.0.0,127.172.0.0,127.173.0.0,127.170.0.1',
        '--low-port-offset',
        '45000',
        '--ingress-port',
        '45181',
      ],
      cwd,
    );
    expect(r.code).toBe(0); // started, became ready, and stopped
    // ws (the API server's watches, the page's live view) and selfsigned (the API server's certificate).
    expect(r.packages.filter((p) => HEAVY.includes(p) && p !== 'dns-packet')).toEqual([]);
  });

  it('the layout engine loads when a format needs it', () => {
    const svg = packagesLoaded(['graph', example, '--format', 'svg'], cwd);
    expect(svg.code).toBeLessThan(2);
    expect(svg.packages).toContain('elkjs');
    const html = packagesLoaded(['check', example, '--format', 'html'], cwd);
    expect(html.packages).toContain('elkjs');
  });
});
