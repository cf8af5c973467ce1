/**
 * IP and CIDR checks as the API server runs them: k8s.io/utils/net ParseIPSloppy / ParseCIDRSloppy (Go 1.16's
 * net.ParseIP and net.ParseCIDR, which still accept leading zeros in IPv4 octets), and the field-level wrappers
 * of k8s.io/apimachinery/pkg/util/validation/ip.go and ValidateNonSpecialIP.
 */
import type { FieldError } from '../field-error.js';
import { invalid } from '../field-error.js';
import type { FieldPath } from '../field-path.js';

/** A parsed address, always 16 bytes (IPv4 in its IPv4-mapped form), as Go's net.IP. */
export type IP = Uint8Array;

const BIG = 0xffffff;

/** dtoi: leading decimal digits; fails on none or on overflow. */
function dtoi(s: string): { n: number; used: number } | null {
  let n = 0;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
    if (n >= BIG) return null;
  }
  return i === 0 ? null : { n, used: i };
}

/** xtoi: leading hex digits; fails on none or on overflow. */
function xtoi(s: string): { n: number; used: number } | null {
  let n = 0;
  let i = 0;
  for (; i < s.length; i++) {
    const d = Number.parseInt(s[i] ?? '', 16);
    if (Number.isNaN(d)) break;
    n = n * 16 + d;
    if (n >= BIG) return null;
  }
  return i === 0 ? null : { n, used: i };
}

function ipv4(a: number, b: number, c: number, d: number): IP {
  const ip = new Uint8Array(16);
  ip[10] = 0xff;
  ip[11] = 0xff;
  ip[12] = a;
  ip[13] = b;
  ip[14] = c;
  ip[15] = d;
  return ip;
}

/** parseIPv4 (Go 1.16): four decimal octets, leading zeros allowed. */
export function parseIPv4(input: string): IP | null {
  let s = input;
  const p: number[] = [];
  for (let i = 0; i < 4; i++) {
    if (s.length === 0) return null;
    if (i > 0) {
      if (s[0] !== '.') return null;
      s = s.slice(1);
    }
    const r = dtoi(s);
    if (!r || r.n > 0xff) return null;
    s = s.slice(r.used);
    p.push(r.n);
  }
  if (s.length !== 0) return null;
  return ipv4(p[0] ?? 0, p[1] ?? 0, p[2] ?? 0, p[3] ?? 0);
}

/** parseIPv6 (Go 1.16): hex groups, one `::`, an optional trailing dotted IPv4, no zone. */
export function parseIPv6(input: string): IP | null {
  let s = input;
  const ip = new Uint8Array(16);
  let ellipsis = -1;
  if (s.length >= 2 && s[0] === ':' && s[1] === ':') {
    ellipsis = 0;
    s = s.slice(2);
    if (s.length === 0) return ip;
  }
  let i = 0;
  while (i < 16) {
    const r = xtoi(s);
    if (!r || r.n > 0xffff) return null;
    if (r.used < s.length && s[r.used] === '.') {
      if (ellipsis < 0 && i !== 12) return null;
      if (i + 4 > 16) return null;
      const v4 = parseIPv4(s);
      if (!v4) return null;
      ip.set(v4.subarray(12), i);
      s = '';
      i += 4;
      break;
    }
    ip[i] = r.n >> 8;
    ip[i + 1] = r.n & 0xff;
    i += 2;
    s = s.slice(r.used);
    if (s.length === 0) break;
    if (s[0] !== ':' || s.length === 1) return null;
    s = s.slice(1);
    if (s[0] === ':') {
      if (ellipsis >= 0) return null;
      ellipsis = i;
      s = s.slice(1);
      if (s.length === 0) break;
    }
  }
  if (s.length !== 0) return null;
  if (i < 16) {
    if (ellipsis < 0) return null;
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) ip[j + n] = ip[j] ?? 0;
    for (let j = ellipsis + n - 1; j >= ellipsis; j--) ip[j] = 0;
  } else if (ellipsis >= 0) {
    return null;
  }
  return ip;
}

