/**
 * Ingress validation on create (ValidateIngressCreate in pkg/apis/networking/validation/validation.go): rules,
 * hosts, paths, backends and TLS hosts. Legacy v1beta1 objects arrive converted to the v1 shape.
 */
import { type FieldError, invalid, notSupported, required } from '../field-error.js';
import { FieldPath } from '../field-path.js';
import type { HTTPIngressPath, Ingress, IngressBackend } from '../types.js';
import { invalidEach } from './common.js';
import { parseIPSloppy } from './ip.js';
import { validateObjectMeta } from './metadata.js';
import {
  isDNS1123Subdomain,
  isValidPathSegmentName,
  isValidPortName,
  isValidPortNum,
  isWildcardDNS1123Subdomain,
  nameIsDNS1035Label,
  nameIsDNSSubdomain,
} from './names.js';

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];
const ANNOTATION_INGRESS_CLASS = 'kubernetes.io/ingress.class';

const spec = FieldPath.root('spec');

/** A host in a rule or a TLS entry: a wildcard subdomain when it contains `*`, a plain subdomain otherwise. */
function validateHostName(host: string, path: FieldPath): FieldError[] {
  if (host.includes('*')) return invalidEach(path, host, isWildcardDNS1123Subdomain(host));
  return invalidEach(path, host, isDNS1123Subdomain(host));
}

/**
 * validateIngressBackend. Both or neither of resource/service is an error on the backend itself; so are both
 * or neither of port name/number (`number: 0` counts as unset).
 */
export function validateIngressBackend(backend: IngressBackend | undefined, path: FieldPath): FieldError[] {
  const b = backend ?? {};
  if (b.resource && b.service) return [invalid(path, '', 'cannot set both resource and service backends')];
  const errs: FieldError[] = [];
  if (b.resource) {
    const r = b.resource;
    const rp = path.child('resource');
    if (r.apiGroup !== undefined)
      errs.push(...invalidEach(rp.child('apiGroup'), r.apiGroup, isDNS1123Subdomain(r.apiGroup)));
    if (!r.kind) errs.push(required(rp.child('kind')));
    else errs.push(...invalidEach(rp.child('kind'), r.kind, isValidPathSegmentName(r.kind)));
    if (!r.name) errs.push(required(rp.child('name')));
    else errs.push(...invalidEach(rp.child('name'), r.name, isValidPathSegmentName(r.name)));
    return errs;
  }
  if (!b.service) return [invalid(path, '', 'resource or service backend is required')];
  const name = b.service.name ?? '';
  // ValidateServiceName (DNS-1035); RelaxedServiceNameValidation is alpha and off by default.
  if (name === '') errs.push(required(path.child('service', 'name')));
  else errs.push(...invalidEach(path.child('service', 'name'), name, nameIsDNS1035Label(name, false)));
  const portName = b.service.port?.name ?? '';
  const portNumber = b.service.port?.number ?? 0;
  if (portName !== '' && portNumber !== 0)
    errs.push(invalid(path, '', 'cannot set both port name & port number'));
  else if (portName !== '') {
    errs.push(...invalidEach(path.child('service', 'port', 'name'), portName, isValidPortName(portName)));
  } else if (portNumber !== 0) {
    errs.push(
      ...invalidEach(path.child('service', 'port', 'number'), portNumber, isValidPortNum(portNumber)),
    );
  } else errs.push(required(path, 'port name or number is required'));
  return errs;
}

