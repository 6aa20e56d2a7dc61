/**
 * Off-site backups in the flake: `scripts/offsite-backup.sh` and `modules/offsite-backup.nix`
 * (the `homelab.offsiteBackups` option: services and timers) once; on each backing-up host
 * `hosts/<host>/offsite-backup.nix` (the backups, their configuration files in /etc, the secrets
 * they read) and `hosts/<host>/offsite-backup/<name>.conf`.
 */
import { Homelab } from '../../../core/homelab';
import { Host } from '../../../hosts/host';
import { BackupCredentialKind, BackupRemote, BackupRemoteKind } from '../../../operations/backup-remote';
import { Monitoring } from '../../../operations/monitoring';
import { OffsiteBackup } from '../../../operations/offsite-backup';
import { staleAfterHours } from '../../../operations/schedules';
import { AlertRule, UnitReach } from '../../flake-monitoring';
import { generatedHeader, NixFlake, renderSettingsModule } from '../../nix-flake';
import { NixAttrs, NixExpr } from '../../nix-value';
import { renderTemplate } from '../../templates';
import { isMonitored, TEXTFILE_DIRECTORY } from './monitoring';
import { alertRule, promqlString } from './monitoring-prometheus';
import { sopsSecretsSettings, useSopsFor } from '../hosts/sops';

/** Where a backup's configuration and known_hosts are installed on its host. */
export const OFFSITE_BACKUP_ETC = 'homelab/offsite-backup';

/** Adds the backups of every host. */
export function renderOffsiteBackups(lab: Homelab, flake: NixFlake): void {
  const backups = OffsiteBackup.all(lab);
  if (backups.length === 0) {
    return;
  }
  flake.addFile('scripts/offsite-backup.sh', renderTemplate('operations/offsite-backup.sh.hbs', { header: generatedHeader(lab) }), { executable: true });
  flake.addSharedModule('offsite-backup', renderTemplate('operations/offsite-backup.nix.hbs', { header: generatedHeader(lab, 'the off-site backups') }));
  for (const host of Host.all(lab)) {
    const onHost = backups.filter((b) => b.host === host);
    if (onHost.length === 0) {
      continue;
    }
    flake.importSharedModule(host, 'offsite-backup');
    useSopsFor(flake, host, onHost.flatMap((b) => (b.remote.credentials ? [{ secret: b.remote.credentials.secret, purpose: credentialPurpose(b.remote), generated: false }] : [])));
    for (const backup of onHost) {
      flake.addFile(`hosts/${host.hostName}/offsite-backup/${backup.backupName}.conf`, offsiteBackupConfig(backup));
    }
    flake.addHostModule(host, 'offsite-backup', renderSettingsModule(lab, `${host.node.path} (off-site backups)`, offsiteBackupSettings(onHost)));
    for (const backup of onHost) {
      flake.monitoring.watchUnit(host, `${backup.serviceName}.service`, { reach: UnitReach.OFF_SITE });
      if (backup.restoreTestServiceName) {
        flake.monitoring.watchUnit(host, `${backup.restoreTestServiceName}.service`, { reach: UnitReach.OFF_SITE });
      }
    }
  }
  flake.monitoring.addAlertRules('homelab-backups', backupRules);
}

/** The NixOS settings of a host's backups. */
export function offsiteBackupSettings(backups: readonly OffsiteBackup[]): NixAttrs {
  const declared: Record<string, NixAttrs> = {};
  const etc: Record<string, NixAttrs> = {};
  for (const backup of backups) {
    declared[backup.backupName] = {
      schedule: backup.schedule,
      restoreTestSchedule: backup.restoreTest ? backup.restoreTest.schedule : NixExpr.NULL,
      zfs: backup.usesZfs,
    };
    etc[`${OFFSITE_BACKUP_ETC}/${backup.backupName}.conf`] = { source: NixExpr.path(`./offsite-backup/${backup.backupName}.conf`) };
    const knownHosts = knownHostsLine(backup);
    if (knownHosts) {
      etc[`${OFFSITE_BACKUP_ETC}/${backup.backupName}.known_hosts`] = { text: `${knownHosts}\n` };
    }
  }
  return {
    homelab: { offsiteBackups: declared },
    environment: { etc },
    sops: sopsSecretsSettings(backups.flatMap((b) => (b.remote.credentials ? [b.remote.credentials.secret] : []))),
  };
}

/** The `known_hosts` line that pins an SFTP server's key (`[host]:port key` off port 22). */
export function knownHostsLine(backup: OffsiteBackup): string | undefined {
  const remote = backup.remote;
  if (remote.kind !== BackupRemoteKind.SFTP || !remote.hostKey) {
    return undefined;
  }
  return `${remote.port === 22 ? remote.host : `[${remote.host}]:${remote.port}`} ${remote.hostKey}`;
}

