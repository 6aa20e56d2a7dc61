import { Construct, IConstruct } from 'constructs';
import { cidrContains, isIpv4, isIpv4Cidr, parseIpv4Cidr } from '../core/addressing';
import { Homelab } from '../core/homelab';
import { cidrSpellingProblems, Network } from '../core/network';
import { Secret, SecretSource } from '../core/secret';
import { Annotations, displayPath, problem } from '../core/validation';
import type { Host } from '../hosts/host';
import { K3sNode, K3sNodeOptions, K3sRole } from './k3s-node';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind, runIndex, runIndexPer } from '../core/kind';

/** A component that k3s deploys by itself and that `--disable` can switch off. */
export enum K3sComponent {
  /** The Traefik ingress controller. */
  TRAEFIK = 'traefik',
  /** ServiceLB (klipper-lb), which serves LoadBalancer services from host ports. */
  SERVICELB = 'servicelb',
  /** metrics-server. */
  METRICS_SERVER = 'metrics-server',
  /** The local-path storage provisioner (storage class `local-path`). */
  LOCAL_STORAGE = 'local-storage',
  /** CoreDNS, the cluster's DNS. */
  COREDNS = 'coredns',
}

/** Props of {@link K3sCluster}. */
export interface K3sClusterProps {
  /**
   * The cluster token that every node presents: a reference to where it lives on the nodes, never
   * the value. `Secret.fromSops(...)` provisions it with sops-nix; `Secret.fromFile(...)` names a
   * file you place on every node yourself. Generate one with `openssl rand -base64 32`.
   */
  readonly token: Secret;
  /**
   * The k3s minor version that every node runs: the nixpkgs package `k3s_<major>_<minor>`.
   * @default "1.35"
   */
  readonly version?: string;
  /**
   * The pods' network (`--cluster-cidr`). Must not overlap the lab's LAN or the service network.
   * @default "10.42.0.0/16" (k3s's default)
   */
  readonly clusterCidr?: string;
  /**
   * The services' network (`--service-cidr`); CoreDNS gets its 10th address. Must not overlap the
   * LAN or the pod network.
   * @default "10.43.0.0/16" (k3s's default)
   */
  readonly serviceCidr?: string;
  /**
   * Packaged components that the servers do not deploy (`--disable`).
   * @default [] (k3s deploys all of them)
   */
  readonly disable?: K3sComponent[];
  /**
   * The fixed registration address that agents and joining servers use (k3s's HA "fixed
   * registration address", docs.k3s.io/datastore/cluster-loadbalancer): either a name, which the
   * lab's DNS (its Dnsmasq) answers with the address of every server (`"k3s-api"` →
   * `k3s-api.<domain>`), or an IPv4 virtual address that you keep on the servers yourself
   * (kube-vip, keepalived). It is added to the servers' certificate (`--tls-san`). Without one,
   * every node joins the first server's address, and while that server is down nothing can join
   * or rejoin.
   * @default - with two or more servers and a lab DNS, the name "<cluster id>-api"; otherwise the
   * first server's address
   */
  readonly registrationAddress?: string;
}

const K3S_CLUSTER = Kind.named<K3sCluster>('K3sCluster');

/** The k3s version of a cluster unless its props name one. */
export const DEFAULT_K3S_VERSION = '1.35';

/** The port of the Kubernetes API on k3s servers. */
export const K3S_API_PORT = 6443;

/** Where k3s writes the admin kubeconfig on a server (readable by root only). */
export const K3S_KUBECONFIG_PATH = '/etc/rancher/k3s/k3s.yaml';

/**
 * A k3s cluster: its token, the one k3s version all its nodes run, its pod and service networks
 * and the packaged components it leaves out. Nodes join it with {@link addServer} and
 * {@link addAgent} (or `new K3sNode(cluster, …)`); workloads such as `AdGuardHome` run in it.
 *
 * ```ts
 * const cluster = new K3sCluster(lab, 'k3s', { token: Secret.fromSops({ name: 'k3s-token' }) });
 * cluster.addServer(node1);
 * cluster.addAgent(pi, { labels: { 'homelab/site': 'network' } });
 * ```
 *
 * The admin kubeconfig is on the first server at `/etc/rancher/k3s/k3s.yaml` (root only): use
 * `sudo k3s kubectl …` there, or copy it and replace `https://127.0.0.1:6443` with
 * {@link apiServerUrl}.
 */
