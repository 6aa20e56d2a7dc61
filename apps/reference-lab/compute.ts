/**
 * The reference lab's hypervisor and VMs: maxdata as the Proxmox VE host, its storages, and the
 * eight VMs that run on it (today kept in Pulumi), synthesized to Terraform.
 */
import {
  Annotations,
  Bios,
  BootSource,
  Homelab,
  ImageKind,
  MachineType,
  OsType,
  ProxmoxHost,
  ProxmoxStack,
  ProxmoxStorage,
  ProxmoxVm,
  Size,
  StorageBacking,
  StorageContent,
  TpmVersion,
  VmAdoptionProps,
  VmFamily,
} from '../../lib';
import { ReferenceHosts } from './hosts';
import { ReferenceStorage } from './storage';

/** The reference lab's compute constructs. */
export interface ReferenceCompute {
  readonly proxmox: ProxmoxHost;
  readonly storages: {
    readonly local: ProxmoxStorage;
    readonly tank: ProxmoxStorage;
    readonly fast: ProxmoxStorage;
    readonly myApp: ProxmoxStorage;
    readonly backups: ProxmoxStorage;
  };
  readonly stack: ProxmoxStack;
  readonly standard: VmFamily;
  readonly vms: {
    readonly windows11: ProxmoxVm;
    readonly myAppVm: ProxmoxVm;
    readonly web1: ProxmoxVm;
    readonly web2: ProxmoxVm;
    readonly db: ProxmoxVm;
    readonly k3sNodes: readonly [ProxmoxVm, ProxmoxVm, ProxmoxVm];
  };
}

