/**
 * Admission of a write, with the semantic core: decoding, defaulting, the Service registry's nodePort
 * allocation and validation are the functions behind the `api-decode`, `node-port-allocation` and
 * `api-validation` rules (API_REJECTING_RULES in src/rules/rejection.ts), so the API refuses exactly the objects
 * `check` says a real API server refuses, with the same field paths, cause types and messages.
 */
import type { FieldError } from '../model/field-error.js';
import { isKind, loadAll, loadText, type Manifest } from '../model/load.js';
import { validateObject } from '../model/validation/index.js';
import {
  allocateNodePorts,
  DEFAULT_NODE_PORT_RANGE,
  type NodePortRange,
  serviceCreateErrors,
} from '../semantics/node-ports.js';
import { cloneJson, isJsonObject, type JsonObject, type JsonValue } from './json.js';
import type { ResourceType } from './resources.js';
import { ApiError, invalid } from './status.js';
import type { ObjectStore } from './store.js';

export interface AdmissionOptions {
  readonly nodePortRange?: NodePortRange;
}

/** Server-set metadata that never reaches the semantic core (it would only make sources differ). */
export function forSource(o: JsonObject): JsonObject {
  const c = cloneJson(o);
  const meta = isJsonObject(c.metadata) ? c.metadata : {};
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields'])
    delete meta[k];
  if (isJsonObject(meta.annotations)) {
    delete meta.annotations['kubectl.kubernetes.io/last-applied-configuration'];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  // Status is written by controllers and the kubelet, computed here from the plan; never an input.
  delete c.status;
  return c;
}

/** Adds what defaulting filled (absent keys only), so the stored object reads as the API server stores it. */
function fillDefaults(raw: JsonValue, defaulted: JsonValue): JsonValue {
  if (isJsonObject(raw) && isJsonObject(defaulted)) {
    const out: JsonObject = { ...raw };
    for (const [k, v] of Object.entries(defaulted))
      out[k] = k in raw ? fillDefaults(raw[k] as JsonValue, v) : v;
    return out;
  }
  if (Array.isArray(raw) && Array.isArray(defaulted) && raw.length === defaulted.length)
    return raw.map((x, i) => fillDefaults(x, defaulted[i] as JsonValue));
  return raw;
}

const load = (name: string, o: JsonObject) => loadText({ name, text: JSON.stringify(forSource(o)) });

/**
 * Admits `candidate` (a create or an update of `t`): returns the object to store (defaulted, nodePorts
 * allocated) or throws the API's refusal: 400 for a field it cannot decode, 422 Invalid with the causes.
 */
export function admit(
  t: ResourceType,
  candidate: JsonObject,
  store: ObjectStore,
  options: AdmissionOptions = {},
): JsonObject {
  const name = String((candidate.metadata as JsonObject | undefined)?.name ?? '');
  const loaded = load(`${t.plural}/${name}`, candidate);
  const decode = loaded.findings.find((f) => f.rule === 'api-decode');
  if (decode) throw new ApiError(400, 'BadRequest', decode.message);
  const m = loaded.manifests[0];
  if (!m) return candidate; // a kind the semantic core does not model: accepted as is
  let errors: FieldError[];
  const out = cloneJson(candidate);
  if (isKind(m, 'Service')) {
    const others = store
      .list(t)
      .filter((e) => !e.computed && !(e.namespace === m.namespace && e.name === m.name))
      .map((e) => ({
        name: `${t.plural}/${e.namespace}/${e.name}`,
        text: JSON.stringify(forSource(e.object)),
      }));
    const services = [
      ...loadAll(others).manifests.filter((x): x is Manifest<'Service'> => isKind(x, 'Service')),
      m,
    ];
    const allocation = allocateNodePorts(services, options.nodePortRange ?? DEFAULT_NODE_PORT_RANGE);
    errors = serviceCreateErrors(m, allocation);
    // The registry stores what it allocated: later writes and reconciles see the same nodePorts.
    const ports = (
      isJsonObject(out.spec) && Array.isArray(out.spec.ports) ? out.spec.ports : []
    ) as JsonValue[];
    for (const a of allocation.allocations) {
      const p = a.service === m ? ports[a.portIndex] : undefined;
      if (isJsonObject(p)) p.nodePort = a.nodePort;
    }
    const hc = allocation.healthCheckNodePorts.find((h) => h.service === m);
    if (hc && isJsonObject(out.spec)) out.spec.healthCheckNodePort = hc.nodePort;
  } else errors = validateObject(m);
  if (errors.length > 0) throw invalid(t, name, errors);
  const defaulted = JSON.parse(JSON.stringify(m.object)) as JsonObject;
  if (isJsonObject(out.spec) && isJsonObject(defaulted.spec))
    out.spec = fillDefaults(out.spec, defaulted.spec);
  return out;
}
