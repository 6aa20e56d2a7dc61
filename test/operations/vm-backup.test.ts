import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackupRetention, HardwareProfile, Homelab, Host, ProxmoxHost, renderNixFlake, renderTerraformStacks, StorageBacking, StorageContent, StorageDeclaration, StorageType, VmBackupJob, VzdumpMode } from '../../lib/internal';
import { errorsOf, plainVm, proxmoxLab } from '../support/compute';
import { schemaProblems } from '../support/tf-schema';
import { synthesizeReferenceLab } from '../support/reference';

/** The test lab with a backup storage and two VMs. */
function backupLab() {
  const t = proxmoxLab();
  const backups = t.proxmox.addStorage('backups', { backing: StorageBacking.directory('/srv/vzdump'), content: [StorageContent.BACKUP] });
  const web = plainVm(t, 'web', 110);
  const db = plainVm(t, 'db', 120);
  return { ...t, backups, web, db };
}

/** The lab's only Terraform stack, parsed. */
function stackOf(lab: Homelab): any {
  const files = renderTerraformStacks(lab);
  expect(files).toHaveLength(1);
  return JSON.parse(files[0].content);
}

describe('VmBackupJob', () => {
  it("is one of Proxmox's own backup jobs (proxmox_backup_job): the chosen VMs, by reference, to the storage, with the retention", () => {
    const t = backupLab();
    new VmBackupJob(t.proxmox, 'nightly', { storage: t.backups, vms: [t.db, t.web], retention: new BackupRetention({ keepDaily: 7, keepWeekly: 2 }), mode: VzdumpMode.STOP });
    expect(errorsOf(t.lab)).toEqual([]);
    const doc = stackOf(t.lab);
    expect(schemaProblems(doc)).toEqual([]);
    expect(doc.resource.proxmox_backup_job.backup_job_nightly).toMatchObject({
      id: 'nightly',
      node: 'pve',
      // by the VMs' resources, so Terraform makes the job after the VMs
      vmid: ['${proxmox_virtual_environment_vm.web.vm_id}', '${proxmox_virtual_environment_vm.db.vm_id}'],
      storage: 'backups',
      schedule: '*-*-* 02:30:00',
      mode: 'stop',
      compress: 'zstd',
      // bpg joins the map into prune-backups (fwprovider/cluster/backup/model.go, v0.111.1)
      prune_backups: { 'keep-daily': '7', 'keep-weekly': '2' },
      notes_template: '{{guestname}} (nightly, homelab-cdk)',
      enabled: true,
    });
    // all, vmid and pool conflict in bpg's ConfigValidators (fwprovider/cluster/backup/resource.go)
    expect(doc.resource.proxmox_backup_job.backup_job_nightly.all).toBeUndefined();
    // the job is Proxmox's now, not a systemd unit of the host
    const files = renderNixFlake(t.lab).map((f) => f.path);
    expect(files).not.toContain('hosts/pve/vm-backups.nix');
  });

  it("names the host's directory storage by id (pvesm declares it on the host), and the VMs depend on the ZFS storage's resource", () => {
    const t = backupLab();
    new VmBackupJob(t.proxmox, 'nightly', { storage: t.backups });
    expect(t.backups.declaredBy).toBe(StorageDeclaration.PVESM);
    expect(t.tank.declaredBy).toBe(StorageDeclaration.TERRAFORM);
    const doc = stackOf(t.lab);
    // backups is a directory, declared by pvesm on the host: by id; tank is Terraform's
    expect(doc.resource.proxmox_backup_job.backup_job_nightly.storage).toBe('backups');
    expect(doc.resource.proxmox_virtual_environment_vm.web.depends_on).toEqual(['proxmox_storage_zfspool.pve_tank']);
  });

  it('backs up every VM of its host by default, including VMs declared after it', () => {
    const t = backupLab();
    const job = new VmBackupJob(t.proxmox, 'all', { storage: t.backups });
    plainVm(t, 'late', 130);
    expect(job.vms.map((vm) => vm.vmid)).toEqual([110, 120, 130]);
    expect(job.retention.toProxmoxPruneBackups()).toBe('keep-daily=7,keep-weekly=4,keep-monthly=3');
  });

  it('refuses a storage that does not hold backups', () => {
    const t = backupLab();
    new VmBackupJob(t.proxmox, 'nightly', { storage: t.tank });
    expect(errorsOf(t.lab)).toEqual([
      'testlab/pve/proxmox/nightly: the storage tank does not hold backups (its content is images). Fix: add StorageContent.BACKUP to its content, or choose a storage that holds backups.',
    ]);
  });

  it('refuses a storage and a VM of another host', () => {
    const t = backupLab();
    const other = new Host(t.lab, 'pve2', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'intel', interfaceName: 'eno1' }), ipAddress: '10.0.0.3', macAddress: 'a8:a1:59:00:00:03', addressing: t.pve.addressing });
    const proxmox2 = new ProxmoxHost(other, 'proxmox');
    const elsewhere = proxmox2.addStorage('backups', { backing: StorageBacking.directory('/srv/vzdump'), content: [StorageContent.BACKUP] });
    new VmBackupJob(t.proxmox, 'nightly', { storage: elsewhere });
    new VmBackupJob(proxmox2, 'mine', { storage: elsewhere, vms: [t.web] });
    const errors = errorsOf(t.lab);
    expect(errors).toContain('testlab/pve/proxmox/nightly: the backups go to testlab/pve2/proxmox/backups, a storage of another host. Fix: choose a storage of pve.');
    expect(errors).toContain('testlab/pve2/proxmox/mine: testlab/web runs on pve, not on pve2. Fix: back it up with a job of its own host.');
  });

  it('refuses a retention that keeps nothing, a bad schedule, no VMs and two jobs of one name', () => {
    const t = proxmoxLab();
    const backups = t.proxmox.addStorage('backups', { backing: StorageBacking.directory('/srv/vzdump'), content: [StorageContent.BACKUP] });
    new VmBackupJob(t.proxmox, 'a', { storage: backups, retention: new BackupRetention({}), schedule: 'daily; rm -rf /', jobName: 'same' });
    new VmBackupJob(t.proxmox, 'b', { storage: backups, jobName: 'same' });
    const errors = errorsOf(t.lab).join('\n');
    expect(errors).toMatch(/testlab\/pve\/proxmox\/a: the retention keeps nothing, so every backup would be deleted as soon as it is made\. Fix:/);
    expect(errors).toMatch(/testlab\/pve\/proxmox\/a: schedule "daily; rm -rf \/" is not a systemd calendar expression \(it is neither a shorthand .*\)\. Fix:/);
    expect(errors).toMatch(/testlab\/pve\/proxmox\/a: the job backs up no VM\. Fix:/);
    expect(errors).toMatch(/testlab\/pve\/proxmox\/b: job name same is also the name of testlab\/pve\/proxmox\/a\. Fix:/);
  });
});

