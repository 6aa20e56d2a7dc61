/** The operations' part of the first deploy: the accounts the off-site backups log in to. */
import { Homelab } from '../core/homelab';
import { BackupRemoteKind } from '../operations/backup-remote';
import { OffsiteBackup } from '../operations/offsite-backup';
import { byHand, RunbookContribution } from './runbook-step';

/** One by-hand step per SFTP remote: its account, with the backing-up host's key allowed. */
export function operationsRunbook(lab: Homelab): RunbookContribution {
  const backups = lab.node.findAll().filter(OffsiteBackup.isOffsiteBackup);
  const sftpRemotes = new Map(backups.filter((b) => b.remote.kind === BackupRemoteKind.SFTP).map((b) => [b.remote.toString(), b]));
  return { steps: [...sftpRemotes].map(([remote, backup]) => byHand(`backup-account:${remote}`, `Create the backup account ${remote} and allow ${backup.host.hostName}'s key there`)) };
}
