import { Construct, IConstruct } from 'constructs';
import { HostRole, IHostRoleHolder, markHostRoleHolder } from '../core/host-role';
import { ISummaryPartHolder, markSummaryPartHolder, SummaryPart, SummaryPartKind } from '../core/summary-part';
import { Homelab } from '../core/homelab';
import { isHostName } from '../core/names';
import { Network } from '../core/network';
import { INetworkEndpoint } from '../core/network-endpoint';
import { Size } from '../core/size';
import { Annotations, displayPath, problem } from '../core/validation';
import { HardwareKind } from '../hosts/hardware-profile';
import type { Host, IGuestMachine } from '../hosts/host';
import { BootKind, BootSource } from './boot-source';
import { nixosAnywhereProblems } from './nixos-anywhere';
import type { Bridge } from './bridge';
import type { ProxmoxHost } from './proxmox-host';
import type { ProxmoxStack, TerraformOverride } from './proxmox-stack';
import { ProxmoxStorage } from './proxmox-storage';
import { stackMembership } from './stack-plan';
import { CloudInitProps, cloudInitConflictProblems, cloudInitProblems, snippetStorageOf } from './vm-cloud-init';
import { VmDisk, VmDiskProps, vmDisk, vmDiskProblems } from './vm-disk';
import { Bios, EfiDiskProps, isWindows, MachineType, OsType, TpmProps, TpmVersion, VmFirmware, vmFirmware, vmFirmwareProblems } from './vm-firmware';
import { guestMacProblems, NicOwner, VmNic, vmNic, VmNicContext, VmNicProps, vmNicProblems } from './vm-nic';
import { storageUseProblems } from './vm-placement';
import { ImageKind, type VmImage } from './vm-image';
import { claimId } from '../core/problems';
import { recordError } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind, runIndex } from '../core/kind';

export { CDROM_INTERFACE } from './vm-disk';

/**
 * A VM that exists already (made by hand, by Pulumi, by an earlier tool): Terraform imports it
 * (`<node>/<vmid>`) instead of creating it, and must never replace it. The bpg provider replaces a
 * VM (and deletes its disks) when one of the attributes its schema marks ForceNew changes; the
 * ones the library sets are the vmid and node (the import id), the EFI disk type, the TPM
 * version, a clone's source, and cloud-init's user data file. State what the existing VM has
 * (from `pulumi stack export` or `qm config <vmid>`); what is left unstated, Terraform leaves as
 * it is (`lifecycle.ignore_changes`).
 */
export interface VmAdoptionProps {
  /**
   * Let Terraform destroy the VM (`terraform destroy`, or a plan that replaces it). Left false,
   * the resource gets `lifecycle.prevent_destroy`, and such a plan stops with an error.
   * @default false
   */
  readonly allowDestroy?: boolean;
  /**
   * The EFI disk type the existing VM has: `"2m"` or `"4m"` (`efitype=4m` in the `efidisk0` line
   * of `qm config`; without it, `2m`), or `"none"` when it has no EFI disk (`efiDisk` is absent
   * in `pulumi stack export`). bpg replaces the VM when the type changes between 2m and 4m.
   * @default - unknown: Terraform leaves the EFI disk as the VM has it (`ignore_changes`)
   */
  readonly efiDiskType?: '2m' | '4m' | 'none';
  /**
   * The TPM version the existing VM has (`version=` in the `tpmstate0` line of `qm config`), or
   * `"none"` when it has no TPM. bpg replaces the VM when the version changes.
   * @default - unknown: Terraform leaves the TPM state as the VM has it (`ignore_changes`)
   */
  readonly tpmVersion?: TpmVersion | 'none';
}

/** Start and shutdown order on the host's boot. */
export interface StartupProps {
  /** The position in the start order (lower starts first, shuts down last). */
  readonly order: number;
  /**
   * Seconds to wait after starting this VM before starting the next.
   * @default - Proxmox's default (none)
   */
  readonly upDelay?: number;
  /**
   * Seconds to wait for this VM to shut down before the next.
   * @default - Proxmox's default
   */
  readonly downDelay?: number;
}

