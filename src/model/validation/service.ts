/**
 * ValidateService (pkg/apis/core/validation/validation.go), every rule in code order, on the defaulted object.
 * Allocation (nodePorts, healthCheckNodePort) is not part of it: see src/semantics/node-ports.ts.
 */
import { duplicate, type FieldError, forbidden, invalid, notSupported, required } from '../field-error.js';
import { FieldPath } from '../field-path.js';
import type { Service, ServicePort } from '../types.js';
import { invalidEach, validateLabels, validatePortNumOrName } from './common.js';
import { isValidCIDR, isValidIP, parseIPSloppy, to4, validateNonSpecialIP } from './ip.js';
import { validateObjectMeta } from './metadata.js';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidPortNum,
  nameIsDNS1035Label,
} from './names.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const AFFINITIES = ['ClientIP', 'None'];
const IP_FAMILIES = ['IPv4', 'IPv6'];
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400;
const ANNOTATION_LB_SOURCE_RANGES = 'service.beta.kubernetes.io/load-balancer-source-ranges';
const ANNOTATION_TOPOLOGY_HINTS = 'service.kubernetes.io/topology-aware-hints';
const ANNOTATION_TOPOLOGY_MODE = 'service.kubernetes.io/topology-mode';

const spec = FieldPath.root('spec');
const LB_ONLY = "may only be used when `type` is 'LoadBalancer'";

/** isHeadlessService: clusterIPs is exactly ["None"] (the strategy copies clusterIP into clusterIPs). */
export function isHeadless(svc: Service): boolean {
  const ips = svc.spec.clusterIPs ?? [];
  return ips.length === 1 && ips[0] === 'None';
}

/** apiservice.ExternallyAccessible. */
function externallyAccessible(svc: Service): boolean {
  const t = svc.spec.type;
  return (
    t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && (svc.spec.externalIPs?.length ?? 0) > 0)
  );
}

/** apiservice.NeedsHealthCheck: LoadBalancer with externalTrafficPolicy Local. */
export function needsHealthCheck(svc: Service): boolean {
  return svc.spec.type === 'LoadBalancer' && svc.spec.externalTrafficPolicy === 'Local';
}

/** validateServicePort. */
function validateServicePort(
  sp: ServicePort,
  requireName: boolean,
  names: Set<string>,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  const name = sp.name ?? '';
  if (requireName && name === '') errs.push(required(path.child('name')));
  else if (name !== '') {
    // Service port names are DNS_LABEL, not IANA_SVC_NAME: "443" and 16-character names are fine.
    errs.push(...invalidEach(path.child('name'), name, isDNS1123Label(name)));
    if (names.has(name)) errs.push(duplicate(path.child('name'), name));
    else names.add(name);
  }
  const port = sp.port ?? 0;
  errs.push(...invalidEach(path.child('port'), port, isValidPortNum(port)));
  const protocol = sp.protocol ?? '';
  if (protocol === '') errs.push(required(path.child('protocol')));
  else if (!PROTOCOLS.includes(protocol))
    errs.push(notSupported(path.child('protocol'), protocol, PROTOCOLS));
  errs.push(...validatePortNumOrName(sp.targetPort, path.child('targetPort')));
  if (sp.appProtocol !== undefined) {
    errs.push(...invalidEach(path.child('appProtocol'), sp.appProtocol, isQualifiedName(sp.appProtocol)));
  }
  // Headless Services tolerate targetPort != port: the upstream check is commented out.
  return errs;
}

/** validateClientIPAffinityConfig. */
function validateClientIPAffinity(svc: Service): FieldError[] {
  const path = spec.child('sessionAffinityConfig');
  const detail = 'when session affinity type is ClientIP';
  const config = svc.spec.sessionAffinityConfig;
  if (!config) return [required(path, detail)];
  if (!config.clientIP) return [required(path.child('clientIP'), detail)];
  const timeout = config.clientIP.timeoutSeconds;
  const tPath = path.child('clientIP', 'timeoutSeconds');
  if (timeout === undefined) return [required(tPath, detail)];
  if (timeout <= 0 || timeout > MAX_CLIENT_IP_AFFINITY_SECONDS) {
    return [
      invalid(tPath, timeout, `must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`),
    ];
  }
  return [];
}

