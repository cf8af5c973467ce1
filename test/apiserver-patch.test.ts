/**
 * The patch formats of the API: strategic merge patch with the directives kubectl's client-side apply sends
 * (merge keys, `$patch`, `$retainKeys`, `$setElementOrder`, `$deleteFromPrimitiveList`), the server-side apply
 * declaration patch (list-map keys port+protocol), JSON merge patch (RFC 7386) and JSON patch (RFC 6902).
 */
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../src/apiserver/json.js';
import { jsonMergePatch, jsonPatch } from '../src/apiserver/patch.js';
import { patchMetaOf } from '../src/apiserver/patch-meta.js';
import { declarationPatch, strategicMergePatch } from '../src/apiserver/smp.js';
import { ApiError } from '../src/apiserver/status.js';

const service = (): JsonObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' } },
  spec: {
    selector: { app: 'web' },
    ports: [
      { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
      { name: 'metrics', port: 9100, targetPort: 9100, protocol: 'TCP' },
    ],
  },
});

const deployment = (): JsonObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', finalizers: ['a', 'b'] },
  spec: {
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
    template: {
      spec: {
        containers: [
          {
            name: 'app',
            image: 'nginx:1.27',
            ports: [{ containerPort: 80 }],
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
          },
          { name: 'sidecar', image: 'busybox' },
        ],
      },
    },
  },
});

describe('strategic merge patch', () => {
  it('merges Service ports by port, deletes with $patch: delete, orders with $setElementOrder', () => {
    const out = strategicMergePatch(
      service(),
      {
        spec: {
          $setElementOrder: undefined,
          '$setElementOrder/ports': [{ port: 9100 }, { port: 8081 }],
          ports: [
            { name: 'http', port: 8081, targetPort: 8080 },
            { $patch: 'delete', port: 80 },
          ],
        },
      } as unknown as JsonObject,
      'Service',
    );
    expect((out.spec as JsonObject).ports).toEqual([
      { name: 'metrics', port: 9100, targetPort: 9100, protocol: 'TCP' },
      { name: 'http', port: 8081, targetPort: 8080 },
    ]);
  });

  it('merges a keyed item in place and deletes map keys with null', () => {
    const out = strategicMergePatch(
      service(),
      { metadata: { labels: { tier: null } }, spec: { ports: [{ port: 80, targetPort: 'http' }] } },
      'Service',
    );
    expect((out.metadata as JsonObject).labels).toEqual({ app: 'web' });
    expect(((out.spec as JsonObject).ports as JsonObject[])[0]).toEqual({
      name: 'http',
      port: 80,
      targetPort: 'http',
      protocol: 'TCP',
    });
    expect(((out.spec as JsonObject).ports as JsonObject[]).length).toBe(2);
  });

  it('merges containers by name and env by name inside them; other lists are replaced', () => {
    const out = strategicMergePatch(
      deployment(),
      {
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'app',
                  env: [
                    { name: 'B', value: '3' },
                    { name: 'C', value: '4' },
                  ],
                  args: ['-x'],
                },
              ],
            },
          },
        },
      },
      'Deployment',
    );
    const containers = (((out.spec as JsonObject).template as JsonObject).spec as JsonObject)
      .containers as JsonObject[];
    expect(containers.map((c) => c.name)).toEqual(['app', 'sidecar']);
    expect(containers[0]?.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '3' },
      { name: 'C', value: '4' },
    ]);
    expect(containers[0]?.args).toEqual(['-x']);
    expect(containers[0]?.ports).toEqual([{ containerPort: 80 }]);
  });

  it('honours $retainKeys, $patch: replace on a map and on a list, and $deleteFromPrimitiveList', () => {
    const out = strategicMergePatch(
      deployment(),
      {
        metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
        spec: {
          strategy: { $retainKeys: ['type'], type: 'Recreate' },
          template: { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } },
        },
      },
      'Deployment',
    );
    expect((out.metadata as JsonObject).finalizers).toEqual(['b']);
    expect((out.spec as JsonObject).strategy).toEqual({ type: 'Recreate' });
    expect((((out.spec as JsonObject).template as JsonObject).spec as JsonObject).containers).toEqual([
      { name: 'only', image: 'x' },
    ]);
    const replaced = strategicMergePatch(
      service(),
      { spec: { $patch: 'replace', type: 'NodePort' } },
      'Service',
    );
    expect(replaced.spec).toEqual({ type: 'NodePort' });
  });

  it('leaves the original untouched and refuses an unknown directive', () => {
    const s = service();
    strategicMergePatch(s, { spec: { ports: [{ port: 80, $patch: 'delete' }] } }, 'Service');
    expect(s).toEqual(service());
    expect(() => strategicMergePatch(s, { spec: { $patch: 'explode' } }, 'Service')).toThrow(ApiError);
  });
});

describe('server-side apply declaration patch', () => {
  it('removes what the manager declared before and no longer does, keyed by port and protocol', () => {
    const before = {
      spec: {
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
        selector: { app: 'dns', old: 'x' },
      },
    };
    const now = { spec: { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }], selector: { app: 'dns' } } };
    const patch = declarationPatch(before, now, patchMetaOf('Service')) as JsonObject;
    expect(patch).toEqual({
      spec: {
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP', $patch: 'delete' },
        ],
        selector: { app: 'dns', old: null },
      },
    });
    const live = { spec: { ...before.spec, clusterIP: '10.0.0.1' } };
    const out = strategicMergePatch(live as unknown as JsonObject, patch, 'Service', true);
    expect(out.spec).toEqual({
      ports: [{ name: 'dns', port: 53, protocol: 'UDP' }],
      selector: { app: 'dns' },
      clusterIP: '10.0.0.1',
    });
  });
});

describe('JSON merge patch and JSON patch', () => {
  it('RFC 7386: objects merge, null deletes, arrays replace', () => {
    expect(jsonMergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] }, { b: { c: null, x: 1 }, e: [3] })).toEqual({
      a: 1,
      b: { d: 3, x: 1 },
      e: [3],
    });
  });

  it('RFC 6902: add, replace, remove, move, copy, test', () => {
    const doc = { spec: { ports: [{ port: 80 }] }, metadata: { labels: { a: 'b' } } };
    const out = jsonPatch(doc, [
      { op: 'add', path: '/spec/ports/-', value: { port: 443 } },
      { op: 'replace', path: '/spec/ports/0/port', value: 8080 },
      { op: 'copy', from: '/metadata/labels/a', path: '/metadata/labels/c' },
      { op: 'move', from: '/metadata/labels/a', path: '/metadata/labels/z~1w' },
      { op: 'test', path: '/spec/ports/1/port', value: 443 },
      { op: 'remove', path: '/spec/ports/1' },
    ]);
    expect(out).toEqual({ spec: { ports: [{ port: 8080 }] }, metadata: { labels: { c: 'b', 'z/w': 'b' } } });
    expect(doc.spec.ports).toEqual([{ port: 80 }]);
    expect(() => jsonPatch(doc, [{ op: 'test', path: '/spec/ports/0/port', value: 1 }])).toThrow(
      /test failed/,
    );
    expect(() => jsonPatch(doc, [{ op: 'remove', path: '/nope' }])).toThrow(ApiError);
  });
});
