/**
 * Live traffic counters of `portchain up`, read by the terminal table, `--state`, and the UI. One contract so
 * the producers (kube-proxy, ingress controller) and the consumers never drift apart.
 */

/** One Service port as kube-proxy carries it (all of its listeners: clusterIP, nodePort, load balancer). */
export interface ServicePortTraffic {
  readonly namespace: string;
  readonly name: string;
  /** The Service port number (spec.ports[i].port). */
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  /** TCP connections open now, or UDP flows not yet idle. */
  readonly active: number;
  /** Connections (or UDP flows) accepted since start. */
  readonly total: number;
  /** Connections refused or failed because no endpoint answered. */
  readonly failed: number;
  /** Bytes carried both ways since start. */
  readonly bytes: number;
  /** Per endpoint `ip:port`: connections sent there since start. */
  readonly byEndpoint: Readonly<Record<string, number>>;
}

/** One Ingress rule path as the ingress controller routes it. */
export interface IngressPathTraffic {
  readonly namespace: string;
  /** The Ingress name. */
  readonly name: string;
  readonly host: string;
  readonly path: string;
  readonly requests: number;
  /** Responses by status code (`200`, `404`, `503`...). */
  readonly byStatus: Readonly<Record<string, number>>;
}

/** A snapshot; rates are computed by the consumer from two snapshots and their `at`. */
export interface TrafficSnapshot {
  /** Date.now() when taken. */
  readonly at: number;
  readonly services: readonly ServicePortTraffic[];
  readonly ingress: readonly IngressPathTraffic[];
  /** Requests the ingress controller answered without a matching rule (404). */
  readonly ingressUnmatched: number;
}
