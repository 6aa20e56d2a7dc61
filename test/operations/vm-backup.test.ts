import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackupRetention, HardwareProfile, Host, ProxmoxHost, renderNixFlake, StorageBacking, StorageContent, VmBackupJob, VzdumpMode } from '../../lib/internal';
import { errorsOf, plainVm, proxmoxLab } from '../support/compute';
import { materialize } from '../support/labs';
import { evalModule } from '../support/nix';
import { synthesizeReferenceLab } from '../support/reference';

/** The test lab with a backup storage and two VMs. */
function backupLab() {
  const t = proxmoxLab();
  const backups = t.proxmox.addStorage('backups', { backing: StorageBacking.directory('/srv/vzdump'), content: [StorageContent.BACKUP] });
  const web = plainVm(t, 'web', 110);
  const db = plainVm(t, 'db', 120);
  return { ...t, backups, web, db };
}

describe('VmBackupJob', () => {
  it('runs vzdump of the chosen VMs to the storage, with the retention, as a systemd service on a timer', () => {
    const t = backupLab();
    new VmBackupJob(t.proxmox, 'nightly', { storage: t.backups, vms: [t.db, t.web], retention: new BackupRetention({ keepDaily: 7, keepWeekly: 2 }), mode: VzdumpMode.STOP });
    expect(errorsOf(t.lab)).toEqual([]);
    const dir = materialize(renderNixFlake(t.lab));
    const module = evalModule(path.join(dir, 'hosts/pve/vm-backups.nix'), [], '{ config.services.proxmox-ve.package = "pkg:proxmox-ve"; }');
    const service = module.systemd.services['vzdump-nightly'];
    expect(service).toMatchObject({
      path: ['pkg:proxmox-ve'],
      serviceConfig: { Type: 'oneshot' },
      startAt: '*-*-* 02:30:00',
      after: ['pve-guests.service'],
    });
    // The script is what bash runs: read its words back with bash itself.
    const words = execFileSync('bash', ['-c', `set -- ${service.script.replace(/^vzdump /, '')}; printf '%s\\n' "$@"`], { encoding: 'utf8' }).trimEnd().split('\n');
    expect(words).toEqual(['110', '120', '--storage', 'backups', '--mode', 'stop', '--compress', 'zstd', '--prune-backups', 'keep-daily=7,keep-weekly=2', '--notes-template', '{{guestname}} (nightly, homelab-cdk)']);
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

describe('the reference lab\'s VM backups', () => {
  it('back up every VM of maxdata nightly into tank/vzdump, and the monitoring alerts when the job fails', () => {
    const { ref, result } = synthesizeReferenceLab();
    const job = ref.operations.vmBackups;
    expect(job.vms.map((vm) => vm.vmid)).toEqual(ref.compute.proxmox.vms.map((vm) => vm.vmid));
    expect(job.storage.backing.details).toMatchObject({ path: ref.storage.vzdumpDataset.effectiveMountpoint });
    const rules = fs.readFileSync(path.join(result.outdir, 'nix/hosts/maxdata/prometheus-rules.yml'), 'utf8') as string;
    expect(rules).toContain('vzdump-nightly\\\\.service');
  });

  it("copies the VMs' data off-site as the vzdump archives in tank/vzdump (their disks are zvols no file copy sees)", () => {
    const { ref, result } = synthesizeReferenceLab();
    const { vzdumpDataset, myAppDataset } = ref.storage;
    const backups = [ref.operations.offsiteBackup, ref.operations.offsiteVmBackups];
    const sources = backups.flatMap((b) => b.sources);
    expect(sources.filter((s) => s.dataset === vzdumpDataset).map((s) => s.path)).toEqual([ref.operations.vmBackups.storage.backing.details.path]);
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
