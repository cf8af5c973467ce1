import { describe, expect, it } from 'vitest';
import { isKind, loadText } from '../src/model/load.js';
import {
  DEFAULT_NODES,
  type PodInstance,
  podsFromManifests,
  podTemplateHash,
  SYNTHETIC_POD_CIDR,
  syntheticNodeIP,
  syntheticPodIP,
} from '../src/semantics/workloads.js';

function load(text: string) {
  const r = loadText({ name: 'w.yaml', text });
  expect(r.findings).toEqual([]);
  return r.manifests;
}
const pods = (text: string, nodes?: string[]) => podsFromManifests(load(text), nodes ? { nodes } : {});
const names = (ps: PodInstance[]) => ps.map((p) => p.name);

const template = (labels = 'app: web', extra = '') => `
  template:
    metadata:
      labels: {${labels}}
    spec:${extra}
      containers:
      - name: app
        image: nginx
        ports: [{name: http, containerPort: 8080}]`;

const workload = (kind: string, name: string, spec: string, apiVersion = 'apps/v1') => `---
apiVersion: ${apiVersion}
kind: ${kind}
metadata: {name: ${name}, namespace: shop}
spec:${spec}
`;

describe('podsFromManifests', () => {
  it('exports the documented address ranges', () => {
    expect(SYNTHETIC_POD_CIDR).toBe('10.244.0.0/16');
    expect(syntheticPodIP(0)).toBe('10.244.0.1');
    expect(syntheticPodIP(254)).toBe('10.244.0.255');
    expect(syntheticPodIP(255)).toBe('10.244.1.0');
    expect(syntheticNodeIP(0)).toBe('172.18.0.2');
    expect(DEFAULT_NODES).toEqual(['node-1']);
  });

  it('Deployment: replicas pods named <name>-<hash>-<5 chars>, Running and Ready', () => {
    const ps = pods(workload('Deployment', 'web', `\n  replicas: 3${template()}`));
    expect(ps).toHaveLength(3);
    const m = load(workload('Deployment', 'web', `\n  replicas: 3${template()}`))[0]!;
    if (!isKind(m, 'Deployment')) throw new Error('not a Deployment');
    const hash = podTemplateHash(m.object.spec.template);
    for (const p of ps) {
      expect(p.name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(p.namespace).toBe('shop');
      expect(p.synthesized).toBe(true);
      expect(p.specPath.toString()).toBe('spec.template.spec');
      expect(p.pod.metadata).toMatchObject({
        name: p.name,
        namespace: 'shop',
        labels: { app: 'web', 'pod-template-hash': hash },
        ownerReferences: [{ kind: 'ReplicaSet', name: `web-${hash}`, controller: true }],
      });
      expect(p.pod.spec.nodeName).toBe('node-1');
      expect(p.pod.status?.phase).toBe('Running');
      expect(p.pod.status?.conditions).toContainEqual({ type: 'Ready', status: 'True' });
    }
    expect(new Set(names(ps)).size).toBe(3);
    expect(ps.map((p) => p.pod.status?.podIP)).toEqual(['10.244.0.1', '10.244.0.2', '10.244.0.3']);
  });

  it('pod-template-hash follows the template, not the order its keys are written in', () => {
    const reordered = `
  template:
    spec:
      containers:
      - ports: [{containerPort: 8080, name: http}]
        image: nginx
        name: app
    metadata:
      labels: {app: web}`;
    const hashOf = (spec: string) => {
      const m = load(workload('Deployment', 'web', spec))[0]!;
      if (!isKind(m, 'Deployment')) throw new Error('not a Deployment');
      return podTemplateHash(m.object.spec.template);
    };
    expect(hashOf(reordered)).toBe(hashOf(template()));
    expect(hashOf(template('app: web2'))).not.toBe(hashOf(template()));
    expect(hashOf(template()).length).toBeGreaterThanOrEqual(8);
  });

  it('is deterministic', () => {
    const text = workload('Deployment', 'web', `\n  replicas: 5${template()}`);
    expect(names(pods(text))).toEqual(names(pods(text)));
  });

  it('replicas default to 1 and replicas 0 gives no pods', () => {
    expect(pods(workload('Deployment', 'web', template()))).toHaveLength(1);
    expect(pods(workload('Deployment', 'web', `\n  replicas: 0${template()}`))).toEqual([]);
    expect(pods(workload('StatefulSet', 'db', `\n  replicas: 0${template()}`))).toEqual([]);
    expect(pods(workload('ReplicationController', 'rc', `\n  replicas: 0${template()}`, 'v1'))).toEqual([]);
  });

  it('StatefulSet: <name>-0..n-1 with ordinals, hostname and subdomain', () => {
    const ps = pods(
      workload('StatefulSet', 'db', `\n  replicas: 3\n  serviceName: db-hl${template('app: db')}`),
    );
    expect(names(ps)).toEqual(['db-0', 'db-1', 'db-2']);
    expect(ps.map((p) => p.ordinal)).toEqual([0, 1, 2]);
    expect(ps[1]?.pod.spec).toMatchObject({ hostname: 'db-1', subdomain: 'db-hl' });
    expect(ps[1]?.pod.metadata.labels).toMatchObject({
      app: 'db',
      'statefulset.kubernetes.io/pod-name': 'db-1',
      'apps.kubernetes.io/pod-index': '1',
    });
  });

  it('StatefulSet: spec.ordinals.start shifts the ordinals', () => {
    const ps = pods(
      workload('StatefulSet', 'db', `\n  replicas: 2\n  ordinals: {start: 5}${template('app: db')}`),
    );
    expect(names(ps)).toEqual(['db-5', 'db-6']);
  });

  it('DaemonSet: one pod per node, default one node', () => {
    const text = workload('DaemonSet', 'agent', template('app: agent'));
    expect(pods(text).map((p) => p.pod.spec.nodeName)).toEqual(['node-1']);
    const ps = pods(text, ['a', 'b', 'c']);
    expect(ps.map((p) => p.pod.spec.nodeName)).toEqual(['a', 'b', 'c']);
    expect(ps.map((p) => p.pod.status?.hostIP)).toEqual([
      syntheticNodeIP(0),
      syntheticNodeIP(1),
      syntheticNodeIP(2),
    ]);
    expect(new Set(names(ps)).size).toBe(3);
    for (const n of names(ps)) expect(n).toMatch(/^agent-[a-z0-9]{5}$/);
  });

  it('hostNetwork pods take their node address', () => {
    const ps = pods(workload('DaemonSet', 'agent', template('app: agent', '\n      hostNetwork: true')), [
      'a',
      'b',
    ]);
    expect(ps.map((p) => p.pod.status?.podIP)).toEqual([syntheticNodeIP(0), syntheticNodeIP(1)]);
  });

  it('Job and CronJob: parallelism pods, job-name labels, CronJob spec path', () => {
    const job = pods(workload('Job', 'migrate', `\n  parallelism: 3${template('app: m')}`, 'batch/v1'));
    expect(job).toHaveLength(3);
    expect(job[0]?.pod.metadata.labels).toMatchObject({ app: 'm', 'job-name': 'migrate' });
    // completions written caps the pods running at once.
    expect(
      pods(workload('Job', 'once', `\n  parallelism: 3\n  completions: 2${template('app: m')}`, 'batch/v1')),
    ).toHaveLength(2);
    const cron = pods(`---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 0 * * *"
  jobTemplate:
    spec:
      parallelism: 2
      template:
        metadata: {labels: {app: nightly}}
        spec:
          restartPolicy: OnFailure
          containers: [{name: c, image: busybox}]
`);
    expect(cron).toHaveLength(2);
    expect(cron[0]?.namespace).toBe('default');
    expect(cron[0]?.specPath.toString()).toBe('spec.jobTemplate.spec.template.spec');
    expect(cron[0]?.name).toMatch(/^nightly-\d+-[a-z0-9]{5}$/);
  });

  it('ReplicaSet and ReplicationController: <name>-<5 chars>', () => {
    const rs = pods(workload('ReplicaSet', 'front', `\n  replicas: 2${template()}`));
    expect(rs).toHaveLength(2);
    for (const n of names(rs)) expect(n).toMatch(/^front-[a-z0-9]{5}$/);
    const rc = pods(workload('ReplicationController', 'old', `\n  replicas: 2${template('app: old')}`, 'v1'));
    expect(rc).toHaveLength(2);
    expect(rc[0]?.pod.metadata.labels).toEqual({ app: 'old' });
  });

  it('Pods are themselves; a Pod without status gets Running, Ready and an IP in input order', () => {
    const ps = pods(`---
apiVersion: v1
kind: Pod
metadata: {name: bare, labels: {app: x}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: dumped, namespace: shop}
spec: {nodeName: n7, containers: [{name: c, image: nginx}]}
status: {phase: Pending}
${workload('Deployment', 'web', template())}`);
    expect(names(ps).slice(0, 2)).toEqual(['bare', 'dumped']);
    expect(ps[0]).toMatchObject({ synthesized: false, namespace: 'default' });
    expect(ps[0]?.specPath.toString()).toBe('spec');
    expect(ps[0]?.pod.metadata.namespace).toBe('default');
    expect(ps[0]?.pod.status).toMatchObject({ phase: 'Running', podIP: '10.244.0.1' });
    expect(ps[0]?.pod.spec.nodeName).toBe('node-1');
    // A status that is present is kept as written.
    expect(ps[1]?.pod.status).toEqual({ phase: 'Pending' });
    expect(ps[2]?.pod.status?.podIP).toBe('10.244.0.2');
  });

  it('a cluster dump: real pods suppress synthesis for their owners', () => {
    const ps = pods(`---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3${template()}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d59d67564
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, controller: true}]
spec:
  replicas: 2${template('app: web, pod-template-hash: 5d59d67564')}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-5d59d67564-abcde
  namespace: shop
  labels: {app: web, pod-template-hash: 5d59d67564}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d59d67564, controller: true}]
spec: {containers: [{name: app, image: nginx}]}
status: {phase: Running, podIP: 10.1.0.5}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-5d59d67564-fghij
  namespace: shop
  labels: {app: web, pod-template-hash: 5d59d67564}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d59d67564, controller: true}]
spec: {containers: [{name: app, image: nginx}]}
status: {phase: Running, podIP: 10.1.0.6}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  replicas: 2${template('app: db')}
---
apiVersion: v1
kind: Pod
metadata:
  name: db-0
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: db, controller: true}]
spec: {containers: [{name: app, image: nginx}]}
status: {phase: Running, podIP: 10.1.0.7}
`);
    expect(names(ps)).toEqual(['web-5d59d67564-abcde', 'web-5d59d67564-fghij', 'db-0']);
    expect(ps.every((p) => !p.synthesized)).toBe(true);
  });

  it('a Deployment whose ReplicaSet is absent is still recognised through its pods', () => {
    const ps = pods(`${workload('Deployment', 'web', `\n  replicas: 3${template()}`)}---
apiVersion: v1
kind: Pod
metadata:
  name: web-7d4d5c6b9f-x2x2x
  namespace: shop
  labels: {app: web, pod-template-hash: 7d4d5c6b9f}
  ownerReferences: [{kind: ReplicaSet, name: web-7d4d5c6b9f}]
spec: {containers: [{name: app, image: nginx}]}
status: {phase: Running, podIP: 10.1.0.5}
`);
    expect(names(ps)).toEqual(['web-7d4d5c6b9f-x2x2x']);
  });

  it('real pods of another namespace do not suppress a workload', () => {
    const ps = pods(`${workload('StatefulSet', 'db', `\n  replicas: 1${template('app: db')}`)}---
apiVersion: v1
kind: Pod
metadata:
  name: db-0
  namespace: elsewhere
  ownerReferences: [{kind: StatefulSet, name: db}]
spec: {containers: [{name: app, image: nginx}]}
status: {phase: Running, podIP: 10.1.0.7}
`);
    expect(ps.map((p) => `${p.namespace}/${p.name}/${p.synthesized}`)).toEqual([
      'shop/db-0/true',
      'elsewhere/db-0/false',
    ]);
  });

  it('spreads replicas over configured nodes', () => {
    const ps = pods(workload('Deployment', 'web', `\n  replicas: 4${template()}`), ['a', 'b']);
    expect(ps.map((p) => p.pod.spec.nodeName)).toEqual(['a', 'b', 'a', 'b']);
  });
});
