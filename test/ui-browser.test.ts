/**
 * `portchain ui` in a real browser: playwright-core drives Debian's chromium (/usr/bin/chromium; the tests are
 * skipped, saying so, when it is missing). The page must draw the nodes, the port labels and the broken links
 * (red, dashed, marked ✖), trace a Service on click and highlight its path with the verdict, move the focus with
 * the keyboard, render hostile names as text, reload when a manifest changes, and stay usable on a large input
 * (folded, broken elements kept). Screenshots go to test-output/ui/; UPDATE_UI_SCREENSHOT=1 also writes docs/ui.png.
 * Needs the build (dist/ and dist/web/): `npm run build`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { largeManifests } from '../bench/ui/generate.js';
import { check } from '../src/check.js';
import type { SourceText } from '../src/model/load.js';
import { readSources } from '../src/sources/files.js';
import { startUiServer, type UiServer } from '../src/ui/server.js';
import { HAVE_CHROMIUM, launchChromium, warnWithoutChromium } from './helpers/chromium.js';
import { repoRoot } from './helpers/shared.js';

const OUT = join(repoRoot, 'test-output', 'ui');
const STATIC = join(repoRoot, 'dist', 'web');

warnWithoutChromium('ui-browser');

let context: BrowserContext;
let servers: UiServer[] = [];
let children: ChildProcess[] = [];

const launch = (): Promise<BrowserContext> =>
  launchChromium(mkdtempSync(join(tmpdir(), 'portchain-ui-chromium-')), { width: 1600, height: 1000 });

async function serveFiles(paths: string[], watch = false): Promise<UiServer> {
  const s = await startUiServer({
    load: async () => {
      const read = await readSources(paths, process.stdin);
      const r = check(read.sources, {}, read);
      return { graph: r.graph, findings: r.findings };
    },
    staticDir: STATIC,
    ...(watch ? { watch: paths } : {}),
  });
  servers.push(s);
  return s;
}

/** Opens the page; fails the test on any script error or request that leaves the server. */
async function open(url: string, readyTimeout = 60_000): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  const origin = new URL(url).origin;
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:'))
      errors.push(`external request ${r.url()}`);
  });
  await page.goto(url);
  await page.waitForSelector('.app[data-ready="true"]', { timeout: readyTimeout });
  return { page, errors };
}

