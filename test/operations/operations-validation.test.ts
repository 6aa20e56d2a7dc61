import { describe, expect, it } from 'vitest';
import { Addressing, BackupRemote, BackupRetention, BackupSource, Disk, HardwareProfile, Host, Monitoring, OffsiteBackup, Protocol, ProxmoxHost, Secret, Size, StorageBacking, VdevLayout, ZfsPool, ZfsSettings } from '../../lib';
import { errorsOf, PortHolder, warningsOf } from '../support/cluster';
import { smallLab, vmHost } from '../support/labs';
import { GRAFANA, opsLab, sftpRemote } from './support';

describe('monitoring validation', () => {
  it('accepts a small lab', () => {
    expect(errorsOf(opsLab().lab)).toEqual([]);
    expect(warningsOf(opsLab().lab)).toEqual([]);
  });

  it('refuses Prometheus on 9090 beside another service on 9090 (Cockpit), naming both', () => {
    const { lab, nas } = opsLab({ prometheusPort: 9090 });
    new PortHolder(lab, 'cockpit', nas, 9090, [Protocol.TCP]);
    expect(errorsOf(lab)).toEqual([
      'testlab/nas: port 9090/tcp is used by both testlab/nas/monitoring (Prometheus) and testlab/cockpit (cockpit). Fix: move one of them to another port.',
    ]);
  });

  it('puts exporters on hosts declared after it, and reports their clashes on those hosts', () => {
    const { lab, monitoring } = opsLab();
    const later = vmHost(lab, 'later', '10.0.0.30');
    expect(monitoring!.exportersOn(later)).toMatchObject({ node: 9100 });
    new PortHolder(lab, 'other', later, 9100, [Protocol.TCP]);
    expect(errorsOf(lab)).toEqual([
      'testlab/later: port 9100/tcp is used by both testlab/other (other) and testlab/nas/monitoring (Prometheus node exporter). Fix: move one of them to another port.',
    ]);
  });

  it('refuses to watch a host of another lab', () => {
    const { lab, nas } = opsLab(false);
    const other = vmHost(smallLab().lab, 'stranger', '10.0.0.40');
    new Monitoring(nas, 'monitoring', { grafana: GRAFANA, hosts: [nas, other] });
    expect(errorsOf(lab)).toEqual([
      'testlab/nas/monitoring: the monitoring watches testlab/stranger, which is not a host of this lab. Fix: list only Hosts of this lab in hosts (or leave hosts out to watch them all).',
    ]);
  });

  it('refuses a second monitoring in one lab', () => {
    const { lab, web } = opsLab();
    new Monitoring(web, 'monitoring', { grafana: GRAFANA, prometheusPort: 9091, exporterPorts: { node: 9101, logShipper: 12346 } });
    expect(errorsOf(lab)).toContain(
      'testlab/web/monitoring: the lab already has the monitoring testlab/nas/monitoring. Fix: declare one Monitoring per lab; it watches every host.',
    );
  });

  it('refuses a Grafana password given as a value, never echoing it', () => {
    const { lab } = opsLab({ grafana: { ...GRAFANA, adminPassword: 'hunter2' as unknown as Secret } });
    const errors = errorsOf(lab);
    expect(errors).toEqual([
      "testlab/nas/monitoring: grafana.adminPassword is a literal string, which would be copied into the world-readable Nix store. Fix: give a reference: Secret.fromSops({ name: '…', owner: 'grafana' }) or Secret.fromFile(path).",
    ]);
    expect(errors.join('\n')).not.toContain('hunter2');
  });

  it('refuses a Grafana secret that Grafana cannot read: an environment variable, or a sops file owned by root', () => {
    const { lab } = opsLab({ grafana: { adminPassword: Secret.fromEnvironment('GRAFANA_PASSWORD'), secretKey: Secret.fromSops({ name: 'grafana-secret-key' }) } });
    expect(errorsOf(lab)).toEqual([
      'testlab/nas/monitoring: grafana.adminPassword is an environment variable (environment:GRAFANA_PASSWORD), which Grafana cannot read on the host. Fix: use Secret.fromSops(...) or Secret.fromFile(...).',
      "testlab/nas/monitoring: grafana.secretKey is decrypted for root, but Grafana runs as the user grafana and cannot read it. Fix: give the sops secret owner: 'grafana'.",
    ]);
  });

  it('warns when a special vdev is not watched because the health check is off', () => {
    const { lab, nas, tank } = opsLab();
    tank.addSpecialVdev({ devices: [1, 2].map((n) => Disk.byId(`/dev/disk/by-id/nvme-TEST_${n}`, { size: Size.gigabytes(400) })) });
    new ZfsSettings(nas, 'zfs', { healthCheck: false });
    expect(warningsOf(lab)).toContain(
      "testlab/nas/monitoring: the special vdev fill and device errors of tank on nas are not watched: the ZFS exporter has no per-vdev figures and the host's ZFS health check, which writes them, is off. Fix: turn the health check on (ZfsSettings healthCheck). [homelab-cdk:special-vdev-unwatched]",
    );
  });

  it('refuses durations Prometheus and Loki do not read', () => {
    const { lab } = opsLab({ scrapeInterval: '30 seconds', logRetention: '90m' });
    expect(errorsOf(lab)).toEqual([
      'testlab/nas/monitoring: logRetention "90m" is shorter than Loki\'s 24h index period. Fix: keep logs for whole hours or days, such as "744h" or "31d".',
      'testlab/nas/monitoring: scrapeInterval "30 seconds" is not a Prometheus duration. Fix: write a number and a unit, such as "30s", "744h" or "90d".',
    ]);
  });
});

