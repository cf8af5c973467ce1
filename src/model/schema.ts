/**
 * Field types of the modelled kinds, as Go's encoding/json would decode them into the API structs. Used to
 * reject what the API server rejects at decode time (`port: eighty`) with its own words, and to hand the
 * semantic core well-typed objects. Unknown fields are kept out of the decoded object, as the API server
 * drops them.
 */
export type Scalar = 'string' | 'int32' | 'int64' | 'bool' | 'intOrString' | 'any';
export interface ObjectSchema {
  readonly go: string;
  readonly fields: Readonly<Record<string, Schema>>;
}
export interface ArraySchema {
  readonly items: Schema;
}
export interface MapSchema {
  readonly values: Schema;
}
export type Schema = Scalar | ObjectSchema | ArraySchema | MapSchema;

const obj = (go: string, fields: Record<string, Schema>): ObjectSchema => ({ go, fields });
const arr = (items: Schema): ArraySchema => ({ items });
const map = (values: Schema): MapSchema => ({ values });
const stringMap = map('string');
const strings = arr('string');

const ownerReference = obj('OwnerReference', {
  apiVersion: 'string',
  kind: 'string',
  name: 'string',
  uid: 'string',
  controller: 'bool',
});

export const objectMeta = obj('ObjectMeta', {
  name: 'string',
  generateName: 'string',
  namespace: 'string',
  labels: stringMap,
  annotations: stringMap,
  uid: 'string',
  creationTimestamp: 'any',
  deletionTimestamp: 'any',
  ownerReferences: arr(ownerReference),
});

const labelSelector = obj('LabelSelector', {
  matchLabels: stringMap,
  matchExpressions: arr(
    obj('LabelSelectorRequirement', { key: 'string', operator: 'string', values: strings }),
  ),
});

const containerPort = obj('ContainerPort', {
  name: 'string',
  containerPort: 'int32',
  hostPort: 'int32',
  hostIP: 'string',
  protocol: 'string',
});
const httpGet = obj('HTTPGetAction', {
  path: 'string',
  port: 'intOrString',
  host: 'string',
  scheme: 'string',
  httpHeaders: arr(obj('HTTPHeader', { name: 'string', value: 'string' })),
});
const tcpSocket = obj('TCPSocketAction', { port: 'intOrString', host: 'string' });
const grpc = obj('GRPCAction', { port: 'int32', service: 'string' });
const exec = obj('ExecAction', { command: strings });
const probe = obj('Probe', {
  exec,
  httpGet,
  tcpSocket,
  grpc,
  initialDelaySeconds: 'int32',
  timeoutSeconds: 'int32',
  periodSeconds: 'int32',
  successThreshold: 'int32',
  failureThreshold: 'int32',
});
const lifecycleHandler = obj('LifecycleHandler', {
  exec,
  httpGet,
  tcpSocket,
  sleep: obj('SleepAction', { seconds: 'int64' }),
});
const keyRef = (go: string) => obj(go, { name: 'string', key: 'string', optional: 'bool' });
const envVar = obj('EnvVar', {
  name: 'string',
  value: 'string',
  valueFrom: obj('EnvVarSource', {
    configMapKeyRef: keyRef('ConfigMapKeySelector'),
    secretKeyRef: keyRef('SecretKeySelector'),
    fieldRef: obj('ObjectFieldSelector', { fieldPath: 'string', apiVersion: 'string' }),
    resourceFieldRef: obj('ResourceFieldSelector', { resource: 'string', containerName: 'string' }),
  }),
});
const envFrom = obj('EnvFromSource', {
  prefix: 'string',
  configMapRef: obj('ConfigMapEnvSource', { name: 'string', optional: 'bool' }),
  secretRef: obj('SecretEnvSource', { name: 'string', optional: 'bool' }),
});
const container = obj('Container', {
  name: 'string',
  image: 'string',
  command: strings,
  args: strings,
  ports: arr(containerPort),
  env: arr(envVar),
  envFrom: arr(envFrom),
  livenessProbe: probe,
  readinessProbe: probe,
  startupProbe: probe,
  lifecycle: obj('Lifecycle', { postStart: lifecycleHandler, preStop: lifecycleHandler }),
  restartPolicy: 'string',
});
const podSpec = obj('PodSpec', {
  containers: arr(container),
  initContainers: arr(container),
  ephemeralContainers: arr(container),
  hostNetwork: 'bool',
  nodeName: 'string',
  hostname: 'string',
  subdomain: 'string',
  restartPolicy: 'string',
  serviceAccountName: 'string',
  enableServiceLinks: 'bool',
  terminationGracePeriodSeconds: 'int64',
});
const podStatus = obj('PodStatus', {
  phase: 'string',
  podIP: 'string',
  podIPs: arr(obj('PodIP', { ip: 'string' })),
  hostIP: 'string',
  conditions: arr(obj('PodCondition', { type: 'string', status: 'string' })),
});
const podTemplate = obj('PodTemplateSpec', { metadata: objectMeta, spec: podSpec });

