/**
 * metav1.Status bodies as the API server returns them (k8s.io/apimachinery/pkg/api/errors/errors.go): the
 * message, reason, details and code kubectl reads to print its errors.
 */
import { type FieldError, renderFieldError } from '../model/field-error.js';
import type { JsonObject } from './json.js';
import { groupKind, groupResource, type ResourceType } from './resources.js';

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: JsonObject,
  ) {
    super(message);
  }

  body(): JsonObject {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

const details = (t: ResourceType, name: string): JsonObject => ({
  name,
  ...(t.group ? { group: t.group } : {}),
  kind: t.plural,
});

/** NewNotFound. */
export const notFound = (t: ResourceType, name: string) =>
  new ApiError(404, 'NotFound', `${groupResource(t)} "${name}" not found`, details(t, name));

/** NewAlreadyExists. */
export const alreadyExists = (t: ResourceType, name: string) =>
  new ApiError(409, 'AlreadyExists', `${groupResource(t)} "${name}" already exists`, details(t, name));

/** NewConflict with the registry's OptimisticLockErrorMsg. */
export const conflict = (t: ResourceType, name: string) =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${groupResource(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(t, name),
  );

export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);

export const methodNotAllowed = (t: ResourceType, verb: string) =>
  new ApiError(
    405,
    'MethodNotAllowed',
    `${verb} is not supported on resources of kind "${groupResource(t)}" (computed by portchain from the running plan)`,
    { ...(t.group ? { group: t.group } : {}), kind: t.plural },
  );

export const unsupportedMediaType = (type: string) =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${type})`,
  );

/** The body of FieldError.ErrorBody(): the message without the field path (StatusCause.message). */
function errorBody(e: FieldError): string {
  const full = renderFieldError(e);
  const path = e.field.toString();
  return path === '' ? full : full.slice(path.length + 2);
}

/**
 * NewInvalid: `Service "x" is invalid: <errors>`, one StatusCause per error. Several errors render as the
 * aggregate does, `[a, b]`, with duplicate messages dropped (utilerrors.NewAggregate + ToAggregate dedup).
 */
export function invalid(t: ResourceType, name: string, errors: readonly FieldError[]): ApiError {
  const messages = [...new Set(errors.map(renderFieldError))];
  const rendered =
    messages.length === 0 ? '' : messages.length === 1 ? `: ${messages[0]}` : `: [${messages.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${groupKind(t)} "${name}" is invalid${rendered}`, {
    name,
    ...(t.group ? { group: t.group } : {}),
    kind: t.kind,
    causes: errors.map((e) => ({ reason: e.reason, message: errorBody(e), field: e.field.toString() })),
  });
}
