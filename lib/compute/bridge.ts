import { Construct } from 'constructs';
import { problem } from '../core/validation';
import type { ProxmoxHost } from './proxmox-host';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind } from '../core/kind';

/** Props of {@link Bridge}. */
export interface BridgeProps {
  /**
   * The Linux interface name of the bridge (what VM NICs attach to, `vmbr0`).
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * The physical interfaces the bridge enslaves. A bridge without ports connects only the VMs on
   * it (an isolated network).
   * @default []
   */
  readonly ports?: string[];
  /**
   * The bridge holds the host's static address instead of the physical interface (the usual
   * Proxmox setup: `vmbr0` over the NIC, carrying the host's IP). At most one bridge may.
   * @default false
   */
  readonly carriesHostAddress?: boolean;
}

const BRIDGE = Kind.named<Bridge>('Bridge');

/** Linux interface names: at most 15 characters, no `/` or spaces. */
const INTERFACE_NAME = /^[a-zA-Z0-9_.-]{1,15}$/;

/**
 * A Linux bridge on a Proxmox host, declared once: the Nix projection writes it into the host's
 * networking (`networking.bridges`, the host's address on it) and into Proxmox's list of
 * bridges (`services.proxmox-ve.bridges`); the Terraform projection attaches VM NICs to it.
 * Create it with {@link ProxmoxHost.addBridge}; every ProxmoxHost has its LAN bridge.
 */
export class Bridge extends Construct {
  /** Is `x` a Bridge (of any copy of this library)? */
  public static isBridge(x: unknown): x is Bridge {
    return BRIDGE.is(x);
  }

  /** The interface name. */
  public readonly bridgeName: string;
  /** Enslaved physical interfaces. */
  public readonly ports: readonly string[];
  /** Whether the host's address lives on this bridge. */
  public readonly carriesHostAddress: boolean;
  /** The Proxmox host the bridge is on. */
  public readonly proxmoxHost: ProxmoxHost;

  public constructor(scope: ProxmoxHost, id: string, props: BridgeProps = {}) {
    super(scope, claimId(scope, id));
    checkProps(this, 'BridgeProps', props);
    BRIDGE.mark(this);
    this.proxmoxHost = scope;
    this.bridgeName = props.name ?? id;
    this.ports = [...(props.ports ?? [])];
    this.carriesHostAddress = props.carriesHostAddress ?? false;
    if (this.carriesHostAddress) {
      scope.host.carryAddressOn(this, this.bridgeName);
    }
    this.node.addValidation({ validate: () => this.validateBridge() });
  }

  private validateBridge(): string[] {
    const errors: string[] = [];
    if (!INTERFACE_NAME.test(this.bridgeName)) {
      errors.push(problem(`bridge name "${this.bridgeName}" is not a Linux interface name`, 'use at most 15 letters, digits, ".", "_" or "-", such as "vmbr0"'));
    }
    for (const port of this.ports) {
      if (!INTERFACE_NAME.test(port)) {
        errors.push(problem(`bridge port "${port}" is not a Linux interface name`, 'give the physical interface as `ip link` shows it, such as "enp3s0"'));
      }
      if (port === this.bridgeName) {
        errors.push(problem(`bridge ${this.bridgeName} lists itself as a port`, 'give the physical interface it bridges, such as "enp3s0"'));
      }
    }
    if (new Set(this.ports).size !== this.ports.length) {
      errors.push(problem(`bridge ${this.bridgeName} lists a port twice`, 'list each port once'));
    }
    const nic = this.proxmoxHost.host.interfaceName;
    if (this.carriesHostAddress && nic !== undefined && !this.ports.includes(nic)) {
      errors.push(
        problem(
          `bridge ${this.bridgeName} carries the address of ${this.proxmoxHost.host.hostName} but does not bridge its interface ${nic}, so the host would be unreachable`,
          `add "${nic}" to ports, or leave carriesHostAddress off`,
        ),
      );
    }
    return errors;
  }
}
