/**
 * NodePort allocation across Services, as the apiserver registry does it on create
 * (pkg/registry/core/service/storage/alloc.go txnAllocNodePorts / initNodePorts / allocHealthCheckNodePort,
 * pkg/registry/core/service/portallocator). Services are taken in input order, like a sequence of creates
 * against an empty cluster.
 *
 * Two deliberate differences from a live cluster, to keep the output stable:
 * - Every explicit nodePort (and healthCheckNodePort) of every Service is reserved before any port is
 *   auto-allocated, so an auto-allocated port never takes a port that a later Service asks for by number. A live
 *   cluster allocates in arrival order, and a random pick can collide with a later request.
 * - Auto-allocation is deterministic: the lowest free port of the range's upper (dynamic) band, then the lowest
 *   free port of the lower (static) band. Upstream picks at random with the same band preference
 *   (KEP-3668, calculateRangeOffset).
 *
 * A Service that fails validation is rejected after allocation and its ports are released, as the registry's
 * transaction revert does, so it holds no ports for the Services after it; so is one whose allocation fails.
 *
 * Errors are what the registry returns: `field.Invalid(spec.ports[i].nodePort, port, <allocator error>)`, or an
 * InternalError ("failed to allocate a nodePort: range is full", "failed to allocate requested HealthCheck
 * NodePort …"). Upstream's InternalError names no field; here it carries the field it was allocating, so that it
 * can be located in the source.
 */
import { type FieldError, invalid } from '../model/field-error.js';
import { FieldPath } from '../model/field-path.js';
import type { Manifest } from '../model/load.js';
import type { Service } from '../model/types.js';
import { needsHealthCheck, validateObject } from '../model/validation/index.js';

export interface NodePortRange {
  base: number;
  size: number;
}

/** kube-apiserver's --service-node-port-range default (DefaultServiceNodePortRange). */
export const DEFAULT_NODE_PORT_RANGE: NodePortRange = { base: 30000, size: 2768 };

/** net.PortRange.String: `base-last`. */
export function formatNodePortRange(r: NodePortRange): string {
  return r.size === 0 ? '' : `${r.base}-${r.base + r.size - 1}`;
}

/** Go's strconv.Atoi for the plain decimal forms a port range uses. */
function atoi(s: string, whole: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new Error(`invalid port range "${whole}": "${s}" is not a number`);
  return Number.parseInt(s, 10);
}

/**
 * net.ParsePortRange: `30000-32767`, `30000+2767` or a single port. Throws on malformed input, on a port
 * above 65535 and on an end below the start.
 */
export function parseNodePortRange(input: string): NodePortRange {
  const value = input.trim();
  if (value === '') throw new Error('invalid port range "": empty');
  const hyphen = value.indexOf('-');
  const plus = value.indexOf('+');
  let low: number;
  let high: number;
  if (hyphen >= 0 && plus >= 0) throw new Error(`unable to parse port range: ${value}`);
  if (hyphen >= 0) {
    low = atoi(value.slice(0, hyphen), value);
    high = atoi(value.slice(hyphen + 1), value);
  } else if (plus >= 0) {
    low = atoi(value.slice(0, plus), value);
    high = low + atoi(value.slice(plus + 1), value);
  } else {
    low = atoi(value, value);
    high = low;
  }
  if (low > 65535 || high > 65535) throw new Error(`the port range cannot be greater than 65535: ${value}`);
  if (high < low) throw new Error(`end port cannot be less than start port: ${value}`);
  return { base: low, size: 1 + high - low };
}

export interface NodePortAllocation {
  readonly service: Manifest<'Service'>;
  readonly portIndex: number;
  readonly nodePort: number;
  /** True when this port entry named the nodePort itself; false when auto-allocated or shared. */
  readonly explicit: boolean;
}

export interface HealthCheckNodePortAllocation {
  readonly service: Manifest<'Service'>;
  readonly nodePort: number;
  readonly explicit: boolean;
}

export interface NodePortAllocationError {
  readonly service: Manifest<'Service'>;
  readonly error: FieldError;
}

export interface NodePortAllocationResult {
  readonly allocations: NodePortAllocation[];
  readonly healthCheckNodePorts: HealthCheckNodePortAllocation[];
  readonly errors: NodePortAllocationError[];
}

/** calculateRangeOffset: the size of the static band, min(max(16, size/32), 128), 0 for tiny ranges. */
function rangeOffset(size: number): number {
  if (size <= 16) return 0;
  return Math.min(Math.max(16, Math.floor(size / 32)), 128);
}

