/**
 * The HTML report (`check --format html`) and the SVG drawing (`graph --format svg`) in a real browser
 * (playwright-core driving /usr/bin/chromium; skipped, saying so, when it is missing), made from manifests whose
 * names and values are markup: `<script>` in a selector label, an annotation, an Ingress host, a port name, an
 * object name, an image. Every payload sets a window flag if it ever runs; the flag must stay unset, no element
 * may come from the payloads, and the text must be shown literally.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_CHROMIUM, launchChromium, warnWithoutChromium } from './helpers/chromium.js';
import { runCli } from './helpers/cli.js';

warnWithoutChromium('security-browser');

/** Each payload, if it ever runs or becomes an element, sets window.__pwned to its number. */
const P = {
  label: '<script>window.__pwned=1</script>',
  annotation: '<img src=x onerror="window.__pwned=2">',
  host: '<script>window.__pwned=3</script>.example.com',
  portName: '<svg onload="window.__pwned=4">',
  name: '</title><script>window.__pwned=5</script>',
  image: 'nginx"><script>window.__pwned=6</script>',
  path: '/"><iframe src="javascript:window.top.__pwned=7">',
  namespace: "'--><script>window.__pwned=8</script>",
};

const yamlString = (s: string) => JSON.stringify(s);
const HOSTILE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${yamlString(P.namespace)}
  annotations:
    note: ${yamlString(P.annotation)}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {note: ${yamlString(P.annotation)}}
    spec:
      containers:
      - name: web
        image: ${yamlString(P.image)}
        ports: [{name: ${yamlString(P.portName)}, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata:
  name: ${yamlString(P.name)}
  namespace: ${yamlString(P.namespace)}
  annotations: {note: ${yamlString(P.annotation)}}
spec:
  selector: {app: ${yamlString(P.label)}}
  ports: [{name: ${yamlString(P.portName)}, port: 80, targetPort: ${yamlString(P.portName)}}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  rules:
  - host: ${yamlString(P.host)}
    http:
      paths:
      - {path: ${yamlString(P.path)}, pathType: Prefix, backend: {service: {name: ${yamlString(P.name)}, port: {name: ${yamlString(P.portName)}}}}}
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`;

let context: BrowserContext;
const dir = mkdtempSync(join(tmpdir(), 'portchain-security-browser-'));

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  context = await launchChromium(join(dir, 'profile'));
}, 60_000);
afterAll(async () => {
  await context?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a generated file; returns the flag, the elements the payloads would create, the text, and dialogs. */
async function inspect(file: string) {
  const page = await context.newPage();
  const dialogs: string[] = [];
  const requests: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url());
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await page.waitForTimeout(300); // give an injected onerror/onload a chance to run
  // A string expression: this file is typed for Node (no DOM lib); it runs in the page.
  const result = (await page.evaluate(`({
    pwned: window.__pwned ?? null,
    scripts: document.querySelectorAll('script').length,
    injected: document.querySelectorAll('img, iframe, [onload], [onerror]').length,
    text: document.documentElement.textContent ?? '',
  })`)) as { pwned: number | null; scripts: number; injected: number; text: string };
  await page.close();
  return { ...result, dialogs, requests };
}

describe.skipIf(!HAVE_CHROMIUM)('hostile names and values in a real browser', () => {
  const input = join(dir, 'hostile.yaml');
  writeFileSync(input, HOSTILE);

  it('the harness sees a payload that does run (control: the same payloads unescaped)', async () => {
    const file = join(dir, 'control.html');
    writeFileSync(file, `<!DOCTYPE html><html><body>${P.label}${P.annotation}</body></html>`);
    const page = await inspect(file);
    expect(page.pwned).not.toBeNull();
    expect(page.scripts).toBe(1);
  }, 60_000);

  it('check --format html: no payload runs, none becomes an element, the text is shown literally', async () => {
    const r = await runCli(['check', input, '--no-config', '--format', 'html']);
    expect(r.stderr).not.toContain('internal error');
    const file = join(dir, 'report.html');
    writeFileSync(file, r.stdout);
    const page = await inspect(file);
    expect(page.pwned).toBeNull();
    expect(page.dialogs).toEqual([]);
    expect(page.requests).toEqual([]);
    expect(page.scripts).toBe(0); // the report carries no script at all
    expect(page.injected).toBe(0);
    // The payloads the findings and the drawing quote appear as text.
    for (const p of [P.label, P.name, P.portName]) expect(page.text).toContain(p);
  }, 60_000);

  it('graph --format svg: no payload runs, none becomes an element, the text is shown literally', async () => {
    const r = await runCli(['graph', input, '--no-config', '--format', 'svg', '--group', 'none']);
    expect(r.stderr).not.toContain('internal error');
    const file = join(dir, 'graph.svg');
    writeFileSync(file, r.stdout);
    const page = await inspect(file);
    expect(page.pwned).toBeNull();
    expect(page.dialogs).toEqual([]);
    expect(page.requests).toEqual([]);
    expect(page.scripts).toBe(0);
    expect(page.injected).toBe(0);
    expect(page.text).toContain(P.portName);
    expect(page.text).toContain(P.host);
  }, 60_000);

  it('the same payloads as bare strings: the escaping is not an accident of one field', async () => {
    // Every payload as a Service name: the API server rejects them, and the messages quote each one.
    const docs = Object.values(P).map(
      (p, i) =>
        `---\napiVersion: v1\nkind: Service\nmetadata: {name: ${yamlString(p)}, namespace: n${i}}\nspec:\n  ports: [{port: 80, name: ${yamlString(p)}}]\n`,
    );
    const file = join(dir, 'names.yaml');
    writeFileSync(file, docs.join(''));
    const r = await runCli(['check', file, '--no-config', '--format', 'html']);
    const html = join(dir, 'names.html');
    writeFileSync(html, r.stdout);
    const page = await inspect(html);
    expect(page.pwned).toBeNull();
    expect(page.scripts).toBe(0);
    expect(page.injected).toBe(0);
    for (const p of Object.values(P)) expect(page.text).toContain(p);
  }, 60_000);
});
