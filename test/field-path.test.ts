/**
 * FieldPath renders and walks like Kubernetes' field.Path (k8s.io/apimachinery/pkg/util/validation/field):
 * `spec.ports[1].name`, map keys in brackets, and the plain keys the loader walks to find a position.
 */
import { describe, expect, it } from 'vitest';
import { FieldPath } from '../src/model/field-path.js';

describe('FieldPath', () => {
  const ports = FieldPath.root('spec', 'ports');
  it.each([
    ['empty', FieldPath.empty, '', []],
    ['root', ports, 'spec.ports', ['spec', 'ports']],
    ['index then child', ports.index(1).child('name'), 'spec.ports[1].name', ['spec', 'ports', 1, 'name']],
    [
      'map key',
      FieldPath.root('metadata', 'labels').key('app.kubernetes.io/name'),
      'metadata.labels[app.kubernetes.io/name]',
      ['metadata', 'labels', 'app.kubernetes.io/name'],
    ],
    ['index first', FieldPath.empty.index(3).child('kind'), '[3].kind', [3, 'kind']],
    [
      'concat (a List item prefix)',
      FieldPath.root('items').index(7).concat(ports.index(0)),
      'items[7].spec.ports[0]',
      ['items', 7, 'spec', 'ports', 0],
    ],
    [
      'several names at once',
      FieldPath.empty.child('spec', 'template', 'spec'),
      'spec.template.spec',
      ['spec', 'template', 'spec'],
    ],
  ] as const)('%s: %s', (_, path, text, keys) => {
    expect(path.toString()).toBe(text);
    expect(path.keys()).toEqual(keys);
  });

  it('leaves the path it extends unchanged and shares it', () => {
    const a = ports.index(0);
    const b = ports.index(1);
    expect(a.toString()).toBe('spec.ports[0]');
    expect(b.toString()).toBe('spec.ports[1]');
    expect(ports.toString()).toBe('spec.ports');
  });

  it('is equal, as a value, however it was built', () => {
    expect(FieldPath.root('spec').child('ports').index(2)).toEqual(ports.index(2));
    expect(FieldPath.empty.concat(ports)).toEqual(ports);
    expect(ports.index(2)).not.toEqual(ports.index(3));
    expect(ports.key('2')).not.toEqual(ports.index(2));
  });
});
