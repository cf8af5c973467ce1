/**
 * Collects the hops of one trace, decides where it stops, and attaches the findings of the registered rules
 * to the links they belong to (same object, the longest field prefix wins).
 */
import type { FieldPath } from '../model/field-path.js';
import type { Finding, ObjectRef } from '../model/finding.js';
import type { Manifest } from '../model/load.js';
import type {
  BrokenAt,
  HopKind,
  HopStatus,
  TraceBackend,
  TraceEndpoint,
  TraceHop,
  TraceRequestInfo,
  TraceResult,
  Verdict,
} from './model.js';

/**
 * Which findings a hop owns: those of `manifest` at `field` or below it (`boost` wins a tie between hops that
 * claim the same field); with `field` absent, those of the object that name no field; with `any`, every
 * finding of the object (an object the API server rejects).
 */
export type Anchor =
  | { readonly manifest: Manifest; readonly field: FieldPath; readonly boost?: number }
  | { readonly manifest: Manifest; readonly any: true }
  | { readonly manifest: Manifest };

export interface HopDraft {
  readonly kind: HopKind;
  status: HopStatus;
  readonly depth: number;
  readonly summary: string;
  readonly details: string[];
  /** Where the link is written: the object and field shown for it. */
  readonly at?: { readonly manifest: Manifest; readonly field?: FieldPath };
  readonly anchors: readonly Anchor[];
}

const sameObject = (a: ObjectRef, b: ObjectRef): boolean =>
  a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');

/** How well an anchor claims a finding: 0 not at all; a longer field prefix claims better. */
function claim(anchor: Anchor, f: Finding): number {
  if (!f.object || !sameObject(anchor.manifest.ref, f.object)) return 0;
  if ('any' in anchor) return 1;
  if (!('field' in anchor)) return f.field === null ? 2 : 0;
  const prefix = anchor.field.toString();
  if (f.field === null) return 0;
  if (
    prefix === '' ||
    f.field === prefix ||
    f.field.startsWith(`${prefix}.`) ||
    f.field.startsWith(`${prefix}[`)
  )
    return prefix.length + 3 + (anchor.boost ?? 0);
  return 0;
}

export class TraceBuilder {
  readonly hops: HopDraft[] = [];
  backend: TraceBackend | null = null;
  endpoints: TraceEndpoint[] = [];
  private verdict: Verdict | null = null;
  private stop: { hop: number; reason: string } | null = null;

  /** Who connects, as the flows resolve it (`--from`, or the default for the target). */
  from = 'external client';

  constructor(readonly request: Omit<TraceRequestInfo, 'from'>) {}

  /** Adds a hop; returns its index. */
  add(
    hop: Omit<HopDraft, 'details' | 'anchors'> & { details?: string[]; anchors?: readonly Anchor[] },
  ): number {
    const at = hop.at;
    const anchors = hop.anchors ?? (at ? [at.field ? { manifest: at.manifest, field: at.field } : at] : []);
    this.hops.push({ ...hop, details: hop.details ?? [], anchors });
    return this.hops.length - 1;
  }

  /** The verdict and the hop that decides it; the first call wins (the earliest break explains the rest). */
  conclude(verdict: Verdict, hop: number | null, reason: string): void {
    if (this.verdict !== null) return;
    this.verdict = verdict;
    if (hop !== null && verdict !== 'delivered') this.stop = { hop, reason };
  }

  get concluded(): boolean {
    return this.verdict !== null;
  }

  finish(findings: readonly Finding[]): TraceResult {
    const attached: Finding[][] = this.hops.map(() => []);
    for (const f of findings) {
      let best = 0;
      let at = -1;
      this.hops.forEach((h, i) => {
        for (const a of h.anchors) {
          const score = claim(a, f);
          if (score > best) {
            best = score;
            at = i;
          }
        }
      });
      if (at >= 0) attached[at]?.push(f);
    }
    const hops: TraceHop[] = this.hops.map((h, i) => {
      const field = h.at?.field?.toString();
      return {
        kind: h.kind,
        status: h.status,
        depth: h.depth,
        summary: h.summary,
        details: h.details,
        object: h.at ? h.at.manifest.ref : null,
        field: field ? field : null,
        location: h.at ? h.at.manifest.source.locate(h.at.field) : null,
        findings: attached[i] ?? [],
      };
    });
    let brokenAt: BrokenAt | null = null;
    if (this.stop) {
      const hop = hops[this.stop.hop] as TraceHop;
      const first = hop.findings[0];
      brokenAt = {
        hop: this.stop.hop,
        kind: hop.kind,
        reason: this.stop.reason,
        object: hop.object,
        field: hop.field,
        location: hop.location,
        ...(first ? { rule: first.rule } : {}),
        ...(first?.fix ? { fix: first.fix } : {}),
      };
    }
    return {
      request: { ...this.request, from: this.from },
      hops,
      backend: this.backend,
      endpoints: this.endpoints,
      verdict: this.verdict ?? 'unknown',
      brokenAt,
    };
  }
}
