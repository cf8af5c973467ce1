/**
 * The reference the targets are stated against, run as its own process: the `yaml` library parsing the same
 * files (parseAllDocuments + toJS on every document) or JSON.parse for the JSON form. Prints one JSON line:
 * seconds spent parsing (reading the file excluded), bytes, and this process's peak RSS.
 *
 * Usage: node --max-old-space-size=16384 bench-dist/bench/static/baseline.js yaml|json FILE...
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const [mode, ...files] = process.argv.slice(2);
if ((mode !== 'yaml' && mode !== 'json') || files.length === 0) {
  process.stderr.write('usage: baseline.js yaml|json FILE...\n');
  process.exit(2);
}
const gc = (globalThis as { gc?: () => void }).gc;
let seconds = 0;
let cpuSeconds = 0;
let bytes = 0;
let documents = 0;
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  bytes += Buffer.byteLength(text);
  const t = performance.now();
  const c = process.cpuUsage();
  if (mode === 'json') {
    JSON.parse(text);
    documents++;
  } else {
    for (const doc of parseAllDocuments(text)) {
      doc.toJS();
      documents++;
    }
  }
  seconds += (performance.now() - t) / 1000;
  const used = process.cpuUsage(c);
  cpuSeconds += (used.user + used.system) / 1e6;
  gc?.();
}
process.stdout.write(
  `${JSON.stringify({ mode, seconds, cpuSeconds, bytes, documents, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
);
