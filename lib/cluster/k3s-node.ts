import { Construct } from 'constructs';
import { HostRole, IHostRoleHolder, markHostRoleHolder } from '../core/host-role';
import { DiagramParts, IDiagramPartHolder, markDiagramPartHolder } from '../core/diagram-part';
import { isIpv4 } from '../core/addressing';
import { Homelab } from '../core/homelab';
import { credentialInText } from '../core/credentials';
import { Protocol } from '../core/ports';
import { displayPath, problem } from '../core/validation';
import type { Host } from '../hosts/host';
import type { K3sCluster } from './k3s-cluster';
import { claimId, recordError } from '../core/problems';
import { quoted } from '../core/readable';
import { checkProps } from '../core/props-check';
import { Kind, runIndex } from '../core/kind';

/** What a node does in the cluster. */
export enum K3sRole {
  /** Control plane (API server, datastore) that also runs workloads. */
  SERVER = 'server',
  /** A worker that joins a server. */
  AGENT = 'agent',
}

/** What a taint does to pods that do not tolerate it. */
export enum TaintEffect {
  /** New pods are not scheduled there; pods already running stay. */
  NO_SCHEDULE = 'NoSchedule',
  /** The scheduler avoids the node, but uses it when no other node fits. */
  PREFER_NO_SCHEDULE = 'PreferNoSchedule',
  /** New pods are not scheduled there, and running pods are evicted. */
  NO_EXECUTE = 'NoExecute',
}

/** A node taint: only pods that tolerate it run on the node. */
export interface NodeTaint {
  /** The taint's key (`dedicated`, `example.com/gpu`). */
  readonly key: string;
  /**
   * The taint's value.
   * @default - none
   */
  readonly value?: string;
  /** What the taint does to pods that do not tolerate it. */
  readonly effect: TaintEffect;
}

/** Options of a node, as {@link K3sCluster.addServer} and {@link K3sCluster.addAgent} take them. */
export interface K3sNodeOptions {
  /**
   * Initialize the cluster on this server with the embedded etcd datastore (`clusterInit`).
   * Exactly one server does; the others, and all agents, join it.
   * @default - true on the cluster's first server, false on the others
   */
  readonly clusterInit?: boolean;
  /**
   * Labels the node registers with (`--node-label`). Keys under `kubernetes.io` and `k8s.io` are
   * refused by the kubelet (except `node.kubernetes.io/` and `kubelet.kubernetes.io/`).
   * @default {}
   */
  readonly labels?: Record<string, string>;
  /**
   * Taints the node registers with (`--node-taint`). Workloads pinned with `onHost` tolerate them.
   * @default []
   */
  readonly taints?: NodeTaint[];
  /**
   * The address the node advertises (`--node-ip`).
   * @default - the host's IP address
   */
  readonly nodeIp?: string;
  /**
   * More `k3s server`/`k3s agent` flags, as they are (`--kubelet-arg=max-pods=50`). Flags the
   * model owns (token, server, node IP, labels, taints, CIDRs, disable) are refused, and so are
   * credentials (etcd S3 keys, `--vpn-auth`, a datastore endpoint with a password), which k3s
   * reads from its environment file instead.
   * @default []
   */
  readonly extraFlags?: string[];
  /**
   * The k3s version of this node (a node declared elsewhere with its own pin, say). All nodes of a
   * cluster run its one version: another one here is a validation error.
   * @default - the cluster's version
   */
  readonly version?: string;
}

/** Props of {@link K3sNode}. */
export interface K3sNodeProps extends K3sNodeOptions {
  /** The NixOS host that runs the node. */
  readonly host: Host;
  /** Server (control plane) or agent (worker). */
  readonly role: K3sRole;
}

const K3S_NODE = Kind.named<K3sNode>('K3sNode');

/** Flags that the model sets; `extraFlags` may not set them too. */
const MODEL_FLAGS: Record<string, string> = {
  '--server': "K3sCluster registrationAddress (or the first server's address)",
  '--cluster-init': 'K3sNode clusterInit',
  '--node-ip': 'K3sNode nodeIp',
  '--node-name': "the host's name",
  '--node-label': 'K3sNode labels',
  '--node-taint': 'K3sNode taints',
  '--disable': 'K3sCluster disable',
  '--cluster-cidr': 'K3sCluster clusterCidr',
  '--service-cidr': 'K3sCluster serviceCidr',
};
const TOKEN_FLAGS = ['--token', '-t', '--token-file', '--agent-token', '--agent-token-file'];

/**
 * Flags whose value is a credential, with the environment variable k3s reads it from instead
 * (k3s's own `--help` names them): on the command line it would be copied into the Nix store.
 */
