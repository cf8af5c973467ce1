/**
 * The TARGET of `portchain trace` and its `--from` source, parsed from the command line. Pure: nothing here
 * looks at the manifests (a name that is not there is the trace's finding, not a usage error).
 */
import type { Protocol } from '../model/types.js';

/** A Service port as the client names it: a number, a port name, or nothing (the Service's only port). */
export type PortRef = number | string | null;

export type TraceTarget =
  /** An HTTP(S) request entering through the Ingresses; host "" is a request to a bare IP (no Host rule fits). */
  | {
      readonly kind: 'url';
      readonly raw: string;
      readonly scheme: 'http' | 'https';
      readonly host: string;
      readonly path: string;
    }
  /** `svc/NAME[.NS][:PORT]` or `NAME.NS.svc[.cluster.local]:PORT`: the Service's cluster DNS name. */
  | {
      readonly kind: 'service';
      readonly raw: string;
      readonly name: string;
      readonly namespace: string | null;
      readonly port: PortRef;
    }
  /** `IP:PORT`: a clusterIP, an externalIP or a load balancer address written in the manifests. */
  | { readonly kind: 'ip'; readonly raw: string; readonly ip: string; readonly port: number }
  /** `node:PORT` (any node) or `node/NAME:PORT`. */
  | { readonly kind: 'node-port'; readonly raw: string; readonly node: string | null; readonly port: number }
  /** `lb/NAME[.NS][:PORT]`: the load balancer of a Service of type LoadBalancer, on a Service port. */
  | {
      readonly kind: 'load-balancer';
      readonly raw: string;
      readonly name: string;
      readonly namespace: string | null;
      readonly port: PortRef;
    };

export type TraceSource =
  | { readonly kind: 'external'; readonly ip: string | null }
  | { readonly kind: 'pod'; readonly name: string; readonly namespace: string | null }
  | { readonly kind: 'namespace'; readonly name: string };

/** A TARGET or --from value that cannot be read; the CLI prints it with the accepted forms (exit 2). */
export class TargetError extends Error {}

const aligned = (rows: readonly (readonly [string, string])[]): string[] => {
  const width = Math.max(...rows.map(([form]) => form.length));
  return rows.map(([form, text]) => `${form.padEnd(width)}  ${text}`);
};

/** The accepted TARGET forms, one line each (usage errors and --help print them). */
export const TARGET_FORMS = aligned([
  [
    'http://HOST/PATH, https://HOST/PATH',
    'a request through the Ingresses (http://_/PATH: a bare-IP request, no Host)',
  ],
  [
    'svc/NAME[.NAMESPACE][:PORT]',
    'a Service port (PORT: number or port name; optional for a one-port Service)',
  ],
  ['NAME.NAMESPACE.svc[.cluster.local]:PORT', 'the same, by its cluster DNS name'],
  ['IP:PORT', 'a clusterIP, externalIP or load balancer IP written in the manifests'],
  ['node:PORT, node/NODE:PORT', 'a nodePort, on any node or on one node'],
  ['lb/NAME[.NAMESPACE][:PORT]', 'the load balancer of a LoadBalancer Service, on a Service port'],
]);

/** The accepted --from forms. */
export const SOURCE_FORMS = aligned([
  ['external[/IP]', 'a client outside the cluster (IP: to match ipBlock rules)'],
  ['pod/NAME[.NAMESPACE]', 'a pod, or the pods of a workload, in the input'],
  ['namespace/NAME', 'a pod with no particular labels in that namespace'],
]);

/** RFC 1123 label / DNS-1035 label: what Service and namespace names are made of. */
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function portNumber(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new TargetError(`${what}: port "${text}" is not a number`);
  const n = Number(text);
  if (n < 1 || n > 65535) throw new TargetError(`${what}: port ${n} is not in 1-65535`);
  return n;
}

function portRef(text: string | undefined, what: string): PortRef {
  if (text === undefined) return null;
  if (/^\d+$/.test(text)) return portNumber(text, what);
  if (!PORT_NAME.test(text))
    throw new TargetError(`${what}: "${text}" is neither a port number nor a port name`);
  return text;
}

/** `NAME[.NAMESPACE][:PORT]` after a `svc/` or `lb/` prefix. */
function nameNsPort(body: string, raw: string): { name: string; namespace: string | null; port: PortRef } {
  const colon = body.lastIndexOf(':');
  const ref = colon >= 0 ? body.slice(0, colon) : body;
  const port = portRef(colon >= 0 ? body.slice(colon + 1) : undefined, raw);
  const [name, namespace, ...rest] = ref.split('.');
  if (!name || rest.length > 0 || !LABEL.test(name) || (namespace !== undefined && !LABEL.test(namespace)))
    throw new TargetError(`${raw}: expected NAME or NAME.NAMESPACE (lower-case DNS labels)`);
  return { name, namespace: namespace ?? null, port };
}

