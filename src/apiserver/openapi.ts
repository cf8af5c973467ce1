/**
 * The least OpenAPI v3 kubectl needs: the root index (/openapi/v3) and, per group version, a document whose
 * PATCH operations carry `x-kubernetes-group-version-kind` and the `fieldValidation` query parameter. kubectl's
 * QueryParamVerifierV3 (k8s.io/cli-runtime/pkg/resource/query_param_verifier_v3.go) then sends
 * `fieldValidation=Strict` and validates server-side instead of downloading schemas. No component schemas are
 * served: `kubectl explain` and client-side schema validation are not supported, and apply computes its
 * strategic merge patch from kubectl's compiled-in types (it falls back to them when OpenAPI has no schema).
 */
import { createHash } from 'node:crypto';
import type { JsonObject } from './json.js';
import { groupVersion, RESOURCES } from './resources.js';

const gvPath = (gv: string) => (gv === 'v1' ? 'api/v1' : `apis/${gv}`);

function gvDocument(gv: string): JsonObject {
  const paths: JsonObject = {};
  for (const t of RESOURCES.filter((x) => groupVersion(x) === gv)) {
    const base = `/${gvPath(gv)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}/{name}`;
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const parameters: JsonObject[] = [
      { name: 'name', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } },
      ...(t.namespaced
        ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string' } }]
        : []),
      { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
      { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
      { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
    ];
    const item: JsonObject = {
      get: { 'x-kubernetes-action': 'get', 'x-kubernetes-group-version-kind': gvk, responses: {} },
      ...(t.verbs.includes('patch')
        ? {
            patch: {
              'x-kubernetes-action': 'patch',
              'x-kubernetes-group-version-kind': gvk,
              parameters,
              responses: {},
            },
          }
        : {}),
    };
    paths[base] = item;
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas: {} },
  };
}

const GROUP_VERSIONS = [...new Set(RESOURCES.map(groupVersion))];
const DOCS = new Map(GROUP_VERSIONS.map((gv) => [gvPath(gv), gvDocument(gv)]));
const hash = (doc: JsonObject) =>
  createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();

/** GET /openapi/v3. */
export function openApiIndex(): JsonObject {
  const paths: JsonObject = {};
  for (const [p, doc] of DOCS) paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hash(doc)}` };
  return { paths };
}

/** GET /openapi/v3/api/v1, /openapi/v3/apis/GROUP/v1. */
export function openApiDocument(path: string): JsonObject | undefined {
  return DOCS.get(path);
}
