/**
 * The subset of Kubernetes' API types that bears on the port chain, in their JSON shape (core/v1, apps/v1,
 * batch/v1, networking.k8s.io/v1, discovery.k8s.io/v1). Fields are optional as in the API; defaulting
 * (defaults.ts) fills what the API server fills.
 */
export type IntOrString = number | string;
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type Labels = Record<string, string>;

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Labels;
  annotations?: Record<string, string>;
  uid?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  ownerReferences?: {
    apiVersion?: string;
    kind?: string;
    name?: string;
    uid?: string;
    controller?: boolean;
  }[];
}

export interface TypeMeta {
  apiVersion: string;
  kind: string;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: LabelSelectorRequirement[];
}

// ---- core/v1: Pod ----

export interface ContainerPort {
  name?: string;
  containerPort?: number;
  hostPort?: number;
  hostIP?: string;
  protocol?: string;
}

export interface HTTPGetAction {
  path?: string;
  port?: IntOrString;
  host?: string;
  scheme?: string;
  httpHeaders?: { name: string; value: string }[];
}
export interface TCPSocketAction {
  port?: IntOrString;
  host?: string;
}
export interface GRPCAction {
  port?: number;
  service?: string;
}
export interface ProbeHandler {
  exec?: { command?: string[] };
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  grpc?: GRPCAction;
}
export interface Probe extends ProbeHandler {
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}
export interface LifecycleHandler {
  exec?: { command?: string[] };
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  sleep?: { seconds?: number };
}

export interface EnvVarSource {
  configMapKeyRef?: { name?: string; key?: string; optional?: boolean };
  secretKeyRef?: { name?: string; key?: string; optional?: boolean };
  fieldRef?: { fieldPath?: string; apiVersion?: string };
  resourceFieldRef?: { resource?: string; containerName?: string };
}
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: EnvVarSource;
}
export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name?: string; optional?: boolean };
  secretRef?: { name?: string; optional?: boolean };
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: ContainerPort[];
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { postStart?: LifecycleHandler; preStop?: LifecycleHandler };
  /** "Always" on an init container makes it a native sidecar (KEP-753). */
  restartPolicy?: string;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  hostNetwork?: boolean;
  nodeName?: string;
  hostname?: string;
  subdomain?: string;
  restartPolicy?: string;
  serviceAccountName?: string;
  /** False: the kubelet adds no Service variables but the `kubernetes` Service's. */
  enableServiceLinks?: boolean;
  terminationGracePeriodSeconds?: number;
}

export interface PodCondition {
  type: string;
  status: string;
}
export interface PodStatus {
  phase?: string;
  podIP?: string;
  podIPs?: { ip: string }[];
  hostIP?: string;
  conditions?: PodCondition[];
}

export interface Pod extends TypeMeta {
  metadata: ObjectMeta;
  spec: PodSpec;
  status?: PodStatus;
}

export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec: PodSpec;
}

// ---- workloads ----

export interface Deployment extends TypeMeta {
  metadata: ObjectMeta;
  spec: { replicas?: number; selector?: LabelSelector; template: PodTemplateSpec };
}
export type ReplicaSet = Deployment;
export interface StatefulSet extends TypeMeta {
  metadata: ObjectMeta;
  spec: { replicas?: number; selector?: LabelSelector; serviceName?: string; template: PodTemplateSpec };
}
export interface DaemonSet extends TypeMeta {
  metadata: ObjectMeta;
  spec: { selector?: LabelSelector; template: PodTemplateSpec };
}
export interface Job extends TypeMeta {
  metadata: ObjectMeta;
  spec: { parallelism?: number; completions?: number; selector?: LabelSelector; template: PodTemplateSpec };
}
export interface CronJob extends TypeMeta {
  metadata: ObjectMeta;
  spec: { schedule?: string; jobTemplate: { metadata?: ObjectMeta; spec: Job['spec'] } };
}
export interface ReplicationController extends TypeMeta {
  metadata: ObjectMeta;
  spec: { replicas?: number; selector?: Labels; template?: PodTemplateSpec };
}

// ---- core/v1: Service, Endpoints ----

export interface ServicePort {
  name?: string;
  protocol?: string;
  appProtocol?: string;
  port: number;
  targetPort?: IntOrString;
  nodePort?: number;
}

