import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type CheckProgress, check } from '../src/check.js';
import { main } from '../src/cli/main.js';
import { createProgress, isCi, type ProgressStream } from '../src/cli/progress.js';
import { registeredRules } from '../src/rules/registry.js';
import { readSources } from '../src/sources/files.js';
import { tempTree } from './helpers/cli.js';
import { hasCommand, repoRoot } from './helpers/shared.js';

/** A terminal that records what is written to it. */
function fakeTty(isTTY = true, columns = 120): ProgressStream & { chunks: string[] } {
  const chunks: string[] = [];
  return {
    isTTY,
    columns,
    chunks,
    write(s: string) {
      chunks.push(s);
      return true;
    },
  };
}

const CLEAR = '\r\x1b[K';
const events: CheckProgress[] = [
  { stage: 'load', files: 2, bytes: 3 * 2 ** 20 },
  { stage: 'resolve', objects: 163402 },
  { stage: 'rule', objects: 163402, rule: 'api-validation', index: 0, total: 25 },
  { stage: 'rule', objects: 163402, rule: 'node-port-allocation', index: 1, total: 25 },
  { stage: 'report', objects: 163402, total: 25, findings: 80 },
];

describe('progress line', () => {
  it('draws each stage on a terminal, redrawing one line, and clears it when done', () => {
    const tty = fakeTty();
    let t = 1000;
    const p = createProgress(tty, { env: {}, now: () => t, delayMs: 0 });
    expect(p.enabled).toBe(true);
    for (const e of events) {
      p.onCheck(e);
      t += 500;
    }
    p.done();
    const out = tty.chunks.join('');
    expect(tty.chunks.every((c) => c.startsWith(CLEAR))).toBe(true);
    expect(out).not.toContain('\n');
    expect(out).toContain('portchain: loading 2 files (3.0 MB)');
    expect(out).toContain('163,402 objects read; resolving');
    expect(out).toContain('rules 2/25 (node-port-allocation)');
    expect(out).toContain('80 findings');
    expect(tty.chunks.at(-1)).toBe(CLEAR);
  });

  it('keeps the line narrower than the terminal', () => {
    const tty = fakeTty(true, 60);
    const p = createProgress(tty, { env: {}, delayMs: 0 });
    p.update('x'.repeat(500), true);
    const line = (tty.chunks[0] ?? '').slice(CLEAR.length);
    expect(line.length).toBeLessThan(60);
    expect(line.endsWith('…')).toBe(true);
  });

  it('takes a terminal that reports no width (0 columns) as 80 wide', () => {
    // A pty opened without a window size (`script`, `ssh -t`, `docker run -t`) reports 0 columns.
    const tty = fakeTty(true, 0);
    const p = createProgress(tty, { env: {}, delayMs: 0 });
    const text = 'rules 2/25 (node-port-allocation) on 163,402 objects';
    p.update(text, true);
    expect(tty.chunks[0]).toBe(`${CLEAR}portchain: ${text}`);
    p.update('y'.repeat(500), true);
    expect((tty.chunks[1] ?? '').slice(CLEAR.length)).toHaveLength(79);
  });

  it('throttles rule updates but never a stage change', () => {
    const tty = fakeTty();
    const t = 5000;
    const p = createProgress(tty, { env: {}, now: () => t, delayMs: 0, intervalMs: 100 });
    p.onCheck({ stage: 'resolve', objects: 10 });
    for (let i = 0; i < 25; i++)
      p.onCheck({ stage: 'rule', objects: 10, rule: `r${i}`, index: i, total: 25 });
    p.onCheck({ stage: 'report', objects: 10, total: 25, findings: 0 });
    // Same instant: the stage changes are drawn, the 25 rule updates are not.
    expect(tty.chunks).toHaveLength(2);
  });

  it('draws nothing before the delay, so a quick run does not flicker', () => {
    const tty = fakeTty();
    let t = 0;
    const p = createProgress(tty, { env: {}, now: () => t, delayMs: 200 });
    p.onCheck({ stage: 'resolve', objects: 10 });
    p.done();
    expect(tty.chunks).toEqual([]);
    t = 250;
    p.onCheck({ stage: 'report', objects: 10, total: 25, findings: 0 });
    expect(tty.chunks).toHaveLength(1);
  });

  it('keeps a line already drawn current, delay or not, and counts in the singular too', () => {
    const tty = fakeTty();
    const t = 0;
    const p = createProgress(tty, { env: {}, now: () => t, delayMs: 200 });
    // A big input draws the loading line at once; the next stages follow it within the delay.
    p.onCheck({ stage: 'load', files: 1, bytes: 9 * 2 ** 20 });
    p.onCheck({ stage: 'resolve', objects: 1 });
    p.onCheck({ stage: 'report', objects: 1, total: 1, findings: 1 });
    p.step(() => 'drawing');
    expect(tty.chunks.map((c) => c.slice(CLEAR.length))).toEqual([
      'portchain: loading 1 file (9.0 MB)',
      'portchain: 1 object read; resolving Services, endpoints, ingress routes',
      'portchain: 1 finding from 1 rule on 1 object; writing the report',
      'portchain: drawing',
    ]);
  });

  it('writes nothing on a pipe or a file', () => {
    const pipe = fakeTty(false);
    const p = createProgress(pipe, { env: {}, delayMs: 0 });
    for (const e of events) p.onCheck(e);
    p.update('anything', true);
    p.done();
    expect(p.enabled).toBe(false);
    expect(pipe.chunks).toEqual([]);
  });

  it('writes nothing in CI, even on a terminal', () => {
    const tty = fakeTty();
    const p = createProgress(tty, { env: { CI: 'true' }, delayMs: 0 });
    for (const e of events) p.onCheck(e);
    p.done();
    expect(tty.chunks).toEqual([]);
    expect(isCi({ CI: '1' })).toBe(true);
    expect(isCi({ CI: 'false' })).toBe(false);
    expect(isCi({ CI: '' })).toBe(false);
    expect(isCi({})).toBe(false);
  });
});

