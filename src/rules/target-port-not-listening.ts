import { listText } from '../model/list-text.js';
import type { Manifest } from '../model/load.js';
import type { ServicePort } from '../model/types.js';
import type { ResolvedGraph } from '../semantics/graph.js';
import { observedDoubts } from '../semantics/listening.js';
import { findPort } from '../semantics/named-ports.js';
import type { PodInstance } from '../semantics/workloads.js';
import type { Rule } from './rule.js';
import {
  type ContainerRef,
  containerLabel,
  declaredButUnlisted,
  doubts,
  isLoopback,
  type KnownListening,
  knownListening,
  type Listens,
  listeningPortsText,
  listensOn,
  moveHint,
  portText,
  reachablePorts,
  reasonsText,
  servingContainerRefs,
  surenessText,
} from './support/listening-view.js';
import {
  type Backend,
  backendsOf,
  perBackends,
  servicePortRef,
  targetPortField,
  targetPortWritten,
} from './support/service-backends.js';

/** What one container says about the target port: known to listen, known not to, or unknown. */
type Verdict =
  | { readonly ref: ContainerRef; readonly kind: 'unknown' }
  | { readonly ref: ContainerRef; readonly kind: 'yes' }
  | {
      readonly ref: ContainerRef;
      readonly kind: 'no' | 'loopback';
      readonly k: KnownListening;
      readonly hit: Listens;
    };

function verdict(
  graph: ResolvedGraph,
  b: Backend,
  ref: ContainerRef,
  port: number,
  protocol: string,
): Verdict {
  const k = knownListening(graph, b.pod, ref);
  if (!k) return { ref, kind: 'unknown' };
  const hit = listensOn(k, port, protocol);
  if (hit.kind === 'yes') return { ref, kind: 'yes' };
  // Declared here while other declared ports agree with the knowledge: the knowledge may just miss this port.
  // Observed sockets (--probe) miss nothing.
  if (
    hit.kind === 'no' &&
    !k.inference.observed &&
    k.agreement === 'mixed' &&
    declaredButUnlisted(k, port, protocol)
  )
    return { ref, kind: 'unknown' };
  return { ref, kind: hit.kind, k, hit };
}

type Known = Extract<Verdict, { k: KnownListening }>;

/** `container nginx (nginx:1.27) listens on 80 (why...)`, or the loopback case. */
function describe(v: Known, port: number, protocol: string, withReasons: boolean): string {
  const seen = v.k.inference.observed;
  if (seen) {
    // The sockets are the pod's (one network namespace for all its containers): said once for the pod.
    if (v.hit.kind === 'loopback') {
      const e = v.hit.evidence;
      return `pod ${seen.pod} is observed listening on ${e.host}:${portText(port, protocol)} only (--probe: /proc/net of its network namespace), which the Service cannot reach: traffic arrives on the pod IP`;
    }
    return `pod ${seen.pod} is observed listening on ${listeningPortsText(v.k)} (--probe: /proc/net of its network namespace)`;
  }
  const who = `container ${containerLabel(v.ref.container)}`;
  if (v.hit.kind === 'loopback') {
    const e = v.hit.evidence;
    return `${who} binds ${e.host}:${portText(port, protocol)} only (${e.because}), which the Service cannot reach: traffic arrives on the pod IP`;
  }
  const why = withReasons ? reasonsText(v.k) : '';
  return `${who} listens on ${listeningPortsText(v.k)}${why}`;
}

function targetText(
  svc: Manifest<'Service'>,
  i: number,
  sp: ServicePort,
  port: number,
  declarer?: ContainerRef,
): string {
  if (typeof sp.targetPort === 'string')
    return `targetPort ${sp.targetPort} -> containerPort ${port} of container ${declarer?.container.name ?? '?'}`;
  if (targetPortWritten(svc, i)) return `targetPort ${port}`;
  // The API server defaults an absent or 0 targetPort to `port`.
  const raw = (svc.raw.spec as { ports?: { targetPort?: unknown }[] } | undefined)?.ports?.[i]?.targetPort;
  const how = raw === undefined || raw === null ? 'not set' : `written as ${JSON.stringify(raw)}`;
  return `targetPort ${port} (${how}: defaulted from port ${sp.port})`;
}