describe("README's word on backup jobs", () => {
  it('says that a VmBackupJob is a proxmox_backup_job, a resource of the provider schema the library follows', () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    const schema = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../terraform/fixtures/bpg-proxmox.schema.json'), 'utf8'));
    expect(Object.keys(schema.provider_schemas['registry.terraform.io/bpg/proxmox'].resource_schemas)).toContain('proxmox_backup_job');
    const paragraph = readme.slice(readme.indexOf('- **`VmBackupJob`**'), readme.indexOf('\n- ', readme.indexOf('- **`VmBackupJob`**') + 1));
    expect(paragraph).toContain('`proxmox_backup_job`');
    expect(readme).not.toMatch(/has no backup-job resource/);
  });
});

describe('the reference lab\'s VM backups', () => {
  it("back up every VM of maxdata nightly into tank/vzdump, as a job of Proxmox's (Datacenter → Backup), not a unit of the host", () => {
    const { ref, result } = synthesizeReferenceLab();
    const job = ref.operations.vmBackups;
    expect(job.vms.map((vm) => vm.vmid)).toEqual(ref.compute.proxmox.vms.map((vm) => vm.vmid));
    expect(job.storage.backing.details).toMatchObject({ path: ref.storage.vzdumpDataset.effectiveMountpoint });
    const doc = JSON.parse(fs.readFileSync(path.join(result.outdir, 'terraform/prod/cdk.tf.json'), 'utf8'));
    const resource = doc.resource.proxmox_backup_job.backup_job_nightly;
    expect(resource).toMatchObject({ id: 'nightly', node: 'maxdata', storage: 'backups', prune_backups: { 'keep-daily': '7', 'keep-weekly': '4', 'keep-monthly': '3' } });
    expect(resource.vmid).toHaveLength(8);
    expect(fs.existsSync(path.join(result.outdir, 'nix/hosts/maxdata/vm-backups.nix'))).toBe(false);
    const rules = fs.readFileSync(path.join(result.outdir, 'nix/hosts/maxdata/prometheus-rules.yml'), 'utf8') as string;
    expect(rules).not.toContain('vzdump');
  });

  it("copies the VMs' data off-site as the vzdump archives in tank/vzdump (their disks are zvols no file copy sees)", () => {
    const { ref, result } = synthesizeReferenceLab();
    const { vzdumpDataset, myAppDataset } = ref.storage;
    const backups = [ref.operations.offsiteBackup, ref.operations.offsiteVmBackups];
    const sources = backups.flatMap((b) => b.sources);
    const vzdump = ref.operations.vmBackups.storage.backing.details;
    expect(vzdump).toMatchObject({ type: StorageType.DIRECTORY, managed: true });
    expect(sources.filter((s) => s.dataset === vzdumpDataset).map((s) => s.path)).toEqual([vzdump.managed && vzdump.type === StorageType.DIRECTORY ? vzdump.path : undefined]);
    expect(myAppDataset.holdsVolumes).toBe(true);
    expect(sources.filter((s) => s.volumeUses.length > 0)).toEqual([]);
    // what the backup script reads: the source, from a snapshot of tank/vzdump
    const conf = fs.readFileSync(path.join(result.outdir, 'nix/hosts/maxdata/offsite-backup/vm-archives.conf'), 'utf8');
    expect(conf).toContain("'tank-vzdump|dataset|/tank/vzdump|tank/vzdump'");
    // after the nightly job (02:30), and one archive a month fetched back by the restore test
    expect(ref.operations.offsiteVmBackups.schedule).toBe('*-*-* 06:00:00');
    expect(ref.operations.offsiteVmBackups.restoreTest).toEqual({ schedule: 'monthly', sampleSize: 1 });
  });
});