describe('off-site backup validation', () => {
  const backupLab = (props: Partial<ConstructorParameters<typeof OffsiteBackup>[2]> = {}) => {
    const ops = opsLab(false);
    const data = ops.tank.addDataset('data');
    const backup = new OffsiteBackup(ops.nas, 'offsite', { remote: sftpRemote(), sources: [BackupSource.dataset(data)], ...props });
    return { ...ops, data, backup };
  };

  it('accepts a backup of a dataset and a directory', () => {
    const { lab, backup } = backupLab();
    backup.addSource(BackupSource.directory('/var/lib/grafana'));
    expect(errorsOf(lab)).toEqual([]);
    expect(warningsOf(lab)).toEqual([]);
  });

  it('refuses a remote without a credentials reference, for each kind of remote', () => {
    const sftp = backupLab({ remote: sftpRemote({ privateKey: undefined }) });
    expect(errorsOf(sftp.lab)).toEqual([
      "testlab/nas/offsite: the backup remote sftp://u1@backup.example.org:23/lab has no credentials reference, so the backup cannot log in. Fix: give privateKey (or password) as a secret reference: Secret.fromSops({ name: '…' }) or Secret.fromFile('/var/lib/secrets/…').",
    ]);
    const webdav = backupLab({ remote: BackupRemote.webdav({ url: 'https://dav.example.org/backups', user: 'lab' }) });
    expect(errorsOf(webdav.lab)[0]).toMatch(/^testlab\/nas\/offsite: the backup remote https:\/\/dav\.example\.org\/backups has no credentials reference.*Fix: give password as a secret reference/);
    const s3 = backupLab({ remote: BackupRemote.s3({ endpoint: 'https://s3.example.org', bucket: 'lab-backups' }) });
    expect(errorsOf(s3.lab)[0]).toMatch(/^testlab\/nas\/offsite: the backup remote s3 https:\/\/s3\.example\.org\/lab-backups has no credentials reference.*Fix: give credentials as a secret reference/);
  });

  it('refuses credentials given as a value, never echoing it', () => {
    const { lab } = backupLab({ remote: sftpRemote({ privateKey: undefined, password: 's3cret-password' as unknown as Secret }) });
    const errors = errorsOf(lab);
    expect(errors).toEqual([
      'testlab/nas/offsite: the credentials of the backup remote sftp://u1@backup.example.org:23/lab are a literal string, which would be copied into the world-readable Nix store. Fix: give a reference: Secret.fromSops({ name }) or Secret.fromFile(path).',
    ]);
    expect(errors.join('\n')).not.toContain('s3cret-password');
  });

  it('refuses a WebDAV URL carrying a password, never echoing it', () => {
    const { lab } = backupLab({ remote: BackupRemote.webdav({ url: 'https://lab:hunter2@dav.example.org/backups', user: 'lab', password: Secret.fromSops({ name: 'dav' }) }) });
    const errors = errorsOf(lab);
    expect(errors).toEqual([
      'testlab/nas/offsite: the WebDAV URL carries a password (user:password@), which would be copied into the world-readable Nix store. Fix: remove the user and password from the URL: give the user as user and the password as password: Secret.fromSops({ name: … }) or Secret.fromFile(…).',
    ]);
    expect(errors.join('\n')).not.toContain('hunter2');
  });

  it('refuses an S3 endpoint carrying keys, and shows the remote with the password masked elsewhere', () => {
    const { lab } = backupLab({ remote: BackupRemote.s3({ endpoint: 'https://AKIAEXAMPLE:hunter2@s3.example.org', bucket: 'lab-backups' }) });
    const errors = errorsOf(lab);
    expect(errors).toEqual([
      // Sorted by code point (compareText): "S3" before "backup".
      expect.stringMatching(/^testlab\/nas\/offsite: the S3 endpoint carries a password \(user:password@\).* Fix: remove the credentials from the endpoint and put AWS_ACCESS_KEY_ID=… and AWS_SECRET_ACCESS_KEY=… in the environment file/),
      expect.stringMatching(/^testlab\/nas\/offsite: the backup remote s3 https:\/\/AKIAEXAMPLE:\*\*\*@s3\.example\.org\/lab-backups has no credentials reference/),
    ]);
    expect(errors.join('\n')).not.toContain('hunter2');
  });

  it('refuses an SFTP host given as user:password@host, never echoing it', () => {
    const { lab } = backupLab({ remote: sftpRemote({ host: 'u1:hunter2@backup.example.org' }) });
    const errors = errorsOf(lab);
    expect(errors).toEqual([expect.stringMatching(/^testlab\/nas\/offsite: the SFTP host carries a user and password.* Fix: give only the server's name as host/)]);
    expect(errors.join('\n')).not.toContain('hunter2');
  });

  it('refuses a retention that keeps nothing', () => {
    const { lab } = backupLab({ retention: new BackupRetention({}) });
    expect(errorsOf(lab)).toEqual([
      'testlab/nas/offsite: the retention keeps nothing, so every backup would be deleted as soon as it is made. Fix: keep at least one backup, e.g. new BackupRetention({ keepDaily: 7, keepWeekly: 4 }).',
    ]);
    expect(errorsOf(backupLab({ retention: new BackupRetention({ keepDaily: -1, keepWeekly: 1.5 }) }).lab)).toEqual([
      'testlab/nas/offsite: retention keep daily is -1. Fix: give keepDaily as a whole number (0 or more).',
      'testlab/nas/offsite: retention keep weekly is 1.5. Fix: give keepWeekly as a whole number (0 or more).',
    ]);
  });

  it('refuses a dataset of another host, and one of another lab', () => {
    const { lab, web, data } = backupLab();
    new OffsiteBackup(web, 'offsite', { remote: sftpRemote(), sources: [BackupSource.dataset(data)] });
    const stranger = opsLab(false).tank;
    new OffsiteBackup(web, 'stranger', { remote: sftpRemote(), sources: [BackupSource.dataset(stranger)] });
    expect(errorsOf(lab)).toEqual([
      "testlab/web/offsite: dataset tank/data is on nas, but the backup runs on web, which has no such dataset. Fix: back up each host's datasets with an OffsiteBackup on that host.",
      "testlab/web/stranger: dataset tank is on another lab, but the backup runs on web, which has no such dataset. Fix: back up each host's datasets with an OffsiteBackup on that host.",
    ]);
  });

  it('refuses a backup without sources, an unmounted dataset and two sources of one name', () => {
    const { lab, nas, tank } = backupLab();
    new OffsiteBackup(nas, 'empty', { remote: sftpRemote() });
    const hidden = tank.addDataset('hidden', { mountpoint: 'none' });
    new OffsiteBackup(nas, 'twice', { remote: sftpRemote(), sources: [BackupSource.dataset(hidden), BackupSource.directory('/srv/a', { name: 'a' }), BackupSource.directory('/srv/b', { name: 'a' })] });
    expect(errorsOf(lab)).toEqual([
      'testlab/nas/empty: the backup has no sources. Fix: add datasets or directories: sources: [BackupSource.dataset(dataset), BackupSource.directory(path)].',
      'testlab/nas/twice: dataset tank/hidden is not mounted (mountpoint none), so there are no snapshot files to copy. Fix: give the dataset a mountpoint, or back up a directory instead.',
      'testlab/nas/twice: two sources are named a. Fix: give one of them another name (BackupSource.directory(path, { name })).',
    ]);
  });

  it('refuses a dataset that holds the zvols of a Proxmox storage: its snapshot has no files of them', () => {
    const { lab } = smallLab();
    const pve = new Host(lab, 'pve', {
      hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd' }),
      ipAddress: '10.0.0.6',
      macAddress: 'a8:a1:59:00:00:06',
      addressing: Addressing.STATIC,
      interfaceName: 'enp3s0',
    });
    const tank = new ZfsPool(pve, 'tank');
    tank.addDataVdev({ layout: VdevLayout.RAIDZ1, devices: [1, 2, 3].map((n) => Disk.byId(`/dev/disk/by-id/ata-TEST_${n}`, { size: Size.terabytes(4) })) });
    const vmdata = tank.addDataset('vmdata');
    const archives = tank.addDataset('vzdump');
    new ProxmoxHost(pve, 'proxmox').addStorage('tank-vmdata', { backing: StorageBacking.zfs(vmdata) });
    new OffsiteBackup(pve, 'offsite', { remote: sftpRemote(), sources: [BackupSource.dataset(vmdata), BackupSource.dataset(archives)] });
    expect(errorsOf(lab)).toEqual([
      'testlab/pve/offsite: dataset tank/vmdata holds the volumes of the Proxmox storage tank-vmdata as its children (VM disks are zvols), which have no files in its snapshot directory: the backup would upload none of them. ' +
        'Fix: back the VMs up with a VmBackupJob into a directory storage on a dataset, and add that dataset as the source (BackupSource.dataset(vzdump)).',
    ]);
  });

  it('refuses a schedule systemd does not read and two backups of one name', () => {
    const { lab, nas, data } = backupLab({ schedule: 'every day; rm -rf /' });
    new OffsiteBackup(nas, 'again', { remote: sftpRemote(), sources: [BackupSource.dataset(data)], backupName: 'offsite' });
    expect(errorsOf(lab)).toEqual([
      'testlab/nas/again: backup name offsite is also used by testlab/nas/offsite. Fix: give each OffsiteBackup of a host its own backupName.',
      'testlab/nas/offsite: schedule "every day; rm -rf /" is not a systemd calendar expression (it is neither a shorthand (daily, weekly, …) nor weekdays, a date or a time). Fix: use e.g. "daily", "weekly" or "*-*-* 03:00:00".',
    ]);
  });

  it('warns about an SFTP server whose host key is not pinned, and about a backup without restore test', () => {
    const { lab } = backupLab({ remote: sftpRemote({ hostKey: undefined }), restoreTest: false });
    expect(warningsOf(lab)).toEqual([
      'testlab/nas/offsite: the backup has no restore test; a restore that was never tried tends to fail when it is needed. Fix: leave restoreTest on (weekly by default). [homelab-cdk:backup-without-restore-test]',
      "testlab/nas/offsite: the host key of sftp://u1@backup.example.org:23/lab is not pinned, so the backup would send the lab's data to whoever answers as backup.example.org. Fix: set hostKey to the server's key (ssh-keyscan -p PORT HOST). [homelab-cdk:backup-host-key-not-pinned]",
    ]);
  });

  it('refuses a remote given both a key and a password', () => {
    const { lab, nas } = opsLab();
    new OffsiteBackup(nas, 'offsite', { remote: sftpRemote({ password: Secret.fromFile('/var/lib/secrets/pw') }), sources: [BackupSource.directory('/srv')] });
    expect(errorsOf(lab)).toContain('testlab/nas/offsite: remote: the SFTP remote "backup.example.org" has both a privateKey and a password. Fix: give privateKey or password, not both.');
  });
});

describe('BackupRetention', () => {
  it('is written as Proxmox prune-backups, for the VM backups that share it', () => {
    expect(new BackupRetention({ keepLast: 3, keepDaily: 7, keepMonthly: 6 }).toProxmoxPruneBackups()).toBe('keep-last=3,keep-daily=7,keep-monthly=6');
    expect(String(new BackupRetention({ keepWeekly: 4 }))).toBe('4 weekly');
  });
});