/** rclone's settings of the remote, as `RCLONE_CONFIG_OFFSITE_*` variables (never a secret value). */
export function rcloneRemoteVariables(backup: OffsiteBackup): Array<{ name: string; value: string }> {
  const remote = backup.remote;
  const secretPath = remote.credentials?.secret.hostPath ?? '';
  const settings: Array<[string, string | number | undefined]> = [['type', remote.kind]];
  switch (remote.kind) {
    case BackupRemoteKind.SFTP:
      settings.push(['host', remote.host], ['port', remote.port], ['user', remote.user]);
      if (remote.credentials?.kind === BackupCredentialKind.PRIVATE_KEY) {
        settings.push(['key_file', secretPath]);
      }
      if (remote.hostKey) {
        settings.push(['known_hosts_file', `/etc/${OFFSITE_BACKUP_ETC}/${backup.backupName}.known_hosts`]);
      }
      break;
    case BackupRemoteKind.WEBDAV:
      settings.push(['url', remote.url], ['vendor', remote.vendor], ['user', remote.user]);
      break;
    default:
      settings.push(['provider', remote.vendor], ['endpoint', remote.url], ['region', remote.region], ['env_auth', 'true']);
  }
  return settings.filter(([, v]) => v !== undefined).map(([k, v]) => ({ name: `RCLONE_CONFIG_OFFSITE_${k.toUpperCase()}`, value: String(v) }));
}

/** `hosts/<host>/offsite-backup/<name>.conf`, sourced by the script. */
export function offsiteBackupConfig(backup: OffsiteBackup): string {
  const lab = Homelab.of(backup);
  const remote = backup.remote;
  const credentials = remote.credentials;
  const root = remote.kind === BackupRemoteKind.S3 ? [remote.bucket, backup.remoteFolder].join('/') : backup.remoteFolder;
  return renderTemplate('operations/offsite-backup.conf.hbs', {
    header: generatedHeader(lab, `${backup.node.path} (off-site backup)`),
    description: `The off-site backup ${backup.backupName} of ${backup.host.hostName}: ${backup.sources.length} source(s) to ${remote}, ${backup.schedule}; keeps ${backup.retention}.`,
    name: backup.backupName,
    remote: `offsite:${root}`,
    sources: backup.sources.map((s) => [s.name, s.kind, s.path, s.dataset?.datasetName ?? ''].join('|')),
    retention: backup.retention.rules.map(([period, n]) => `${period}=${n}`).join(' '),
    sampleSize: backup.restoreTest?.sampleSize ?? 0,
    stateDir: `/var/lib/homelab-offsite-backup/${backup.backupName}`,
    textfileDir: isMonitored(backup.host) ? TEXTFILE_DIRECTORY : '',
    passwordFile: credentials?.kind === BackupCredentialKind.PASSWORD ? credentials.secret.hostPath ?? '' : '',
    environmentFile: credentials?.kind === BackupCredentialKind.ENVIRONMENT_FILE ? credentials.secret.hostPath ?? '' : '',
    rclone: rcloneRemoteVariables(backup),
  });
}

/** Off-site backups and restore tests that stopped succeeding. */
export function backupRules(monitoring: Monitoring): AlertRule[] {
  const rules: AlertRule[] = [];
  for (const backup of OffsiteBackup.all(monitoring).filter((b) => monitoring.exportersOn(b.host))) {
    const labels = `host=${promqlString(backup.host.hostName)},backup=${promqlString(backup.backupName)}`;
    const about = { host: backup.host.hostName, backup: backup.backupName };
    const stale = (metric: string, hours: number) => `time() - ${metric}{${labels}} > ${hours * 3600} or absent(${metric}{${labels}})`;
    rules.push(
      alertRule(
        'OffsiteBackupStale',
        stale('homelab_offsite_backup_last_success_timestamp_seconds', backup.maxAgeHours),
        '1h',
        'critical',
        `The off-site backup ${backup.backupName} of ${backup.host.hostName} has not succeeded for ${backup.maxAgeHours} hours`,
        `Runs ${backup.schedule} to ${backup.remote}; see journalctl -u ${backup.serviceName}.`,
        about,
      ),
    );
    if (backup.restoreTest) {
      const hours = staleAfterHours(backup.restoreTest.schedule, 2 * 24 * 7);
      rules.push(
        alertRule(
          'RestoreTestStale',
          stale('homelab_offsite_restore_test_last_success_timestamp_seconds', hours),
          '1h',
          'critical',
          `The restore test of ${backup.backupName} on ${backup.host.hostName} has not passed for ${hours} hours`,
          `A backup is only as good as its last restore; see journalctl -u ${backup.restoreTestServiceName}.`,
          about,
        ),
      );
    }
  }
  return rules;
}

/** What the user puts in the secret of a remote: the remote's account made it, not the library. */
function credentialPurpose(remote: BackupRemote): string {
  switch (remote.credentials?.kind) {
    case BackupCredentialKind.PRIVATE_KEY:
      return `the private SSH key (OpenSSH format) of the account ${remote.user ?? ''}@${remote.host ?? ''} of the backup remote ${remote}; its public key goes into the account's authorized keys`;
    case BackupCredentialKind.ENVIRONMENT_FILE:
      return `AWS_ACCESS_KEY_ID=… and AWS_SECRET_ACCESS_KEY=… lines for the backup remote ${remote}`;
    default:
      return `the password of the backup remote ${remote}`;
  }
}
