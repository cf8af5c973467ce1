import { FieldPath } from '../model/field-path.js';
import { listText } from '../model/list-text.js';
import type { Manifest } from '../model/load.js';
import {
  DEFAULT_INGRESS_CLASS_ANNOTATION,
  defaultIngressClassName,
  effectiveIngressClass,
  INGRESS_CLASS_ANNOTATION,
} from '../semantics/ingress.js';
import type { Report, Rule, RuleContext } from './rule.js';
import { oneEditAway } from './support/ingress-backends.js';

type IngressClass = Manifest<'IngressClass'>;

/** IngressClass names listed in a message (a cluster has a few; a message lists no more than this). */
const MAX_CLASSES = 10;

const annotationField = (key: string) => FieldPath.root('metadata', 'annotations').key(key);
const isDefault = (c: IngressClass) =>
  c.object.metadata.annotations?.[DEFAULT_INGRESS_CLASS_ANNOTATION] === 'true';

/** A class name that no given IngressClass has. */
function unknownClass(
  ing: Manifest<'Ingress'>,
  name: string,
  fromField: boolean,
  classes: IngressClass[],
): Report {
  const names = classes.map((c) => c.name);
  const near = names.find((n) => oneEditAway(n, name));
  const known = `the input's IngressClasses are ${listText(names, MAX_CLASSES)}`;
  const hint = near ? `did you mean ${near}? (${known})` : known;
  if (fromField)
    return {
      manifest: ing,
      field: FieldPath.root('spec', 'ingressClassName'),
      message: `Ingress ${ing.name} -> IngressClass ${name}: no IngressClass ${name}, so no controller serves this Ingress and it is ignored; ${hint}`,
      fix: `Set spec.ingressClassName to ${near ?? 'an existing IngressClass'}${near ? '' : ', or add IngressClass ' + name}.`,
    };
  // The deprecated annotation is matched against the controller's own class flag (ingress-nginx --ingress-class),
  // not necessarily against an IngressClass object.
  return {
    manifest: ing,
    field: annotationField(INGRESS_CLASS_ANNOTATION),
    message: `Ingress ${ing.name} -> class ${name} (annotation ${INGRESS_CLASS_ANNOTATION}): no IngressClass ${name} in the input; only a controller started for class ${name} serves it; ${hint}`,
    fix: `Replace the deprecated annotation with spec.ingressClassName: ${near ?? name}${near ? '' : ` (and add IngressClass ${name})`}.`,
    severity: 'warning',
  };
}

/** An Ingress with no class, where none of the given IngressClasses is the default. */
function classless(ing: Manifest<'Ingress'>, classes: IngressClass[]): Report {
  const names = listText(
    classes.map((c) => c.name),
    MAX_CLASSES,
  );
  return {
    manifest: ing,
    field: FieldPath.root('spec'),
    message: `Ingress ${ing.name} -> no class: no spec.ingressClassName, no ${INGRESS_CLASS_ANNOTATION} annotation, and none of the input's IngressClasses (${names}) is marked default; no controller serves it unless one watches Ingresses without class (ingress-nginx --watch-ingress-without-class)`,
    fix: `Set spec.ingressClassName (${names}), or mark one IngressClass ${DEFAULT_INGRESS_CLASS_ANNOTATION}: "true".`,
    severity: 'info',
  };
}

/** Several IngressClasses marked default: admission picks the newest (1.28+); older releases reject classless Ingresses. */
function extraDefaults(ctx: RuleContext, classes: IngressClass[]): void {
  const defaults = classes.filter(isDefault);
  if (defaults.length < 2) return;
  const chosen = defaultIngressClassName(classes);
  for (const c of defaults) {
    if (c.name === chosen) continue;
    ctx.report({
      manifest: c,
      field: annotationField(DEFAULT_INGRESS_CLASS_ANNOTATION),
      message: `IngressClass ${c.name} -> default: ${listText(
        defaults.map((d) => d.name),
        MAX_CLASSES,
      )} are all marked default; the DefaultIngressClass admission plugin gives Ingresses without class the newest one (${chosen}, creationTimestamp then name), and releases before 1.28 reject them`,
      fix: `Keep ${DEFAULT_INGRESS_CLASS_ANNOTATION}: "true" on one IngressClass only.`,
      severity: 'info',
    });
  }
}

/** An Ingress whose class names no IngressClass of the input, or that no class-aware controller would take. */
export const ingressClassMissing: Rule = {
  meta: {
    id: 'ingress-class-missing',
    severity: 'error',
    description:
      'An Ingress names an IngressClass the input does not define (no controller serves it), or has no class while no IngressClass is the default.',
    docs: {
      details:
        'Controllers serve only the Ingresses of their IngressClass (spec.ingressClassName, or the deprecated kubernetes.io/ingress.class annotation); an Ingress of another class is ignored, as if it did not exist (conformance ingress_class.feature). Checked only when the input holds IngressClasses, taken as the cluster\'s. A spec.ingressClassName naming none of them is an error. The annotation is a warning: controllers match it against their own class flag (ingress-nginx --ingress-class), not against an IngressClass object. Info: an Ingress with no class while no given IngressClass carries ingressclass.kubernetes.io/is-default-class: "true" (served only by a controller that watches Ingresses without class), and several IngressClasses marked default (the DefaultIngressClass admission plugin takes the newest since 1.28; older releases reject Ingresses without class).',
      bad: `kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
kind: Ingress
metadata: {name: shop}
spec:
  ingressClassName: ngnix
  defaultBackend: {service: {name: web, port: {number: 80}}}`,
      good: `kind: Ingress
metadata: {name: shop}
spec:
  ingressClassName: nginx
  defaultBackend: {service: {name: web, port: {number: 80}}}`,
    },
  },
  check(ctx) {
    const classes = [...ctx.graph.ofKind('IngressClass')];
    if (classes.length === 0) return;
    const names = new Set(classes.map((c) => c.name));
    const defaultClass = defaultIngressClassName(classes);
    for (const ing of ctx.graph.ofKind('Ingress')) {
      const { className, source } = effectiveIngressClass(ing, defaultClass);
      if (source === 'none') ctx.report(classless(ing, classes));
      else if ((source === 'field' || source === 'annotation') && className && !names.has(className))
        ctx.report(unknownClass(ing, className, source === 'field', classes));
    }
    extraDefaults(ctx, classes);
  },
};
