import { FieldPath } from '../model/field-path.js';
import type { Severity } from '../model/finding.js';
import { listText } from '../model/list-text.js';
import { isKind, type Manifest } from '../model/load.js';
import { type Labels, workloadKinds } from '../model/types.js';
import type { ResolvedGraph, ServiceView } from '../semantics/graph.js';
import { matchesLabels } from '../semantics/selectors.js';
import type { PodInstance } from '../semantics/workloads.js';
import type { Report, Rule } from './rule.js';
import {
  backendKeyOf,
  backendLabelOf,
  chainServices,
  isTypo,
  serviceRef,
} from './support/service-backends.js';

/**
 * Labels a controller adds to the pods it creates, never written in a template
 * (apps/v1 StatefulSet, DaemonSet, Deployment; batch/v1 Job). A selector on one of them targets runtime pods.
 */
const CONTROLLER_LABELS: Readonly<Record<string, string>> = {
  'statefulset.kubernetes.io/pod-name': 'the StatefulSet controller',
  'apps.kubernetes.io/pod-index': 'the StatefulSet controller',
  'controller-revision-hash': 'the StatefulSet and DaemonSet controllers',
  'pod-template-hash': 'the Deployment controller',
  'pod-template-generation': 'the DaemonSet controller',
  'batch.kubernetes.io/job-name': 'the Job controller',
  'job-name': 'the Job controller',
  'batch.kubernetes.io/controller-uid': 'the Job controller',
  'controller-uid': 'the Job controller',
  'batch.kubernetes.io/job-completion-index': 'the Job controller',
};

type HintKind = 'value' | 'key' | 'same-name' | 'namespace' | 'other-value' | 'extra-key';

interface Hint {
  readonly kind: HintKind;
  readonly text: string;
  readonly fix: string;
  /** The selector key the hint is about, to point at it. */
  readonly key?: string;
  /** The workload the hint names. */
  readonly owner?: string;
}

const HINT_ORDER: readonly HintKind[] = [
  'value',
  'key',
  'same-name',
  'namespace',
  'other-value',
  'extra-key',
];

const selectorText = (s: Labels) =>
  Object.entries(s)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

function omit(s: Labels, key: string): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(s)) if (k !== key) out[k] = v;
  return out;
}

/** Workloads as "<Kind> <name>", one entry per distinct backend among `pods`. */
function distinctOwners(pods: readonly PodInstance[]): PodInstance[] {
  const seen = new Set<string>();
  const out: PodInstance[] = [];
  for (const p of pods) {
    const k = backendKeyOf(p);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(p);
  }
  return out;
}

const ownerText = backendLabelOf;

/** Hints from pods of the Service's namespace that miss the selector by one label. */
function sameNamespaceHints(graph: ResolvedGraph, inv: Inventory, ns: string, selector: Labels): Hint[] {
  const keys = Object.keys(selector);
  const hints: Hint[] = [];
  let typos = 0; // the message shows three hints at most, typos first: stop once three are found
  for (const key of keys) {
    if (typos >= 3) break;
    const want = selector[key] as string;
    // Pods matching every other pair (all pods of the namespace for a one-key selector).
    const candidates =
      keys.length > 1 ? distinctOwners(graph.podIndex.select(ns, omit(selector, key))) : inv.ownersIn(ns);
    for (const p of candidates) {
      if (typos >= 3) break;
      const labels = p.pod.metadata.labels ?? {};
      const have = Object.hasOwn(labels, key) ? labels[key] : undefined;
      const typo = have !== undefined && isTypo(want, have);
      if (have !== undefined && !typo && keys.length === 1) continue;
      const who = ownerText(p);
      if (have !== undefined) {
        if (typo) {
          typos++;
          hints.push({
            kind: 'value',
            key,
            owner: who,
            text: `did you mean ${key}=${have}? It labels the pods of ${who}`,
            fix: `Set the selector to \`${key}: ${have}\`, or relabel the pod template of ${who} if the selector is right.`,
          });
        } else if (keys.length > 1)
          hints.push({
            kind: 'other-value',
            key,
            owner: who,
            text: `the pods of ${who} carry every other selector label but ${key}=${have}`,
            fix: `Make \`${key}\` agree between the selector and the pod template of ${who}.`,
          });
        continue;
      }
      const similar = Object.keys(labels).find((k) => labels[k] === want && isTypo(key, k));
      if (similar) {
        typos++;
        hints.push({
          kind: 'key',
          key,
          owner: who,
          text: `did you mean the key ${similar}? The pods of ${who} carry ${similar}=${want}`,
          fix: `Rename the selector key \`${key}\` to \`${similar}\`.`,
        });
      } else if (keys.length > 1)
        hints.push({
          kind: 'extra-key',
          key,
          owner: who,
          text: `the pods of ${who} carry every other selector label but no ${key} label`,
          fix: `Remove \`${key}\` from the selector, or add it to the pod template labels of ${who}.`,
        });
    }
  }
  return hints;
}

