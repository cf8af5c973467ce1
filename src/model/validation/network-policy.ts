/**
 * NetworkPolicy validation on create (ValidateNetworkPolicy in pkg/apis/networking/validation/validation.go):
 * ports (ValidateNetworkPolicyPort), peers, ipBlocks and policyTypes.
 */
import { type FieldError, forbidden, invalid, notSupported, required } from '../field-error.js';
import { FieldPath } from '../field-path.js';
import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from '../types.js';
import { invalidEach, validateLabelSelector } from './common.js';
import { cidrContains, isValidCIDR, parseCIDRSloppy } from './ip.js';
import { validateObjectMeta } from './metadata.js';
import { isValidPortName, isValidPortNum, nameIsDNSSubdomain } from './names.js';

/** Upstream lists these unsorted, in this order. */
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES = ['Ingress', 'Egress'];

/**
 * ValidateNetworkPolicyPort. A numeric port may carry an endPort (both range errors can appear together); a
 * named port or no port may not.
 */
export function validateNetworkPolicyPort(port: NetworkPolicyPort, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (port.protocol !== undefined && !PROTOCOLS.includes(port.protocol)) {
    errs.push(notSupported(path.child('protocol'), port.protocol, PROTOCOLS));
  }
  const endPort = port.endPort;
  if (typeof port.port === 'number') {
    errs.push(...invalidEach(path.child('port'), port.port, isValidPortNum(port.port)));
    if (endPort !== undefined) {
      if (endPort < port.port)
        errs.push(invalid(path.child('endPort'), endPort, 'must be greater than or equal to `port`'));
      errs.push(...invalidEach(path.child('endPort'), endPort, isValidPortNum(endPort)));
    }
  } else if (typeof port.port === 'string') {
    if (endPort !== undefined) {
      errs.push(invalid(path.child('endPort'), endPort, 'may not be specified when `port` is non-numeric'));
    }
    errs.push(...invalidEach(path.child('port'), port.port, isValidPortName(port.port)));
  } else if (endPort !== undefined) {
    errs.push(invalid(path.child('endPort'), endPort, 'may not be specified when `port` is not specified'));
  }
  return errs;
}

/** ValidateIPBlock: a CIDR, and excepts that are strict subsets of it. */
function validateIPBlock(block: { cidr?: string; except?: string[] }, path: FieldPath): FieldError[] {
  const cidr = block.cidr ?? '';
  if (cidr === '') return [required(path.child('cidr'))];
  const errs = isValidCIDR(path.child('cidr'), cidr);
  const net = parseCIDRSloppy(cidr);
  if (!net) return errs;
  (block.except ?? []).forEach((ex, i) => {
    const ep = path.child('except').index(i);
    errs.push(...isValidCIDR(ep, ex));
    const exNet = parseCIDRSloppy(ex);
    if (!exNet) return;
    if (!cidrContains(net, exNet.ip) || net.prefix >= exNet.prefix) {
      errs.push(invalid(ep, ex, 'must be a strict subset of `cidr`'));
    }
  });
  return errs;
}

/** ValidateNetworkPolicyPeer: at least one selector or an ipBlock, and an ipBlock alone. */
function validatePeer(peer: NetworkPolicyPeer, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  if (peer.podSelector) {
    n++;
    errs.push(...validateLabelSelector(peer.podSelector, path.child('podSelector')));
  }
  if (peer.namespaceSelector) {
    n++;
    errs.push(...validateLabelSelector(peer.namespaceSelector, path.child('namespaceSelector')));
  }
  if (peer.ipBlock) {
    n++;
    errs.push(...validateIPBlock(peer.ipBlock, path.child('ipBlock')));
  }
  if (n === 0) errs.push(required(path, 'must specify a peer'));
  else if (n > 1 && peer.ipBlock) errs.push(forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

/** ValidateNetworkPolicy on a defaulted object (protocol TCP and policyTypes filled). */
export function validateNetworkPolicy(np: NetworkPolicy, namespace: string): FieldError[] {
  const errs = validateObjectMeta(np.metadata, { nameFn: nameIsDNSSubdomain, namespace });
  const spec = FieldPath.root('spec');
  const s = np.spec ?? { podSelector: {} };
  errs.push(...validateLabelSelector(s.podSelector ?? {}, spec.child('podSelector')));
  (s.ingress ?? []).forEach((rule, i) => {
    const rp = spec.child('ingress').index(i);
    (rule.ports ?? []).forEach((port, j) => {
      errs.push(...validateNetworkPolicyPort(port, rp.child('ports').index(j)));
    });
    (rule.from ?? []).forEach((peer, j) => {
      errs.push(...validatePeer(peer, rp.child('from').index(j)));
    });
  });
  (s.egress ?? []).forEach((rule, i) => {
    const rp = spec.child('egress').index(i);
    (rule.ports ?? []).forEach((port, j) => {
      errs.push(...validateNetworkPolicyPort(port, rp.child('ports').index(j)));
    });
    (rule.to ?? []).forEach((peer, j) => {
      errs.push(...validatePeer(peer, rp.child('to').index(j)));
    });
  });
  const types = s.policyTypes ?? [];
  if (types.length > POLICY_TYPES.length) {
    errs.push(invalid(spec.child('policyTypes'), types, 'may not specify more than two policyTypes'));
    return errs;
  }
  types.forEach((t, i) => {
    if (!POLICY_TYPES.includes(t))
      errs.push(notSupported(spec.child('policyTypes').index(i), t, POLICY_TYPES));
  });
  return errs;
}
