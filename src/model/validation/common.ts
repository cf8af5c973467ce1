/**
 * Small validators shared by several kinds: port number-or-name, labels, label selectors, annotations, and the
 * FieldError constructors field-error.ts does not provide.
 */
import { type FieldError, forbidden, invalid, required } from '../field-error.js';
import type { FieldPath } from '../field-path.js';
import type { IntOrString, LabelSelector } from '../types.js';
import { byteLength, isQualifiedName, isValidLabelValue, isValidPortName, isValidPortNum } from './names.js';

/** field.TooLong: the value is never printed. */
export const tooLong = (field: FieldPath, maxBytes: number): FieldError => ({
  reason: 'FieldValueTooLong',
  field,
  detail: `must have at most ${maxBytes} bytes`,
});

/** field.InternalError. */
export const internalError = (field: FieldPath, detail: string): FieldError => ({
  reason: 'InternalError',
  field,
  detail,
});

/** field.NotFound. */
export const notFound = (field: FieldPath, value: unknown): FieldError => ({
  reason: 'FieldValueNotFound',
  field,
  value,
  detail: '',
});

/** One Invalid error per message, the way every `for _, msg := range IsXxx(v)` loop reports. */
export function invalidEach(field: FieldPath, value: unknown, messages: readonly string[]): FieldError[] {
  return messages.map((msg) => invalid(field, value, msg));
}

/**
 * ValidatePortNumOrName: an int is a port number, a string a port name (a quoted "8080" is a name). An absent
 * value is Go's zero IntOrString, the int 0.
 */
export function validatePortNumOrName(port: IntOrString | undefined, field: FieldPath): FieldError[] {
  if (typeof port === 'string') return invalidEach(field, port, isValidPortName(port));
  const n = port ?? 0;
  return invalidEach(field, n, isValidPortNum(n));
}

/** IsNegativeErrorMsg / ValidateNonnegativeField. */
export function validateNonnegative(value: number | undefined, field: FieldPath): FieldError[] {
  return (value ?? 0) < 0 ? [invalid(field, value, 'must be greater than or equal to 0')] : [];
}

/** ValidateLabelName. */
export function validateLabelName(name: string, field: FieldPath): FieldError[] {
  return invalidEach(field, name, isQualifiedName(name));
}

/** v1validation.ValidateLabels: errors are reported on the map's path itself, not on the key. */
export function validateLabels(labels: Record<string, string> | undefined, field: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...validateLabelName(k, field));
    errs.push(...invalidEach(field, v, isValidLabelValue(String(v))));
  }
  return errs;
}

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** ValidateAnnotations: keys are qualified names compared in lower case; the total size is capped. */
export function validateAnnotations(
  annotations: Record<string, string> | undefined,
  field: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    errs.push(...invalidEach(field, k, isQualifiedName(k.toLowerCase())));
    size += byteLength(k) + byteLength(String(v));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

/** ValidateLabelSelector (with AllowInvalidLabelValueInSelector false, as on create). */
export function validateLabelSelector(sel: LabelSelector | undefined, field: FieldPath): FieldError[] {
  if (!sel) return [];
  const errs = validateLabels(sel.matchLabels, field.child('matchLabels'));
  (sel.matchExpressions ?? []).forEach((expr, i) => {
    const p = field.child('matchExpressions').index(i);
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          errs.push(required(p.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          errs.push(
            forbidden(
              p.child('values'),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        }
        break;
      default:
        errs.push(invalid(p.child('operator'), expr.operator ?? '', 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(expr.key ?? '', p.child('key')));
    values.forEach((v, j) => {
      errs.push(...invalidEach(p.child('values').index(j), v, isValidLabelValue(v)));
    });
  });
  return errs;
}
