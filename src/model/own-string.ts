/**
 * A string that holds no reference to the text it was cut from. V8 makes a slice of 13 or more characters
 * (`SlicedString::kMinLength`) a view of its parent, and a concatenation that long a pair of references:
 * either keeps the whole parent alive as long as the piece. A value cut from a streamed item's text would
 * keep that item's text (about a kilobyte of YAML) for as long as the manifest lives; joining the piece
 * from two parts writes a new flat string instead.
 */
const SHARING_MIN = 13;

export function ownString(s: string): string {
  return s.length < SHARING_MIN ? s : [s.slice(0, 1), s.slice(1)].join('');
}
