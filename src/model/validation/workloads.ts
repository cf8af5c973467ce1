/**
 * Workload kinds: their metadata and the pod template each embeds (pkg/apis/apps/validation,
 * pkg/apis/batch/validation, ValidateReplicationController). Selectors, strategies and replica counts are
 * not port-related and are not checked.
 */
import type { FieldError } from '../field-error.js';
import { invalid } from '../field-error.js';
import { FieldPath } from '../field-path.js';
import type { KindMap, PodSpec, PodTemplateSpec, WorkloadKind } from '../types.js';
import { validateAnnotations, validateLabels } from './common.js';
import { validateObjectMeta } from './metadata.js';
import { type NameFn, nameIsDNSLabel, nameIsDNSSubdomain } from './names.js';
import { validatePodSpec, validatePodTemplateSpec } from './pod.js';

/** Where each workload keeps its pod template. */
export const templatePaths: Readonly<Record<WorkloadKind, FieldPath>> = {
  Deployment: FieldPath.root('spec', 'template'),
  ReplicaSet: FieldPath.root('spec', 'template'),
  StatefulSet: FieldPath.root('spec', 'template'),
  DaemonSet: FieldPath.root('spec', 'template'),
  ReplicationController: FieldPath.root('spec', 'template'),
  Job: FieldPath.root('spec', 'template'),
  CronJob: FieldPath.root('spec', 'jobTemplate', 'spec', 'template'),
};

/**
 * Name formats. StatefulSet names became DNS labels (ValidateStatefulSetName uses NameIsDNSLabel: a dotted
 * name could never create its pods); the others are DNS subdomains.
 */
const nameFns: Readonly<Record<WorkloadKind, NameFn>> = {
  Deployment: nameIsDNSSubdomain,
  ReplicaSet: nameIsDNSSubdomain,
  StatefulSet: nameIsDNSLabel,
  DaemonSet: nameIsDNSSubdomain,
  ReplicationController: nameIsDNSSubdomain,
  Job: nameIsDNSSubdomain,
  CronJob: nameIsDNSSubdomain,
};

/** The pod template of a workload, if it has one. */
export function podTemplateOf(
  kind: WorkloadKind,
  object: KindMap[WorkloadKind],
): PodTemplateSpec | undefined {
  if (kind === 'CronJob') return (object as KindMap['CronJob']).spec?.jobTemplate?.spec?.template;
  return (object as KindMap['Deployment']).spec?.template;
}

/** The cronjob controller appends an 11-character suffix to job names, which are capped at 63. */
const CRONJOB_NAME_MAX = 52;

/**
 * Validates a workload as its create strategy does. StatefulSet is the exception: ValidateStatefulSetSpec only
 * checks the template's labels and annotations (the ValidatePodTemplateSpec call is commented out upstream), so
 * the API server accepts a StatefulSet whose containers have invalid ports and its controller's Pod creates fail
 * instead.
 */
export function validateWorkload(
  kind: WorkloadKind,
  object: KindMap[WorkloadKind],
  namespace: string,
): FieldError[] {
  const errs = validateObjectMeta(object.metadata, { nameFn: nameFns[kind], namespace });
  const name = object.metadata?.name ?? '';
  if (kind === 'CronJob' && name.length > CRONJOB_NAME_MAX) {
    errs.push(
      invalid(
        FieldPath.root('metadata', 'name'),
        name,
        `must be no more than ${CRONJOB_NAME_MAX} characters`,
      ),
    );
  }
  const template = podTemplateOf(kind, object);
  if (!template) return errs;
  const path = templatePaths[kind];
  if (kind === 'StatefulSet') {
    errs.push(...validateLabels(template.metadata?.labels, path.child('labels')));
    errs.push(...validateAnnotations(template.metadata?.annotations, path.child('annotations')));
  } else {
    errs.push(...validatePodTemplateSpec(template, path));
  }
  return errs;
}

/**
 * What the Pods a controller creates from this template would be told by ValidatePodCreate (port rules only),
 * reported at the template's paths. Useful for StatefulSets, whose templates the API server does not validate:
 * SetDefaults_Pod's hostNetwork hostPort defaulting is applied first, as it would be to the Pod.
 */
export function validateTemplateAsPod(kind: WorkloadKind, object: KindMap[WorkloadKind]): FieldError[] {
  const template = podTemplateOf(kind, object);
  if (!template?.spec) return [];
  const spec = structuredClone(template.spec) as PodSpec;
  if (spec.hostNetwork) {
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      for (const p of c.ports ?? []) if (!p.hostPort) p.hostPort = p.containerPort;
    }
  }
  return validatePodSpec(spec, templatePaths[kind].child('spec'), { resourceIsPod: true });
}
