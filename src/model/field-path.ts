/**
 * A field path in Kubernetes' notation, built like `field.NewPath("spec").Child("ports").Index(1)`
 * (k8s.io/apimachinery/pkg/util/validation/field/path.go). It renders as `spec.ports[1].name` and keeps its
 * segments, so the loader can find the exact source position of the field it names.
 */
export type PathSegment = { readonly field: string } | { readonly index: number } | { readonly key: string };

/**
 * Segment lists are built with `concat`, which allocates exactly the entries: a spread into a new array
 * keeps spare slots, and paths held per object (specPath, findings) live for the whole run.
 */
export class FieldPath {
  private constructor(readonly segments: readonly PathSegment[]) {}

  static root(...names: string[]): FieldPath {
    return new FieldPath(names.map((field) => ({ field })));
  }

  static readonly empty = new FieldPath([]);

  child(...names: string[]): FieldPath {
    return new FieldPath(this.segments.concat(names.map((field) => ({ field }))));
  }

  index(i: number): FieldPath {
    return new FieldPath(this.segments.concat([{ index: i }]));
  }

  /** A map key, rendered `[key]` as Kubernetes does for map entries. */
  key(k: string): FieldPath {
    return new FieldPath(this.segments.concat([{ key: k }]));
  }

  /** Appends another path's segments (used to prefix a List item's position). */
  concat(other: FieldPath): FieldPath {
    return new FieldPath(this.segments.concat(other.segments));
  }

  toString(): string {
    let out = '';
    for (const s of this.segments) {
      if ('field' in s) out += out === '' ? s.field : `.${s.field}`;
      else if ('index' in s) out += `[${s.index}]`;
      else out += `[${s.key}]`;
    }
    return out;
  }

  /** The plain keys to walk a parsed document: field names and map keys are strings, indexes numbers. */
  keys(): (string | number)[] {
    return this.segments.map((s) => ('field' in s ? s.field : 'index' in s ? s.index : s.key));
  }
}
