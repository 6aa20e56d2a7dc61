/** The operations' part of the first deploy: the accounts the off-site backups log in to. */
import { Homelab } from '../core/homelab';
import { BackupRemoteKind } from '../operations/backup-remote';
import { OffsiteBackup } from '../operations/offsite-backup';
import { byHand, RunbookContribution } from './runbook-step';

/** One by-hand step per SFTP remote: its account, with the backing-up host's key allowed. */
export function operationsRunbook(lab: Homelab): RunbookContribution {
  return { steps: [...sftpRemotes(lab)].map(([remote, backup]) => byHand(`backup-account:${remote}`, `Create the backup account ${remote} and allow ${backup.host.hostName}'s key there`)) };
}

/** The keys of the backup-account steps (the secrets wait for them: the account's password is one). */
export function backupAccountStepKeys(lab: Homelab): string[] {
  return [...sftpRemotes(lab).keys()].map((remote) => `manual:backup-account:${remote}`);
}

/** The SFTP remotes of the off-site backups, each with the first backup that uses it. */
function sftpRemotes(lab: Homelab): Map<string, OffsiteBackup> {
  const backups = lab.node.findAll().filter(OffsiteBackup.isOffsiteBackup);
  return new Map(backups.filter((b) => b.remote.kind === BackupRemoteKind.SFTP).map((b) => [b.remote.toString(), b]));
}
