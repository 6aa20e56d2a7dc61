/**
 * What a construct adds to the summary `homelab synth` prints, beyond the roles it gives its host
 * (`IHostRoleHolder`): a host line, a pool line, a VM line, a hypervisor's memory budget. Each
 * construct says so itself ({@link ISummaryPartHolder}); the summary sorts and prints what the
 * holders state and lists no construct class, so its sections have one vocabulary (the kinds
 * below) and any construct may speak it.
 */
import { IConstruct } from 'constructs';
import { Kind } from './kind';
import { Size } from './size';

/** Which section of the summary a part belongs to. */
export enum SummaryPartKind {
  /** A line of the hosts table. */
  HOST = 'host',
  /** A line of the ZFS pools. */
  POOL = 'pool',
  /** A line of the VMs of a hypervisor. */
  VM = 'vm',
  /** The memory line under a hypervisor's VMs. */
  MEMORY_BUDGET = 'memory-budget',
}

/** A host of the lab, in the hosts table. */
export interface HostSummaryPart {
  /** The section. */
  readonly kind: SummaryPartKind.HOST;
  /** The host construct (the key of its roles, see `hostRolesIn`). */
  readonly host: IConstruct;
  /** The host name (`maxdata`). */
  readonly name: string;
  /**
   * The host's description.
   * @default - none
   */
  readonly description?: string;
  /** The host's Nix system (`x86_64-linux`). */
  readonly system: string;
  /** The host's IPv4 address on the lab network. */
  readonly ipAddress: string;
  /**
   * The host's MAC address.
   * @default - none (bare metal without a declared one)
   */
  readonly macAddress?: string;
  /** How the host gets its address (`dhcp`, `static`). */
  readonly addressing: string;
  /**
   * The host's RAM.
   * @default - not declared
   */
  readonly memory?: Size;
}

/** A ZFS pool, in the pools section. */
export interface PoolSummaryPart {
  /** The section. */
  readonly kind: SummaryPartKind.POOL;
  /** The name of the host the pool is on. */
  readonly host: string;
  /** The pool's name (`tank`). */
  readonly name: string;
  /** Its usable capacity: the data vdevs after parity and mirrors. */
  readonly usable: Size;
  /** Layout, usable capacity, special, log and cache in one line. */
  readonly layout: string;
}

/** A VM, in the section of its hypervisor. */
export interface VmSummaryPart {
  /** The section. */
  readonly kind: SummaryPartKind.VM;
  /** The name of the host the VM runs on. */
  readonly hypervisor: string;
  /** The VM's id on its hypervisor (Proxmox's vmid). */
  readonly vmid: number;
  /** The VM's name on its hypervisor. */
  readonly name: string;
  /** Its CPU cores. */
  readonly cores: number;
  /** Its memory. */
  readonly memory: Size;
  /**
   * The NixOS host it runs.
   * @default - not a NixOS host of the lab
   */
  readonly guest?: string;
}

/** Memory a part of a hypervisor holds for itself (the ZFS ARC maximum). */
export interface MemoryReservationSummaryPart {
  /** What holds it, in a few words (`ZFS ARC maximum`). */
  readonly what: string;
  /** How much it holds at most. */
  readonly size: Size;
}

/** A hypervisor's memory: its VMs and reservations against its RAM. */
export interface MemoryBudgetSummaryPart {
  /** The section. */
  readonly kind: SummaryPartKind.MEMORY_BUDGET;
  /** The name of the hypervisor's host; its VMs are the VM parts with this `hypervisor`. */
  readonly host: string;
  /** The memory of the VMs that run. */
  readonly vms: Size;
  /** The memory reservations on the host. */
  readonly reservations: readonly MemoryReservationSummaryPart[];
  /** VMs plus reservations. */
  readonly committed: Size;
  /**
   * The host's RAM.
   * @default - not declared
   */
  readonly ram?: Size;
}

/** One part of the summary. */
export type SummaryPart = HostSummaryPart | PoolSummaryPart | VmSummaryPart | MemoryBudgetSummaryPart;

/** A construct that adds to the summary. */
export interface ISummaryPartHolder extends IConstruct {
  /** What it adds, in the order it is shown. */
  summaryParts(): readonly SummaryPart[];
}

const SUMMARY_PART_HOLDER = Kind.named<ISummaryPartHolder>('SummaryPartHolder');

/** Marks a construct as an {@link ISummaryPartHolder}; call it in the construct's constructor. */
export function markSummaryPartHolder(holder: ISummaryPartHolder): void {
  SUMMARY_PART_HOLDER.mark(holder);
}

/** Is `x` a summary part holder (of any copy of this library)? */
export function isSummaryPartHolder(x: unknown): x is ISummaryPartHolder {
  return SUMMARY_PART_HOLDER.is(x);
}
