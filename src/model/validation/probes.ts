/**
 * Probes and lifecycle handlers (validateProbe, validateLifecycle, validateHandler and the actions they call in
 * pkg/apis/core/validation/validation.go). A named port is not checked against the container's ports: the
 * kubelet resolves it at run time.
 */
import { type FieldError, forbidden, invalid, notSupported, required } from '../field-error.js';
import type { FieldPath } from '../field-path.js';
import type { HTTPGetAction, LifecycleHandler, Probe } from '../types.js';
import { invalidEach, validateNonnegative, validatePortNumOrName } from './common.js';
import { isHTTPHeaderName, isValidPortNum } from './names.js';

const HTTP_SCHEMES = ['HTTP', 'HTTPS'];

/** The union of ProbeHandler and LifecycleHandler (commonHandler upstream), in upstream's check order. */
type AnyHandler = Probe & LifecycleHandler;

/** validateHTTPGetAction. SetDefaults_HTTPGetAction fills path "/" and scheme HTTP on every HTTPGetAction. */
function validateHTTPGet(http: HTTPGetAction, path: FieldPath): FieldError[] {
  const errs = validatePortNumOrName(http.port, path.child('port'));
  const scheme = http.scheme || 'HTTP';
  if (!HTTP_SCHEMES.includes(scheme)) errs.push(notSupported(path.child('scheme'), scheme, HTTP_SCHEMES));
  for (const h of http.httpHeaders ?? []) {
    errs.push(...invalidEach(path.child('httpHeaders'), h.name, isHTTPHeaderName(h.name ?? '')));
  }
  return errs;
}

/**
 * validateHandler: exactly one handler type. A second one is Forbidden and not validated; none at all is
 * Required on the handler itself.
 */
export function validateHandler(h: AnyHandler, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  const one = (name: string, present: boolean, check: () => FieldError[]) => {
    if (!present) return;
    if (count > 0) errs.push(forbidden(path.child(name), 'may not specify more than 1 handler type'));
    else {
      count++;
      errs.push(...check());
    }
  };
  one('exec', h.exec !== undefined, () =>
    (h.exec?.command?.length ?? 0) === 0 ? [required(path.child('exec', 'command'))] : [],
  );
  one('httpGet', h.httpGet !== undefined, () => validateHTTPGet(h.httpGet ?? {}, path.child('httpGet')));
  one('tcpSocket', h.tcpSocket !== undefined, () =>
    validatePortNumOrName(h.tcpSocket?.port, path.child('tcpSocket', 'port')),
  );
  one('grpc', h.grpc !== undefined, () => {
    // validateGRPCAction: an int32 port, so only the range applies.
    const port = h.grpc?.port ?? 0;
    return invalidEach(path.child('grpc', 'port'), port, isValidPortNum(port));
  });
  // The sleep action's bound depends on terminationGracePeriodSeconds, which is not modelled: only counted.
  one('sleep', h.sleep !== undefined, () => []);
  if (count === 0) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

/** Zero means "use the default" for these fields (SetDefaults_Probe), so only negative values fail. */
const defaulted = (v: number | undefined, d: number): number => (v === undefined || v === 0 ? d : v);

export type ProbeKind = 'livenessProbe' | 'readinessProbe' | 'startupProbe';

/** validateLivenessProbe / validateReadinessProbe / validateStartupProbe. */
export function validateProbe(probe: Probe | undefined, kind: ProbeKind, path: FieldPath): FieldError[] {
  if (!probe) return [];
  const errs = validateHandler(probe, path);
  const success = defaulted(probe.successThreshold, 1);
  errs.push(...validateNonnegative(probe.initialDelaySeconds, path.child('initialDelaySeconds')));
  errs.push(...validateNonnegative(defaulted(probe.timeoutSeconds, 1), path.child('timeoutSeconds')));
  errs.push(...validateNonnegative(defaulted(probe.periodSeconds, 10), path.child('periodSeconds')));
  errs.push(...validateNonnegative(success, path.child('successThreshold')));
  errs.push(...validateNonnegative(defaulted(probe.failureThreshold, 3), path.child('failureThreshold')));
  if (kind !== 'readinessProbe' && success !== 1) {
    errs.push(invalid(path.child('successThreshold'), success, 'must be 1'));
  }
  return errs;
}

/** validateLifecycle. */
export function validateLifecycle(
  lifecycle: { postStart?: LifecycleHandler; preStop?: LifecycleHandler },
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  if (lifecycle.postStart) errs.push(...validateHandler(lifecycle.postStart, path.child('postStart')));
  if (lifecycle.preStop) errs.push(...validateHandler(lifecycle.preStop, path.child('preStop')));
  return errs;
}
