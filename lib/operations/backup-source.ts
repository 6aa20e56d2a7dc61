/**
 * What an off-site backup copies: a ZFS dataset (from a snapshot the backup takes, so the copy is
 * one consistent point in time) or a directory of the host.
 */
import { isSafeName } from '../core/names';
import { problem } from '../core/validation';
import { ZFS_STORAGE, IZfsStorage, ZfsVolumeUse } from '../storage/zfs-storage';
import { addValueProblem } from '../core/problems';
import { Kind } from '../core/kind';

/** The kinds of source. */
export enum BackupSourceKind {
  /** A ZFS dataset, copied from a snapshot taken for the backup. */
  DATASET = 'dataset',
  /** A directory, copied as it is while the backup runs. */
  DIRECTORY = 'directory',
}

/** Options of the {@link BackupSource} factories. */
export interface BackupSourceOptions {
  /**
   * The source's name: its folder on the remote and its argument to the restore helper.
   * @default - the dataset name or the path, with "/" replaced by "-" (`tank/vms/my-app` → `tank-vms-my-app`)
   */
  readonly name?: string;
}

const BACKUP_SOURCE = Kind.named<BackupSource>('BackupSource');

/** A dataset or directory that an OffsiteBackup copies. Make one with a static factory. */
export class BackupSource {
  /** Is `x` a BackupSource (of any copy of this library)? */
  public static isBackupSource(x: unknown): x is BackupSource {
    return BACKUP_SOURCE.is(x);
  }

  /**
   * A ZFS pool or dataset of the backing-up host. Each run takes a snapshot of it, copies the
   * snapshot's files (`<mountpoint>/.zfs/snapshot/<snapshot>`) and keeps that snapshot until the
   * next run succeeds; the restore test compares restored files with it. Child datasets are
   * separate sources. A dataset that holds volumes (VM disks are zvols, whose blocks are no files
   * of the snapshot) is refused: back the VMs up with vzdump and add the dataset of its archives.
   */
  public static dataset(dataset: IZfsStorage, options: BackupSourceOptions = {}): BackupSource {
    if (!ZFS_STORAGE.is(dataset)) {
      // No dataset to follow: this problem is the source's one finding.
      const invalid = new BackupSource(BackupSourceKind.DATASET, options.name ?? 'invalid', undefined, '/');
      return addValueProblem(invalid, (field) => problem(`${field}: BackupSource.dataset was given something that is not a ZfsPool or ZfsDataset of the model`, 'give the pool or dataset construct, such as BackupSource.dataset(pool)'));
    }
    return new BackupSource(BackupSourceKind.DATASET, options.name ?? dataset.datasetName.replace(/\//g, '-'), dataset);
  }

  /**
   * A directory of the backing-up host (`/var/lib/grafana`), copied as it is while the backup
   * runs; the restore test compares restored files that did not change since with the originals.
   */
  public static directory(path: string, options: BackupSourceOptions = {}): BackupSource {
    return new BackupSource(BackupSourceKind.DIRECTORY, options.name ?? (path.replace(/^\/+|\/+$/g, '').replace(/\//g, '-') || 'root'), undefined, path);
  }

  private constructor(
    /** Dataset or directory. */
    public readonly kind: BackupSourceKind,
    /** The source's name (its folder on the remote). */
    public readonly name: string,
    /** The dataset, for a dataset source. */
    public readonly dataset?: IZfsStorage,
    private readonly directoryPath?: string,
  ) {
    BACKUP_SOURCE.mark(this);
  }

  /** The directory copied: the given one, or the dataset's mountpoint (its snapshots are under `.zfs/snapshot` there). */
  public get path(): string {
    return this.directoryPath ?? (this.dataset as unknown as { effectiveMountpoint?: string }).effectiveMountpoint ?? 'none';
  }

  /**
   * The volumes under the dataset (the VM disks of a Proxmox storage it backs, or replicas of
   * them): none of them is a file of its snapshot directory, so rclone copies none of them.
   */
  public get volumeUses(): readonly ZfsVolumeUse[] {
    return (this.dataset as { volumeUses?: readonly ZfsVolumeUse[] } | undefined)?.volumeUses ?? [];
  }

  /** What it is, for messages. */
  public toString(): string {
    return this.dataset ? `dataset ${this.dataset.datasetName}` : `directory ${this.path}`;
  }

  /** What is wrong with the source on its own (messages in the house format). */
  public problems(): string[] {
    const errors: string[] = [];
    if (!isSafeName(this.name)) {
      errors.push(problem(`backup source name "${this.name}" is not a plain name`, 'give name: letters, digits, ".", "_" and "-"'));
    }
    const path = this.path;
    if (!path.startsWith('/') || path.split('/').some((s) => s === '..' || s === '.') || !/^[A-Za-z0-9._/@+-]+$/.test(path)) {
      errors.push(
        this.dataset
          ? problem(`${this} is not mounted (mountpoint ${path}), so there are no snapshot files to copy`, 'give the dataset a mountpoint, or back up a directory instead')
          : problem(`backup directory "${path}" is not an absolute path of plain segments`, 'give an absolute path without "..", spaces or special characters'),
      );
    }
    return errors;
  }
}
