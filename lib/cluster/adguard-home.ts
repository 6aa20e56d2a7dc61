import { Construct } from 'constructs';
import { HostRole, IHostRoleHolder, markHostRoleHolder } from '../core/host-role';
import { DiagramParts, DiagramShape, IDiagramPartHolder, markDiagramPartHolder } from '../core/diagram-part';
import { isIpv4, isIpv4Cidr } from '../core/addressing';
import { DnsUpstream, IDnsUpstream } from '../core/dns';
import { Homelab } from '../core/homelab';
import { isHostName } from '../core/names';
import { Protocol } from '../core/ports';
import { Size } from '../core/size';
import { displayPath, problem } from '../core/validation';
import type { Host } from '../hosts/host';
import { K3sCluster, K3sComponent } from './k3s-cluster';
import { IKubernetesWorkload, KubernetesPatch, KubernetesPatches, markKubernetesWorkload, TargetedKubernetesPatch } from './kubernetes-workload';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind, runIndex } from '../core/kind';

/** CPU and memory a container asks for (requests) and may use at most (limits). */
export interface ResourceBudget {
  /**
   * CPU the scheduler reserves, in millicores.
   * @default - the workload's default
   */
  readonly cpuRequestMillis?: number;
  /**
   * CPU the container may use at most, in millicores.
   * @default - the workload's default
   */
  readonly cpuLimitMillis?: number;
  /**
   * Memory the scheduler reserves.
   * @default - the workload's default
   */
  readonly memoryRequest?: Size;
  /**
   * Memory at which the container is killed.
   * @default - the workload's default
   */
  readonly memoryLimit?: Size;
}

/** Props of {@link AdGuardHome}. */
export interface AdGuardHomeProps {
  /**
   * The cluster node it runs on (pinned there: its volumes and its host port live on that node).
   * It must be a node of the cluster.
   */
  readonly host: Host;
  /**
   * The port on the host where it answers DNS, TCP and UDP (the pod's hostPort for container port
   * 53). A forwarder on the same host (the Pi's dnsmasq) reads it through {@link IDnsUpstream}.
   * @default 5353
   */
  readonly dnsPort?: number;
  /**
   * The resolvers it forwards to, in its initial configuration.
   * @default [DnsUpstream.CLOUDFLARE, DnsUpstream.GOOGLE] (1.1.1.1 and 8.8.8.8)
   */
  readonly upstreams?: IDnsUpstream[];
  /**
   * The container image: a multi-arch image pinned by tag (and digest, if you have it).
   * @default "adguard/adguardhome:v0.107.79"
   */
  readonly image?: string;
  /**
   * The name of its chart (`dist/k8s/<name>.k8s.yaml`) and of its Kubernetes objects.
   * @default "adguard-home"
   */
  readonly name?: string;
  /**
   * The namespace it runs in (created by its chart unless it is a built-in one).
   * @default "adguard-home"
   */
  readonly namespace?: string;
  /**
   * Size of the configuration volume (`/opt/adguardhome/conf`), rounded up to whole GiB.
   * @default Size.gibibytes(1)
   */
  readonly configStorage?: Size;
  /**
   * Size of the work volume (`/opt/adguardhome/work`: filters, query log, statistics), rounded
   * up to whole GiB.
   * @default Size.gibibytes(1)
   */
  readonly workStorage?: Size;
  /**
   * The storage class of both volumes.
   * @default "local-path" (k3s's node-local provisioner)
   */
  readonly storageClass?: string;
  /**
   * CPU and memory requests and limits.
   * @default - requests 50m CPU and 128 MiB, limits 500m CPU and 512 MiB (a Raspberry Pi's share)
   */
  readonly resources?: ResourceBudget;
  /**
   * Queries per second AdGuard Home answers one client (`dns.ratelimit`; 0: no limit). Its clients
   * are the forwarders on its host (the Pi's dnsmasq), each one client for the whole LAN: with
   * AdGuard's own default of 20 per client, a busy LAN is throttled and dnsmasq falls back to the
   * next upstream, past the filter (AdguardTeam/AdGuardHome#6726). Rate limiting is left to the
   * forwarder. Set a limit only if clients reach it directly.
   * @default 0
   */
  readonly rateLimit?: number;
  /**
   * Further clients (IP addresses or CIDRs) allowed to query it, besides the cluster's pod
   * network (`dns.allowed_clients`).
   * @default - only the pod network: a forwarder on its host reaches the hostPort from
   * 127.0.0.1, which k3s's portmap plugin masquerades to the node's cni0 address; a device of
   * the LAN that asks the hostPort directly, past the forwarder, is refused
   */
  readonly allowedClients?: string[];
}

const ADGUARD_HOME = Kind.named<AdGuardHome>('AdGuardHome');

/** The image of AdGuard Home unless the props name one: the release of August 2026, multi-arch. */
export const ADGUARD_HOME_IMAGE = 'adguard/adguardhome:v0.107.79';

