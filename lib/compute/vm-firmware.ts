/** A VM's firmware: BIOS or UEFI with its EFI disk, the TPM, and what the guest OS asks of them. */
import { problem } from '../core/validation';
import type { ProxmoxHost } from './proxmox-host';
import { ProxmoxStorage, StorageContent } from './proxmox-storage';
import { storageUseProblems } from './vm-placement';

/** The guest OS type, which tunes Proxmox's defaults for it (`operating_system.type`). */
export enum OsType {
  /** Linux 2.6 – 6.x. */
  LINUX = 'l26',
  /** Windows 11 / Server 2022 and later: needs UEFI and a TPM 2.0. */
  WINDOWS_11 = 'win11',
  /** Windows 10 / Server 2016 and 2019. */
  WINDOWS_10 = 'win10',
  /** Solaris / illumos. */
  SOLARIS = 'solaris',
  /** Anything else. */
  OTHER = 'other',
}

/** The firmware. */
export enum Bios {
  /** Legacy BIOS. */
  SEABIOS = 'seabios',
  /** UEFI; needs an EFI disk. */
  OVMF = 'ovmf',
}

/** The emulated chipset. */
export enum MachineType {
  /** i440FX, Proxmox's default. */
  I440FX = 'pc',
  /** Q35 (PCIe), the usual choice for UEFI guests such as Windows 11. */
  Q35 = 'q35',
}

/** A TPM version. */
export enum TpmVersion {
  /** TPM 1.2, for old guests. */
  V1_2 = 'v1.2',
  /** TPM 2.0, which Windows 11 requires. */
  V2_0 = 'v2.0',
}

/** The EFI disk of an OVMF (UEFI) VM: its UEFI variables. */
export interface EfiDiskProps {
  /** The storage it lives on. */
  readonly storage: ProxmoxStorage;
  /**
   * Its size and type: `4m` is current and needed for Secure Boot.
   * @default "4m"
   */
  readonly type?: '2m' | '4m';
  /**
   * Enroll the distribution's and Microsoft's Secure Boot keys (with `4m`).
   * @default false
   */
  readonly preEnrolledKeys?: boolean;
}

/** A virtual TPM. */
export interface TpmProps {
  /** The storage of its state. */
  readonly storage: ProxmoxStorage;
  /**
   * The TPM version.
   * @default TpmVersion.V2_0
   */
  readonly version?: TpmVersion;
}

/** The firmware fields of a VM's props (ProxmoxVmProps has them). */
export interface VmFirmwareSettings {
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
   * A virtual TPM.
   * @default - none
   */
  readonly tpm?: TpmProps;
  /**
   * The guest OS type.
   * @default OsType.LINUX
   */
  readonly osType?: OsType;
}

/** A VM's firmware with its defaults applied. */
export interface VmFirmware {
  /** The firmware. */
  readonly bios: Bios;
  /** The EFI disk, if any. */
  readonly efiDisk?: Required<EfiDiskProps>;
  /** The TPM, if any. */
  readonly tpm?: Required<TpmProps>;
  /** The guest OS type. */
  readonly osType: OsType;
}

/** A VM's firmware with its defaults applied. */
export function vmFirmware(props: VmFirmwareSettings): VmFirmware {
  return {
    bios: props.bios ?? Bios.SEABIOS,
    efiDisk: props.efiDisk && { storage: props.efiDisk.storage, type: props.efiDisk.type ?? '4m', preEnrolledKeys: props.efiDisk.preEnrolledKeys ?? false },
    tpm: props.tpm && { storage: props.tpm.storage, version: props.tpm.version ?? TpmVersion.V2_0 },
    osType: props.osType ?? OsType.LINUX,
  };
}

/** Is the guest a Windows that needs drivers for virtio devices? */
export function isWindows(osType: OsType): boolean {
  return osType === OsType.WINDOWS_11 || osType === OsType.WINDOWS_10;
}

/**
 * Problems of a VM's firmware on `node`: OVMF needs an EFI disk and only OVMF uses one, their
 * states on storages of the node that hold disks, Windows 11's UEFI and TPM 2.0.
 */
export function vmFirmwareProblems(firmware: VmFirmware, node: ProxmoxHost): string[] {
  const { bios, efiDisk, tpm, osType } = firmware;
  const errors: string[] = [];
  if (bios === Bios.OVMF && !efiDisk) {
    errors.push(problem('the VM uses OVMF (UEFI) but has no EFI disk for its UEFI variables', 'add efiDisk: { storage } (type "4m"), or use Bios.SEABIOS'));
  }
  if (bios !== Bios.OVMF && efiDisk) {
    errors.push(problem('the VM has an EFI disk but boots with SeaBIOS', 'set bios: Bios.OVMF, or drop efiDisk'));
  }
  if (efiDisk) {
    errors.push(...storageUseProblems(node, efiDisk.storage, 'the EFI disk', StorageContent.IMAGES));
  }
  if (tpm) {
    errors.push(...storageUseProblems(node, tpm.storage, 'the TPM state', StorageContent.IMAGES));
  }
  if (osType === OsType.WINDOWS_11 && tpm?.version !== TpmVersion.V2_0) {
    errors.push(
      problem(
        `Windows 11 needs a TPM 2.0, and the VM has ${tpm ? `a TPM ${tpm.version}` : 'none'}`,
        'add tpm: { storage, version: TpmVersion.V2_0 } (with bios: Bios.OVMF and an efiDisk)',
      ),
    );
  }
  if (osType === OsType.WINDOWS_11 && bios !== Bios.OVMF) {
    errors.push(problem('Windows 11 needs UEFI, and the VM boots with SeaBIOS', 'set bios: Bios.OVMF with an efiDisk'));
  }
  return errors;
}