/** Props of {@link ProxmoxVm}. */
export interface ProxmoxVmProps {
  /** The Proxmox host the VM runs on (its Proxmox node). */
  readonly hypervisor: ProxmoxHost;
  /** The Proxmox VM id, 100–999999999, unique in the lab. */
  readonly vmid: number;
  /**
   * The NixOS host running in the VM: its name, MAC and address come from the Host, which has
   * the QEMU guest hardware profile. Leave out for a plain VM (Windows, a cloud image).
   * @default - none: a plain VM
   */
  readonly guest?: Host;
  /**
   * The VM name in Proxmox (a DNS label).
   * @default - the guest's host name, else the construct id
   */
  readonly name?: string;
  /**
   * The static IPv4 address of a plain VM on the lab network: the VM gets a DHCP lease for it
   * and cloud-init configures it. A NixOS VM's address is its Host's.
   * @default - none: the VM takes an address from the dynamic DHCP pool
   */
  readonly ipAddress?: string;
  /**
   * A description shown in Proxmox.
   * @default - "Managed by homelab-cdk (<construct path>)"
   */
  readonly description?: string;
  /**
   * CPU cores.
   * @default 2
   */
  readonly cores?: number;
  /**
   * The emulated CPU type (`host`, `x86-64-v2-AES`, …).
   * @default "host" (all host CPU features; fine on a single node without live migration)
   */
  readonly cpuType?: string;
  /**
   * RAM, in whole MiB.
   * @default - the guest Host's memory, else 4096 MiB
   */
  readonly memory?: Size;
  /**
   * The disks.
   * @default []
   */
  readonly disks?: VmDiskProps[];
  /**
   * The NICs.
   * @default - one virtio NIC on the hypervisor's LAN bridge
   */
  readonly nics?: VmNicProps[];
  /**
   * The firmware.
   * @default Bios.SEABIOS
   */
  readonly bios?: Bios;
  /**
   * The EFI disk, required with Bios.OVMF.
   * @default - none
   */
  readonly efiDisk?: EfiDiskProps;
  /**
   * A virtual TPM (Windows 11 needs v2.0).
   * @default - none
   */
  readonly tpm?: TpmProps;
  /**
   * The guest OS type.
   * @default OsType.LINUX
   */
  readonly osType?: OsType;
  /**
   * The chipset.
   * @default - Proxmox's default (MachineType.I440FX)
   */
  readonly machine?: MachineType;
  /**
   * Keep the VM running.
   * @default true
   */
  readonly started?: boolean;
  /**
   * Start the VM when the host boots.
   * @default true
   */
  readonly onBoot?: boolean;
  /**
   * The start order on the host's boot.
   * @default - Proxmox's default order
   */
  readonly startup?: StartupProps;
  /**
   * The QEMU guest agent runs in the guest (Proxmox shuts down and reads addresses through it).
   * @default - true for a NixOS VM (its hardware profile runs the agent), false otherwise
   */
  readonly guestAgent?: boolean;
  /**
   * Proxmox tags (lower case; Proxmox sorts them).
   * @default []
   */
  readonly tags?: string[];
  /**
   * How the VM gets its operating system.
   * @default BootSource.fromDisk()
   */
  readonly boot?: BootSource;
  /**
   * cloud-init settings.
   * @default - none: no cloud-init drive
   */
  readonly cloudInit?: CloudInitProps;
  /**
   * Make the VM a template for clones (cannot be undone in Proxmox).
   * @default false
   */
  readonly template?: boolean;
  /**
   * The Terraform stack the VM belongs to.
   * @default - the lab's only ProxmoxStack (or the default stack when there is none)
   */
  readonly stack?: ProxmoxStack;
  /**
   * The VM exists already: Terraform imports it (`<node>/<vmid>`) instead of creating it, keeps
   * it from being destroyed, and leaves what would replace it as it is. Only for VMs that exist:
   * importing a missing VM stops `terraform plan` ("Cannot import non-existent remote object").
   * @default - none: Terraform creates the VM
   */
  readonly adopt?: VmAdoptionProps;
  /**
   * How long the provider waits for the QEMU guest agent (a Go duration such as `"1m"`), when
   * guestAgent is on. It waits on create and on every refresh until the agent answers.
   * @default - "1m" for a VM that boots an installer ISO or that nixos-anywhere installs (no agent
   *   runs until the system is installed), else the provider's "15m"
   */
  readonly guestAgentTimeout?: string;
}

/** An adoption with its defaults applied. */
export interface VmAdoption {
  /** Whether Terraform may destroy the VM. */
  readonly allowDestroy: boolean;
  /** The existing VM's EFI disk type, when stated. */
  readonly efiDiskType?: '2m' | '4m' | 'none';
  /** The existing VM's TPM version, when stated. */
  readonly tpmVersion?: TpmVersion | 'none';
}

/** How long the provider waits for the guest agent of a VM that boots an installer ISO. */
const INSTALLER_AGENT_TIMEOUT = '1m';

const PROXMOX_VM = Kind.named<ProxmoxVm>('ProxmoxVm');

