/** The unit every command reports: one broken or risky link, located at the field that causes it. */
export type Severity = 'error' | 'warning' | 'info';

export const severityRank: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

export interface SourceLocation {
  readonly file: string;
  /** 1-based, like a compiler's. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

export interface Finding {
  readonly rule: string;
  readonly severity: Severity;
  readonly message: string;
  readonly object: ObjectRef | null;
  /** Kubernetes field notation (`spec.ports[1].name`), as precise as the cause allows. */
  readonly field: string | null;
  readonly location: SourceLocation | null;
  /** Kubernetes' StatusCause type, for API-validation and decoding findings. */
  readonly reason?: string;
  /** What to change, in one sentence. */
  readonly fix?: string;
}
