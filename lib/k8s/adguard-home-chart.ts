import { Chart, Duration, Size as K8sSize } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { AdGuardHome } from '../cluster/adguard-home';
import { isIpv4 } from '../core/addressing';
import { Size } from '../core/size';
import { ADGUARD_HOME_DNS_CONTAINER_PORT, renderAdGuardHomeConfig } from './adguard-home-config';
import { addNamespace, applyNamespaceFirst } from './namespace';
import { onHost } from './on-host';

/** Where the image keeps AdGuard Home's configuration and work data. */
const CONF_DIR = '/opt/adguardhome/conf';
const WORK_DIR = '/opt/adguardhome/work';
const INITIAL_DIR = '/opt/adguardhome/initial';
const CONFIG_FILE = 'AdGuardHome.yaml';

/** The image's user and group `nobody`, which own /opt/adguardhome. */
const NOBODY = 65534;


/** The labels of every object of a workload's chart. */
export function workloadLabels(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'homelab-cdk' };
}

/**
 * The Kubernetes objects of an {@link AdGuardHome}: its namespace, the initial configuration
 * (ConfigMap), two persistent volume claims, the Deployment pinned to its host and the web UI's
 * Service. The objects are public for escape hatches:
 * `ApiObject.of(chart.deployment).addJsonPatch(JsonPatch.add(...))`.
 */
export class AdGuardHomeChart extends Chart {
  /** The namespace object, unless the workload runs in a built-in namespace. */
  public readonly namespaceObject?: kplus.Namespace;
  /** The initial `AdGuardHome.yaml`. */
  public readonly configMap: kplus.ConfigMap;
  /** The configuration volume's claim. */
  public readonly configClaim: kplus.PersistentVolumeClaim;
  /** The work volume's claim. */
  public readonly workClaim: kplus.PersistentVolumeClaim;
  /** The Deployment (one replica, Recreate). */
  public readonly deployment: kplus.Deployment;
  /** The web UI's Service (ClusterIP, port 80). */
  public readonly webService: kplus.Service;

