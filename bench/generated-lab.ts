/**
 * Generated labs for the benchmark: the reference lab's shape, repeated until it has the number
 * of VMs asked for. Written with the public API only, like a user's lab, and valid (the benchmark
 * checks that synthesis reports no warning, so every generated lab passes the same validation a
 * real one does).
 *
 * Per ten VMs the lab has, as the reference lab has for its eight:
 * - one Proxmox host (bare metal, static address, 64 GiB, 16 threads) with a mirrored ZFS pool
 *   `tank` (and its dataset `vms`), ARC limits, the Proxmox storages `local` (directory, images)
 *   and `tank` (ZFS), a NixOS installer ISO and a Debian cloud image, and its own Terraform stack;
 * - three NixOS VMs, each a Host of the flake (and a k3s node) in a ProxmoxVm;
 * - seven plain VMs of a VmFamily (cloud image, static address: each gets a DHCP lease);
 * - two DHCP leases of devices the lab does not model otherwise (printers, phones).
 *
 * Once per lab: the admin user, a Raspberry Pi with dnsmasq (DHCP and DNS for every address
 * above), the k3s cluster (the first NixOS VM is its server, the others and the Pi are agents)
 * and AdGuard Home on the Pi.
 *
 * Addresses come from 10.0.0.0/16 in order (10.0.1.1, 10.0.1.2, …), so a lab of 1000 VMs fits
 * with room to spare; the dynamic DHCP pool is 10.0.255.0/24.
 */
import {
  AdGuardHome,
  Annotations,
  Addressing,
  BootSource,
  Disk,
  DnsUpstream,
  Dnsmasq,
  HardwareProfile,
  Homelab,
  Host,
  ImageKind,
  K3sCluster,
  K3sComponent,
  ProxmoxHost,
  ProxmoxStack,
  ProxmoxVm,
  Secret,
  Size,
  StorageBacking,
  StorageContent,
  User,
  VdevLayout,
  VmFamily,
  ZfsPool,
  ZfsSettings,
} from '../lib';

/** VMs per Proxmox host (as the reference lab's eight on maxdata, rounded). */
export const VMS_PER_PROXMOX_HOST = 10;
/** Of those, NixOS VMs (Hosts of the flake and k3s nodes); the rest are plain VMs. */
export const NIXOS_VMS_PER_PROXMOX_HOST = 3;
/** DHCP leases of unmodelled devices per Proxmox host. */
export const DEVICE_LEASES_PER_PROXMOX_HOST = 2;

/** What a generated lab holds, for the benchmark's table. */
export interface GeneratedLabCounts {
  readonly vms: number;
  readonly proxmoxHosts: number;
  /** NixOS hosts: the Proxmox hosts, the NixOS VMs and the Pi. */
  readonly nixosHosts: number;
  readonly plainVms: number;
  readonly deviceLeases: number;
  /** Constructs in the tree. */
  readonly constructs: number;
}

/** A generated lab and its counts. */
export interface GeneratedLab {
  readonly lab: Homelab;
  readonly counts: GeneratedLabCounts;
}

