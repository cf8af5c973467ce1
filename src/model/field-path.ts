/**
 * A field path in Kubernetes' notation, built like `field.NewPath("spec").Child("ports").Index(1)`
 * (k8s.io/apimachinery/pkg/util/validation/field/path.go). It renders as `spec.ports[1].name` and keeps its
 * segments, so the loader can find the exact source position of the field it names.
 */
const FIELD = 0;
const INDEX = 1;
const KEY = 2;
type Kind = typeof FIELD | typeof INDEX | typeof KEY;

/**
 * Like Kubernetes' field.Path, each path is one segment and a link to its parent: `child` and `index` cost one
 * small object and share the prefix, where copying segment lists cost O(depth) per step. Validation builds a
 * path for every field it visits, and paths held per object (specPath, findings) share their prefixes.
 */
export class FieldPath {
  private constructor(
    private readonly parent: FieldPath | null,
    private readonly kind: Kind,
    private readonly value: string | number,
    /** Number of segments: 0 for the empty path. */
    private readonly depth: number,
  ) {}

  static readonly empty = new FieldPath(null, FIELD, '', 0);

  static root(...names: string[]): FieldPath {
    return FieldPath.empty.child(...names);
  }

  private step(kind: Kind, value: string | number): FieldPath {
    return new FieldPath(this, kind, value, this.depth + 1);
  }

  child(...names: string[]): FieldPath {
    let p: FieldPath = this;
    for (const n of names) p = p.step(FIELD, n);
    return p;
  }

  index(i: number): FieldPath {
    return this.step(INDEX, i);
  }

  /** A map key, rendered `[key]` as Kubernetes does for map entries. */
  key(k: string): FieldPath {
    return this.step(KEY, k);
  }

  /** Appends another path's segments (used to prefix a List item's position). */
  concat(other: FieldPath): FieldPath {
    let p: FieldPath = this;
    for (const link of other.links()) p = p.step(link.kind, link.value);
    return p;
  }

  /** The non-empty links from the root down. */
  private links(): FieldPath[] {
    const out = new Array<FieldPath>(this.depth);
    let p: FieldPath = this;
    for (let i = this.depth - 1; i >= 0; i--) {
      out[i] = p;
      p = p.parent as FieldPath;
    }
    return out;
  }

  toString(): string {
    let out = '';
    for (const l of this.links()) {
      if (l.kind === FIELD) out += out === '' ? (l.value as string) : `.${l.value}`;
      else out += `[${l.value}]`;
    }
    return out;
  }

  /** The plain keys to walk a parsed document: field names and map keys are strings, indexes numbers. */
  keys(): (string | number)[] {
    return this.links().map((l) => l.value);
  }
}
