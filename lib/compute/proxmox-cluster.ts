import { Construct, IConstruct } from 'constructs';
import { Homelab } from '../core/homelab';
import { Protocol } from '../core/ports';
import { Annotations, displayPath, problem } from '../core/validation';
import { HaGroup, HaGroupProps } from './ha-group';
import type { ProxmoxHost } from './proxmox-host';
import type { ProxmoxStorage } from './proxmox-storage';
import type { ProxmoxVm } from './proxmox-vm';
import { byText } from '../core/order';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind } from '../core/kind';

/** The state the HA manager keeps a resource in (`proxmox_haresource.state`). */
export enum HaState {
  /** Running; restarted or relocated when it fails. */
  STARTED = 'started',
  /** Kept stopped, but still managed (relocated with its node's failure). */
  STOPPED = 'stopped',
  /** Kept stopped and not relocated. */
  DISABLED = 'disabled',
  /** Left alone by the HA manager (for maintenance). */
  IGNORED = 'ignored',
}

/** Props of {@link ProxmoxCluster}. */
export interface ProxmoxClusterProps {
  /**
   * The cluster name (`pvecm create <name>`): at most 15 letters, digits and "-".
   * @default - the construct id
   */
  readonly clusterName?: string;
  /** The member nodes: Proxmox hosts of the lab, each in one cluster at most. */
  readonly members: ProxmoxHost[];
  /**
   * The member whose API Terraform talks to: the cluster's one endpoint, through which every
   * member's VMs are planned (any member's API manages the whole cluster).
   * @default - the first member
   */
  readonly apiHost?: ProxmoxHost;
  /**
   * Storages every member reaches under the same id (an NFS or CephFS mount, a Ceph pool),
   * each declared once on one member: Proxmox's `shared` flag. A VM on any member may keep its
   * disks there, and a clone may come from a template whose disks are there.
   * @default [] (every storage is local to its node)
   */
  readonly sharedStorages?: ProxmoxStorage[];
}

/** Props of {@link ProxmoxCluster.addHaResource}. */
export interface HaResourceProps {
  /**
   * The HA group whose nodes the VM prefers.
   * @default - none: any node of the cluster
   */
  readonly group?: HaGroup;
  /**
   * The state the HA manager keeps the VM in.
   * @default HaState.STARTED
   */
  readonly state?: HaState;
  /**
   * How often the HA manager restarts the VM on its node before relocating it (0–10).
   * @default - Proxmox's default (1)
   */
  readonly maxRestart?: number;
  /**
   * How often it relocates the VM to another node before giving up (0–10).
   * @default - Proxmox's default (1)
   */
  readonly maxRelocate?: number;
}

/** A VM that the cluster's HA manager keeps running, with its settings. */
export interface HaResource {
  /** The VM. */
  readonly vm: ProxmoxVm;
  /** Its group, if any. */
  readonly group?: HaGroup;
  /** The state kept. */
  readonly state: HaState;
  /** Restarts before relocating, when set. */
  readonly maxRestart?: number;
  /** Relocations before giving up, when set. */
  readonly maxRelocate?: number;
}

const PROXMOX_CLUSTER = Kind.named<ProxmoxCluster>('ProxmoxCluster');

/** The UDP ports of corosync's kronosnet links between cluster nodes (Proxmox VE's firewall docs: 5405–5412). */
const COROSYNC_PORTS = [5405, 5406, 5407, 5408, 5409, 5410, 5411, 5412];

/**
 * A Proxmox VE cluster: several Proxmox hosts with one configuration (pmxcfs), one API and
 * shared storages. Its VMs are placed by node (`hypervisor`: a member) and planned through the
 * cluster's one API endpoint; HA groups and resources keep chosen VMs running on the nodes
 * that remain.
 *
 * ```ts
 * const cluster = new ProxmoxCluster(lab, 'pvec', { members: [pve1, pve2, pve3], sharedStorages: [nfs] });
 * cluster.addHaResource(vm, { group: cluster.addHaGroup('prefer-pve1', { nodes: [{ host: pve1, priority: 2 }, { host: pve2 }] }) });
 * ```
 */
export class ProxmoxCluster extends Construct {
  /** Is `x` a ProxmoxCluster (of any copy of this library)? */
  public static isProxmoxCluster(x: unknown): x is ProxmoxCluster {
    return PROXMOX_CLUSTER.is(x);
  }

