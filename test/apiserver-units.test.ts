/**
 * Small pieces of the API server checked against Kubernetes' own behaviour: HumanDuration (the AGE column,
 * k8s.io/apimachinery/pkg/util/duration), the Invalid Status of several errors (NewInvalid + the aggregate's
 * `[a, b]`), NotFound/Conflict bodies, label selectors, and the `--api` address `up` takes.
 */
import { describe, expect, it } from 'vitest';
import { parseApiAddress } from '../src/apiserver/index.js';
import { RESOURCES } from '../src/apiserver/resources.js';
import { selectorFilter } from '../src/apiserver/selectors.js';
import { conflict, invalid, notFound } from '../src/apiserver/status.js';
import { humanDuration } from '../src/apiserver/tables.js';
import { duplicate, required } from '../src/model/field-error.js';
import { FieldPath } from '../src/model/field-path.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;
const svc = RESOURCES.find((t) => t.plural === 'services');
const deploy = RESOURCES.find((t) => t.plural === 'deployments');

describe('humanDuration', () => {
  it.each([
    [-2 * s, '<invalid>'],
    [-1 * s, '0s'],
    [0, '0s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [7 * h + 59 * m, '7h59m'],
    [8 * h, '8h'],
    [47 * h + 59 * m, '47h'],
    [48 * h, '2d'],
    [7 * d + 23 * h, '7d23h'],
    [8 * d, '8d'],
    [2 * 365 * d, '2y'],
    [2 * 365 * d + 5 * d, '2y5d'],
    [8 * 365 * d, '8y'],
  ])('%d ms is %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('Status bodies', () => {
  it('NewInvalid: one error bare, several as an aggregate, causes without the field in the message', () => {
    if (!svc || !deploy) throw new Error('resources');
    const one = invalid(svc, 'web', [required(FieldPath.root('spec', 'ports').index(1).child('name'))]);
    expect(one.code).toBe(422);
    expect(one.message).toBe('Service "web" is invalid: spec.ports[1].name: Required value');
    expect(one.details).toEqual({
      name: 'web',
      kind: 'Service',
      causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.ports[1].name' }],
    });
    const two = invalid(deploy, 'api', [
      duplicate(FieldPath.root('spec', 'x'), 'a'),
      required(FieldPath.root('spec', 'y')),
    ]);
    expect(two.message).toBe(
      'Deployment.apps "api" is invalid: [spec.x: Duplicate value: "a", spec.y: Required value]',
    );
    expect(two.details?.group).toBe('apps');
  });

  it('NotFound and Conflict name the group resource', () => {
    if (!svc || !deploy) throw new Error('resources');
    expect(notFound(deploy, 'api').body()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "api" not found',
      reason: 'NotFound',
      details: { name: 'api', group: 'apps', kind: 'deployments' },
      code: 404,
    });
    expect(conflict(svc, 'web').message).toBe(
      'Operation cannot be fulfilled on services "web": the object has been modified; please apply your changes to the latest version and try again',
    );
  });
});

describe('selectors', () => {
  const o = (labels: Record<string, string>, name = 'x') => ({ metadata: { name, namespace: 'a', labels } });
  it('equality, set-based and existence requirements, and field selectors', () => {
    const f = selectorFilter('app=web,tier in (front, back),!legacy,env!=prod', 'metadata.name=x');
    expect(f?.(o({ app: 'web', tier: 'front' }))).toBe(true);
    expect(f?.(o({ app: 'web', tier: 'mid' }))).toBe(false);
    expect(f?.(o({ app: 'web', tier: 'back', legacy: '1' }))).toBe(false);
    expect(f?.(o({ app: 'web', tier: 'back', env: 'prod' }))).toBe(false);
    expect(f?.(o({ app: 'web', tier: 'back' }, 'y'))).toBe(false);
    expect(selectorFilter(null, null)).toBeNull();
  });
});

describe('parseApiAddress', () => {
  it('defaults to 127.0.0.1:6443 and takes loopback HOST:PORT only', () => {
    expect(parseApiAddress(true)).toEqual({ host: '127.0.0.1', port: 6443 });
    expect(parseApiAddress('127.0.0.2:46443')).toEqual({ host: '127.0.0.2', port: 46443 });
    expect(parseApiAddress('localhost:7443')).toEqual({ host: '127.0.0.1', port: 7443 });
    expect(() => parseApiAddress('0.0.0.0:6443')).toThrow(/127\.0\.0\.0\/8/);
    expect(() => parseApiAddress('127.0.0.1:70000')).toThrow();
  });
});
