/**
 * `portchain trace`, the engine: one request followed through the resolved graph, hop by hop, from the client
 * to the port the process binds, with a verdict. Pure: the caller runs `check()` and passes its graph and
 * findings (the findings are attached to the links they belong to).
 */
import type { Finding } from '../model/finding.js';
import type { ResolvedGraph } from '../semantics/graph.js';
import { TraceBuilder } from './builder.js';
import { TraceContext, type TraceOptions } from './context.js';
import { traceUrl } from './ingress.js';
import type { TraceResult } from './model.js';
import { traceIp, traceLoadBalancer, traceNodePort, traceService } from './service.js';
import { TargetError, type TraceTarget } from './target.js';

export interface TraceInput extends TraceOptions {
  readonly target: TraceTarget;
}

/**
 * Traces `input.target` through `graph`. Throws TargetError when the request itself cannot be made (a URL
 * over UDP, a Service port left ambiguous, a `--from` pod or node that is not in the input).
 */
export function traceRequest(
  graph: ResolvedGraph,
  findings: readonly Finding[],
  input: TraceInput,
): TraceResult {
  const t = input.target;
  if (t.kind === 'url' && input.protocol !== 'TCP')
    throw new TargetError(
      `${t.raw}: HTTP runs over TCP; --protocol ${input.protocol.toLowerCase()} does not apply`,
    );
  const ctx = new TraceContext(graph, findings, input);
  const out = new TraceBuilder({
    target: t.raw,
    kind: t.kind,
    protocol: input.protocol,
    ...(t.kind === 'url'
      ? { url: { scheme: t.scheme, host: t.host, path: t.path }, ingressClass: input.ingressClass }
      : {}),
  });
  switch (t.kind) {
    case 'url':
      traceUrl(ctx, out, t);
      break;
    case 'service':
      traceService(ctx, out, t);
      break;
    case 'ip':
      traceIp(ctx, out, t);
      break;
    case 'node-port':
      traceNodePort(ctx, out, t);
      break;
    case 'load-balancer':
      traceLoadBalancer(ctx, out, t);
      break;
  }
  return out.finish(findings);
}
