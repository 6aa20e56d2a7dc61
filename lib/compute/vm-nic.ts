/**
 * A VM's network interfaces: their props, their defaults (the MAC above all) and their checks.
 * A MAC that is not given is derived once, by {@link deriveMac} under the hypervisor's
 * `macPrefix`: for the first NIC of a NixOS VM the guest Host derives it (the same address is
 * its dnsmasq lease and its bridge's MAC in the flake), for every other NIC the VM does.
 */
import type { IConstruct } from 'constructs';
import { deriveMac, isLocallyAdministeredMac, isMacAddress, isUnicastMac, normalizeMac } from '../core/addressing';
import { displayPath, problem } from '../core/validation';
import type { Host } from '../hosts/host';
import type { Bridge } from './bridge';
import type { ProxmoxHost } from './proxmox-host';

/** A NIC model: the network card the guest sees. */
export enum NicModel {
  /** Paravirtualized virtio-net: the fastest; Linux has the driver, Windows needs the virtio drivers. */
  VIRTIO = 'virtio',
  /** An emulated Intel E1000, for guests without virtio drivers. */
  E1000 = 'e1000',
  /** An emulated Intel E1000e (PCIe). */
  E1000E = 'e1000e',
  /** An emulated Realtek RTL8139, for very old guests. */
  RTL8139 = 'rtl8139',
  /** An emulated VMware vmxnet3, for guests moved from VMware. */
  VMXNET3 = 'vmxnet3',
}

/** A VM network interface. */
export interface VmNicProps {
  /**
   * The bridge the NIC is on.
   * @default - the hypervisor's LAN bridge
   */
  readonly bridge?: Bridge;
  /**
   * The MAC address.
   * @default - the guest Host's MAC for the first NIC of a NixOS VM; otherwise derived from the
   *   lab, the VM's name and the NIC's index (a locally administered address)
   */
  readonly macAddress?: string;
  /**
   * The NIC model.
   * @default NicModel.VIRTIO
   */
  readonly model?: NicModel;
  /**
   * A VLAN tag.
   * @default - untagged
   */
  readonly vlanId?: number;
  /**
   * Apply Proxmox's firewall rules to the NIC.
   * @default false
   */
  readonly firewall?: boolean;
}

/** A NIC with its defaults applied. */
export interface VmNic {
  /** The bridge. */
  readonly bridge: Bridge;
  /** The MAC address, lower case. */
  readonly macAddress: string;
  /** Whether the library derived the MAC (rather than taking one given on the NIC or its guest Host). */
  readonly macDerived: boolean;
  /** The model. */
  readonly model: NicModel;
  /** VLAN tag, if any. */
  readonly vlanId?: number;
  /** Proxmox firewall on the NIC. */
  readonly firewall: boolean;
}

/** What a NIC's defaults depend on: the VM it belongs to. */
export interface VmNicContext {
  /** The lab's name (part of every derived MAC's seed). */
  readonly labName: string;
  /** The VM's name in Proxmox. */
  readonly vmName: string;
  /** The hypervisor: its LAN bridge and its macPrefix. */
  readonly hypervisor: ProxmoxHost;
  /** The NixOS host in the VM, whose MAC the first NIC takes. */
  readonly guest?: Host;
}

/**
 * A MAC address for a VM NIC derived from a seed: deterministic, locally administered unicast,
 * with its first octets replaced by `prefix` when one is given. The same as {@link deriveMac}.
 */
export function deriveVmMac(seed: string, prefix?: string): string {
  return deriveMac(seed, prefix);
}

/** The `index`th NIC of a VM with its defaults applied. */
export function vmNic(props: VmNicProps, index: number, vm: VmNicContext): VmNic {
  const fromGuest = index === 0 && props.macAddress === undefined ? vm.guest : undefined;
  // The guest Host derives its own MAC (under this hypervisor's prefix, see Host.macAddress).
  const given = props.macAddress ?? fromGuest?.macAddress;
  return {
    bridge: props.bridge ?? vm.hypervisor.lanBridge,
    macAddress: given !== undefined ? normalizeMac(given) : deriveMac(`${vm.labName}/vm/${vm.vmName}/nic${index}`, vm.hypervisor.macPrefix),
    macDerived: props.macAddress === undefined && (fromGuest === undefined || fromGuest.givenMacAddress === undefined),
    model: props.model ?? NicModel.VIRTIO,
    vlanId: props.vlanId,
    firewall: props.firewall ?? false,
  };
}

/** A NIC that holds a MAC address: where it is in the lab. */
export interface NicOwner<T> {
  /** The VM. */
  readonly vm: T;
  /** The NIC's index. */
  readonly nic: number;
}

/**
 * Problems of a VM's NICs: bridges of the VM's node, well-formed unicast MACs (locally
 * administered where derived), each MAC used by one NIC of the lab, VLAN ids 1–4094.
 */
export function vmNicProblems<T extends IConstruct>(nics: readonly VmNic[], self: T, node: ProxmoxHost, macOwners: ReadonlyMap<string, ReadonlyArray<NicOwner<T>>>): string[] {
  const errors: string[] = [];
  nics.forEach((nic, i) => {
    const what = `NIC ${i}`;
    if (nic.bridge.proxmoxHost !== node) {
      errors.push(problem(`${what} is on bridge ${nic.bridge.bridgeName} of ${nic.bridge.proxmoxHost.nodeName}, not of ${node.nodeName}`, `attach it to a bridge of ${node.nodeName}`));
    }
    if (!isMacAddress(nic.macAddress)) {
      errors.push(problem(`${what} has the malformed MAC address "${nic.macAddress}"`, 'write six pairs of hex digits separated by ":" (aa:bb:cc:dd:ee:ff)'));
    } else if (nic.macDerived && (!isUnicastMac(nic.macAddress) || !isLocallyAdministeredMac(nic.macAddress))) {
      errors.push(
        problem(
          `the MAC address ${nic.macAddress} derived for ${what} is not a locally administered unicast address, so it may clash with a vendor's`,
          `give ${displayPath(node)} a macPrefix whose first octet ends in 2, 6, a or e (such as "02"), or set the NIC's macAddress`,
        ),
      );
    } else if (!isUnicastMac(nic.macAddress)) {
      errors.push(problem(`${what} has the multicast MAC address ${nic.macAddress}`, 'give a unicast address (first octet even)'));
    }
    const first = macOwners.get(nic.macAddress)?.[0];
    if (first && (first.vm !== self || first.nic !== i)) {
      errors.push(problem(`${what} has the MAC address ${nic.macAddress} of NIC ${first.nic} of ${displayPath(first.vm)}`, 'give each NIC its own MAC address (or leave it out to have one derived)'));
    }
    if (nic.vlanId !== undefined && (!Number.isInteger(nic.vlanId) || nic.vlanId < 1 || nic.vlanId > 4094)) {
      errors.push(problem(`${what} has VLAN ${nic.vlanId}`, 'give a VLAN id from 1 to 4094'));
    }
  });
  return errors;
}

/**
 * The problem of a first NIC of a NixOS VM that gives a MAC other than its guest Host's: the
 * lease and the flake would use the Host's, Terraform the NIC's.
 */
export function guestMacProblems(guest: Host | undefined, nics: readonly VmNicProps[]): string[] {
  const given = nics[0]?.macAddress;
  if (guest && given !== undefined && guest.macAddress !== undefined && normalizeMac(given) !== guest.macAddress) {
    return [problem(`the first NIC of a NixOS VM has its Host's MAC (${guest.macAddress}), but the NIC gives another`, 'set macAddress on the Host, not on the NIC')];
  }
  return [];
}
