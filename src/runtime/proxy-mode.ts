/**
 * `--proxy-mode`: which kube-proxy carries the Services. `userspace` (the default, no privileges) relays bytes
 * in this process; `iptables` and `nftables` program DNAT rules in the kernel, as kube-proxy's own modes do
 * (root only). All three return the same KubeProxy.
 */
import { type KernelProxyOptions, startKernelProxy } from './kernel-proxy.js';
import { type KubeProxy, type KubeProxyOptions, startKubeProxy } from './kube-proxy.js';
import type { ClusterPlan } from './plan.js';

export const PROXY_MODES = ['userspace', 'iptables', 'nftables'] as const;
export type ProxyMode = (typeof PROXY_MODES)[number];

export function isProxyMode(value: string): value is ProxyMode {
  return (PROXY_MODES as readonly string[]).includes(value);
}

export type ProxyOptions = KubeProxyOptions & KernelProxyOptions;

export function startProxy(
  mode: ProxyMode,
  plan: ClusterPlan,
  options: ProxyOptions = {},
): Promise<KubeProxy> {
  return mode === 'userspace' ? startKubeProxy(plan, options) : startKernelProxy(mode, plan, options);
}