/** The container port of AdGuard Home's web UI (its default `http.address`). */
export const ADGUARD_HOME_WEB_PORT = 3000;

/** The resources of AdGuard Home unless the props say otherwise. */
const DEFAULT_RESOURCES: Required<ResourceBudget> = {
  cpuRequestMillis: 50,
  cpuLimitMillis: 500,
  memoryRequest: Size.mebibytes(128),
  memoryLimit: Size.mebibytes(512),
};

/**
 * AdGuard Home, the lab's ad-blocking DNS filter, as a workload of the k3s cluster: one pod pinned
 * to its host, DNS on container port 53 published on the host's {@link dnsPort} (TCP and UDP),
 * the web UI behind a Service, persistent configuration and work volumes, and an initial
 * configuration (its upstream resolvers) from the model.
 *
 * It is an {@link IDnsUpstream}: the DNS forwarder on the same host forwards to `127.0.0.1` at
 * its {@link dnsPort}, so the port is written once.
 */
export class AdGuardHome extends Construct implements IDnsUpstream, IHostRoleHolder, IDiagramPartHolder, IKubernetesWorkload {
  /** Is `x` an AdGuardHome (of any copy of this library)? */
  public static isAdGuardHome(x: unknown): x is AdGuardHome {
    return ADGUARD_HOME.is(x);
  }

  /** The cluster it runs in. */
  public readonly cluster: K3sCluster;
  /** The host it is pinned to. */
  public readonly host: Host;
  /** The host port of its DNS service. */
  public readonly dnsPort: number;
  /** Where a forwarder on its host reaches it. */
  public readonly dnsAddress = '127.0.0.1';
  /** What it is. */
  public readonly dnsDescription = 'AdGuard Home';
  /** The resolvers it forwards to. */
  public readonly upstreams: readonly IDnsUpstream[];
  /** Its container image. */
  public readonly image: string;
  /** Its chart's and objects' name. */
  public readonly name: string;
  /** Its namespace. */
  public readonly namespace: string;
  /** Size of the configuration volume. */
  public readonly configStorage: Size;
  /** Size of the work volume. */
  public readonly workStorage: Size;
  /** Storage class of the volumes. */
  public readonly storageClass: string;
  /** Requests and limits, defaults applied. */
  public readonly resources: Required<ResourceBudget>;
  /** The container port of the web UI. */
  public readonly webPort = ADGUARD_HOME_WEB_PORT;

  /** Queries per second per client (`dns.ratelimit`; 0: no limit). */
  public readonly rateLimit: number;
  private readonly extraAllowedClients: readonly string[];
  private readonly patches = new KubernetesPatches(this);

  public constructor(scope: K3sCluster, id: string, props: AdGuardHomeProps) {
    super(scope, claimId(scope, id));
    checkProps(this, 'AdGuardHomeProps', props);
    ADGUARD_HOME.mark(this);
    markHostRoleHolder(this);
    markDiagramPartHolder(this);
    markKubernetesWorkload(this);
    this.cluster = scope;
    this.host = props.host;
    this.dnsPort = props.dnsPort ?? 5353;
    this.upstreams = [...(props.upstreams ?? [DnsUpstream.CLOUDFLARE, DnsUpstream.GOOGLE])];
    this.image = props.image ?? ADGUARD_HOME_IMAGE;
    this.name = props.name ?? 'adguard-home';
    this.namespace = props.namespace ?? 'adguard-home';
    this.configStorage = props.configStorage ?? Size.gibibytes(1);
    this.workStorage = props.workStorage ?? Size.gibibytes(1);
    this.storageClass = props.storageClass ?? 'local-path';
    this.resources = { ...DEFAULT_RESOURCES, ...definedOnly(props.resources ?? {}) };
    this.rateLimit = props.rateLimit ?? 0;
    this.extraAllowedClients = [...(props.allowedClients ?? [])];

    // The hostPort is held on the host so that another service there on the same port is an
    // error. The firewall stays closed: dnsmasq on the same host is the client, and traffic to a
    // hostPort is forwarded to the pod before the host's input firewall sees it.
    for (const protocol of [Protocol.UDP, Protocol.TCP]) {
      this.host.reservePort(this, { port: this.dnsPort, protocol, description: 'AdGuard Home DNS (pod hostPort)', openFirewall: false });
    }
    this.node.addValidation({ validate: () => this.validateAdGuardHome() });
  }

  /** Its chart's name (its {@link name}): `dist/k8s/<name>.k8s.yaml`. */
  public get chartName(): string {
    return this.name;
  }

  /** Patches added with {@link addKubernetesPatch}. */
  public get kubernetesPatches(): readonly TargetedKubernetesPatch[] {
    return this.patches.all;
  }

  /**
   * Escape hatch: a JSON patch on one of its objects, applied by the Kubernetes projection
   * (`adguard.addKubernetesPatch('Deployment', { op: 'add', path: '/spec/template/spec/priorityClassName', value: 'system-cluster-critical' })`).
   * Its objects: `Namespace`, `ConfigMap`, `PersistentVolumeClaim/<name>-conf` and `-work`,
   * `Deployment`, `Service`.
   */
  public addKubernetesPatch(target: string, patch: KubernetesPatch): void {
    this.patches.add(target, patch);
  }