const CREDENTIAL_FLAGS: Record<string, string> = {
  '--etcd-s3-access-key': 'AWS_ACCESS_KEY_ID',
  '--etcd-s3-secret-key': 'AWS_SECRET_ACCESS_KEY',
  '--etcd-s3-session-token': 'AWS_SESSION_TOKEN',
  '--vpn-auth': 'K3S_VPN_AUTH',
};

/** Flags whose value is a URL that may carry a password, with k3s's environment variable for it. */
const ENDPOINT_FLAGS: Record<string, string> = {
  '--datastore-endpoint': 'K3S_DATASTORE_ENDPOINT',
};

/** A label key: an optional DNS-subdomain prefix and `/`, then a name of up to 63 characters. */
const LABEL_KEY = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/**
 * A k3s node on a NixOS host: a server or an agent of a {@link K3sCluster}. It becomes the
 * host's `services.k3s` settings (role, token file, the primary server's address, node IP, labels
 * and taints) and reserves the ports its role listens on: 6443/tcp on servers (API), 10250/tcp
 * (kubelet) and 8472/udp (flannel VXLAN) on every node, 2379–2380/tcp (etcd) on servers of a
 * cluster with several servers.
 */
export class K3sNode extends Construct implements IHostRoleHolder, IDiagramPartHolder {
  /** Is `x` a K3sNode (of any copy of this library)? */
  public static isK3sNode(x: unknown): x is K3sNode {
    return K3S_NODE.is(x);
  }

  /** The cluster it belongs to. */
  public readonly cluster: K3sCluster;
  /** The host it runs on. */
  public readonly host: Host;
  /** Its role. */
  public readonly role: K3sRole;
  /** Does this server initialize the cluster (embedded etcd)? */
  public readonly clusterInit: boolean;
  /** Registration labels. */
  public readonly labels: Readonly<Record<string, string>>;
  /** Registration taints. */
  public readonly taints: readonly NodeTaint[];
  /** Extra k3s flags. */
  public readonly extraFlags: readonly string[];
  /** The k3s version the node runs. */
  public readonly version: string;

  private readonly explicitNodeIp?: string;

  public constructor(scope: K3sCluster, id: string, props: K3sNodeProps) {
    super(scope, claimId(scope, id));
    checkProps(this, 'K3sNodeProps', props);
    K3S_NODE.mark(this);
    markHostRoleHolder(this);
    markDiagramPartHolder(this);
    if (props.role === K3sRole.AGENT && props.clusterInit) {
      recordError(this, problem('an agent cannot initialize the cluster (clusterInit)', 'make it a server, or drop clusterInit'));
    }
    // Only a server looks at the servers before it (agents are many; listing the cluster for
    // each would make building a large cluster quadratic).
    const earlierServers = props.role === K3sRole.SERVER ? scope.servers.filter((s) => s !== this) : [];
    this.cluster = scope;
    this.host = props.host;
    this.role = props.role;
    this.clusterInit = props.role === K3sRole.SERVER && (props.clusterInit ?? earlierServers.length === 0);
    this.labels = { ...(props.labels ?? {}) };
    this.taints = [...(props.taints ?? [])];
    this.explicitNodeIp = props.nodeIp;
    this.extraFlags = [...(props.extraFlags ?? [])];
    this.version = props.version ?? scope.version;

    this.reservePorts(earlierServers);
    this.node.addValidation({ validate: () => this.validateNode() });
  }

  /** The address the node advertises: the host's address unless the props name another. */
  public get nodeIp(): string {
    return this.explicitNodeIp ?? this.host.ipAddress;
  }

  /** The Kubernetes node name: the host name (k3s's default). */
  public get nodeName(): string {
    return this.host.hostName;
  }

  /** Registration labels as `--node-label` takes them (`key=value`), sorted by key. */
  public get labelFlags(): string[] {
    return Object.keys(this.labels)
      .sort()
      .map((k) => `${k}=${this.labels[k]}`);
  }

  /** Registration taints as `--node-taint` takes them (`key=value:Effect`). */
  public get taintFlags(): string[] {
    return this.taints.map((t) => `${t.key}${t.value !== undefined ? `=${t.value}` : ''}:${t.effect}`);
  }

  /**
   * The address this node joins (`https://<registration address>:6443`, see
   * {@link K3sClusterProps.registrationAddress}), or undefined on the primary server itself and
   * in a cluster without a server.
   */
  public get serverAddress(): string | undefined {
    const primary = this.cluster.primaryServer;
    return primary === undefined || primary === this ? undefined : this.cluster.apiServerUrl;
  }

