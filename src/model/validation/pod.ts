/**
 * The port-related parts of Pod and pod-template validation (pkg/apis/core/validation/validation.go):
 * validateContainerPorts, hostPort conflicts (checkHostPortConflicts / AccumulateUniqueHostPorts), the
 * hostNetwork dependency (validatePodHostNetworkDeps), probes and lifecycle handlers, the init-container and
 * ephemeral-container restrictions. Volumes, resources, security contexts and the like are out of scope.
 */
import { duplicate, type FieldError, forbidden, invalid, notSupported, required } from '../field-error.js';
import { FieldPath } from '../field-path.js';
import type { Container, ContainerPort, Pod, PodSpec, PodTemplateSpec } from '../types.js';
import { invalidEach, validateAnnotations, validateLabels } from './common.js';
import { validateObjectMeta } from './metadata.js';
import { isValidPortName, isValidPortNum, nameIsDNSSubdomain } from './names.js';
import { validateLifecycle, validateProbe } from './probes.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;

export interface PodSpecOptions {
  /**
   * PodValidationOptions.ResourceIsPod: true for a Pod, false for a template embedded in a workload. With
   * hostNetwork a template may leave hostPort 0 (it is defaulted only when the Pod is created).
   */
  readonly resourceIsPod: boolean;
}

/** validateContainerPorts: names are IANA_SVC_NAME, unique within the container only. */
export function validateContainerPorts(
  ports: readonly ContainerPort[] | undefined,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (ports ?? []).forEach((port, i) => {
    // Paths are built only for an error: every container port of a cluster dump passes through here.
    const p = (field: string) => path.index(i).child(field);
    const name = port.name ?? '';
    if (name !== '') {
      const msgs = isValidPortName(name);
      // Only a valid name takes part in the uniqueness check.
      if (msgs.length > 0) errs.push(...invalidEach(p('name'), name, msgs));
      else if (names.has(name)) errs.push(duplicate(p('name'), name));
      else names.add(name);
    }
    const containerPort = port.containerPort ?? 0;
    if (containerPort === 0) errs.push(required(p('containerPort')));
    else {
      const msgs = isValidPortNum(containerPort);
      if (msgs.length > 0) errs.push(...invalidEach(p('containerPort'), containerPort, msgs));
    }
    const hostPort = port.hostPort ?? 0;
    if (hostPort !== 0) {
      const msgs = isValidPortNum(hostPort);
      if (msgs.length > 0) errs.push(...invalidEach(p('hostPort'), hostPort, msgs));
    }
    const protocol = port.protocol ?? '';
    if (protocol === '') errs.push(required(p('protocol')));
    else if (!PROTOCOLS.includes(protocol)) errs.push(notSupported(p('protocol'), protocol, PROTOCOLS));
  });
  return errs;
}

/**
 * AccumulateUniqueHostPorts: the key is `<protocol>/<hostIP>/<hostPort>`, hostPort 0 is skipped, and every
 * repeat is a Duplicate whose value is the key. `path` is the path of the container list.
 */
export function accumulateUniqueHostPorts(
  containers: readonly Container[],
  seen: Set<string>,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  containers.forEach((c, ci) => {
    (c.ports ?? []).forEach((port, pi) => {
      const hostPort = port.hostPort ?? 0;
      if (hostPort === 0) return;
      const key = `${port.protocol ?? ''}/${port.hostIP ?? ''}/${hostPort}`;
      if (seen.has(key)) errs.push(duplicate(path.index(ci).child('ports').index(pi).child('hostPort'), key));
      else seen.add(key);
    });
  });
  return errs;
}

/** The probe and lifecycle checks that regular containers and restartable init containers share. */
function validateProbesAndLifecycle(c: Container, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (c.lifecycle) errs.push(...validateLifecycle(c.lifecycle, path.child('lifecycle')));
  for (const kind of PROBES) if (c[kind]) errs.push(...validateProbe(c[kind], kind, path.child(kind)));
  return errs;
}

