/**
 * ObjectMeta validation on create (apimachinery/pkg/api/validation/objectmeta.go ValidateObjectMetaAccessor).
 * Owner references, finalizers and managed fields are not modelled by the loader and are not checked.
 */
import { type FieldError, required } from '../field-error.js';
import { FieldPath } from '../field-path.js';
import type { ObjectMeta } from '../types.js';
import { invalidEach, validateAnnotations, validateLabels } from './common.js';
import { type NameFn, nameIsDNSLabel } from './names.js';

/** names.SimpleNameGenerator keeps at most 58 characters of generateName and appends 5 random ones. */
const MAX_GENERATED_BASE = 58;
/** A stand-in for the random suffix: lower-case alphanumerics, like the generator's alphabet. */
const GENERATED_SUFFIX = 'x7k2q';

/**
 * The name the registry's BeforeCreate gives the object before validation: generateName plus a random suffix
 * when name is empty.
 */
export function effectiveName(meta: ObjectMeta): string {
  if (meta.name) return meta.name;
  if (meta.generateName) return meta.generateName.slice(0, MAX_GENERATED_BASE) + GENERATED_SUFFIX;
  return '';
}

export interface ObjectMetaOptions {
  /** The kind's name format (ValidateServiceName, ValidatePodName …). */
  readonly nameFn: NameFn;
  /** The namespace the object is created in; undefined for cluster-scoped kinds. */
  readonly namespace?: string;
}

/**
 * ValidateObjectMeta: generateName (as a prefix) and the generated or given name against the kind's name
 * format, `metadata.name: Required value: name or generateName is required` when both are empty, the namespace
 * (a DNS-1123 label, ValidateNamespaceName), labels and annotations.
 */
export function validateObjectMeta(meta: ObjectMeta | undefined, opts: ObjectMetaOptions): FieldError[] {
  const m = meta ?? {};
  const path = FieldPath.root('metadata');
  const errs: FieldError[] = [];
  if (m.generateName) {
    errs.push(...invalidEach(path.child('generateName'), m.generateName, opts.nameFn(m.generateName, true)));
  }
  const name = effectiveName(m);
  if (name === '') errs.push(required(path.child('name'), 'name or generateName is required'));
  else {
    // Paths only for an error: every object of a cluster dump passes through here.
    const msgs = opts.nameFn(name, false);
    if (msgs.length > 0) errs.push(...invalidEach(path.child('name'), name, msgs));
  }
  if (opts.namespace !== undefined) {
    if (opts.namespace === '') errs.push(required(path.child('namespace')));
    else {
      const msgs = nameIsDNSLabel(opts.namespace, false);
      if (msgs.length > 0) errs.push(...invalidEach(path.child('namespace'), opts.namespace, msgs));
    }
  }
  if (m.labels) errs.push(...validateLabels(m.labels, path.child('labels')));
  if (m.annotations) errs.push(...validateAnnotations(m.annotations, path.child('annotations')));
  return errs;
}
