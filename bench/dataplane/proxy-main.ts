/**
 * The proxy process of the data-plane benchmark: portchain's kube-proxy (userspace or kernel mode, through
 * startProxy) and, optionally, its ingress controller, as `portchain up` runs them, in a process of its own.
 * Argument: a JSON BenchProxySpec. Prints `ready` once listening; exits when stdin closes.
 */
import { readFileSync } from 'node:fs';
import { loadText, type Manifest } from '../../src/model/load.js';
import { startIngressController } from '../../src/runtime/ingress-controller.js';
import type { ClusterPlan } from '../../src/runtime/plan.js';
import { type ProxyMode, startProxy } from '../../src/runtime/proxy-mode.js';
import { ingressRoutes } from '../../src/semantics/ingress.js';

export interface BenchProxySpec {
  readonly mode: ProxyMode;
  readonly plan: ClusterPlan;
  /** An Ingress YAML file and where the controller listens; the backends are the named Services' endpoints. */
  readonly ingress?: { readonly file: string; readonly host: string; readonly port: number };
}

const spec = JSON.parse(process.argv[2] ?? '{}') as BenchProxySpec;
const proxy = await startProxy(spec.mode, spec.plan, { shuffle: (l) => [...l] });
const closers: (() => Promise<void>)[] = [() => proxy.close()];
if (spec.ingress) {
  // The plain reader (the yaml library): this benchmark is about the data plane, not about parsing.
  const ingresses = loadText(
    { name: spec.ingress.file, text: readFileSync(spec.ingress.file, 'utf8') },
    { reader: 'plain' },
  ).manifests as Manifest<'Ingress'>[];
  const table = ingressRoutes(ingresses);
  const controller = await startIngressController(
    {
      routes: () => table,
      endpoints: (_ns, backend) => {
        const svc = spec.plan.services.find((s) => s.name === backend.service?.name);
        const port = svc?.ports[0];
        if (!svc || !port) return { status: 'unresolved', detail: 'no such Service' };
        return {
          status: 'ok',
          service: svc.name,
          targets: port.endpoints.map((e) => ({ ip: e.ip, port: e.dialPort })),
        };
      },
    },
    { host: spec.ingress.host, port: spec.ingress.port },
  );
  closers.push(() => controller.close());
}
if (proxy.problems.length > 0) process.stderr.write(`${proxy.problems.join('\n')}\n`);
process.stdout.write('ready\n');
const stop = async (): Promise<void> => {
  for (const c of closers) await c();
  process.exit(0);
};
process.stdin.resume();
process.stdin.on('end', () => void stop());
process.on('SIGTERM', () => void stop());
