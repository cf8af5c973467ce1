/**
 * The API server's certificates: a throwaway CA and a serving certificate for 127.0.0.1, ::1 and localhost
 * signed by it, as kubeadm's "ca" and "apiserver" certificates (kubectl verifies against the CA written into
 * the kubeconfig's certificate-authority-data).
 */
import { generate } from 'selfsigned';

export interface ServingCertificate {
  readonly caCert: string;
  readonly cert: string;
  readonly key: string;
}

export async function servingCertificate(hosts: readonly string[] = []): Promise<ServingCertificate> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 365 * 24 * 3600_000);
  const ca = await generate([{ name: 'commonName', value: 'portchain-ca' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const ips = new Set(['127.0.0.1', '::1', ...hosts.filter((h) => /^[\d.:]+$/.test(h))]);
  const names = new Set([
    'localhost',
    'kubernetes',
    'kubernetes.default',
    ...hosts.filter((h) => !/^[\d.:]+$/.test(h)),
  ]);
  const serving = await generate([{ name: 'commonName', value: 'kube-apiserver' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...[...names].map((value) => ({ type: 2 as const, value })),
          ...[...ips].map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  return { caCert: ca.cert, cert: serving.cert, key: serving.private };
}