/** A Go duration (the provider's TimeoutValidator). */
const GO_DURATION = /^[-+]?(0|([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+)$/;

/**
 * A QEMU VM on a Proxmox host, synthesized to a `proxmox_virtual_environment_vm` of the
 * Terraform stack. A NixOS VM has a Host in the flake (`guest`), whose MAC its first NIC takes;
 * a plain VM with an `ipAddress` is a device on the lab network and gets a DHCP lease.
 */
export class ProxmoxVm extends Construct implements INetworkEndpoint, IGuestMachine, IHostRoleHolder, ISummaryPartHolder {
  /** Is `x` a ProxmoxVm (of any copy of this library)? */
  public static isProxmoxVm(x: unknown): x is ProxmoxVm {
    return PROXMOX_VM.is(x);
  }

  /** The VMs of a lab, sorted by vmid. */
  public static all(lab: IConstruct): ProxmoxVm[] {
    return [...PROXMOX_VM.under(lab)].sort((a, b) => a.vmid - b.vmid);
  }

  /** The Proxmox host the VM runs on. */
  public readonly hypervisor: ProxmoxHost;
  /** The VM id. */
  public readonly vmid: number;
  /** The NixOS host in the VM, if any. */
  public readonly guest?: Host;
  /** The VM name. */
  public readonly vmName: string;
  /** The description. */
  public readonly description: string;
  /** CPU cores. */
  public readonly cores: number;
  /** CPU type. */
  public readonly cpuType: string;
  /** RAM. */
  public readonly memory: Size;
  /** The firmware with its defaults: BIOS or UEFI, EFI disk, TPM, OS type. */
  public readonly firmware: VmFirmware;
  /** Firmware. */
  public readonly bios: Bios;
  /** The EFI disk, if any. */
  public readonly efiDisk?: Required<EfiDiskProps>;
  /** The TPM, if any. */
  public readonly tpm?: Required<TpmProps>;
  /** The guest OS type. */
  public readonly osType: OsType;
  /** The chipset, when chosen. */
  public readonly machine?: MachineType;
  /** Keep running. */
  public readonly started: boolean;
  /** Start on host boot. */
  public readonly onBoot: boolean;
  /** Start order, if any. */
  public readonly startup?: StartupProps;
  /** Guest agent expected. */
  public readonly guestAgent: boolean;
  /** Tags, sorted. */
  public readonly tags: readonly string[];
  /** How it boots. */
  public readonly boot: BootSource;
  /** cloud-init settings, if any. */
  public readonly cloudInit?: CloudInitProps;
  /** Whether it is a template. */
  public readonly template: boolean;
  /** The adoption of an existing VM, if Terraform imports it. */
  public readonly adoption?: VmAdoption;
  /** How long the provider waits for the guest agent, when not its default. */
  public readonly guestAgentTimeout?: string;

  private readonly explicitIp?: string;
  private readonly explicitStack?: ProxmoxStack;
  private readonly explicitMemory?: Size;
  private readonly diskProps: VmDiskProps[];
  private readonly nicProps: VmNicProps[];
  private readonly overrides: TerraformOverride[] = [];

  public constructor(scope: Construct, id: string, props: ProxmoxVmProps) {
    super(scope, claimId(scope, id));
    checkProps(this, 'ProxmoxVmProps', props);
    PROXMOX_VM.mark(this);
    markHostRoleHolder(this);
    markSummaryPartHolder(this);
    if (props.guest && props.ipAddress !== undefined) {
      recordError(this, problem(`a NixOS VM has its Host's address (${props.guest.ipAddress}), but ipAddress is given too`, "leave ipAddress out: the VM's address is its Host's"));
    }
    // Read when validating: the guest's MAC follows this VM's hypervisor (see Host.runOn below).
    this.node.addValidation({ validate: () => guestMacProblems(props.guest, props.nics ?? []) });
    for (const conflict of cloudInitConflictProblems(props.cloudInit)) {
      recordError(this, conflict);
    }
    this.hypervisor = props.hypervisor;
    this.vmid = props.vmid;
    this.guest = props.guest;
    this.vmName = props.name ?? props.guest?.hostName ?? id;
    this.description = props.description ?? `Managed by homelab-cdk (${this.node.path})`;
    this.cores = props.cores ?? 2;
    this.cpuType = props.cpuType ?? 'host';
    this.explicitMemory = props.memory;
    this.memory = props.memory ?? props.guest?.memory ?? Size.mebibytes(4096);
    this.firmware = vmFirmware(props);
    this.bios = this.firmware.bios;
    this.efiDisk = this.firmware.efiDisk;
    this.tpm = this.firmware.tpm;
    this.osType = this.firmware.osType;
    this.machine = props.machine;
    this.started = props.started ?? true;
    this.onBoot = props.onBoot ?? true;
    this.startup = props.startup;
    this.guestAgent = props.guestAgent ?? props.guest !== undefined;
    this.tags = [...(props.tags ?? [])].sort();
    this.boot = props.boot ?? BootSource.fromDisk();
    this.cloudInit = props.cloudInit;
    this.template = props.template ?? false;
    this.explicitIp = props.ipAddress;
    this.explicitStack = props.stack;
    this.adoption = props.adopt && { allowDestroy: props.adopt.allowDestroy ?? false, efiDiskType: props.adopt.efiDiskType, tpmVersion: props.adopt.tpmVersion };
    // The cloud image that nixos-anywhere installs over runs no agent either, until NixOS is in.
    const boot = this.boot.details;
    const installing = boot.kind === BootKind.ISO || (boot.kind === BootKind.CLOUD_IMAGE && boot.nixosAnywhere !== undefined);
    this.guestAgentTimeout = props.guestAgentTimeout ?? (this.guestAgent && installing ? INSTALLER_AGENT_TIMEOUT : undefined);
    this.diskProps = [...(props.disks ?? [])];
    this.nicProps = props.nics ? [...props.nics] : [{}];

    if (this.explicitIp !== undefined) {
      Network.registerEndpoint(this);
    }
    // The hypervisor lists its VMs, and a NixOS guest derives its MAC under the hypervisor's prefix.
    this.hypervisor.registerVm(this);
    this.guest?.runOn(this);
    this.node.addValidation({ validate: () => this.validateVm() });
  }

  /** The DNS/DHCP name of a plain VM with an address (the VM name). */
  public get endpointName(): string {
    return this.vmName;
  }

  /**
   * The VM's static address on the lab network: its guest Host's, or the one given to a plain
   * VM; empty when the VM takes a dynamic address.
   */
  public get ipAddress(): string {
    return this.guest?.ipAddress ?? this.explicitIp ?? '';
  }

  /** The first octets of the MACs derived for this VM's NICs: its hypervisor's macPrefix. */
  public get macPrefix(): string | undefined {
    return this.hypervisor.macPrefix;
  }

  /** The MAC address of the first NIC (the one on the lab network). */
  public get macAddress(): string | undefined {
    // The first NIC alone: every reader of an endpoint's MAC (the checks, the leases) derived all.
    const first = this.nicProps[0];
    return first && vmNic(first, 0, this.nicContext()).macAddress;
  }

  /** The NICs with their defaults applied; MACs derived where none is given. */
  public get nics(): VmNic[] {
    const context = this.nicContext();
    return this.nicProps.map((nic, index) => vmNic(nic, index, context));
  }

  private nicContext(): VmNicContext {
    return { labName: Homelab.of(this).name, vmName: this.vmName, hypervisor: this.hypervisor, guest: this.guest };
  }

  /** The disks with their defaults applied; interfaces scsi0, scsi1, … where none is given. */
  public get disks(): VmDisk[] {
    return this.diskProps.map(vmDisk);
  }

  /** The Terraform stack the VM belongs to: its own, the lab's only one, or none (the default). */
  public get stack(): ProxmoxStack | undefined {
    return stackMembership(this).stack;
  }

  /** The stack given in the props, if any. */
  public get declaredStack(): ProxmoxStack | undefined {
    return this.explicitStack;
  }

  /** Whether Terraform imports the running VM instead of creating it. */
  public get importExisting(): boolean {
    return this.adoption !== undefined;
  }

  /** The Terraform import id of the VM (`<node>/<vmid>`, the provider's format). */
  public get importId(): string {
    return `${this.hypervisor.nodeName}/${this.vmid}`;
  }

  /** Adds a NIC on a bridge (an isolated network, a second LAN). */
  public attachTo(bridge: Bridge, nic: Omit<VmNicProps, 'bridge'> = {}): void {
    this.nicProps.push({ ...nic, bridge });
  }

  /** Adds a disk. */
  public addDisk(disk: VmDiskProps): void {
    this.diskProps.push(disk);
  }

  /**
   * Escape hatch: a raw change to the VM's Terraform resource, applied with cdktf's
   * `addOverride` (`vm.addTerraformOverride('cpu.flags', ['+aes'])`).
   */
  public addTerraformOverride(path: string, value: unknown): void {
    this.overrides.push({ path, value });
  }

  /** Overrides added with {@link addTerraformOverride}. */
  public get terraformOverrides(): readonly TerraformOverride[] {
    return this.overrides;
  }

  private validateVm(): string[] {
    const errors: string[] = [];
    if (Homelab.of(this.hypervisor) !== Homelab.of(this)) {
      errors.push(problem(`hypervisor ${displayPath(this.hypervisor)} belongs to another lab`, 'run the VM on a Proxmox host of this lab'));
      return errors;
    }
    if (!Number.isInteger(this.vmid) || this.vmid < 100 || this.vmid > 999_999_999) {
      errors.push(problem(`vmid ${this.vmid} is outside 100–999999999`, 'give a whole number from 100 to 999999999 (Proxmox reserves 0–99)'));
    }
    const index = VM_INDEX.of(this);
    const sameId = index.byVmid.get(this.vmid)?.[0];
    if (sameId && sameId !== this) {
      errors.push(problem(`vmid ${this.vmid} is also the vmid of ${displayPath(sameId)}`, 'give each VM its own vmid'));
    }
    const sameName = index.byName.get(this.vmName)?.[0];
    if (sameName && sameName !== this) {
      errors.push(problem(`VM name ${this.vmName} is also the name of ${displayPath(sameName)}`, 'give each VM its own name'));
    }
    if (!isHostName(this.vmName)) {
      errors.push(problem(`VM name "${this.vmName}" is not a DNS label`, 'use lower-case letters, digits and "-", at most 63 characters'));
    }
    errors.push(...this.validateGuest());
    errors.push(...this.validateResources());
    errors.push(...vmDiskProblems(this.disks, this.hypervisor, this.boot.kind === BootKind.ISO));
    errors.push(...vmFirmwareProblems(this.firmware, this.hypervisor));
    errors.push(...vmNicProblems(this.nics, this, this.hypervisor, index.byMac));
    if (this.explicitIp !== undefined && this.nics.length === 0) {
      errors.push(problem('the VM has an ipAddress but no NIC', 'give it a NIC on the LAN bridge'));
    }
    errors.push(...this.validateBoot());
    errors.push(...(this.cloudInit ? cloudInitProblems(this.cloudInit, this, this.diskProps[0]?.storage) : []));
    errors.push(...stackMembership(this).problems);
    errors.push(...this.validateAdoption());
    if (this.guestAgentTimeout !== undefined && !GO_DURATION.test(this.guestAgentTimeout)) {
      errors.push(problem(`guestAgentTimeout "${this.guestAgentTimeout}" is not a Go duration`, 'give a duration such as "1m" or "90s"'));
    }
    for (const tag of this.tags) {
      if (!/^[a-z0-9_][a-z0-9_+.-]*$/.test(tag)) {
        errors.push(problem(`tag "${tag}" is not a Proxmox tag`, 'use lower-case letters, digits, "_", "+", "." and "-"'));
      }
    }
    if (this.startup) {
      for (const [label, value] of [['order', this.startup.order], ['upDelay', this.startup.upDelay], ['downDelay', this.startup.downDelay]] as const) {
        if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
          errors.push(problem(`startup ${label} ${value} is not a whole number of at least 0`, `give startup.${label} as a whole number`));
        }
      }
    }
    if (this.template && this.started) {
      Annotations.of(this).addWarning(problem('a template VM is never running, but started is true', 'set started: false on templates'), 'homelab-cdk:started-template');
    }
    return errors;
  }

  /**
   * Problems of adopting the VM: a stated value of the existing VM that the model changes in a
   * way that makes bpg replace the VM (its ForceNew / CustomizeDiff rules), or drop a device.
   */
  private validateAdoption(): string[] {
    const adoption = this.adoption;
    if (!adoption) {
      return [];
    }
    const errors: string[] = [];
    const efi = adoption.efiDiskType;
    if (efi !== undefined && efi !== 'none' && this.efiDisk && this.efiDisk.type !== efi) {
      errors.push(
        problem(
          `the existing VM's EFI disk is ${efi} but the model's is ${this.efiDisk.type}; bpg replaces a VM whose EFI disk type changes (forceNewOnEFIDiskTypeChange), destroying it and its disks`,
          `set efiDisk.type: '${efi}' (what the VM has), or leave adopt.efiDiskType out to keep the EFI disk as it is`,
        ),
      );
    }
    if (efi !== undefined && efi !== 'none' && !this.efiDisk) {
      errors.push(problem(`the existing VM has a ${efi} EFI disk that the model lacks, so Terraform would remove it and its UEFI variables`, `add efiDisk: { storage, type: '${efi}' }`));
    }
    if (efi === 'none' && this.efiDisk) {
      Annotations.of(this).addWarning(
        problem(
          `the existing VM has no EFI disk, so Terraform adds a ${this.efiDisk.type} one in place: the guest starts with fresh UEFI variables (its boot entries are rebuilt${this.efiDisk.preEnrolledKeys ? ', Secure Boot turns on' : ''}; BitLocker may ask for its recovery key)`,
          'have the recovery key at hand before apply, or leave adopt.efiDiskType out to keep the VM without an EFI disk',
        ),
        'homelab-cdk:adopt-adds-efi-disk',
      );
    }
    const tpm = adoption.tpmVersion;
    if (tpm !== undefined && tpm !== 'none' && this.tpm && this.tpm.version !== tpm) {
      errors.push(
        problem(
          `the existing VM's TPM is ${tpm} but the model's is ${this.tpm.version}; bpg replaces a VM whose TPM version changes, destroying it and its disks`,
          `set tpm.version to the VM's (${tpm}), or leave adopt.tpmVersion out to keep the TPM state as it is`,
        ),
      );
    }
    if (tpm !== undefined && tpm !== 'none' && !this.tpm) {
      errors.push(problem(`the existing VM has a TPM ${tpm} that the model lacks, so Terraform would remove its state (and keys sealed to it)`, `add tpm: { storage, version: '${tpm}' }`));
    }
    return errors;
  }

  private validateGuest(): string[] {
    const guest = this.guest;
    if (!guest) {
      return [];
    }
    const errors: string[] = [];
    if (Homelab.of(guest) !== Homelab.of(this)) {
      errors.push(problem(`guest ${guest.hostName} belongs to another lab`, 'use a Host of this lab'));
    }
    if (guest.hardware.kind !== HardwareKind.QEMU_GUEST) {
      errors.push(problem(`guest ${guest.hostName} has the ${guest.hardware.kind} hardware profile, not the VM guest one`, 'create the Host with hardware: HardwareProfile.qemuGuest()'));
    }
    if (this.explicitMemory !== undefined && guest.memory !== undefined && this.explicitMemory.compareTo(guest.memory) !== 0) {
      errors.push(problem(`the VM has ${this.explicitMemory} of memory but its guest ${guest.hostName} says ${guest.memory}`, 'state the memory once: on the Host (the VM takes it) or on the VM'));
    }
    if (guest.cpuThreads !== undefined && guest.cpuThreads !== this.cores) {
      errors.push(problem(`the VM has ${this.cores} cores but its guest ${guest.hostName} says ${guest.cpuThreads} CPU threads`, `make them agree (cores: ${guest.cpuThreads}, or drop cpuThreads from the Host)`));
    }
    if (this.bios === Bios.OVMF && guest.hardware.kind === HardwareKind.QEMU_GUEST) {
      errors.push(problem(`guest ${guest.hostName} boots with GRUB on a BIOS disk (the VM guest profile), but the VM firmware is OVMF (UEFI)`, 'leave bios at Bios.SEABIOS for a NixOS VM'));
    }
    const others = VMS_BY_GUEST.of(this).get(guest) ?? [];
    if (others[0] && others[0] !== this) {
      errors.push(problem(`guest ${guest.hostName} is also the guest of ${displayPath(others[0])}`, 'give each NixOS host one VM'));
    }
    return errors;
  }

  private validateResources(): string[] {
    const errors: string[] = [];
    if (!Number.isInteger(this.cores) || this.cores < 1) {
      errors.push(problem(`cores is ${this.cores}`, 'give a whole number of cores, at least 1'));
    } else {
      const threads = this.hypervisor.host.cpuThreads;
      // qemu-server refuses to start a VM with more vCPUs than the node has logical CPUs:
      // "MAX <n> vcpus allowed per VM on this node" (PVE::QemuServer::config_to_command).
      if (threads !== undefined && this.cores > threads) {
        errors.push(
          problem(
            `the VM has ${this.cores} cores but ${this.hypervisor.host.hostName} has ${threads} CPU threads; Proxmox refuses to start it ("MAX ${threads} vcpus allowed per VM on this node")`,
            `give it at most ${threads} cores, or correct cpuThreads on ${this.hypervisor.host.hostName} if it has more`,
          ),
        );
      }
    }
    const mib = this.memory.to('MiB');
    if (!Number.isInteger(mib) || mib < 64) {
      errors.push(problem(`memory ${this.memory} is not a whole number of MiB of at least 64`, 'give memory in whole MiB, such as Size.mebibytes(4096)'));
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]*$/.test(this.cpuType)) {
      errors.push(problem(`CPU type "${this.cpuType}" is not a QEMU CPU model name`, 'use a model such as "host" or "x86-64-v2-AES"'));
    }
    return errors;
  }

  private validateBoot(): string[] {
    const errors: string[] = [];
    const boot = this.boot.details;
    switch (boot.kind) {
      case BootKind.ISO: {
        const image = boot.image;
        if (image.kind !== ImageKind.ISO) {
          errors.push(problem(`boot image ${displayPath(image)} is a disk image, not an ISO`, 'use BootSource.cloudImage for a disk image'));
        }
        errors.push(...this.storageProblems(image.storage, `the ISO ${image.fileName}`));
        errors.push(...this.driverProblems(boot.drivers));
        break;
      }
      case BootKind.CLOUD_IMAGE: {
        const image = boot.image;
        if (image.kind !== ImageKind.DISK_IMAGE) {
          errors.push(problem(`boot image ${displayPath(image)} is an ISO, not a disk image`, 'use BootSource.iso for an ISO'));
        }
        errors.push(...this.storageProblems(image.storage, `the disk image ${image.fileName}`));
        if (this.diskProps.length === 0) {
          errors.push(problem('the cloud image needs a disk to be imported into, and the VM has none', 'add a disk (the image goes into the first one)'));
        }
        errors.push(...nixosAnywhereProblems(this, boot.nixosAnywhere));
        break;
      }
      case BootKind.CLONE: {
        const { template, templateVmid } = boot;
        const templateNode = boot.template === undefined ? boot.templateNode : undefined;
        const templateOnSharedStorage = boot.template === undefined ? boot.templateOnSharedStorage : undefined;
        if (template) {
          if (template === this) {
            errors.push(problem('the VM is a clone of itself', 'clone a template VM'));
          } else if (!template.template) {
            errors.push(problem(`${displayPath(template)} is cloned but is not a template`, 'set template: true on it'));
          }
          if (Homelab.of(template) !== Homelab.of(this)) {
            errors.push(problem(`template ${displayPath(template)} belongs to another lab`, 'clone a template of this lab'));
          }
        }
        if (templateVmid !== undefined && (!Number.isInteger(templateVmid) || templateVmid < 100 || templateVmid > 999_999_999)) {
          errors.push(problem(`template vmid ${templateVmid} is outside 100–999999999`, 'give the vmid of the template'));
        }
        if (templateNode && Homelab.of(templateNode) !== Homelab.of(this)) {
          errors.push(problem(`template node ${displayPath(templateNode)} belongs to another lab`, 'use a Proxmox host of this lab'));
        }
        errors.push(...this.cloneSourceProblems(template));
        if (templateNode && templateNode !== this.hypervisor && templateOnSharedStorage && (this.hypervisor.cluster === undefined || templateNode.cluster !== this.hypervisor.cluster)) {
          errors.push(
            problem(
              `the template ${templateVmid} is on ${templateNode.nodeName} and the VM on ${this.hypervisor.nodeName}, which are not one Proxmox cluster, so no storage is shared between them`,
              `clone a template on ${this.hypervisor.nodeName}, or make both nodes members of one ProxmoxCluster`,
            ),
          );
        }
        if (templateNode && templateNode !== this.hypervisor && !templateOnSharedStorage) {
          errors.push(
            problem(
              `the template ${templateVmid} is on ${templateNode.nodeName} and the VM on ${this.hypervisor.nodeName}; Proxmox clones onto another node only from storage both reach`,
              `clone a template on ${this.hypervisor.nodeName}, or set sharedStorage: true in BootSource.cloneExisting if the template's disks are on shared storage of one Proxmox cluster`,
            ),
          );
        }
        break;
      }
      default:
        break;
    }
    return errors;
  }

  /**
   * Problems of an installer's drivers ISO, and the warning that Windows setup sees no disk on a
   * virtio bus without them (Windows has no inbox virtio-scsi or virtio-blk driver).
   */
  private driverProblems(drivers: VmImage | undefined): string[] {
    if (drivers) {
      if (drivers.kind !== ImageKind.ISO) {
        return [problem(`the drivers image ${displayPath(drivers)} is a disk image, not an ISO`, 'give an ISO, such as virtio-win.iso')];
      }
      return this.storageProblems(drivers.storage, `the drivers ISO ${drivers.fileName}`);
    }
    const windows = isWindows(this.osType);
    const virtioDisk = this.disks.find((d) => d.interface.startsWith('scsi') || d.interface.startsWith('virtio'));
    if (windows && virtioDisk && !this.adoption) {
      Annotations.of(this).addWarning(
        problem(
          `Windows setup has no driver for the virtio disk ${virtioDisk.interface}, so it finds no disk to install to`,
          "give the virtio-win ISO: BootSource.iso(installer, { drivers: storage.addImage('virtio-win', { kind: ImageKind.ISO, url: 'https://fedorapeople.org/groups/virt/virtio-win/direct-downloads/stable-virtio/virtio-win.iso' }) }), or install onto a sata0 disk",
        ),
        'homelab-cdk:windows-without-virtio-drivers',
      );
    }
    return [];
  }

  /**
   * Problems of a clone of a template of the model: it must be reachable from the VM's node
   * (on the same node, or on shared storage), and in the VM's stack, so that the clone's
   * resource refers to the template's and Terraform creates the template first.
   */
  private cloneSourceProblems(template: ProxmoxVm | undefined): string[] {
    if (!template || template === this || !ProxmoxVm.isProxmoxVm(template)) {
      return [];
    }
    const errors: string[] = [];
    const node = this.hypervisor;
    if (template.hypervisor !== node && (node.cluster === undefined || template.hypervisor.cluster !== node.cluster)) {
      errors.push(
        problem(
          `the template ${displayPath(template)} is on ${template.hypervisor.nodeName} and the VM on ${node.nodeName}, which are not one Proxmox cluster; Proxmox clones only within a cluster`,
          `clone a template on ${node.nodeName} (make one there), or make both nodes members of one ProxmoxCluster with the template's disks on its shared storage`,
        ),
      );
    } else if (template.hypervisor !== node) {
      const local = [...new Set(template.disks.map((d) => d.storage).filter((st) => !st.shared).map((st) => `${st.storageId} (${st.type})`))];
      if (local.length > 0 || template.disks.length === 0) {
        errors.push(
          problem(
            `the template ${displayPath(template)} is on ${template.hypervisor.nodeName} and the VM on ${this.hypervisor.nodeName}; Proxmox clones onto another node only from storage both reach, and the template's disks are on ${local.join(', ') || 'no storage'}, local to ${template.hypervisor.nodeName}`,
            `clone a template on ${this.hypervisor.nodeName} (make one there), or run the VM on ${template.hypervisor.nodeName}`,
          ),
        );
      }
    }
    if (template.stack !== this.stack) {
      errors.push(
        problem(
          `the template ${displayPath(template)} is in stack ${template.stack?.stackName ?? '(none)'} and the clone in ${this.stack?.stackName ?? '(none)'}, so Terraform cannot order the clone after its template`,
          `put the clone in the template's stack (stack: ${template.stack?.stackName ?? 'its stack'})`,
        ),
      );
    }
    return errors;
  }

  /** The storage of the user-data snippet. */
  public get snippetStorage(): ProxmoxStorage | undefined {
    return snippetStorageOf(this.cloudInit, this.hypervisor);
  }

  /** Problems of a storage used by this VM: one of its node's, with the content asked for. */
  private storageProblems(storage: ProxmoxStorage, what: string): string[] {
    return storageUseProblems(this.hypervisor, storage, what);
  }

  /** The role it gives its host: the VM of a NixOS guest; a plain VM is no host. */
  public hostRoles(): HostRole[] {
    return this.guest ? [{ host: this.guest, summary: `VM ${this.vmid} on ${this.hypervisor.host.hostName}` }] : [];
  }

  /** What it adds to the summary: its line among its hypervisor's VMs. */
  public summaryParts(): SummaryPart[] {
    return [{ kind: SummaryPartKind.VM, hypervisor: this.hypervisor.host.hostName, vmid: this.vmid, name: this.vmName, cores: this.cores, memory: this.memory, guest: this.guest?.hostName }];
  }
}