/** ParseIPSloppy: the first `.` or `:` decides the family, as in net.ParseIP. */
export function parseIPSloppy(s: string): IP | null {
  for (const ch of s) {
    if (ch === '.') return parseIPv4(s);
    if (ch === ':') return parseIPv6(s);
  }
  return null;
}

/** net.IP.To4: the 4-byte form when the address is IPv4 (or IPv4-mapped). */
export function to4(ip: IP): Uint8Array | null {
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return null;
  return ip[10] === 0xff && ip[11] === 0xff ? ip.subarray(12) : null;
}

export interface CIDR {
  /** Network address, 4 bytes for an IPv4 CIDR, 16 bytes otherwise (net.IPNet.IP). */
  readonly ip: Uint8Array;
  readonly prefix: number;
}

/** ParseCIDRSloppy (Go 1.16 net.ParseCIDR): `addr/bits`, the family coming from the address syntax. */
export function parseCIDRSloppy(s: string): CIDR | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const addr = s.slice(0, slash);
  const mask = s.slice(slash + 1);
  let ip: Uint8Array | null = parseIPv4(addr);
  let bits = 32;
  if (ip) ip = ip.subarray(12);
  else {
    ip = parseIPv6(addr);
    bits = 128;
  }
  const r = dtoi(mask);
  if (!ip || !r || r.used !== mask.length || r.n > bits) return null;
  return { ip: maskBytes(ip, r.n), prefix: r.n };
}

function maskBytes(ip: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(ip.length);
  for (let i = 0; i < ip.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = (ip[i] ?? 0) & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** net.IPNet.Contains. */
export function cidrContains(net: CIDR, addr: Uint8Array): boolean {
  const ip = addr.length === 16 ? (to4(addr) ?? addr) : addr;
  if (ip.length !== net.ip.length) return false;
  const masked = maskBytes(ip, net.prefix);
  return masked.every((b, i) => b === net.ip[i]);
}

// ---- field-level checks ----

/** validation.IsValidIP. */
export function isValidIP(path: FieldPath, value: string): FieldError[] {
  return parseIPSloppy(value)
    ? []
    : [invalid(path, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
}

/** validation.IsValidCIDR (and IsValidCIDRForLegacyField with StrictIPCIDRValidation off). */
export function isValidCIDR(path: FieldPath, value: string): FieldError[] {
  return parseCIDRSloppy(value)
    ? []
    : [invalid(path, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
}

/** ValidateNonSpecialIP (Service externalIPs): no unspecified, loopback or link-local address. */
export function validateNonSpecialIP(value: string, path: FieldPath): FieldError[] {
  const ip = parseIPSloppy(value);
  if (!ip) return [invalid(path, value, 'must be a valid IP address')];
  const errs: FieldError[] = [];
  const v4 = to4(ip);
  const unspecified = v4 ? v4.every((b) => b === 0) : ip.every((b) => b === 0);
  const loopback = v4 ? v4[0] === 127 : ip.subarray(0, 15).every((b) => b === 0) && ip[15] === 1;
  const linkLocalUnicast = v4
    ? v4[0] === 169 && v4[1] === 254
    : ip[0] === 0xfe && ((ip[1] ?? 0) & 0xc0) === 0x80;
  const linkLocalMulticast = v4
    ? v4[0] === 224 && v4[1] === 0 && v4[2] === 0
    : ip[0] === 0xff && ((ip[1] ?? 0) & 0x0f) === 0x02;
  if (unspecified) errs.push(invalid(path, value, `may not be unspecified (${value})`));
  if (loopback) errs.push(invalid(path, value, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  if (linkLocalUnicast) {
    errs.push(invalid(path, value, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  }
  if (linkLocalMulticast) {
    errs.push(invalid(path, value, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  }
  return errs;
}
