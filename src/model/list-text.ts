/**
 * Lists in messages. A message may grow with its own object (its ports, its rules), never with the number of
 * other objects: past a few items a list says how many more there are (`trace` and `endpoints` still list
 * every endpoint).
 */

/** How many names (nodes, addresses, policies) a line lists before `and N more`. */
export const MAX_NAMED = 10;

/** "A", "A and B", "A, B and C", "A, B, C and 2 more" (past `max`). */
export function listText(items: readonly string[], max = 3): string {
  if (items.length <= 1) return items[0] ?? '';
  if (items.length > max) return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** `items` joined by `sep` as they are when there are at most `max`, else the first `max` and `and N more`. */
export function joinSome(items: readonly string[], sep: string, max: number): string {
  if (items.length <= max) return items.join(sep);
  return `${items.slice(0, max).join(sep)} and ${items.length - max} more`;
}
