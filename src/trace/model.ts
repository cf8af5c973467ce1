/**
 * What a trace produces: the request, the hops from the client to the process, the backend the Ingress asked
 * for, the endpoints traffic may reach, and the verdict. The JSON output is this object, as is.
 */
import type { Finding, ObjectRef, SourceLocation } from '../model/finding.js';
import type { Protocol } from '../model/types.js';

export type Verdict = 'delivered' | 'refused' | 'dropped' | '404' | '503' | 'not-routed' | 'unknown';

/** ok: the link works; broken: it does not (or not for every connection); unknown: the input cannot tell. */
export type HopStatus = 'ok' | 'broken' | 'unknown';

export type HopKind =
  | 'client'
  /** The Ingress rule (or defaultBackend) that takes the request, or none (404). */
  | 'ingress'
  /** The backend that rule names: Service name and Service port. */
  | 'ingress-backend'
  /** How the address reaches a Service: DNS name, clusterIP, nodePort, load balancer. */
  | 'address'
  /** The Service port: port -> targetPort, and which endpoints the proxy may use. */
  | 'service-port'
  /** A workload (or group of pods) the Service selects. */
  | 'backend'
  /** One endpoint: pod IP:port, ready or not; or a selected pod that got no endpoint. */
  | 'endpoint'
  | 'network-policy'
  | 'container'
  /** The port the process really binds. */
  | 'process';

export interface TraceHop {
  readonly kind: HopKind;
  readonly status: HopStatus;
  /** 0: the shared chain; 1: a backend; 2: its endpoints, policies, container and process. */
  readonly depth: number;
  /** One line: what this link is. */
  readonly summary: string;
  /** Why: what matched and why, what else was considered, what ingress-nginx does differently. */
  readonly details: readonly string[];
  readonly object: ObjectRef | null;
  /** The field of `object` this link is written at (Kubernetes notation). */
  readonly field: string | null;
  readonly location: SourceLocation | null;
  /** Findings of the registered rules whose object and field belong to this link. */
  readonly findings: readonly Finding[];
}

export interface TraceRequestInfo {
  readonly target: string;
  readonly kind: 'url' | 'service' | 'ip' | 'node-port' | 'load-balancer';
  readonly protocol: Protocol;
  /** Who connects: `external`, `pod ns/name`, `namespace ns`, or the default for the target. */
  readonly from: string;
  readonly url?: { readonly scheme: string; readonly host: string; readonly path: string };
  readonly ingressClass?: string | null;
}

export interface TraceBackend {
  /** The Service the Ingress names (in the Ingress's namespace); null for a resource backend. */
  readonly service: { readonly namespace: string; readonly name: string } | null;
  readonly port: { readonly number: number } | { readonly name: string } | null;
  readonly viaDefaultBackend: boolean;
  readonly resource?: { readonly apiGroup?: string; readonly kind?: string; readonly name?: string };
}

export interface TraceEndpoint {
  /** The pod behind the address (targetRef name); null for an address that names no pod. */
  readonly pod: string | null;
  readonly ip: string;
  /** The endpoint port (the targetPort resolved in that pod); null for a headless Service without ports. */
  readonly port: number | null;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly node: string | null;
}

export interface BrokenAt {
  /** Index in `hops`. */
  readonly hop: number;
  readonly kind: HopKind;
  readonly reason: string;
  readonly object: ObjectRef | null;
  readonly field: string | null;
  readonly location: SourceLocation | null;
  /** The first finding attached to that link, when a rule fires there. */
  readonly rule?: string;
  readonly fix?: string;
}

export interface TraceResult {
  readonly request: TraceRequestInfo;
  readonly hops: readonly TraceHop[];
  /** What the Ingress asked for; null exactly when no rule and no defaultBackend matched (and for non-URL targets). */
  readonly backend: TraceBackend | null;
  /** The endpoints of the Service port traffic reaches (all of them, ready or not). */
  readonly endpoints: readonly TraceEndpoint[];
  readonly verdict: Verdict;
  /** Where the chain stops: the hop that decides a verdict other than delivered; null when delivered. */
  readonly brokenAt: BrokenAt | null;
}