/** The port pool (portallocator.PortAllocator) with deterministic AllocateNext. */
class PortPool {
  private readonly used = new Set<number>();
  private readonly offset: number;

  constructor(private readonly range: NodePortRange) {
    this.offset = rangeOffset(range.size);
  }

  /** Allocate: undefined on success, else the allocator's error text. */
  allocate(port: number): string | undefined {
    const { base, size } = this.range;
    if (port < base || port >= base + size) {
      return `provided port is not in the valid range. The range of valid ports is ${formatNodePortRange(this.range)}`;
    }
    if (this.used.has(port)) return 'provided port is already allocated';
    this.used.add(port);
    return undefined;
  }

  /** AllocateNext: the upper band first, then the lower one; undefined when the range is full. */
  allocateNext(): number | undefined {
    const { base, size } = this.range;
    const bands: [number, number][] = [
      [base + this.offset, base + size],
      [base, base + this.offset],
    ];
    for (const [from, to] of bands) {
      for (let p = from; p < to; p++) {
        if (!this.used.has(p)) {
          this.used.add(p);
          return p;
        }
      }
    }
    return undefined;
  }

  release(ports: Iterable<number>): void {
    for (const p of ports) this.used.delete(p);
  }
}

/** shouldAllocateNodePorts: NodePort always; LoadBalancer unless allocateLoadBalancerNodePorts is false. */
function shouldAllocate(svc: Service): boolean {
  if (svc.spec.type === 'NodePort') return true;
  if (svc.spec.type === 'LoadBalancer') return svc.spec.allocateLoadBalancerNodePorts !== false;
  return false;
}

/** One Service's request: what initNodePorts would give each port, with auto ones still to be picked. */
interface Plan {
  readonly service: Manifest<'Service'>;
  /** portIndex → nodePort (0 while auto and not yet picked) and, for a port that shares, its source. */
  readonly ports: { index: number; nodePort: number; explicit: boolean; sharesWith?: number }[];
  readonly held: number[];
  healthCheck?: { nodePort: number; explicit: boolean };
  failed: boolean;
}

const portsPath = FieldPath.root('spec', 'ports');

/** An InternalError, carrying the field the allocation was for so it can be located. */
const internal = (field: FieldPath, detail: string): FieldError => ({
  reason: 'InternalError',
  field,
  detail,
});

/**
 * Whether the created object would pass validation. The registry fills nodePorts and healthCheckNodePort
 * before validating, so a missing healthCheckNodePort does not count.
 */
/**
 * validateObject per Service, once: allocation asks it of every Service, and api-validation asks again for
 * each Service that got no node port (the object as filled is then the object as written).
 */
const validations = new WeakMap<Manifest<'Service'>, readonly FieldError[]>();
function validationOf(m: Manifest<'Service'>): readonly FieldError[] {
  let v = validations.get(m);
  if (!v) {
    v = validateObject(m);
    validations.set(m, v);
  }
  return v;
}

function passesValidation(m: Manifest<'Service'>): boolean {
  return validationOf(m).every(
    (e) => e.reason === 'FieldValueRequired' && e.field.toString() === 'spec.healthCheckNodePort',
  );
}

/** First pass: initNodePorts for the explicit ports, and an explicit healthCheckNodePort. */
function reserveExplicit(m: Manifest<'Service'>, pool: PortPool, errors: NodePortAllocationError[]): Plan {
  const svc = m.object;
  const plan: Plan = { service: m, ports: [], held: [], failed: false };
  const fail = (error: FieldError) => {
    errors.push({ service: m, error });
    pool.release(plan.held);
    plan.held.length = 0;
    plan.failed = true;
    return plan;
  };
  const specPorts = svc.spec.ports ?? [];
  if (svc.spec.type === 'NodePort' || svc.spec.type === 'LoadBalancer') {
    // initNodePorts keys its reuse map on the port number, not the protocol.
    const byPort = new Map<number, { nodePort: number; owner: number }>();
    for (const [i, sp] of specPorts.entries()) {
      const own = sp.nodePort ?? 0;
      if (own === 0 && !shouldAllocate(svc)) continue;
      const number = sp.port ?? 0;
      const prior = byPort.get(number);
      if (!prior) {
        // findRequestedNodePort: any port entry with this number that names a nodePort.
        const requested =
          specPorts.find((p) => (p.port ?? 0) === number && (p.nodePort ?? 0) !== 0)?.nodePort ?? 0;
        if (requested !== 0) {
          const err = pool.allocate(requested);
          if (err) return fail(invalid(portsPath.index(i).child('nodePort'), requested, err));
          plan.held.push(requested);
          plan.ports.push({ index: i, nodePort: requested, explicit: own !== 0 });
          byPort.set(number, { nodePort: requested, owner: i });
        } else {
          plan.ports.push({ index: i, nodePort: 0, explicit: false });
          byPort.set(number, { nodePort: 0, owner: i });
        }
      } else if (own === 0 || own === prior.nodePort) {
        plan.ports.push({ index: i, nodePort: prior.nodePort, explicit: own !== 0, sharesWith: prior.owner });
      } else {
        const err = pool.allocate(own);
        if (err) return fail(invalid(portsPath.index(i).child('nodePort'), own, err));
        plan.held.push(own);
        plan.ports.push({ index: i, nodePort: own, explicit: true });
      }
    }
  }
  const hc = svc.spec.healthCheckNodePort ?? 0;
  if (needsHealthCheck(svc) && hc !== 0) {
    const err = pool.allocate(hc);
    if (err) {
      return fail(
        internal(
          FieldPath.root('spec', 'healthCheckNodePort'),
          `failed to allocate requested HealthCheck NodePort ${hc}: ${err}`,
        ),
      );
    }
    plan.held.push(hc);
    plan.healthCheck = { nodePort: hc, explicit: true };
  }
  return plan;
}

