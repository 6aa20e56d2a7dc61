import { Construct } from 'constructs';
import { displayPath, problem } from '../core/validation';
import type { ProxmoxCluster } from './proxmox-cluster';
import type { ProxmoxHost } from './proxmox-host';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';

/** A node of an HA group, with its priority. */
export interface HaGroupNode {
  /** The member node. */
  readonly host: ProxmoxHost;
  /**
   * Its priority: the HA manager runs the group's resources on the online node with the highest
   * one (0–1000).
   * @default - unset: all unset nodes rank alike
   */
  readonly priority?: number;
}

/** Props of {@link HaGroup}. */
export interface HaGroupProps {
  /**
   * The group id in Proxmox.
   * @default - the construct id
   */
  readonly groupName?: string;
  /** The nodes the group's resources may run on, with their priorities. */
  readonly nodes: HaGroupNode[];
  /**
   * Run the group's resources only on its nodes (otherwise any online node when none of them is).
   * @default false
   */
  readonly restricted?: boolean;
  /**
   * Leave a resource where it is when a node with a higher priority comes back.
   * @default false
   */
  readonly noFailback?: boolean;
}

/** The provider's pattern of an HA group id (`proxmox_hagroup.group`). */
const GROUP_ID = /^[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]$/;

/**
 * A Proxmox VE HA group of a cluster (Datacenter → HA → Groups): the nodes its HA resources
 * prefer, synthesized to a `proxmox_hagroup`. Make one with {@link ProxmoxCluster.addHaGroup}.
 */
export class HaGroup extends Construct {
  /** The group id. */
  public readonly groupName: string;
  /** The nodes with their priorities. */
  public readonly nodes: readonly HaGroupNode[];
  /** Only the group's nodes run its resources. */
  public readonly restricted: boolean;
  /** No failback to a higher-priority node. */
  public readonly noFailback: boolean;
  /** The cluster. */
  public readonly cluster: ProxmoxCluster;

  public constructor(scope: ProxmoxCluster, id: string, props: HaGroupProps) {
    super(scope, claimId(scope, id));
    checkProps(this, 'HaGroupProps', props);
    this.cluster = scope;
    this.groupName = props.groupName ?? id;
    this.nodes = [...props.nodes];
    this.restricted = props.restricted ?? false;
    this.noFailback = props.noFailback ?? false;
    this.node.addValidation({ validate: () => this.validateGroup() });
  }

  private validateGroup(): string[] {
    const errors: string[] = [];
    if (!GROUP_ID.test(this.groupName)) {
      errors.push(problem(`HA group id "${this.groupName}" is not a Proxmox HA group id`, 'start with a letter, end with a letter or digit, use letters, digits, "-", "_" and "."'));
    }
    if (this.nodes.length === 0) {
      errors.push(problem('the HA group has no nodes', 'give it at least one member node'));
    }
    const seen = new Set<ProxmoxHost>();
    for (const n of this.nodes) {
      if (!this.cluster.members.includes(n.host)) {
        errors.push(problem(`HA group node ${displayPath(n.host)} is not a member of cluster ${this.cluster.clusterName}`, `use members of the cluster (${this.cluster.members.map((m) => m.nodeName).join(', ')})`));
      }
      if (seen.has(n.host)) {
        errors.push(problem(`HA group node ${n.host.nodeName} is listed twice`, 'list each node once'));
      }
      seen.add(n.host);
      if (n.priority !== undefined && (!Number.isInteger(n.priority) || n.priority < 0 || n.priority > 1000)) {
        errors.push(problem(`HA group node ${n.host.nodeName} has priority ${n.priority}`, 'give a whole number from 0 to 1000'));
      }
    }
    return errors;
  }
}