/** `portchain ui ARGS` from dist; resolves with the URL it prints. */
function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/portchain'), 'ui', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  children.push(child);
  let out = '';
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no URL printed: ${out}`)), 60_000);
    const read = (c: Buffer) => {
      out += c.toString();
      const m = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        done({ child, url: m[1] as string, output: () => out });
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => fail(new Error(`portchain ui exited ${code}: ${out}`)));
  });
}

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  if (!existsSync(join(STATIC, 'index.html')) || !existsSync(join(repoRoot, 'dist/cli/ui.js')))
    throw new Error('the build is missing: run `npm run build` first (dist/ and dist/web/)');
  mkdirSync(OUT, { recursive: true });
  context = await launch();
}, 60_000);

afterEach(async () => {
  for (const p of context?.pages() ?? []) await p.close();
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  children = [];
});

afterAll(async () => {
  await context?.close();
});

describe.skipIf(!HAVE_CHROMIUM)('portchain ui in chromium', () => {
  it('draws examples/ with port labels and broken links, traces on click, moves with the keyboard', async () => {
    const cli = await startCli(['examples/', '--no-open', '--port', '0']);
    const { page, errors } = await open(cli.url);

    // Nodes and their accessible names.
    expect(await page.locator('g.node').count()).toBeGreaterThan(20);
    const svc = page.locator('g.node[data-id="service/named-port/web"]');
    expect(await svc.getAttribute('aria-label')).toMatch(
      /^Service: Service web in namespace named-port; http 80\/TCP -> http-web/,
    );
    expect(await svc.getAttribute('role')).toBe('button');

    // Port numbers and names on the links.
    const labels = await page.locator('g.edge .label text').allTextContents();
    expect(labels).toContain(':80 -> http-web(8080)/TCP ×2');
    expect(labels.some((l) => /^8080\/TCP/.test(l))).toBe(true);
    expect(labels.some((l) => l.includes(':8080/TCP'))).toBe(true);
    expect(await page.locator('g.edge[aria-label]').count()).toBe(await page.locator('g.edge').count());

    // A broken link: red, dashed, marked ✖ and named broken (colour is not the only signal).
    const broken = page.locator('g.edge.broken.error');
    expect(await broken.count()).toBeGreaterThan(0);
    const typo = page.locator('g.edge[data-id^="endpoint:service/named-port-broken-typo/web"]').first();
    expect(await typo.getAttribute('class')).toMatch(/broken error/);
    // Page-side code reaches the DOM through globalThis: this file is type-checked without the DOM library.
    const style = await typo.locator('path.line').evaluate((el: unknown) => {
      const css = (
        globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }
      ).getComputedStyle(el);
      return { stroke: css.stroke, dash: css.strokeDasharray };
    });
    expect(style.stroke).toBe('rgb(198, 40, 40)');
    expect(style.dash).not.toBe('none');
    expect(await typo.locator('.label text').first().textContent()).toMatch(/^✖ :80 -> httpweb\(\?\)\/TCP/);
    expect(await typo.getAttribute('aria-label')).toMatch(/broken \(error\): .*httpweb/);
    expect(await typo.locator('title').textContent()).toMatch(/target-port-name-unresolved/);
    await page.screenshot({ path: join(OUT, 'examples.png') });

    // The finding on click: message, rule, file:line, fix.
    await typo.locator('path.hit').click({ force: true });
    const finding = page.locator('.panel li.finding.error').first();
    await finding.waitFor();
    expect(await finding.locator('.rule').textContent()).toBe('target-port-name-unresolved');
    expect(await finding.locator('.loc').textContent()).toMatch(
      /^examples\/named-port\/1-broken-typo\.yaml:\d+:\d+$/,
    );
    expect(await finding.locator('.fix').count()).toBe(1);

    // Click a Service: the trace runs, its path is highlighted, the verdict is shown.
    await svc.click();
    await page.waitForSelector('.verdict');
    expect((await page.locator('.verdict').textContent())?.trim()).toBe('✔ delivered');
    expect(await svc.getAttribute('class')).toMatch(/traced/);
    expect(
      await page.locator('g.node.traced[data-id="container/named-port/Deployment/web/nginx"]').count(),
    ).toBe(1);
    const traced = await page
      .locator('g.edge.traced')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    expect(traced.some((id) => id?.startsWith('endpoint:service/named-port/web#ports[0]'))).toBe(true);
    expect(traced.some((id) => id?.startsWith('container:workload/named-port/Deployment/web'))).toBe(true);
    expect(traced.every((id) => id?.includes('/named-port/'))).toBe(true);
    await page.locator('g.node[data-id="service/named-port/web"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(OUT, 'trace.png') });

    // Click an Ingress path: the request goes through the route to the Service port and on to the process.
    const route = page.locator('g.row[data-port="ingress/port-from-configmap/books#rules[0].paths[0]"]');
    await route.scrollIntoViewIfNeeded();
    await route.click();
    await page.locator('.trace h3 code', { hasText: 'http://books.example.com/' }).waitFor();
    expect((await page.locator('.verdict').textContent())?.trim()).toBe('✔ delivered');
    expect(await route.getAttribute('class')).toMatch(/traced/);
    expect(
      await page
        .locator('g.edge.traced[data-id^="route:ingress/port-from-configmap/books#rules[0].paths[0]"]')
        .count(),
    ).toBe(1);
    expect(
      await page
        .locator('g.node.traced[data-id="container/port-from-configmap/Deployment/books/audiobookshelf"]')
        .count(),
    ).toBe(1);
    await page.screenshot({ path: join(OUT, 'ingress-trace.png') });
    if (process.env.UPDATE_UI_SCREENSHOT)
      copyFileSync(join(OUT, 'ingress-trace.png'), join(repoRoot, 'docs', 'ui.png'));

    // A broken Service: the verdict says so, and where.
    await page.locator('g.node[data-id="service/named-port-broken-typo/web"]').click();
    await page.locator('.verdict:not([data-verdict="delivered"])').waitFor();
    expect(await page.locator('.verdict').textContent()).toMatch(/^✖ /);
    expect(await page.locator('.broken-at').textContent()).toMatch(/breaks at/);

    // Keyboard: Escape closes, Tab and arrows move between nodes, Enter opens.
    await page.keyboard.press('Escape');
    await page.waitForSelector('.verdict', { state: 'detached' });
    const focused = () => page.locator(':focus').getAttribute('data-id');
    await svc.focus();
    await expect.poll(focused).toBe('service/named-port/web');
    await page.keyboard.press('ArrowRight');
    await expect.poll(focused).toBe('workload/named-port/Deployment/web');
    await page.keyboard.press('ArrowRight');
    await expect.poll(focused).toBe('container/named-port/Deployment/web/nginx');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(focused).toBe('workload/named-port/Deployment/web');
    await page.keyboard.press('Tab');
    const next = await focused();
    expect(next).not.toBeNull();
    expect(next).not.toBe('workload/named-port/Deployment/web');
    const ring = await page.locator(':focus .focus-ring').evaluate((el: unknown) => {
      const css = (
        globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }
      ).getComputedStyle(el);
      return css.stroke;
    });
    expect(ring).not.toBe('none');
    await svc.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('.verdict');
    expect(await page.locator('.panel h2').first().textContent()).toMatch(/^Service web/);
    await page.keyboard.press('Escape');
    await page.waitForSelector('.verdict', { state: 'detached' });
    await expect.poll(focused).toBe('service/named-port/web');

    // Filters and search.
    await page.locator('select').first().selectOption('named-port');
    await page.locator('g.namespace').nth(1).waitFor({ state: 'detached' });
    expect(await page.locator('g.node').count()).toBe(3);
    await page.locator('select').first().selectOption('');
    await page.locator('select').nth(1).selectOption('error');
    await page.locator('g.node[data-id="service/named-port/web"]').waitFor({ state: 'detached' });
    expect(await page.locator('g.edge.broken').count()).toBeGreaterThan(0);
    await page.locator('select').nth(1).selectOption('all');
    await page.locator('input[type="search"]').fill('audiobookshelf');
    await page.waitForSelector('g.node.match');
    expect(await page.locator('g.node.match').first().getAttribute('data-id')).toMatch(/audiobookshelf$/);

    expect(errors).toEqual([]);
    cli.child.kill('SIGTERM');
    const code = await new Promise<number | null>((done) => cli.child.once('exit', done));
    expect(code).toBe(0);
    expect(cli.output()).toMatch(/portchain ui: stopped/);
  }, 240_000);

  it('renders hostile names, hosts and annotations as text, never as markup', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portchain-ui-hostile-'));
    const x = (n: number) => `<img src=x onerror="window.__pwned=${n}"><script>window.__pwned=${n}</script>`;
    writeFileSync(
      join(dir, 'hostile.yaml'),
      `apiVersion: v1
