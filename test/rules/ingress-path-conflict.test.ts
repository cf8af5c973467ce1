import { describe, expect, it } from 'vitest';
import { check } from '../../src/check.js';
import { ingressPathConflict as rule } from '../../src/rules/ingress-path-conflict.js';
import { ruleTable } from '../helpers/rule-tester.js';
import { corpusUnits, readSource } from '../helpers/shared.js';

/** An Ingress with one rule `host` (may be empty) and one path; `extra` goes under metadata/spec. */
const ing = (
  name: string,
  host: string,
  path: string,
  service: string,
  spec = '',
) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ${name}}
spec:${spec}
  rules:
  - ${host ? `host: ${host}\n    ` : ''}http:
      paths:
      - path: ${path}
        pathType: Prefix
        backend: {service: {name: ${service}, port: {number: 80}}}
`;

ruleTable(rule, {
  valid: [
    {
      name: 'different paths on one host',
      yaml: `${ing('a', 'shop.example.com', '/', 'web')}---\n${ing('b', 'shop.example.com', '/v2', 'web-v2')}`,
    },
    {
      name: 'the same path on different hosts',
      yaml: `${ing('a', 'shop.example.com', '/', 'web')}---\n${ing('b', 'blog.example.com', '/', 'blog')}`,
    },
    {
      name: 'the same path and host with another pathType (ingress-nginx allows it)',
      yaml: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: a}
spec:
  rules:
  - http:
      paths:
      - {path: /foo, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}
      - {path: /foo, pathType: Exact, backend: {service: {name: b, port: {number: 80}}}}
`,
    },
    {
      name: 'Ingresses of different classes are served by different controllers',
      yaml: `${ing('a', 'shop.example.com', '/', 'web', '\n  ingressClassName: nginx')}---\n${ing('b', 'shop.example.com', '/', 'web-v2', '\n  ingressClassName: traefik')}`,
    },
  ],
  invalid: [
    {
      name: 'two Ingresses claim the same host, path and pathType for different Services',
      yaml: `${ing('shop', 'shop.example.com', '/', 'web')}---\n${ing('shop-v2', 'shop.example.com', '/', 'web-v2')}`,
      findings: [
        {
          message:
            'Ingress shop-v2 -> shop.example.com / (Prefix) -> Service web-v2:80: Ingress shop (spec.rules[0].http.paths[0]) already claims it for Service web:80; which backend gets the traffic is controller-specific (ingress-nginx merges the Ingresses and the oldest wins: shop, by input order)',
          line: 21,
          column: 9,
          field: 'spec.rules[0].http.paths[0].path',
        },
      ],
    },
    {
      name: 'one Ingress claims a host-less path twice',
      yaml: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: a}
spec:
  rules:
  - http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
  - http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api-v2, port: {number: 80}}}}
`,
      findings: [
        {
          message: [
            'Ingress a -> (any host) /api (Prefix) -> Service api-v2:80: spec.rules[0].http.paths[0] of the same Ingress already claims it for Service api:80',
            'ingress-nginx keeps the first one',
          ],
          line: 11,
          field: 'spec.rules[1].http.paths[0].path',
        },
      ],
    },
    {
      name: 'an identical duplicate is only redundant (info)',
      yaml: `${ing('a', 'shop.example.com', '/', 'web')}---\n${ing('b', 'shop.example.com', '/', 'web')}`,
      findings: [
        {
          severity: 'info',
          message:
            'Ingress b -> shop.example.com / (Prefix): also defined by Ingress a (spec.rules[0].http.paths[0]) with the same backend Service web:80; the duplicate is redundant',
          line: 21,
        },
      ],
    },
    {
      name: 'the same class through the annotation and the field',
      yaml: `${ing('a', 'shop.example.com', '/', 'web', '\n  ingressClassName: nginx')}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: b
  annotations: {kubernetes.io/ingress.class: nginx}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web-v2, port: {number: 80}}}
`,
      findings: [{ message: 'Ingress b -> shop.example.com / (Prefix) -> Service web-v2:80', line: 24 }],
    },
  ],
});

describe('ingress-path-conflict on the corpus', () => {
  it('finds nothing (no two corpus Ingress paths share host, path and pathType)', () => {
    for (const unit of corpusUnits()) {
      const findings = check(unit.files.map(readSource), { rules: [rule] }).findings;
      expect(findings, unit.name).toEqual([]);
    }
  });
});
