/**
 * A minimal lab to start your own from: one Proxmox VE host on NixOS with a mirrored ZFS pool
 * for its VMs, and two VMs — a NixOS VM that is a host of the flake, and a Debian VM from a
 * cloud image. No Raspberry Pi, no DHCP server of the lab's own (the router hands out addresses),
 * no cluster.
 *
 *   npx homelab synth --app lab.ts      # dist/nix (flake), dist/terraform (VMs)
 *
 * Replace every value marked EXAMPLE with your own.
 */
import {
  Addressing,
  Annotations,
  BootSource,
  Disk,
  HardwareProfile,
  Homelab,
  Host,
  ImageKind,
  ProxmoxHost,
  ProxmoxStack,
  ProxmoxVm,
  Size,
  SnapshotPolicy,
  StorageBacking,
  StorageContent,
  User,
  VdevLayout,
  ZfsPool,
  ZfsSettings,
} from 'homelab-cdk';

export default function buildLab(): Homelab {
  const lab = new Homelab({
    name: 'minimal',
    domain: 'home.arpa',
    timeZone: 'Europe/Amsterdam',
    network: {
      cidr: '10.0.0.0/24',
      gateway: '10.0.0.1',
      // The router's DHCP pool; the static addresses below lie outside it.
      dhcpRange: { start: '10.0.0.100', end: '10.0.0.199' },
    },
  });

  const admin = new User(lab, 'admin', {
    sudo: true,
    // EXAMPLE: your public key (~/.ssh/id_ed25519.pub).
    sshKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM1QFYlN+n1fxJxVnzJXKcWIXGWwCci+KPGlJTpcIFIC admin@laptop'],
  });

  // The hypervisor: NixOS on its own SSD (labelled "nixos" and "boot" by the installer).
  const pve = new Host(lab, 'pve', {
    description: 'Proxmox VE hypervisor',
    hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd', interfaceName: 'enp1s0' }), // EXAMPLE: `ip link`
    ipAddress: '10.0.0.2',
    macAddress: '9c:6b:00:12:34:56', // EXAMPLE: the NIC's address
    addressing: Addressing.STATIC,
    memory: Size.gibibytes(64),
    cpuThreads: 12,
  });

  // VM storage: two NVMe drives in a mirror, with hourly/daily snapshots.
  const nvme = ['S6B0NL0W100001', 'S6B0NL0W100002'].map((serial) =>
    // EXAMPLE: the ids in `ls -l /dev/disk/by-id/`
    Disk.byId(`/dev/disk/by-id/nvme-Samsung_SSD_990_PRO_2TB_${serial}`, { size: Size.terabytes(2) }),
  );
  new ZfsSettings(pve, 'zfs', { arcMax: Size.gibibytes(8), scrub: 'monthly', trim: 'weekly' });
  const vmdata = new ZfsPool(pve, 'vmdata');
  vmdata.addDataVdev({ layout: VdevLayout.MIRROR, devices: nvme });
  vmdata.snapshot(new SnapshotPolicy(pve, 'vms', { hourly: 24, daily: 14 }), { recursive: true });

  const proxmox = new ProxmoxHost(pve, 'proxmox');
  // proxmox-nixos has no revision built from NixOS 26.05 yet: Proxmox VE's packages come from
  // 25.11 (see README, "Pinning and using the flake from git"). Pin one with nixos.proxmoxNixos
  // once there is, and drop this line.
  Annotations.of(proxmox).acknowledgeWarning('homelab-cdk:proxmox-nixos-release', 'proxmox-nixos builds from NixOS 25.11 until it has a 26.05 revision');
  const local = proxmox.addStorage('local', {
    backing: StorageBacking.directory('/var/lib/vz'),
    content: [StorageContent.ISO, StorageContent.IMPORT, StorageContent.SNIPPETS],
  });
  const vms = proxmox.addStorage('vmdata', { backing: StorageBacking.zfs(vmdata) });
  // The API token comes from PROXMOX_VE_API_TOKEN when you run `cdktf deploy`.
  new ProxmoxStack(lab, 'prod', { endpoint: proxmox, insecure: true });

  const nixosIso = local.addImage('nixos-installer', {
    kind: ImageKind.ISO,
    url: `https://channels.nixos.org/nixos-${lab.nixosRelease}/latest-nixos-minimal-x86_64-linux.iso`,
    fileName: `nixos-${lab.nixosRelease}-minimal-x86_64-linux.iso`,
  });
  const debian = local.addImage('debian-13', {
    kind: ImageKind.DISK_IMAGE,
    url: 'https://cloud.debian.org/images/cloud/trixie/latest/debian-13-genericcloud-amd64.qcow2',
  });

  // A NixOS VM: a host of the flake (its MAC is derived, so its address can be leased by the
  // router) and a VM of the Terraform stack, one construct each, one MAC.
  const app = new Host(lab, 'app', { hardware: HardwareProfile.qemuGuest(), ipAddress: '10.0.0.20', packages: ['git'] });
  new ProxmoxVm(lab, 'app-vm', {
    hypervisor: proxmox,
    vmid: 110,
    guest: app,
    cores: 4,
    memory: Size.gibibytes(8),
    disks: [{ size: Size.gibibytes(64), storage: vms }],
    boot: BootSource.iso(nixosIso),
  });

  // A Debian VM from a cloud image, with the admin user and key through cloud-init.
  new ProxmoxVm(lab, 'web', {
    hypervisor: proxmox,
    vmid: 120,
    cores: 2,
    memory: Size.gibibytes(4),
    disks: [{ size: Size.gibibytes(32), storage: vms }],
    boot: BootSource.cloudImage(debian),
    cloudInit: { user: admin },
  });

  return lab;
}