  private reservePorts(earlierServers: readonly K3sNode[]): void {
    const host = this.host;
    if (this.role === K3sRole.SERVER) {
      host.reservePort(this, { port: 6443, protocol: Protocol.TCP, description: 'k3s API server' });
      // etcd peers talk to each other only when there are several servers.
      if (earlierServers.length === 1) {
        reserveEtcdPorts(earlierServers[0]);
      }
      if (earlierServers.length >= 1) {
        reserveEtcdPorts(this);
      }
    }
    host.reservePort(this, { port: 10250, protocol: Protocol.TCP, description: 'kubelet (metrics, logs, exec)' });
    host.reservePort(this, { port: 8472, protocol: Protocol.UDP, description: 'flannel VXLAN' });
  }

  private validateNode(): string[] {
    const errors: string[] = [];
    const cluster = this.cluster;
    if (Homelab.of(this.host) !== Homelab.of(this)) {
      errors.push(problem(`host ${displayPath(this.host)} belongs to another lab`, 'run the node on a host of this lab'));
    }
    const first = this.nodesByHost().get(this.host)?.[0];
    if (first !== undefined && first !== this) {
      errors.push(problem(`host ${this.host.hostName} already runs the k3s node ${displayPath(first)}`, 'declare one K3sNode per host'));
    }
    if (this.clusterInit) {
      const firstInit = cluster.servers.find((s) => s.clusterInit);
      if (firstInit !== this) {
        errors.push(
          problem(
            `${displayPath(firstInit!)} already initializes the cluster (clusterInit); two servers that both initialize make two separate clusters`,
            'leave clusterInit on one server only; the others join it',
          ),
        );
      }
    }
    if (this.role === K3sRole.AGENT && cluster.servers.length === 0) {
      errors.push(problem(`agent ${this.nodeName} has no server to join: the cluster ${displayPath(cluster)} has no server node`, 'add a server, e.g. cluster.addServer(host)'));
    }
    if (this.version !== cluster.version) {
      errors.push(
        problem(
          `node ${this.nodeName} runs k3s ${this.version} but the cluster ${displayPath(cluster)} pins ${cluster.version}; the nodes would run different Kubernetes versions`,
          `remove version from the node (it follows the cluster), or change the cluster's version for all nodes`,
        ),
      );
    }
    if (!isIpv4(this.nodeIp)) {
      errors.push(problem(`node IP "${this.nodeIp}" is not an IPv4 address`, "leave nodeIp out to use the host's address"));
    }
    errors.push(...this.validateLabels(), ...this.validateTaints(), ...this.validateFlags());
    return errors;
  }

  private validateLabels(): string[] {
    const errors: string[] = [];
    for (const [key, value] of Object.entries(this.labels)) {
      if (!LABEL_KEY.test(key) || key.length > 317) {
        errors.push(problem(`node label key "${key}" is not a Kubernetes label key`, 'use an optional DNS prefix and a name of letters, digits, "-", "_" and ".", e.g. "homelab/site"'));
        continue;
      }
      const prefix = key.includes('/') ? key.slice(0, key.indexOf('/')) : '';
      const restricted = /(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix) && !/^(node|kubelet)\.kubernetes\.io$/.test(prefix);
      if (restricted) {
        errors.push(
          problem(
            `node label ${key} is in the kubernetes.io namespace, which the kubelet may not set on its own node`,
            'use a prefix of your own (e.g. "homelab/role"), or set the label with kubectl after the node joined',
          ),
        );
      }
      if (!LABEL_VALUE.test(value)) {
        errors.push(problem(`node label ${key} has the value "${value}", which is not a Kubernetes label value`, 'use at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit'));
      }
    }
    return errors;
  }

  private validateTaints(): string[] {
    const errors: string[] = [];
    for (const taint of this.taints) {
      if (!LABEL_KEY.test(taint.key)) {
        errors.push(problem(`taint key "${taint.key}" is not a Kubernetes taint key`, 'use a label-style key such as "dedicated" or "example.com/gpu"'));
      }
      if (taint.value !== undefined && !LABEL_VALUE.test(taint.value)) {
        errors.push(problem(`taint ${taint.key} has the value "${taint.value}", which is not a Kubernetes taint value`, 'use at most 63 letters, digits, "-", "_" and "."'));
      }
      if (!Object.values(TaintEffect).includes(taint.effect)) {
        errors.push(problem(`taint ${taint.key} has the effect "${taint.effect}"`, 'use TaintEffect.NO_SCHEDULE, PREFER_NO_SCHEDULE or NO_EXECUTE'));
      }
    }
    return errors;
  }