/** Second pass: AllocateNext for the ports and healthCheckNodePort nobody named. */
function allocateAuto(plan: Plan, pool: PortPool, errors: NodePortAllocationError[]): void {
  const fail = (error: FieldError) => {
    errors.push({ service: plan.service, error });
    pool.release(plan.held);
    plan.held.length = 0;
    plan.failed = true;
  };
  for (const p of plan.ports) {
    if (p.nodePort !== 0) continue;
    if (p.sharesWith !== undefined) {
      p.nodePort = plan.ports.find((q) => q.index === p.sharesWith)?.nodePort ?? 0;
      continue;
    }
    const next = pool.allocateNext();
    if (next === undefined) {
      fail(
        internal(portsPath.index(p.index).child('nodePort'), 'failed to allocate a nodePort: range is full'),
      );
      return;
    }
    plan.held.push(next);
    p.nodePort = next;
  }
  if (needsHealthCheck(plan.service.object) && !plan.healthCheck) {
    const next = pool.allocateNext();
    if (next === undefined) {
      // Upstream prints the (shadowed, still zero) port variable.
      fail(
        internal(
          FieldPath.root('spec', 'healthCheckNodePort'),
          'failed to allocate a HealthCheck NodePort 0: range is full',
        ),
      );
      return;
    }
    plan.held.push(next);
    plan.healthCheck = { nodePort: next, explicit: false };
  }
}

/**
 * Allocates nodePorts and healthCheckNodePorts for `services` in order. `errors` holds the allocation errors,
 * which the API server returns alone (validation does not run); a Service with one gets no allocation.
 */
export function allocateNodePorts(
  services: readonly Manifest<'Service'>[],
  range: NodePortRange = DEFAULT_NODE_PORT_RANGE,
): NodePortAllocationResult {
  // A Service whose auto-allocation fails (range full) is rejected and must not hold its explicit ports
  // either, which may free them for a later Service: run again without it until nothing new fails.
  const rejected = new Map<Manifest<'Service'>, NodePortAllocationError[]>();
  for (;;) {
    const pool = new PortPool(range);
    const errors: NodePortAllocationError[] = [];
    const plans: Plan[] = [];
    for (const m of services) {
      if (!m.object?.spec) continue;
      const earlier = rejected.get(m);
      if (earlier) {
        errors.push(...earlier);
        continue;
      }
      const plan = reserveExplicit(m, pool, errors);
      if (plan.failed) continue;
      if (!passesValidation(m)) {
        // Allocated, then rejected by validation: the transaction is reverted.
        pool.release(plan.held);
        continue;
      }
      plans.push(plan);
    }
    let newlyRejected = false;
    for (const plan of plans) {
      const autoErrors: NodePortAllocationError[] = [];
      allocateAuto(plan, pool, autoErrors);
      if (plan.failed) {
        rejected.set(plan.service, autoErrors);
        newlyRejected = true;
      }
    }
    if (!newlyRejected) return collect(services, plans, errors);
  }
}