  public constructor(scope: Construct, adguard: AdGuardHome) {
    super(scope, adguard.name, { namespace: adguard.namespace, labels: workloadLabels(adguard.name) });
    const name = adguard.name;
    this.namespaceObject = addNamespace(this, adguard.namespace);

    this.configMap = new kplus.ConfigMap(this, 'initial-config', {
      metadata: { name: `${name}-initial-config` },
      data: { [CONFIG_FILE]: renderAdGuardHomeConfig(adguard) },
    });
    const claim = (id: string, size: Size) =>
      new kplus.PersistentVolumeClaim(this, id, {
        metadata: { name: `${name}-${id}` },
        storageClassName: adguard.storageClass,
        accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
        // cdk8s-plus writes claims in whole GiB.
        storage: K8sSize.gibibytes(Math.max(1, Math.ceil(size.toGibibytes()))),
      });
    this.configClaim = claim('conf', adguard.configStorage);
    this.workClaim = claim('work', adguard.workStorage);

    const confVolume = kplus.Volume.fromPersistentVolumeClaim(this, 'conf-volume', this.configClaim);
    const workVolume = kplus.Volume.fromPersistentVolumeClaim(this, 'work-volume', this.workClaim);
    const initialVolume = kplus.Volume.fromConfigMap(this, 'initial-volume', this.configMap);
    const tmpVolume = kplus.Volume.fromEmptyDir(this, 'tmp-volume', 'tmp');

    const securityContext: kplus.ContainerSecurityContextProps = {
      ensureNonRoot: true,
      user: NOBODY,
      group: NOBODY,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      // The image's binary carries the file capability cap_net_bind_service=+eip; the kernel
      // refuses to exec such a file when the capability is not in the bounding set, so it stays
      // there. With allowPrivilegeEscalation false the process does not gain it: port 53 is
      // bound thanks to the pod's ip_unprivileged_port_start sysctl.
      capabilities: { drop: [kplus.Capability.ALL], add: [kplus.Capability.NET_BIND_SERVICE] },
      seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
    };
    const resources = adguard.resources;
    const nameservers = adguard.upstreams.filter((u) => u.dnsPort === 53 && isIpv4(u.dnsAddress)).map((u) => u.dnsAddress).slice(0, 3);

    this.deployment = new kplus.Deployment(this, 'deployment', {
      metadata: { name },
      replicas: 1,
      // A hostPort can be held by one pod of the node at a time: the old pod must go first.
      strategy: kplus.DeploymentStrategy.recreate(),
      automountServiceAccountToken: false,
      securityContext: {
        ensureNonRoot: true,
        user: NOBODY,
        group: NOBODY,
        // A safe (namespaced) sysctl: lets the non-root process bind port 53 in its own network namespace.
        sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
      },
      // AdGuard Home resolves its filter lists' hosts through its own upstreams, not through
      // CoreDNS → the node's resolver → dnsmasq → AdGuard Home itself.
      dns: nameservers.length ? { policy: kplus.DnsPolicy.NONE, nameservers } : undefined,
      initContainers: [
        {
          name: 'initial-config',
          image: adguard.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          // Copies the model's configuration only onto an empty volume: AdGuard Home owns it after that.
          command: ['sh', '-c', INITIAL_CONFIG_SCRIPT, 'initial-config', `${INITIAL_DIR}/${CONFIG_FILE}`, `${CONF_DIR}/${CONFIG_FILE}`],
          securityContext,
          resources: {
            cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(100) },
            memory: { request: K8sSize.mebibytes(16), limit: K8sSize.mebibytes(64) },
          },
          volumeMounts: [
            { path: INITIAL_DIR, volume: initialVolume, readOnly: true },
            { path: CONF_DIR, volume: confVolume },
          ],
        },
      ],
      containers: [
        {
          name: 'adguard-home',
          image: adguard.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          ports: [
            { name: 'dns-udp', number: ADGUARD_HOME_DNS_CONTAINER_PORT, hostPort: adguard.dnsPort, protocol: kplus.Protocol.UDP },
            { name: 'dns-tcp', number: ADGUARD_HOME_DNS_CONTAINER_PORT, hostPort: adguard.dnsPort, protocol: kplus.Protocol.TCP },
            { name: 'http', number: adguard.webPort, protocol: kplus.Protocol.TCP },
          ],
          securityContext,
          resources: {
            cpu: { request: kplus.Cpu.millis(resources.cpuRequestMillis), limit: kplus.Cpu.millis(resources.cpuLimitMillis) },
            memory: {
              request: K8sSize.mebibytes(Math.ceil(resources.memoryRequest.toMebibytes())),
              limit: K8sSize.mebibytes(Math.ceil(resources.memoryLimit.toMebibytes())),
            },
          },
          readiness: kplus.Probe.fromTcpSocket({ port: ADGUARD_HOME_DNS_CONTAINER_PORT, initialDelaySeconds: Duration.seconds(5), periodSeconds: Duration.seconds(10) }),
          liveness: kplus.Probe.fromHttpGet('/', { port: adguard.webPort, initialDelaySeconds: Duration.seconds(30), periodSeconds: Duration.seconds(30), failureThreshold: 3 }),
          volumeMounts: [
            { path: CONF_DIR, volume: confVolume },
            { path: WORK_DIR, volume: workVolume },
            { path: '/tmp', volume: tmpVolume },
          ],
        },
      ],
    });
    onHost(this.deployment, adguard.host);

    this.webService = new kplus.Service(this, 'web', {
      metadata: { name: `${name}-web` },
      selector: this.deployment,
      ports: [{ name: 'http', port: 80, targetPort: adguard.webPort, protocol: kplus.Protocol.TCP }],
    });

    if (this.namespaceObject) {
      applyNamespaceFirst(this, this.namespaceObject);
    }
  }
}

/**
 * `sh -c` script of the init container: `$1` the model's file, `$2` the file on the configuration
 * volume; copies only when there is none yet.
 */
export const INITIAL_CONFIG_SCRIPT = '[ -e "$2" ] || cp "$1" "$2"';
