/**
 * hostPort on a container: the Docker `-p HOST:CONTAINER` habit carried into Kubernetes.
 *
 * A hostPort is bound on the node the pod lands on (the CNI portmap plugin DNATs nodeIP:hostPort to the pod),
 * so the scheduler's NodePorts filter places at most one pod per node per hostPort/protocol/hostIP, and traffic
 * to it reaches that pod only, with no Service in between (kubernetes/website "Configuration Best Practices":
 * "Don't specify a hostPort for a Pod unless it is absolutely necessary").
 */
import type { FieldPath } from '../model/field-path.js';
import type { Container, PodSpec } from '../model/types.js';
import type { PodInstance } from '../semantics/workloads.js';
import type { Rule } from './rule.js';
import { backendKeyOf } from './support/service-backends.js';

/**
 * Pods grouped by workload (a cluster dump's pods by their controller): replicas share one spec, so the finding
 * is per workload and container.
 */
function podGroups(pods: readonly PodInstance[]): PodInstance[][] {
  const out = new Map<string, PodInstance[]>();
  for (const p of pods) {
    const key = backendKeyOf(p);
    const list = out.get(key);
    if (list) list.push(p);
    else out.set(key, [p]);
  }
  return [...out.values()];
}

function* containersOf(
  spec: PodSpec,
  specPath: FieldPath,
): Generator<{ container: Container; path: FieldPath; init: boolean }> {
  for (const [key, list] of [
    ['containers', spec.containers ?? []],
    ['initContainers', spec.initContainers ?? []],
  ] as const) {
    for (let i = 0; i < list.length; i++) {
      const container = list[i] as Container;
      yield { container, path: specPath.child(key).index(i), init: key === 'initContainers' };
    }
  }
}

/** A DaemonSet's pod: synthesised from one, or (cluster dump) controlled by one. */
function isDaemonSetPod(pod: PodInstance): boolean {
  if (pod.owner.kind === 'DaemonSet') return true;
  return (pod.pod.metadata.ownerReferences ?? []).some((r) => r.controller && r.kind === 'DaemonSet');
}

function replicasNote(pod: PodInstance, n: number, port: string): string {
  const owner = pod.owner;
  if (!pod.synthesized || n <= 1) return '';
  return ` (${n} pods of ${owner.kind} ${owner.name} need ${n} distinct nodes with ${port} free; the scheduler leaves the rest Pending)`;
}

export const hostPort: Rule = {
  meta: {
    id: 'host-port',
    severity: 'warning',
    description:
      'A container declares hostPort: it binds the port on every node it lands on, one pod per node, bypassing Services.',
    docs: {
      details:
        "`hostPort` is Docker's `-p HOST:CONTAINER` in Kubernetes clothing, and it is not how Kubernetes publishes a port. The node the pod lands on forwards `nodeIP:hostPort` to that one pod, so: the scheduler places at most one such pod per node (extra replicas stay Pending), clients must know which node runs the pod, and traffic bypasses Services (no load balancing, no failover when the pod moves). Publish ports with a Service (type NodePort or LoadBalancer, or an Ingress) instead. Not reported: hostNetwork pods, whose container ports are the node's ports anyway (the API server defaults hostPort to containerPort there; the kube-prometheus node-exporter writes it out). A DaemonSet is reported as info only: it runs one pod per node by design, so the one-per-node limit costs nothing, and hostPort on a DaemonSet is the documented way to expose node agents and ingress controllers (nginxinc/kubernetes-ingress `daemon-set/nginx-ingress.yaml` publishes 80/443 on every node).",
      bad: `kind: Deployment
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: web
        ports:
        - containerPort: 8080
          hostPort: 80        # docker run -p 80:8080`,
      good: `kind: Deployment
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: web
        ports:
        - containerPort: 8080
---
kind: Service
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]`,
    },
  },
  check(ctx) {
    for (const pods of podGroups(ctx.graph.pods)) {
      const pod = pods[0] as PodInstance;
      const owner = pod.owner;
      const spec = pod.pod.spec;
      // hostNetwork: the container's ports are the node's ports; hostPort must equal containerPort (the API
      // server defaults it so in Pods, and rejects any other value), so it says nothing more.
      if (spec.hostNetwork) continue;
      for (const { container, path, init } of containersOf(spec, pod.specPath)) {
        (container.ports ?? []).forEach((p, j) => {
          if (!p.hostPort) return;
          const proto = p.protocol ?? 'TCP';
          const bind = `${p.hostIP ? `${p.hostIP}:` : ''}${p.hostPort}/${proto}`;
          const daemon = isDaemonSetPod(pod);
          const who = `${owner.kind} ${owner.name} ${init ? 'init container' : 'container'} "${container.name}" port ${p.containerPort ?? '?'}/${proto}`;
          const message = daemon
            ? `${who}: hostPort ${p.hostPort} publishes the port on every node the DaemonSet runs on (node IP:${p.hostPort} -> this pod), bypassing Services. A DaemonSet runs one pod per node anyway, so this is the usual node-agent or ingress-controller pattern; make sure port ${bind} is meant to be open on every node.`
            : `${who}: hostPort ${p.hostPort} binds ${bind} on every node a pod lands on, so only one such pod fits per node${replicasNote(pod, pods.length, bind)}, and clients must find the node while traffic bypasses Services. This is Docker's \`-p ${p.hostPort}:${p.containerPort ?? p.hostPort}\`; in Kubernetes, expose a port with a Service; hostPort is not how you publish a port.`;
          ctx.report({
            manifest: owner,
            field: path.child('ports').index(j).child('hostPort'),
            message,
            fix: daemon
              ? 'Keep hostPort only if every node must answer on it; otherwise remove it and publish the port with a Service.'
              : `Remove hostPort and publish containerPort ${p.containerPort ?? p.hostPort} with a Service (type NodePort or LoadBalancer, or behind an Ingress).`,
            ...(daemon ? { severity: 'info' as const } : {}),
          });
        });
      }
    }
  },
};
