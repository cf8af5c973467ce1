import { describe, expect, it } from 'vitest';
import { check } from '../../src/check.js';
import {
  DEFAULT_INGRESS_NAMESPACE,
  networkPolicyBlocksService,
} from '../../src/rules/network-policy-blocks-service.js';
import { ruleOnCorpus, ruleTable } from '../helpers/rule-tester.js';

/** Deployment web (container port 8080 "http") and Service web 80 -> 8080: 22 lines, the Service port on 20. */
const web = (extraSpec = '') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:${extraSpec}
      containers:
      - name: web
        ports:
        - {name: http, containerPort: 8080}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports:
  - name: web
    port: 80
    targetPort: 8080
`;

const policy = (name: string, spec: string) => `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}}
spec:
${spec}`;

const ingress = `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port: {number: 80}
`;

ruleTable(networkPolicyBlocksService, {
  valid: [
    {
      name: 'a policy allowing the target port from the frontend',
      yaml: `${web()}${policy(
        'web',
        `  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: frontend}}}]
    ports: [{port: 8080}]
`,
      )}`,
    },
    { name: 'no NetworkPolicy', yaml: web() },
    {
      name: 'an Egress-only policy does not isolate for ingress',
      yaml: `${web()}${policy(
        'egress',
        `  podSelector: {}
  policyTypes: [Egress]
`,
      )}`,
    },
    {
      name: 'a named policy port resolved on the pods (http = 8080)',
      yaml: `${web()}${policy(
        'web',
        `  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{port: http}]
`,
      )}`,
    },
    {
      name: 'an endPort range covering 8080',
      yaml: `${web()}${policy(
        'web',
        `  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{port: 8000, endPort: 8100}]
`,
      )}`,
    },
    {
      name: 'a rule allowing both 80 and 8080: the 80 entry does not cut the chain',
      yaml: `${web()}${policy(
        'web',
        `  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{port: 80}, {port: 8080}]
`,
      )}`,
    },
    {
      name: 'Ingress: the controller namespace is admitted by name',
      yaml: `${web()}${ingress}${policy(
        'web',
        `  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]
    ports: [{port: 8080}]
`,
      )}`,
    },
    {
      name: 'Ingress: a namespaceSelector on labels the input does not show gets the benefit of the doubt',
      yaml: `${web()}${ingress}${policy(
        'web',
        `  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: edge}}}]
    ports: [{port: 8080}]
`,
      )}`,
    },
    {
      name: 'hostNetwork pods are not governed by NetworkPolicy',
      yaml: `${web('\n      hostNetwork: true')}${policy('deny', '  podSelector: {}\n')}`,
    },
  ],
  invalid: [
    {
      name: 'default deny and nothing allows 8080',
      yaml: `${web()}${policy(
        'default-deny',
        `  podSelector: {}
  policyTypes: [Ingress]
`,
      )}`,
      findings: [
        {
          line: 20,
          column: 5,
          field: 'spec.ports[0]',
          message:
            'no source may reach Service web:80 -> pods app=web (Deployment web) port 8080: NetworkPolicy default-deny isolates them and no rule allows TCP 8080 (in the policies the input gives)',
          fix: 'allowing TCP 8080',
        },
      ],
    },
    {
      name: 'the policy allows the Service port, not the pod port',
      yaml: `${web()}${policy(
        'web',
        `  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: frontend}}}]
    ports:
    - port: 80
`,
      )}`,
      findings: [
        {
          line: 32,
          column: 7,
          field: 'spec.ingress[0].ports[0].port',
          message: [
            'NetworkPolicy web spec.ingress[0].ports[0] allows TCP 80, the port of Service web:80, not of pods app=web',
            "NetworkPolicy allows 80 but the pods listen on 8080: policies apply to pod ports, after the Service's translation",
          ],
          fix: 'Allow port 8080',
        },
      ],
    },
    {
      name: "the policy names the Service port's name, which no container port has",
      yaml: `${web()}${policy(
        'web',
        `  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{port: web}]
`,
      )}`,
      findings: [
        {
          line: 30,
          message: [
            'allows port "web"',
            '"web" is the Service port\'s name, and no container of the pods declares a port named "web"',
          ],
          fix: 'instead of "web"',
        },
      ],
    },
    {
      name: 'an endPort range that misses 8080',
      yaml: `${web()}${policy(
        'web',
        `  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{port: 9000, endPort: 9100}, {port: 8080, protocol: UDP}]
`,
      )}`,
      findings: [{ line: 20, message: 'NetworkPolicy web isolates them and no rule allows TCP 8080' }],
    },
    {
      name: 'Ingress: only the frontend pods may reach 8080, not the ingress controller',
      yaml: `${web()}${ingress}${policy(
        'web',
        `  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: frontend}}}]
    ports: [{port: 8080}]
`,
      )}`,
      findings: [
        {
          line: 36,
          field: 'spec.rules[0].http.paths[0].backend.service.port.number',
          message: [
            `Ingress shop -> Service web:80 -> pods app=web (Deployment web) port 8080: the ingress controller's namespace ${DEFAULT_INGRESS_NAMESPACE} may not reach them`,
            'web spec.ingress[0]',
            'option ingressNamespace',
          ],
        },
      ],
    },
    {
      name: 'a cluster dump: absence of an allowing policy is proof',
      yaml: `apiVersion: v1
kind: Pod
metadata: {name: web-1, labels: {app: web}}
spec:
  containers: [{name: web, ports: [{containerPort: 8080}]}]
status: {phase: Running, podIP: 10.0.0.5, conditions: [{type: Ready, status: 'True'}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: metrics, port: 9090}
${policy(
  'web',
  `  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{port: 8080}]
`,
)}`,
      findings: [
        {
          line: 15,
          severity: 'error',
          message:
            'no source may reach Service web:metrics -> pods app=web (Pod web-1) port 9090: NetworkPolicy web isolates them and no rule allows TCP 9090',
        },
      ],
    },
  ],
});

describe('network-policy-blocks-service: ingressNamespace option', () => {
  it('reads the controller namespace from the graph options', () => {
    const yaml = `${web()}${ingress}${policy(
      'web',
      `  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: traefik}}}]
    ports: [{port: 8080}]
`,
    )}`;
    const run = (options: object) =>
      check([{ name: 't.yaml', text: yaml }], {
        rules: [networkPolicyBlocksService],
        ...options,
      }).findings.map((f) => f.message);
    expect(run({})).toHaveLength(1);
    expect(run({ ingressNamespace: 'traefik' })).toEqual([]);
  });
});

describe('network-policy-blocks-service on the corpus', () => {
  it('reports nothing', () => {
    const got = ruleOnCorpus(networkPolicyBlocksService);
    // SOURCES.md ground truth: argo-cd's 8 (HA) and 7 policies allow the container ports their Services target
    // (8081/8084 repo-server, 5556-5558 dex, 8082, 7000/8080, 9001, 6379/26379, 9101; argocd-server allows
    // everything); microservices-demo's cartservice 7070 and redis-cart 6379 equal the containerPorts; the
    // kube-prometheus blackbox-exporter policy allows 9115/19115, the ports its Service targets. None of these
    // units has an Ingress, so the controller-namespace check has nothing to do.
    expect(got).toEqual([]);
  });
});
