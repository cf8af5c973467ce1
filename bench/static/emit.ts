/**
 * A small YAML emitter shaped like `kubectl get -o yaml` (sigs.k8s.io/yaml over go-yaml v2): keys sorted,
 * block style, a sequence under a key at the key's own indent, strings quoted only when a plain scalar would
 * read as something else. The `yaml` library's stringify is far too slow for hundreds of megabytes.
 */

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

// A plain scalar that reads back as the same string under YAML 1.1 and 1.2: no indicator first, no `: ` or
// ` #`, not a number, bool or null look-alike (kubectl quotes "80", "true", timestamps and the like).
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./=+-]*(?::[A-Za-z0-9_./=+-]+)*(?: [A-Za-z0-9_./=+-]+)*$/;
const AMBIGUOUS =
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)$/;

function scalar(s: string): string {
  if (s !== '' && PLAIN.test(s) && !AMBIGUOUS.test(s)) return s;
  return JSON.stringify(s);
}

function atom(v: Json): string | undefined {
  if (v === null) return 'null';
  if (typeof v === 'string') return scalar(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? '[]' : undefined;
  return Object.keys(v).length === 0 ? '{}' : undefined;
}

function emitMap(o: { [k: string]: Json }, pad: string, first: string, out: string[]): void {
  const keys = Object.keys(o).sort();
  let lead = first;
  for (const k of keys) {
    const v = o[k] as Json;
    const key = scalar(k);
    const a = atom(v);
    if (a !== undefined) out.push(`${lead}${key}: ${a}\n`);
    else if (Array.isArray(v)) {
      out.push(`${lead}${key}:\n`);
      emitSeq(v, pad, out);
    } else {
      out.push(`${lead}${key}:\n`);
      emitMap(v as { [k: string]: Json }, `${pad}  `, `${pad}  `, out);
    }
    lead = pad;
  }
}

function emitSeq(items: Json[], pad: string, out: string[]): void {
  for (const v of items) {
    const a = atom(v);
    if (a !== undefined) out.push(`${pad}- ${a}\n`);
    else if (Array.isArray(v)) {
      out.push(`${pad}-\n`);
      emitSeq(v, `${pad}  `, out);
    } else emitMap(v as { [k: string]: Json }, `${pad}  `, `${pad}- `, out);
  }
}

/** One object as a top-level YAML mapping (a document body, no `---`). */
export function yamlDocument(o: { [k: string]: Json }): string {
  const out: string[] = [];
  emitMap(o, '', '', out);
  return out.join('');
}

/** One object as an item of `items:` in a `kind: List` (kubectl: `- apiVersion: v1` at column 0). */
export function yamlListItem(o: { [k: string]: Json }): string {
  const out: string[] = [];
  emitMap(o, '  ', '- ', out);
  return out.join('');
}
