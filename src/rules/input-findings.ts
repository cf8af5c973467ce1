import type { RuleMeta } from './rule.js';

/**
 * Findings made while reading input, before any object exists to check. They are listed here so the
 * generated docs, the SARIF rule table and the configuration know them like any rule.
 */
export const inputFindings: readonly RuleMeta[] = [
  {
    id: 'input-unreadable',
    severity: 'error',
    description: 'A path that does not exist, a folder with no manifests, or binary data.',
    docs: {
      details: 'Nothing of that input was checked. When no input at all can be read, portchain exits with 2.',
      bad: 'portchain check ./manifsts/',
      good: 'portchain check ./manifests/',
    },
  },
  {
    id: 'yaml-syntax',
    severity: 'error',
    description: 'A YAML document cannot be parsed; the other documents of the file are still checked.',
    docs: {
      details: 'kubectl would refuse the whole file. The location is where the parser noticed the error.',
      bad: 'ports: [80, 443',
      good: 'ports: [80, 443]',
    },
  },
  {
    id: 'yaml-duplicate-key',
    severity: 'error',
    description: "A mapping repeats a key; the API server's strict decoding rejects the document.",
    docs: {
      details:
        'Lenient parsers silently keep the last value, which hides a port change. portchain reports it and checks the document with the last value.',
      bad: 'ports:\n- port: 80\n  port: 8080',
      good: 'ports:\n- port: 8080',
    },
  },
  {
    id: 'not-an-object',
    severity: 'error',
    description: 'A document is a list or a scalar, not a Kubernetes object.',
    docs: {
      details: 'Each YAML document must be one mapping with apiVersion and kind (or a List with items).',
      bad: '- apiVersion: v1\n  kind: Service',
      good: 'apiVersion: v1\nkind: Service',
    },
  },
  {
    id: 'object-invalid',
    severity: 'error',
    description: 'An object has no apiVersion or no kind.',
    docs: {
      details: 'kubectl reports `error validating data: [apiVersion not set, kind not set]`.',
      bad: 'metadata: {name: web}\nspec: {}',
      good: 'apiVersion: v1\nkind: Service\nmetadata: {name: web}',
    },
  },
  {
    id: 'api-decode',
    severity: 'error',
    description:
      'A field has the wrong type (`port: eighty`, `value: 3005` for an env var), so the API server cannot decode the object.',
    docs: {
      details:
        "The API server answers 400 BadRequest with encoding/json's words. portchain reports every such field and checks the rest of the object as if the field were unset.",
      bad: 'env:\n- name: PORT\n  value: 3005',
      good: 'env:\n- name: PORT\n  value: "3005"',
    },
  },
];
