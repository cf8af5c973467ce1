/**
 * Runs the portchain CLI in this process and, when it is done, writes its wall time and peak RSS
 * (process.resourceUsage) to the file named by PORTCHAIN_BENCH_USAGE: the fallback where /usr/bin/time is
 * missing. Usage: node bench-dist/bench/static/measure.js <portchain args...>
 */
import { writeFileSync } from 'node:fs';
import { main } from '../../src/cli/main.js';

const t = performance.now();
const code = await main(process.argv.slice(2));
const out = process.env.PORTCHAIN_BENCH_USAGE;
if (out) {
  writeFileSync(
    out,
    JSON.stringify({
      wall: (performance.now() - t) / 1000,
      cpu: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6,
      maxRssKB: process.resourceUsage().maxRSS,
      code,
    }),
  );
}
process.exitCode = code;