function isIPv4(s: string): boolean {
  const m = IPV4.exec(s);
  return !!m && m.slice(1).every((o) => Number(o) <= 255);
}

function parseUrl(raw: string): TraceTarget {
  const m = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(raw);
  if (!m) throw new TargetError(`${raw}: not an http:// or https:// URL`);
  const scheme = (m[1] as string).toLowerCase() as 'http' | 'https';
  const authority = (m[2] as string).replace(/^[^@]*@/, '');
  const rest = m[3] as string;
  // `_` is nginx's catch-all server name: a request that carries no Host a rule could match.
  const host = authority === '_' || authority.startsWith('_:') ? '' : authority;
  if (authority === '')
    throw new TargetError(`${raw}: no host (write http://_/PATH for a request to a bare IP)`);
  const path = rest === '' || rest.startsWith('?') || rest.startsWith('#') ? `/${rest}` : rest;
  return { kind: 'url', raw, scheme, host, path };
}

/** Parses a TARGET; throws TargetError with what was wrong (the caller adds TARGET_FORMS). */
export function parseTarget(raw: string): TraceTarget {
  const text = raw.trim();
  if (text === '') throw new TargetError('TARGET is empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return parseUrl(text);
  if (text.startsWith('svc/') || text.startsWith('service/')) {
    return { kind: 'service', raw: text, ...nameNsPort(text.slice(text.indexOf('/') + 1), text) };
  }
  if (text.startsWith('lb/')) return { kind: 'load-balancer', raw: text, ...nameNsPort(text.slice(3), text) };
  const node = /^node(?:\/([^:]+))?:(.+)$/.exec(text);
  if (node) {
    return { kind: 'node-port', raw: text, node: node[1] ?? null, port: portNumber(node[2] as string, text) };
  }
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text);
  if (v6)
    return {
      kind: 'ip',
      raw: text,
      ip: (v6[1] as string).toLowerCase(),
      port: portNumber(v6[2] as string, text),
    };
  const colon = text.lastIndexOf(':');
  if (colon > 0) {
    const host = text.slice(0, colon);
    const port = text.slice(colon + 1);
    if (isIPv4(host)) return { kind: 'ip', raw: text, ip: host, port: portNumber(port, text) };
    // NAME.NAMESPACE.svc[.cluster.local]: the Service's DNS name (any cluster domain after `.svc`).
    const dns = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\.[a-z0-9.-]+)?\.?$/.exec(host.toLowerCase());
    if (dns) {
      const [, name, namespace] = dns as unknown as [string, string, string];
      if (!LABEL.test(name) || !LABEL.test(namespace))
        throw new TargetError(`${text}: not a Service DNS name`);
      return { kind: 'service', raw: text, name, namespace, port: portRef(port, text) };
    }
  }
  throw new TargetError(`${text}: not a TARGET portchain knows`);
}

/** Parses `--from`; throws TargetError. */
export function parseSource(raw: string): TraceSource {
  const text = raw.trim();
  if (text === 'external') return { kind: 'external', ip: null };
  if (text.startsWith('external/')) {
    const ip = text.slice('external/'.length);
    if (!isIPv4(ip) && !/^[0-9a-fA-F:]+$/.test(ip))
      throw new TargetError(`--from ${text}: "${ip}" is not an IP`);
    return { kind: 'external', ip };
  }
  if (text.startsWith('pod/')) {
    const [name, namespace, ...rest] = text.slice(4).split('.');
    if (!name || rest.length > 0 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name))
      throw new TargetError(`--from ${text}: expected pod/NAME or pod/NAME.NAMESPACE`);
    return { kind: 'pod', name, namespace: namespace ?? null };
  }
  if (text.startsWith('namespace/') || text.startsWith('ns/')) {
    const name = text.slice(text.indexOf('/') + 1);
    if (!LABEL.test(name)) throw new TargetError(`--from ${text}: "${name}" is not a namespace name`);
    return { kind: 'namespace', name };
  }
  throw new TargetError(`--from ${text}: not a source portchain knows`);
}

/** `--protocol`: tcp, udp or sctp, any case. */
export function parseProtocol(raw: string): Protocol {
  const p = raw.trim().toUpperCase();
  if (p === 'TCP' || p === 'UDP' || p === 'SCTP') return p;
  throw new TargetError(`--protocol ${raw}: expected tcp, udp or sctp`);
}