const top = (go: string, fields: Record<string, Schema>) =>
  obj(go, { apiVersion: 'string', kind: 'string', metadata: objectMeta, ...fields });

const jobSpec = obj('JobSpec', {
  parallelism: 'int32',
  completions: 'int32',
  selector: labelSelector,
  template: podTemplate,
});

const servicePort = obj('ServicePort', {
  name: 'string',
  protocol: 'string',
  appProtocol: 'string',
  port: 'int32',
  targetPort: 'intOrString',
  nodePort: 'int32',
});

const serviceSpec = obj('ServiceSpec', {
  type: 'string',
  selector: stringMap,
  ports: arr(servicePort),
  clusterIP: 'string',
  clusterIPs: strings,
  externalIPs: strings,
  externalName: 'string',
  sessionAffinity: 'string',
  sessionAffinityConfig: obj('SessionAffinityConfig', {
    clientIP: obj('ClientIPConfig', { timeoutSeconds: 'int32' }),
  }),
  externalTrafficPolicy: 'string',
  internalTrafficPolicy: 'string',
  healthCheckNodePort: 'int32',
  publishNotReadyAddresses: 'bool',
  loadBalancerIP: 'string',
  loadBalancerSourceRanges: strings,
  loadBalancerClass: 'string',
  allocateLoadBalancerNodePorts: 'bool',
  ipFamilies: strings,
  ipFamilyPolicy: 'string',
});

const serviceBackendPort = obj('ServiceBackendPort', { name: 'string', number: 'int32' });
const ingressBackend = obj('IngressBackend', {
  service: obj('IngressServiceBackend', { name: 'string', port: serviceBackendPort }),
  resource: obj('TypedLocalObjectReference', { apiGroup: 'string', kind: 'string', name: 'string' }),
});
const ingressTLS = arr(obj('IngressTLS', { hosts: strings, secretName: 'string' }));

/** networking.k8s.io/v1beta1 and extensions/v1beta1: serviceName/servicePort, spec.backend. */
const legacyBackend = obj('IngressBackend', {
  serviceName: 'string',
  servicePort: 'intOrString',
  resource: obj('TypedLocalObjectReference', { apiGroup: 'string', kind: 'string', name: 'string' }),
});

const ingressRules = (backend: ObjectSchema) =>
  arr(
    obj('IngressRule', {
      host: 'string',
      http: obj('HTTPIngressRuleValue', {
        paths: arr(obj('HTTPIngressPath', { path: 'string', pathType: 'string', backend })),
      }),
    }),
  );

const networkPolicyPort = obj('NetworkPolicyPort', {
  protocol: 'string',
  port: 'intOrString',
  endPort: 'int32',
});
const networkPolicyPeer = obj('NetworkPolicyPeer', {
  podSelector: labelSelector,
  namespaceSelector: labelSelector,
  ipBlock: obj('IPBlock', { cidr: 'string', except: strings }),
});

const endpointRef = obj('ObjectReference', {
  kind: 'string',
  name: 'string',
  namespace: 'string',
  uid: 'string',
});