function fixText(
  graph: ResolvedGraph,
  b: Backend,
  sp: ServicePort,
  svcDefaulted: boolean,
  primary: Known,
  port: number,
  protocol: string,
): string {
  const name = primary.k.inference.image?.id ?? primary.ref.container.name;
  if (primary.hit.kind === 'loopback') {
    return `Make ${name} listen on all interfaces (0.0.0.0:${port}) instead of ${primary.hit.evidence.host}, or point the Service at a port that serves the pod IP.`;
  }
  const ports = reachablePorts(primary.k, protocol);
  if (primary.k.inference.ports.length === 0)
    return `Point the Service at a container that serves ${portText(port, protocol)}: ${name} binds no port.`;
  const only = ports.length === 1 ? ports[0] : undefined;
  const current =
    only !== undefined ? primary.k.inference.ports.find((e) => e.port === only && !isLoopback(e)) : undefined;
  const move = moveHint(graph, b.pod, primary.ref, primary.k, current, port);
  if (typeof sp.targetPort === 'string') {
    const target =
      only !== undefined
        ? `containerPort: ${only}`
        : `containerPort to one of ${listText(ports.map(String))}`;
    return `Set ${target} on port ${sp.targetPort} of container ${primary.ref.container.name} (the Service follows the name), or ${move}.`;
  }
  const set =
    only !== undefined
      ? `Set targetPort: ${only}${svcDefaulted ? ` (an absent or 0 targetPort defaults to port ${sp.port})` : ''}`
      : ports.length > 0
        ? `Point targetPort at the port of ${name} meant for this traffic (${listText(ports.map(String))}) or remove this Service port`
        : 'Point the Service at a container that listens';
  return `${set}, or ${move}.`;
}

/** How one workload's link breaks, apart from the Service's own words (its name, how targetPort is written). */
interface BrokenLink {
  /** The target port in this workload, and the container declaring it when targetPort is a name. */
  readonly port: number;
  readonly declarer: ContainerRef | undefined;
  /** What follows the workloads in the message: `: nothing listens on 80; container ...`. */
  readonly tail: string;
  /**
   * The fix for Service port `sp` (one with this target: its `port` is named when `defaulted`, the Service
   * leaving targetPort to default to it).
   */
  readonly fix: (sp: ServicePort, defaulted: boolean) => string;
  readonly severity: 'error' | 'warning';
}

/**
 * One Service port -> one workload: the link breaks when every container that could serve the target port is
 * known not to listen there. A numeric targetPort can be served by any container of the pod; a named one only
 * by the container that declares the name (FindPort). Only the target (protocol and targetPort) of `sp` matters.
 */
function brokenLink(graph: ResolvedGraph, sp: ServicePort, b: Backend): BrokenLink | null {
  const res = findPort(b.pod.pod.spec, sp);
  if (!res.ok) return null; // an unresolved name is target-port-name-unresolved's finding
  const protocol = sp.protocol ?? 'TCP';
  const port = res.port;
  const refs = servingContainerRefs(b.pod);
  const declarer =
    res.containerIndex === undefined
      ? undefined
      : refs.find((r) => r.index === res.containerIndex && r.init === (res.init === true));
  const candidates = typeof sp.targetPort === 'string' ? (declarer ? [declarer] : []) : refs;
  const verdicts = candidates.map((r) => verdict(graph, b, r, port, protocol));
  if (verdicts.length === 0 || verdicts.some((v) => v.kind === 'yes')) return null;
  const known = verdicts.filter((v): v is Known => v.kind === 'no' || v.kind === 'loopback');
  const unknown = verdicts.filter((v) => v.kind === 'unknown');
  const primaryVerdict = declarer ? verdicts.find((v) => v.ref === declarer) : undefined;
  // An undeclared port may belong to any container: every one must be known. A declared one is meant for its
  // declarer: that one must be known, and the others are assumed not to listen there.
  if (declarer ? primaryVerdict?.kind === 'unknown' : unknown.length > 0) return null;
  const primary = (primaryVerdict as Known | undefined) ?? known[0];
  if (!primary) return null;

  const why = [
    ...new Set(
      known.flatMap((v) => (v.k.inference.observed ? observedDoubts(v.k.inference) : doubts(v.k, v.ref))),
    ),
  ];
  for (const v of unknown)
    why.push(
      `assuming container ${containerLabel(v.ref.container)}, whose ports are not known, does not listen on ${portText(port, protocol)}`,
    );
  const certain =
    why.length === 0 && known.every((v) => v.k.trust === 'certain' || v.k.inference.observed?.ready === true);
  const described = [
    ...new Set(known.map((v) => describe(v, port, protocol, v === primary || known.length <= 2))),
  ];
  const lead =
    primary.hit.kind === 'loopback' && known.length === 1
      ? `nothing the Service can reach listens on ${portText(port, protocol)}`
      : `nothing listens on ${portText(port, protocol)}`;
  return {
    port,
    declarer,
    tail: `: ${lead}; ${described.join('; ')}${surenessText(certain, why)}`,
    fix: (forPort, defaulted) => fixText(graph, b, forPort, defaulted, primary, port, protocol),
    severity: certain ? 'error' : 'warning',
  };
}

