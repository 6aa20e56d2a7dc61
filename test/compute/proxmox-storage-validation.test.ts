import { describe, expect, it } from 'vitest';
import { Addressing, HardwareProfile, ProxmoxHost, StorageBacking, StorageType } from '../../lib';
import { errorsOf, proxmoxLab, TestZfsDataset, warningsOf } from '../support/compute';
import { raidzPool, testDisks, zfsLab, warningsOf as zfsWarningsOf, errorsOf as zfsErrorsOf } from '../storage/support';

// Issue 13, problem 6: a storage id nobody checks, and a ZFS storage that ignores its construct id.
describe('the id of a Proxmox storage', () => {
  it("refuses a ZFS storage whose construct id is not the backing's storage id, which Proxmox would get instead", () => {
    const t = proxmoxLab();
    t.proxmox.addStorage('bulk', { backing: StorageBacking.zfs(new TestZfsDataset(t.pve, 'bulk-vms', 'bulk/vms', 'bulk-vms')) });
    expect(errorsOf(t.lab)).toEqual([
      'testlab/pve/proxmox/bulk: the storage is called "bulk" here, but its ZFS backing testlab/pve/bulk-vms backs the storage "bulk-vms", which is the id Proxmox gets. Fix: call it "bulk-vms" (addStorage(\'bulk-vms\', …)), or give testlab/pve/bulk-vms storageId: \'bulk\'.',
    ]);
  });

  it('takes an explicit storage id that matches the backing', () => {
    const t = proxmoxLab();
    const bulk = t.proxmox.addStorage('bulk', { storageId: 'bulk-vms', backing: StorageBacking.zfs(new TestZfsDataset(t.pve, 'bulk-vms', 'bulk/vms', 'bulk-vms')) });
    expect(errorsOf(t.lab)).toEqual([]);
    expect(bulk.storageId).toBe('bulk-vms');
  });

  it('warns that an existing ZFS storage no pool of the model backs is not checked against anything', () => {
    const t = proxmoxLab();
    t.proxmox.addStorage('tnak', { backing: StorageBacking.existing(StorageType.ZFS_POOL) });
    expect(warningsOf(t.lab)).toEqual([
      "testlab/pve/proxmox/tnak: tnak is an existing ZFS storage: nothing checks that the host has it, and Proxmox refuses every disk on a storage it does not have. Fix: back it with StorageBacking.zfs(…) of one of pve's pools or datasets, or check the id against pvesm status. [homelab-cdk:existing-zfs-storage]",
    ]);
  });

  it("names the model's pool when an existing ZFS storage has its storage id", () => {
    const { lab, nas } = zfsLab({ addressing: Addressing.STATIC, hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd', interfaceName: 'eno1' }) });
    raidzPool(nas, testDisks().hdds);
    new ProxmoxHost(nas, 'proxmox').addStorage('tank', { backing: StorageBacking.existing(StorageType.ZFS_POOL) });
    expect(zfsErrorsOf(lab)).toEqual([]);
    expect(zfsWarningsOf(lab).filter((w) => w.includes('existing ZFS storage'))).toEqual([
      expect.stringMatching(/\/proxmox\/tank: tank is an existing ZFS storage: .* Fix: back it with StorageBacking\.zfs\(…\) of the pool or dataset whose storage id is tank, so that the model declares it\. \[homelab-cdk:existing-zfs-storage\]$/),
    ]);
  });

  it('says nothing of an existing LVM thin or directory storage, which are outside the model anyway', () => {
    const t = proxmoxLab();
    t.proxmox.addStorage('local-lvm', { backing: StorageBacking.existing(StorageType.LVM_THIN) });
    t.proxmox.addStorage('nfs', { backing: StorageBacking.existing(StorageType.DIRECTORY) });
    expect(warningsOf(t.lab)).toEqual([]);
  });
});

// A directory storage on a dataset that is not mounted yet (pool not imported, dataset failed to
// mount) would take vzdump's archives onto the root file system; PVE::Storage::DirPlugin's
// is_mountpoint makes Proxmox call the storage offline instead.
describe('a directory storage on a mount point', () => {
  it("is one when its path is a dataset's mountpoint, and says so to pvesm", () => {
    const { lab, nas } = zfsLab({ addressing: Addressing.STATIC, hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd', interfaceName: 'eno1' }) });
    const pool = raidzPool(nas, testDisks().hdds);
    const proxmox = new ProxmoxHost(nas, 'proxmox');
    const onPool = proxmox.addStorage('archive', { backing: StorageBacking.directory(pool.effectiveMountpoint) });
    const plain = proxmox.addStorage('scratch', { backing: StorageBacking.directory('/srv/scratch') });
    const stated = proxmox.addStorage('usb', { backing: StorageBacking.directory('/mnt/usb', { isMountpoint: true }) });
    const refused = proxmox.addStorage('inside', { backing: StorageBacking.directory(pool.effectiveMountpoint, { isMountpoint: false }) });
    expect(zfsErrorsOf(lab)).toEqual([]);
    expect([onPool, plain, stated, refused].map((s) => s.isMountpoint)).toEqual([true, false, true, false]);
  });
});