interface VmIndex {
  readonly byVmid: Map<number, ProxmoxVm[]>;
  readonly byName: Map<string, ProxmoxVm[]>;
  readonly byMac: Map<string, Array<NicOwner<ProxmoxVm>>>;
}

/** Every VM of the lab by vmid, name and NIC MAC, in construct order (the first one owns a value). */
function indexVms(root: IConstruct): VmIndex {
  const index: VmIndex = { byVmid: new Map(), byName: new Map(), byMac: new Map() };
  const add = <K, V>(map: Map<K, V[]>, key: K, value: V) => {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  };
  for (const vm of PROXMOX_VM.all(root)) {
    add(index.byVmid, vm.vmid, vm);
    add(index.byName, vm.vmName, vm);
    vm.nics.forEach((nic, i) => add(index.byMac, nic.macAddress, { vm, nic: i }));
  }
  return index;
}

function vmsByGuest(root: IConstruct): Map<Host, ProxmoxVm[]> {
  const index = new Map<Host, ProxmoxVm[]>();
  for (const vm of PROXMOX_VM.all(root)) {
    if (vm.guest) {
      const list = index.get(vm.guest);
      if (list) list.push(vm);
      else index.set(vm.guest, [vm]);
    }
  }
  return index;
}

/** The VMs of the lab by vmid and name, once per validation run. */
const VM_INDEX = runIndex((root) => indexVms(root));

/** The VMs of the lab by their NixOS guest, once per validation run. */
const VMS_BY_GUEST = runIndex((root) => vmsByGuest(root));
