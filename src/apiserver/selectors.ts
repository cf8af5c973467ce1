/**
 * `labelSelector` and `fieldSelector` of list and watch requests (k8s.io/apimachinery/pkg/labels and
 * pkg/fields string syntax): `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`.
 */

import { isJsonObject, type JsonObject, type JsonValue } from './json.js';
import { badRequest } from './status.js';

type Test = (get: (key: string) => string | undefined) => boolean;

/** Splits on commas outside parentheses. */
function terms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t);
}

function parse(s: string, what: string): Test[] {
  return terms(s).map((term): Test => {
    let m = /^(\S+?)\s*(==|!=|=)\s*(\S*)$/.exec(term);
    if (m) {
      const [, key = '', op, value = ''] = m;
      return op === '!=' ? (get) => get(key) !== value : (get) => get(key) === value;
    }
    m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) {
      const [, key = '', op, list = ''] = m;
      const values = new Set(list.split(',').map((v) => v.trim()));
      return op === 'in'
        ? (get) => {
            const v = get(key);
            return v !== undefined && values.has(v);
          }
        : (get) => {
            const v = get(key);
            return v === undefined || !values.has(v);
          };
    }
    m = /^(!?)([A-Za-z0-9./_-]+)$/.exec(term);
    if (m) {
      const [, not, key = ''] = m;
      return not ? (get) => get(key) === undefined : (get) => get(key) !== undefined;
    }
    throw badRequest(`unable to parse requirement: invalid ${what} selector: ${JSON.stringify(term)}`);
  });
}

function fieldValue(o: JsonObject, path: string): string | undefined {
  let cur: JsonValue | undefined = o;
  for (const k of path.split('.')) cur = isJsonObject(cur) ? cur[k] : undefined;
  if (cur === undefined || cur === null) return path === 'metadata.namespace' ? '' : undefined;
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

/** A predicate over objects for the request's selectors; null when there are none. */
export function selectorFilter(
  labelSelector: string | null,
  fieldSelector: string | null,
): ((o: JsonObject) => boolean) | null {
  const labels = labelSelector ? parse(labelSelector, 'label') : [];
  const fields = fieldSelector ? parse(fieldSelector, 'field') : [];
  if (labels.length === 0 && fields.length === 0) return null;
  return (o) => {
    const meta = isJsonObject(o.metadata) ? o.metadata : {};
    const l = isJsonObject(meta.labels) ? meta.labels : {};
    const getLabel = (k: string) => (typeof l[k] === 'string' ? (l[k] as string) : undefined);
    const getField = (k: string) => fieldValue(o, k) ?? '';
    return labels.every((t) => t(getLabel)) && fields.every((t) => t(getField));
  };
}
