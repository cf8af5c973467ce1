/**
 * What every part of a trace reads besides the graph: which objects the API server rejects (they do not exist,
 * so nothing routes through them), pods by name, the nodes, and who the client is.
 */
import type { Finding } from '../model/finding.js';
import type { Manifest } from '../model/load.js';
import type { Labels, Protocol, ServicePort } from '../model/types.js';
import { RejectedObjects } from '../rules/rejection.js';
import type { ResolvedGraph, ServiceView } from '../semantics/graph.js';
import type { IngressBackendEnv } from '../semantics/ingress.js';
import type { PolicyPeer } from '../semantics/network-policy.js';
import type { PodInstance } from '../semantics/workloads.js';
import { type EndpointInfo, endpointsOf } from './slices.js';
import { TargetError, type TraceSource } from './target.js';

/** The namespace the ingress controller runs in when none is configured (ingress-nginx's own). */
export const DEFAULT_INGRESS_NAMESPACE = 'ingress-nginx';

/** Who opens the connection, as NetworkPolicy and kube-proxy see it. */
export interface Client {
  /** `external`, `pod ns/name (node-1)`, `a pod of namespace ns`. */
  readonly label: string;
  readonly inCluster: boolean;
  /** The peer a destination pod's ingress policies see. */
  readonly peer: PolicyPeer;
  /** The source pod, for its egress policies and its node. */
  readonly pod: PodInstance | null;
  readonly node: string | null;
  /** The peer's pod labels are not known (a namespace, a default, a controller not in the input). */
  readonly labelsUnknown: boolean;
}

export interface TraceOptions {
  readonly protocol: Protocol;
  readonly from: TraceSource | null;
  readonly ingressClass: string | null;
  /** The namespace of objects and targets that name none. */
  readonly defaultNamespace: string;
}

export class TraceContext {
  private readonly rejectedObjects: RejectedObjects;
  private readonly podsByName = new Map<string, PodInstance>();
  readonly policies: readonly Manifest<'NetworkPolicy'>[];
  readonly ingressNamespace: string;

  constructor(
    readonly graph: ResolvedGraph,
    readonly findings: readonly Finding[],
    readonly options: TraceOptions,
  ) {
    this.rejectedObjects = new RejectedObjects(findings);
    for (const p of graph.pods) this.podsByName.set(`${p.namespace}/${p.name}`, p);
    this.policies = graph.ofKind('NetworkPolicy');
    this.ingressNamespace = graph.options.ingressNamespace || DEFAULT_INGRESS_NAMESPACE;
  }

  /** The API server's reasons to reject `m`; undefined when it accepts it. */
  rejected(m: Manifest): readonly Finding[] | undefined {
    return this.rejectedObjects.reasons(m);
  }

  /** One sentence: the object is rejected, and the first reason. */
  rejectionText(m: Manifest): string | undefined {
    const r = this.rejected(m);
    if (!r) return undefined;
    return `the API server rejects ${m.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name}, so it does not exist: ${r[0]?.message ?? ''}`;
  }

  pod(namespace: string, name: string): PodInstance | undefined {
    return this.podsByName.get(`${namespace}/${name}`);
  }

  /** The nodes traffic may enter: the configured ones, else those the pods run on. */
  nodes(): string[] {
    if (this.graph.options.nodes && this.graph.options.nodes.length > 0) return [...this.graph.options.nodes];
    const seen = new Set<string>();
    for (const p of this.graph.pods) if (p.pod.spec.nodeName) seen.add(p.pod.spec.nodeName);
    return seen.size > 0 ? [...seen].sort() : ['node-1'];
  }

  /** Ingress backends as the controller sees them: a rejected Service does not exist. */
  readonly ingressEnv: IngressBackendEnv = {
    service: (ns, name) => {
      const svc = this.graph.ingressEnv.service(ns, name);
      return svc && !this.rejected(svc) ? svc : undefined;
    },
    readyEndpoints: (svc, index) => {
      const view = this.graph.service(svc.namespace, svc.name);
      const sp = svc.object.spec.ports?.[index];
      if (!view || !sp) return 0;
      return this.endpoints(view, sp).filter((e) => e.ready && !this.podGone(e.pod)).length;
    },
  };