/** validateHTTPIngressPath: a missing pathType stops the checks for that path. */
function validateHTTPIngressPath(p: HTTPIngressPath, path: FieldPath): FieldError[] {
  if (p.pathType === undefined) return [required(path.child('pathType'), 'pathType must be specified')];
  const errs: FieldError[] = [];
  const value = p.path ?? '';
  const pathPath = path.child('path');
  switch (p.pathType) {
    case 'Exact':
    case 'Prefix':
      if (!value.startsWith('/')) errs.push(invalid(pathPath, value, 'must be an absolute path'));
      if (value.length > 0) {
        for (const seq of INVALID_PATH_SEQUENCES) {
          if (value.includes(seq)) errs.push(invalid(pathPath, value, `must not contain '${seq}'`));
        }
        for (const suffix of INVALID_PATH_SUFFIXES) {
          if (value.endsWith(suffix)) errs.push(invalid(pathPath, value, `cannot end with '${suffix}'`));
        }
      }
      break;
    case 'ImplementationSpecific':
      if (value.length > 0 && !value.startsWith('/'))
        errs.push(invalid(pathPath, value, 'must be an absolute path'));
      break;
    default:
      errs.push(notSupported(path.child('pathType'), p.pathType, PATH_TYPES));
  }
  errs.push(...validateIngressBackend(p.backend, path.child('backend')));
  return errs;
}

/** validateIngressRules. An IP host fails both as an IP and, if it is not a subdomain either, as a name. */
function validateRules(ingress: Ingress): FieldError[] {
  const errs: FieldError[] = [];
  (ingress.spec.rules ?? []).forEach((rule, i) => {
    const rp = spec.child('rules').index(i);
    const host = rule.host ?? '';
    if (host.length > 0) {
      if (parseIPSloppy(host))
        errs.push(invalid(rp.child('host'), host, 'must be a DNS name, not an IP address'));
      errs.push(...validateHostName(host, rp.child('host')));
    }
    if (rule.http) {
      const paths = rule.http.paths ?? [];
      const hp = rp.child('http');
      if (paths.length === 0) errs.push(required(hp.child('paths')));
      paths.forEach((p, j) => {
        errs.push(...validateHTTPIngressPath(p, hp.child('paths').index(j)));
      });
    }
  });
  return errs;
}

/** validateIngressTLS: hosts follow the rule-host formats (without the IP check); secretName a DNS subdomain. */
function validateTLS(ingress: Ingress): FieldError[] {
  const errs: FieldError[] = [];
  (ingress.spec.tls ?? []).forEach((tls, i) => {
    const tp = spec.child('tls').index(i);
    (tls.hosts ?? []).forEach((host, j) => {
      errs.push(...validateHostName(host, tp.child('hosts').index(j)));
    });
    const secret = tls.secretName ?? '';
    if (secret !== '')
      errs.push(...invalidEach(tp.child('secretName'), secret, nameIsDNSSubdomain(secret, false)));
  });
  return errs;
}

/** ValidateIngressCreate. */
export function validateIngress(ingress: Ingress, namespace: string): FieldError[] {
  const errs = validateObjectMeta(ingress.metadata, { nameFn: nameIsDNSSubdomain, namespace });
  const s = ingress.spec ?? {};
  if ((s.rules?.length ?? 0) === 0 && !s.defaultBackend) {
    errs.push(invalid(spec, s.rules ?? null, 'either `defaultBackend` or `rules` must be specified'));
  }
  if (s.defaultBackend) errs.push(...validateIngressBackend(s.defaultBackend, spec.child('defaultBackend')));
  errs.push(...validateRules(ingress));
  errs.push(...validateTLS(ingress));
  if (s.ingressClassName !== undefined) {
    errs.push(
      ...invalidEach(
        spec.child('ingressClassName'),
        s.ingressClassName,
        nameIsDNSSubdomain(s.ingressClassName, false),
      ),
    );
  }
  const annotation = ingress.metadata?.annotations?.[ANNOTATION_INGRESS_CLASS];
  if (annotation !== undefined && s.ingressClassName !== undefined && annotation !== s.ingressClassName) {
    // Upstream builds this path without `metadata`.
    errs.push(
      invalid(
        FieldPath.root('annotations').child(ANNOTATION_INGRESS_CLASS),
        annotation,
        'must match `ingressClassName` when both are specified',
      ),
    );
  }
  return errs;
}
