/**
 * YAML 1.1 scalar values exactly as the `yaml` library (v2, `version: '1.1'`) turns them into JavaScript
 * with `toJS()`, so the fast loader gives bit-for-bit the values the plain loader gives. Each function
 * copies the library's code path it names (yaml/dist/schema/yaml-1.1/*.js, compose/resolve-flow-scalar.js,
 * compose/resolve-block-scalar.js); anything those paths would report as an error throws `Unsupported`,
 * which sends the whole source back to the library so that the error finding is worded as today.
 */

/** The fast path met something it does not copy: the caller loads the source with the `yaml` library. */
export class Unsupported extends Error {}

/**
 * `read()`, or undefined when it met what the fast readers do not copy (`Unsupported`) or input deep enough
 * to exhaust the stack: the caller then reads the source another way.
 */
export function unlessUnsupported<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (e) {
    if (e instanceof Unsupported || e instanceof RangeError) return undefined;
    throw e;
  }
}

export const unsupported = (why: string): never => {
  throw new Unsupported(why);
};

/**
 * Tabs, carriage returns, C0/C1 controls, line/paragraph separators, byte order marks and noncharacters:
 * the library rejects some and treats others as white space or line breaks; the fast readers leave
 * them all to it.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these characters are what it looks for.
const UNSUPPORTED_CHARS = /[\t\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;

export const hasUnsupportedChars = (text: string): boolean => UNSUPPORTED_CHARS.test(text);

/**
 * In ASCII text, what hasUnsupportedChars finds: the C0 controls other than LF, and DEL, written as what is
 * not LF or printable, which V8 searches twice as fast as the ranges themselves (0.9 against 1.8 ns a
 * character on a dump's items).
 */
const UNSUPPORTED_ASCII = /[^\n -~]/;

/** hasUnsupportedChars, with a smaller search when the text is known to be ASCII (Window.text). */
export const hasUnsupported = (text: string, ascii: boolean): boolean =>
  ascii ? UNSUPPORTED_ASCII.test(text) : UNSUPPORTED_CHARS.test(text);

// The tests of the YAML 1.1 types (https://yaml.org/type/), in the order the library's yaml-1.1 schema
// lists them: the first tag whose test matches resolves the plain scalar.
const NULL_RE = /^(?:~|[Nn]ull|NULL)?$/;
const TRUE_RE = /^(?:Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const FALSE_RE = /^(?:N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;
const INT_BIN_RE = /^[-+]?0b[0-1_]+$/;
const INT_OCT_RE = /^[-+]?0[0-7_]+$/;
const INT_RE = /^[-+]?[0-9][0-9_]*$/;
const INT_HEX_RE = /^[-+]?0x[0-9a-fA-F_]+$/;
const FLOAT_NAN_RE = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP_RE = /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/;
const FLOAT_RE = /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*$/;
const INT_TIME_RE = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$/;
const FLOAT_TIME_RE = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$/;
const TIMESTAMP_RE =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:t|T|[ \t]+)([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2}(\.[0-9]+)?)(?:[ \t]*(Z|[-+][012]?[0-9](?::[0-9]{2})?))?)?$/;

/** yaml-1.1/int.js intResolve (intAsBigInt off). */
function intResolve(str: string, offset: number, radix: number): number {
  const sign = str[0];
  const start = sign === '-' || sign === '+' ? offset + 1 : offset;
  const n = Number.parseInt(str.substring(start).replace(/_/g, ''), radix);
  return sign === '-' ? -1 * n : n;
}

/** yaml-1.1/timestamp.js parseSexagesimal (numbers only). */
function parseSexagesimal(str: string): number {
  const sign = str[0];
  const parts = sign === '-' || sign === '+' ? str.substring(1) : str;
  const res = parts
    .replace(/_/g, '')
    .split(':')
    .reduce((acc, p) => acc * 60 + Number(p), 0);
  return sign === '-' ? -1 * res : res;
}

/** A plain scalar's value: null, boolean, number or string. */
export type PlainValue = null | boolean | number | string;

/**
 * Resolves a plain (unquoted) scalar as the library's YAML 1.1 schema does (compose-scalar.js
 * findScalarTagByTest). At a mapping key, `<<` is the merge key (yaml.org/type/merge.html): not copied.
 */
