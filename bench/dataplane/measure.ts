/** Best-of-N rounds, interleaved across targets so that a burst of other load hits them all alike. */
export async function rounds<T>(
  targets: readonly string[],
  n: number,
  run: (target: string) => Promise<T>,
  better: (a: T, b: T) => boolean,
): Promise<Map<string, { best: T; all: T[] }>> {
  const out = new Map<string, { best: T; all: T[] }>();
  for (let i = 0; i < n; i++) {
    for (const t of i % 2 === 0 ? targets : [...targets].reverse()) {
      const r = await run(t);
      const seen = out.get(t);
      if (!seen) out.set(t, { best: r, all: [r] });
      else {
        seen.all.push(r);
        if (better(r, seen.best)) seen.best = r;
      }
    }
  }
  return out;
}