export interface ServiceSpec {
  type?: string;
  selector?: Labels | null;
  ports?: ServicePort[];
  clusterIP?: string;
  clusterIPs?: string[];
  externalIPs?: string[];
  externalName?: string;
  sessionAffinity?: string;
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } } | null;
  externalTrafficPolicy?: string;
  internalTrafficPolicy?: string;
  healthCheckNodePort?: number;
  publishNotReadyAddresses?: boolean;
  loadBalancerIP?: string;
  loadBalancerSourceRanges?: string[];
  loadBalancerClass?: string;
  allocateLoadBalancerNodePorts?: boolean;
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
}

export interface Service extends TypeMeta {
  metadata: ObjectMeta;
  spec: ServiceSpec;
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string };
}
export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}
export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}
export interface Endpoints extends TypeMeta {
  metadata: ObjectMeta;
  subsets?: EndpointSubset[];
}

// ---- discovery.k8s.io/v1 ----

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}
export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  nodeName?: string;
  zone?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string };
}
export interface EndpointSlicePort {
  name?: string;
  port?: number;
  protocol?: string;
  appProtocol?: string;
}
export interface EndpointSlice extends TypeMeta {
  metadata: ObjectMeta;
  addressType: string;
  endpoints: Endpoint[];
  ports?: EndpointSlicePort[];
}

// ---- networking.k8s.io/v1 ----

export interface ServiceBackendPort {
  name?: string;
  number?: number;
}
export interface IngressBackend {
  service?: { name?: string; port?: ServiceBackendPort };
  resource?: { apiGroup?: string; kind?: string; name?: string };
}
export interface HTTPIngressPath {
  path?: string;
  pathType?: string;
  backend: IngressBackend;
}
export interface IngressRule {
  host?: string;
  http?: { paths?: HTTPIngressPath[] };
}
export interface IngressSpec {
  ingressClassName?: string;
  defaultBackend?: IngressBackend;
  rules?: IngressRule[];
  tls?: { hosts?: string[]; secretName?: string }[];
}
export interface Ingress extends TypeMeta {
  metadata: ObjectMeta;
  spec: IngressSpec;
}

export interface IngressClass extends TypeMeta {
  metadata: ObjectMeta;
  spec: { controller?: string; parameters?: { scope?: string } };
}

export interface NetworkPolicyPort {
  protocol?: string;
  port?: IntOrString;
  endPort?: number;
}
export interface IPBlock {
  cidr: string;
  except?: string[];
}
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}
export interface NetworkPolicyIngressRule {
  ports?: NetworkPolicyPort[];
  from?: NetworkPolicyPeer[];
}
export interface NetworkPolicyEgressRule {
  ports?: NetworkPolicyPort[];
  to?: NetworkPolicyPeer[];
}
export interface NetworkPolicy extends TypeMeta {
  metadata: ObjectMeta;
  spec: {
    podSelector: LabelSelector;
    ingress?: NetworkPolicyIngressRule[];
    egress?: NetworkPolicyEgressRule[];
    policyTypes?: string[];
  };
}

// ---- configuration ----

export interface ConfigMap extends TypeMeta {
  metadata: ObjectMeta;
  data?: Record<string, string>;
}
export interface Secret extends TypeMeta {
  metadata: ObjectMeta;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
export interface Namespace extends TypeMeta {
  metadata: ObjectMeta;
}

/** Every kind portchain models, keyed by kind. */
export interface KindMap {
  Pod: Pod;
  Deployment: Deployment;
  ReplicaSet: ReplicaSet;
  StatefulSet: StatefulSet;
  DaemonSet: DaemonSet;
  Job: Job;
  CronJob: CronJob;
  ReplicationController: ReplicationController;
  Service: Service;
  Endpoints: Endpoints;
  EndpointSlice: EndpointSlice;
  Ingress: Ingress;
  IngressClass: IngressClass;
  NetworkPolicy: NetworkPolicy;
  ConfigMap: ConfigMap;
  Secret: Secret;
  Namespace: Namespace;
}
export type Kind = keyof KindMap;
export type KubeObject = KindMap[Kind];

export const workloadKinds = [
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'ReplicationController',
] as const;
export type WorkloadKind = (typeof workloadKinds)[number];

/** Kinds whose objects live in a namespace; the others here are cluster-scoped. */
export const clusterScopedKinds = new Set<string>(['Namespace', 'IngressClass']);