describe('check reports its progress', () => {
  it('loads, resolves, runs every rule in order, then reports, with the same findings as without', async () => {
    const read = await readSources([join('examples', 'named-port')], Readable.from(['']));
    const seen: CheckProgress[] = [];
    const withProgress = check(read.sources, { onProgress: (e) => seen.push(e) }, read);
    const without = check(read.sources, {}, read);
    expect(withProgress.findings).toEqual(without.findings);
    // Small files: one `read` as each starts, no counts within them.
    expect(seen.map((e) => e.stage)).toEqual([
      'load',
      ...read.sources.map(() => 'read'),
      'resolve',
      ...registeredRules.map(() => 'rule'),
      'report',
    ]);
    const rules = seen.flatMap((e) => (e.stage === 'rule' ? [e.rule] : []));
    expect(rules).toEqual(registeredRules.map((r) => r.meta.id));
    const last = seen.at(-1);
    expect(last?.stage === 'report' && last.findings).toBe(without.findings.length);
    const resolve = seen.find((e) => e.stage === 'resolve');
    expect(resolve?.stage === 'resolve' && resolve.objects).toBe(without.summary.objects);
  });

  it('counts the objects read while streaming big files, file by file, in every streamed form', async () => {
    const items = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `${prefix}-${i}`, namespace: 'default' },
        data: { port: String(8000 + (i % 100)) },
      }));
    const list = (n: number, prefix: string) =>
      `apiVersion: v1\nitems:\n${items(n, prefix)
        .map(
          (o) =>
            `- apiVersion: v1\n  data:\n    port: "${o.data.port}"\n  kind: ConfigMap\n  metadata:\n    name: ${o.metadata.name}\n    namespace: default\n`,
        )
        .join('')}kind: List\nmetadata:\n  resourceVersion: ""\n`;
    const dir = tempTree({
      'a.yaml': list(2500, 'a'),
      'b.json': `${JSON.stringify({ apiVersion: 'v1', items: items(3000, 'b'), kind: 'List' }, null, 4)}\n`,
      'c.yaml': items(2100, 'c')
        .map((o) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${o.metadata.name}\n`)
        .join('---\n'),
    });
    const files = ['a.yaml', 'b.json', 'c.yaml'].map((f) => join(dir, f));
    // Streamed whatever their size (8 MiB and up by default).
    const read = await readSources(files, Readable.from(['']), { streamFrom: 0 });
    const seen: CheckProgress[] = [];
    const result = check(read.sources, { onProgress: (e) => seen.push(e) }, read);
    expect(result.summary.objects).toBe(7600);
    const reads = seen.flatMap((e) => (e.stage === 'read' ? [[e.file, e.objects]] : []));
    // Each file as it starts, then every 1,024 objects of a List, counted on from the files before. A stream
    // of documents is read in pieces of many documents: it tells once a piece takes it past each 1,024.
    expect(reads.slice(0, 7)).toEqual([
      [1, 0],
      [1, 1024],
      [1, 2048],
      [2, 2500],
      [2, 2500 + 1024],
      [2, 2500 + 2048],
      [3, 5500],
    ]);
    const documents = reads.slice(7);
    expect(documents.every(([file]) => file === 3)).toBe(true);
    // Each report passes at least one more multiple of 1,024, and the last has passed both (2,100 documents).
    const passed = documents.map(([, n]) => Math.floor(((n as number) - 5500) / 1024));
    expect(passed.length).toBeGreaterThan(0);
    expect(passed).toEqual([...new Set(passed)].sort((a, b) => a - b));
    expect(passed[0]).toBeGreaterThan(0);
    expect(passed.at(-1)).toBe(2);
    expect(Math.max(...documents.map(([, n]) => n as number))).toBeLessThanOrEqual(7600);
    expect(seen.findIndex((e) => e.stage === 'read')).toBe(1);
    expect(seen.at(reads.length + 1)?.stage).toBe('resolve');
    expect(check(read.sources, {}, read).findings).toEqual(result.findings);
  });
});

describe('portchain check on a terminal', () => {
  // Over 8 MiB of input: the loading line is drawn at once, whatever the speed of the machine.
  const big = () => {
    const service = readFileSync(join('examples', 'named-port', '1-broken-typo.yaml'), 'utf8');
    const dir = tempTree({});
    const file = join(dir, 'big.yaml');
    writeFileSync(file, `${service}\n${`# ${'x'.repeat(1000)}\n`.repeat(8600)}`);
    return file;
  };

  const run = async (
    progress: ProgressStream,
    env: NodeJS.ProcessEnv,
    args = ['check', big(), '--format', 'json', '--fail-on', 'never', '--no-config'],
  ) => {
    let stdout = '';
    let stderr = '';
    const code = await main(args, {
      stdout: (s) => {
        stdout += s;
      },
      stderr: (s) => {
        stderr += s;
      },
      stdin: Readable.from(['']),
      isTTY: false,
      env,
      progress,
    });
    return { code, stdout, stderr };
  };

  it('draws progress on the terminal stream and leaves the output clean', async () => {
    const tty = fakeTty();
    const r = await run(tty, {});
    expect(r.code).toBe(0);
    expect(tty.chunks.join('')).toContain('portchain: loading 1 file');
    expect(tty.chunks.at(-1)).toBe(CLEAR);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
    expect(r.stdout).not.toContain('\x1b');
  }, 60_000);

  it('says how much of stdin it has read while a pipe is slow, then clears the line before the report', async () => {
    const service = readFileSync(join('examples', 'named-port', '1-broken-typo.yaml'), 'utf8');
    const comment = `# ${'x'.repeat(2 ** 20 - 3)}\n`; // a MiB a chunk, arriving every 60 ms, as from kubectl
    async function* slowPipe() {
      yield service;
      for (let i = 0; i < 6; i++) {
        await new Promise((r) => setTimeout(r, 60));
        yield comment;
      }
    }
    const tty = fakeTty();
    let stdout = '';
    const code = await main(['check', '-', '--format', 'json', '--fail-on', 'never', '--no-config'], {
      stdout: (s) => {
        stdout += s;
      },
      stderr: () => {},
      stdin: Readable.from(slowPipe()),
      isTTY: false,
      env: {},
      progress: tty,
    });
    expect(code).toBe(0);
    const lines = tty.chunks.map((c) => c.slice(CLEAR.length));
    const reading = lines.filter((l) => l.startsWith('portchain: reading <stdin>: '));
    // Drawn once the 200 ms delay has passed, with what has arrived by then (more than the first chunk).
    expect(reading.length).toBeGreaterThan(0);
    const mb = reading.map((l) => Number(l.slice('portchain: reading <stdin>: '.length, -' MB'.length)));
    expect(mb.every((n) => n >= 2 && n <= 6.1)).toBe(true);
    expect(mb).toEqual([...mb].sort((a, b) => a - b));
    expect(tty.chunks.at(-1)).toBe(CLEAR);
    expect(JSON.parse(stdout).findings.length).toBeGreaterThan(0);
  }, 60_000);

  it.runIf(hasCommand('script'))(
    'draws the whole line on a real pty that reports no width',
    () => {
      // script(1) runs the launcher on a pty of its own, opened without a window size: 0 columns.
      const file = big();
      const launcher = join(repoRoot, 'bin', 'portchain');
      const command = `${process.execPath} ${launcher} check ${file} --format json --fail-on never --no-config > /dev/null`;
      const r = spawnSync('script', ['-qec', command, '/dev/null'], {
        encoding: 'utf8',
        env: { ...process.env, CI: '' },
      });
      expect(r.status).toBe(0);
      const lines = r.stdout.split(CLEAR).map((l) => l.trim());
      expect(lines).toContain('portchain: loading 1 file (8.2 MB)');
    },
    60_000,
  );

  it('graph says it is drawing once the check is done, then clears the line', async () => {
    const tty = fakeTty();
    const r = await run(tty, {}, ['graph', big(), '--format', 'json', '--no-config']);
    expect(r.code).toBe(0);
    const lines = tty.chunks.map((c) => c.slice(CLEAR.length));
    const loading = lines.findIndex((l) => l.startsWith('portchain: loading 1 file'));
    const drawing = lines.indexOf('portchain: 3 objects checked; drawing the topology (json)');
    expect(loading).toBeGreaterThanOrEqual(0);
    expect(drawing).toBeGreaterThan(loading);
    expect(tty.chunks.at(-1)).toBe(CLEAR);
    expect(JSON.parse(r.stdout).nodes.length).toBeGreaterThan(0);
  }, 60_000);

  it('ui draws it for its first load, and clears it before saying where it serves', () => {
    // In a Node of its own (from dist/): ui runs until SIGINT, sent here once it says it is serving.
    const script = `
const { main } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/cli/main.js')).href)});
const out = [];
const note = (stream) => (s) => {
  out.push([stream, s]);
  if (s.startsWith('portchain ui: serving')) setImmediate(() => process.emit('SIGINT'));
};
const progress = { isTTY: true, columns: 200, write: note('tty') };
const code = await main(JSON.parse(process.argv[1]), {
  stdout: note('stdout'), stderr: note('stderr'), stdin: process.stdin, isTTY: false, env: {}, progress,
});
process.stdout.write(JSON.stringify({ code, out }));
`;
    const args = ['ui', big(), '--no-open', '--no-config', '--port', '0'];
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(args)], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    const { code, out } = JSON.parse(r.stdout) as { code: number; out: [string, string][] };
    expect(code).toBe(0);
    const texts = out.map(([stream, s]) => `${stream}: ${s.replace(CLEAR, '')}`);
    const drawing = texts.indexOf('tty: portchain: 3 objects checked; drawing the topology (the page)');
    const serving = texts.findIndex((t) => t.startsWith('stdout: portchain ui: serving http://127.0.0.1:'));
    expect(texts[0]).toMatch(/^tty: portchain: loading 1 file/);
    expect(drawing).toBeGreaterThan(0);
    // Cleared (an empty line) after the drawing and before the address, which is printed once.
    expect(texts.slice(drawing + 1, serving)).toEqual(['tty: ']);
    expect(texts.filter((t) => t.startsWith('tty:')).at(-1)).toBe('tty: ');
  }, 60_000);

  it('draws nothing when stderr is not a terminal', async () => {
    const pipe = fakeTty(false);
    const r = await run(pipe, {});
    expect(r.code).toBe(0);
    expect(pipe.chunks).toEqual([]);
  }, 60_000);
});