const isIPv6String = (ip: string): boolean => {
  const parsed = parseIPSloppy(ip);
  return parsed !== null && to4(parsed) === null;
};

/** ValidateServiceClusterIPsRelatedFields (skipped for ExternalName, which is checked earlier). */
export function validateClusterIPsRelatedFields(svc: Service): FieldError[] {
  if (svc.spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ipsPath = spec.child('clusterIPs');
  const famPath = spec.child('ipFamilies');
  const clusterIP = svc.spec.clusterIP ?? '';
  const clusterIPs = svc.spec.clusterIPs ?? [];
  const families = svc.spec.ipFamilies ?? [];
  if (clusterIP !== '') {
    if (clusterIPs.length === 0) errs.push(required(ipsPath));
    else if (clusterIPs[0] !== clusterIP)
      errs.push(invalid(ipsPath, clusterIPs, 'first value must match `clusterIP`'));
  } else if (clusterIPs.length !== 0) {
    errs.push(invalid(ipsPath, clusterIPs, 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  families.forEach((f, i) => {
    if (!IP_FAMILIES.includes(f)) errs.push(notSupported(famPath.index(i), f, IP_FAMILIES));
    if (seen.has(f)) errs.push(duplicate(famPath.index(i), f));
    seen.add(f);
  });
  const policy = svc.spec.ipFamilyPolicy;
  if (policy !== undefined && !IP_FAMILY_POLICIES.includes(policy)) {
    errs.push(notSupported(spec.child('ipFamilyPolicy'), policy, IP_FAMILY_POLICIES));
  }
  let hasInvalidIPs = false;
  clusterIPs.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (clusterIPs.length > 1) {
        hasInvalidIPs = true;
        errs.push(invalid(ipsPath, clusterIPs, "'None' must be the first and only value"));
      }
      return;
    }
    const ipErrs = isValidIP(ipsPath.index(i), ip);
    if (ipErrs.length > 0) hasInvalidIPs = true;
    errs.push(...ipErrs);
  });
  if (clusterIPs.length > 2) errs.push(invalid(ipsPath, clusterIPs, 'may only hold up to 2 values'));
  // Stop here if an IP is bad: the family checks below would only repeat the problem.
  if (hasInvalidIPs) return errs;
  if (clusterIPs.length > 1) {
    // netutils.IsDualStackIPStrings: at least one address of each family.
    const v6 = clusterIPs.map(isIPv6String);
    if (!(v6.includes(true) && v6.includes(false))) {
      errs.push(invalid(ipsPath, clusterIPs, 'may specify no more than one IP for each IP family'));
    }
  }
  if (!isHeadless(svc) && clusterIPs.length > 0 && families.length > 0) {
    clusterIPs.forEach((ip, i) => {
      if (i > families.length - 1) return;
      if (families[i] === 'IPv4' && isIPv6String(ip)) {
        errs.push(
          invalid(ipsPath.index(i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``),
        );
      }
      if (families[i] === 'IPv6' && !isIPv6String(ip)) {
        errs.push(
          invalid(ipsPath.index(i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``),
        );
      }
    });
  }
  return errs;
}

/** The type-specific rules at the top of ValidateService. */
function validateByType(svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  const s = svc.spec;
  switch (s.type) {
    case 'LoadBalancer':
    case 'NodePort':
      if (isHeadless(svc)) {
        errs.push(
          invalid(
            spec.child('clusterIPs').index(0),
            'None',
            `may not be set to 'None' for ${s.type} services`,
          ),
        );
      }
      break;
    case 'ExternalName': {
      const msg = 'may not be set for ExternalName services';
      if ((s.clusterIPs?.length ?? 0) > 0) errs.push(forbidden(spec.child('clusterIPs'), msg));
      if ((s.ipFamilies?.length ?? 0) > 0) errs.push(forbidden(spec.child('ipFamilies'), msg));
      if (s.ipFamilyPolicy !== undefined) errs.push(forbidden(spec.child('ipFamilyPolicy'), msg));
      // A CNAME may carry one trailing dot.
      const cname = (s.externalName ?? '').replace(/\.$/, '');
      if (cname.length > 0)
        errs.push(...invalidEach(spec.child('externalName'), cname, isDNS1123Subdomain(cname)));
      else errs.push(required(spec.child('externalName')));
      break;
    }
  }
  return errs;
}

/** The loadBalancerSourceRanges field, or the legacy annotation when the field is empty. */
function validateSourceRanges(svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  const ranges = svc.spec.loadBalancerSourceRanges ?? [];
  const annotation = svc.metadata?.annotations?.[ANNOTATION_LB_SOURCE_RANGES];
  if (ranges.length > 0) {
    // The capital L is upstream's.
    const path = spec.child('LoadBalancerSourceRanges');
    if (svc.spec.type !== 'LoadBalancer') errs.push(forbidden(path, LB_ONLY));
    ranges.forEach((r, i) => {
      errs.push(...isValidCIDR(path.index(i), r.trim()));
    });
  } else if (annotation !== undefined) {
    const path = FieldPath.root('metadata', 'annotations').key(ANNOTATION_LB_SOURCE_RANGES);
    if (svc.spec.type !== 'LoadBalancer') errs.push(forbidden(path, LB_ONLY));
    const val = annotation.trim();
    if (val !== '') {
      for (const cidr of val.split(',')) errs.push(...isValidCIDR(path, cidr.trim()));
    }
  }
  return errs;
}

/** validateServiceExternalTrafficPolicy, including healthCheckNodePort. */
function validateExternalTrafficPolicy(svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  const policy = svc.spec.externalTrafficPolicy ?? '';
  const policyPath = spec.child('externalTrafficPolicy');
  if (!externallyAccessible(svc)) {
    if (policy !== '')
      errs.push(invalid(policyPath, policy, 'may only be set for externally-accessible services'));
  } else if (policy === '') errs.push(required(policyPath));
  else if (!TRAFFIC_POLICIES.includes(policy)) errs.push(notSupported(policyPath, policy, TRAFFIC_POLICIES));

  const hc = svc.spec.healthCheckNodePort ?? 0;
  const hcPath = spec.child('healthCheckNodePort');
  if (!needsHealthCheck(svc)) {
    if (hc !== 0) {
      errs.push(
        invalid(
          hcPath,
          hc,
          "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        ),
      );
    }
  } else if (hc === 0) errs.push(required(hcPath));
  else errs.push(...invalidEach(hcPath, hc, isValidPortNum(hc)));
  return errs;
}

/** validateServiceInternalTrafficFieldsValue. */
function validateInternalTrafficPolicy(svc: Service): FieldError[] {
  const policy = svc.spec.internalTrafficPolicy;
  const path = spec.child('internalTrafficPolicy');
  if (policy === undefined) {
    const t = svc.spec.type;
    return t === 'NodePort' || t === 'LoadBalancer' || t === 'ClusterIP' ? [required(path)] : [];
  }
  return TRAFFIC_POLICIES.includes(policy) ? [] : [notSupported(path, policy, TRAFFIC_POLICIES)];
}

/** ValidateService on a defaulted Service; `namespace` is the one it is created in. */
export function validateService(svc: Service, namespace: string): FieldError[] {
  const s = svc.spec ?? {};
  const errs = validateObjectMeta(svc.metadata, { nameFn: nameIsDNS1035Label, namespace });
  const annotations = svc.metadata?.annotations ?? {};
  const hints = annotations[ANNOTATION_TOPOLOGY_HINTS];
  const mode = annotations[ANNOTATION_TOPOLOGY_MODE];
  if (hints !== undefined && mode !== undefined && hints !== mode) {
    errs.push(
      invalid(
        FieldPath.root('metadata', 'annotations').key(ANNOTATION_TOPOLOGY_MODE),
        mode,
        `must match annotations[${ANNOTATION_TOPOLOGY_HINTS}] when both are specified`,
      ),
    );
  }
  const ports = s.ports ?? [];
  if (ports.length === 0 && !isHeadless(svc) && s.type !== 'ExternalName')
    errs.push(required(spec.child('ports')));
  errs.push(...validateByType(svc));

  const names = new Set<string>();
  ports.forEach((p, i) => {
    errs.push(...validateServicePort(p, ports.length > 1, names, spec.child('ports').index(i)));
  });

  if (s.selector) errs.push(...validateLabels(s.selector, spec.child('selector')));

  const affinity = s.sessionAffinity ?? '';
  if (affinity === '') errs.push(required(spec.child('sessionAffinity')));
  else if (!AFFINITIES.includes(affinity))
    errs.push(notSupported(spec.child('sessionAffinity'), affinity, AFFINITIES));
  if (affinity === 'ClientIP') errs.push(...validateClientIPAffinity(svc));
  else if (affinity === 'None' && s.sessionAffinityConfig) {
    errs.push(
      forbidden(spec.child('sessionAffinityConfig'), 'must not be set when session affinity is None'),
    );
  }

  errs.push(...validateClusterIPsRelatedFields(svc));

  (s.externalIPs ?? []).forEach((ip, i) => {
    const p = spec.child('externalIPs').index(i);
    const ipErrs = isValidIP(p, ip);
    errs.push(...(ipErrs.length > 0 ? ipErrs : validateNonSpecialIP(ip, p)));
  });

  const type = s.type ?? '';
  if (type === '') errs.push(required(spec.child('type')));
  else if (!SERVICE_TYPES.includes(type)) errs.push(notSupported(spec.child('type'), type, SERVICE_TYPES));

  // Only ClusterIP forbids nodePort; ExternalName with a nodePort passes validation.
  if (type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if ((p.nodePort ?? 0) !== 0) {
        errs.push(
          forbidden(
            spec.child('ports').index(i).child('nodePort'),
            "may not be used when `type` is 'ClusterIP'",
          ),
        );
      }
    });
  }

  // Duplicate nodePorts are keyed on (protocol, nodePort): 30053/TCP and 30053/UDP pass validation.
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    const np = p.nodePort ?? 0;
    if (np === 0) return;
    const key = `${p.protocol ?? ''}/${np}`;
    if (nodePorts.has(key)) errs.push(duplicate(spec.child('ports').index(i).child('nodePort'), np));
    nodePorts.add(key);
  });

  // Duplicate ports are keyed on (protocol, port) and reported on the whole entry.
  const seenPorts = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${p.protocol ?? ''}/${p.port ?? 0}`;
    if (seenPorts.has(key)) {
      errs.push(duplicate(spec.child('ports').index(i), { protocol: p.protocol ?? '', port: p.port ?? 0 }));
    }
    seenPorts.add(key);
  });

  errs.push(...validateSourceRanges(svc));

  if (s.allocateLoadBalancerNodePorts !== undefined && type !== 'LoadBalancer') {
    errs.push(forbidden(spec.child('allocateLoadBalancerNodePorts'), LB_ONLY));
  }
  if (type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts === undefined) {
    // Upstream reports this one without the `spec.` prefix; defaulting makes it unreachable through the API.
    errs.push(required(FieldPath.root('allocateLoadBalancerNodePorts')));
  }

  // validateLoadBalancerClassField on create.
  if (s.loadBalancerClass !== undefined) {
    const p = spec.child('loadBalancerClass');
    if (type === 'LoadBalancer')
      errs.push(...invalidEach(p, s.loadBalancerClass, isQualifiedName(s.loadBalancerClass)));
    else errs.push(forbidden(p, LB_ONLY));
  }

  errs.push(...validateExternalTrafficPolicy(svc));
  errs.push(...validateInternalTrafficPolicy(svc));
  return errs;
}