  /** The clusters of a lab, sorted by name. */
  public static all(lab: IConstruct): ProxmoxCluster[] {
    return lab.node
      .findAll()
      .filter(ProxmoxCluster.isProxmoxCluster)
      .sort(byText((c) => c.clusterName));
  }

  /** The cluster name. */
  public readonly clusterName: string;
  /** The member nodes, in the order given. */
  public readonly members: readonly ProxmoxHost[];
  /** The storages every member reaches. */
  public readonly sharedStorages: readonly ProxmoxStorage[];

  private readonly explicitApiHost?: ProxmoxHost;
  private readonly haResourceList: HaResource[] = [];

  public constructor(scope: Homelab, id: string, props: ProxmoxClusterProps) {
    super(scope, claimId(scope, id));
    checkProps(this, 'ProxmoxClusterProps', props);
    PROXMOX_CLUSTER.mark(this);
    this.clusterName = props.clusterName ?? id;
    this.members = [...props.members];
    this.sharedStorages = [...(props.sharedStorages ?? [])];
    this.explicitApiHost = props.apiHost;
    for (const member of new Set(this.members)) {
      member.joinCluster(this);
      if (member.cluster !== this) {
        continue; // in another cluster already: an error of this one, and its ports are reserved
      }
      for (const port of COROSYNC_PORTS) {
        member.host.reservePort(this, { port, protocol: Protocol.UDP, description: `corosync (cluster ${this.clusterName})` });
      }
    }
    this.node.addValidation({ validate: () => this.validateCluster() });
  }

  /** The member whose API Terraform talks to. */
  public get apiHost(): ProxmoxHost | undefined {
    return this.explicitApiHost ?? this.members[0];
  }

  /** The HA groups, in declaration order. */
  public get haGroups(): HaGroup[] {
    return this.node.children.filter((c): c is HaGroup => c instanceof HaGroup);
  }

  /** The VMs the HA manager keeps running, sorted by vmid. */
  public get haResources(): readonly HaResource[] {
    return [...this.haResourceList].sort((a, b) => a.vm.vmid - b.vm.vmid);
  }

  /** Is the storage shared in this cluster (every member reaches it)? */
  public sharesStorage(storage: ProxmoxStorage): boolean {
    return this.sharedStorages.includes(storage);
  }

  /** Adds an HA group: the nodes that its HA resources prefer. */
  public addHaGroup(id: string, props: HaGroupProps): HaGroup {
    return new HaGroup(this, id, props);
  }

  /** Puts a VM of a member under the HA manager (`proxmox_haresource`). */
  public addHaResource(vm: ProxmoxVm, props: HaResourceProps = {}): void {
    this.haResourceList.push({ vm, group: props.group, state: props.state ?? HaState.STARTED, maxRestart: props.maxRestart, maxRelocate: props.maxRelocate });
  }