export function resolvePlain(s: string, atKey: boolean): PlainValue {
  const c = s.charCodeAt(0);
  // Only these first characters can start a non-string: digits, sign, dot, `e`/`E` (the exponent
  // float's mantissa is optional: `e0` reads as NaN), `~`, and the letters of null/true/false/yes/no/on/off.
  // Everything else is a string without running the tests.
  const digitLike = (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46 || c === 101 || c === 69;
  if (!digitLike && s.length > 0 && c !== 126 && !'NnTtFfYyOo'.includes(s[0] as string)) {
    if (atKey && s === '<<') unsupported('merge key');
    return s;
  }
  if (NULL_RE.test(s)) return null;
  if (TRUE_RE.test(s)) return true;
  if (FALSE_RE.test(s)) return false;
  if (!digitLike) return s;
  if (INT_BIN_RE.test(s)) return intResolve(s, 2, 2);
  if (INT_OCT_RE.test(s)) return intResolve(s, 1, 8);
  if (INT_RE.test(s)) return intResolve(s, 0, 10);
  if (INT_HEX_RE.test(s)) return intResolve(s, 2, 16);
  if (FLOAT_NAN_RE.test(s)) {
    return s.slice(-3).toLowerCase() === 'nan'
      ? Number.NaN
      : s[0] === '-'
        ? Number.NEGATIVE_INFINITY
        : Number.POSITIVE_INFINITY;
  }
  if (FLOAT_EXP_RE.test(s)) return Number.parseFloat(s.replace(/_/g, ''));
  if (FLOAT_RE.test(s)) return Number.parseFloat(s.replace(/_/g, ''));
  if (INT_TIME_RE.test(s)) return parseSexagesimal(s);
  if (FLOAT_TIME_RE.test(s)) return parseSexagesimal(s);
  // A timestamp (yaml-1.1/timestamp.js) becomes a Date, which `doc.toJS()` keeps as a Date (it converts
  // with `keep: true`) and which a key turns into its local-time string: not copied. kubectl quotes them.
  if (TIMESTAMP_RE.test(s)) unsupported('a timestamp');
  return s;
}

const TRIM_END = /(?<![ \t])[ \t]+$/;
const TRIM_BOTH = /^[ \t]+|(?<![ \t])[ \t]+$/g;

/** resolve-flow-scalar.js unfoldLines: line folding of plain and single-quoted scalars (YAML 1.2 §6.5). */
export function unfoldLines(source: string): string {
  const line = /(.*?)\r?\n/sy;
  let match = line.exec(source);
  if (!match) return source;
  let res = (match[1] as string).replace(TRIM_END, '');
  let sep = ' ';
  let pos = line.lastIndex;
  // biome-ignore lint/suspicious/noAssignInExpressions: the library's loop, copied as written.
  while ((match = line.exec(source))) {
    const lm = (match[1] as string).replace(TRIM_BOTH, '');
    if (lm === '') {
      if (sep === '\n') res += sep;
      else sep = '\n';
    } else {
      res += sep + lm;
      sep = ' ';
    }
    pos = line.lastIndex;
  }
  const last = /[ \t]*(.*)/sy;
  last.lastIndex = pos;
  match = last.exec(source);
  return res + sep + (match?.[1] ?? '');
}

/** resolve-flow-scalar.js singleQuotedValue; `source` includes both quotes. */
export function singleQuotedValue(source: string): string {
  return unfoldLines(source.slice(1, -1)).replace(/''/g, "'");
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  '\t': '\t',
};

/** resolve-flow-scalar.js doubleQuotedValue (without `\r`, which the fast path never sees). */
export function doubleQuotedValue(source: string): string {
  const end = source.length - 1;
  // Without escapes or line breaks the value is the text between the quotes.
  if (source.indexOf('\\') === -1 && source.indexOf('\n') === -1) return source.slice(1, end);
  // Pieces joined once: appending character by character would keep a chain of pieces per character.
  const res: string[] = [];
  for (let i = 1; i < end; ++i) {
    const ch = source[i] as string;
    if (ch === '\n') {
      // foldNewline: one break folds to a space, n breaks to n-1 newlines.
      let fold = '';
      let next = source[i + 1];
      while (next === ' ' || next === '\t' || next === '\n') {
        if (next === '\n') fold += '\n';
        i += 1;
        next = source[i + 1];
      }
      res.push(fold || ' ');
    } else if (ch === '\\') {
      let next = source[++i] as string;
      const cc = ESCAPES[next];
      if (cc) res.push(cc);
      else if (next === '\n') {
        // An escaped line break: skipped, and the next line's indentation trimmed.
        next = source[i + 1] as string;
        while (next === ' ' || next === '\t') next = source[++i + 1] as string;
      } else if (next === 'x' || next === 'u' || next === 'U') {
        const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
        const cc = source.substr(i + 1, length);
        if (cc.length !== length || !/^[0-9a-fA-F]+$/.test(cc)) unsupported('bad escape');
        const code = Number.parseInt(cc, 16);
        if (code > 0x10ffff) unsupported('bad escape');
        res.push(String.fromCodePoint(code));
        i += length;
      } else unsupported('bad escape');
    } else if (ch === ' ' || ch === '\t') {
      // Trailing white space before a line break is trimmed.
      const wsStart = i;
      let next = source[i + 1];
      while (next === ' ' || next === '\t') next = source[++i + 1];
      if (next !== '\n') res.push(source.slice(wsStart, i + 1));
    } else {
      // A run of ordinary characters at once.
      let k = i + 1;
      for (; k < end; k++) {
        const c = source.charCodeAt(k); // line feed, backslash, space and tab end the run
        if (c === 10 || c === 92 || c === 32 || c === 9) break;
      }
      res.push(source.slice(i, k));
      i = k - 1;
    }
  }
  return res.join('');
}

/**
 * resolve-block-scalar.js for a header without an indentation indicator. `source` is the lexer's token:
 * the content lines after the header line, each ending in `\n` (the last one possibly not). `lineIndent`
 * is the parser's indentation of the header's line (the key's column, or the column after `- `).
 */
export function blockScalarValue(
  source: string,
  folded: boolean,
  chomp: '' | '-' | '+',
  lineIndent: number,
): string {
  const lines: [string, string][] = [];
  const split = source.split(/\n( *)/);
  const first = split[0] as string;
  const m = /^( *)/.exec(first)?.[1] ?? '';
  lines.push([m, first.slice(m.length)]);
  for (let i = 1; i < split.length; i += 2) lines.push([split[i] as string, split[i + 1] as string]);
  let chompStart = lines.length;
  for (let i = lines.length - 1; i >= 0; --i) {
    if ((lines[i] as [string, string])[1] === '') chompStart = i;
    else break;
  }
  if (chompStart === 0) unsupported('empty block scalar');
  // The parser's indentation of the header's line (the token's `indent`) is where trimming starts.
  let trimIndent = lineIndent;
  let contentStart = 0;
  for (let i = 0; i < chompStart; ++i) {
    const [indent, content] = lines[i] as [string, string];
    if (content === '') {
      if (indent.length > trimIndent) trimIndent = indent.length;
    } else {
      // "Block scalars with more-indented leading empty lines must use an explicit indentation indicator"
      if (indent.length < trimIndent) unsupported('more-indented leading empty lines');
      trimIndent = indent.length;
      contentStart = i;
      break;
    }
  }
  for (let i = lines.length - 1; i >= chompStart; --i) {
    if ((lines[i] as [string, string])[0].length > trimIndent) chompStart = i + 1;
  }
  // Pieces joined once at the end: `+=` would leave a chain of string pieces, kept as long as the object.
  const value: string[] = [];
  let sep = '';
  let prevMoreIndented = false;
  for (let i = 0; i < contentStart; ++i)
    value.push(`${(lines[i] as [string, string])[0].slice(trimIndent)}\n`);
  for (let i = contentStart; i < chompStart; ++i) {
    const [indent, content] = lines[i] as [string, string];
    if (content && indent.length < trimIndent) unsupported('block scalar less indented');
    if (!folded) {
      value.push(sep, indent.slice(trimIndent), content);
      sep = '\n';
    } else if (indent.length > trimIndent) {
      // More-indented content within a folded block keeps its line breaks (YAML 1.2 §8.1.3).
      if (sep === ' ') sep = '\n';
      else if (!prevMoreIndented && sep === '\n') sep = '\n\n';
      value.push(sep, indent.slice(trimIndent), content);
      sep = '\n';
      prevMoreIndented = true;
    } else if (content === '') {
      if (sep === '\n') value.push('\n');
      else sep = '\n';
    } else {
      value.push(sep, content);
      sep = ' ';
      prevMoreIndented = false;
    }
  }
  if (chomp === '+') {
    for (let i = chompStart; i < lines.length; ++i)
      value.push(`\n${(lines[i] as [string, string])[0].slice(trimIndent)}`);
    let last = value.length - 1;
    while (last >= 0 && value[last] === '') last--;
    if (last < 0 || !(value[last] as string).endsWith('\n')) value.push('\n');
    return value.join('');
  }
  if (chomp === '') value.push('\n');
  return value.join('');
}

/**
 * What go-yaml's reader refuses (readerc.go yaml_parser_update_buffer: "control characters are not
 * allowed"): everything but tab, line feed, carriage return, printable ASCII, U+0085, U+00A0-U+D7FF,
 * U+E000-U+FFFD and the planes above (surrogate pairs).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these characters are what it looks for.
const GO_YAML_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]/;

/** The first character go-yaml refuses, and where it is. */
export function firstControlCharacter(text: string): { char: string; offset: number } | undefined {
  const m = GO_YAML_CONTROL.exec(text);
  return m ? { char: m[0], offset: m.index } : undefined;
}

const GO_TAG_PREFIX = 'tag:yaml.org,2002:';

/** go-yaml v2 resolve.go resolveMap: the plain scalars a table names. */
const GO_RESOLVE_MAP = new Map<string, string>([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((s): [string, string] => [
    s,
    'bool',
  ]),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map(
    (s): [string, string] => [s, 'bool'],
  ),
  ...['', '~', 'null', 'Null', 'NULL'].map((s): [string, string] => [s, 'null']),
  ...[
    '.nan',
    '.NaN',
    '.NAN',
    '.inf',
    '.Inf',
    '.INF',
    '+.inf',
    '+.Inf',
    '+.INF',
    '-.inf',
    '-.Inf',
    '-.INF',
  ].map((s): [string, string] => [s, 'float']),
]);

/** Go's strconv.ParseInt(s, 0, 64) or ParseUint(s, 0, 64) succeeds (base prefixes 0x, 0o, 0b, leading 0). */
function goParsesInt(s: string): boolean {
  const m = /^([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|0([0-7]*)|([1-9][0-9]*))$/.exec(s);
  if (!m) return false;
  const [, sign, hex, oct, bin, lead, dec] = m;
  const n =
    hex !== undefined
      ? BigInt(`0x${hex}`)
      : oct !== undefined
        ? BigInt(`0o${oct}`)
        : bin !== undefined
          ? BigInt(`0b${bin}`)
          : lead !== undefined
            ? BigInt(lead === '' ? 0 : `0o${lead}`)
            : BigInt(dec as string);
  if (sign === '-') return n <= 2n ** 63n;
  return sign === '+' ? n < 2n ** 63n : n < 2n ** 64n;
}

/** go-yaml v2 resolve.go yamlStyleFloat, parsed by strconv.ParseFloat (out of range is an error). */
const GO_FLOAT_RE = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** go-yaml v2 allowedTimestampFormats: 2006-1-2T15:4:5.999999999Z07:00 (or `t`), 2006-1-2 15:4:5.999999999, 2006-1-2. */
const GO_TIMESTAMP_RE =
  /^\d{4}-\d{1,2}-\d{1,2}(?:[Tt]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})| \d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?)?$/;

