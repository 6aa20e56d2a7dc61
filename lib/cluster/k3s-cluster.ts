import { Construct, IConstruct } from 'constructs';
import { cidrContains, isIpv4Cidr, parseIpv4Cidr } from '../core/addressing';
import { Homelab } from '../core/homelab';
import { cidrSpellingProblems } from '../core/network';
import { Secret, SecretSource } from '../core/secret';
import { Annotations, displayPath, perValidationRun, problem } from '../core/validation';
import type { Host } from '../hosts/host';
import { K3sNode, K3sNodeOptions, K3sRole } from './k3s-node';
import { claimId } from '../core/problems';

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
}

const K3S_CLUSTER = Symbol.for('homelab-cdk.K3sCluster');

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
    return typeof x === 'object' && x !== null && K3S_CLUSTER in x;
  }

  /** The k3s clusters of a lab, in declaration order. */
  public static all(scope: IConstruct): K3sCluster[] {
    return scope.node.root.node.findAll().filter(K3sCluster.isK3sCluster);
  }

  /** The cluster node that runs on `host`, in any cluster of its lab, or undefined. */
  public static nodeOn(host: Host): K3sNode | undefined {
    for (const cluster of K3sCluster.all(host)) {
      const node = cluster.nodeFor(host);
      if (node) {
        return node;
      }
    }
    return undefined;
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

  public constructor(scope: Homelab, id: string, props: K3sClusterProps) {
    super(scope, claimId(scope, id));
    Object.defineProperty(this, K3S_CLUSTER, { value: true });
    this.token = props.token;
    this.version = props.version ?? DEFAULT_K3S_VERSION;
    this.clusterCidr = props.clusterCidr ?? '10.42.0.0/16';
    this.serviceCidr = props.serviceCidr ?? '10.43.0.0/16';
    this.disabledComponents = [...new Set(props.disable ?? [])].sort();
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
    return [...perValidationRun(this, `k3s-cluster-nodes:${this.node.path}`, () => this.node.findAll().filter(K3sNode.isK3sNode))];
  }

  /** The server nodes, in declaration order. */
  public get servers(): K3sNode[] {
    return this.nodes.filter((n) => n.role === K3sRole.SERVER);
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

  /** The Kubernetes API of the cluster (`https://<primary server>:6443`), once it has a server. */
  public get apiServerUrl(): string | undefined {
    const primary = this.primaryServer;
    return primary ? `https://${primary.nodeIp}:${K3S_API_PORT}` : undefined;
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
    const clusters = perValidationRun(this, 'k3s-clusters', () => K3sCluster.all(this));
    if (clusters[0] !== this) {
      errors.push(
        problem(
          `the lab already has the k3s cluster ${displayPath(clusters[0])}; its manifests go to one dist/k8s folder`,
          'declare one K3sCluster per lab and add every node to it',
        ),
      );
    }
    if (this.nodes.length === 0) {
      Annotations.of(this).addWarning(
        problem('the cluster has no nodes', 'add nodes with cluster.addServer(host) and cluster.addAgent(host)'),
        'homelab-cdk:cluster-without-nodes',
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