  /** Who may query it (`dns.allowed_clients`): the cluster's pod network, then the props' clients. */
  public get allowedClients(): string[] {
    return [this.cluster.clusterCidr, ...this.extraAllowedClients];
  }

  private validateAdGuardHome(): string[] {
    const errors: string[] = [];
    const cluster = this.cluster;
    if (cluster.nodeFor(this.host) === undefined) {
      const nodes = cluster.nodes.map((n) => n.nodeName);
      errors.push(
        problem(
          `it is pinned to ${displayPath(this.host)}, which is not a node of the cluster ${displayPath(cluster)}`,
          nodes.length
            ? `pin it to one of the cluster's hosts (${nodes.join(', ')}), or add ${this.host.hostName} to the cluster with cluster.addAgent(host)`
            : `add ${this.host.hostName} to the cluster with cluster.addAgent(host) or cluster.addServer(host)`,
        ),
      );
    }
    if (Homelab.of(this.host) !== Homelab.of(this)) {
      errors.push(problem(`host ${displayPath(this.host)} belongs to another lab`, 'pin it to a host of this lab'));
    }
    if (!isPinnedImage(this.image)) {
      errors.push(problem(`image "${this.image}" is not pinned to a release`, `name a tag other than "latest" (and a digest if you can), e.g. "${ADGUARD_HOME_IMAGE}"`));
    }
    if (!Number.isInteger(this.rateLimit) || this.rateLimit < 0) {
      errors.push(problem(`rateLimit ${this.rateLimit} is not a number of queries per second`, 'give a whole number, or 0 for no limit'));
    }
    for (const client of this.extraAllowedClients) {
      if (!isIpv4(client) && !isIpv4Cidr(client)) {
        errors.push(problem(`allowed client "${client}" is neither an IPv4 address nor a CIDR`, 'write it like "192.168.178.10" or "192.168.178.0/24"'));
      }
    }
    if (this.upstreams.length === 0) {
      errors.push(problem('it has no upstream resolvers', 'give upstreams, e.g. [DnsUpstream.CLOUDFLARE, DnsUpstream.GOOGLE]'));
    }
    for (const [label, value] of [['name', this.name], ['namespace', this.namespace]] as const) {
      if (!isHostName(value)) {
        errors.push(problem(`${label} "${value}" is not a Kubernetes name (a DNS label)`, 'use lower-case letters, digits and "-", at most 63 characters'));
      }
    }
    const r = this.resources;
    if (r.cpuRequestMillis > r.cpuLimitMillis) {
      errors.push(problem(`its CPU request ${r.cpuRequestMillis}m is above its limit ${r.cpuLimitMillis}m`, 'make the request at most the limit'));
    }
    if (r.memoryRequest.compareTo(r.memoryLimit) > 0) {
      errors.push(problem(`its memory request ${r.memoryRequest} is above its limit ${r.memoryLimit}`, 'make the request at most the limit'));
    }
    if (this.storageClass === 'local-path' && cluster.disabledComponents.includes(K3sComponent.LOCAL_STORAGE)) {
      errors.push(
        problem(
          `its volumes use the storage class local-path, but the cluster ${displayPath(cluster)} disables local-storage`,
          'keep local-storage enabled, or set storageClass to a class your cluster has',
        ),
      );
    }
    const first = FIRST_BY_NAME.of(this).get(this.name);
    if (first !== undefined && first !== this) {
      errors.push(problem(`the name ${this.name} is also the name of ${displayPath(first)}; both would write dist/k8s/${this.name}.k8s.yaml`, 'give each AdGuardHome its own name'));
    }
    return errors;
  }

  /** The role it gives its host: the host its pod is pinned to, with its DNS port. */
  public hostRoles(): HostRole[] {
    return [{ host: this.host, summary: `AdGuard Home (:${this.dnsPort})` }];
  }

  /** What it adds to the diagram: the pod, tied to the host it is pinned to. */
  public diagramParts(): DiagramParts {
    return { nodes: [{ node: this, label: ['AdGuard Home'], shape: DiagramShape.ROUND }], edges: [{ from: this, to: this.host, label: 'pod on', dotted: true }] };
  }
}

/** Is an image reference pinned: a digest, or a tag other than `latest`? */
export function isPinnedImage(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) {
    return true;
  }
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : '';
  return tag !== '' && tag !== 'latest' && /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag);
}

function firstByName(scope: Construct): Map<string, AdGuardHome> {
  const index = new Map<string, AdGuardHome>();
  for (const a of scope.node.root.node.findAll().filter(AdGuardHome.isAdGuardHome)) {
    if (!index.has(a.name)) {
      index.set(a.name, a);
    }
  }
  return index;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The first AdGuardHome of each name, once per validation run. */
const FIRST_BY_NAME = runIndex((root) => firstByName(root));