/** `web`, `web-svc` and `web-service` name the same app: a Service is usually named after its workload. */
const SERVICE_SUFFIX = /-(svc|service)$/;

/**
 * A workload of the namespace named like the Service whose pods the selector misses (and no other hint
 * explains): the pair was meant to go together, so its real pod labels are the likely fix.
 */
function sameNameHint(inv: Inventory, svc: Manifest<'Service'>, near: ReadonlySet<string>): Hint[] {
  const names = new Set([svc.name, svc.name.replace(SERVICE_SUFFIX, '')]);
  const owner = inv.ownersIn(svc.namespace).find((p) => p.synthesized && names.has(p.owner.name));
  if (!owner || near.has(ownerText(owner))) return [];
  const labels = Object.entries(owner.pod.metadata.labels ?? {}).filter(
    ([k]) => !Object.hasOwn(CONTROLLER_LABELS, k),
  );
  const text = labels.map(([k, v]) => `${k}=${v}`).join(',');
  const yaml = labels.map(([k, v]) => `${k}: ${v}`).join(', ');
  return [
    {
      kind: 'same-name',
      text: `${ownerText(owner)}, named like the Service, labels its pods ${text || 'with nothing'}`,
      fix: `Make spec.selector match the pod template labels of ${ownerText(owner)} (${yaml || 'add labels to its template'}).`,
    },
  ];
}

/** Pods with every selector label in another namespace: a Service selects only in its own namespace. */
function otherNamespaceHints(graph: ResolvedGraph, ns: string, selector: Labels): Hint[] {
  const hints: Hint[] = [];
  for (const other of graph.podIndex.namespaces()) {
    if (other === ns) continue;
    const owners = distinctOwners(graph.podIndex.select(other, selector));
    if (owners.length === 0) continue;
    hints.push({
      kind: 'namespace',
      text: `pods with ${selectorText(selector)} exist in namespace ${other} (${listText(owners.map(ownerText))}), but a Service selects pods only in its own namespace`,
      fix: `Create the Service in namespace ${other}, or run the workload in namespace ${ns}.`,
    });
  }
  return hints;
}

/** Per-file facts, computed once per check: which namespaces have workloads there, and skipped documents. */
interface FileFacts {
  readonly workloadNamespaces: Set<string>;
  readonly docs: Set<number>;
  /** The highest document index holding a modelled object. */
  lastDoc: number;
}

/** A workload that would create pods but is scaled to zero (replicas: 0, parallelism: 0). */
interface IdleWorkload {
  readonly manifest: Manifest;
  readonly labels: Labels;
  readonly field: string;
}

class Inventory {
  private files?: Map<string, FileFacts>;
  private idle?: Map<string, IdleWorkload[]>;
  private readonly owners = new Map<string, readonly PodInstance[]>();

  constructor(private readonly graph: ResolvedGraph) {}

  file(name: string): FileFacts | undefined {
    if (!this.files) {
      this.files = new Map();
      const workloads = new Set<string>([...workloadKinds, 'Pod']);
      for (const m of this.graph.manifests) {
        let f = this.files.get(m.source.file);
        if (!f) {
          f = { workloadNamespaces: new Set(), docs: new Set(), lastDoc: -1 };
          this.files.set(m.source.file, f);
        }
        f.docs.add(m.source.doc);
        if (m.source.doc > f.lastDoc) f.lastDoc = m.source.doc;
        if (workloads.has(m.kind)) f.workloadNamespaces.add(m.namespace);
      }
    }
    return this.files.get(name);
  }

  /** True when a document of the file before its last modelled one was skipped (a kind portchain does not model). */
  hasSkippedDocuments(name: string): boolean {
    const f = this.file(name);
    return f !== undefined && f.docs.size <= f.lastDoc;
  }