/** The result, in input order. */
function collect(
  services: readonly Manifest<'Service'>[],
  plans: readonly Plan[],
  errors: readonly NodePortAllocationError[],
): NodePortAllocationResult {
  const order = new Map(services.map((m, i) => [m, i]));
  const sortedErrors = [...errors].sort((a, b) => (order.get(a.service) ?? 0) - (order.get(b.service) ?? 0));
  const allocations: NodePortAllocation[] = [];
  const healthCheckNodePorts: HealthCheckNodePortAllocation[] = [];
  for (const plan of plans) {
    for (const p of plan.ports) {
      allocations.push({
        service: plan.service,
        portIndex: p.index,
        nodePort: p.nodePort,
        explicit: p.explicit,
      });
    }
    if (plan.healthCheck) healthCheckNodePorts.push({ service: plan.service, ...plan.healthCheck });
  }
  return { allocations, healthCheckNodePorts, errors: sortedErrors };
}

/**
 * The Service as the registry hands it to validation and storage: nodePorts and healthCheckNodePort filled from
 * `result`. The input manifest is not changed.
 */
export function withAllocatedNodePorts(
  m: Manifest<'Service'>,
  result: NodePortAllocationResult,
): Manifest<'Service'> {
  const object = structuredClone(m.object);
  const mine = allocationsOf(result, m);
  for (const a of mine.ports) {
    const port = object.spec.ports?.[a.portIndex];
    if (port) port.nodePort = a.nodePort;
  }
  if (mine.healthCheck) object.spec.healthCheckNodePort = mine.healthCheck.nodePort;
  return { ...m, object };
}

interface ServiceAllocations {
  readonly ports: readonly NodePortAllocation[];
  readonly healthCheck?: HealthCheckNodePortAllocation;
  readonly errors: readonly FieldError[];
}
const NONE: ServiceAllocations = { ports: [], errors: [] };

/**
 * One Service's part of an allocation result, indexed once per result: asked for every Service, scanning the
 * whole result each time was quadratic in the number of Services.
 */
const byService = new WeakMap<NodePortAllocationResult, Map<Manifest<'Service'>, ServiceAllocations>>();
function allocationsOf(result: NodePortAllocationResult, m: Manifest<'Service'>): ServiceAllocations {
  let index = byService.get(result);
  if (!index) {
    const ports = new Map<Manifest<'Service'>, NodePortAllocation[]>();
    const errors = new Map<Manifest<'Service'>, FieldError[]>();
    const push = <T>(map: Map<Manifest<'Service'>, T[]>, k: Manifest<'Service'>, v: T) => {
      const list = map.get(k);
      if (list) list.push(v);
      else map.set(k, [v]);
    };
    for (const a of result.allocations) push(ports, a.service, a);
    for (const e of result.errors) push(errors, e.service, e.error);
    const hcs = new Map<Manifest<'Service'>, HealthCheckNodePortAllocation>();
    // find() took the first one: keep the first per Service.
    for (const h of result.healthCheckNodePorts) if (!hcs.has(h.service)) hcs.set(h.service, h);
    index = new Map();
    for (const k of new Set([...ports.keys(), ...errors.keys(), ...hcs.keys()])) {
      const hc = hcs.get(k);
      index.set(k, {
        ports: ports.get(k) ?? [],
        errors: errors.get(k) ?? [],
        ...(hc ? { healthCheck: hc } : {}),
      });
    }
    byService.set(result, index);
  }
  return index.get(m) ?? NONE;
}

/**
 * The validation errors of `m` as the registry filled it (allocated nodePorts and healthCheckNodePort in
 * place), so validation does not report as missing what the allocator provides.
 */
export function serviceValidationErrors(
  m: Manifest<'Service'>,
  result: NodePortAllocationResult,
): FieldError[] {
  const mine = allocationsOf(result, m);
  const allocatedHealthCheck = mine.healthCheck !== undefined;
  // Nothing allocated: the object as filled is the object as written.
  const errors =
    mine.ports.length === 0 && !allocatedHealthCheck
      ? validationOf(m)
      : validateObject(withAllocatedNodePorts(m, result));
  return errors.filter(
    // A Service rejected by validation got its healthCheckNodePort before being rejected.
    (e) =>
      allocatedHealthCheck ||
      !(e.reason === 'FieldValueRequired' && e.field.toString() === 'spec.healthCheckNodePort'),
  );
}

/**
 * What the API server answers the create of `m`, given `result` from allocateNodePorts over a sequence that
 * includes it: its allocation errors alone, else the validation errors of the object as the registry filled
 * it. Use this rather than validateObject for Services, which alone reports the healthCheckNodePort that a
 * LoadBalancer with externalTrafficPolicy Local gets from the allocator as missing.
 */
export function serviceCreateErrors(m: Manifest<'Service'>, result: NodePortAllocationResult): FieldError[] {
  const allocationErrors = [...allocationsOf(result, m).errors];
  if (allocationErrors.length > 0) return allocationErrors;
  return serviceValidationErrors(m, result);
}
