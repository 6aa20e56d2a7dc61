/**
 * How a VM gets its operating system: from its own disks, an ISO installer, a cloud image
 * imported into its first disk, or a clone of a template.
 */
import type { ProxmoxHost } from './proxmox-host';
import type { ProxmoxVm } from './proxmox-vm';
import type { VmImage } from './vm-image';
import { NixosAnywhereInstall, NixosAnywhereOptions, nixosAnywhereInstall } from './nixos-anywhere';

/** The kinds of boot source. */
export enum BootKind {
  /** Boots from its disks (an installed system, or network boot). */
  DISK = 'disk',
  /** Boots an ISO attached as a CD-ROM (after its disk, so an installed system wins). */
  ISO = 'iso',
  /** Its first disk is created from a disk image (a cloud image). */
  CLOUD_IMAGE = 'cloud-image',
  /** A clone of a template VM. */
  CLONE = 'clone',
}

/** Options of {@link BootSource.clone}. */
export interface CloneOptions {
  /**
   * A full clone (independent disks) rather than a linked clone.
   * @default true
   */
  readonly full?: boolean;
}

/** Options of {@link BootSource.iso}. */
export interface IsoOptions {
  /**
   * An ISO of drivers the installer needs, such as virtio-win for a Windows guest on virtio-scsi
   * disks and a virtio NIC (Windows has no inbox driver for either). The VM's stack downloads it
   * to the node. bpg/proxmox v0.111.1 gives a VM one CD-ROM only (bpg issue #718), so the
   * installer keeps it and setup loads the drivers from this ISO once it is swapped in (README).
   * @default - none
   */
  readonly drivers?: VmImage;
}

/** Options of {@link BootSource.cloneExisting}. */
export interface CloneExistingOptions extends CloneOptions {
  /**
   * The Proxmox host the template is on.
   * @default - the VM's own host
   */
  readonly node?: ProxmoxHost;
  /**
   * The template's disks are on storage that the VM's node reaches too (Proxmox clones onto
   * another node only from shared storage). Needed when `node` is another host.
   * @default false
   */
  readonly sharedStorage?: boolean;
}

/** The details of {@link BootKind.DISK}: none, the VM boots what its disks hold. */
export interface DiskBootDetails {
  /** The kind of boot source. */
  readonly kind: BootKind.DISK;
}

/** The details of {@link BootKind.ISO}. */
export interface IsoBootDetails {
  /** The kind of boot source. */
  readonly kind: BootKind.ISO;
  /** The ISO installer. */
  readonly image: VmImage;
  /** The drivers ISO of the installer, when it has one. */
  readonly drivers?: VmImage;
}

/** The details of {@link BootKind.CLOUD_IMAGE}. */
export interface CloudImageBootDetails {
  /** The kind of boot source. */
  readonly kind: BootKind.CLOUD_IMAGE;
  /** The cloud image imported into the VM's first disk. */
  readonly image: VmImage;
  /** The install of the VM's NixOS guest by nixos-anywhere over the cloud image, for {@link BootSource.nixosAnywhere}. */
  readonly nixosAnywhere?: NixosAnywhereInstall;
}

/** The details of {@link BootKind.CLONE} from a template VM of the model ({@link BootSource.clone}). */
export interface TemplateCloneBootDetails {
  /** The kind of boot source. */
  readonly kind: BootKind.CLONE;
  /** The template VM of the model the clone is made from. */
  readonly template: ProxmoxVm;
  /** Unset: the template is the model's (tells this member of the union from {@link ExistingCloneBootDetails}). */
  readonly templateVmid?: undefined;
  /** Is the clone a full clone (independent disks) rather than a linked clone? */
  readonly full: boolean;
}

/** The details of {@link BootKind.CLONE} from a template outside the model, by vmid ({@link BootSource.cloneExisting}). */
export interface ExistingCloneBootDetails {
  /** The kind of boot source. */
  readonly kind: BootKind.CLONE;
  /** Unset: the template is outside the model (tells this member of the union from {@link TemplateCloneBootDetails}). */
  readonly template?: undefined;
  /** The vmid of the template. */
  readonly templateVmid: number;
  /** The Proxmox host of the template; unset for the VM's own host. */
  readonly templateNode?: ProxmoxHost;
  /** Is the clone a full clone (independent disks) rather than a linked clone? */
  readonly full: boolean;
  /** Does the user say that the template is on shared storage? */
  readonly templateOnSharedStorage: boolean;
}

/** The details of {@link BootKind.CLONE}: narrow on `template !== undefined` to tell a model template from a vmid. */
export type CloneBootDetails = TemplateCloneBootDetails | ExistingCloneBootDetails;

/** What a boot source's kind needs: narrow on `kind` to read a kind's fields. */
export type BootSourceDetails = DiskBootDetails | IsoBootDetails | CloudImageBootDetails | TemplateCloneBootDetails | ExistingCloneBootDetails;

/** How a VM boots. Construct with one of the static factories. */
export class BootSource {
  /** From the VM's own disks. */
  public static fromDisk(): BootSource {
    return new BootSource({ kind: BootKind.DISK });
  }

  /** From an ISO image (an installer), attached as a CD-ROM after the first disk. */
  public static iso(image: VmImage, options: IsoOptions = {}): BootSource {
    return new BootSource({ kind: BootKind.ISO, image, drivers: options.drivers });
  }

  /** From a cloud image, imported into the VM's first disk when the VM is created. */
  public static cloudImage(image: VmImage): BootSource {
    return new BootSource({ kind: BootKind.CLOUD_IMAGE, image });
  }

  /**
   * A NixOS VM that comes up as its guest Host: it first boots the cloud image (imported into its
   * first disk, reachable over SSH as `cloudInit.user`), then the stack's nixos-anywhere module
   * (`terraform/all-in-one`) partitions the disk with the guest's disko layout and installs the
   * guest's configuration from the flake, with its SSH host key. Any image nixos-anywhere's kexec
   * works from will do (an x86_64 Linux with kexec, such as Debian's genericcloud image).
   */
  public static nixosAnywhere(image: VmImage, options: NixosAnywhereOptions = {}): BootSource {
    return new BootSource({ kind: BootKind.CLOUD_IMAGE, image, nixosAnywhere: nixosAnywhereInstall(options) });
  }

  /** As a clone of a template VM of the model (one with `template: true`). */
  public static clone(template: ProxmoxVm, options: CloneOptions = {}): BootSource {
    return new BootSource({ kind: BootKind.CLONE, template, full: options.full ?? true });
  }

  /** As a clone of a template that exists on Proxmox outside the model, by vmid. */
  public static cloneExisting(templateVmid: number, options: CloneExistingOptions = {}): BootSource {
    return new BootSource({ kind: BootKind.CLONE, templateVmid, templateNode: options.node, full: options.full ?? true, templateOnSharedStorage: options.sharedStorage ?? false });
  }

  private constructor(
    /** The kind's details, with the kind itself (narrow on `details.kind` to read them). */
    public readonly details: BootSourceDetails,
  ) {}

  /** The kind of boot source. */
  public get kind(): BootKind {
    return this.details.kind;
  }
}