  private validateCluster(): string[] {
    const errors: string[] = [];
    // PVE::API2::ClusterConfig: clustername is a 'pve-node' name of at most 15 characters.
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,13}[A-Za-z0-9])?$/.test(this.clusterName)) {
      errors.push(problem(`cluster name "${this.clusterName}" is not a Proxmox cluster name`, 'use at most 15 letters, digits and "-" (not at either end)'));
    }
    if (this.members.length === 0) {
      errors.push(problem('the cluster has no members', 'give it its Proxmox hosts in members'));
    }
    const seen = new Set<ProxmoxHost>();
    for (const member of this.members) {
      if (member.node.root !== this.node.root) {
        errors.push(problem(`member ${displayPath(member)} belongs to another lab`, 'use Proxmox hosts of this lab'));
      }
      if (seen.has(member)) {
        errors.push(problem(`member ${member.nodeName} is listed twice`, 'list each member once'));
      }
      seen.add(member);
      const other = member.clusters.find((c) => c !== this);
      if (other && member.clusters.indexOf(other) < member.clusters.indexOf(this)) {
        errors.push(problem(`member ${member.nodeName} is also a member of cluster ${other.clusterName}`, 'a Proxmox node belongs to one cluster: take it out of one of them'));
      }
    }
    const api = this.explicitApiHost;
    if (api && !this.members.includes(api)) {
      errors.push(problem(`apiHost ${api.nodeName} is not a member of the cluster`, `use a member (${this.members.map((m) => m.nodeName).join(', ')})`));
    }
    for (const storage of this.sharedStorages) {
      if (!this.members.includes(storage.proxmoxHost)) {
        errors.push(problem(`shared storage ${storage.storageId} is declared on ${storage.proxmoxHost.nodeName}, which is not a member`, 'declare it on a member of the cluster'));
      }
      const twin = this.members.flatMap((m) => m.storages).find((s) => s !== storage && s.storageId === storage.storageId);
      if (twin) {
        errors.push(problem(`shared storage ${storage.storageId} has the id of ${displayPath(twin)}, and Proxmox's storage configuration is one for the whole cluster`, 'declare the shared storage once, on one member, and give other storages other ids'));
      }
    }
    errors.push(...this.storageEntryProblems());
    errors.push(...this.haProblems());
    return errors;
  }

  /**
   * Storages of one id on several members are one entry of the cluster's storage.cfg (with those
   * members as its nodes), so they must be declared alike: one entry cannot be a ZFS pool on one
   * node and a directory on another.
   */
  private storageEntryProblems(): string[] {
    const errors: string[] = [];
    const first = new Map<string, ProxmoxStorage>();
    for (const storage of this.members.flatMap((m) => m.storages)) {
      const earlier = first.get(storage.storageId);
      if (earlier === undefined) {
        first.set(storage.storageId, storage);
      } else if (earlier.definition !== storage.definition && !this.sharesStorage(storage) && !this.sharesStorage(earlier)) {
        errors.push(
          problem(
            `storage ${storage.storageId} of ${storage.proxmoxHost.nodeName} (${displayPath(storage)}) differs from ${storage.storageId} of ${earlier.proxmoxHost.nodeName}, but the cluster's storage configuration has one entry per id, with the nodes that have it`,
            `declare ${storage.storageId} alike on every member (type, pool or path, content), or give one of them another storage id`,
          ),
        );
      }
    }
    return errors;
  }

  private haProblems(): string[] {
    const errors: string[] = [];
    const seen = new Set<ProxmoxVm>();
    for (const r of this.haResourceList) {
      const vm = r.vm;
      if (!this.members.includes(vm.hypervisor)) {
        errors.push(problem(`HA resource ${displayPath(vm)} runs on ${vm.hypervisor.nodeName}, which is not a member of cluster ${this.clusterName}`, 'put only VMs of the cluster\'s members under HA'));
        continue;
      }
      if (seen.has(vm)) {
        errors.push(problem(`${displayPath(vm)} is an HA resource twice`, 'add each VM once'));
      }
      seen.add(vm);
      if (vm.template) {
        errors.push(problem(`HA resource ${displayPath(vm)} is a template, which never runs`, 'put running VMs under HA'));
      }
      if (r.group && r.group.cluster !== this) {
        errors.push(problem(`the HA group of ${displayPath(vm)} is a group of cluster ${r.group.cluster.clusterName}`, `use a group of ${this.clusterName}`));
      }
      for (const [label, value] of [['maxRestart', r.maxRestart], ['maxRelocate', r.maxRelocate]] as const) {
        if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 10)) {
          errors.push(problem(`HA resource ${displayPath(vm)} has ${label} ${value}`, `give ${label} as a whole number from 0 to 10`));
        }
      }
      const local = vm.disks.filter((d) => !this.sharesStorage(d.storage)).map((d) => `${d.interface} on ${d.storage.storageId}`);
      if (local.length > 0) {
        Annotations.of(this).addWarning(
          problem(
            `HA resource ${displayPath(vm)} has disks on storage local to ${vm.hypervisor.nodeName} (${local.join(', ')}), so the HA manager cannot start it on another node when ${vm.hypervisor.nodeName} fails`,
            'move its disks to a shared storage of the cluster (sharedStorages), or set up storage replication for them',
          ),
          'homelab-cdk:ha-on-local-storage',
        );
      }
    }
    if (this.haResourceList.length > 0 && this.members.length < 3) {
      Annotations.of(this).addWarning(
        problem(
          `cluster ${this.clusterName} has ${this.members.length} member(s) and HA resources; with fewer than 3 votes a node's failure costs the quorum, and HA stops acting`,
          'add a third node or a corosync QDevice (pvecm qdevice setup), or leave HA out',
        ),
        'homelab-cdk:ha-without-quorum',
      );
    }
    return errors;
  }
}