/** validateContainers: ports, probes, then hostPort conflicts across all regular containers. */
function validateContainers(containers: readonly Container[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  containers.forEach((c, i) => {
    const p = path.index(i);
    errs.push(...validateContainerPorts(c.ports, p.child('ports')));
    errs.push(...validateProbesAndLifecycle(c, p));
    if (c.restartPolicy !== undefined) {
      errs.push(forbidden(p.child('restartPolicy'), 'may not be set for non-init containers'));
    }
  });
  errs.push(...accumulateUniqueHostPorts(containers, new Set(), path));
  return errs;
}

/**
 * validateInitContainers. Init containers run one by one, so hostPorts are checked per container; upstream
 * passes a one-element slice, which is why the error path always reads `initContainers[0]`.
 */
function validateInitContainers(containers: readonly Container[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  containers.forEach((c, i) => {
    const p = path.index(i);
    errs.push(...validateContainerPorts(c.ports, p.child('ports')));
    let restartAlways = false;
    if (c.restartPolicy !== undefined) {
      if (c.restartPolicy !== 'Always')
        errs.push(notSupported(p.child('restartPolicy'), c.restartPolicy, ['Always']));
      restartAlways = c.restartPolicy === 'Always';
    }
    errs.push(...accumulateUniqueHostPorts([c], new Set(), path));
    if (restartAlways) {
      // A native sidecar (KEP-753) may have probes and lifecycle hooks like a regular container.
      errs.push(...validateProbesAndLifecycle(c, p));
    } else {
      const msg = 'may not be set for init containers without restartPolicy=Always';
      if (c.lifecycle) errs.push(forbidden(p.child('lifecycle'), msg));
      for (const kind of PROBES) if (c[kind]) errs.push(forbidden(p.child(kind), msg));
    }
  });
  return errs;
}

/**
 * validateEphemeralContainers: ports are validated like any container's, then refused with the other fields
 * outside allowedEphemeralContainerFields.
 */
function validateEphemeralContainers(containers: readonly Container[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const msg = 'cannot be set for an Ephemeral Container';
  containers.forEach((c, i) => {
    const p = path.index(i);
    errs.push(...validateContainerPorts(c.ports, p.child('ports')));
    if (c.ports !== undefined) errs.push(forbidden(p.child('ports'), msg));
    if (c.restartPolicy !== undefined) errs.push(forbidden(p.child('restartPolicy'), msg));
    for (const kind of PROBES) if (c[kind]) errs.push(forbidden(p.child(kind), msg));
    if (c.lifecycle) errs.push(forbidden(p.child('lifecycle'), msg));
  });
  return errs;
}

/**
 * validatePodHostNetworkDeps (regular containers only): with hostNetwork, hostPort must equal containerPort.
 * A Pod's omitted hostPort was defaulted to containerPort; a template may leave it 0.
 */
function validateHostNetworkDeps(spec: PodSpec, path: FieldPath, opts: PodSpecOptions): FieldError[] {
  if (!spec.hostNetwork) return [];
  const errs: FieldError[] = [];
  (spec.containers ?? []).forEach((c, i) => {
    (c.ports ?? []).forEach((port, j) => {
      const hp = port.hostPort ?? 0;
      const cp = port.containerPort ?? 0;
      if ((opts.resourceIsPod || hp !== 0) && hp !== cp) {
        errs.push(
          invalid(
            path.child('containers').index(i).child('ports').index(j).child('hostPort'),
            hp,
            'must match `containerPort` when `hostNetwork` is true',
          ),
        );
      }
    });
  });
  return errs;
}

/** ValidatePodSpec, limited to the port-related rules, in upstream order. */
export function validatePodSpec(spec: PodSpec, path: FieldPath, opts: PodSpecOptions): FieldError[] {
  return [
    ...validateContainers(spec.containers ?? [], path.child('containers')),
    ...validateInitContainers(spec.initContainers ?? [], path.child('initContainers')),
    ...validateEphemeralContainers(spec.ephemeralContainers ?? [], path.child('ephemeralContainers')),
    ...validateHostNetworkDeps(spec, path, opts),
  ];
}

/**
 * ValidatePodTemplateSpec at `path` (e.g. `spec.template`). Labels and annotations are reported on
 * `<path>.labels`, without `metadata`, because ObjectMeta is embedded upstream.
 */
export function validatePodTemplateSpec(template: PodTemplateSpec, path: FieldPath): FieldError[] {
  const spec = template.spec ?? { containers: [] };
  const errs = [
    ...validateLabels(template.metadata?.labels, path.child('labels')),
    ...validateAnnotations(template.metadata?.annotations, path.child('annotations')),
    ...validatePodSpec(spec, path.child('spec'), { resourceIsPod: false }),
  ];
  if ((spec.ephemeralContainers?.length ?? 0) > 0) {
    errs.push(
      forbidden(
        path.child('spec', 'ephemeralContainers'),
        'ephemeral containers not allowed in pod template',
      ),
    );
  }
  return errs;
}

/** ValidatePodCreate: metadata (ValidatePodName is a DNS subdomain), the spec, and no ephemeral containers yet. */
export function validatePod(pod: Pod, namespace: string): FieldError[] {
  const spec = pod.spec ?? { containers: [] };
  const errs = [
    ...validateObjectMeta(pod.metadata, { nameFn: nameIsDNSSubdomain, namespace }),
    ...validatePodSpec(spec, FieldPath.root('spec'), { resourceIsPod: true }),
  ];
  if ((spec.ephemeralContainers?.length ?? 0) > 0) {
    errs.push(forbidden(FieldPath.root('spec', 'ephemeralContainers'), 'cannot be set on create'));
  }
  return errs;
}