kind: Service
metadata:
  name: evil
  namespace: hostile
  annotations: {note: '${x(1)}'}
spec:
  selector: {app: '${x(2)}'}
  ports: [{name: http, port: 80, targetPort: '${x(3)}'}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: evil, namespace: hostile}
spec:
  rules:
  - host: '${x(4)}.example.com'
    http:
      paths:
      - {path: '/${x(5)}', pathType: Prefix, backend: {service: {name: evil, port: {number: 80}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: evil, namespace: hostile}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: '${x(6)}'
        ports: [{name: http, containerPort: 8080}]
`,
    );
    const s = await serveFiles([dir]);
    const { page, errors } = await open(s.url);
    const text = (await page.locator('svg.diagram').textContent()) ?? '';
    expect(text).toContain('<img src=x onerror="window.__pwned=');
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    // Open every node's panel (findings quote the hostile values) and trace the Service.
    for (const id of await page
      .locator('g.node')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))) {
      await page.locator(`g.node[data-id="${id}"]`).click();
    }
    await page.locator('g.node[data-id="service/hostile/evil"]').click();
    await page.waitForSelector('.verdict');
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('img, script:not([src]), svg script').count()).toBe(0);
    await page.screenshot({ path: join(OUT, 'hostile.png') });
    expect(errors).toEqual([]);
  }, 120_000);

  it('reloads when a manifest changes (Server-Sent Events)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portchain-ui-reload-'));
    cpSync(join(repoRoot, 'examples/named-port/0-sound.yaml'), join(dir, 'app.yaml'));
    const s = await serveFiles([dir], true);
    const { page, errors } = await open(s.url);
    expect(await page.locator('.app').getAttribute('data-version')).toBe('1');
    expect(await page.locator('g.edge.broken').count()).toBe(0);
    // The event stream is open before the edit.
    await page.waitForSelector('body[data-events="open"]');
    const file = join(dir, 'app.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^(\s+targetPort: )http-web$/m, '$1http-wbe'));
    await page.waitForSelector('.app[data-version="2"]', { timeout: 30_000 });
    await page.waitForSelector('g.edge.broken.error', { timeout: 30_000 });
    expect(await page.locator('g.edge.broken .label text').first().textContent()).toMatch(/http-wbe\(\?\)/);
    expect(await page.locator('.status').textContent()).toMatch(/reloaded/);
    expect(errors).toEqual([]);
  }, 120_000);

  it('folds a large input (3,000 Services, 10,000 pods) and keeps the broken elements drawn', async () => {
    const text = largeManifests({ services: 3000, pods: 10_000, broken: 3 });
    const source: SourceText = { name: 'large.yaml', text };
    const r = check([source]);
    expect(r.summary.errors).toBe(3);
    const s = await startUiServer({
      load: async () => ({ graph: r.graph, findings: r.findings }),
      staticDir: STATIC,
    });
    servers.push(s);
    const { page, errors } = await open(s.url, 240_000);
    const drawn = await page.locator('g.node').count();
    expect(drawn).toBeGreaterThan(0);
    expect(drawn).toBeLessThan(400);
    expect(await page.locator('.status').textContent()).toMatch(/of 9000 nodes drawn .*folded/);
    // The three broken Services, their red links, and one node for the sound namespaces.
    for (const ns of ['team-0000', 'team-0001', 'team-0002'])
      expect(
        await page.locator(`g.node[data-id="service/${ns}/app-${Number(ns.slice(5)) * 10}"]`).count(),
      ).toBe(1);
    expect(await page.locator('g.edge.broken.error').count()).toBe(3);
    const folded = page.locator('g.node.kind-summary');
    expect(await folded.count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(OUT, 'large.png') });
    // Expanding: the node for every sound namespace lists them; one is drawn on click.
    await page.locator('g.node[data-id="summary/namespaces"]').click();
    await page.locator('button[data-namespace="team-0100"]').click();
    await page.waitForSelector('g.node[data-id="service/team-0100/app-1000"]', { timeout: 240_000 });
    expect(await page.locator('g.edge.broken.error').count()).toBe(3);
    expect(errors).toEqual([]);
  }, 600_000);
});
