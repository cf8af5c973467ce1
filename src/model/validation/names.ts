/**
 * Kubernetes' string-format checks with their exact message texts
 * (k8s.io/apimachinery/pkg/util/validation/validation.go, pkg/api/validate/content, pkg/api/validation/generic.go).
 * Each check returns the list of failure messages, empty when the value is valid, as the Go functions do.
 */

/**
 * A validator that remembers the values it found valid: a cluster dump repeats the same label keys and port
 * names on every pod, and those checks split and test several patterns. Names and label values are mostly
 * unique (one per pod): for them the set costs more than the one pattern test, so they are not remembered.
 */
function rememberValid(check: (value: string) => string[]): (value: string) => string[] {
  const valid = new Set<string>();
  return (value) => {
    if (valid.has(value)) return [];
    const errs = check(value);
    if (errs.length === 0) {
      if (valid.size >= 65_536) valid.clear();
      valid.add(value);
    }
    return errs;
  };
}

/** Go's len(): the UTF-8 byte length, which is what every length limit counts. */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** byteLength(s) > max, without encoding the short strings every name is: UTF-8 needs at most 3 bytes per UTF-16 unit. */
export function exceedsBytes(s: string, max: number): boolean {
  if (s.length * 3 <= max) return false;
  if (s.length > max) return true;
  return byteLength(s) > max;
}

/** util/validation MaxLenError. */
export const maxLenError = (n: number): string => `must be no more than ${n} characters`;
/** content.MaxLenError, used by the label-key and label-value checks (IsQualifiedName, IsValidLabelValue). */
const maxBytesError = (n: number): string => `must be no more than ${n} bytes`;
/** EmptyError. */
export const emptyError = (): string => 'must be non-empty';
/** InclusiveRangeError. */
export const inclusiveRangeError = (lo: number, hi: number): string =>
  `must be between ${lo} and ${hi}, inclusive`;

/**
 * RegexError. With examples it renders `(e.g. 'a',  or 'b', regex used …)`: every example is followed by
 * `', '` and joined with `' or '`, hence the double space, kept verbatim.
 */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  let out = `${msg} (e.g. `;
  examples.forEach((e, i) => {
    if (i > 0) out += ' or ';
    out += `'${e}', `;
  });
  return `${out}regex used for validation is '${fmt}')`;
}

const anchored = (fmt: string): RegExp => new RegExp(`^(?:${fmt})$`);

// ---- DNS names ----

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123LabelErrMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
export const DNS1123_LABEL_MAX_LENGTH = 63;
const dns1123LabelRe = anchored(dns1123LabelFmt);

const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1123SubdomainErrMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
const dns1123SubdomainRe = anchored(dns1123SubdomainFmt);

const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const dns1035LabelErrMsg =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const dns1035LabelRe = anchored(dns1035LabelFmt);

const wildcardDNS1123SubdomainFmt = `\\*\\.${dns1123SubdomainFmt}`;
const wildcardDNS1123SubdomainErrMsg =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character";
const wildcardDNS1123SubdomainRe = anchored(wildcardDNS1123SubdomainFmt);

/** IsDNS1123Label (DNS_LABEL). A valid subdomain that is not a label can only be one with dots. */
export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (exceedsBytes(value, DNS1123_LABEL_MAX_LENGTH)) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!dns1123LabelRe.test(value)) {
    if (dns1123SubdomainRe.test(value)) errs.push('must not contain dots');
    else errs.push(regexError(dns1123LabelErrMsg, dns1123LabelFmt, 'my-name', '123-abc'));
  }
  return errs;
}

/** IsDNS1123Subdomain (DNS_SUBDOMAIN). */
export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (exceedsBytes(value, DNS1123_SUBDOMAIN_MAX_LENGTH)) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!dns1123SubdomainRe.test(value)) {
    errs.push(regexError(dns1123SubdomainErrMsg, dns1123SubdomainFmt, 'example.com'));
  }
  return errs;
}

/** IsDNS1035Label: like a DNS-1123 label but must start with a letter (Service names). */
export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (exceedsBytes(value, DNS1123_LABEL_MAX_LENGTH)) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!dns1035LabelRe.test(value))
    errs.push(regexError(dns1035LabelErrMsg, dns1035LabelFmt, 'my-name', 'abc-123'));
  return errs;
}

/** IsWildcardDNS1123Subdomain: `*.` followed by a subdomain (RFC 1034 §4.3.3). */
export function isWildcardDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (exceedsBytes(value, DNS1123_SUBDOMAIN_MAX_LENGTH)) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!wildcardDNS1123SubdomainRe.test(value)) {
    errs.push(regexError(wildcardDNS1123SubdomainErrMsg, wildcardDNS1123SubdomainFmt, '*.example.com'));
  }
  return errs;
}

