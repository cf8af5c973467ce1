import { describe, expect, it } from 'vitest';
import { FieldPath } from '../src/model/field-path.js';
import { isKind, loadText } from '../src/model/load.js';

const yaml = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
  - name: https
    port: eighty
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: p, namespace: shop}
  spec:
    containers:
    - name: app
      image: nginx
      ports:
      - containerPort: 80
- apiVersion: v1
  kind: Widget
  metadata: {name: w}
`;

describe('loadText', () => {
  const r = loadText({ name: 'a.yaml', text: yaml });

  it('keeps modelled kinds, counts the others', () => {
    expect(r.manifests.map((m) => `${m.kind}/${m.namespace}/${m.name}`)).toEqual([
      'Service/default/web',
      'Pod/shop/p',
    ]);
    expect(r.skippedKinds).toEqual({ Widget: 1 });
  });

  it('defaults as the API server does', () => {
    const svc = r.manifests[0]!;
    if (!isKind(svc, 'Service')) throw new Error('not a service');
    expect(svc.object.spec.type).toBe('ClusterIP');
    expect(svc.object.spec.ports?.[0]).toMatchObject({ protocol: 'TCP', targetPort: 80 });
  });

  it('reports a wrong type with the API words, at the field line', () => {
    const f = r.findings.find((x) => x.rule === 'api-decode');
    expect(f?.field).toBe('spec.ports[1].port');
    expect(f?.message).toContain(
      'cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32',
    );
    expect(f?.location).toEqual({ file: 'a.yaml', line: 12, column: 5 });
  });

  it('locates fields of List items', () => {
    const pod = r.manifests[1]!;
    const path = FieldPath.root('spec', 'containers').index(0).child('ports').index(0).child('containerPort');
    expect(pod.source.locate(path)).toEqual({ file: 'a.yaml', line: 25, column: 9 });
  });

  it('survives bad YAML and keeps the good documents', () => {
    const bad = loadText({
      name: 'b.yaml',
      text: 'kind: Service\napiVersion: v1\nmetadata: {name: a}\n---\nfoo: [unclosed\n---\n- a list\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n',
    });
    expect(bad.manifests.map((m) => m.name)).toEqual(['a', 'c']);
    expect(bad.findings.map((f) => f.rule)).toEqual(['yaml-syntax', 'not-an-object']);
    // The parser notices the unclosed flow sequence where the next document starts.
    expect(bad.findings[0]?.location?.line).toBe(6);
  });

  it('stops alias bombs', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++)
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
      );
    const r2 = loadText({ name: 'bomb.yaml', text: bomb.join('\n') });
    expect(r2.findings[0]?.rule).toBe('yaml-syntax');
    expect(r2.findings[0]?.message).toMatch(/alias/i);
  });
});