export class K3sCluster extends Construct {
  /** Is `x` a K3sCluster (of any copy of this library)? */
  public static isK3sCluster(x: unknown): x is K3sCluster {
    return K3S_CLUSTER.is(x);
  }

  /** The k3s clusters of a lab, in declaration order. */
  public static all(scope: IConstruct): K3sCluster[] {
    return [...K3S_CLUSTER.all(scope)];
  }

  /** The cluster node that runs on `host`, in any cluster of its lab, or undefined. */
  public static nodeOn(host: Host): K3sNode | undefined {
    // One index a run: `onHost` asks once per workload, and a walk of the tree each time made
    // the Kubernetes projection quadratic in its workloads.
    return NODE_ON_HOST.of(host).get(host);
  }

  /** The token reference (validated: a literal string is an error). */
  public readonly token: Secret;
  /** The k3s minor version, e.g. `1.35`. */
  public readonly version: string;
  /** The pod network. */
  public readonly clusterCidr: string;
  /** The service network. */
  public readonly serviceCidr: string;
  /** Components the servers do not deploy, sorted. */
  public readonly disabledComponents: readonly K3sComponent[];
  /** The admin kubeconfig's path on the servers. */
  public readonly kubeconfigPath = K3S_KUBECONFIG_PATH;
  private readonly explicitRegistrationAddress?: string;

  public constructor(scope: Homelab, id: string, props: K3sClusterProps) {
    super(scope, claimId(scope, id));
    checkProps(this, 'K3sClusterProps', props);
    K3S_CLUSTER.mark(this);
    this.token = props.token;
    this.version = props.version ?? DEFAULT_K3S_VERSION;
    this.clusterCidr = props.clusterCidr ?? '10.42.0.0/16';
    this.serviceCidr = props.serviceCidr ?? '10.43.0.0/16';
    this.disabledComponents = [...new Set(props.disable ?? [])].sort();
    this.explicitRegistrationAddress = props.registrationAddress;
    // A registration name is answered by the lab's DNS with every server.
    Network.of(this).addDnsNames(this, () => {
      const name = this.registrationName;
      return name ? [{ name, addresses: this.servers.map((s) => s.nodeIp) }] : [];
    });
    this.node.addValidation({ validate: () => this.validateCluster() });
  }

  /** Adds a server node on `host` (construct id: the host name). */
  public addServer(host: Host, options: K3sNodeOptions = {}): K3sNode {
    return new K3sNode(this, host.hostName, { ...options, host, role: K3sRole.SERVER });
  }

  /** Adds an agent (worker) node on `host` (construct id: the host name). */
  public addAgent(host: Host, options: Omit<K3sNodeOptions, 'clusterInit'> = {}): K3sNode {
    return new K3sNode(this, host.hostName, { ...options, host, role: K3sRole.AGENT });
  }

  /** The nodes, in declaration order. */
  public get nodes(): K3sNode[] {
    // Every node asks for the servers: the list is made once per validation run and synthesis.
    return [...CLUSTER_NODES(this)];
  }

  /** The server nodes, in declaration order. */
  public get servers(): K3sNode[] {
    // Every node asks for the servers: copying and filtering all nodes for each was quadratic
    // (0.4 s at 1200 nodes, issue 17); the list is made once per validation run, as the nodes are.
    return [...CLUSTER_SERVERS(this)];
  }

  /** The agent nodes, in declaration order. */
  public get agents(): K3sNode[] {
    return this.nodes.filter((n) => n.role === K3sRole.AGENT);
  }

