/**
 * API discovery, both forms kubectl reads: the aggregated one (apidiscovery.k8s.io/v2 APIGroupDiscoveryList,
 * asked for on /api and /apis since 1.30) and the legacy one (APIVersions, APIGroupList, APIResourceList).
 */
import type { JsonObject } from './json.js';
import { API_GROUPS, groupVersion, RESOURCES, type ResourceType } from './resources.js';

const byGroup = (group: string) => RESOURCES.filter((t) => t.group === group);

function discoveryResource(t: ResourceType): JsonObject {
  return {
    resource: t.plural,
    responseKind: { group: t.group, version: t.version, kind: t.kind },
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: [...t.verbs],
    ...(t.shortNames.length > 0 ? { shortNames: [...t.shortNames] } : {}),
    ...(t.categories.length > 0 ? { categories: [...t.categories] } : {}),
    ...(t.subresources.length > 0
      ? {
          subresources: t.subresources.map((s) => ({
            subresource: s.name,
            responseKind: { group: '', version: 'v1', kind: s.kind },
            verbs: [...s.verbs],
          })),
        }
      : {}),
  };
}

function groupDiscovery(group: string): JsonObject {
  return {
    metadata: group ? { name: group, creationTimestamp: null } : { creationTimestamp: null },
    versions: [{ version: 'v1', resources: byGroup(group).map(discoveryResource), freshness: 'Current' }],
  };
}

/** GET /api or /apis with Accept ...;as=APIGroupDiscoveryList. */
export function aggregatedDiscovery(legacy: boolean, version: 'v2' | 'v2beta1'): JsonObject {
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: legacy ? [groupDiscovery('')] : API_GROUPS.map(groupDiscovery),
  };
}

export function apiVersions(serverAddress: string): JsonObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export function apiGroupList(): JsonObject {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: API_GROUPS.map((g) => ({
      name: g,
      versions: [{ groupVersion: `${g}/v1`, version: 'v1' }],
      preferredVersion: { groupVersion: `${g}/v1`, version: 'v1' },
    })),
  };
}

export function apiGroup(group: string): JsonObject | undefined {
  if (!API_GROUPS.includes(group)) return undefined;
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: group,
    versions: [{ groupVersion: `${group}/v1`, version: 'v1' }],
    preferredVersion: { groupVersion: `${group}/v1`, version: 'v1' },
  };
}

export function apiResourceList(group: string): JsonObject | undefined {
  const types = byGroup(group);
  if (types.length === 0) return undefined;
  const first = types[0] as ResourceType;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion(first),
    resources: types.flatMap((t) => [
      {
        name: t.plural,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: [...t.verbs],
        ...(t.shortNames.length > 0 ? { shortNames: [...t.shortNames] } : {}),
        ...(t.categories.length > 0 ? { categories: [...t.categories] } : {}),
      },
      ...t.subresources.map((s) => ({
        name: `${t.plural}/${s.name}`,
        singularName: '',
        namespaced: t.namespaced,
        kind: s.kind,
        verbs: [...s.verbs],
      })),
    ]),
  };
}

export const VERSION_INFO: JsonObject = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0+portchain',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};
