import { describe, expect, it } from 'vitest';
import { check } from '../../src/check.js';
import { ingressClassMissing as rule } from '../../src/rules/ingress-class-missing.js';
import { ruleTable } from '../helpers/rule-tester.js';
import { corpusUnits, readSource } from '../helpers/shared.js';

/** IngressClass `name`, marked default when `isDefault`; 6 lines with the separator, 8 with the annotation. */
const ingressClass = (name: string, isDefault = false, created = '') => `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: ${name}${created ? `\n  creationTimestamp: "${created}"` : ''}${isDefault ? '\n  annotations:\n    ingressclass.kubernetes.io/is-default-class: "true"' : ''}
spec: {controller: k8s.io/ingress-nginx}
---
`;

const ingress = (meta: string, spec: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop${meta}
spec:${spec}
  defaultBackend: {service: {name: web, port: {number: 80}}}
`;

ruleTable(rule, {
  valid: [
    {
      name: 'no IngressClass in the input: nothing to compare with (bookinfo, emojivoto, GKE)',
      yaml: ingress('\n  annotations: {kubernetes.io/ingress.class: istio}', ''),
    },
    {
      name: 'ingressClassName names a given class',
      yaml: ingressClass('nginx') + ingress('', '\n  ingressClassName: nginx'),
    },
    {
      name: 'the annotation names a given class',
      yaml: ingressClass('nginx') + ingress('\n  annotations: {kubernetes.io/ingress.class: nginx}', ''),
    },
    { name: 'no class, but a default IngressClass', yaml: ingressClass('nginx', true) + ingress('', '') },
  ],
  invalid: [
    {
      name: 'ingressClassName with a typo (error)',
      yaml: ingressClass('nginx') + ingress('', '\n  ingressClassName: ngnix'),
      findings: [
        {
          message:
            'Ingress shop -> IngressClass ngnix: no IngressClass ngnix, so no controller serves this Ingress and it is ignored; did you mean nginx?',
          line: 12,
          column: 3,
          field: 'spec.ingressClassName',
          fix: 'Set spec.ingressClassName to nginx.',
        },
      ],
    },
    {
      name: 'the legacy annotation names no given class (warning: matched against the controller flag)',
      yaml: ingressClass('nginx') + ingress('\n  annotations:\n    kubernetes.io/ingress.class: gce', ''),
      findings: [
        {
          severity: 'warning',
          message:
            "Ingress shop -> class gce (annotation kubernetes.io/ingress.class): no IngressClass gce in the input; only a controller started for class gce serves it; the input's IngressClasses are nginx",
          line: 12,
          field: 'metadata.annotations[kubernetes.io/ingress.class]',
        },
      ],
    },
    {
      name: 'no class and no default IngressClass (info)',
      yaml: ingressClass('nginx') + ingress('', ''),
      findings: [
        {
          severity: 'info',
          message:
            "Ingress shop -> no class: no spec.ingressClassName, no kubernetes.io/ingress.class annotation, and none of the input's IngressClasses (nginx) is marked default",
          line: 11,
          fix: 'Set spec.ingressClassName (nginx)',
        },
      ],
    },
    {
      name: 'several default IngressClasses (info on the one admission does not pick)',
      yaml:
        ingressClass('nginx', true, '2024-01-01T00:00:00Z') +
        ingressClass('traefik', true, '2023-01-01T00:00:00Z') +
        ingress('', '\n  ingressClassName: nginx'),
      findings: [
        {
          severity: 'info',
          message:
            'IngressClass traefik -> default: nginx and traefik are all marked default; the DefaultIngressClass admission plugin gives Ingresses without class the newest one (nginx',
          line: 16,
          field: 'metadata.annotations[ingressclass.kubernetes.io/is-default-class]',
        },
      ],
    },
  ],
});

describe('ingress-class-missing on the corpus', () => {
  it('finds nothing (the units with Ingresses hold no IngressClass; ingress-nginx deploy.yaml holds no Ingress)', () => {
    for (const unit of corpusUnits()) {
      const findings = check(unit.files.map(readSource), { rules: [rule] }).findings;
      expect(findings, unit.name).toEqual([]);
    }
  });
});