  /** The server the other nodes join: the cluster-init server, else the first server. */
  public get primaryServer(): K3sNode | undefined {
    const servers = this.servers;
    return servers.find((s) => s.clusterInit) ?? servers[0];
  }

  /**
   * The registration address as given, or by default `<cluster id>-api` for a cluster of two or
   * more servers in a lab whose DNS answers the lab's names; undefined when the nodes join the
   * first server's address.
   */
  public get registrationAddress(): string | undefined {
    if (this.explicitRegistrationAddress !== undefined) {
      return this.explicitRegistrationAddress;
    }
    return this.servers.length >= 2 && Network.of(this).servesLabNames ? `${this.node.id}-api` : undefined;
  }

  /** The registration address when it is a name the lab's DNS answers (not a virtual IP). */
  public get registrationName(): string | undefined {
    const address = this.registrationAddress;
    return address !== undefined && !isIpv4(address) ? address : undefined;
  }

  /**
   * Where nodes register: the registration name with the lab's domain, the virtual IP, or the
   * first server's address; undefined in a cluster without a server.
   */
  public get registrationHost(): string | undefined {
    const name = this.registrationName;
    if (name !== undefined) {
      return `${name}.${Homelab.of(this).domain}`;
    }
    return this.registrationAddress ?? this.primaryServer?.nodeIp;
  }

  /** The Kubernetes API of the cluster (`https://<registration host>:6443`), once it has a server. */
  public get apiServerUrl(): string | undefined {
    const host = this.primaryServer ? this.registrationHost : undefined;
    return host ? `https://${host}:${K3S_API_PORT}` : undefined;
  }

  /** The node on `host`, or undefined. */
  public nodeFor(host: Host): K3sNode | undefined {
    return this.nodes.find((n) => n.host === host);
  }

  /** The nixpkgs attribute of the pinned k3s package (`k3s_1_35`). */
  public get packageAttribute(): string {
    return k3sPackageAttribute(this.version);
  }

  private validateCluster(): string[] {
    const errors: string[] = [];
    const nonSecret = Secret.describeNonSecret(this.token);
    if (nonSecret !== undefined) {
      // Never echo the value: it is the secret.
      errors.push(
        problem(
          `the cluster token is ${nonSecret}; its value would be copied into every node's configuration and so into the world-readable Nix store`,
          "give a reference instead: token: Secret.fromSops({ name: 'k3s-token' }) (sops-nix) or Secret.fromFile('/var/lib/secrets/k3s-token') (a file you place on every node)",
        ),
      );
    } else if (this.token.hostPath === undefined) {
      errors.push(
        problem(
          `the cluster token is ${this.token.source === SecretSource.ENVIRONMENT ? 'an environment variable' : 'a Terraform variable'} (${this.token}), which the nodes cannot read`,
          'use Secret.fromSops(...) or Secret.fromFile(...): k3s reads the token from a file on each node',
        ),
      );
    }
    if (!isK3sVersion(this.version)) {
      errors.push(problem(`k3s version "${this.version}" is not a minor version`, 'give it as "<major>.<minor>", such as "1.35" (nixpkgs has k3s_1_35)'));
    }
    errors.push(...this.validateNetworks());
    const clusters = CLUSTERS.of(this);
    if (clusters[0] !== this) {
      errors.push(
        problem(
          `the lab already has the k3s cluster ${displayPath(clusters[0])}; its manifests go to one dist/k8s folder`,
          'declare one K3sCluster per lab and add every node to it',
        ),
      );
    }
    errors.push(...this.validateRegistration());
    if (this.nodes.length === 0) {
      Annotations.of(this).addWarning(
        problem('the cluster has no nodes', 'add nodes with cluster.addServer(host) and cluster.addAgent(host)'),
        'homelab-cdk:cluster-without-nodes',
      );
    }
    return errors;
  }

