/** A small Proxmox lab for the compute and Terraform tests, and test-only stand-ins. */
import { Construct } from 'constructs';
import { Addressing, Annotations, HardwareProfile, Homelab, Host, HostProps, IMemoryReservation, IZfsStorageBacking, MEMORY_RESERVATION, ProxmoxHost, ProxmoxHostProps, ProxmoxStorage, ProxmoxVm, ProxmoxVmProps, Size, StorageBacking, StorageContent, User, validateLab } from '../../lib/internal';
import { smallLab } from './labs';

/**
 * A ZFS pool or dataset as the storage part of the library describes it, reduced to what a
 * Proxmox storage needs (test-only: the real ZfsPool lives elsewhere).
 */
export class TestZfsDataset extends Construct implements IZfsStorageBacking {
  public constructor(
    public readonly host: Host,
    id: string,
    public readonly datasetName: string,
    public readonly storageId: string,
  ) {
    super(host, id);
  }
}

/** Memory a part of a host holds (test-only stand-in for the ZFS ARC settings). */
export class TestMemoryReservation extends Construct implements IMemoryReservation {
  public readonly reservationDescription = 'ZFS ARC maximum';
  public constructor(
    scope: Host,
    id: string,
    public readonly reservedMemory: Size,
  ) {
    super(scope, id);
    MEMORY_RESERVATION.mark(this);
  }
}

/** The constructs of {@link proxmoxLab}. */
export interface ProxmoxTestLab {
  readonly lab: Homelab;
  readonly admin: User;
  readonly pve: Host;
  readonly proxmox: ProxmoxHost;
  /** A directory storage (`local`) for images and snippets. */
  readonly local: ProxmoxStorage;
  /** A ZFS storage (`tank`) backed by the test dataset `tank/vms`. */
  readonly tank: ProxmoxStorage;
}

/**
 * A lab on 10.0.0.0/24 with the Proxmox host `pve` (10.0.0.2, interface eno1, 32 GiB, 8 threads),
 * its storages `local` (directory) and `tank` (ZFS, tank/vms).
 */
export function proxmoxLab(options: { host?: Partial<HostProps>; proxmox?: ProxmoxHostProps } = {}): ProxmoxTestLab {
  const { lab, admin } = smallLab();
  const pve = new Host(lab, 'pve', {
    hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd', interfaceName: 'eno1' }),
    ipAddress: '10.0.0.2',
    macAddress: 'a8:a1:59:00:00:02',
    addressing: Addressing.STATIC,
    memory: Size.gibibytes(32),
    cpuThreads: 8,
    ...options.host,
  });
  const proxmox = new ProxmoxHost(pve, 'proxmox', options.proxmox);
  // The default proxmox-nixos pin builds from NixOS 25.11 and these labs run 26.05; the tests
  // that use this helper are about VMs and storages (proxmox-nix.test.ts checks the warning).
  Annotations.of(proxmox).acknowledgeWarning('homelab-cdk:proxmox-nixos-release', 'tests of VMs and storages, not of the pin');
  const local = proxmox.addStorage('local', { backing: StorageBacking.directory('/var/lib/vz') });
  const dataset = new TestZfsDataset(pve, 'tank-vms', 'tank/vms', 'tank');
  const tank = proxmox.addStorage('tank', { backing: StorageBacking.zfs(dataset), content: [StorageContent.IMAGES] });
  return { lab, admin, pve, proxmox, local, tank };
}

/** A plain VM on the test lab's host with a 16 GiB disk on tank. */
export function plainVm(t: ProxmoxTestLab, id: string, vmid: number, props: Partial<ProxmoxVmProps> = {}): ProxmoxVm {
  return new ProxmoxVm(t.lab, id, { hypervisor: t.proxmox, vmid, disks: [{ storage: t.tank, size: Size.gibibytes(16) }], ...props });
}

/** Error messages of a lab as `path: message`. */
export function errorsOf(lab: Homelab): string[] {
  return validateLab(lab).errors.map((f) => `${f.path}: ${f.message}`);
}

/** Warning messages of a lab as `path: message`. */
export function warningsOf(lab: Homelab): string[] {
  return validateLab(lab).warnings.map((f) => `${f.path}: ${f.message}`);
}

/** The one finding of a list that matches, failing clearly when there is not exactly one. */
export function only(findings: string[], pattern: RegExp): string {
  const hits = findings.filter((f) => pattern.test(f));
  if (hits.length !== 1) {
    throw new Error(`expected one finding matching ${pattern}, got ${hits.length}:\n${findings.join('\n')}`);
  }
  return hits[0];
}