/** Workloads whose links break the same way, and how. */
interface BrokenGroup {
  readonly link: BrokenLink;
  readonly labels: string[];
}

/**
 * The broken links of `backends` for `sp`'s target, grouped: workloads whose link breaks the same way
 * (replicas of one template, workloads of one image and configuration) are one finding naming them
 * together, as target-port-undeclared names the workloads that lack a port.
 */
function brokenGroups(
  graph: ResolvedGraph,
  sp: ServicePort,
  backends: readonly Backend[],
  target: string,
  sound: Map<PodInstance, Set<string>>,
): BrokenGroup[] {
  const groups = new Map<string, BrokenGroup>();
  for (const b of backends) {
    const soundHere = sound.get(b.pod);
    if (soundHere?.has(target)) continue;
    const link = brokenLink(graph, sp, b);
    if (!link) {
      if (soundHere) soundHere.add(target);
      else sound.set(b.pod, new Set([target]));
      continue;
    }
    // Equal with targetPort written, equal with it defaulted: the fixes then differ by the same words.
    const key = `${link.severity}\n${link.port}\n${link.declarer?.container.name ?? ''}\n${link.tail}\n${link.fix(sp, false)}`;
    const group = groups.get(key);
    if (group) group.labels.push(b.label);
    else groups.set(key, { link, labels: [b.label] });
  }
  return [...groups.values()];
}

/** A Service port whose target port no container of the selected pods listens on, as far as the images tell. */
export const targetPortNotListening: Rule = {
  meta: {
    id: 'target-port-not-listening',
    severity: 'error',
    description:
      "A Service port's target port is a port no container of the selected pods listens on (image defaults, PORT from a ConfigMap, --port flags).",
    docs: {
      details:
        'The last link of the chain: kube-proxy forwards to <pod IP>:<targetPort>, and only the process decides which port it binds. containerPort is documentation only ("Not specifying a port here DOES NOT prevent that port from being exposed"), so changing it moves nothing: nginx keeps listening on 80 until its config says otherwise, and a server that reads PORT listens where the ConfigMap says. The target port is resolved per selected workload as FindPort does (a name in the container that declares it; a number is used as is, and any container of the pod may serve it). Workloads whose link breaks the same way (the same containers, images and configuration) are named together in one finding per Service port. The rule fires only when portchain knows every port the process binds (the image is in its knowledge base, the command and environment can be read, and no volume replaces the config file the ports come from). Error when that knowledge is certain; warning when it is inferred (an image taken from a mirror, a port from a shell script, other containers whose ports are unknown, or declared ports the knowledge does not list, which hints that it is incomplete). A process bound to 127.0.0.1 only counts as not listening: traffic arrives on the pod IP.',
      bad: `kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - name: nginx
    image: nginx:1.27          # listens on 80
    ports: [{containerPort: 8080}]
---
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]`,
      good: `kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - name: nginx
    image: nginx:1.27
    ports: [{containerPort: 80}]
---
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]`,
    },
  },
  check(ctx) {
    // Whether and how a link breaks depends only on the backend and the target (FindPort's inputs), not on
    // the Service. So links found sound are remembered per backend, and the broken ones, grouped, per list
    // of backends (shared by Services with the same selector): 700 Services over the same 700 broken
    // Deployments cost one check per Deployment, not 490,000 (BENCHMARKS.md, stops 27 and 28).
    const sound = new Map<PodInstance, Set<string>>();
    const broken = perBackends<readonly BrokenGroup[]>();
    for (const view of ctx.graph.services) {
      if (!view.controllerManaged || view.selected.length === 0) continue;
      const svc = view.service;
      const backends = backendsOf(view);
      (svc.object.spec.ports ?? []).forEach((sp, i) => {
        const target = `${sp.protocol ?? 'TCP'} ${JSON.stringify(sp.targetPort ?? sp.port)}`;
        const groups = broken(backends, target, () => brokenGroups(ctx.graph, sp, backends, target, sound));
        const defaulted = typeof sp.targetPort !== 'string' && !targetPortWritten(svc, i);
        for (const { link, labels } of groups)
          ctx.report({
            manifest: svc,
            field: targetPortField(i),
            message: `${servicePortRef(svc, sp)} -> ${targetText(svc, i, sp, link.port, link.declarer)} -> ${listText(labels)}${link.tail}`,
            fix: link.fix(sp, defaulted),
            severity: link.severity,
          });
      });
    }
  },
};
