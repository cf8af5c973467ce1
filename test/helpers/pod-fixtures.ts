/**
 * Pods and a probe shared by the tests that read what a pod of `portchain up` really bound (its /proc/net
 * tables): each test file passes its own namespace and ports, and keeps its own address block.
 */
import { probe } from './up-process.js';

/**
 * Pod `web` (nginx on 80, http-echo on `echoPort`) and pod `dns` (coredns on 53/UDP and 53/TCP) in
 * `namespace`: the simulated images' listeners.
 */
export function webAndDnsPods(namespace: string, echoPort: number): string {
  return `
apiVersion: v1
kind: Pod
metadata: { name: web, namespace: ${namespace}, labels: { app: web } }
spec:
  containers:
    - name: nginx
      image: nginx:1.27
      ports: [{ containerPort: 80 }]
    - name: echo
      image: hashicorp/http-echo:1.0
      args: ["-listen=:${echoPort}", "-text=hi"]
      ports: [{ containerPort: ${echoPort} }]
---
apiVersion: v1
kind: Pod
metadata: { name: dns, namespace: ${namespace} }
spec:
  containers:
    - name: coredns
      image: registry.k8s.io/coredns/coredns:v1.11.1
      ports:
        - { name: dns, containerPort: 53, protocol: UDP }
        - { name: dns-tcp, containerPort: 53, protocol: TCP }
`;
}

/** A local command for an image: a TCP server on $PORT at the pod IP the kubelet puts in $POD_IP. */
export const POD_IP_SERVER_JS = `require('node:net').createServer(() => {}).listen(Number(process.env.PORT), process.env.POD_IP, () => console.log('listening'));\n`;

/** Whether a TCP connect to host:port succeeds (false when refused or after 3 s). */
export async function connects(host: string, port: number): Promise<boolean> {
  return (await probe(host, port)) === 'open';
}
