import { describe, expect, it } from 'vitest';
import { HardwareProfile, Homelab, Host, ProxmoxHost, ProxmoxStack, renderNixFlake, renderTerraformStacks, StorageBacking, StorageContent, StorageDeclaration, StorageType } from '../../lib/internal';
import { errorsOf, plainVm, proxmoxLab } from '../support/compute';
import { schemaProblems } from '../support/tf-schema';

function stacksOf(lab: Homelab): Record<string, any> {
  return Object.fromEntries(renderTerraformStacks(lab).map((f) => [f.path.split('/')[0], JSON.parse(f.content)]));
}

describe('Proxmox storages in Terraform', () => {
  it('declares a ZFS storage as proxmox_storage_zfspool on its node, and an LVM thin one as proxmox_storage_lvmthin', () => {
    const t = proxmoxLab();
    t.proxmox.addStorage('local-lvm', { backing: StorageBacking.lvmThin({ volumeGroup: 'pve', thinPool: 'data' }) });
    plainVm(t, 'web', 110);
    expect(errorsOf(t.lab)).toEqual([]);
    const doc = Object.values(stacksOf(t.lab))[0];
    expect(schemaProblems(doc)).toEqual([]);
    expect(doc.resource.proxmox_storage_zfspool.pve_tank).toMatchObject({ id: 'tank', zfs_pool: 'tank/vms', nodes: ['pve'], content: ['images'], thin_provision: true });
    expect(doc.resource.proxmox_storage_lvmthin.pve_local_lvm).toMatchObject({ id: 'local-lvm', volume_group: 'pve', thin_pool: 'data', nodes: ['pve'], content: ['images', 'rootdir'] });
    // a storage that is to be created is not imported
    expect(doc.import ?? []).toEqual([]);
    // "local" is a directory: pvesm declares it on the host, Terraform only names it
    expect(doc.resource.proxmox_storage_directory).toBeUndefined();
    expect(renderNixFlake(t.lab).find((f) => f.path === 'hosts/pve/proxmox-storages.sh')?.content).toContain('ensure_storage local dir --path /var/lib/vz');
  });

  it('makes the VMs and downloads on a Terraform storage depend on its resource, so that a fresh host gets the storage first', () => {
    const t = proxmoxLab();
    const other = t.proxmox.addStorage('other', { backing: StorageBacking.lvmThin({ volumeGroup: 'pve', thinPool: 'data' }) });
    plainVm(t, 'web', 110, { efiDisk: { storage: other } });
    plainVm(t, 'db', 120, { disks: [] });
    const doc = Object.values(stacksOf(t.lab))[0];
    expect(doc.resource.proxmox_virtual_environment_vm.web.depends_on).toEqual(['proxmox_storage_zfspool.pve_tank', 'proxmox_storage_lvmthin.pve_other']);
    expect(doc.resource.proxmox_virtual_environment_vm.db.depends_on).toBeUndefined();
  });

  it('imports a storage the host has already (adopt) by its id instead of creating it', () => {
    const t = proxmoxLab();
    t.proxmox.addStorage('fast', { backing: StorageBacking.lvmThin({ volumeGroup: 'pve', thinPool: 'fast' }), adopt: true });
    plainVm(t, 'web', 110);
    expect(errorsOf(t.lab)).toEqual([]);
    const doc = Object.values(stacksOf(t.lab))[0];
    expect(doc.import).toEqual([{ id: 'fast', to: 'proxmox_storage_lvmthin.pve_fast' }]);
  });

  it('refuses adopt on a storage nothing in Terraform declares', () => {
    const t = proxmoxLab();
    t.proxmox.addStorage('dumps', { backing: StorageBacking.directory('/srv/dumps'), adopt: true });
    t.proxmox.addStorage('nfs', { backing: StorageBacking.existing(StorageType.DIRECTORY), adopt: true });
    expect(errorsOf(t.lab)).toEqual([
      'testlab/pve/proxmox/dumps: adopt is set, but a dir storage is declared by pvesm on the host, which updates an existing one anyway. Fix: leave adopt out.',
      'testlab/pve/proxmox/nfs: adopt is set, but the storage is managed outside the model (StorageBacking.existing), so nothing imports it. Fix: leave adopt out.',
    ]);
  });

  it('says who declares each type: Terraform for zfspool and lvmthin, pvesm for dir, nobody for an existing storage', () => {
    const t = proxmoxLab();
    const lvm = t.proxmox.addStorage('lvm', { backing: StorageBacking.lvmThin({ volumeGroup: 'pve', thinPool: 'data' }) });
    const existing = t.proxmox.addStorage('nfs', { backing: StorageBacking.existing(StorageType.ZFS_POOL) });
    expect([t.tank, lvm, t.local, existing].map((s) => s.declaredBy)).toEqual([StorageDeclaration.TERRAFORM, StorageDeclaration.TERRAFORM, StorageDeclaration.PVESM, StorageDeclaration.NONE]);
  });

  it("puts each host's storages and backup jobs into the stack that talks to that host's API", () => {
    const t = proxmoxLab();
    const pve2 = new Host(t.lab, 'pve2', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'intel', interfaceName: 'eno1' }), ipAddress: '10.0.0.3', macAddress: 'a8:a1:59:00:00:03', addressing: t.pve.addressing });
    const proxmox2 = new ProxmoxHost(pve2, 'proxmox');
    proxmox2.addStorage('bulk', { backing: StorageBacking.lvmThin({ volumeGroup: 'pve', thinPool: 'bulk' }), content: [StorageContent.IMAGES] });
    const one = new ProxmoxStack(t.lab, 'one', { endpoint: t.proxmox });
    new ProxmoxStack(t.lab, 'two', { endpoint: proxmox2 });
    plainVm(t, 'web', 110, { stack: one });
    const stacks = stacksOf(t.lab);
    expect(Object.keys(stacks.one.resource.proxmox_storage_zfspool ?? {})).toEqual(['pve_tank']);
    expect(stacks.one.resource.proxmox_storage_lvmthin).toBeUndefined();
    expect(Object.keys(stacks.two.resource.proxmox_storage_lvmthin)).toEqual(['pve2_bulk']);
    expect(stacks.two.resource.proxmox_storage_zfspool).toBeUndefined();
  });
});
