/**
 * An array built by `push` keeps room for 16 more entries (V8 grows an empty array to 17 slots): most
 * manifest lists hold one or two entries and live as long as the run, so kept arrays are copied to their
 * exact size. `slice()` allocates exactly `length` slots; the grown original dies young.
 */
export function compactArray<T>(a: T[]): T[] {
  return a.length < 16 ? a.slice() : a;
}