  /** The endpoints of a Service port (see endpointsOf). */
  endpoints(view: ServiceView, sp: ServicePort | null): EndpointInfo[] {
    return endpointsOf(view, sp, (ns, name) => this.pod(ns, name));
  }

  /** A pod whose workload (or itself) the API server rejects: it never runs. */
  podGone(p: PodInstance | null): boolean {
    return !!p && !!this.rejected(p.owner);
  }

  /** A pod peer: its labels and namespace labels as policies see them. */
  podPeer(p: PodInstance): PolicyPeer {
    const ip = p.pod.status?.podIP;
    return {
      kind: 'pod',
      namespace: p.namespace,
      labels: p.pod.metadata.labels ?? {},
      namespaceLabels: this.graph.namespaceLabels(p.namespace),
      ...(ip ? { ip } : {}),
      podSpec: p.pod.spec,
    };
  }

  /** A pod of `namespace` whose labels are not known. */
  anyPodOf(namespace: string, labels: Labels = {}): PolicyPeer {
    return { kind: 'pod', namespace, labels, namespaceLabels: this.graph.namespaceLabels(namespace) };
  }

  /**
   * The client of a trace: `--from`, else the default for the target (`external` for URLs, node ports and
   * load balancers; a pod of the Service's namespace for Service addresses).
   */
  client(defaultNamespace: string | null): Client {
    const from = this.options.from;
    if (from?.kind === 'pod') {
      const ns = from.namespace ?? this.options.defaultNamespace;
      const pods = this.graph.podIndex.inNamespace(ns);
      const pod = pods.find((p) => p.name === from.name) ?? pods.find((p) => p.owner.name === from.name);
      if (!pod) {
        const names = [...new Set(pods.map((p) => (p.synthesized ? p.owner.name : p.name)))].slice(0, 8);
        throw new TargetError(
          `--from pod/${from.name}${from.namespace ? `.${from.namespace}` : ''}: no pod or workload ${from.name} in namespace ${ns}${names.length > 0 ? ` (there: ${names.join(', ')})` : ''}`,
        );
      }
      const node = pod.pod.spec.nodeName ?? null;
      const what = pod.synthesized
        ? `${pod.owner.kind} ${pod.owner.name}, pod ${pod.name}`
        : `pod ${pod.name}`;
      return {
        label: `${what} in namespace ${ns}${node ? ` on ${node}` : ''}`,
        inCluster: true,
        peer: this.podPeer(pod),
        pod,
        node,
        labelsUnknown: false,
      };
    }
    if (from?.kind === 'namespace') {
      return {
        label: `a pod of namespace ${from.name} (no particular labels)`,
        inCluster: true,
        peer: this.anyPodOf(from.name),
        pod: null,
        node: null,
        labelsUnknown: true,
      };
    }
    if (from?.kind === 'external' || defaultNamespace === null) {
      const ip = from?.kind === 'external' ? from.ip : null;
      return {
        label: ip ? `external client ${ip}` : 'external client',
        inCluster: false,
        peer: ip ? { kind: 'external', ip } : { kind: 'external' },
        pod: null,
        node: null,
        labelsUnknown: false,
      };
    }
    return {
      label: `a pod of namespace ${defaultNamespace} (default; --from to choose)`,
      inCluster: true,
      peer: this.anyPodOf(defaultNamespace),
      pod: null,
      node: null,
      labelsUnknown: true,
    };
  }

  /** The ingress controller, the peer backend pods see for Ingress traffic. */
  ingressController(): Client {
    const ns = this.ingressNamespace;
    const pod = this.graph.podIndex.inNamespace(ns)[0] ?? null;
    return {
      label: `the ingress controller in namespace ${ns}`,
      inCluster: true,
      peer: pod ? this.podPeer(pod) : this.anyPodOf(ns),
      pod,
      node: pod?.pod.spec.nodeName ?? null,
      labelsUnknown: pod === null,
    };
  }
}
