import type { FieldPath } from './field-path.js';

/**
 * Kubernetes' field error, as `k8s.io/apimachinery/pkg/util/validation/field/errors.go` builds and renders it.
 * `reason` is the StatusCause type the API server returns (metav1.CauseType).
 */
export type CauseType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueDuplicate'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueNotFound'
  | 'FieldValueTypeInvalid'
  | 'InternalError';

export interface FieldError {
  readonly reason: CauseType;
  readonly field: FieldPath;
  /** The offending value; `undefined` renders nothing (Required, Forbidden, or a value not worth printing). */
  readonly value?: unknown;
  readonly detail: string;
}

const typeText: Record<CauseType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueNotFound: 'Not found',
  FieldValueTypeInvalid: 'Invalid value',
  InternalError: 'Internal error',
};

/** Types whose rendering never prints the value (ErrorBody in errors.go). */
const valueless = new Set<CauseType>([
  'FieldValueRequired',
  'FieldValueForbidden',
  'FieldValueTooLong',
  'InternalError',
]);

/** Go's %#v-like rendering of a value: strings quoted, numbers bare, objects as JSON. */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  return JSON.stringify(value);
}

/** `<path>: <Type>: <value>: <detail>` exactly as the API server prints a field error. */
export function renderFieldError(e: FieldError): string {
  let body = typeText[e.reason];
  if (!valueless.has(e.reason) && e.value !== undefined) body += `: ${renderValue(e.value)}`;
  if (e.detail !== '') body += `: ${e.detail}`;
  const path = e.field.toString();
  return path === '' ? body : `${path}: ${body}`;
}

export const required = (field: FieldPath, detail = ''): FieldError => ({
  reason: 'FieldValueRequired',
  field,
  detail,
});
export const invalid = (field: FieldPath, value: unknown, detail: string): FieldError => ({
  reason: 'FieldValueInvalid',
  field,
  value,
  detail,
});
export const duplicate = (field: FieldPath, value: unknown): FieldError => ({
  reason: 'FieldValueDuplicate',
  field,
  value,
  detail: '',
});
export const forbidden = (field: FieldPath, detail: string): FieldError => ({
  reason: 'FieldValueForbidden',
  field,
  detail,
});
/** NotSupported; `supported` is printed as given (Kubernetes sorts most lists, not all). */
export const notSupported = (field: FieldPath, value: unknown, supported: readonly string[]): FieldError => ({
  reason: 'FieldValueNotSupported',
  field,
  value,
  detail: `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
});