/** A valid lab with `vmCount` VMs (a multiple of ten; at least ten), and the rest in proportion. */
export function buildGeneratedLab(vmCount: number): GeneratedLab {
  if (!Number.isInteger(vmCount) || vmCount < VMS_PER_PROXMOX_HOST || vmCount % VMS_PER_PROXMOX_HOST !== 0) {
    throw new Error(`the generated lab needs a multiple of ${VMS_PER_PROXMOX_HOST} VMs, not ${vmCount}`);
  }
  const lab = new Homelab({
    name: `bench-${vmCount}`,
    domain: 'home.arpa',
    timeZone: 'Europe/Berlin',
    network: {
      cidr: '10.0.0.0/16',
      gateway: '10.0.0.1',
      dhcpRange: { start: '10.0.255.1', end: '10.0.255.254' },
    },
  });
  const addresses = addressAllocator();
  const admin = new User(lab, 'admin', {
    sudo: true,
    sshKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM1QFYlN+n1fxJxVnzJXKcWIXGWwCci+KPGlJTpcIFIC admin@bench'],
  });

  // The network anchor, as pi-network in the reference lab.
  const pi = new Host(lab, 'pi-network', {
    hardware: HardwareProfile.raspberryPi4(),
    ipAddress: addresses.next(),
    macAddress: 'dc:a6:32:00:00:01',
    addressing: Addressing.STATIC,
    memory: Size.gibibytes(4),
    cpuThreads: 4,
  });
  const cluster = new K3sCluster(lab, 'k3s', {
    token: Secret.fromSops({ name: 'k3s-token' }),
    disable: [K3sComponent.TRAEFIK, K3sComponent.SERVICELB],
  });
  const adguard = new AdGuardHome(cluster, 'adguard-home', { host: pi, dnsPort: 5353, upstreams: [DnsUpstream.CLOUDFLARE, DnsUpstream.GOOGLE] });
  const dnsmasq = new Dnsmasq(pi, 'dnsmasq', { upstreams: [adguard, DnsUpstream.CLOUDFLARE, DnsUpstream.GOOGLE] });

  const proxmoxHosts = vmCount / VMS_PER_PROXMOX_HOST;
  let nixosVms = 0;
  let plainVms = 0;
  let deviceLeases = 0;
  for (let h = 1; h <= proxmoxHosts; h++) {
    const pveName = `pve-${pad(h, 3)}`;
    const pve = new Host(lab, pveName, {
      hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd', interfaceName: 'enp3s0' }),
      ipAddress: addresses.next(),
      macAddress: mac('a8:a1:59', h),
      addressing: Addressing.STATIC,
      memory: Size.gibibytes(64),
      cpuThreads: 16,
    });
    new ZfsSettings(pve, 'zfs', { arcMax: Size.gibibytes(8), arcMin: Size.gibibytes(2), scrub: 'monthly', trim: 'weekly' });
    const disks = ['A', 'B'].map((side) =>
      Disk.byId(`/dev/disk/by-id/ata-WDC_WD40EFPX-68C6CN0_WD-BENCH${pad(h, 4)}${side}`, { size: Size.terabytes(4) }),
    );
    const tankPool = new ZfsPool(pve, 'tank');
    tankPool.addDataVdev({ layout: VdevLayout.MIRROR, devices: disks });
    const vmsDataset = tankPool.addDataset('vms');

    const proxmox = new ProxmoxHost(pve, 'proxmox');
    // The default proxmox-nixos pin builds from NixOS 25.11, the lab runs 26.05: known, and not what is measured.
    Annotations.of(proxmox).acknowledgeWarning('homelab-cdk:proxmox-nixos-release', 'the benchmark measures synthesis, not the pin');
    const local = proxmox.addStorage('local', {
      backing: StorageBacking.directory('/var/lib/vz'),
      content: [StorageContent.ISO, StorageContent.IMPORT, StorageContent.SNIPPETS, StorageContent.BACKUP],
    });
    // The storage is the dataset's, tank-vms (the construct id says so: see ProxmoxStorage).
    const tank = proxmox.addStorage('tank-vms', { backing: StorageBacking.zfs(vmsDataset) });
    const nixosIso = local.addImage('nixos-installer', {
      kind: ImageKind.ISO,
      url: `https://channels.nixos.org/nixos-${lab.nixosRelease}/latest-nixos-minimal-x86_64-linux.iso`,
      fileName: `nixos-${lab.nixosRelease}-minimal-x86_64-linux.iso`,
    });
    const debian = local.addImage('debian-13', {
      kind: ImageKind.DISK_IMAGE,
      url: 'https://cloud.debian.org/images/cloud/trixie/latest/debian-13-genericcloud-amd64.qcow2',
    });
    const stack = new ProxmoxStack(lab, `stack-${pad(h, 3)}`, { endpoint: proxmox });

    const firstVmid = 100 + (h - 1) * VMS_PER_PROXMOX_HOST;
    for (let n = 0; n < NIXOS_VMS_PER_PROXMOX_HOST; n++) {
      const guest = new Host(lab, `nixvm-${pad(h, 3)}-${n + 1}`, { hardware: HardwareProfile.qemuGuest(), ipAddress: addresses.next() });
      new ProxmoxVm(lab, `${guest.hostName}-vm`, {
        hypervisor: proxmox,
        vmid: firstVmid + n,
        guest,
        stack,
        memory: Size.mebibytes(4096),
        disks: [{ size: Size.gibibytes(32), storage: tank }],
        boot: BootSource.iso(nixosIso),
        tags: ['k3s', 'nixos'],
      });
      if (nixosVms === 0) {
        cluster.addServer(guest);
      } else {
        cluster.addAgent(guest);
      }
      nixosVms++;
    }
    const family = new VmFamily(lab, `standard-${pad(h, 3)}`, {
      hypervisor: proxmox,
      stack,
      cores: 2,
      memory: Size.mebibytes(4096),
      disks: [{ size: Size.gibibytes(32), storage: tank }],
      boot: BootSource.cloudImage(debian),
      cloudInit: { user: admin },
      tags: ['standard'],
    });
    for (let n = NIXOS_VMS_PER_PROXMOX_HOST; n < VMS_PER_PROXMOX_HOST; n++) {
      family.addVm(`vm-${pad(h, 3)}-${n + 1}`, { vmid: firstVmid + n, ipAddress: addresses.next() });
      plainVms++;
    }
    for (let d = 1; d <= DEVICE_LEASES_PER_PROXMOX_HOST; d++) {
      dnsmasq.addLease(`device-${pad(h, 3)}-${d}`, { macAddress: mac('3c:2a:f4', h * 16 + d), ipAddress: addresses.next() });
      deviceLeases++;
    }
  }
  cluster.addAgent(pi, { labels: { 'homelab/role': 'network' } });

  return {
    lab,
    counts: {
      vms: nixosVms + plainVms,
      proxmoxHosts,
      nixosHosts: proxmoxHosts + nixosVms + 1,
      plainVms,
      deviceLeases,
      constructs: lab.node.findAll().length,
    },
  };
}

/** Hands out 10.0.1.1, 10.0.1.2, … 10.0.1.254, 10.0.2.1, … (never .0 or .255). */
function addressAllocator(): { next(): string } {
  let n = 0;
  return {
    next() {
      const third = 1 + Math.floor(n / 254);
      const fourth = 1 + (n % 254);
      n++;
      if (third >= 255) {
        throw new Error('the generated lab ran out of addresses below the dynamic pool');
      }
      return `10.0.${third}.${fourth}`;
    },
  };
}

/** A MAC address: a vendor prefix (three octets) and a number in the last three. */
function mac(prefix: string, n: number): string {
  return `${prefix}:${[(n >> 16) & 255, (n >> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
