/** Small labs for the operations tests. */
import { BackupRemote, Disk, HardwareProfile, Host, Monitoring, MonitoringProps, Secret, Size, VdevLayout, ZfsPool } from '../../lib';
import { smallLab, vmHost } from '../support/labs';

/** Grafana secrets as the monitoring wants them. */
export const GRAFANA = {
  adminPassword: Secret.fromSops({ name: 'grafana-admin-password', owner: 'grafana' }),
  secretKey: Secret.fromSops({ name: 'grafana-secret-key', owner: 'grafana' }),
};

/** A lab with a bare-metal NAS (10.0.0.5) holding a raidz1 pool `tank`, and a VM `web` (10.0.0.20). */
export function opsLab(monitoring: Partial<MonitoringProps> | false = {}) {
  const { lab } = smallLab();
  const nas = new Host(lab, 'nas', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd' }), ipAddress: '10.0.0.5', macAddress: 'a8:a1:59:00:00:05' });
  const tank = new ZfsPool(nas, 'tank');
  tank.addDataVdev({ layout: VdevLayout.RAIDZ1, devices: [1, 2, 3].map((n) => Disk.byId(`/dev/disk/by-id/ata-TEST_${n}`, { size: Size.terabytes(4) })) });
  const web = vmHost(lab, 'web', '10.0.0.20');
  const mon = monitoring === false ? undefined : new Monitoring(nas, 'monitoring', { grafana: GRAFANA, ...monitoring });
  return { lab, nas, tank, web, monitoring: mon };
}

/** An SFTP remote with a pinned host key and a key file. */
export function sftpRemote(overrides: Partial<Parameters<typeof BackupRemote.sftp>[0]> = {}): BackupRemote {
  return BackupRemote.sftp({
    host: 'backup.example.org',
    port: 23,
    user: 'u1',
    path: 'lab',
    privateKey: Secret.fromFile('/var/lib/secrets/backup-key'),
    hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIbqyLYz3bVGG0nF/8bjr2aEqKVckyZd4xkHO+4tHmWo',
    ...overrides,
  });
}