/** Makes maxdata the Proxmox host and adds the VMs, on the storage's pools. */
export function addCompute(lab: Homelab, hosts: ReferenceHosts, storage: ReferenceStorage): ReferenceCompute {
  // vmbr0 over enp3s0, carrying 192.168.178.97 (the lab network's bridge); Cockpit on 9090.
  const proxmox = new ProxmoxHost(hosts.maxdata, 'proxmox', { cockpit: true });

  // Proxmox's own directory storage, also holding the downloaded images and the cloud-init
  // snippets (the library adds the import and snippets content on the host).
  const local = proxmox.addStorage('local', {
    backing: StorageBacking.directory('/var/lib/vz'),
    content: [StorageContent.ISO, StorageContent.IMPORT, StorageContent.SNIPPETS, StorageContent.BACKUP, StorageContent.VZTMPL],
  });
  // The Proxmox storages `tank` and `fast` are the ZFS pools of the same names. The running lab
  // has both already (the lab's facts), so the stack imports them instead of creating them.
  const tank = proxmox.addStorage('tank', { backing: StorageBacking.zfs(storage.tank), adopt: true });
  const fast = proxmox.addStorage('fast', { backing: StorageBacking.zfs(storage.fast), adopt: true });
  // The VMs' vzdump backups, in the dataset tank/vzdump (mounted by ZFS).
  const backups = proxmox.addStorage('backups', {
    backing: StorageBacking.directory(storage.vzdumpDataset.effectiveMountpoint),
    content: [StorageContent.BACKUP],
  });
  // my-app-vm's disk lives in its own dataset tank/vms/my-app, which gets sanoid snapshots. The
  // running VM's disk is there already, which Proxmox only does through a storage on that
  // dataset: the stack imports it too.
  const myApp = proxmox.addStorage('my-app', { backing: StorageBacking.zfs(storage.myAppDataset), adopt: true });

  const stack = new ProxmoxStack(lab, 'prod', { endpoint: proxmox, insecure: true });

  // The five VMs of the seed's Pulumi code run today: Terraform adopts them (imports them by
  // node/vmid, never destroys them) instead of creating them again. The k3s VMs are new.
  const existing: VmAdoptionProps = {};

  // Images: a Debian cloud image for the plain Linux VMs (the lab's facts do not name their OS),
  // which is also what the NixOS VMs first boot (nixos-anywhere's kexec works from it, and
  // cloud-init gives it max's key), and the Windows 11 ISO, uploaded by hand because Microsoft
  // publishes no stable download URL. The download is pinned to a dated build with the digest its
  // publisher lists, so a VM gets the same image whatever the day it is made: Debian's
  // 20260712-2537 trixie release (from SHA512SUMS, as lima-vm's debian-13 template records it).
  // Debian keeps dated releases for some months: bump the pin before it goes.
  const debian = local.addImage('debian-13', {
    kind: ImageKind.DISK_IMAGE,
    url: 'https://cloud.debian.org/images/cloud/trixie/20260712-2537/debian-13-genericcloud-amd64-20260712-2537.qcow2',
    checksum: { algorithm: 'sha512', value: '7ae53e9dbee282bfc16f289dec483dde3a8598769c38a267948310f7a2a52c662620198603bc52c142627efba379863d16079698a10b34102d55bcedd40e8d32' },
  });
  const windowsIso = local.addImage('windows-11', { kind: ImageKind.ISO, fileName: 'Win11_24H2_English_x64.iso' });
  // The virtio-win drivers (virtio-scsi, the virtio NIC, the guest agent) for Windows, from the
  // Fedora project's stable link, which moves with each stable release: no checksum to pin.
  const virtioWin = local.addImage('virtio-win', {
    kind: ImageKind.ISO,
    url: 'https://fedorapeople.org/groups/virt/virtio-win/direct-downloads/stable-virtio/virtio-win.iso',
  });
  const cloudInit = { user: hosts.max };

  const windows11 = new ProxmoxVm(lab, 'windows11', {
    hypervisor: proxmox,
    vmid: 100,
    cores: 4,
    cpuType: 'host',
    memory: Size.mebibytes(8192),
    disks: [{ interface: 'scsi0', size: Size.gibibytes(100), storage: tank }],
    bios: Bios.OVMF,
    machine: MachineType.Q35,
    efiDisk: { storage: tank, type: '4m', preEnrolledKeys: true },
    tpm: { storage: tank, version: TpmVersion.V2_0 },
    osType: OsType.WINDOWS_11,
    boot: BootSource.iso(windowsIso, { drivers: virtioWin }),
    tags: ['windows'],
    // The seed's Pulumi code made it with bios "ovmf" and no EFI disk, and a TPM state of the
    // provider's default version v2.0.
    adopt: { efiDiskType: 'none', tpmVersion: TpmVersion.V2_0 },
  });
  Annotations.of(windows11).acknowledgeWarning(
    'homelab-cdk:adopt-adds-efi-disk',
    'the seed made windows11 without an EFI disk (temporary UEFI variables); the first apply adds the 4m one Secure Boot needs, with the BitLocker recovery key at hand',
  );

  const myAppVm = new ProxmoxVm(lab, 'my-app-vm', {
    hypervisor: proxmox,
    vmid: 101,
    cores: 2,
    memory: Size.mebibytes(4096),
    disks: [{ size: Size.gibibytes(50), storage: myApp }],
    boot: BootSource.cloudImage(debian),
    cloudInit,
    tags: ['app'],
    adopt: existing,
  });

  // The "standard VM": 2 cores, 4096 MB, 32 GB raw on fast, virtio on vmbr0, started, on boot.
  const standard = new VmFamily(lab, 'standard', {
    hypervisor: proxmox,
    cores: 2,
    memory: Size.mebibytes(4096),
    disks: [{ size: Size.gibibytes(32), storage: fast }],
    boot: BootSource.cloudImage(debian),
    cloudInit,
    tags: ['standard'],
  });
  const web1 = standard.addVm('web-1', { vmid: 110, cores: 4, adopt: existing });
  const web2 = standard.addVm('web-2', { vmid: 111, cores: 4, adopt: existing });
  const db = standard.addVm('db', { vmid: 120, cores: 8, adopt: existing });

  // The k3s nodes are the NixOS hosts k3s-node1..3; their vmids 201–203 are this example's
  // choice (the lab's facts give none). Memory and disks are sized for k3s (also a choice):
  // 4 GiB for the control plane, 2 GiB per worker, 32 GiB on fast. They start first, the
  // control plane before the workers. Each boots the Debian cloud image once: the stack's
  // nixos-anywhere module then installs the node's own configuration from dist/nix over it, with
  // its host key, so `cdktf deploy` leaves them running NixOS (no console step).
  const k3sNode = (host: (typeof hosts.k3sNodes)[number], n: number) =>
    new ProxmoxVm(lab, `${host.hostName}-vm`, {
      hypervisor: proxmox,
      vmid: 200 + n,
      guest: host,
      cores: 2,
      memory: Size.mebibytes(n === 1 ? 4096 : 2048),
      disks: [{ size: Size.gibibytes(32), storage: fast }],
      boot: BootSource.nixosAnywhere(debian),
      cloudInit,
      startup: n === 1 ? { order: 1, upDelay: 30 } : { order: 2 },
      tags: ['k3s', 'nixos'],
    });
  const k3sNodes = [k3sNode(hosts.k3sNodes[0], 1), k3sNode(hosts.k3sNodes[1], 2), k3sNode(hosts.k3sNodes[2], 3)] as const;

  return {
    proxmox,
    storages: { local, tank, fast, myApp, backups },
    stack,
    standard,
    vms: { windows11, myAppVm, web1, web2, db, k3sNodes },
  };
}
