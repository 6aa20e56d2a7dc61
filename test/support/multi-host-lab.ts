/**
 * A lab with two separate Proxmox hosts (pve-a, pve-b, each its own API) and a three-node
 * Proxmox VE cluster (pve1–pve3, one API on pve1, a shared NFS storage), each with a template
 * and clones of it; the cluster keeps two VMs under HA. Written for the tests, not a reference.
 *
 *   npx tsx test/support/multi-host-lab.ts <folder>   # writes <folder>/<stack>/cdk.tf.json (.ci/run validates them)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Annotations,
  Addressing,
  BootSource,
  HardwareProfile,
  Homelab,
  Host,
  ProxmoxCluster,
  ProxmoxHost,
  ProxmoxStack,
  ProxmoxStorage,
  ProxmoxVm,
  renderTerraformStacks,
  Size,
  StorageBacking,
  StorageContent,
  StorageType,
} from '../../lib/internal';
import { TestZfsDataset } from './compute';
import { smallLab, vmHost } from './labs';

/** A Proxmox host of the multi-host lab with its ZFS storage `tank`. */
export interface MultiHostNode {
  readonly proxmox: ProxmoxHost;
  readonly tank: ProxmoxStorage;
}

/** The constructs of {@link multiHostLab}. */
export interface MultiHostLab {
  readonly lab: Homelab;
  readonly a: MultiHostNode;
  readonly b: MultiHostNode;
  readonly members: readonly MultiHostNode[];
  readonly cluster: ProxmoxCluster;
  /** The cluster's shared NFS storage (declared on pve1). */
  readonly shared: ProxmoxStorage;
  readonly stacks?: { readonly siteA: ProxmoxStack; readonly siteB: ProxmoxStack; readonly cluster: ProxmoxStack };
  readonly vms: Readonly<Record<string, ProxmoxVm>>;
}

function proxmoxNode(lab: Homelab, name: string, octet: number): MultiHostNode {
  const host = new Host(lab, name, {
    hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd', interfaceName: 'eno1' }),
    ipAddress: `10.0.0.${octet}`,
    macAddress: `a8:a1:59:00:00:${octet.toString(16).padStart(2, '0')}`,
    addressing: Addressing.STATIC,
    memory: Size.gibibytes(64),
    cpuThreads: 16,
  });
  const proxmox = new ProxmoxHost(host, 'proxmox');
  // The default proxmox-nixos pin builds from NixOS 25.11 and these labs run 26.05: not what they test.
  Annotations.of(proxmox).acknowledgeWarning('homelab-cdk:proxmox-nixos-release', 'tests of clusters and stacks, not of the pin');
  const tank = proxmox.addStorage('tank', { backing: StorageBacking.zfs(new TestZfsDataset(host, 'tank-vms', 'tank/vms', 'tank')), content: [StorageContent.IMAGES] });
  return { proxmox, tank };
}

/**
 * The lab; with `stacks: false` it declares no ProxmoxStack and gets the default stacks (one
 * per API), else one stack per API: site-a, site-b and cluster.
 */
export function multiHostLab(options: { stacks?: boolean } = {}): MultiHostLab {
  const { lab } = smallLab();
  const a = proxmoxNode(lab, 'pve-a', 11);
  const b = proxmoxNode(lab, 'pve-b', 12);
  const members = [proxmoxNode(lab, 'pve1', 21), proxmoxNode(lab, 'pve2', 22), proxmoxNode(lab, 'pve3', 23)];
  // storage.cfg is one for the whole cluster: the NFS storage is declared once, on pve1.
  const shared = members[0].proxmox.addStorage('nfs', { backing: StorageBacking.existing(StorageType.DIRECTORY), content: [StorageContent.IMAGES, StorageContent.ISO] });
  const cluster = new ProxmoxCluster(lab, 'pvec', { members: members.map((m) => m.proxmox), sharedStorages: [shared] });
  const stacks =
    options.stacks === false
      ? undefined
      : {
          siteA: new ProxmoxStack(lab, 'site-a', { endpoint: a.proxmox }),
          siteB: new ProxmoxStack(lab, 'site-b', { endpoint: b.proxmox }),
          cluster: new ProxmoxStack(lab, 'cluster', { endpoint: cluster }),
        };
  const disk = (storage: ProxmoxStorage) => [{ storage, size: Size.gibibytes(16) }];
  const vm = (id: string, node: MultiHostNode, vmid: number, props: Partial<ConstructorParameters<typeof ProxmoxVm>[2]> = {}) =>
    new ProxmoxVm(lab, id, { hypervisor: node.proxmox, vmid, disks: disk(node.tank), ...props });

  // Each separate host clones its own template; vmids are unique across the lab.
  const baseA = vm('base-a', a, 9000, { template: true, started: false });
  const baseB = vm('base-b', b, 9001, { template: true, started: false });
  // The cluster's template lives on the shared storage, so every member can clone it.
  const baseC = vm('base-c', members[0], 9100, { template: true, started: false, disks: disk(shared) });
  const vms: Record<string, ProxmoxVm> = {
    baseA,
    baseB,
    baseC,
    webA: vm('web-a', a, 110, { boot: BootSource.clone(baseA) }),
    webB: vm('web-b', b, 120, { boot: BootSource.clone(baseB) }),
    app1: vm('app-1', members[1], 130, { boot: BootSource.clone(baseC), disks: disk(shared) }),
    app2: vm('app-2', members[2], 131, { boot: BootSource.clone(baseC), disks: disk(shared) }),
    db: vm('db', members[0], 132),
    node: new ProxmoxVm(lab, 'k3s-vm', { hypervisor: members[2].proxmox, vmid: 201, guest: vmHost(lab, 'k3s-1', '10.0.0.31'), disks: disk(members[2].tank) }),
  };
  const prefer2 = cluster.addHaGroup('prefer-pve2', { nodes: [{ host: members[1].proxmox, priority: 2 }, { host: members[2].proxmox, priority: 1 }] });
  cluster.addHaResource(vms.app1, { group: prefer2 });
  cluster.addHaResource(vms.app2, { maxRestart: 2 });
  return { lab, a, b, members, cluster, shared, stacks, vms };
}

if (require.main === module) {
  const out = process.argv[2];
  if (!out) {
    throw new Error('usage: tsx test/support/multi-host-lab.ts <folder>');
  }
  for (const file of renderTerraformStacks(multiHostLab().lab)) {
    fs.mkdirSync(path.join(out, path.dirname(file.path)), { recursive: true });
    fs.writeFileSync(path.join(out, file.path), file.content);
  }
}