export const kindSchemas: Readonly<Record<string, ObjectSchema>> = {
  Pod: top('Pod', { spec: podSpec, status: podStatus }),
  Deployment: top('Deployment', {
    spec: obj('DeploymentSpec', { replicas: 'int32', selector: labelSelector, template: podTemplate }),
  }),
  ReplicaSet: top('ReplicaSet', {
    spec: obj('ReplicaSetSpec', { replicas: 'int32', selector: labelSelector, template: podTemplate }),
  }),
  StatefulSet: top('StatefulSet', {
    spec: obj('StatefulSetSpec', {
      replicas: 'int32',
      selector: labelSelector,
      serviceName: 'string',
      template: podTemplate,
    }),
  }),
  DaemonSet: top('DaemonSet', {
    spec: obj('DaemonSetSpec', { selector: labelSelector, template: podTemplate }),
  }),
  Job: top('Job', { spec: jobSpec }),
  CronJob: top('CronJob', {
    spec: obj('CronJobSpec', {
      schedule: 'string',
      jobTemplate: obj('JobTemplateSpec', { metadata: objectMeta, spec: jobSpec }),
    }),
  }),
  ReplicationController: top('ReplicationController', {
    spec: obj('ReplicationControllerSpec', { replicas: 'int32', selector: stringMap, template: podTemplate }),
  }),
  Service: top('Service', {
    spec: serviceSpec,
    status: obj('ServiceStatus', {
      loadBalancer: obj('LoadBalancerStatus', {
        ingress: arr(obj('LoadBalancerIngress', { ip: 'string', hostname: 'string' })),
      }),
    }),
  }),
  Endpoints: top('Endpoints', {
    subsets: arr(
      obj('EndpointSubset', {
        addresses: arr(
          obj('EndpointAddress', {
            ip: 'string',
            hostname: 'string',
            nodeName: 'string',
            targetRef: endpointRef,
          }),
        ),
        notReadyAddresses: arr(
          obj('EndpointAddress', {
            ip: 'string',
            hostname: 'string',
            nodeName: 'string',
            targetRef: endpointRef,
          }),
        ),
        ports: arr(
          obj('EndpointPort', { name: 'string', port: 'int32', protocol: 'string', appProtocol: 'string' }),
        ),
      }),
    ),
  }),
  EndpointSlice: top('EndpointSlice', {
    addressType: 'string',
    endpoints: arr(
      obj('Endpoint', {
        addresses: strings,
        conditions: obj('EndpointConditions', { ready: 'bool', serving: 'bool', terminating: 'bool' }),
        hostname: 'string',
        nodeName: 'string',
        zone: 'string',
        targetRef: endpointRef,
      }),
    ),
    ports: arr(
      obj('EndpointPort', { name: 'string', port: 'int32', protocol: 'string', appProtocol: 'string' }),
    ),
  }),
  Ingress: top('Ingress', {
    spec: obj('IngressSpec', {
      ingressClassName: 'string',
      defaultBackend: ingressBackend,
      rules: ingressRules(ingressBackend),
      tls: ingressTLS,
    }),
  }),
  IngressClass: top('IngressClass', {
    spec: obj('IngressClassSpec', {
      controller: 'string',
      parameters: obj('IngressClassParameters', { scope: 'string' }),
    }),
  }),
  NetworkPolicy: top('NetworkPolicy', {
    spec: obj('NetworkPolicySpec', {
      podSelector: labelSelector,
      ingress: arr(
        obj('NetworkPolicyIngressRule', { ports: arr(networkPolicyPort), from: arr(networkPolicyPeer) }),
      ),
      egress: arr(
        obj('NetworkPolicyEgressRule', { ports: arr(networkPolicyPort), to: arr(networkPolicyPeer) }),
      ),
      policyTypes: strings,
    }),
  }),
  ConfigMap: top('ConfigMap', { data: stringMap }),
  Secret: top('Secret', { data: stringMap, stringData: stringMap, type: 'string' }),
  Namespace: top('Namespace', {}),
};

/** The legacy Ingress shape (extensions/v1beta1, networking.k8s.io/v1beta1). */
export const legacyIngressSchema = top('Ingress', {
  spec: obj('IngressSpec', {
    ingressClassName: 'string',
    backend: legacyBackend,
    rules: ingressRules(legacyBackend),
    tls: ingressTLS,
  }),
});
