/**
 * A large input for the UI test and benchmark: `services` Services, each selecting its own Deployment, spread
 * over namespaces of `perNamespace` Services, `pods` pods in all; the first Service of each of the first
 * `broken` namespaces names a targetPort no container declares (target-port-name-unresolved).
 */
export interface LargeInput {
  readonly services: number;
  readonly pods: number;
  readonly perNamespace?: number;
  readonly broken?: number;
}

export function largeManifests(o: LargeInput): string {
  const per = o.perNamespace ?? 10;
  const docs: string[] = [];
  const base = Math.floor(o.pods / o.services);
  let extra = o.pods - base * o.services;
  for (let i = 0; i < o.services; i++) {
    const ns = `team-${String(Math.floor(i / per)).padStart(4, '0')}`;
    const name = `app-${i}`;
    const broken = i % per === 0 && Math.floor(i / per) < (o.broken ?? 3);
    const replicas = base + (extra-- > 0 ? 1 : 0);
    docs.push(`apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: 80, targetPort: ${broken ? 'htpp' : 'http'}}]`);
    docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{name: http, containerPort: 80}]`);
  }
  return `${docs.join('\n---\n')}\n`;
}
