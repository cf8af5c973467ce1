/**
 * Runs every case of ../shared/vectors/api-validation.json. The API server's answer to a create is the
 * allocation errors when allocation fails (they are returned alone), otherwise validation of the object as the
 * registry filled it in; `expectValidationOnly` is validateObject on the defaulted object. Messages are matched
 * against the error as the API server renders it (`<path>: <Type>: <value>: <detail>`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type CauseType, type FieldError, renderFieldError } from '../src/model/field-error.js';
import { isKind, loadText, type Manifest } from '../src/model/load.js';
import { validateObject } from '../src/model/validation/index.js';
import { allocateNodePorts, serviceCreateErrors } from '../src/semantics/node-ports.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vectorsPath = path.resolve(repoRoot, '../shared/vectors/api-validation.json');

interface ExpectedError {
  field: string;
  type: string;
  messageContains: string;
}
interface Expectation {
  valid: boolean;
  errors: ExpectedError[];
}
interface Vector {
  id: string;
  description: string;
  yaml: string;
  expect: Expectation;
  expectValidationOnly?: Expectation;
}

const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8')) as Vector[];

const causeOf: Record<string, CauseType> = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  Duplicate: 'FieldValueDuplicate',
  NotSupported: 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  TooLong: 'FieldValueTooLong',
  NotFound: 'FieldValueNotFound',
  InternalError: 'InternalError',
};

/** What a create through the API answers: allocation errors alone, else validation of the allocated object. */
function apiCreateErrors(m: Manifest): FieldError[] {
  if (!isKind(m, 'Service')) return validateObject(m);
  return serviceCreateErrors(m, allocateNodePorts([m]));
}

const key = (field: string, cause: string) => `${field} ${cause}`;

function expectMatches(actual: FieldError[], expected: Expectation): void {
  if (expected.valid) {
    expect(actual.map((e) => `${e.field.toString()}: ${e.reason}: ${e.detail}`)).toEqual([]);
    return;
  }
  const actualKeys = new Set(actual.map((e) => key(e.field.toString(), e.reason)));
  const expectedKeys = new Set(expected.errors.map((e) => key(e.field, causeOf[e.type] ?? e.type)));
  expect([...actualKeys].sort()).toEqual([...expectedKeys].sort());
  for (const e of expected.errors) {
    const cause = causeOf[e.type] ?? e.type;
    const messages = actual
      .filter((a) => a.field.toString() === e.field && a.reason === cause)
      .map((a) => renderFieldError(a));
    expect(
      messages.some((msg) => msg.includes(e.messageContains)),
      `${e.field}: ${messages.join(' | ')}`,
    ).toBe(true);
  }
}

function loadOne(v: Vector): Manifest {
  const r = loadText({ name: `${v.id}.yaml`, text: v.yaml });
  expect(r.findings).toEqual([]);
  expect(r.manifests).toHaveLength(1);
  return r.manifests[0] as Manifest;
}

describe('api-validation vectors', () => {
  it('loads the vectors', () => {
    expect(vectors.length).toBeGreaterThan(100);
  });

  for (const v of vectors) {
    it(`${v.id}: ${v.description}`, () => {
      const m = loadOne(v);
      expectMatches(apiCreateErrors(m), v.expect);
      if (v.expectValidationOnly) expectMatches(validateObject(m), v.expectValidationOnly);
    });
  }
});
