/**
 * What a construct placed on a host makes of that host: a hypervisor, the DHCP/DNS server, a k3s
 * node, a pool, a backup. Each such construct says so itself ({@link IHostRoleHolder}); the
 * summary and the diagram iterate the holders and never list construct classes, so a new
 * construct shows up in both without an edit to either.
 */
import { IConstruct } from 'constructs';
import { Kind } from './kind';

/** One role a construct gives a host. */
export interface HostRole {
  /** The host (a `Host` construct) that gets the role. */
  readonly host: IConstruct;
  /** The role in the summary of `homelab synth` (`DHCP/DNS (dnsmasq)`, `pool tank`). */
  readonly summary: string;
  /**
   * The role in the host's box of `homelab diagram` (`dnsmasq`, `k3s agent`); the diagram shows
   * only the roles that shape the lab, so most roles have none.
   * @default - not shown in the diagram
   */
  readonly diagram?: string;
}

/** A construct that gives roles to hosts. */
export interface IHostRoleHolder extends IConstruct {
  /** The roles this construct gives, in the order they are shown; empty when it gives none (yet). */
  hostRoles(): readonly HostRole[];
}

const HOST_ROLE_HOLDER = Kind.named<IHostRoleHolder>('HostRoleHolder');

/** Marks a construct as an {@link IHostRoleHolder}; call it in the construct's constructor. */
export function markHostRoleHolder(holder: IHostRoleHolder): void {
  HOST_ROLE_HOLDER.mark(holder);
}

/** Is `x` a host role holder (of any copy of this library)? */
export function isHostRoleHolder(x: unknown): x is IHostRoleHolder {
  return HOST_ROLE_HOLDER.is(x);
}

/**
 * The roles of every host under `scope`, by host: the holders in construct-tree order, each
 * with its roles in its own order.
 */
export function hostRolesIn(scope: IConstruct): Map<IConstruct, HostRole[]> {
  const roles = new Map<IConstruct, HostRole[]>();
  for (const holder of scope.node.findAll().filter(isHostRoleHolder)) {
    for (const role of holder.hostRoles()) {
      roles.set(role.host, [...(roles.get(role.host) ?? []), role]);
    }
  }
  return roles;
}
