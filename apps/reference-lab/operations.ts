/**
 * The reference lab's operations on maxdata: the monitoring (Prometheus, Grafana, Loki; exporters
 * and log shipping on every host) and the off-site backup to the storage box.
 */
import { BackupRemote, BackupRetention, BackupSource, Monitoring, OffsiteBackup, Secret, VmBackupJob } from '../../lib';
import { ReferenceCompute } from './compute';
import { ReferenceHosts } from './hosts';
import { ReferenceStorage } from './storage';

/** The operations constructs of the reference lab. */
export interface ReferenceOperations {
  readonly monitoring: Monitoring;
  readonly offsiteBackup: OffsiteBackup;
  /** The off-site copy of the VM backups (tank/vzdump). */
  readonly offsiteVmBackups: OffsiteBackup;
  /** The nightly vzdump of every VM of maxdata. */
  readonly vmBackups: VmBackupJob;
}

/** Adds the monitoring, the off-site backup and the VM backups to maxdata. */
export function addOperations(hosts: ReferenceHosts, storage: ReferenceStorage, compute: ReferenceCompute): ReferenceOperations {
  const monitoring = new Monitoring(hosts.maxdata, 'monitoring', {
    // Cockpit, the lab's system management UI on maxdata (with the Proxmox host), listens on 9090,
    // Prometheus's default port: Prometheus moves to the next one.
    prometheusPort: 9091,
    grafana: {
      // Decrypted by sops-nix for the grafana user. Create them with `openssl rand -hex 32`.
      adminPassword: Secret.fromSops({ name: 'grafana-admin-password', owner: 'grafana' }),
      secretKey: Secret.fromSops({ name: 'grafana-secret-key', owner: 'grafana' }),
    },
  });

  // RAID and snapshots are not backups: the storage box keeps the copy that survives the house.
  const storageBox = BackupRemote.sftp({
      // A Hetzner Storage Box: EXAMPLE account; its SFTP/SSH port is 23.
      host: 'u123456.your-storagebox.de',
      port: 23,
      user: 'u123456',
      path: 'homelab',
      // The key the storage box accepts (add its public half there), decrypted by sops-nix.
      privateKey: Secret.fromSops({ name: 'storagebox-ssh-key' }),
      // EXAMPLE value: pin the real one from `ssh-keyscan -p 23 u123456.your-storagebox.de`.
      hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIbqyLYz3bVGG0nF/8bjr2aEqKVckyZd4xkHO+4tHmWo',
  });
  const offsiteBackup = new OffsiteBackup(hosts.maxdata, 'offsite', {
    remote: storageBox,
    sources: [
      // Grafana's own database (users, preferences); its dashboards come from the model.
      BackupSource.directory('/var/lib/grafana'),
    ],
    schedule: 'daily',
    restoreTest: { schedule: 'weekly', sampleSize: 20 },
  });
  // The VMs' data (my-app's disk among them) are zvols, which no file copy sees: their off-site
  // copy is the vzdump archives of the nightly job, copied from a snapshot of tank/vzdump taken
  // after it (the job starts at 02:30). Archives are large: the restore test fetches one back a
  // month, and versions of the archives vzdump pruned are kept two weeks.
  const offsiteVmBackups = new OffsiteBackup(hosts.maxdata, 'vm-archives', {
    remote: storageBox,
    sources: [BackupSource.dataset(storage.vzdumpDataset)],
    schedule: '*-*-* 06:00:00',
    retention: new BackupRetention({ keepDaily: 14 }),
    restoreTest: { schedule: 'monthly', sampleSize: 1 },
  });
  // Every VM of maxdata, nightly, into tank/vzdump; a week of dailies, a month of weeklies, a
  // quarter of monthlies.
  const vmBackups = new VmBackupJob(compute.proxmox, 'nightly', {
    storage: compute.storages.backups,
    retention: new BackupRetention({ keepDaily: 7, keepWeekly: 4, keepMonthly: 3 }),
  });
  return { monitoring, offsiteBackup, offsiteVmBackups, vmBackups };
}