  /** One pod per distinct workload of a namespace, computed once per namespace. */
  ownersIn(ns: string): readonly PodInstance[] {
    let list = this.owners.get(ns);
    if (!list) {
      list = distinctOwners(this.graph.podIndex.inNamespace(ns));
      this.owners.set(ns, list);
    }
    return list;
  }

  idleIn(ns: string): readonly IdleWorkload[] {
    if (!this.idle) {
      this.idle = new Map();
      for (const w of idleWorkloads(this.graph)) {
        const list = this.idle.get(w.manifest.namespace);
        if (list) list.push(w);
        else this.idle.set(w.manifest.namespace, [w]);
      }
    }
    return this.idle.get(ns) ?? [];
  }
}

function idleWorkloads(graph: ResolvedGraph): IdleWorkload[] {
  const out: IdleWorkload[] = [];
  const add = (manifest: Manifest, count: number | undefined, labels: Labels | undefined, field: string) => {
    if (count === 0 && labels) out.push({ manifest, labels, field });
  };
  for (const m of graph.manifests) {
    if (isKind(m, 'Deployment') || isKind(m, 'ReplicaSet') || isKind(m, 'StatefulSet'))
      add(m, m.object.spec.replicas, m.object.spec.template?.metadata?.labels, 'replicas: 0');
    else if (isKind(m, 'ReplicationController'))
      add(m, m.object.spec.replicas, m.object.spec.template?.metadata?.labels, 'replicas: 0');
    else if (isKind(m, 'Job'))
      add(m, m.object.spec.parallelism, m.object.spec.template?.metadata?.labels, 'parallelism: 0');
    else if (isKind(m, 'CronJob')) {
      const spec = m.object.spec.jobTemplate?.spec;
      add(m, spec?.parallelism, spec?.template?.metadata?.labels, 'parallelism: 0');
    }
  }
  return out;
}

/** A cluster dump holds the real pods of this namespace: their absence is proof. */
function liveNamespace(graph: ResolvedGraph, ns: string): boolean {
  if (!graph.hasLivePods) return false;
  return graph.podIndex
    .inNamespace(ns)
    .some((p) => isKind(p.owner, 'Pod') && p.owner.object.status?.phase !== undefined);
}

interface Verdict {
  readonly severity: Severity;
  readonly detail: string;
  readonly fix: string;
  readonly key?: string;
}

function verdict(graph: ResolvedGraph, inv: Inventory, view: ServiceView, selector: Labels): Verdict {
  const svc = view.service;
  const ns = svc.namespace;
  const near = sameNamespaceHints(graph, inv, ns, selector);
  const hints = [
    ...near,
    ...sameNameHint(inv, svc, new Set(near.flatMap((h) => (h.owner ? [h.owner] : [])))),
    ...otherNamespaceHints(graph, ns, selector),
  ].sort((a, b) => HINT_ORDER.indexOf(a.kind) - HINT_ORDER.indexOf(b.kind));
  const hintText = hints.length > 0 ? `; ${listText(hints.map((h) => h.text))}` : '';
  const best = hints[0];
  const defaultFix =
    'Make spec.selector match the pod template labels of the workload that serves this Service, or include that workload in the input.';

  if (liveNamespace(graph, ns))
    return {
      severity: 'error',
      detail: `no pod of the cluster dump carries these labels, so the Service has no endpoints and kube-proxy rejects every connection to it${hintText}`,
      fix: best?.fix ?? defaultFix,
      ...(best?.key ? { key: best.key } : {}),
    };

  const controllerKeys = Object.keys(selector).filter((k) => Object.hasOwn(CONTROLLER_LABELS, k));
  if (controllerKeys.length > 0) {
    const k = controllerKeys[0] as string;
    return {
      severity: 'info',
      detail: `${k}=${selector[k]} is a label ${CONTROLLER_LABELS[k]} adds to its pods at runtime; assumed that pod exists in the cluster, although no workload in the input creates it${hintText}`,
      fix: 'Nothing to do if that pod exists; otherwise point the selector at labels its pod template sets.',
      key: k,
    };
  }

  const idle = inv.idleIn(ns).filter((w) => matchesLabels(selector, w.labels));
  if (idle.length > 0) {
    const names = idle.map((w) => `${w.manifest.kind} ${w.manifest.name} (${w.field})`);
    return {
      severity: 'info',
      detail: `${listText(names)} would match but runs no pod, so the Service has no endpoints until it is scaled up`,
      fix: 'Nothing to do if the workload is scaled down on purpose; otherwise give it replicas.',
    };
  }

  if (best)
    return {
      severity: 'warning',
      detail: hintText.slice(2),
      fix: best.fix,
      ...(best.key ? { key: best.key } : {}),
    };

  const file = svc.source.file;
  const bundled = inv.file(file)?.workloadNamespaces.has(ns) ?? false;
  if (bundled && !inv.hasSkippedDocuments(file))
    return {
      severity: 'warning',
      detail: `no workload in the input carries these labels, although this file defines the workloads of namespace ${ns}`,
      fix: defaultFix,
    };
  const why = bundled
    ? 'this file also holds objects portchain does not model (an operator custom resource, for one) that may create them'
    : 'its pods come from a workload in another file or from an operator (a custom resource)';
  return {
    severity: 'info',
    detail: `no workload in the input carries these labels; assumed ${why}`,
    fix: 'Nothing to do if the pods are created elsewhere; otherwise make spec.selector match the pod template labels of the workload that serves this Service.',
  };
}