// ---- object names (apimachinery/pkg/api/validation/generic.go) ----

/** A name-format check; `prefix` is true for generateName, whose trailing dash is allowed. */
export type NameFn = (name: string, prefix: boolean) => string[];

/**
 * maskTrailingDash. Upstream quirk kept verbatim: it drops the last TWO characters before appending "a",
 * so only a trailing dash stops mattering.
 */
export function maskTrailingDash(name: string): string {
  if (name.length > 1 && name.endsWith('-')) return `${name.slice(0, -2)}a`;
  return name;
}

/** NameIsDNSSubdomain: most object names (Pod, Deployment, Ingress, NetworkPolicy, Secret …). */
export const nameIsDNSSubdomain: NameFn = (name, prefix) =>
  isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
/** NameIsDNSLabel: namespaces and (since 1.27) StatefulSets. */
export const nameIsDNSLabel: NameFn = (name, prefix) =>
  isDNS1123Label(prefix ? maskTrailingDash(name) : name);
/** NameIsDNS1035Label: Services (ValidateServiceName). */
export const nameIsDNS1035Label: NameFn = (name, prefix) =>
  isDNS1035Label(prefix ? maskTrailingDash(name) : name);

/** IsValidPathSegmentName: what a name in a URL path may not be (Ingress resource backends). */
export function isValidPathSegmentName(name: string): string[] {
  for (const illegal of ['.', '..']) if (name === illegal) return [`may not be '${illegal}'`];
  const errs: string[] = [];
  for (const illegal of ['/', '%']) if (name.includes(illegal)) errs.push(`may not contain '${illegal}'`);
  return errs;
}

// ---- ports ----

/** IsValidPortNum: 1-65535. */
export function isValidPortNum(port: number): string[] {
  return port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

const portNameCharsetRe = /^[-a-z0-9]+$/;
const portNameOneLetterRe = /[a-z]/;

/**
 * IsValidPortName (IANA_SVC_NAME). Every failed check adds its message, in this order, so one value can
 * fail several times ("HTTP" fails the charset and the letter checks).
 */
function isValidPortNameUncached(port: string): string[] {
  const errs: string[] = [];
  if (exceedsBytes(port, 15)) errs.push(maxLenError(15));
  if (!portNameCharsetRe.test(port)) {
    errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  }
  if (!portNameOneLetterRe.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) {
    errs.push('must not begin or end with a hyphen');
  }
  return errs;
}
export const isValidPortName = rememberValid(isValidPortNameUncached);

// ---- labels (content.IsLabelKey / IsLabelValue) ----

const labelKeyFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const labelKeyErrMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelKeyRe = anchored(labelKeyFmt);
const LABEL_KEY_MAX_LENGTH = 63;

/**
 * IsQualifiedName (= content.IsLabelKey): an optional DNS-subdomain prefix and `/`, then a name of at most 63
 * bytes. Used for label keys, annotation keys and appProtocol.
 */
function isQualifiedNameUncached(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) errs.push(`prefix part ${emptyError()}`);
    else for (const msg of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${msg}`);
  } else {
    return [
      `a valid label key ${regexError(labelKeyErrMsg, labelKeyFmt, 'MyName', 'my.name', '123-abc')}` +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push(`name part ${emptyError()}`);
  else if (exceedsBytes(name, LABEL_KEY_MAX_LENGTH))
    errs.push(`name part ${maxBytesError(LABEL_KEY_MAX_LENGTH)}`);
  if (!labelKeyRe.test(name)) {
    errs.push(`name part ${regexError(labelKeyErrMsg, labelKeyFmt, 'MyName', 'my.name', '123-abc')}`);
  }
  return errs;
}
export const isQualifiedName = rememberValid(isQualifiedNameUncached);

const labelValueFmt = `(${labelKeyFmt})?`;
const labelValueErrMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelValueRe = anchored(labelValueFmt);

/** IsValidLabelValue (= content.IsLabelValue). */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (exceedsBytes(value, 63)) errs.push(maxBytesError(63));
  if (!labelValueRe.test(value))
    errs.push(regexError(labelValueErrMsg, labelValueFmt, 'MyValue', 'my_value', '12345'));
  return errs;
}

// ---- HTTP ----

const httpHeaderNameFmt = '[-A-Za-z0-9]+';
const httpHeaderNameRe = anchored(httpHeaderNameFmt);

/** IsHTTPHeaderName. */
export function isHTTPHeaderName(value: string): string[] {
  return httpHeaderNameRe.test(value)
    ? []
    : [
        regexError(
          "a valid HTTP header must consist of alphanumeric characters or '-'",
          httpHeaderNameFmt,
          'X-Header-Name',
        ),
      ];
}