/** The tag go-yaml v2 resolves a scalar's text to under an explicit tag (resolve.go resolve). */
function goResolvedTag(tag: string, s: string): string {
  const c = s.charCodeAt(0);
  const hint =
    s === ''
      ? 'N'
      : c === 43 || c === 45
        ? 'S'
        : c >= 48 && c <= 57
          ? 'D'
          : 'yYnNtTfFoO~'.includes(s[0] as string)
            ? 'M'
            : c === 46
              ? '.'
              : '';
  if (hint === '' || tag === 'str' || tag === 'binary') return 'str';
  const mapped = GO_RESOLVE_MAP.get(s);
  if (mapped) return mapped;
  if (hint === '.') return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s) ? 'float' : 'str';
  if (hint === 'D' || hint === 'S') {
    if (tag === 'timestamp' && GO_TIMESTAMP_RE.test(s)) return 'timestamp';
    const plain = s.replace(/_/g, '');
    if (goParsesInt(plain)) return 'int';
    if (GO_FLOAT_RE.test(plain) && Number.isFinite(Number(plain))) return 'float';
  }
  return 'str';
}

/**
 * go-yaml's error for a scalar whose explicit tag does not fit its text (resolve.go: "cannot decode !!str
 * `notanint` as a !!int"; decode.go: "!!binary value contains invalid base64 data"), or undefined. Only the
 * tags go-yaml resolves are checked; any other tag keeps the text, as go-yaml does.
 */
export function goYamlTagError(fullTag: string, s: string): string | undefined {
  if (!fullTag.startsWith(GO_TAG_PREFIX)) return undefined;
  const tag = fullTag.slice(GO_TAG_PREFIX.length);
  if (tag === 'binary') {
    // Go's base64.StdEncoding skips line breaks; anything else must be the padded alphabet.
    const b = s.replace(/[\r\n]/g, '');
    return b.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(b)
      ? undefined
      : '!!binary value contains invalid base64 data';
  }
  if (!['str', 'bool', 'int', 'float', 'null', 'timestamp'].includes(tag)) return undefined;
  const resolved = goResolvedTag(tag, s);
  if (resolved === tag || tag === 'str' || (tag === 'float' && resolved === 'int')) return undefined;
  return `cannot decode !!${resolved} \`${s}\` as a !!${tag}`;
}