/** A selectorless Service: the endpoint controllers leave it alone, so someone must write its endpoints. */
function selectorless(view: ServiceView): Report | null {
  if (view.slices.length > 0) return null;
  const svc = view.service;
  return {
    manifest: svc,
    field: FieldPath.root('spec'),
    severity: 'info',
    message: `Service ${serviceRef(svc)} -> Pods: no selector, so the endpoint controllers leave it alone, and the input holds no Endpoints or EndpointSlice for it; assumed they are written out of band (until then it has no endpoints)`,
    fix: 'Add a selector, or an EndpointSlice labelled kubernetes.io/service-name with the backend addresses.',
  };
}

/** A Service whose selector matches no pod: the first link of Service -> Pods -> ports is missing. */
export const serviceSelectsNothing: Rule = {
  meta: {
    id: 'service-selects-nothing',
    severity: 'warning',
    description: 'A Service selector matches no pod in its namespace, so the Service has no endpoints.',
    docs: {
      details:
        "The EndpointSlice controller lists the pods of the Service's namespace whose labels contain every key=value of spec.selector (pod template labels, not the workload's own labels). When none match, the Service has no endpoints and kube-proxy rejects every connection. portchain looks for the near miss: a label value or key one edit away, a pod that misses one selector label, the same labels in another namespace. Manifests are often partial, so this is a warning (info when the pods plausibly come from elsewhere: a selector on a label a controller adds at runtime such as statefulset.kubernetes.io/pod-name, a workload scaled to zero, a Service with no workload beside it, as with operator-managed pods); in a cluster dump, where the pods of the namespace are all there, it is an error. ExternalName Services have no endpoints by design; a selectorless Service is reported (info) only when the input holds no Endpoints or EndpointSlice for it.",
      bad: `kind: Deployment
metadata: {name: frontend}
spec:
  template:
    metadata: {labels: {app: frontend}}
---
kind: Service
metadata: {name: frontend}
spec:
  selector: {app: fronend}
  ports: [{port: 80, targetPort: 8080}]`,
      good: `kind: Service
metadata: {name: frontend}
spec:
  selector: {app: frontend}
  ports: [{port: 80, targetPort: 8080}]`,
    },
  },
  check(ctx) {
    const graph = ctx.graph;
    const inv = new Inventory(graph);
    for (const view of chainServices(graph)) {
      const svc = view.service;
      if (svc.object.spec.type === 'ExternalName') continue;
      if (!view.hasSelector) {
        const r = selectorless(view);
        if (r) ctx.report(r);
        continue;
      }
      if (view.selected.length > 0) continue;
      const selector = svc.object.spec.selector as Labels;
      const v = verdict(graph, inv, view, selector);
      const field = FieldPath.root('spec', 'selector');
      ctx.report({
        manifest: svc,
        field: v.key ? field.key(v.key) : field,
        severity: v.severity,
        message: `Service ${serviceRef(svc)} -> Pods: selector ${selectorText(selector)} selects no pod in namespace ${svc.namespace}; ${v.detail}`,
        fix: v.fix,
      });
    }
  },
};