  private validateRegistration(): string[] {
    const errors: string[] = [];
    const address = this.explicitRegistrationAddress;
    const network = Network.of(this);
    if (address !== undefined) {
      if (isIpv4(address)) {
        if (!network.contains(address)) {
          errors.push(problem(`the registration address ${address} is outside the lab's network ${network.cidr}`, 'give a free address of the LAN, kept on the servers by kube-vip or keepalived'));
        }
        const holder = network.endpoints.find((e) => e.ipAddress === address);
        if (holder) {
          errors.push(problem(`the registration address ${address} is already the address of ${displayPath(holder)}`, 'give a free address of the LAN as the virtual IP, or a name that the lab\'s DNS answers with every server'));
        }
      } else if (!network.servesLabNames) {
        errors.push(problem(`the registration address "${address}" is a name, but no construct of the lab answers its DNS`, 'add a Dnsmasq to the lab, or give a virtual IP'));
      }
    } else if (this.servers.length >= 2 && !network.servesLabNames) {
      Annotations.of(this).addWarning(
        problem(
          `the cluster has ${this.servers.length} servers, but every node joins the first one's address (${this.primaryServer?.nodeIp}): while it is down, nothing can join or rejoin`,
          'give registrationAddress a virtual IP kept on the servers (kube-vip, keepalived), or add a Dnsmasq to the lab so that the name "<cluster>-api" answers with every server',
        ),
        'homelab-cdk:k3s-single-registration-address',
      );
    }
    return errors;
  }

  private validateNetworks(): string[] {
    const errors: string[] = [];
    const parsed: Array<[string, string]> = [];
    for (const [label, cidr] of [['cluster (pod) network', this.clusterCidr], ['service network', this.serviceCidr]] as const) {
      if (isIpv4Cidr(cidr)) {
        errors.push(...cidrSpellingProblems(label, cidr));
        parsed.push([label, cidr]);
      } else {
        errors.push(problem(`${label} "${cidr}" is not an IPv4 network in CIDR form`, 'write it like "10.42.0.0/16"'));
      }
    }
    const lan = Homelab.of(this).network.cidr;
    for (const [label, cidr] of parsed) {
      if (cidrsOverlap(cidr, lan)) {
        errors.push(problem(`the ${label} ${cidr} overlaps the lab's LAN ${lan}`, 'choose a private range the LAN does not use, such as the k3s defaults 10.42.0.0/16 and 10.43.0.0/16'));
      }
    }
    if (parsed.length === 2 && cidrsOverlap(parsed[0][1], parsed[1][1])) {
      errors.push(problem(`the cluster network ${this.clusterCidr} and the service network ${this.serviceCidr} overlap`, 'give them separate ranges'));
    }
    return errors;
  }
}

/** Is this a k3s minor version such as `1.35`? */
export function isK3sVersion(version: string): boolean {
  return /^1\.\d{1,2}$/.test(version);
}

/** The nixpkgs attribute of a k3s minor version: `1.35` → `k3s_1_35`. */
export function k3sPackageAttribute(version: string): string {
  return `k3s_${version.replace('.', '_')}`;
}

/** Do two IPv4 networks share any address? */
export function cidrsOverlap(a: string, b: string): boolean {
  const pa = parseIpv4Cidr(a);
  const pb = parseIpv4Cidr(b);
  return cidrContains(a, pb.network) || cidrContains(b, pa.network);
}

/** The nodes of each cluster, once per validation run. */
const CLUSTER_NODES = runIndexPer((cluster: K3sCluster) => cluster.node.findAll().filter(K3sNode.isK3sNode));
const CLUSTER_SERVERS = runIndexPer((cluster: K3sCluster) => CLUSTER_NODES(cluster).filter((n) => n.role === K3sRole.SERVER));

/** Every cluster of the lab, once per validation run. */
const CLUSTERS = runIndex((root) => K3sCluster.all(root));

/** The first cluster node on each host of the lab, once per validation run. */
const NODE_ON_HOST = runIndex((root) => {
  const index = new Map<Host, K3sNode>();
  for (const cluster of K3sCluster.all(root)) {
    for (const node of cluster.nodes) {
      if (!index.has(node.host)) {
        index.set(node.host, node);
      }
    }
  }
  return index;
});
