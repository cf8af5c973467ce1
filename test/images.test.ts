import { describe, expect, it } from 'vitest';
import { type ImageKnowledge, imageKnowledge, programKnowledge } from '../src/knowledge/images.js';
import { normaliseImage } from '../src/semantics/listening.js';

const all: readonly ImageKnowledge[] = [...imageKnowledge, ...programKnowledge];
const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);
const inRange = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;

describe('image knowledge base', () => {
  it('knows at least 40 images', () => {
    expect(imageKnowledge.length).toBeGreaterThanOrEqual(40);
  });

  it('has unique ids', () => {
    const ids = all.map((k) => k.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('never lists a repository name twice', () => {
    const seen = new Map<string, string>();
    const dupes: string[] = [];
    for (const k of imageKnowledge) {
      for (const m of k.match) {
        if (seen.has(m)) dupes.push(`${m} (${seen.get(m)} and ${k.id})`);
        seen.set(m, k.id);
      }
    }
    expect(dupes).toEqual([]);
  });

  it('lists match names already normalised (no tag, digest, docker.io/ or library/)', () => {
    const bad = imageKnowledge.flatMap((k) =>
      k.match.filter((m) => normaliseImage(m).name !== m || m !== m.trim()),
    );
    expect(bad).toEqual([]);
  });

  it.each(all.map((k) => [k.id, k] as const))('%s cites a source and a note', (_id, k) => {
    expect(k.source).toMatch(/^https:\/\/\S+$/);
    expect(k.note ?? '').not.toBe('');
    expect(k.match.length).toBeGreaterThan(0);
  });

  it.each(all.map((k) => [k.id, k] as const))(
    '%s has ports in range with a protocol and purpose',
    (_id, k) => {
      const ports = [...k.ports, ...(k.variants ?? []).flatMap((v) => v.ports)];
      for (const p of ports) {
        expect(inRange(p.port), `${k.id} ${p.port}`).toBe(true);
        expect(PROTOCOLS.has(p.protocol)).toBe(true);
        expect(p.purpose).not.toBe('');
      }
      const keys = k.ports.map((p) => `${p.port}/${p.protocol}/${p.whenTag ?? ''}/${p.unlessTag ?? ''}`);
      expect(new Set(keys).size).toBe(keys.length);
    },
  );

  it.each(all.map((k) => [k.id, k] as const))('%s aims every setting at a port it lists', (_id, k) => {
    const profiles = [k, ...(k.variants ?? [])];
    for (const p of profiles) {
      const own = new Set(p.ports.map((x) => x.port));
      for (const s of [...(p.portFlags ?? []), ...(p.portEnv ?? [])]) {
        if (typeof s.appliesTo === 'number')
          expect(own.has(s.appliesTo), `${k.id} → ${s.appliesTo}`).toBe(true);
        if (s.extra !== undefined) expect(s.appliesTo).toBeUndefined();
      }
      for (const f of p.portFlags ?? []) expect(f.flag).toMatch(/^--?[A-Za-z*]/);
      for (const e of p.portEnv ?? []) expect(e.name).toMatch(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/);
    }
  });

  it('covers the images portchain users meet most', () => {
    const names = new Set(imageKnowledge.flatMap((k) => k.match));
    for (const n of [
      'nginx',
      'nginxinc/nginx-unprivileged',
      'httpd',
      'traefik/whoami',
      'hashicorp/http-echo',
      'prom/node-exporter',
      'quay.io/prometheus/node-exporter',
      'prom/prometheus',
      'grafana/grafana',
      'redis',
      'postgres',
      'mysql',
      'mariadb',
      'mongo',
      'coredns/coredns',
      'registry.k8s.io/coredns/coredns',
      'memcached',
      'rabbitmq',
      'elasticsearch',
      'busybox',
      'registry.k8s.io/echoserver',
      'kennethreitz/httpbin',
      'mccutchen/go-httpbin',
      'ealen/echo-server',
      'ghcr.io/advplyr/audiobookshelf',
      'node',
      'python',
      'jenkins/jenkins',
      'sonatype/nexus3',
      'minio/minio',
      'consul',
      'vault',
      'quay.io/coreos/etcd',
      'zookeeper',
      'bitnami/kafka',
      'haproxy',
      'envoyproxy/envoy',
      'jaegertracing/all-in-one',
      'otel/opentelemetry-collector',
      'registry',
      'gcr.io/google-samples/hello-app',
      'stefanprodan/podinfo',
      'quay.io/kiali/kiali',
      'quay.io/argoproj/argocd',
      'tomcat',
      'wordpress',
      'ghost',
      'bitnami/nginx',
    ]) {
      expect(names.has(n), n).toBe(true);
    }
  });

  it('records the facts the brief relies on', () => {
    const byId = new Map(imageKnowledge.map((k) => [k.id, k]));
    expect(byId.get('nginx')?.ports.map((p) => p.port)).toEqual([80]);
    expect(byId.get('nginx')?.honoursPORT).toBe(false);
    expect(byId.get('http-echo')?.portFlags?.[0]).toMatchObject({ flag: '-listen', format: 'hostport' });
    expect(
      byId
        .get('coredns')
        ?.ports.filter((p) => p.port === 53)
        .map((p) => p.protocol),
    ).toEqual(['UDP', 'TCP']);
    expect(byId.get('busybox')?.ports).toEqual([]);
    expect(byId.get('postgres')?.portEnv?.map((e) => e.name)).toContain('PGPORT');
  });
});
