/**
 * fast-check values for the JSON readers' tests: strings made of the characters a JSON scanner must not be
 * fooled by, and nested values built from them.
 */
import fc from 'fast-check';

/** Strings of up to 8 pieces drawn from `pieces` (brackets, quotes, escapes, ... as the test needs). */
export const trickyStrings = (pieces: readonly string[]): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...pieces), { maxLength: 8 }).map((cs) => cs.join(''));

/** JSON values, a few levels deep: tricky strings, small numbers, booleans, null, arrays and objects. */
export function jsonValues(tricky: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  const scalar = fc.oneof(tricky, fc.integer({ min: -5, max: 70000 }), fc.boolean(), fc.constant(null));
  return fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(tricky, tie('value'), { maxKeys: 3 }),
    ),
  })).value;
}
