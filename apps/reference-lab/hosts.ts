/** The reference lab's machines and its admin user. */
import { Addressing, HardwareProfile, Homelab, Host, Size, User } from '../../lib';

/** The hosts of the reference lab. */
export interface ReferenceHosts {
  readonly max: User;
  readonly maxdata: Host;
  readonly piNetwork: Host;
  readonly k3sNodes: readonly [Host, Host, Host];
}

/** Adds the admin user and the five NixOS hosts. */
export function addHosts(lab: Homelab): ReferenceHosts {
  const max = new User(lab, 'max', {
    description: 'Max',
    sudo: true,
    // max's laptop key. Replace it with your own public key (~/.ssh/id_ed25519.pub).
    sshKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM1QFYlN+n1fxJxVnzJXKcWIXGWwCci+KPGlJTpcIFIC max@laptop'],
    home: {
      packages: ['ripgrep', 'fd', 'jq', 'btop'],
      shellAliases: { ll: 'ls -l', zstat: 'zpool status -x' },
    },
  });

  const maxdata = new Host(lab, 'maxdata', {
    description: 'Proxmox VE hypervisor',
    // Root, /nix and /boot live on the NVMe of the pool `fast` (storage.ts): disko mounts them.
    hardware: HardwareProfile.bareMetal({ cpuVendor: 'intel', interfaceName: 'enp3s0', rootFileSystem: false, bootFileSystem: false }),
    ipAddress: '192.168.178.97',
    // The NIC's burned-in address (an example value: read yours with `ip link`).
    macAddress: 'a8:a1:59:3c:12:7e',
    addressing: Addressing.STATIC,
    memory: Size.gibibytes(32),
    // The lab's facts do not say; a common 8-core/16-thread desktop CPU.
    cpuThreads: 16,
    packages: ['htop', 'git', 'vim', 'tmux', 'pciutils', 'smartmontools'],
  });

  const piNetwork = new Host(lab, 'pi-network', {
    description: 'network anchor: DHCP, DNS, Wake-on-LAN',
    // Powered over Ethernet (always on) through the PoE+ HAT.
    hardware: HardwareProfile.raspberryPi4({ poePlusHat: true }),
    ipAddress: '192.168.178.10',
    // The lab's facts do not say; the 4 GB Pi 4 is the usual choice for a k3s agent.
    memory: Size.gibibytes(4),
    cpuThreads: 4,
    // Raspberry Pi Foundation OUI dc:a6:32 (an example value: read yours with `ip link`).
    macAddress: 'dc:a6:32:5b:0e:11',
    // The DHCP server cannot lease its own address.
    addressing: Addressing.STATIC,
    packages: ['htop', 'git', 'vim', 'dig'],
  });

  const k3sNode = (n: number) =>
    new Host(lab, `k3s-node${n}`, {
      description: n === 1 ? 'k3s control plane (VM on maxdata)' : 'k3s worker (VM on maxdata)',
      hardware: HardwareProfile.qemuGuest(),
      ipAddress: `192.168.178.${100 + n}`,
      packages: ['htop', 'git', 'vim'],
    });

  return { max, maxdata, piNetwork, k3sNodes: [k3sNode(1), k3sNode(2), k3sNode(3)] };
}