  private validateFlags(): string[] {
    const errors: string[] = [];
    this.extraFlags.forEach((flag, i) => {
      // The name only: a flag's value (`--agent-token s3cr3t`) may be the secret itself.
      const name = flag.split(/[=\s]/)[0];
      const previous = i > 0 ? this.extraFlags[i - 1] : undefined;
      // A value given as its own element ("--datastore-endpoint", "<url>") belongs to the flag
      // before it: never echo it when that flag takes a credential.
      const valueOf = previous !== undefined && previous.startsWith('-') && !previous.includes('=') && !flag.startsWith('-') ? previous : undefined;
      const credential = credentialInText(flag);
      if (valueOf !== undefined && (TOKEN_FLAGS.includes(valueOf) || CREDENTIAL_FLAGS[valueOf] !== undefined)) {
        return; // reported on the flag itself
      }
      if (TOKEN_FLAGS.includes(name)) {
        errors.push(
          problem(
            `extra flag ${name} would put the token (or its place) beside the model's and risks copying it into the world-readable Nix store`,
            "remove it: the token comes from the cluster's token (a Secret)",
          ),
        );
      } else if (CREDENTIAL_FLAGS[name] !== undefined) {
        errors.push(problem(`extra flag ${name} carries a credential, which would be copied into the world-readable Nix store`, credentialFlagFix(CREDENTIAL_FLAGS[name], name === '--vpn-auth' ? 'or use --vpn-auth-file with a file on the node' : undefined)));
      } else if (credential !== undefined) {
        const flagName = valueOf ?? name;
        const variable = ENDPOINT_FLAGS[flagName];
        const label = /^--?[a-z0-9][a-z0-9-]*$/.test(flagName) ? `extra flag ${flagName}` : `extra flag ${i + 1}`;
        errors.push(
          problem(
            `${label} carries ${credential}, which would be copied into the world-readable Nix store`,
            variable !== undefined
              ? credentialFlagFix(variable, 'or log in to the datastore with a client certificate (--datastore-cafile, --datastore-certfile, --datastore-keyfile)')
              : 'remove the credential from the flag and give k3s the file or environment variable it reads it from',
          ),
        );
      } else if (MODEL_FLAGS[name] !== undefined) {
        errors.push(problem(`extra flag ${name} is already set from ${MODEL_FLAGS[name]}`, `remove it from extraFlags and use ${MODEL_FLAGS[name]}`));
      } else if (!/^--[a-z0-9][a-z0-9-]*(=.*)?$/.test(flag)) {
        errors.push(problem(`extra flag ${quoted(flag)} is not a long k3s flag`, 'write flags as --name or --name=value'));
      }
    });
    return errors;
  }

  private nodesByHost(): Map<Host, K3sNode[]> {
    return NODES_BY_HOST.of(this);
  }

  /** The role it gives its host: a k3s server or agent. */
  public hostRoles(): HostRole[] {
    return [{ host: this.host, summary: `k3s ${this.role}`, diagram: `k3s ${this.role}` }];
  }

  /** What it adds to the diagram: the join, from the node to the server it joins. */
  public diagramParts(): DiagramParts {
    // Every node that joins draws its edge to the server it joins first: agents and the servers
    // that join an HA cluster alike.
    const primary = this.cluster.primaryServer;
    if (!primary || primary === this) {
      return {};
    }
    return { edges: [{ from: this.host, to: primary.host, label: this.role === K3sRole.SERVER ? 'k3s server join' : 'k3s', arrow: true }] };
  }
}

/** The fix for a credential on k3s's command line: the environment file k3s reads it from. */
function credentialFlagFix(variable: string, alternative?: string): string {
  return (
    `remove the flag and set ${variable}=… in a root-only environment file on the node (a sops-nix secret or a file you place), ` +
    `then point k3s at it with host.addNixSettings({ services: { k3s: { environmentFile: '/run/secrets/k3s-env' } } })${alternative ? `, ${alternative}` : ''}`
  );
}

function reserveEtcdPorts(server: K3sNode): void {
  for (const port of [2379, 2380]) {
    server.host.reservePort(server, { port, protocol: Protocol.TCP, description: port === 2379 ? 'etcd client (k3s servers)' : 'etcd peers (k3s servers)' });
  }
}

/** The k3s nodes of the lab by host, once per validation run. */
const NODES_BY_HOST = runIndex((root) => {
  const index = new Map<Host, K3sNode[]>();
  for (const node of root.node.findAll().filter(K3sNode.isK3sNode)) {
    index.set(node.host, [...(index.get(node.host) ?? []), node]);
  }
  return index;
});
